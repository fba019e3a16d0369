using Microsoft.Extensions.Localization;
using MudBlazor;

namespace StageStream.Web.Components.Shared;

/// <summary>
/// MudBlazor's own texts (pager buttons, dialog and alert close buttons, the clear button of a field...)
/// from the same resource files as the pages, under MudBlazor's keys prefixed with <c>Mud.</c>
/// (<c>Mud.MudDialog_Close</c>). A key no file has falls back to MudBlazor's English.
/// </summary>
public sealed class MudTexts(UiText text) : MudLocalizer
{
    public override LocalizedString this[string key] => Localize(key, []);

    public override LocalizedString this[string key, params object[] arguments] => Localize(key, arguments);

    private LocalizedString Localize(string key, object[] arguments) =>
        text.Has("Mud." + key)
            ? new LocalizedString(key, arguments.Length == 0 ? text["Mud." + key] : text.Format("Mud." + key, arguments))
            : new LocalizedString(key, key, resourceNotFound: true);
}
