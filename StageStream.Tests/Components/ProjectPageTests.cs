using Bunit;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Events;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Web.Components.Pages.Projects;

namespace StageStream.Tests.Components;

public sealed class ProjectPageTests : ComponentTest
{
    private IRenderedComponent<ProjectPage> RenderPage(string id)
    {
        var cut = Render<ProjectPage>(p => p.Add(c => c.Id, id));
        cut.WaitForAssertion(() => Assert.Equal("Live", cut.Find("[data-testid=live-status]").TextContent.Trim()));
        return cut;
    }

    private static string StatusOf(IRenderedComponent<ProjectPage> cut, string stage) =>
        cut.Find($"[data-testid=stage-{stage}]").GetAttribute("data-status")!;

    /// <summary>Runs all through the page and returns the rewrite run it queued, as Quartz would receive it.</summary>
    private async Task<(RunEvents Rewrite, RunEvents Pipeline)> RunAllAsync(IRenderedComponent<ProjectPage> cut, string projectId)
    {
        await cut.Find("[data-testid=run-all]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Single(Data.Queue.Runs));
        var run = Data.Queue.Runs[0];
        var project = await this.WithScopeAsync(sp => sp.GetRequiredService<ProjectService>().GetAsync(projectId, CancellationToken.None));
        return (new RunEvents(this.Publisher(), projectId, run.Stage, run.JobId, project.PipelineRunId),
            new RunEvents(this.Publisher(), projectId, StageNames.Pipeline, project.PipelineRunId, project.PipelineRunId));
    }

    [Fact]
    public async Task ShowsFiveStageCardsAndTheStoryBeforeAnyRun()
    {
        var project = await CreateProjectAsync();

        var cut = RenderPage(project.Id);

        Assert.Equal("The lighthouse", cut.Find("[data-testid=project-name]").TextContent);
        Assert.Equal(StageCatalog.Names.Select(s => $"stage-{s}"), cut.FindAll("[data-testid^=stage-]").Where(e => e.ClassList.Contains("mud-card")).Select(e => e.GetAttribute("data-testid")));
        Assert.All(StageCatalog.Names, stage => Assert.Equal("pending", StatusOf(cut, stage)));
        Assert.Contains("A keeper lights the lamp", cut.Markup);
        Assert.Empty(cut.FindAll("[data-testid=final-video]"));
    }

    [Fact]
    public async Task UploadsBackgroundMusicAndRefusesAFileThatIsNotAudio()
    {
        var project = await CreateProjectAsync();
        var cut = RenderPage(project.Id);
        var upload = cut.FindComponent<Microsoft.AspNetCore.Components.Forms.InputFile>();

        upload.UploadFiles(InputFileContent.CreateFromText("not audio", "notes.mp3"));
        cut.WaitForAssertion(() => Assert.Contains("notes.mp3", this.Services.GetRequiredService<MudBlazor.ISnackbar>().ShownSnackbars.Single().Message));
        Assert.Null((await this.WithScopeAsync(sp => sp.GetRequiredService<ProjectService>().GetAsync(project.Id, CancellationToken.None))).MusicPath);

        upload.UploadFiles(InputFileContent.CreateFromBinary(StageStream.Tests.Infrastructure.Media.ToneWav(1, 110), "hum.wav"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=music-player]")), TimeSpan.FromSeconds(20));
        var stored = await this.WithScopeAsync(sp => sp.GetRequiredService<ProjectService>().GetAsync(project.Id, CancellationToken.None));
        Assert.EndsWith(".wav", stored.MusicPath);

        await cut.Find("[data-testid=music-remove]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=music-player]")));
    }

    [Fact]
    public async Task RunAllQueuesTheRewriteAndStreamsItsTextIntoThePage()
    {
        var project = await CreateProjectAsync();
        var cut = RenderPage(project.Id);

        var (rewrite, _) = await RunAllAsync(cut, project.Id);
        Assert.Equal(StageNames.Rewrite, Data.Queue.Runs[0].Stage);
        cut.WaitForAssertion(() => Assert.Equal("queued", StatusOf(cut, StageNames.Rewrite)));
        cut.WaitForAssertion(() => Assert.Equal("The pipeline is running.", cut.Find("[data-testid=pipeline-message]").TextContent.Trim()));

        await rewrite.StageUpdateAsync("processing");
        await rewrite.TokenAsync("The keeper ");
        await rewrite.TokenAsync("waits.");
        await rewrite.ProgressAsync(60);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("processing", StatusOf(cut, StageNames.Rewrite));
            Assert.Equal("The keeper waits.", cut.Find("[data-testid=rewrite-text]").TextContent);
            Assert.Contains("60%", cut.Find("[data-testid=stage-rewrite]").TextContent);
        });
        Assert.Contains("Stop", cut.Find("[data-testid=stage-rewrite] [data-testid=stage-cancel]").OuterHtml, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task DoneMarksTheStageCompleted()
    {
        var project = await CreateProjectAsync();
        var cut = RenderPage(project.Id);
        var (rewrite, _) = await RunAllAsync(cut, project.Id);

        await rewrite.StageUpdateAsync("processing");
        await rewrite.TokenAsync("Done text");
        await rewrite.StageUpdateAsync("completed", 100);
        await rewrite.DoneAsync("Done text");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("completed", StatusOf(cut, StageNames.Rewrite));
            Assert.Equal("Done text", cut.Find("[data-testid=rewrite-text]").TextContent);
            Assert.NotNull(cut.Find("[data-testid=stage-rewrite] [data-testid=stage-rerun]"));
        });
    }

    [Fact]
    public async Task AFailedStageShowsItsErrorAndARetryButton()
    {
        var project = await CreateProjectAsync();
        var cut = RenderPage(project.Id);
        var (rewrite, pipeline) = await RunAllAsync(cut, project.Id);

        await rewrite.StageUpdateAsync("processing");
        await rewrite.PublishAsync(EventTypes.StageUpdate, e => e with { Status = "failed", Message = "Provider timed out" });
        await rewrite.ErrorAsync("Provider timed out");
        await pipeline.PublishAsync(EventTypes.PipelineError, e => e with { Error = "Stage 'rewrite' failed: Provider timed out" });

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("failed", StatusOf(cut, StageNames.Rewrite));
            Assert.Equal("Provider timed out", cut.Find("[data-testid=stage-rewrite] [data-testid=stage-error]").TextContent.Trim());
            Assert.NotNull(cut.Find("[data-testid=stage-rewrite] [data-testid=stage-retry]"));
            Assert.Equal("Stage 'rewrite' failed: Provider timed out", cut.Find("[data-testid=pipeline-error]").TextContent.Trim());
        });
    }

    [Fact]
    public async Task AStageThatCannotRunYetSaysWhyInsteadOfQueueing()
    {
        var project = await CreateProjectAsync();
        var snackbars = Render<MudBlazor.MudSnackbarProvider>();
        var cut = RenderPage(project.Id);

        await cut.Find("[data-testid=stage-storyboard] [data-testid=stage-run]").ClickAsync(new());

        snackbars.WaitForAssertion(() => Assert.Contains("which does not exist yet. Run", snackbars.Markup));
        Assert.Empty(Data.Queue.Runs);
    }

    [Fact]
    public async Task ShowsShotsImagesCameraMovesClipsAndTheFilmAndSavesStoryboardEdits()
    {
        var project = await CreateProjectAsync();
        await this.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<StageStreamDbContext>();
            var stored = await db.FindProjectAsync(project.Id, CancellationToken.None);
            stored!.RewrittenText = "The keeper lights the lamp.";
            stored.FinalVideoPath = $"{project.Id}/final.mp4";
            foreach (var stage in stored.Stages)
            {
                stage.Status = StageStatus.Completed;
            }
            await db.SaveChangesAsync();
            return 0;
        });
        // Added without the project loaded: see the report on Project.ShotsInOrder being mapped by EF.
        await this.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<StageStreamDbContext>();
            db.Shots.Add(new Shot
            {
                ProjectId = project.Id, Sequence = 1, Narration = "The lamp is lit.", VisualPrompt = "A lighthouse at dusk", ShotType = "wide", DurationSeconds = 3,
                ImagePath = $"{project.Id}/shot1.png", CameraMove = CameraMove.PushIn, CameraDescription = "Slowly closer", ClipPath = $"{project.Id}/shot1.mp4",
            });
            return await db.SaveChangesAsync();
        });

        var cut = RenderPage(project.Id);

        Assert.StartsWith($"/media/{project.Id}/shot1.png?v=", cut.Find("img[data-testid=shot-image]").GetAttribute("src"));
        Assert.Equal("Push in", cut.Find("[data-testid=camera-move]").TextContent.Trim());
        Assert.StartsWith($"/media/{project.Id}/shot1.mp4?v=", cut.Find("video[data-testid=shot-clip]").GetAttribute("src"));
        Assert.StartsWith($"/media/{project.Id}/final.mp4?v=", cut.Find("video[data-testid=final-video]").GetAttribute("src"));
        Assert.Equal("The keeper lights the lamp.", cut.Find("[data-testid=rewrite-text]").TextContent);

        await cut.Find("textarea[data-testid=shot-narration]").InputAsync(new() { Value = "The lamp burns bright." });
        await cut.Find("[data-testid=shot-save]").ClickAsync(new());

        var shot = await this.WithScopeAsync(async sp => (await sp.GetRequiredService<ProjectService>().GetAsync(project.Id, CancellationToken.None)).Shots.Single());
        Assert.Equal("The lamp burns bright.", shot.Narration);
        Assert.Equal("A lighthouse at dusk", shot.VisualPrompt);
        Assert.Null(shot.ImagePath); // the same logic as PATCH: the frame showed the old text
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("img[data-testid=shot-image]")));
    }

    [Fact]
    public void AnUnknownProjectSaysSo()
    {
        var cut = Render<ProjectPage>(p => p.Add(c => c.Id, "nope"));

        Assert.Equal("Project not found", cut.Find("[data-testid=not-found] h1").TextContent.Trim());
        Assert.Equal("/", cut.Find("[data-testid=back-home]").GetAttribute("href"));
    }
}
