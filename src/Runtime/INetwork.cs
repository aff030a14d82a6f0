using System.ComponentModel;

namespace TypedNets;

/// <summary>
/// A generated network, as code that does not know its concrete type sees it: training loops, optimizers,
/// serialization. Its API (<c>Predict</c>, <c>Forward</c>, <c>Backward</c>, <c>Loss</c>, <c>Parameters</c>, ...) is
/// made of extension members in <see cref="NetworkExtensions"/>, written once for every network; the typed ones
/// (<c>Sample</c>, <c>Prediction</c>) come with <see cref="INetwork{TSample, TPrediction}"/>.
/// </summary>
/// <remarks>
/// Threading: <c>Predict</c> may be called from any number of threads at once; each call runs on a workspace of its
/// own, rented from a pool, over the shared weights. Everything else (training, <c>Forward</c>, <c>Backward</c>, the
/// losses, loading weights) uses the network's one training workspace or changes its weights, and is for one thread at
/// a time. <c>Access</c> enforces this: a call that would overlap the other kind throws
/// <see cref="System.InvalidOperationException"/> instead of computing a wrong answer.
/// </remarks>
public interface INetwork
{
    /// <summary>The network's workspaces, guard, layers and declared loss, on which its API works. For generated code.</summary>
    /// <exception cref="System.InvalidOperationException">When the network's declaration has errors.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    NetworkCore Core { get; }
}

/// <summary>A generated network with its typed input and output: its nested <c>Sample</c> and <c>Prediction</c>.</summary>
/// <typeparam name="TSample">One input sample, a fixed-size array of floats (or token ids).</typeparam>
/// <typeparam name="TPrediction">One output, a fixed-size array of floats.</typeparam>
public interface INetwork<TSample, TPrediction> : INetwork
    where TSample : unmanaged
    where TPrediction : unmanaged
{
}
