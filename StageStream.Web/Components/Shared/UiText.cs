using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace StageStream.Web.Components.Shared;

/// <summary>
/// The pages' words in English and Simplified Chinese, chosen by the circuit's UI culture (the
/// browser's languages, or the app bar switch's cookie). A table in code rather than .resx files:
/// the two languages sit side by side, and a test checks that neither misses a key.
/// </summary>
public sealed class UiText
{
    public static readonly string[] Cultures = ["en", "zh-CN"];

    public string this[string key] => Lookup(key, CultureInfo.CurrentUICulture);

    public string Format(string key, params object?[] args) =>
        string.Format(CultureInfo.CurrentCulture, this[key], args);

    /// <summary>Times are shown in UTC, the same for every reader of a shared project.</summary>
    public string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    public static bool IsChinese(CultureInfo culture) => culture.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase);

    public static string Lookup(string key, CultureInfo culture)
    {
        var table = IsChinese(culture) ? Chinese : English;
        return table.TryGetValue(key, out var text) || English.TryGetValue(key, out text) ? text : key;
    }

    /// <summary>The first supported language in the browser's Accept-Language, by quality: any zh-* means zh-CN.</summary>
    public static string? FromAcceptLanguage(string? header)
    {
        if (string.IsNullOrWhiteSpace(header) || !StringWithQualityHeaderValue.TryParseList(header.Split(','), out var values))
        {
            return null;
        }
        foreach (var value in values.OrderByDescending(v => v.Quality ?? 1))
        {
            var language = value.Value.ToString();
            if (language.StartsWith("zh", StringComparison.OrdinalIgnoreCase))
            {
                return "zh-CN";
            }
            if (language.StartsWith("en", StringComparison.OrdinalIgnoreCase))
            {
                return "en";
            }
        }
        return null;
    }

    public static IReadOnlyDictionary<string, string> English { get; } = new Dictionary<string, string>
    {
        ["Nav.Projects"] = "Projects",
        ["Nav.SseDemo"] = "SSE demo",
        ["Nav.Settings"] = "Settings",
        ["NotFound"] = "Nothing here: the page does not exist.",
        ["UnhandledError"] = "An unhandled error has occurred.",
        ["Reload"] = "Reload",
        ["Cancel"] = "Cancel",
        ["Save"] = "Save",

        ["Projects.Title"] = "Projects",
        ["Projects.New"] = "New project",
        ["Projects.Name"] = "Name",
        ["Projects.Status"] = "Status",
        ["Projects.Created"] = "Created",
        ["Projects.Updated"] = "Updated",
        ["Projects.Empty"] = "No projects yet. Create one and paste a story.",

        ["NewProject.Name"] = "Name",
        ["NewProject.NameRequired"] = "Give the project a name.",
        ["NewProject.Text"] = "Story",
        ["NewProject.TextHelp"] = "The text to turn into a film.",
        ["NewProject.TextRequired"] = "Paste the story to turn into a film.",
        ["NewProject.TooLong"] = "At most {0:N0} characters.",
        ["NewProject.Create"] = "Create",
        ["NewProject.Aspect"] = "Shape",
        ["NewProject.Aspect.16:9"] = "16:9 landscape",
        ["NewProject.Aspect.9:16"] = "9:16 portrait",
        ["NewProject.Aspect.1:1"] = "1:1 square",
        ["NewProject.Length"] = "Length",
        ["NewProject.Length.Auto"] = "As the story needs",
        ["NewProject.Length.Seconds"] = "About this many seconds",
        ["NewProject.Length.Shots"] = "This many shots",
        ["NewProject.TargetSeconds"] = "Seconds",
        ["NewProject.TargetShots"] = "Shots",
        ["NewProject.Burn"] = "Burn the subtitles into the picture",
        ["NewProject.Voice"] = "Voice (optional)",
        ["NewProject.VoiceHelp"] = "Empty: the configured voice (offline: Mandarin or English by the text).",

        ["Status.draft"] = "Draft",
        ["Status.running"] = "Running",
        ["Status.completed"] = "Completed",
        ["Status.failed"] = "Failed",
        ["Status.cancelled"] = "Cancelled",
        ["Status.pending"] = "Pending",
        ["Status.queued"] = "Queued",
        ["Status.processing"] = "Processing",
        ["Status.skipped"] = "Skipped",
        ["Status.interrupted"] = "Interrupted",

        ["Stage.rewrite"] = "Rewrite",
        ["Stage.storyboard"] = "Storyboard",
        ["Stage.image_generation"] = "Images",
        ["Stage.camera_movement"] = "Camera moves",
        ["Stage.video_generation"] = "Video",
        ["Stage.Run"] = "Run",
        ["Stage.Rerun"] = "Run again",
        ["Stage.Retry"] = "Retry",
        ["Stage.Cancel"] = "Cancel",

        ["Camera.static"] = "Static",
        ["Camera.push_in"] = "Push in",
        ["Camera.pull_out"] = "Pull out",
        ["Camera.pan_left"] = "Pan left",
        ["Camera.pan_right"] = "Pan right",
        ["Camera.tilt_up"] = "Tilt up",
        ["Camera.tilt_down"] = "Tilt down",

        ["Live.Connected"] = "Live",
        ["Live.Disconnected"] = "Not live",
        ["Pipeline.RunAll"] = "Run all",
        ["Pipeline.Cancel"] = "Cancel",
        ["Pipeline.RewriteView"] = "Rewrite view",
        ["Pipeline.Started"] = "The pipeline is running.",
        ["Pipeline.Cancelled"] = "The pipeline was cancelled.",
        ["Pipeline.Done"] = "The pipeline is done: the film is ready.",

        ["Tab.Text"] = "Text",
        ["Tab.Storyboard"] = "Storyboard",
        ["Tab.Images"] = "Images",
        ["Tab.Video"] = "Video",
        ["Text.Original"] = "Original story",
        ["Text.Rewritten"] = "Rewritten",
        ["Storyboard.None"] = "No storyboard yet: run the storyboard stage.",
        ["Storyboard.Narration"] = "Narration",
        ["Storyboard.VisualPrompt"] = "Visual prompt",
        ["Storyboard.Shot"] = "Shot",
        ["Storyboard.Camera"] = "Camera",
        ["Storyboard.Locked"] = "The storyboard can be edited when no stage is running.",
        ["Storyboard.Saved"] = "Shot {0} saved: its image and clip will be made again.",
        ["Images.None"] = "No images yet.",
        ["Video.Final"] = "Final film",
        ["Video.Subtitles"] = "Subtitles",
        ["Video.Music"] = "Background music",
        ["Video.MusicNone"] = "none (mp3, m4a, wav or ogg; it ducks under the narration)",
        ["Video.MusicRemove"] = "Remove",
        ["Video.MusicSaved"] = "Music saved; the film is made again on the next run.",
        ["Video.NoFinal"] = "No film yet.",

        ["Rewrite.Title"] = "Rewriting the story…",
        ["Rewrite.Connecting"] = "Connecting…",
        ["Rewrite.Processing"] = "Generating…",
        ["Rewrite.Done"] = "Done!",
        ["Rewrite.Error"] = "Error: {0}",
        ["Rewrite.UnknownError"] = "Unknown error",

        ["Sse.Title"] = "SSE debug panel",
        ["Sse.Intro"] = "Reads a project's stream with the browser's EventSource through /js/stagestream-sse.js and lists every message.",
        ["Sse.ProjectId"] = "Project id",
        ["Sse.PickProject"] = "Pick a project",
        ["Sse.Stage"] = "Stage",
        ["Sse.AllStages"] = "All stages",
        ["Sse.AutoReconnect"] = "Auto-reconnect",
        ["Sse.Connect"] = "Connect",
        ["Sse.Disconnect"] = "Disconnect",
        ["Sse.Clear"] = "Clear",
        ["Sse.Status.Disconnected"] = "Disconnected",
        ["Sse.Status.Connecting"] = "Connecting",
        ["Sse.Status.Connected"] = "Connected",
        ["Sse.Status.Reconnecting"] = "Reconnecting",
        ["Sse.Received"] = "{0} messages",
        ["Sse.Time"] = "Time (UTC)",
        ["Sse.EventId"] = "Id",
        ["Sse.Type"] = "Type",
        ["Sse.Payload"] = "Payload",
        ["Sse.NoMessages"] = "No messages yet.",
        ["Sse.TokenText"] = "Text from tokens",
        ["Sse.TokensMatch"] = "matches full_text",
        ["Sse.TokensMismatch"] = "differs from full_text",
        ["Sse.Reconnects"] = "{0} reconnects",

        ["Settings.Title"] = "Settings",
        ["Settings.Intro"] = "What each stage runs on. Settings come from configuration (appsettings.json or environment variables such as {0} and {1}); keys are never shown.",
        ["Settings.Stage"] = "Stage",
        ["Settings.Provider"] = "Provider",
        ["Settings.Model"] = "Model",
        ["Settings.BaseUrl"] = "Base URL",
        ["Settings.Sampling"] = "Sampling",
        ["Settings.Prompt"] = "Prompt",
        ["Settings.PromptCustom"] = "custom",
        ["Settings.PromptDefault"] = "default",
        ["Settings.Temperature"] = "temperature {0:0.##}",
        ["Settings.MaxTokens"] = "max {0} tokens",
        ["Settings.ModelDefault"] = "model default",
        ["Settings.NotSet"] = "not set",
        ["Settings.NotSetKey"] = "not set ({0})",
        ["Settings.Set"] = "set",
        ["Settings.Providers"] = "Providers",
        ["Settings.Narration"] = "Narration voice (Narration:*)",
        ["Settings.Voice"] = "Voice",
        ["Settings.VoiceOfflineDefault"] = "espeak-ng: Mandarin (cmn) or English (en-us), by the text",
        ["Settings.VoiceOpenAIDefault"] = "alloy",
        ["Settings.Loudness"] = "Film loudness",
        ["Settings.LoudnessValue"] = "{0} LUFS (EBU R128)",
        ["Settings.OfflineAbout"] = "Built in: text, frames and ffmpeg camera moves on this machine. No key, no network.",
        ["Settings.OfflineResult"] = "Built in: nothing to connect to.",
        ["Settings.TestConnection"] = "Test connection",
        ["Settings.NoAnswer"] = "No answer within {0} s.",
        ["Settings.ApiKey"] = "API key",
        ["Settings.ChatModel"] = "Chat model",
        ["Settings.ImageModel"] = "Image model",
        ["Settings.Video"] = "Video",
        ["Settings.VideoValue"] = "{0} ({1} API)",
        ["Settings.RetriesTimeout"] = "Retries, timeout",
        ["Settings.RetriesValue"] = "{0} retries, {1:0.#} s per request",
    };

    public static IReadOnlyDictionary<string, string> Chinese { get; } = new Dictionary<string, string>
    {
        ["Nav.Projects"] = "项目",
        ["Nav.SseDemo"] = "SSE 演示",
        ["Nav.Settings"] = "设置",
        ["NotFound"] = "页面不存在。",
        ["UnhandledError"] = "发生了未处理的错误。",
        ["Reload"] = "重新加载",
        ["Cancel"] = "取消",
        ["Save"] = "保存",

        ["Projects.Title"] = "项目",
        ["Projects.New"] = "新建项目",
        ["Projects.Name"] = "名称",
        ["Projects.Status"] = "状态",
        ["Projects.Created"] = "创建时间",
        ["Projects.Updated"] = "更新时间",
        ["Projects.Empty"] = "还没有项目。新建一个并粘贴故事吧。",

        ["NewProject.Name"] = "名称",
        ["NewProject.NameRequired"] = "请填写项目名称。",
        ["NewProject.Text"] = "故事",
        ["NewProject.TextHelp"] = "要变成影片的文本。",
        ["NewProject.TextRequired"] = "请粘贴要变成影片的故事。",
        ["NewProject.TooLong"] = "最多 {0:N0} 个字符。",
        ["NewProject.Create"] = "创建",
        ["NewProject.Aspect"] = "画幅",
        ["NewProject.Aspect.16:9"] = "16:9 横屏",
        ["NewProject.Aspect.9:16"] = "9:16 竖屏",
        ["NewProject.Aspect.1:1"] = "1:1 方形",
        ["NewProject.Length"] = "长度",
        ["NewProject.Length.Auto"] = "按故事需要",
        ["NewProject.Length.Seconds"] = "大约多少秒",
        ["NewProject.Length.Shots"] = "多少个镜头",
        ["NewProject.TargetSeconds"] = "秒数",
        ["NewProject.TargetShots"] = "镜头数",
        ["NewProject.Burn"] = "把字幕烧录进画面",
        ["NewProject.Voice"] = "配音（可选）",
        ["NewProject.VoiceHelp"] = "留空：使用设置中的配音（离线：按文本选普通话或英语）。",

        ["Status.draft"] = "草稿",
        ["Status.running"] = "运行中",
        ["Status.completed"] = "已完成",
        ["Status.failed"] = "失败",
        ["Status.cancelled"] = "已取消",
        ["Status.pending"] = "等待中",
        ["Status.queued"] = "排队中",
        ["Status.processing"] = "处理中",
        ["Status.skipped"] = "已跳过",
        ["Status.interrupted"] = "已中断",

        ["Stage.rewrite"] = "文案改写",
        ["Stage.storyboard"] = "分镜生成",
        ["Stage.image_generation"] = "文生图",
        ["Stage.camera_movement"] = "运镜生成",
        ["Stage.video_generation"] = "图生视频",
        ["Stage.Run"] = "运行",
        ["Stage.Rerun"] = "重新运行",
        ["Stage.Retry"] = "重试",
        ["Stage.Cancel"] = "取消",

        ["Camera.static"] = "固定",
        ["Camera.push_in"] = "推镜",
        ["Camera.pull_out"] = "拉镜",
        ["Camera.pan_left"] = "左摇",
        ["Camera.pan_right"] = "右摇",
        ["Camera.tilt_up"] = "上仰",
        ["Camera.tilt_down"] = "下俯",

        ["Live.Connected"] = "实时",
        ["Live.Disconnected"] = "未连接",
        ["Pipeline.RunAll"] = "全部运行",
        ["Pipeline.Cancel"] = "取消",
        ["Pipeline.RewriteView"] = "改写视图",
        ["Pipeline.Started"] = "流水线运行中。",
        ["Pipeline.Cancelled"] = "流水线已取消。",
        ["Pipeline.Done"] = "流水线已完成：影片已生成。",

        ["Tab.Text"] = "文案",
        ["Tab.Storyboard"] = "分镜",
        ["Tab.Images"] = "图片",
        ["Tab.Video"] = "视频",
        ["Text.Original"] = "原始故事",
        ["Text.Rewritten"] = "改写后",
        ["Storyboard.None"] = "还没有分镜：请运行分镜生成。",
        ["Storyboard.Narration"] = "旁白",
        ["Storyboard.VisualPrompt"] = "画面提示词",
        ["Storyboard.Shot"] = "镜头",
        ["Storyboard.Camera"] = "运镜",
        ["Storyboard.Locked"] = "没有阶段运行时才能编辑分镜。",
        ["Storyboard.Saved"] = "镜头 {0} 已保存：其图片和视频片段将重新生成。",
        ["Images.None"] = "还没有图片。",
        ["Video.Final"] = "最终影片",
        ["Video.Subtitles"] = "字幕",
        ["Video.Music"] = "背景音乐",
        ["Video.MusicNone"] = "无（mp3、m4a、wav 或 ogg；旁白响起时自动压低）",
        ["Video.MusicRemove"] = "移除",
        ["Video.MusicSaved"] = "音乐已保存，下次运行时会重新合成影片。",
        ["Video.NoFinal"] = "还没有影片。",

        ["Rewrite.Title"] = "文案改写中...",
        ["Rewrite.Connecting"] = "正在连接...",
        ["Rewrite.Processing"] = "正在生成...",
        ["Rewrite.Done"] = "生成完成!",
        ["Rewrite.Error"] = "错误: {0}",
        ["Rewrite.UnknownError"] = "未知错误",

        ["Sse.Title"] = "SSE 调试面板",
        ["Sse.Intro"] = "通过 /js/stagestream-sse.js 用浏览器的 EventSource 读取项目的事件流，并列出每条消息。",
        ["Sse.ProjectId"] = "项目 ID",
        ["Sse.PickProject"] = "选择项目",
        ["Sse.Stage"] = "阶段",
        ["Sse.AllStages"] = "所有阶段",
        ["Sse.AutoReconnect"] = "自动重连",
        ["Sse.Connect"] = "连接",
        ["Sse.Disconnect"] = "断开",
        ["Sse.Clear"] = "清空",
        ["Sse.Status.Disconnected"] = "未连接",
        ["Sse.Status.Connecting"] = "连接中",
        ["Sse.Status.Connected"] = "已连接",
        ["Sse.Status.Reconnecting"] = "重连中",
        ["Sse.Received"] = "{0} 条消息",
        ["Sse.Time"] = "时间 (UTC)",
        ["Sse.EventId"] = "ID",
        ["Sse.Type"] = "类型",
        ["Sse.Payload"] = "内容",
        ["Sse.NoMessages"] = "还没有消息。",
        ["Sse.TokenText"] = "由 token 拼出的文本",
        ["Sse.TokensMatch"] = "与 full_text 一致",
        ["Sse.TokensMismatch"] = "与 full_text 不一致",
        ["Sse.Reconnects"] = "重连 {0} 次",

        ["Settings.Title"] = "设置",
        ["Settings.Intro"] = "各阶段使用的服务。设置来自配置（appsettings.json 或环境变量，例如 {0} 和 {1}）；密钥从不显示。",
        ["Settings.Stage"] = "阶段",
        ["Settings.Provider"] = "服务商",
        ["Settings.Model"] = "模型",
        ["Settings.BaseUrl"] = "接口地址",
        ["Settings.Sampling"] = "采样参数",
        ["Settings.Prompt"] = "提示词",
        ["Settings.PromptCustom"] = "自定义",
        ["Settings.PromptDefault"] = "默认",
        ["Settings.Temperature"] = "温度 {0:0.##}",
        ["Settings.MaxTokens"] = "最多 {0} 个 token",
        ["Settings.ModelDefault"] = "模型默认值",
        ["Settings.NotSet"] = "未设置",
        ["Settings.NotSetKey"] = "未设置（{0}）",
        ["Settings.Set"] = "已设置",
        ["Settings.Providers"] = "服务商",
        ["Settings.Narration"] = "旁白配音（Narration:*）",
        ["Settings.Voice"] = "声音",
        ["Settings.VoiceOfflineDefault"] = "espeak-ng：按文本选择普通话（cmn）或英语（en-us）",
        ["Settings.VoiceOpenAIDefault"] = "alloy",
        ["Settings.Loudness"] = "影片响度",
        ["Settings.LoudnessValue"] = "{0} LUFS（EBU R128）",
        ["Settings.OfflineAbout"] = "内置：在本机生成文本和画面，并用 ffmpeg 制作运镜。无需密钥，无需联网。",
        ["Settings.OfflineResult"] = "内置服务：无需连接。",
        ["Settings.TestConnection"] = "测试连接",
        ["Settings.NoAnswer"] = "{0} 秒内没有响应。",
        ["Settings.ApiKey"] = "API 密钥",
        ["Settings.ChatModel"] = "对话模型",
        ["Settings.ImageModel"] = "图像模型",
        ["Settings.Video"] = "视频",
        ["Settings.VideoValue"] = "{0}（{1} API）",
        ["Settings.RetriesTimeout"] = "重试与超时",
        ["Settings.RetriesValue"] = "重试 {0} 次，每个请求超时 {1:0.#} 秒",
    };
}
