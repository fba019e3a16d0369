using BenchmarkDotNet.Running;

namespace StageStream.Bench.Micro;

/// <summary>
/// Micro-benchmarks of the per-event hot path. Run in Release, e.g.
/// <c>dotnet run -c Release --project bench/StageStream.Bench.Micro -- --filter '*' --job short</c>.
/// </summary>
internal static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
