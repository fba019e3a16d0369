using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using StageStream.Core.Events;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;

namespace StageStream.Web.Diagnostics;

/// <summary>What the benchmark asks the driver to publish.</summary>
/// <param name="ProjectIds">Projects to stream to; each gets its own run.</param>
/// <param name="TokensPerSecond">Token rate per project.</param>
/// <param name="Seconds">How long to stream; tokens = rate x seconds unless <paramref name="Tokens"/> is given.</param>
/// <param name="Tokens">Exact number of tokens per project (a broadcast is 1).</param>
/// <param name="TokenText">The delta of each token (default "词").</param>
/// <param name="Stage">The stage the run belongs to (default rewrite).</param>
/// <param name="End">Publish <c>done</c> after the last token, which ends single-stage streams (default true).</param>
public sealed record BenchStreamsRequest(
    IReadOnlyList<string>? ProjectIds, double? TokensPerSecond, double? Seconds, int? Tokens, string? TokenText, string? Stage, bool? End);

/// <summary>
/// The ids published for one project, in order: every client of it must receive exactly these (a merged token
/// message stands for the tokens it joins); and when each was published (epoch ms), for per-token latency.
/// </summary>
public sealed record BenchProjectRun(string ProjectId, string RunId, IReadOnlyList<long> EventIds, IReadOnlyList<long> PublishedAtMs);

/// <param name="MaxLagMs">How far the driver fell behind its schedule at worst (the server could not keep the rate).</param>
public sealed record BenchStreamsResult(IReadOnlyList<BenchProjectRun> Projects, int Published, double ElapsedMs, double MaxLagMs);

/// <summary>
/// Publishes bench token streams through <see cref="IEventPublisher"/>, the path every real event takes,
/// so what the benchmark measures is the real transport, fan-out and SSE writing.
/// </summary>
internal static class BenchDriver
{
    public const int MaxProjects = 10_000;
    public const int MaxTokens = 1_000_000;

    public static async Task<Ok<BenchStreamsResult>> RunAsync(BenchStreamsRequest request, IEventPublisher publisher, CancellationToken ct)
    {
        var plan = Plan.From(request);
        var clock = Stopwatch.StartNew();
        var runs = new Task<(BenchProjectRun Run, double LagMs)>[plan.ProjectIds.Count];
        for (var i = 0; i < runs.Length; i++)
        {
            // Projects start out of phase, as independent jobs would, rather than all in the same millisecond.
            var phase = plan.Interval * i / runs.Length;
            runs[i] = StreamAsync(publisher, plan, plan.ProjectIds[i], phase, clock, ct);
        }
        var results = await Task.WhenAll(runs);
        return TypedResults.Ok(new BenchStreamsResult(
            [.. results.Select(r => r.Run)],
            results.Sum(r => r.Run.EventIds.Count),
            clock.Elapsed.TotalMilliseconds,
            results.Max(r => r.LagMs)));
    }

    private static async Task<(BenchProjectRun, double)> StreamAsync(
        IEventPublisher publisher, Plan plan, string projectId, TimeSpan phase, Stopwatch clock, CancellationToken ct)
    {
        // Off the request's thread at once, so one project's publishing never delays the start of the next.
        await Task.Yield();
        var runId = "bench-" + Guid.NewGuid().ToString("N")[..12];
        var template = new StageEvent { Type = EventTypes.Token, ProjectId = projectId, Stage = plan.Stage, RunId = runId };
        var ids = new List<long>(plan.Tokens + 2);
        var times = new List<long>(plan.Tokens + 2);
        var maxLag = 0.0;
        void Add(StageEvent e)
        {
            ids.Add(e.Id);
            times.Add(e.PublishedAtMs ?? 0);
        }

        Add(await publisher.PublishAsync(template with { Type = EventTypes.StageUpdate, Status = "running", Progress = 0, Message = "bench" }, ct));
        var start = clock.Elapsed + phase;
        for (var k = 0; k < plan.Tokens; k++)
        {
            var due = start + plan.Interval * k;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, ct);
            }
            maxLag = Math.Max(maxLag, (clock.Elapsed - due).TotalMilliseconds);
            Add(await publisher.PublishAsync(template with { Content = plan.TokenText }, ct));
        }
        if (plan.End)
        {
            Add(await publisher.PublishAsync(template with { Type = EventTypes.Done, Result = "bench" }, ct));
        }
        return (new BenchProjectRun(projectId, runId, ids, times), maxLag);
    }

    private sealed record Plan(IReadOnlyList<string> ProjectIds, int Tokens, TimeSpan Interval, string TokenText, string Stage, bool End)
    {
        public static Plan From(BenchStreamsRequest request)
        {
            var projectIds = request.ProjectIds?.Where(id => !string.IsNullOrWhiteSpace(id)).Distinct().ToList() ?? [];
            if (projectIds.Count is 0 or > MaxProjects)
            {
                throw new InvalidInputException("Bad project_ids", $"Give 1 to {MaxProjects} distinct 'project_ids'.");
            }
            var rate = request.TokensPerSecond ?? 50;
            if (!double.IsFinite(rate) || rate is <= 0 or > 10_000)
            {
                throw new InvalidInputException("Bad tokens_per_second", "'tokens_per_second' must be above 0 and at most 10000.");
            }
            var tokens = request.Tokens ?? (int)Math.Round(rate * (request.Seconds ?? 10));
            if (request.Seconds is { } seconds && (!double.IsFinite(seconds) || seconds is <= 0 or > 3600))
            {
                throw new InvalidInputException("Bad seconds", "'seconds' must be above 0 and at most 3600.");
            }
            if (tokens is < 0 or > MaxTokens)
            {
                throw new InvalidInputException("Bad tokens", $"'tokens' must be between 0 and {MaxTokens}.");
            }
            var stage = request.Stage ?? StageNames.Rewrite;
            if (!StageCatalog.IsValid(stage))
            {
                throw NotFoundException.Stage(stage);
            }
            var text = string.IsNullOrEmpty(request.TokenText) ? "词" : request.TokenText;
            return new Plan(projectIds, tokens, TimeSpan.FromSeconds(1 / rate), text, stage, request.End ?? true);
        }
    }
}
