using StageStream.Core.Events;

namespace StageStream.Web.Components.Shared;

/// <summary>
/// The text of each stage's current run, as its tokens arrive: the message's <c>full_text</c>, or its
/// <c>content</c> added up. A new run id (a re-run, or the run after an interrupted one) starts afresh.
/// </summary>
public sealed class RunTexts
{
    private readonly Dictionary<string, (string RunId, string Text)> _runs = [];

    public string Of(string stage) => _runs.TryGetValue(stage, out var run) ? run.Text : "";

    public void Track(StageEvent token)
    {
        var text = _runs.TryGetValue(token.Stage, out var run) && run.RunId == token.RunId ? run.Text : "";
        _runs[token.Stage] = (token.RunId, token.FullText ?? text + token.Content);
    }
}
