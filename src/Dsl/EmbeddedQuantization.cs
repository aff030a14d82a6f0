namespace TypedNets;

/// <summary>How <see cref="EmbeddedWeightsAttribute"/> compiles the weights in: as the float file holds them, or quantised at build time.</summary>
public enum EmbeddedQuantization
{
    /// <summary>The float32 values as the file holds them: the network predicts as the one that saved them.</summary>
    None = 0,

    /// <summary>
    /// The weights <c>network.Quantize()</c> turns into int8 (every Dense weight not tied to an embedding, every
    /// ungrouped Conv2D weight, every LSTM and GRU weight) quantised by the generator, symmetric per output channel,
    /// and compiled in as one byte per value with a float scale per row; the other parameters (biases, normalisation,
    /// embeddings) stay float. The network is then the dynamically quantised one, bit for bit what
    /// <c>new Network().Quantize()</c> over the same float weights would be, for about a quarter of the bytes.
    /// </summary>
    Int8 = 1,
}
