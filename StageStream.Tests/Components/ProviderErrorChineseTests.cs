using System.Globalization;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Core.Providers.OpenAI;
using StageStream.Web.Components.Pages.Projects;
using StageStream.Web.Components.Shared;

namespace StageStream.Tests.Components;

/// <summary>
/// A provider's failure on the Chinese project page: the real runner fails the rewrite with what the OpenAI-compatible
/// provider makes of a 429 that lasted beyond its retries; the page says it in Chinese, live and after a reload, in the
/// stage card, the pipeline's error and the run history, while the API keeps the English detail.
/// </summary>
public sealed class ProviderErrorChineseTests : ComponentTest
{
    private const string Host = "127.0.0.1:9";

    public ProviderErrorChineseTests()
        : base(services =>
        {
            services.RemoveAll<IStageExecutor>();
            services.AddScoped<IStageExecutor, RateLimitedRewrite>();
        }) =>
        CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("zh-CN");

    [Fact]
    public async Task ARateLimitedProviderIsSaidInChineseOnThePageAndKeepsItsDetailInTheApi()
    {
        var project = await CreateProjectAsync();
        var cut = Render<ProjectPage>(p => p.Add(c => c.Id, project.Id));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=run-all]")));
        await cut.Find("[data-testid=run-all]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Single(Data.Queue.Runs));

        await this.WithScopeAsync(sp => sp.GetRequiredService<StageRunner>().RunAsync(Data.Queue.Runs[0], CancellationToken.None));

        const string said = Host + " 因速率限制或配额一直拒绝请求（已重试 3 次）。请稍后再试。";
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("failed", cut.Find("[data-testid=stage-rewrite]").GetAttribute("data-status"));
            Assert.Equal(said, cut.Find("[data-testid=stage-rewrite] [data-testid=stage-error]").TextContent.Trim());
            Assert.Equal("阶段“文案改写”失败：" + said, cut.Find("[data-testid=pipeline-error]").TextContent.Trim());
        });
        Assert.DoesNotContain("Rate limit reached", cut.Markup);

        // What the API answers: the English detail in "error", the code beside it.
        var stage = (await this.WithScopeAsync(sp => sp.GetRequiredService<ProjectService>().GetAsync(project.Id, CancellationToken.None))).Stage(StageNames.Rewrite);
        Assert.Contains("kept refusing with 429", stage.Error);
        Assert.Contains("Rate limit reached", stage.Error);
        var code = CodedError.FromJson(stage.ErrorCode)!;
        Assert.Equal("provider_rate_limited", code.Code);
        Assert.Equal([Host, "3"], code.Args);

        // A new page reads it from the database: the card and the run history say it in Chinese too.
        var reloaded = Render<ProjectPage>(p => p.Add(c => c.Id, project.Id));
        reloaded.WaitForAssertion(() => Assert.Equal(said, reloaded.Find("[data-testid=stage-rewrite] [data-testid=stage-error]").TextContent.Trim()));
        var runs = await Services.GetRequiredService<ProjectActions>().RunsAsync(project.Id);
        var history = Render<RunHistory>(p => p.Add(c => c.Runs, runs));
        Assert.Contains(said, history.Find("[data-testid=run-history]").TextContent);
        Assert.DoesNotContain("kept refusing", history.Markup);
    }

    [Fact]
    public void AStageFailedBecauseAShotsFfmpegFailedIsSaidInChineseCauseByCause()
    {
        var ffmpeg = new StageStream.Core.Providers.ProviderException("ffmpeg failed with exit code 1: Invalid argument") { Code = "tool_failed", Args = ["ffmpeg", 1] };
        var shots = CodedError.Of(new ShotsFailedException(StageNames.VideoGeneration, [2, 5], ffmpeg))!;
        var stage = new CodedError("stage_failed", [StageNames.VideoGeneration], shots);

        Assert.Equal("阶段“图生视频”失败：镜头 2, 5 失败：ffmpeg 运行失败（退出码 1）。 重新运行此阶段将只重试失败的镜头。", new UiText().Error(stage, "Stage 'video_generation' failed"));
        // A cause without a code is said as it is, inside the Chinese sentence.
        var plain = CodedError.Of(new ShotsFailedException(StageNames.ImageGeneration, [3], new InvalidOperationException("disk on fire")))!;
        Assert.Equal("镜头 3 失败：disk on fire 重新运行此阶段将只重试失败的镜头。", new UiText().Error(plain, null));
    }

    /// <summary>The rewrite, failing as the OpenAI-compatible provider fails after its retries of a 429.</summary>
    private sealed class RateLimitedRewrite : IStageExecutor
    {
        public string Stage => StageNames.Rewrite;

        public Task<StageOutcome> ExecuteAsync(StageContext context, CancellationToken cancellationToken) =>
            throw OpenAIErrors.FromStatus(429, """{"error":{"message":"Rate limit reached for requests"}}""",
                new ErrorContext(StageNames.Rewrite, "gpt-test", new Uri($"http://{Host}/v1"), new OpenAIOptions { MaxRetries = 3 }));
    }
}
