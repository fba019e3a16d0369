using Bunit;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Projects;

namespace StageStream.Tests.Components;

/// <summary>A bUnit context with the test services, English pages and a temp database of its own.</summary>
public abstract class ComponentTest : BunitContext, IAsyncLifetime
{
    private bool _disposedAsync;

    protected ComponentTest(Action<IServiceCollection>? configure = null)
    {
        System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.GetCultureInfo("en");
        Data = this.AddTestServices(configure);
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
    }

    protected TestData Data { get; }

    protected Task<Project> CreateProjectAsync(string name = "The lighthouse", string text = "A keeper lights the lamp every night. One night a ship comes.") =>
        this.WithScopeAsync(sp => sp.GetRequiredService<ProjectService>().CreateAsync(name, text, CancellationToken.None));

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>MudBlazor's services are only async-disposable, so the context is disposed asynchronously.</summary>
    async Task IAsyncLifetime.DisposeAsync()
    {
        _disposedAsync = true;
        await base.DisposeAsync();
        Data.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposedAsync)
        {
            base.Dispose(disposing);
        }
    }
}
