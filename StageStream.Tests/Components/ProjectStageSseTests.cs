using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Events;
using StageStream.Core.Projects;
using StageStream.Web.Components.Shared;
using static StageStream.Web.Components.Shared.ProjectStageSse;

namespace StageStream.Tests.Components;

/// <summary>
/// The debug panel with its JavaScript side played by the test: the messages are real events of the
/// in-memory log, read through a real subscription and serialized as the SSE endpoint sends them.
/// </summary>
public sealed class ProjectStageSseTests : ComponentTest
{
    private const string ProjectId = "p-demo";

    private IRenderedComponent<ProjectStageSse> RenderPanel(string? stage = null)
    {
        JSInterop.SetupModule("./js/sse-demo.js");
        return Render<ProjectStageSse>(p => p.Add(c => c.InitialProjectId, ProjectId).Add(c => c.InitialStageName, stage));
    }

    private static async Task<int> ConnectAsync(IRenderedComponent<ProjectStageSse> cut)
    {
        await cut.Find("[data-testid=sse-connect]").ClickAsync(new());
        return 1;
    }

    /// <summary>The wire JSON of each event of the stream, as the browser's EventSource would receive it.</summary>
    private async Task<List<(string Json, long Id)>> WireMessagesAsync(string? stage, Func<Task> publish)
    {
        var subscriptions = Services.GetRequiredService<IEventSubscriptions>();
        await using var subscription = await subscriptions.SubscribeAsync(ProjectId, stage, null, CancellationToken.None);
        await publish();
        var messages = new List<(string, long)>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var delivered in subscription.ReadAllAsync(timeout.Token))
        {
            messages.Add((JsonSerializer.Serialize(delivered.Message, EventJsonContext.Wire.StageEvent), delivered.Id));
        }
        return messages;
    }

    [Fact]
    public async Task ConnectCallsTheJavaScriptClientAndShowsConnecting()
    {
        var cut = RenderPanel(StageNames.Rewrite);

        await ConnectAsync(cut);

        var call = Assert.Single(JSInterop.Invocations, i => i.Identifier == "connect");
        Assert.Equal([1, ProjectId, StageNames.Rewrite, true], call.Arguments.Skip(1));
        Assert.Equal(ConnectionStatus.Connecting, cut.Instance.Status);
        Assert.Equal("Connecting", cut.Find("[data-testid=sse-status]").TextContent.Trim());
        Assert.True(cut.Find("[data-testid=sse-connect]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task StreamingListsEachMessageWithIdTypeAndPayload()
    {
        var cut = RenderPanel();
        var session = await ConnectAsync(cut);
        var run = new RunEvents(this.Publisher(), ProjectId, StageNames.Rewrite);
        var wire = await WireMessagesAsync(StageNames.Rewrite, async () =>
        {
            await run.StageUpdateAsync("processing");
            await run.TokenAsync("Hello ");
            await run.TokenAsync("world");
            await run.DoneAsync("Hello world");
        });

        await cut.InvokeAsync(() => cut.Instance.OnOpen(session, reconnected: false));
        foreach (var (json, id) in wire.Take(3))
        {
            await cut.InvokeAsync(() => cut.Instance.OnMessage(session, json, id.ToString()));
        }

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Connected", cut.Find("[data-testid=sse-status]").TextContent.Trim());
            Assert.Equal(["stage_update", "token", "token"], cut.FindAll("[data-testid=sse-type]").Select(e => e.TextContent.Trim()));
        });
        var firstRow = cut.FindAll("[data-testid=sse-messages] tbody tr")[0].QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToList();
        Assert.Equal(wire[0].Id.ToString(), firstRow[1]);
        Assert.Contains("\"status\":\"processing\"", firstRow[3]);
        Assert.Contains("mud-chip-color-info", cut.FindAll("[data-testid=sse-type]")[0].ClassName);
        Assert.Equal("token: 2", cut.Find("[data-testid=count-token]").TextContent.Trim());
        Assert.Equal("Hello world", cut.Instance.TokenText);
    }

    [Fact]
    public async Task DoneAndStreamEndCloseTheConnectionAndTheTokensAddUp()
    {
        var cut = RenderPanel();
        var session = await ConnectAsync(cut);
        var run = new RunEvents(this.Publisher(), ProjectId, StageNames.Rewrite);
        var wire = await WireMessagesAsync(StageNames.Rewrite, async () =>
        {
            await run.TokenAsync("Hello ");
            await run.TokenAsync("world");
            await run.DoneAsync("Hello world");
        });

        await cut.InvokeAsync(() => cut.Instance.OnOpen(session, reconnected: false));
        foreach (var (json, id) in wire)
        {
            await cut.InvokeAsync(() => cut.Instance.OnMessage(session, json, id.ToString()));
        }
        await cut.InvokeAsync(() => cut.Instance.OnMessage(session, """{"type":"stream_end","project_id":"p-demo","message":"done"}""", null));
        await cut.InvokeAsync(() => cut.Instance.OnClose(session, "stream_end"));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Disconnected", cut.Find("[data-testid=sse-status]").TextContent.Trim());
            Assert.Equal("true", cut.Find("[data-testid=sse-token-check]").GetAttribute("data-consistent"));
            Assert.Equal("done: 1", cut.Find("[data-testid=count-done]").TextContent.Trim());
            Assert.Equal("stream_end: 1", cut.Find("[data-testid=count-stream_end]").TextContent.Trim());
        });
        Assert.False(cut.Find("[data-testid=sse-connect]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task ErrorsShowInTheAlertTransportAndServerAlike()
    {
        var cut = RenderPanel();
        var session = await ConnectAsync(cut);
        var run = new RunEvents(this.Publisher(), ProjectId, StageNames.Rewrite);
        var wire = await WireMessagesAsync(StageNames.Rewrite, () => run.ErrorAsync("The model refused"));

        await cut.InvokeAsync(() => cut.Instance.OnTransportError(session, "Connection lost", willRetry: true));
        await cut.InvokeAsync(() => cut.Instance.OnReconnecting(session, 1, 1000));
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Connection lost", cut.Find("[data-testid=sse-error]").TextContent.Trim());
            Assert.Equal("Reconnecting", cut.Find("[data-testid=sse-status]").TextContent.Trim());
            Assert.Equal("1", cut.Find("[data-testid=sse-reconnects]").GetAttribute("data-count"));
        });

        await cut.InvokeAsync(() => cut.Instance.OnOpen(session, reconnected: true));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=sse-error]")));
        await cut.InvokeAsync(() => cut.Instance.OnMessage(session, wire[0].Json, wire[0].Id.ToString()));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("The model refused", cut.Find("[data-testid=sse-error]").TextContent.Trim());
            Assert.Contains("mud-chip-color-error", cut.Find("[data-testid=sse-type]").ClassName);
        });
    }

    [Fact]
    public async Task EventsOfAnEarlierConnectionAreIgnored()
    {
        var cut = RenderPanel();
        await ConnectAsync(cut);
        await cut.Find("[data-testid=sse-disconnect]").ClickAsync(new());
        await cut.Find("[data-testid=sse-connect]").ClickAsync(new());

        await cut.InvokeAsync(() => cut.Instance.OnMessage(1, """{"type":"token","content":"stale"}""", "5"));
        await cut.InvokeAsync(() => cut.Instance.OnClose(1, "disconnect"));

        Assert.Empty(cut.Instance.Messages);
        Assert.Equal(ConnectionStatus.Connecting, cut.Instance.Status);
        Assert.Contains(JSInterop.Invocations, i => i.Identifier == "disconnect");
    }

    [Fact]
    public async Task ThePickerListsExistingProjects()
    {
        var project = await CreateProjectAsync("Picker test");

        var cut = RenderPanel();

        Assert.Equal(ProjectId, cut.Instance.ProjectId);
        await cut.InvokeAsync(() => cut.FindComponent<MudBlazor.MudSelect<string>>().Instance.OpenMenu());
        cut.WaitForAssertion(() => Assert.Contains($"Picker test ({project.Id})", Render<MudBlazor.MudPopoverProvider>().Markup));
    }
}
