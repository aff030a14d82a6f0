using System.IO;
using System.Linq;

namespace TypedNets.Benchmarks;

/// <summary>What the command line set; the benchmarks run in this process (in-process toolchain), so they see it.</summary>
internal static class Settings
{
    public static string ArtifactsDirectory { get; set; } = "benchmarks/artifacts";

    /// <summary>Where <c>scripts/fetch-fashion-mnist.sh</c> puts Fashion-MNIST, for case (e); synthetic data without it.</summary>
    public static string FashionMnistDirectory { get; set; } = "data/fashion-mnist";

    /// <summary>Whether Fashion-MNIST's four files are there.</summary>
    public static bool HasFashionMnist
        => new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" }
            .All(name => File.Exists(Path.Combine(FashionMnistDirectory, name + ".gz")) || File.Exists(Path.Combine(FashionMnistDirectory, name)));
}
