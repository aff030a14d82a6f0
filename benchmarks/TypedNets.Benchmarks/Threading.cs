using System.Reflection;
using TypedNets.Kernels;
using TypedNets.Training;

namespace TypedNets.Benchmarks;

/// <summary>
/// The thread count of the training and product kernels: the suite runs every engine on one thread, and each training
/// row a second time on two (<see cref="CaseAttribute.Threads"/>), TypedNets with both knobs at two: <c>Gemm.MaxThreads</c>
/// (one product's helper thread) and <c>Trainer.Threads</c> (the shards of a training step's batch).
/// </summary>
internal static class Threading
{
    // TEMPORARY (remove at merge): Trainer.Threads is being added on another branch. Until it is on this one, it is set
    // through reflection when it exists, so that this project builds either way; once merged, replace this property and
    // its use in Use with `Trainer.Threads = threads;`.
    private static readonly PropertyInfo? TrainerThreads = typeof(Trainer).GetProperty("Threads", BindingFlags.Public | BindingFlags.Static);

    /// <summary>Whether <c>Trainer.Threads</c> exists; without it a two-thread training row has only the GEMM's helper.</summary>
    public static bool SplitsBatches => TrainerThreads is not null;

    public static void Use(int threads)
    {
        Gemm.MaxThreads = threads;
        TrainerThreads?.SetValue(null, threads);
    }
}
