using System.Net;
using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Streaming;

/// <summary>
/// One app for the lean-stream tests. Coalescing is set to start at once (0 ms), so any token that finds further
/// tokens of its run already waiting is merged with them: a replay forces it deterministically. Tests that want
/// one message per token publish the next token only once the last one has been read.
/// </summary>
public sealed class LeanStreamApp : IAsyncLifetime
{
    public TestApp App { get; private set; } = null!;

    public async Task InitializeAsync() =>
        App = await TestApp.StartAsync(new Dictionary<string, string?> { ["Streaming:CoalesceAfterMilliseconds"] = "0" });

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>The lean form (<c>?full_text=none</c>) and merged token messages, read over real SSE responses.</summary>
public sealed class LeanStreamTests(LeanStreamApp fixture) : IClassFixture<LeanStreamApp>
{
    private readonly TestApp _app = fixture.App;

    private static readonly string[] Pieces = ["Once ", "upon ", "a ", "time ", "a ", "fox ", "found ", "a ", "lantern ", "in ", "the ", "snow."];

    [Fact]
    public async Task LeanTokensCarryNoFullTextExceptTheFirstAndDoneCarriesTheWholeText()
    {
        var (script, path) = await NewProjectAsync();
        await using var lean = await SseClient.OpenAsync(_app.BaseAddress, path + "?full_text=none");
        await using var full = await SseClient.OpenAsync(_app.BaseAddress, path);
        Assert.Equal("connected", (await lean.ReadMessageAsync()).Type);
        Assert.Equal("connected", (await full.ReadMessageAsync()).Type);

        var run = EventScript.NewRunId();
        await script.StageUpdateAsync("rewrite", run, "processing");
        Assert.Equal("stage_update", (await lean.ReadMessageAsync()).Type);
        Assert.Equal("stage_update", (await full.ReadMessageAsync()).Type);
        var leanTokens = new List<SseFrame>();
        var fullTokens = new List<SseFrame>();
        foreach (var piece in Pieces)
        {
            await script.TokenAsync("rewrite", run, piece);
            // One token at a time: nothing is waiting behind it, so each stays its own message.
            leanTokens.Add(await NextTokenAsync(lean));
            fullTokens.Add(await NextTokenAsync(full));
        }
        var text = string.Concat(Pieces);
        await script.DoneAsync("rewrite", run, text);

        // Lean: the first token of the run carries the text so far (so a client can start), the rest only content.
        Assert.Equal(Pieces, leanTokens.Select(t => t.Str("content")));
        Assert.Equal(Pieces[0], leanTokens[0].Str("full_text"));
        Assert.All(leanTokens.Skip(1), t => Assert.False(t.Json.TryGetProperty("full_text", out _), $"full_text on {t.Data}"));
        // Default: unchanged, every token carries all text so far; the ids are the same in both forms.
        Assert.Equal(Pieces.Select((_, i) => string.Concat(Pieces.Take(i + 1))), fullTokens.Select(t => t.Str("full_text")));
        Assert.Equal(fullTokens.Select(t => t.Id), leanTokens.Select(t => t.Id));

        var leanEnd = await lean.ReadToStreamEndAsync(TimeSpan.FromSeconds(10));
        var fullEnd = await full.ReadToStreamEndAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["done", "stream_end"], leanEnd.Select(m => m.Type));
        Assert.Equal(text, leanEnd[0].Str("full_text"));
        Assert.Equal(fullEnd[0].Data, leanEnd[0].Data);
    }

    [Fact]
    public async Task LeanResumeAndLateJoinGetTheTextSoFarInOneMessageFirst()
    {
        var (script, path) = await NewProjectAsync();
        var run = EventScript.NewRunId();
        await script.StageUpdateAsync("rewrite", run, "processing");
        var tokens = new List<StageEvent>();
        foreach (var piece in Pieces[..8])
        {
            tokens.Add(await script.TokenAsync("rewrite", run, piece));
        }
        var soFar = string.Concat(Pieces[..8]);

        // Resuming after the fourth token: the missed tokens come as one message with the whole text so far.
        await using var resumed = await SseClient.OpenAsync(_app.BaseAddress, path + "?full_text=none", lastEventId: tokens[3].Id.ToString());
        Assert.Equal("connected", (await resumed.ReadMessageAsync()).Type);
        var first = await NextTokenAsync(resumed);
        Assert.Equal(string.Concat(Pieces[4..8]), first.Str("content"));
        Assert.Equal(soFar, first.Str("full_text"));
        Assert.Equal(tokens[^1].Id, first.IdNumber);

        // A late joiner without an id replays the run: its tokens as one message, then it follows live, lean.
        await using var late = await SseClient.OpenAsync(_app.BaseAddress, path + "?full_text=none");
        Assert.Equal("connected", (await late.ReadMessageAsync()).Type);
        Assert.Equal("stage_update", (await late.ReadMessageAsync()).Type);
        var lateFirst = await NextTokenAsync(late);
        Assert.Equal(soFar, lateFirst.Str("content"));
        Assert.Equal(soFar, lateFirst.Str("full_text"));

        var live = await script.TokenAsync("rewrite", run, Pieces[8]);
        foreach (var client in new[] { resumed, late })
        {
            var token = await NextTokenAsync(client);
            Assert.Equal(live.Id, token.IdNumber);
            Assert.Equal(Pieces[8], token.Str("content"));
            Assert.False(token.Json.TryGetProperty("full_text", out _));
        }
    }

    [Fact]
    public async Task MergedTokensAddUpToTheTextWithIncreasingIdsAndResumeFromAMergedIdLosesNothing()
    {
        var (script, path) = await NewProjectAsync();
        var run = EventScript.NewRunId();
        var start = await script.StageUpdateAsync("rewrite", run, "processing");
        var pieces = Enumerable.Range(0, 40).Select(i => $"w{i} ").ToList();
        var published = new List<StageEvent>();
        foreach (var piece in pieces.Take(30))
        {
            published.Add(await script.TokenAsync("rewrite", run, piece));
        }

        // The default form, resumed before the tokens: they are all waiting, so they are merged.
        await using var behind = await SseClient.OpenAsync(_app.BaseAddress, path, lastEventId: start.Id.ToString());
        Assert.Equal("connected", (await behind.ReadMessageAsync()).Type);
        var merged = await NextTokenAsync(behind);
        Assert.Equal(string.Concat(pieces.Take(30)), merged.Str("content"));
        Assert.Equal(string.Concat(pieces.Take(30)), merged.Str("full_text"));
        Assert.Equal(published[^1].Id, merged.IdNumber);

        // The rest of the run, published in a burst: whatever is merged, contents add up and ids increase.
        var rest = pieces.Skip(30).Select(piece => script.TokenAsync("rewrite", run, piece)).ToList();
        published.AddRange(await Task.WhenAll(rest));
        var text = string.Concat(pieces);
        await script.DoneAsync("rewrite", run, text);
        var messages = await behind.ReadToStreamEndAsync(TimeSpan.FromSeconds(10));
        var tokens = new[] { merged }.Concat(messages.Where(m => m.Type == "token")).ToList();
        Assert.Equal(text, string.Concat(tokens.Select(t => t.Str("content"))));
        Assert.All(tokens, t => Assert.Equal(
            string.Concat(pieces.Take(published.FindIndex(p => p.Id == t.IdNumber) + 1)), t.Str("full_text")));
        var ids = tokens.Select(t => t.IdNumber).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());

        // Resuming from the merged message's id loses nothing: the tokens after it complete the text.
        await using var again = await SseClient.OpenAsync(_app.BaseAddress, path + "?full_text=none", lastEventId: merged.Id);
        var after = (await again.ReadToStreamEndAsync(TimeSpan.FromSeconds(10))).Where(m => m.Type == "token").ToList();
        Assert.Equal(string.Concat(pieces.Skip(30)), string.Concat(after.Select(t => t.Str("content"))));
        Assert.Equal(text, after[0].Str("full_text"));
    }

    [Fact]
    public async Task UnknownFullTextFormIsABadRequest()
    {
        var (_, path) = await NewProjectAsync();
        using var response = await SseClient.SendAsync(_app.BaseAddress, path + "?full_text=some", null, _app.Client);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("full_text=none", await response.Content.ReadAsStringAsync());
    }

    private async Task<(EventScript Script, string Path)> NewProjectAsync()
    {
        var projectId = await StreamTestSupport.CreateProjectAsync(_app.Client);
        return (new EventScript(_app.Service<IEventPublisher>(), projectId), $"/api/v1/sse/projects/{projectId}/stages/rewrite/");
    }

    private static async Task<SseFrame> NextTokenAsync(SseClient client)
    {
        var message = await client.ReadMessageAsync(TimeSpan.FromSeconds(10));
        Assert.True(message.Type == "token", $"Expected a token, got {message.Data}");
        return message;
    }
}
