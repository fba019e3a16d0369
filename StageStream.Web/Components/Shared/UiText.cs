using System.Globalization;
using System.Resources;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace StageStream.Web.Components.Shared;

/// <summary>
/// The pages' words, through <see cref="IStringLocalizer"/> from the resource files beside this class:
/// <c>UiText.resx</c> (English, the default) and one <c>UiText.{culture}.resx</c> per other language
/// (<c>UiText.zh-CN.resx</c>). Adding a language is adding one such file: the app offers every culture it
/// finds a satellite assembly for. The circuit's UI culture (the browser's languages, or the app bar
/// switch's cookie) chooses the file.
/// </summary>
public sealed class UiText
{
    private readonly IStringLocalizer _localizer;

    /// <summary>For a container without <c>AddLocalization()</c> (some tests).</summary>
    public UiText()
        : this(new ResourceManagerStringLocalizerFactory(Options.Create(new LocalizationOptions()), NullLoggerFactory.Instance).Create(typeof(UiText)))
    {
    }

    public UiText(IStringLocalizer<UiText> localizer)
        : this((IStringLocalizer)localizer)
    {
    }

    private UiText(IStringLocalizer localizer) => _localizer = localizer;

    /// <summary>The default language, then every language a satellite resource assembly exists for.</summary>
    public static IReadOnlyList<string> Cultures { get; } = FindCultures();

    public string this[string key] => _localizer[key];

    public string Format(string key, params object?[] args) =>
        string.Format(CultureInfo.CurrentCulture, this[key], args);

    /// <summary>The text of <paramref name="key"/>, or <paramref name="fallback"/> when no resource file has it.</summary>
    public string Or(string key, string fallback) => _localizer[key] is { ResourceNotFound: false } text ? text.Value : fallback;

    public bool Has(string key) => !_localizer[key].ResourceNotFound;

    /// <summary>
    /// A refusal or failure in the reader's language: Core's refusals carry a stable code (<c>Error.{code}</c>, formatted
    /// with their values); anything else shows its own message.
    /// </summary>
    public string Error(Exception exception) => Error(StageStream.Core.Projects.CodedError.Of(exception), exception.Message);

    /// <summary>
    /// An error kept or sent with its code (<see cref="StageStream.Core.Projects.CodedError"/>): <c>Error.{code}</c> formatted with its
    /// values (a stage's name in the reader's language) and then its cause; without a known code, the message.
    /// </summary>
    public string Error(StageStream.Core.Projects.CodedError? code, string? message) =>
        code is not null && Has("Error." + code.Code) ? Say(code) : Message(message);

    private string Say(StageStream.Core.Projects.CodedError code)
    {
        var args = code.Args.Select(a => (object)(Has("Stage." + a) ? this["Stage." + a] : a));
        if (code.Cause is { } cause)
        {
            args = args.Append(Has("Error." + cause.Code) ? Say(cause) : string.Join(" ", cause.Args));
        }
        return Format("Error." + code.Code, args.ToArray());
    }

    /// <summary>A stage's name ("Images"), or the wire name of an unknown one.</summary>
    public string Stage(string stage) => Or("Stage." + stage, stage);

    /// <summary>A message of a stage run (<c>Started</c>, <c>Cancelled</c>, ...): Core's fixed messages are keys (<c>Message.{text}</c>); others pass as they are.</summary>
    public string Message(string? message) => message is null ? "" : Or("Message." + message, message);

    /// <summary>A shot type of the storyboard ("close-up"), in the reader's language when it is one of the known ones.</summary>
    public string ShotType(string type) => Or("ShotType." + type.Trim().ToLowerInvariant(), type);

    /// <summary>What a stage is doing, from a progress event's counts: "Frame 4 of 36", "Joining the film".</summary>
    public string Caption(string stage, int? current, int? total)
    {
        if (current is not { } done || total is not { } all || all <= 0 || stage is StageStream.Core.Projects.StageNames.Rewrite or StageStream.Core.Projects.StageNames.Storyboard)
        {
            return Or("Progress." + stage, "");
        }
        return done >= all ? Or($"Progress.{stage}.Done", "") : Format("Progress.Item." + stage, done + 1, all);
    }

    /// <summary>Times are shown in UTC, the same for every reader of a shared project.</summary>
    public string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>A duration the way people say it: "1 min 05 s", "42 s".</summary>
    public string Duration(TimeSpan duration) => duration.TotalSeconds < 60
        ? Format("Time.Seconds", Math.Max(0, (int)Math.Round(duration.TotalSeconds)))
        : Format("Time.Minutes", (int)duration.TotalMinutes, duration.Seconds);

    public static bool IsChinese(CultureInfo culture) => culture.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase);

    /// <summary>The text of <paramref name="key"/> in <paramref name="culture"/> (falling back to English, then the key).</summary>
    public static string Lookup(string key, CultureInfo culture) =>
        Resources.GetString(key, culture) ?? key;

    /// <summary>The keys and texts one resource file holds (not its fallbacks); null when there is no file for the culture.</summary>
    public static IReadOnlyDictionary<string, string>? Table(CultureInfo culture) =>
        Resources.GetResourceSet(culture, createIfNotExists: true, tryParents: false)?.Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string)e.Value!);

    /// <summary>
    /// The first supported language in the browser's Accept-Language, by quality: an exact match, or the
    /// same language in another region or script (zh-TW, zh-Hans-CN → zh-CN).
    /// </summary>
    public static string? FromAcceptLanguage(string? header)
    {
        if (string.IsNullOrWhiteSpace(header) || !StringWithQualityHeaderValue.TryParseList(header.Split(','), out var values))
        {
            return null;
        }
        foreach (var value in values.OrderByDescending(v => v.Quality ?? 1))
        {
            var wanted = value.Value.ToString();
            var language = wanted.Split('-')[0];
            var culture = Cultures.FirstOrDefault(c => c.Equals(wanted, StringComparison.OrdinalIgnoreCase))
                ?? Cultures.FirstOrDefault(c => c.Split('-')[0].Equals(language, StringComparison.OrdinalIgnoreCase));
            if (culture is not null)
            {
                return culture;
            }
        }
        return null;
    }

    private static readonly ResourceManager Resources = new(typeof(UiText).FullName!, typeof(UiText).Assembly);

    private static string[] FindCultures()
    {
        var folder = Path.GetDirectoryName(typeof(UiText).Assembly.Location) ?? AppContext.BaseDirectory;
        var satellite = typeof(UiText).Assembly.GetName().Name + ".resources.dll";
        var found = !Directory.Exists(folder) ? [] : Directory.GetDirectories(folder).Where(d => File.Exists(Path.Combine(d, satellite)))
            .Select(d => Path.GetFileName(d)).Where(IsCulture).Order(StringComparer.Ordinal).ToArray();
        return ["en", .. found];
    }

    private static bool IsCulture(string name)
    {
        try
        {
            return CultureInfo.GetCultureInfo(name, predefinedOnly: true) is not null;
        }
        catch (CultureNotFoundException)
        {
            return false;
        }
    }
}
