using StageStream.Core.Providers.Offline;
using StageStream.Core.Providers.OpenAI;

namespace StageStream.Web.Providers;

public static class ProviderExtensions
{
    /// <summary>Every provider, chosen per stage by <c>Stages:{stage}:Provider</c>; offline by default.</summary>
    public static void AddProviders(this WebApplicationBuilder builder)
    {
        builder.Services.AddOfflineProviders();
        builder.Services.AddOpenAIProviders();
    }
}
