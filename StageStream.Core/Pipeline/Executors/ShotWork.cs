using System.Text.Json.Nodes;
using StageStream.Core.Projects;
using StageStream.Core.Providers;

namespace StageStream.Core.Pipeline.Executors;

/// <summary>
/// The per-shot loop of the media stages: a <c>progress</c> message as each shot starts, an
/// <c>item_completed</c> when it ends, and one failing shot does not stop the others. Shots run
/// <see cref="PipelineOptions.ShotConcurrencyOrCores"/> at a time; what touches the stage's DbContext or
/// publishes (starting a shot, applying its result, progress) goes through the run's <see cref="ShotGate"/>, one at a time.
/// </summary>
internal static class ShotWork
{
    /// <param name="itemType">The <c>item_type</c> of the <c>item_completed</c> messages and the word of the progress messages.</param>
    /// <param name="needsWork">Which shots this run works on (all when forced, else the missing ones).</param>
    /// <param name="work">
    /// Does one shot's slow part (off the gate) and returns what applies its result to the shot, run under
    /// the gate; that returns the metadata of its <c>item_completed</c>.
    /// </param>
    /// <param name="parallel">False for work that must keep shot order (or gains nothing from running at once).</param>
    public static async Task<int> RunAsync(
        StageContext context, string itemType, Func<Shot, bool> needsWork, Func<Shot, ShotSlot, Task<Func<JsonObject>>> work,
        CancellationToken cancellationToken, bool parallel = true)
    {
        // Half-written media of an interrupted run of this project are of no use to anyone.
        context.Data.SweepPartials(context.Project.Id);
        var shots = context.Project.ShotsInOrder.Where(s => context.Force || needsWork(s)).ToList();
        var gate = new ShotGate();
        var failed = new List<int>();
        Exception? firstError = null;
        var started = 0;
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = parallel ? context.Options.ShotConcurrencyOrCores : 1,
            CancellationToken = cancellationToken,
        };
        await Parallel.ForEachAsync(shots, options, async (shot, _) =>
        {
            var slot = await gate.RunAsync(async () =>
            {
                var index = started++;
                await context.ProgressAsync(index, shots.Count, $"{itemType} {index + 1}/{shots.Count} (shot {shot.Sequence})", cancellationToken);
                return new ShotSlot(index, shots.Count, gate);
            });
            try
            {
                var apply = await work(shot, slot);
                await gate.RunAsync(async () =>
                {
                    var metadata = apply();
                    shot.Error = null;
                    shot.ErrorCode = null;
                    await context.SaveAsync(cancellationToken);
                    await context.Report.ItemCompletedAsync(itemType, shot.Sequence, metadata, cancellationToken);
                    return true;
                });
            }
            // A timeout inside one shot's work fails that shot; only the run's own cancellation stops the stage.
            catch (Exception ex) when (ex is not MissingDependencyException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                await gate.RunAsync(async () =>
                {
                    shot.Error = ex.Message;
                    shot.ErrorCode = CodedError.Of(ex)?.ToJson();
                    firstError ??= ex;
                    failed.Add(shot.Sequence);
                    await context.SaveAsync(cancellationToken);
                    return true;
                });
            }
        });
        if (failed.Count > 0)
        {
            failed.Sort();
            throw new ShotsFailedException(context.Record.Stage, failed, firstError!);
        }
        await context.ProgressAsync(shots.Count, shots.Count, $"{shots.Count} {itemType} done", cancellationToken);
        return shots.Count;
    }
}

/// <summary>Where a shot stands in its run: the n-th started of how many, and the gate for anything that saves or publishes.</summary>
internal sealed record ShotSlot(int Index, int Count, ShotGate Gate);

/// <summary>One at a time: the stage's DbContext and the order of its messages are not for concurrent use.</summary>
internal sealed class ShotGate
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public async Task<T> RunAsync<T>(Func<Task<T>> action)
    {
        await _lock.WaitAsync();
        try
        {
            return await action();
        }
        finally
        {
            _lock.Release();
        }
    }
}
