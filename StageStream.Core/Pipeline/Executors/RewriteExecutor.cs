using System.Text;
using StageStream.Core.Projects;
using StageStream.Core.Providers;

namespace StageStream.Core.Pipeline.Executors;

/// <summary>rewrite: streams the provider's tokens as they come and stores the text.</summary>
public sealed class RewriteExecutor(ProviderRegistry providers) : IStageExecutor
{
    public string Stage => StageNames.Rewrite;

    public async Task<StageOutcome> ExecuteAsync(StageContext context, CancellationToken cancellationToken)
    {
        var provider = providers.For<IRewriteProvider>(Stage);
        context.Record.Provider = provider.Name;
        var expected = Math.Max(1, context.Project.OriginalText.Length);
        var text = new StringBuilder();
        var reported = 0;
        await foreach (var token in provider.RewriteAsync(context.Project.OriginalText, cancellationToken))
        {
            if (token.Length == 0)
            {
                continue;
            }
            text.Append(token);
            await context.Report.TokenAsync(token, cancellationToken);
            // A progress message for every tenth of the expected length, not for every token.
            var current = Math.Min(text.Length, expected - 1);
            if (StageReporter.PercentOf(current, expected) >= reported + 10)
            {
                reported = StageReporter.PercentOf(current, expected);
                await context.ProgressAsync(current, expected, "Rewriting", cancellationToken);
            }
        }
        var rewritten = text.ToString().Trim();
        if (rewritten.Length == 0)
        {
            throw new ProviderException($"The {provider.Name} rewrite provider returned no text.");
        }
        context.Project.RewrittenText = rewritten;
        context.Project.RewriteProvider = provider.Name;
        return new StageOutcome(FullText: text.ToString(), Result: rewritten);
    }
}
