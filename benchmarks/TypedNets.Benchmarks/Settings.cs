namespace TypedNets.Benchmarks;

/// <summary>What the command line set; the benchmarks run in this process (in-process toolchain), so they see it.</summary>
internal static class Settings
{
    public static string ArtifactsDirectory { get; set; } = "benchmarks/artifacts";
}
