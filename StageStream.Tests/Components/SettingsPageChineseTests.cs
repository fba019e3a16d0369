using System.Globalization;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Providers;
using StageStream.Core.Providers.OpenAI;
using StageStream.Web.Components.Pages.Settings;

namespace StageStream.Tests.Components;

/// <summary>The settings page in Simplified Chinese, with the providers as the app registers them and nothing configured.</summary>
public sealed class SettingsPageChineseTests : ComponentTest
{
    public SettingsPageChineseTests()
        : base(services =>
        {
            services.AddSingleton(TimeProvider.System);
            ProviderRegistry.Configure(services);
            services.AddOpenAIProviders();
        }) =>
        CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("zh-CN");

    [Fact]
    public void SpeaksChineseUnderTheZhCnCulture()
    {
        var page = Render<Settings>();

        Assert.Equal("设置", page.Find("h1").TextContent.Trim());
        Assert.Contains(page.FindAll("code"), c => c.TextContent == "Stages__rewrite__Provider=openai");
        Assert.Equal("服务商", page.Find("h2").TextContent.Trim());
        Assert.Equal("未设置（Providers:OpenAI:ApiKey）", page.Find("[data-testid=openai-key]").TextContent.Trim());
        Assert.Equal("测试连接", page.Find("[data-testid=test-offline]").TextContent.Trim());
        Assert.DoesNotContain("Test connection", page.Markup);
        Assert.DoesNotContain("Settings.", page.Markup);

        page.Find("[data-testid=test-offline]").Click();

        page.WaitForAssertion(() => Assert.Contains("内置服务：无需连接。", page.Find("[data-testid=provider-offline]").TextContent));
    }
}
