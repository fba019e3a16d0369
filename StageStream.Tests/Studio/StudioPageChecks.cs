using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Microsoft.Playwright;

namespace StageStream.Tests.Studio;

/// <summary>What the studio's browser tests check on every page they open: axe-core and the English left on a Chinese page.</summary>
public static partial class StudioPageChecks
{
    /// <summary>Words that stay as they are in Chinese: the product, formats, units and standards.</summary>
    public static readonly HashSet<string> AllowedEnglish =
        ["StageStream", "SSE", "EN", "UTC", "ID", "API", "URL", "LUFS", "EBU", "R128", "mp3", "m4a", "wav", "ogg", "srt", "vtt", "zip", "token", "full_text", "espeak-ng", "ffmpeg"];

    /// <summary>axe-core's own script, as Deque.AxeCore bundles it.</summary>
    private static readonly string AxeSource = new BundledAxeScriptProvider().GetScript();

    /// <summary>
    /// The serious and critical violations axe-core finds on the page as it is now. axe-core is injected into the page and run
    /// there, and only those violations come back: the library's own RunAxe runs axe in parts, carries every rule's results for
    /// every node out of the page and finishes the run in a new blank page each time, which costs several times the check itself.
    /// </summary>
    public static async Task<List<string>> AxeAsync(IPage page, string where)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe?.run === 'function'"))
        {
            await page.EvaluateAsync(AxeSource);
        }
        var result = await page.EvaluateAsync<System.Text.Json.JsonElement>("""
            async tags => {
              // Colours are measured as they are at rest: a button still fading in (MudBlazor's transitions, a ripple) was
              // once measured half-way and reported as too faint.
              if (!document.getElementById('axe-at-rest')) {
                const still = document.createElement('style');
                still.id = 'axe-at-rest';
                still.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
                document.head.appendChild(still);
              }
              await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
              const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
              return {
                rules: result.passes.length + result.violations.length + result.incomplete.length,
                violations: result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                  .map(v => `${v.id} (${v.impact}) ${v.help} at ${v.nodes.slice(0, 3).map(n => `${n.html} (${n.any.map(c => c.message).join('; ')})`).join(' | ')}`),
              };
            }
            """,
            // The rules of WCAG 2.2 AA, which the issue asks for; axe's "best-practice" ones (mostly moderate: regions, landmarks) are left out.
            new[] { "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa" });
        var problems = result.GetProperty("violations").EnumerateArray().Select(v => $"{where}: {v.GetString()}").ToList();
        // A page where axe found little to check was not checked.
        if (result.GetProperty("rules").GetInt32() is var rules and < 15)
        {
            problems.Add($"{where}: axe-core applied only {rules} rules");
        }
        return problems;
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
