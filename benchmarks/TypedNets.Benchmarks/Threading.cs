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
    public static void Use(int threads)
    {
        Gemm.MaxThreads = threads;
        Trainer.Threads = threads;
    }
}
