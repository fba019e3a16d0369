using System.Globalization;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Web.Components.Shared;

namespace StageStream.Tests.Components;

public sealed class UiTextTests
{
    [Fact]
    public void EnglishAndChineseHaveTheSameKeys()
    {
        Assert.Empty(UiText.English.Keys.Except(UiText.Chinese.Keys));
        Assert.Empty(UiText.Chinese.Keys.Except(UiText.English.Keys));
    }

    [Fact]
    public void EveryStageStatusAndCameraMoveHasAName()
    {
        var keys = StageCatalog.Names.Select(s => "Stage." + s)
            .Concat(Enum.GetValues<StageStatus>().Select(s => "Status." + s.ToString().ToLowerInvariant()))
            .Concat(Enum.GetValues<ProjectStatus>().Select(s => "Status." + s.ToString().ToLowerInvariant()))
            .Concat(Enum.GetValues<CameraMove>().Select(m => "Camera." + m.ToWire()));
        Assert.All(keys, key => Assert.True(UiText.English.ContainsKey(key), key));
    }

    [Theory]
    [InlineData("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN")]
    [InlineData("zh-TW", "zh-CN")]
    [InlineData("zh-Hans-CN", "zh-CN")]
    [InlineData("en-US,en;q=0.9,zh-CN;q=0.8", "en")]
    [InlineData("fr-FR,zh;q=0.5,en;q=0.4", "zh-CN")]
    [InlineData("fr-FR,de;q=0.5", null)]
    [InlineData("", null)]
    public void TheBrowsersLanguagesPickEnglishOrChinese(string header, string? expected) =>
        Assert.Equal(expected, UiText.FromAcceptLanguage(header));

    [Fact]
    public void LooksUpByTheCurrentUiCulture()
    {
        Assert.Equal("新建项目", UiText.Lookup("Projects.New", CultureInfo.GetCultureInfo("zh-CN")));
        Assert.Equal("New project", UiText.Lookup("Projects.New", CultureInfo.GetCultureInfo("en-GB")));
        Assert.Equal("No.Such.Key", UiText.Lookup("No.Such.Key", CultureInfo.GetCultureInfo("zh-CN")));
    }
}
