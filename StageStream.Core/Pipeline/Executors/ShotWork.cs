using System.Text.Json.Nodes;
using StageStream.Core.Projects;
using StageStream.Core.Providers;

namespace StageStream.Core.Pipeline.Executors;

/// <summary>
/// The per-shot loop of the media stages: a <c>progress</c> message as each shot starts, an
/// <c>item_completed</c> when it ends, and one failing shot does not stop the others.
/// </summary>
internal static class ShotWork
{
    /// <param name="needsWork">Which shots this run works on (all when forced, else the missing ones).</param>
    /// <param name="work">Does one shot and returns the metadata of its <c>item_completed</c>.</param>
    public static async Task<int> RunAsync(
        StageContext context, string itemType, Func<Shot, bool> needsWork, Func<Shot, Task<JsonObject>> work, CancellationToken cancellationToken)
    {
        // Half-written media of an interrupted run of this project are of no use to anyone.
        context.Data.SweepPartials(context.Project.Id);
        var shots = context.Project.ShotsInOrder.Where(s => context.Force || needsWork(s)).ToList();
        var failed = new List<int>();
        string? firstError = null;
        for (var i = 0; i < shots.Count; i++)
        {
            var shot = shots[i];
            await context.ProgressAsync(i, shots.Count, $"{itemType} {i + 1}/{shots.Count} (shot {shot.Sequence})", cancellationToken);
            try
            {
                var metadata = await work(shot);
                shot.Error = null;
                await context.SaveAsync(cancellationToken);
                await context.Report.ItemCompletedAsync(itemType, shot.Sequence, metadata, cancellationToken);
            }
            // A timeout inside one shot's work fails that shot; only the run's own cancellation stops the stage.
            catch (Exception ex) when (ex is not MissingDependencyException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                shot.Error = ex.Message;
                firstError ??= ex.Message;
                failed.Add(shot.Sequence);
                await context.SaveAsync(cancellationToken);
            }
        }
        if (failed.Count > 0)
        {
            throw new ShotsFailedException(context.Record.Stage, failed, firstError!);
        }
        await context.ProgressAsync(shots.Count, shots.Count, $"{shots.Count} {itemType} done", cancellationToken);
        return shots.Count;
    }
}
