using StageStream.Core.Events;
using StageStream.Core.Events.Log;

namespace StageStream.Tests.Streaming;

/// <summary>A new subscriber reads the suffix of the retained history its stream needs, found by the run-start index.</summary>
public sealed class RunStartIndexTests
{
    private long _id;

    [Fact]
    public void NewSubscriberReadsFromTheStartOfItsStreamsLatestRun()
    {
        var events = new List<StageEvent>();
        for (var i = 0; i < 50; i++)
        {
            events.AddRange(Run("rewrite", $"old-{i}", tokens: 20));
        }
        var latestRewrite = Run("rewrite", "latest", tokens: 5);
        var storyboard = Run("storyboard", "board", tokens: 3);
        var cache = new EventCache([.. events, .. latestRewrite, .. storyboard]);

        Assert.Equal(latestRewrite[0].Id, cache.ForStream("rewrite", afterId: null)[0].Id);
        Assert.Equal(storyboard[0].Id, cache.ForStream("storyboard", afterId: null)[0].Id);
        Assert.Equal(storyboard[0].Id, cache.ForStream(stage: null, afterId: null)[0].Id);
        // A stage that never ran: just the last event, whose id is where its stream starts waiting.
        Assert.Equal([storyboard[^1].Id], cache.ForStream("camera_movement", afterId: null).Select(e => e.Id));

        // A resume in the middle of the latest rewrite run reads that run from its start (for the text sent before).
        var suffix = cache.ForStream("rewrite", afterId: latestRewrite[3].Id);
        Assert.Equal(latestRewrite[0].Id, suffix[0].Id);
        // A resume in an older run reads from that run's start, however old.
        var old = events.Where(e => e.RunId == "old-10").ToList();
        Assert.Equal(old[0].Id, cache.ForStream("rewrite", afterId: old[5].Id)[0].Id);

        // The plan made from the suffix is the one made from the whole history.
        foreach (var (stage, afterId) in new (string?, long?)[] { ("rewrite", null), (null, null), ("rewrite", latestRewrite[3].Id), ("rewrite", old[5].Id), ("storyboard", latestRewrite[^1].Id) })
        {
            var whole = EventSubscriptions.ReplayPlan.For(cache.Events, stage, afterId);
            var part = EventSubscriptions.ReplayPlan.For(cache.ForStream(stage, afterId), stage, afterId);
            Assert.Equal(whole.StartId, part.StartId);
            Assert.Equal(whole.AlreadyEnded, part.AlreadyEnded);
            Assert.Equal(whole.Messages().Select(m => (m.Id, m.FullText)), part.Messages().Select(m => (m.Id, m.FullText)));
        }
    }

    private List<StageEvent> Run(string stage, string runId, int tokens)
    {
        StageEvent Next(string type, Func<StageEvent, StageEvent>? with = null)
        {
            var e = new StageEvent { Id = ++_id, Type = type, ProjectId = "p", Stage = stage, RunId = runId, Timestamp = 1 };
            return with is null ? e : with(e);
        }
        var run = new List<StageEvent> { Next(EventTypes.StageUpdate, e => e with { Status = "processing" }) };
        run.AddRange(Enumerable.Range(0, tokens).Select(i => Next(EventTypes.Token, e => e with { Content = $"{runId}:{i} " })));
        run.Add(Next(EventTypes.Done, e => e with { FullText = "" }));
        return run;
    }
}
