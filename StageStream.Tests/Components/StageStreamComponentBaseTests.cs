using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using StageStream.Core.Events;
using StageStream.Core.Projects;
using StageStream.Web.Components.Shared;

namespace StageStream.Tests.Components;

public sealed class StageStreamComponentBaseTests : ComponentTest
{
    private const string ProjectId = "p-hooks";

    [Fact]
    public async Task HooksAreCalledInTheOrderOfTheStream()
    {
        var cut = Render<HookRecorder>(p => p.Add(c => c.ProjectId, ProjectId).Add(c => c.Stage, StageNames.Storyboard));
        cut.WaitForAssertion(() => Assert.True(cut.Instance.IsConnected));
        var run = new RunEvents(this.Publisher(), ProjectId, StageNames.Storyboard);

        await run.StageUpdateAsync("processing");
        await run.TokenAsync("[");
        await run.ProgressAsync(50);
        await run.PublishAsync(EventTypes.ItemCompleted, e => e with { ItemType = "shot", SequenceNumber = 1 });
        await run.DoneAsync("[]");

        cut.WaitForAssertion(() => Assert.Contains("close:done", cut.Instance.Calls));
        Assert.Equal(
            [
                "message:connected", "connected",
                "message:stage_update", "stage_update",
                "message:token", "token:[",
                "message:progress", "progress:50",
                "message:item_completed", "item_completed",
                "message:done", "done",
                "message:stream_end", "close:done",
            ],
            cut.Instance.Calls);
        Assert.False(cut.Instance.IsConnected);
        Assert.Equal(7, cut.Instance.AllMessages.Count);
        Assert.Equal(EventTypes.StreamEnd, cut.Instance.AllMessages[^1].Type);
    }

    [Fact]
    public async Task ErrorMessagesSetErrorAndCallOnErrorThenClose()
    {
        var cut = Render<HookRecorder>(p => p.Add(c => c.ProjectId, ProjectId).Add(c => c.Stage, StageNames.Rewrite));
        cut.WaitForAssertion(() => Assert.True(cut.Instance.IsConnected));
        var run = new RunEvents(this.Publisher(), ProjectId, StageNames.Rewrite);

        await run.ErrorAsync("quota exceeded");

        cut.WaitForAssertion(() => Assert.Contains("close:error", cut.Instance.Calls));
        Assert.Equal(["message:connected", "connected", "message:error", "error:quota exceeded", "message:stream_end", "close:error"], cut.Instance.Calls);
        Assert.Equal("quota exceeded", cut.Instance.LastError);
    }

    [Fact]
    public async Task TheAllStagesStreamEndsAfterPipelineDone()
    {
        var cut = Render<HookRecorder>(p => p.Add(c => c.ProjectId, ProjectId));
        cut.WaitForAssertion(() => Assert.True(cut.Instance.IsConnected));
        var pipeline = new RunEvents(this.Publisher(), ProjectId, StageNames.Pipeline);
        var rewrite = new RunEvents(this.Publisher(), ProjectId, StageNames.Rewrite, pipelineRunId: pipeline.RunId);

        await pipeline.StageUpdateAsync("processing");
        await rewrite.TokenAsync("Hi");
        await rewrite.DoneAsync("Hi");
        Assert.DoesNotContain("close:done", cut.Instance.Calls);
        await pipeline.PublishAsync(EventTypes.PipelineDone, e => e with { Message = "Pipeline completed" });

        cut.WaitForAssertion(() => Assert.Contains("close:pipeline_done", cut.Instance.Calls));
        Assert.Equal(
            ["connected", "stage_update", "token:Hi", "done", "done", "close:pipeline_done"],
            cut.Instance.Calls.Where(c => !c.StartsWith("message:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task DisconnectClosesOnceAndStopsDelivery()
    {
        var cut = Render<HookRecorder>(p => p.Add(c => c.ProjectId, ProjectId).Add(c => c.Stage, StageNames.Rewrite));
        cut.WaitForAssertion(() => Assert.True(cut.Instance.IsConnected));

        await cut.InvokeAsync(cut.Instance.DoDisconnect);
        await cut.InvokeAsync(cut.Instance.DoDisconnect);
        await new RunEvents(this.Publisher(), ProjectId, StageNames.Rewrite).TokenAsync("late");
        await Task.Delay(200);

        Assert.False(cut.Instance.IsConnected);
        Assert.Equal(["message:connected", "connected", "close:"], cut.Instance.Calls);
    }

    [Fact]
    public async Task ConnectingAfterTheLastIdResumesWithoutLossOrRepeats()
    {
        var cut = Render<HookRecorder>(p => p.Add(c => c.ProjectId, ProjectId).Add(c => c.Stage, StageNames.Rewrite));
        cut.WaitForAssertion(() => Assert.True(cut.Instance.IsConnected));
        var run = new RunEvents(this.Publisher(), ProjectId, StageNames.Rewrite);
        await run.TokenAsync("one ");
        cut.WaitForAssertion(() => Assert.Contains("token:one ", cut.Instance.Calls));

        await cut.InvokeAsync(cut.Instance.DoDisconnect);
        await run.TokenAsync("two ");
        await cut.InvokeAsync(cut.Instance.ResumeAsync);
        await run.TokenAsync("three");

        cut.WaitForAssertion(() => Assert.Equal("one two three", cut.Instance.AllMessages.LastOrDefault(m => m.Type == EventTypes.Token)?.FullText));
        Assert.Equal(["one ", "two ", "three"], cut.Instance.AllMessages.Where(m => m.Type == EventTypes.Token).Select(m => m.Content));

        await cut.InvokeAsync(cut.Instance.DoClear);
        Assert.Empty(cut.Instance.AllMessages);
    }
}

/// <summary>Records every hook call of <see cref="StageStreamComponentBase"/>.</summary>
public sealed class HookRecorder : StageStreamComponentBase
{
    [Parameter, EditorRequired]
    public required string ProjectId { get; set; }

    [Parameter]
    public string? Stage { get; set; }

    private readonly List<string> _calls = [];

    /// <summary>The hooks called so far, copied: they are called on the renderer's thread while a test reads on its own.</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    private void Record(string call)
    {
        lock (_calls)
        {
            _calls.Add(call);
        }
    }

    public bool IsConnected => Connected;
    public string? LastError => Error;
    public IReadOnlyList<StageEvent> AllMessages => Messages;

    public Task ResumeAsync() => ConnectAsync(ProjectId, Stage, LastEventId);

    public void DoDisconnect() => Disconnect();

    public void DoClear() => ClearMessages();

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            await ConnectAsync(ProjectId, Stage);
        }
    }

    protected override void BuildRenderTree(RenderTreeBuilder builder) => builder.AddContent(0, $"{Messages.Count} messages");

    protected override void OnMessage(StageEvent message) => Record("message:" + message.Type);
    protected override void OnConnected(StageEvent message) => Record("connected");
    protected override void OnToken(StageEvent message) => Record("token:" + message.Content);
    protected override void OnStageUpdate(StageEvent message) => Record("stage_update");
    protected override void OnProgress(StageEvent message) => Record("progress:" + message.Progress);
    protected override void OnItemCompleted(StageEvent message) => Record("item_completed");
    protected override void OnDone(StageEvent message) => Record("done");
    protected override void OnError(string error, StageEvent? message) => Record("error:" + error);
    protected override void OnClose(string? reason) => Record("close:" + reason);
}

/// <summary>A component whose buffer overflows resumes from its last message, as an SSE client would.</summary>
public sealed class StageStreamComponentBaseLagTests() : ComponentTest(services =>
    services.Configure<EventRetentionOptions>(options => options.SubscriberBufferSize = 2))
{
    [Fact]
    public async Task AReaderThatFallsBehindCatchesUpWithoutLosingText()
    {
        var cut = Render<HookRecorder>(p => p.Add(c => c.ProjectId, "p-lag").Add(c => c.Stage, StageNames.Rewrite));
        cut.WaitForAssertion(() => Assert.True(cut.Instance.IsConnected));
        var run = new RunEvents(this.Publisher(), "p-lag", StageNames.Rewrite);
        var expected = new System.Text.StringBuilder();

        // Published from the renderer's thread, the component cannot read between them: its buffer overflows.
        await cut.InvokeAsync(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                expected.Append($"t{i} ");
                await run.TokenAsync($"t{i} ");
            }
            await run.DoneAsync(expected.ToString());
        });

        cut.WaitForAssertion(() => Assert.Contains("close:done", cut.Instance.Calls), TimeSpan.FromSeconds(20));
        var tokens = cut.Instance.AllMessages.Where(m => m.Type == EventTypes.Token).ToList();
        Assert.Equal(expected.ToString(), string.Concat(tokens.Select(t => t.Content)));
        Assert.Equal(expected.ToString(), tokens[^1].FullText);
        Assert.Equal(tokens.Select(t => t.Id).Distinct().Count(), tokens.Count);
    }
}
