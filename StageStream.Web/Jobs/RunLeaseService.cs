using Microsoft.Extensions.Options;
using StageStream.Core.Pipeline;

namespace StageStream.Web.Jobs;

/// <summary>Renews this server's leases on its stage runs, and takes over runs whose server died.</summary>
public sealed class RunLeaseService(IServiceScopeFactory scopes, IOptions<PipelineOptions> options, ILogger<RunLeaseService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lease = TimeSpan.FromSeconds(options.Value.LeaseSeconds);
        using var timer = new PeriodicTimer(lease / 3);
        var tick = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<RunOwnership>().RenewAsync(stoppingToken);
                if (++tick % 3 == 0)
                {
                    await scope.ServiceProvider.GetRequiredService<PipelineService>().RecoverAsync(atStartUp: false, stoppingToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Renewing stage run leases failed; retrying at the next tick");
            }
        }
    }
}
