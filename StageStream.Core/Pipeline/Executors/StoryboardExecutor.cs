using System.Text;
using System.Text.Json.Nodes;
using StageStream.Core.Projects;
using StageStream.Core.Providers;

namespace StageStream.Core.Pipeline.Executors;

/// <summary>storyboard: splits the rewritten text into shots and replaces the project's storyboard.</summary>
public sealed class StoryboardExecutor(ProviderRegistry providers) : IStageExecutor
{
    public string Stage => StageNames.Storyboard;

    public async Task<StageOutcome> ExecuteAsync(StageContext context, CancellationToken cancellationToken)
    {
        var provider = providers.For<IStoryboardProvider>(Stage);
        context.Record.Provider = provider.Name;
        // done.full_text is the text the tokens streamed, as for any text stage: the origin's page shows it in their place.
        var streamed = new StringBuilder();
        var drafts = await provider.PlanAsync(
            context.Project.RewrittenText!,
            new StoryboardTarget(context.Project.TargetSeconds, context.Project.TargetShots),
            async token =>
            {
                streamed.Append(token);
                await context.Report.TokenAsync(token, cancellationToken);
            },
            cancellationToken);
        if (drafts.Count == 0)
        {
            throw new ProviderException($"The {provider.Name} storyboard provider returned no shots.");
        }

        var project = context.Project;
        foreach (var old in project.Shots.ToList())
        {
            context.Data.Delete(old.ImagePath, old.ClipPath, old.VoicePath);
        }
        context.Db.Shots.RemoveRange(project.Shots);
        project.Shots.Clear();
        context.Data.Delete(project.FinalVideoPath, project.SubtitlesSrtPath, project.SubtitlesVttPath);
        project.FinalVideoPath = null;
        project.SubtitlesSrtPath = null;
        project.SubtitlesVttPath = null;
        // The later stages' outputs belonged to the old shots.
        foreach (var later in project.Stages.Where(s => StageCatalog.IndexOf(s.Stage) > StageCatalog.IndexOf(Stage) && !s.IsActive))
        {
            later.MoveTo(StageStatus.Pending);
            later.Progress = 0;
            later.Error = null;
            later.ErrorCode = null;
        }

        var sequence = 0;
        foreach (var draft in drafts)
        {
            sequence++;
            var shot = new Shot
            {
                ProjectId = project.Id,
                Sequence = sequence,
                Narration = draft.Narration.Trim(),
                VisualPrompt = draft.VisualPrompt.Trim(),
                ShotType = string.IsNullOrWhiteSpace(draft.ShotType) ? "medium" : draft.ShotType.Trim(),
                DurationSeconds = Math.Clamp(draft.DurationSeconds, 1, 30),
            };
            project.Shots.Add(shot);
        }
        await context.SaveAsync(cancellationToken);
        foreach (var shot in project.ShotsInOrder)
        {
            await context.Report.ItemCompletedAsync("shot", shot.Sequence, new JsonObject
            {
                ["narration"] = shot.Narration,
                ["visual_prompt"] = shot.VisualPrompt,
                ["shot_type"] = shot.ShotType,
                ["duration"] = shot.DurationSeconds,
            }, cancellationToken);
        }
        return new StageOutcome(FullText: streamed.ToString(), Result: $"{sequence} shots", Metadata: new JsonObject { ["shot_count"] = sequence });
    }
}
