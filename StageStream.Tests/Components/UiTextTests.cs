using System.Globalization;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Web.Components.Shared;

namespace StageStream.Tests.Components;

public sealed class UiTextTests
{
    private static IReadOnlyDictionary<string, string> English => UiText.Table(CultureInfo.InvariantCulture)!;

    /// <summary>Every language file has every key of the English one; only MudBlazor's own texts (<c>Mud.*</c>) need no English line.</summary>
    [Fact]
    public void EveryLanguageHasEveryKey()
    {
        Assert.Equal(["en", "zh-CN"], UiText.Cultures);
        foreach (var culture in UiText.Cultures.Skip(1))
        {
            var table = UiText.Table(CultureInfo.GetCultureInfo(culture))!;
            Assert.Empty(English.Keys.Except(table.Keys));
            Assert.Empty(table.Keys.Where(k => !k.StartsWith("Mud.", StringComparison.Ordinal)).Except(English.Keys));
        }
    }

    [Fact]
    public void EveryStageStatusAndCameraMoveHasAName()
    {
        var keys = StageCatalog.Names.Select(s => "Stage." + s)
            .Concat(Enum.GetValues<StageStatus>().Select(s => "Status." + s.ToString().ToLowerInvariant()))
            .Concat(Enum.GetValues<ProjectStatus>().Select(s => "Status." + s.ToString().ToLowerInvariant()))
            .Concat(Enum.GetValues<CameraMove>().Select(m => "Camera." + m.ToWire()));
        Assert.All(keys, key => Assert.True(English.ContainsKey(key), key));
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

    [Fact]
    public void CoreRefusalsAreSaidInTheReadersLanguageFromTheirCode()
    {
        var text = new UiText();
        var refusal = new ConflictException("Stage input missing", "Stage 'storyboard' needs the output of 'rewrite'...")
            { Code = "stage_input_missing", Args = ["storyboard", "rewrite"] };
        var previous = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("zh-CN");
            Assert.Equal("“分镜生成”需要“文案改写”的结果，但它还不存在。请先运行“文案改写”。", text.Error(refusal));
            Assert.Equal("第 4/36 个运镜", text.Caption(StageNames.CameraMovement, 3, 36));
            Assert.Equal("特写", text.ShotType("close-up"));
            Assert.Equal("已取消", text.Message("Cancelled"));
            Assert.Equal("关闭对话框", new MudTexts(text)["MudDialog_Close"].Value);
            CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("en");
            Assert.Equal("Storyboard needs the result of Rewrite, which does not exist yet. Run Rewrite first.", text.Error(refusal));
            Assert.True(new MudTexts(text)["MudDialog_Close"].ResourceNotFound); // MudBlazor's own English
            Assert.Equal("A provider said no", text.Error(new InvalidOperationException("A provider said no")));
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }
}
