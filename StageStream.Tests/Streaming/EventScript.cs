using StageStream.Core.Events;
using StageStream.Core.Projects;

namespace StageStream.Tests.Streaming;

/// <summary>Publishes the events a stage or pipeline run would, through the app's real <see cref="IEventPublisher"/>.</summary>
public sealed class EventScript(IEventPublisher publisher, string projectId)
{
    public string ProjectId => projectId;

    public static string NewRunId() => Guid.NewGuid().ToString("N");

    public async Task<StageEvent> PublishAsync(string stage, string runId, string type, string? pipelineRunId = null,
        Func<StageEvent, StageEvent>? with = null)
    {
        var e = new StageEvent { Type = type, ProjectId = projectId, Stage = stage, RunId = runId, PipelineRunId = pipelineRunId };
        return await publisher.PublishAsync(with is null ? e : with(e));
    }

    public Task<StageEvent> StageUpdateAsync(string stage, string runId, string status, string? pipelineRunId = null) =>
        PublishAsync(stage, runId, EventTypes.StageUpdate, pipelineRunId, e => e with { Status = status, Progress = 0, Message = status });

    public Task<StageEvent> TokenAsync(string stage, string runId, string delta, string? pipelineRunId = null) =>
        PublishAsync(stage, runId, EventTypes.Token, pipelineRunId, e => e with { Content = delta });

    public Task<StageEvent> DoneAsync(string stage, string runId, string fullText = "", string? pipelineRunId = null) =>
        PublishAsync(stage, runId, EventTypes.Done, pipelineRunId, e => e with { FullText = fullText });

    /// <summary>A whole text stage run: queued, processing, one token per piece, completed, done.</summary>
    public async Task<List<StageEvent>> TextRunAsync(string stage, string runId, IReadOnlyList<string> pieces, string? pipelineRunId = null)
    {
        var events = new List<StageEvent>
        {
            await StageUpdateAsync(stage, runId, "queued", pipelineRunId),
            await StageUpdateAsync(stage, runId, "processing", pipelineRunId),
        };
        foreach (var piece in pieces)
        {
            events.Add(await TokenAsync(stage, runId, piece, pipelineRunId));
        }
        events.Add(await StageUpdateAsync(stage, runId, "completed", pipelineRunId));
        events.Add(await DoneAsync(stage, runId, string.Concat(pieces), pipelineRunId));
        return events;
    }

    public Task<StageEvent> PipelineAsync(string pipelineRunId, string type, string? status = null) =>
        PublishAsync(StageNames.Pipeline, pipelineRunId, type, pipelineRunId, e => e with { Status = status, Message = status ?? type });
}
