using System.Threading;

namespace TypedNets;

/// <summary>
/// A network's weight version: a counter, one per network (its workspaces share it), that moves on before every change
/// of the weights the library makes or hands out a writable view for. Whatever the library derives from the weights
/// (the prepacked weights of <see cref="Kernels.PackedWeights"/>) records the version it was made from and is made
/// again when the version has moved, as PyTorch's tensors count their in-place changes in <c>_version</c>.
/// </summary>
/// <remarks>
/// The counter moves when a view is handed out, before the caller writes through it, so that whatever is derived after
/// the write sees a new version. A span kept and written later is not seen: <c>MarkWeightsChanged</c> says so.
/// </remarks>
internal sealed class WeightVersion
{
    private long _value;

    /// <summary>The version now.</summary>
    public long Value => Volatile.Read(ref _value);

    /// <summary>Moves the version on: the weights have changed, or are about to be changed through a view.</summary>
    public void Bump() => Interlocked.Increment(ref _value);
}
