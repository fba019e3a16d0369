using Bunit;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Projects;

namespace StageStream.Tests.Components;

/// <summary>A bUnit context with the test services, English pages and a temp database of its own.</summary>
public abstract class ComponentTest : BunitContext
{
    protected ComponentTest(Action<IServiceCollection>? configure = null)
    {
        System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.GetCultureInfo("en");
        Data = this.AddTestServices(configure);
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
    }

    protected TestData Data { get; }

    protected Task<Project> CreateProjectAsync(string name = "The lighthouse", string text = "A keeper lights the lamp every night. One night a ship comes.") =>
        this.WithScopeAsync(sp => sp.GetRequiredService<ProjectService>().CreateAsync(name, text, CancellationToken.None));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Data.Dispose();
        }
    }
}
