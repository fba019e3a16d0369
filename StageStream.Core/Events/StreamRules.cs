using StageStream.Core.Projects;

namespace StageStream.Core.Events;

/// <summary>
/// Which events a stream selects, where its run starts and when it ends. A stream is one project's
/// events, either of one stage (<c>stage</c> set) or of every stage and the pipeline (<c>stage</c> null).
/// The SSE endpoint and the pages share these rules, so both see the same messages.
/// </summary>
public static class StreamRules
{
    /// <summary><c>stage_completed</c> belongs to the all-stages stream only: a single-stage stream has ended at <c>done</c>.</summary>
    public static bool Selects(StageEvent e, string? stage) =>
        stage is null || (e.Stage == stage && e.Type != EventTypes.StageCompleted);

    /// <summary>The run a stream follows: the stage run for one stage, the pipeline (or lone stage) run for all.</summary>
    public static string RunOf(StageEvent e, string? stage) => stage is null ? e.RootRunId : e.RunId;

    /// <summary>The message after which the stream's run is over, with the reason given in <c>stream_end</c>.</summary>
    public static string? EndReason(StageEvent e, string? stage)
    {
        if (stage is not null)
        {
            if (e.Stage != stage)
            {
                return null;
            }
            return e.Type switch
            {
                EventTypes.Done => "done",
                EventTypes.Error => "error",
                EventTypes.StageUpdate when StageStatuses.Parse(e.Status) is StageStatus.Cancelled or StageStatus.Skipped => e.Status,
                _ => null,
            };
        }
        return e.Type switch
        {
            // A stage run on its own (no pipeline) is the all-stages stream's run too, and ends it; when it
            // completes, the end comes after the stage_completed that follows its done.
            _ when e.PipelineRunId is null && e.Stage != StageNames.Pipeline => e.Type switch
            {
                EventTypes.Done => null,
                EventTypes.StageCompleted => "done",
                _ => EndReason(e, e.Stage),
            },
            EventTypes.PipelineDone => "pipeline_done",
            EventTypes.PipelineError => "pipeline_error",
            EventTypes.StageUpdate when e.Stage == StageNames.Pipeline && StageStatuses.Parse(e.Status) == StageStatus.Cancelled => "cancelled",
            _ => null,
        };
    }

    public static bool Ends(StageEvent e, string? stage) => EndReason(e, stage) is not null;

    /// <summary>The last message of its run: the end of its stage's run, or an <c>interrupted</c> run (the stream goes on to the new run).</summary>
    public static bool EndsRun(StageEvent e) =>
        Ends(e, e.Stage) || (e.Type == EventTypes.StageUpdate && StageStatuses.Parse(e.Status) == StageStatus.Interrupted);
}
