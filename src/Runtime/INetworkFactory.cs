using System.ComponentModel;

namespace TypedNets;

/// <summary>
/// A generated network's constructor, reachable from generic code: what lets <c>network.Quantize()</c> return a new
/// network of the same type (with the same <c>Sample</c> and <c>Prediction</c>) rather than a wrapper. Every
/// generated network implements it, explicitly, so it adds no member to the network's own.
/// </summary>
/// <typeparam name="TSelf">The network's type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface INetworkFactory<TSelf> : INetwork
    where TSelf : INetworkFactory<TSelf>
{
    /// <summary>Creates the network as its constructor does, with a workspace for <paramref name="maxBatch"/> samples and weights drawn from <paramref name="seed"/>.</summary>
    /// <param name="maxBatch">The largest batch that <c>Forward</c> will be given.</param>
    /// <param name="seed">Fixes the initial weights and the stream of dropout masks.</param>
    static abstract TSelf Create(int maxBatch, ulong seed);
}
