using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Options;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// rewrite without a model: cleans the text (whitespace, punctuation width, repeated sentences, capitals),
/// regroups it into short paragraphs under a title, and streams it like a model would.
/// </summary>
public sealed class OfflineRewriteProvider(IOptionsMonitor<OfflineOptions> options) : IRewriteProvider
{
    private const int SentencesPerParagraph = 3;

    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "the", "and", "but", "for", "nor", "yet", "with", "from", "into", "onto", "upon", "over", "under", "about", "after", "before",
        "again", "then", "than", "that", "this", "these", "those", "there", "here", "where", "when", "what", "which", "who", "whom",
        "whose", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "only", "own", "same",
        "too", "very", "can", "will", "just", "should", "would", "could", "now", "was", "were", "been", "being", "have", "has", "had",
        "having", "does", "did", "doing", "are", "his", "her", "hers", "him", "she", "they", "them", "their", "theirs", "its", "our",
        "ours", "you", "your", "yours", "myself", "himself", "herself", "itself", "themselves", "not", "out", "off", "down", "one",
        "once", "while", "through", "until", "against", "between", "said", "say", "says", "like", "also", "still", "even", "every",
        "because", "though", "never", "always", "away", "back", "around", "long", "time", "day", "way", "thing", "things", "going",
        "got", "get", "went", "come", "came", "made", "make", "know", "knew", "see", "saw", "look", "looked", "felt", "told",
        "let", "last", "first", "many", "much", "well", "let's", "it's", "didn't", "don't", "couldn't", "wasn't", "i'm", "i'd",
    };

    private static readonly HashSet<string> Determiners = new(StringComparer.OrdinalIgnoreCase)
    {
        "the", "a", "an", "his", "her", "my", "their", "its", "our", "your", "this", "that", "these", "those", "every", "each",
    };

    private static readonly HashSet<string> Adjectives = new(StringComparer.OrdinalIgnoreCase)
    {
        "old", "young", "little", "small", "big", "great", "large", "long", "short", "dark", "bright", "new", "good", "bad", "cold",
        "warm", "hot", "high", "low", "deep", "tall", "strange", "quiet", "silent", "beautiful", "tiny", "huge", "empty", "ancient",
        "lonely", "white", "black", "red", "blue", "green", "golden", "grey", "gray", "gentle", "heavy", "last", "first", "whole",
        "only", "other", "same", "next", "final", "wild", "distant", "broken", "hidden", "poor", "rich", "sudden", "soft", "hard",
        "strong", "weak", "kind", "brave", "happy", "sad", "tired", "familiar", "narrow", "wide", "thick", "thin", "wooden",
        "hundred", "thousand", "few", "many", "several", "whole", "single", "own", "very",
    };

    /// <summary>Characters that rarely start or end a Chinese noun, so a pair holding one is no title.</summary>
    private const string ChineseFunctionChars = "的了是在我你他她它们这那一不也就都而和与着过个有上下来去到说里中为对把被从向很又还没已要会能可得地之其";

    public string Name => OfflineProvider.Name;

    public async IAsyncEnumerable<string> RewriteAsync(string originalText, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rewritten = Rewrite(originalText);
        var pacer = new TokenPacer(options.CurrentValue.TokensPerSecond);
        foreach (var token in Tokens(rewritten, OfflineText.IsChinese(rewritten)))
        {
            await pacer.WaitAsync(cancellationToken);
            yield return token;
        }
    }

    /// <summary>The whole rewritten text: a title line, a blank line, then paragraphs separated by blank lines.</summary>
    internal static string Rewrite(string text)
    {
        var chinese = OfflineText.IsChinese(text);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var paragraphs = new List<List<string>>();
        var current = new List<string>();
        var cap = chinese ? 150 : 420;
        foreach (var line in OfflineText.Lines(text))
        {
            var startsParagraph = true;
            foreach (var raw in OfflineText.SplitSentences(OfflineText.Normalize(line, chinese), semicolons: false))
            {
                var sentence = Polish(raw, chinese);
                var key = OfflineText.Key(sentence);
                if (key.Length == 0 || !seen.Add(key))
                {
                    continue;
                }
                // A new paragraph after three sentences, at a paragraph of the input (unless the current one is a
                // lone sentence, which joins the next), or when the paragraph grows long.
                if (current.Count > 0 && (current.Count >= SentencesPerParagraph || (startsParagraph && current.Count >= 2)
                    || current.Sum(s => s.Length) + sentence.Length > cap))
                {
                    paragraphs.Add(current);
                    current = [];
                }
                current.Add(sentence);
                startsParagraph = false;
            }
        }
        if (current.Count > 0)
        {
            paragraphs.Add(current);
        }
        if (paragraphs.Count == 0)
        {
            return text.Trim();
        }
        var sentences = paragraphs.SelectMany(p => p).ToList();
        var body = string.Join("\n\n", paragraphs.Select(p => OfflineText.Join(chinese, p)));
        return Title(sentences, chinese) + "\n\n" + body;
    }

    /// <summary>A capital at the start (English) and an end mark at the end of a sentence.</summary>
    private static string Polish(string sentence, bool chinese)
    {
        sentence = sentence.Trim().TrimStart(',', '，', '、', ';', '；', ':', '：').Trim();
        if (sentence.Length == 0)
        {
            return sentence;
        }
        if (!chinese)
        {
            var first = sentence.TakeWhile(c => !char.IsLetterOrDigit(c)).Count();
            if (first < sentence.Length && char.IsLower(sentence[first]))
            {
                sentence = sentence[..first] + char.ToUpperInvariant(sentence[first]) + sentence[(first + 1)..];
            }
        }
        if (!OfflineText.HasEndMark(sentence))
        {
            sentence = sentence.TrimEnd(',', '，', '、', ':', '：', ' ') + (chinese ? "。" : ".");
        }
        return sentence;
    }

    private static string Title(IReadOnlyList<string> sentences, bool chinese) =>
        chinese ? ChineseTitle(sentences) : EnglishTitle(sentences);

    /// <summary>The story's most frequent content words, e.g. "The Lighthouse and the Storm".</summary>
    private static string EnglishTitle(IReadOnlyList<string> sentences)
    {
        var counts = new Dictionary<string, WordStats>(StringComparer.OrdinalIgnoreCase);
        var position = 0;
        foreach (var sentence in sentences)
        {
            var words = sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Clean).ToList();
            for (var i = 0; i < words.Count; i++, position++)
            {
                var word = words[i];
                if (word.Length < 3 || !word.All(c => char.IsLetter(c) || c is '-' or '\'') || StopWords.Contains(word) || Adjectives.Contains(word))
                {
                    continue;
                }
                var stats = counts.TryGetValue(word, out var seen) ? seen : new WordStats(0, 0, position, false, false);
                // Capitals at a sentence start say nothing; a name is capitalised mid-sentence and never lower case.
                counts[word] = stats with
                {
                    Count = stats.Count + 1,
                    AfterDeterminer = stats.AfterDeterminer + (FollowsDeterminer(words, i) ? 1 : 0),
                    CapitalInside = stats.CapitalInside || (i > 0 && char.IsUpper(word[0])),
                    EverLower = stats.EverLower || char.IsLower(word[0]),
                };
            }
        }
        // Titles name things: words seen after "the", "a", "his"... (or names) rather than verbs and adjectives.
        var nouns = counts.Where(p => p.Value.IsNoun).ToList();
        var top = (nouns.Count > 0 ? nouns : counts.ToList())
            .OrderByDescending(p => p.Value.Score).ThenBy(p => p.Value.First).Take(2).ToList();
        if (top.Count == 0)
        {
            return "A Short Story";
        }
        if (top.Count == 2 && top[1].Value.Count >= 2)
        {
            // "Mara and the Boat" reads better than "The Boat and Mara".
            var ordered = top.OrderByDescending(p => p.Value.IsName).ToList();
            return $"{Phrase(ordered[0].Key, ordered[0].Value.IsName, capitalArticle: true)} and {Phrase(ordered[1].Key, ordered[1].Value.IsName, capitalArticle: false)}";
        }
        return Phrase(top[0].Key, top[0].Value.IsName, capitalArticle: true);

        static string Clean(string word)
        {
            word = word.Trim('"', '\'', ',', '.', '!', '?', ';', ':', '(', ')', '[', ']');
            return word.EndsWith("'s", StringComparison.OrdinalIgnoreCase) ? word[..^2] : word;
        }

        // "the lamp", "the old lamp", "a small wooden boat": a determiner, at most two adjectives, then the word.
        static bool FollowsDeterminer(List<string> words, int i)
        {
            for (var j = i - 1; j >= 0 && j >= i - 3; j--)
            {
                if (Determiners.Contains(words[j]))
                {
                    return true;
                }
                if (!Adjectives.Contains(words[j]))
                {
                    return false;
                }
            }
            return false;
        }

        static string Phrase(string word, bool name, bool capitalArticle)
        {
            var titled = char.ToUpperInvariant(word[0]) + word[1..].ToLowerInvariant();
            return name ? titled : (capitalArticle ? "The " : "the ") + titled;
        }
    }

    private sealed record WordStats(int Count, int AfterDeterminer, int First, bool CapitalInside, bool EverLower)
    {
        public bool IsName => CapitalInside && !EverLower;
        public bool IsNoun => IsName || AfterDeterminer > 0;
        public int Score => Count + 2 * AfterDeterminer + (IsName ? 2 : 0);
    }

    /// <summary>The most repeated two-character word, e.g. 《灯塔》, or else the opening clause.</summary>
    private static string ChineseTitle(IReadOnlyList<string> sentences)
    {
        var counts = new Dictionary<string, (int Count, int First)>(StringComparer.Ordinal);
        var position = 0;
        foreach (var sentence in sentences)
        {
            for (var i = 0; i + 1 < sentence.Length; i++, position++)
            {
                var (a, b) = (sentence[i], sentence[i + 1]);
                if (OfflineText.IsCjk(a) && OfflineText.IsCjk(b) && !ChineseFunctionChars.Contains(a) && !ChineseFunctionChars.Contains(b))
                {
                    var pair = sentence.Substring(i, 2);
                    counts[pair] = counts.TryGetValue(pair, out var seen) ? (seen.Count + 1, seen.First) : (1, position);
                }
            }
        }
        var top = counts.Where(p => p.Value.Count >= 2).OrderByDescending(p => p.Value.Count).ThenBy(p => p.Value.First)
            .Select(p => p.Key).ToList();
        if (top.Count >= 2 && !top[0].Contains(top[1][0]) && !top[0].Contains(top[1][1]))
        {
            return $"《{top[0]}与{top[1]}》";
        }
        if (top.Count >= 1)
        {
            return $"《{top[0]}》";
        }
        var clause = new string(sentences[0].TakeWhile(c => !OfflineText.IsCjkPunctuation(c) && !",.!?;:".Contains(c)).ToArray()).Trim();
        return $"《{(clause.Length is > 0 and <= 12 ? clause : "一个故事")}》";
    }

    /// <summary>English word by word (each with its following space), Chinese a few characters at a time.</summary>
    internal static IEnumerable<string> Tokens(string text, bool chinese)
    {
        var token = new StringBuilder();
        if (!chinese)
        {
            foreach (var element in OfflineText.Elements(text))
            {
                if (!char.IsWhiteSpace(element[0]) && token.Length > 0 && char.IsWhiteSpace(token[^1]))
                {
                    yield return token.ToString();
                    token.Clear();
                }
                token.Append(element);
            }
        }
        else
        {
            var size = 2;
            var count = 0;
            foreach (var element in OfflineText.Elements(text))
            {
                var whitespace = char.IsWhiteSpace(element[0]);
                // Whitespace rides with the characters before it; a Latin word inside Chinese stays whole.
                var continuesWord = token.Length > 0 && char.IsAsciiLetterOrDigit(token[^1]) && char.IsAsciiLetterOrDigit(element[0]);
                if (!whitespace && !continuesWord && token.Length > 0 && (count >= size || char.IsWhiteSpace(token[^1])))
                {
                    yield return token.ToString();
                    token.Clear();
                    count = 0;
                    size = size == 2 ? 3 : 2;
                }
                token.Append(element);
                if (!whitespace && !continuesWord)
                {
                    count++;
                }
            }
        }
        if (token.Length > 0)
        {
            yield return token.ToString();
        }
    }
}
