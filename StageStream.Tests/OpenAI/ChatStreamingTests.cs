using System.Text;
using StageStream.Core.Providers;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.OpenAI;

public sealed class ChatStreamingTests
{
    private static async Task<List<string>> RewriteAsync(ProviderHost host, string text = "A story.")
    {
        var tokens = new List<string>();
        await foreach (var token in host.Provider<IRewriteProvider>().RewriteAsync(text, CancellationToken.None))
        {
            tokens.Add(token);
        }
        return tokens;
    }

    [Fact]
    public async Task TokensArriveOneByOneAsTheVendorSendsThem()
    {
        await using var server = await FakeVendorServer.StartAsync();
        var release = new TaskCompletionSource();
        var deltas = new[] { "Once", " upon", " a", " time." };
        // The server holds the last delta back until the first ones have been read: they cannot have been buffered.
        server.ChatReplies.Enqueue(FakeVendorServer.SseWrites(deltas.Select(d => Encoding.UTF8.GetBytes(FakeVendorServer.ChunkFrame(d))),
            index => index == deltas.Length ? release.Task.WaitAsync(TimeSpan.FromSeconds(10)) : Task.CompletedTask));
        await using var host = ProviderHost.Start(server);

        var seen = new List<string>();
        await foreach (var token in host.Provider<IRewriteProvider>().RewriteAsync("A story.", CancellationToken.None))
        {
            seen.Add(token);
            if (seen.Count == deltas.Length - 1)
            {
                release.SetResult();
            }
        }

        Assert.Equal(deltas, seen);
        var request = Assert.Single(server.ChatRequests);
        Assert.Contains("\"stream\":true", request.Body);
        Assert.Contains("\"model\":\"fake-chat\"", request.Body);
        Assert.Contains("A story.", request.Body);
    }

    [Fact]
    public async Task ChineseCharacterSplitAcrossTwoNetworkChunksIsDecodedWhole()
    {
        await using var server = await FakeVendorServer.StartAsync();
        var frame = Encoding.UTF8.GetBytes(FakeVendorServer.ChunkFrame("你好，世界"));
        // Cut inside the three bytes of 好 (E5 A5 BD): the first write ends with E5 A5.
        var good = Encoding.UTF8.GetBytes("好");
        var cut = IndexOf(frame, good) + 2;
        Assert.True(cut > 2, "the frame carries the raw UTF-8 bytes of the character");
        server.ChatReplies.Enqueue(FakeVendorServer.SseWrites([frame[..cut], frame[cut..]], null, TimeSpan.FromMilliseconds(100)));
        await using var host = ProviderHost.Start(server);

        var text = string.Concat(await RewriteAsync(host));

        Assert.Equal("你好，世界", text);
        Assert.DoesNotContain('\uFFFD', text);
    }

    [Fact]
    public async Task ThinkBlockIsRemovedFromTheStreamedAnswer()
    {
        await using var server = await FakeVendorServer.StartAsync();
        server.ChatReplies.Enqueue(FakeVendorServer.Sse("<thi", "nk>The user wants a story; I will <b>plan</b>.</th", "ink>\n\nThe dragon", " slept."));
        await using var host = ProviderHost.Start(server);

        var tokens = await RewriteAsync(host);

        Assert.Equal("The dragon slept.", string.Concat(tokens));
        Assert.DoesNotContain(tokens, t => t.Contains("think") || t.Contains("plan"));
    }

    [Fact]
    public async Task RateLimitedRequestIsRetriedThenSucceeds()
    {
        await using var server = await FakeVendorServer.StartAsync();
        server.ChatReplies.Enqueue(FakeVendorServer.Error(429, "Rate limit reached for requests", retryAfter: "0"));
        server.ChatReplies.Enqueue(FakeVendorServer.Sse("after", " the wait"));
        await using var host = ProviderHost.Start(server);

        var text = string.Concat(await RewriteAsync(host));

        Assert.Equal("after the wait", text);
        Assert.Equal(2, server.ChatRequests.Count());
    }

    [Fact]
    public async Task AttemptThatTimesOutIsRetried()
    {
        await using var server = await FakeVendorServer.StartAsync();
        server.ChatReplies.Enqueue(FakeVendorServer.Stall(TimeSpan.FromSeconds(60)));
        server.ChatReplies.Enqueue(FakeVendorServer.Sse("on", " time"));
        server.ImageReplies.Enqueue(FakeVendorServer.Stall(TimeSpan.FromSeconds(60)));
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Providers:OpenAI:RequestTimeout"] = "00:00:03" });
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var text = string.Concat(await RewriteAsync(host));
        var png = await host.Provider<IImageProvider>().GenerateAsync(new ImageRequest("p", 1, 1, "n", "v", "wide", 64, 36), CancellationToken.None);

        Assert.Equal("on time", text);
        Assert.Equal(0x89, png[0]);
        Assert.Equal(2, server.ChatRequests.Count());
        Assert.Equal(2, server.Requests.Count(r => r.Path == "/v1/images/generations"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task UpstreamThatNeverAnswersFailsSayingSo()
    {
        await using var server = await FakeVendorServer.StartAsync();
        for (var i = 0; i < 2; i++)
        {
            server.ChatReplies.Enqueue(FakeVendorServer.Stall(TimeSpan.FromSeconds(20)));
        }
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?>
        {
            ["Providers:OpenAI:RequestTimeout"] = "00:00:00.400",
            ["Providers:OpenAI:MaxRetries"] = "1",
        });

        var error = await Assert.ThrowsAsync<ProviderException>(() => RewriteAsync(host));

        Assert.Contains($"{server.Root.Authority} did not answer within 0.4 s (tried 2 times)", error.Message);
        Assert.Contains("Providers:OpenAI:RequestTimeout", error.Message);
    }

    [Fact]
    public async Task ServerErrorsBeyondTheRetriesFailNamingTheHostAndStatus()
    {
        await using var server = await FakeVendorServer.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            server.ChatReplies.Enqueue(FakeVendorServer.Error(503, "overloaded"));
        }
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Providers:OpenAI:MaxRetries"] = "2" });

        var error = await Assert.ThrowsAsync<ProviderException>(() => RewriteAsync(host));

        Assert.Equal(3, server.ChatRequests.Count());
        Assert.Contains("503", error.Message);
        Assert.Contains(server.Root.Authority, error.Message);
        Assert.Contains("overloaded", error.Message);
    }

    [Fact]
    public async Task RejectedKeyIsReportedClearlyWithoutTheKey()
    {
        await using var server = await FakeVendorServer.StartAsync();
        const string wrongKey = "sk-wrong-key-abcdefghijklmnop";
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Providers:OpenAI:ApiKey"] = wrongKey });

        var error = await Assert.ThrowsAsync<MissingDependencyException>(() => RewriteAsync(host));

        Assert.Contains("The API key for Providers:OpenAI was rejected (401)", error.Message);
        Assert.Contains(server.Root.Authority, error.Message);
        Assert.DoesNotContain(wrongKey, error.Message);
        Assert.DoesNotContain("abcdefghijklmnop", error.Message);
        Assert.Single(server.ChatRequests); // 401 is not transient: no retry
    }

    [Fact]
    public async Task UnknownModelIsNamed()
    {
        await using var server = await FakeVendorServer.StartAsync();
        server.ChatReplies.Enqueue(FakeVendorServer.Error(404, "The model `no-such-model` does not exist", code: "model_not_found"));
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Stages:rewrite:Model"] = "no-such-model" });

        var error = await Assert.ThrowsAsync<MissingDependencyException>(() => RewriteAsync(host));

        Assert.Contains("model 'no-such-model'", error.Message);
        Assert.Contains("Stages:rewrite:Model", error.Message);
        Assert.Contains("\"model\":\"no-such-model\"", Assert.Single(server.ChatRequests).Body);
    }

    [Fact]
    public async Task UnreachableHostIsNamed()
    {
        await using var server = await FakeVendorServer.StartAsync();
        var closedPort = FreePorts.Next();
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?>
        {
            ["Providers:OpenAI:BaseUrl"] = $"http://127.0.0.1:{closedPort}/v1",
            ["Providers:OpenAI:MaxRetries"] = "1",
        });

        var error = await Assert.ThrowsAsync<MissingDependencyException>(() => RewriteAsync(host));

        Assert.Contains($"Could not reach 127.0.0.1:{closedPort}", error.Message);
        Assert.Contains("Providers:OpenAI:BaseUrl", error.Message);
    }

    [Theory]
    [InlineData("Providers:OpenAI:BaseUrl")]
    [InlineData("Providers:OpenAI:ApiKey")]
    [InlineData("Providers:OpenAI:Model")]
    public async Task MissingSettingIsNamed(string setting)
    {
        await using var server = await FakeVendorServer.StartAsync();
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { [setting] = "" });

        var error = await Assert.ThrowsAsync<MissingDependencyException>(() => RewriteAsync(host));

        Assert.Contains(setting, error.Message);
        Assert.Empty(server.ChatRequests);
    }

    [Fact]
    public async Task StageTemperatureMaxTokensAndPromptTemplateAreSent()
    {
        await using var server = await FakeVendorServer.StartAsync();
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?>
        {
            ["Stages:rewrite:Temperature"] = "0.25",
            ["Stages:rewrite:MaxTokens"] = "321",
            ["Stages:rewrite:Prompt"] = "Make it spooky: {text}",
        });

        await RewriteAsync(host, "The house.");

        var body = Assert.Single(server.ChatRequests).Body;
        Assert.Contains("\"temperature\":0.25", body);
        Assert.Contains("321", body);
        Assert.Contains("Make it spooky: The house.", body);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }
        return -1;
    }
}

public sealed class KeyHygieneTests
{
    [Fact]
    public async Task TheKeyIsNeverWrittenToTheLogsEvenAtTraceLevel()
    {
        await using var server = await FakeVendorServer.StartAsync();
        var logs = new LogCapture();
        await using (var host = ProviderHost.Start(server, logs: logs))
        {
            await foreach (var _ in host.Provider<IRewriteProvider>().RewriteAsync("A story.", CancellationToken.None))
            {
            }
            await host.Provider<IImageProvider>().GenerateAsync(new ImageRequest("p", 1, 1, "n", "v", "wide", 64, 36), CancellationToken.None);
        }
        const string wrongKey = "sk-rejected-key-that-must-not-leak";
        await using (var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Providers:OpenAI:ApiKey"] = wrongKey }, logs))
        {
            await Assert.ThrowsAsync<MissingDependencyException>(async () =>
            {
                await foreach (var _ in host.Provider<IRewriteProvider>().RewriteAsync("A story.", CancellationToken.None))
                {
                }
            });
        }

        Assert.Contains(logs.Lines, l => l.Contains("/v1/chat/completions")); // the HTTP traffic was logged
        Assert.DoesNotContain(logs.Lines, l => l.Contains(FakeVendorServer.ApiKey) || l.Contains(wrongKey) || l.Contains("must-not-leak"));
    }
}

public sealed class OptionsTests
{
    [Fact]
    public async Task UnknownVideoApiIsRefusedNamingTheSetting()
    {
        await using var server = await FakeVendorServer.StartAsync();
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Providers:OpenAI:VideoApi"] = "kling" });

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => host.Get<Microsoft.Extensions.Options.IOptions<StageStream.Core.Providers.OpenAI.OpenAIOptions>>().Value);

        Assert.Contains("Providers:OpenAI:VideoApi must be 'openai' or 'seedance'", error.Message);
    }
}
