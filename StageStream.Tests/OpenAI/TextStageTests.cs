using StageStream.Core.Projects;
using StageStream.Core.Providers;
using StageStream.Core.Providers.OpenAI;

namespace StageStream.Tests.OpenAI;

public sealed class TextStageTests
{
    private const string ValidStoryboard =
        """{"scenes":[{"narration":"夜里，龙醒了。","visual_prompt":"A dragon opening its eyes in a dark cave","shot_type":"close-up","duration":4},""" +
        """{"narration":"It flew over the town.","visual_prompt":"A dragon above rooftops at dawn","shot_type":"wide","duration":"6"}]}""";

    [Fact]
    public void ThinkFilterHoldsBackOnlyWhatMightBeATagWhereverTheChunksSplit()
    {
        const string answer = "<think>weigh it up</think>\n\nA <b>bold</b> answer < 5 and <thin ice>.";
        for (var cut = 0; cut <= answer.Length; cut++)
        {
            for (var cut2 = cut; cut2 <= answer.Length; cut2 += 3)
            {
                var filter = new ThinkFilter();
                var text = filter.Push(answer[..cut]) + filter.Push(answer[cut..cut2]) + filter.Push(answer[cut2..]) + filter.Flush();
                Assert.Equal("A <b>bold</b> answer < 5 and <thin ice>.", text);
            }
        }
        var streaming = new ThinkFilter();
        Assert.Equal("Hello wor", streaming.Push("Hello wor"));
        Assert.Equal("", streaming.Push("<thi"));
        Assert.Equal("<thing", streaming.Push("ng"));
    }

    [Fact]
    public async Task StoryboardJsonIsParsedAndStreamedAsTokens()
    {
        await using var server = await FakeVendorServer.StartAsync();
        server.ChatReplies.Enqueue(FakeVendorServer.Sse("```json\n", ValidStoryboard[..40], ValidStoryboard[40..], "\n```"));
        await using var host = ProviderHost.Start(server);
        var tokens = new List<string>();

        var shots = await host.Provider<IStoryboardProvider>().PlanAsync("The dragon story.", StoryboardTarget.None, t => { tokens.Add(t); return ValueTask.CompletedTask; }, CancellationToken.None);

        Assert.Equal(2, shots.Count);
        Assert.Equal(new ShotDraft("夜里，龙醒了。", "A dragon opening its eyes in a dark cave", "close-up", 4), shots[0]);
        Assert.Equal(6, shots[1].DurationSeconds);
        Assert.True(tokens.Count >= 3);
        Assert.Contains("scenes", Assert.Single(server.ChatRequests).Body);
    }

    [Fact]
    public async Task InvalidStoryboardJsonGetsOneRepairRequestQuotingTheProblem()
    {
        await using var server = await FakeVendorServer.StartAsync();
        server.ChatReplies.Enqueue(FakeVendorServer.Sse("""{"scenes":[{"narration":"One","shot_type":"wide","duration":3}]}"""));
        server.ChatReplies.Enqueue(FakeVendorServer.Sse(ValidStoryboard));
        await using var host = ProviderHost.Start(server);

        var shots = await host.Provider<IStoryboardProvider>().PlanAsync("The dragon story.", StoryboardTarget.None, _ => ValueTask.CompletedTask, CancellationToken.None);

        Assert.Equal(2, shots.Count);
        var messages = System.Text.Json.Nodes.JsonNode.Parse(server.ChatRequests.ToList()[1].Body)!["messages"]!.AsArray();
        Assert.Equal("assistant", messages[^2]!["role"]!.ToString()); // the bad answer is quoted back
        Assert.Contains("\"narration\":\"One\"", messages[^2]!["content"]!.ToString());
        Assert.Contains("scene 1 has no \"visual_prompt\" text", messages[^1]!["content"]!.ToString());
    }

    [Fact]
    public async Task StoryboardStillInvalidAfterRepairFailsSayingWhatWasWrong()
    {
        await using var server = await FakeVendorServer.StartAsync();
        server.ChatReplies.Enqueue(FakeVendorServer.Sse("Sure! Here is your storyboard: scene one, a dragon."));
        server.ChatReplies.Enqueue(FakeVendorServer.Sse("""{"scenes":[{"narration":"One","visual_prompt":"x","duration":"forever"}]}"""));
        await using var host = ProviderHost.Start(server);

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            host.Provider<IStoryboardProvider>().PlanAsync("The dragon story.", StoryboardTarget.None, _ => ValueTask.CompletedTask, CancellationToken.None));

        Assert.Contains("even after one repair request", error.Message);
        Assert.Contains("scene 1 has \"duration\" \"forever\"", error.Message);
        Assert.Contains("contains no JSON object", error.Message);
        Assert.Equal(2, server.ChatRequests.Count());
    }

    [Theory]
    [InlineData("""{"move":"push-in","description":"Slowly closes in on the dragon's eye."}""", CameraMove.PushIn, "Slowly closes in on the dragon's eye.")]
    [InlineData("""{"move":"Pan Left","description":"Follows the flight."}""", CameraMove.PanLeft, "Follows the flight.")]
    [InlineData("The camera slowly zooms out to reveal the whole town.", CameraMove.PullOut, "The camera slowly zooms out to reveal the whole town.")]
    [InlineData("<think>maybe a pan right?</think>A locked-off static frame; nothing moves.", CameraMove.Static, "A locked-off static frame; nothing moves.")]
    [InlineData("""{"move":"crane","description":"The camera tilts up to the sky."}""", CameraMove.TiltUp, "The camera tilts up to the sky.")]
    public async Task CameraAnswerIsMappedOntoTheFixedMovesKeepingItsDescription(string answer, CameraMove move, string description)
    {
        await using var server = await FakeVendorServer.StartAsync();
        server.ChatReplies.Enqueue(FakeVendorServer.Sse(answer[..(answer.Length / 2)], answer[(answer.Length / 2)..]));
        await using var host = ProviderHost.Start(server);

        var plan = await host.Provider<ICameraProvider>().PlanAsync(
            new CameraRequest(2, 5, "It flew over the town.", "A dragon above rooftops", "wide", 6), CancellationToken.None);

        Assert.Equal(move, plan.Move);
        Assert.Equal(description, plan.Description);
        Assert.Contains("shot 2 of 5", Assert.Single(server.ChatRequests).Body);
    }
}
