using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StageStream.Core.Providers;
using StageStream.Core.Providers.Offline;

namespace StageStream.Tests.Providers;

public sealed class OfflineProviderRegistrationTests
{
    [Fact]
    public void EveryStageHasAnOfflineProvider()
    {
        using var services = OfflineServices.Create();

        Assert.Equal("offline", Assert.Single(services.GetServices<IRewriteProvider>()).Name);
        Assert.Equal("offline", Assert.Single(services.GetServices<IStoryboardProvider>()).Name);
        Assert.Equal("offline", Assert.Single(services.GetServices<IImageProvider>()).Name);
        Assert.Equal("offline", Assert.Single(services.GetServices<ICameraProvider>()).Name);
        Assert.Equal("offline", Assert.Single(services.GetServices<IVideoProvider>()).Name);
        Assert.IsType<FfmpegFilmAssembler>(services.GetRequiredService<IFilmAssembler>());
    }

    [Fact]
    public void OtherProvidersSitBesideTheOfflineOnesAndAnAssemblerRegisteredFirstWins()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddSingleton<IFilmAssembler, NoFilm>();
        services.AddSingleton<IRewriteProvider, OtherRewrite>();
        services.AddOfflineProviders();
        using var provider = services.BuildServiceProvider();

        Assert.Equal(["other", "offline"], provider.GetServices<IRewriteProvider>().Select(p => p.Name));
        Assert.IsType<NoFilm>(provider.GetRequiredService<IFilmAssembler>());
    }

    [Fact]
    public void OptionsAreBoundAndValidated()
    {
        using (var services = OfflineServices.Create(new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "12.5" }))
        {
            Assert.Equal(12.5, services.GetRequiredService<IOptions<OfflineOptions>>().Value.TokensPerSecond);
        }
        using (var services = OfflineServices.Create(new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = null }))
        {
            Assert.Equal(30, services.GetRequiredService<IOptions<OfflineOptions>>().Value.TokensPerSecond);
        }
        using (var services = OfflineServices.Create(new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "-1" }))
        {
            var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<OfflineOptions>>().Value);
            Assert.Contains("TokensPerSecond", error.Message);
        }
        using (var services = OfflineServices.Create(new Dictionary<string, string?> { ["Providers:Offline:X264Preset"] = "fastest" }))
        {
            Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<OfflineOptions>>().Value);
        }
    }

    private sealed class NoFilm : IFilmAssembler
    {
        public Task AssembleAsync(FilmRequest request, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class OtherRewrite : IRewriteProvider
    {
        public string Name => "other";

        public IAsyncEnumerable<string> RewriteAsync(string originalText, CancellationToken cancellationToken) => AsyncEnumerable.Empty<string>();
    }
}
