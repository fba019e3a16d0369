using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace StageStream.Tests.Studio;

/// <summary>What the studio's browser tests check on every page they open: axe-core and the English left on a Chinese page.</summary>
public static partial class StudioPageChecks
{
    /// <summary>Words that stay as they are in Chinese: the product, formats, units and standards.</summary>
    public static readonly HashSet<string> AllowedEnglish =
        ["StageStream", "SSE", "EN", "UTC", "ID", "API", "URL", "LUFS", "EBU", "R128", "mp3", "m4a", "wav", "ogg", "srt", "vtt", "zip", "token", "full_text", "espeak-ng", "ffmpeg"];

    /// <summary>The serious and critical violations axe-core (embedded by Deque.AxeCore.Playwright) finds on the page as it is now.</summary>
    public static async Task<List<string>> AxeAsync(IPage page, string where)
    {
        var result = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
            // Only the violations come back: the passes of a whole page are many megabytes to serialize.
            ResultTypes = [ResultType.Violations],
        });
        return result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{where}: {v.Id} ({v.Impact}) {v.Help} at {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}")
            .ToList();
    }

    /// <summary>
    /// English words in what the page shows or says to a screen reader (text, aria-label, title, placeholder, alt), outside user
    /// content (<c>[data-user-content]</c>), proper names and configured values (<c>translate="no"</c>), code
    /// (<c>&lt;code&gt;</c>: configuration keys) and project ids. Single letters ("s" of seconds) are no words.
    /// </summary>
    public static async Task<List<string>> EnglishWordsAsync(IPage page, string where)
    {
        var text = await page.EvaluateAsync<string>("""
            () => {
              const out = [];
              const skipped = el => el.closest('[data-user-content], [translate=no], code, script, style, #blazor-error-ui');
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              while (walker.nextNode()) {
                const node = walker.currentNode, parent = node.parentElement;
                if (!parent || skipped(parent) || !parent.checkVisibility()) continue;
                out.push(node.textContent);
              }
              for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
                if (skipped(el)) continue;
                for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
                  const value = el.getAttribute(name);
                  if (value) out.push(value);
                }
              }
              return out.join(' ');
            }
            """);
        return Word().Matches(text).Select(m => m.Value)
            .Where(w => w.Length > 1 && !AllowedEnglish.Contains(w) && !ProjectId().IsMatch(w))
            .Distinct().Select(w => $"{where}: {w}").ToList();
    }

    [GeneratedRegex("(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9_-]*")]
    private static partial Regex Word();

    [GeneratedRegex("^[0-9a-f]{16}$")]
    private static partial Regex ProjectId();
}
