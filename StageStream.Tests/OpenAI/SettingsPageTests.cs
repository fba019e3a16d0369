using Bunit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using StageStream.Core.Providers;
using StageStream.Core.Providers.OpenAI;
using StageStream.Web.Components.Pages.Settings;
using StageStream.Web.Components.Shared;

namespace StageStream.Tests.OpenAI;

public sealed class SettingsPageTests : BunitContext, IAsyncLifetime
{
    private bool _disposedAsync;

    /// <summary>The assertions below read the English texts of the page.</summary>
    public SettingsPageTests() => System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.GetCultureInfo("en");

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>MudBlazor's services are only async-disposable, so the context is disposed asynchronously.</summary>
    async Task IAsyncLifetime.DisposeAsync()
    {
        _disposedAsync = true;
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposedAsync)
        {
            base.Dispose(disposing);
        }
    }

    private void AddServices(FakeVendorServer server, IDictionary<string, string?>? overrides = null)
    {
        var values = ProviderHost.Settings(server);
        values["Stages:rewrite:Provider"] = "openai";
        values["Stages:rewrite:Temperature"] = "0.7";
        values["Stages:storyboard:Provider"] = "openai";
        values["Stages:storyboard:Model"] = "fake-planner";
        values["Stages:video_generation:Provider"] = "openai";
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        Services.AddLogging();
        Services.AddSingleton(TimeProvider.System);
        ProviderRegistry.Configure(Services);
        Services.AddOpenAIProviders();
        Services.AddSingleton<UiText>();
    }

    [Fact]
    public async Task ShowsProviderModelAndBaseUrlOfEachStageButNeverTheKey()
    {
        await using var server = await FakeVendorServer.StartAsync();
        AddServices(server);

        var page = Render<Settings>();

        Assert.Equal("openai", page.Find("[data-testid=provider-rewrite]").TextContent.Trim());
        Assert.Equal("fake-chat", page.Find("[data-testid=model-rewrite]").TextContent.Trim());
        Assert.Equal("fake-planner", page.Find("[data-testid=model-storyboard]").TextContent.Trim());
        Assert.Equal("fake-video (openai)", page.Find("[data-testid=model-video_generation]").TextContent.Trim());
        Assert.Equal(server.BaseUrl, page.Find("[data-testid=base-url-rewrite]").TextContent.Trim());
        Assert.Equal("offline", page.Find("[data-testid=provider-image_generation]").TextContent.Trim());
        Assert.Equal("—", page.Find("[data-testid=base-url-image_generation]").TextContent.Trim());
        Assert.Contains("temperature 0.7", page.Markup);
        Assert.Equal("set", page.Find("[data-testid=openai-key]").TextContent.Trim());
        Assert.DoesNotContain(FakeVendorServer.ApiKey, page.Markup);
    }

    [Fact]
    public async Task TestConnectionListsTheModels()
    {
        await using var server = await FakeVendorServer.StartAsync();
        AddServices(server);
        var page = Render<Settings>();

        page.Find("[data-testid=test-openai]").Click();

        page.WaitForAssertion(() => Assert.Contains(
            $"Connected to {server.Root.Authority}: 1 models including 'fake-chat'.", page.Find("[data-testid=openai-result]").TextContent),
            TimeSpan.FromSeconds(20));
        Assert.Contains(server.Requests, r => r.Path == "/v1/models");
    }

    [Fact]
    public async Task TestConnectionSaysWhenTheKeyIsRejected()
    {
        await using var server = await FakeVendorServer.StartAsync();
        AddServices(server, new Dictionary<string, string?> { ["Providers:OpenAI:ApiKey"] = "sk-not-the-right-one-123456" });
        var page = Render<Settings>();

        page.Find("[data-testid=test-openai]").Click();

        page.WaitForAssertion(() => Assert.Contains(
            "The API key for Providers:OpenAI was rejected (401)", page.Find("[data-testid=openai-result]").TextContent), TimeSpan.FromSeconds(20));
        Assert.DoesNotContain("sk-not-the-right-one-123456", page.Markup);
    }
}
