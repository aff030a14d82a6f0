using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Kernels;

namespace TypedNets.Compression;

/// <summary>
/// Post-training int8 quantisation: <c>network.Quantize()</c> returns a new network of the same type whose Dense
/// (attention projections included), ungrouped Conv2D, LSTM and GRU weights are int8, symmetric per output channel,
/// and whose activations are quantised per row at each product (dynamic, PyTorch's <c>quantize_dynamic</c> and ONNX
/// Runtime's dynamic quantisation) or, given calibration samples, with a scale and zero point per weight fixed from
/// the ranges those samples produce (static). The products run on the CPU's integer dot products
/// (<see cref="Int8Gemm"/>); everything else (embeddings, normalisation, attention scores, the activations) stays float.
/// </summary>
/// <remarks>
/// The quantised network predicts, evaluates and saves like the float one (the same <c>Sample</c> and
/// <c>Prediction</c>), but cannot be trained: train the float network and quantise again. Its float parameters hold
/// the dequantised weights (<c>scale * code</c>), so that what it computes is what its int8 file describes. A Dense
/// layer tied to an embedding's table stays float, since the embedding reads the same values.
/// </remarks>
public static class Quantization
{
    extension<TNetwork>(TNetwork network)
        where TNetwork : INetworkFactory<TNetwork>
    {
        /// <summary>A copy of the network with int8 weights and activations quantised per row at each product (dynamic quantisation).</summary>
        /// <exception cref="InvalidOperationException">When the network is quantised already or has no weight to quantise.</exception>
        public TNetwork Quantize() => Run(network, default, calibrate: false);

        /// <summary>
        /// A copy of the network with int8 weights and each product's input quantised with one scale and zero point,
        /// calibrated from the ranges the float network's activations take on <paramref name="calibration"/> (static
        /// quantisation; a few hundred representative samples are typical).
        /// </summary>
        /// <param name="calibration">Whole input samples, row-major (token ids as floats for a network over tokens).</param>
        /// <exception cref="ArgumentException">When <paramref name="calibration"/> is empty or not whole samples, or holds a NaN or an infinity.</exception>
        /// <exception cref="InvalidOperationException">When the network is quantised already or has no weight to quantise.</exception>
        public TNetwork Quantize(ReadOnlySpan<float> calibration) => Run(network, calibration, calibrate: true);

        /// <summary>Static quantisation calibrated on the features of <paramref name="calibration"/>; as with the overload over a span of samples.</summary>
        /// <param name="calibration">The samples; their targets are not read.</param>
        /// <exception cref="ArgumentException">When the samples' width is not the network's input size.</exception>
        /// <exception cref="InvalidOperationException">When the network is quantised already or has no weight to quantise.</exception>
        public TNetwork Quantize(Data.Dataset calibration)
        {
            ArgumentNullException.ThrowIfNull(calibration);
            return Run(network, calibration.Features, calibrate: true);
        }
    }

    extension(INetwork network)
    {
        /// <summary>Whether the network runs on int8 weights (made by <c>Quantize</c> or loaded from an int8 file).</summary>
        public bool IsQuantized => network.Core.Engine.Int8Weights is not null;

        /// <summary>The network's int8 weights, with their scales and how their inputs are quantised, or <see langword="null"/> for a float network.</summary>
        public Int8Weights? Int8Weights => network.Core.Engine.Int8Weights;
    }

    /// <summary>
    /// The parameters <c>Quantize</c> turns into int8, with their rows (output channels) and values per row: every
    /// Dense weight not tied to an embedding, every ungrouped Conv2D weight, every LSTM and GRU <c>weight_ih</c> and
    /// <c>weight_hh</c>; each once, in parameter order.
    /// </summary>
    /// <param name="network">The network.</param>
    public static IReadOnlyList<(ParameterTensor Tensor, int Rows, int Columns)> QuantizableWeights(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var found = new SortedDictionary<int, (ParameterTensor, int, int)>();
        foreach (Layer layer in network.Core.Layers)
        {
            IEnumerable<ParameterTensor> weights = layer switch
            {
                DenseLayer { TiedTo: null } dense => [dense.Weight],
                Conv2DLayer { Groups: 1 } convolution => [convolution.Weight],
                RecurrentLayer recurrent => recurrent.Parameters.Where(parameter => parameter.Shape.Length == 2),
                _ => [],
            };
            foreach (ParameterTensor weight in weights)
            {
                int rows = weight.Shape[0];
                found.TryAdd(weight.Offset, (weight, rows, weight.Length / rows));
            }
        }

        return found.Values.ToArray();
    }

    private static TNetwork Run<TNetwork>(TNetwork network, ReadOnlySpan<float> calibration, bool calibrate)
        where TNetwork : INetworkFactory<TNetwork>
    {
        ArgumentNullException.ThrowIfNull(network);
        NetworkCore core = network.Core;
        if (core.Engine.Int8Weights is not null)
        {
            throw new InvalidOperationException($"{core.Name} is quantised to int8 already; quantise the float network it came from.");
        }

        if (calibrate && (calibration.IsEmpty || calibration.Length % core.InputSize != 0))
        {
            throw new ArgumentException(
                $"The calibration samples hold {calibration.Length} values, not a positive whole number of {core.Name}'s samples of {core.InputSize}; pass whole samples.",
                nameof(calibration));
        }

        IReadOnlyList<(ParameterTensor Tensor, int Rows, int Columns)> candidates = QuantizableWeights(network);
        if (candidates.Count == 0)
        {
            throw new InvalidOperationException($"{core.Name} has no Dense, Conv2D, LSTM or GRU weight to quantise to int8.");
        }

        TNetwork copy = TNetwork.Create(core.Engine.MaxBatch, 0);
        NetworkEngine<float> engine = copy.Core.Engine;
        using (core.Access.Shared("Quantize"))
        {
            // The engine's arrays, not the public views: reading the source's weights leaves its version where it is.
            core.Engine.Parameters.CopyTo(engine.Parameters);
            core.Engine.Buffers.CopyTo(engine.Buffers);
        }

        var table = new Int8Weights(candidates.Select(c => Int8Weight.Quantize(c.Tensor.Name, c.Tensor.Offset, c.Tensor.Values, c.Rows, c.Columns)));
        if (calibrate)
        {
            Calibrate(engine, table, calibration, core.InputSize);
        }

        foreach (Int8Weight weight in table.Weights)
        {
            weight.Dequantize(engine.Parameters.AsSpan(weight.Offset, weight.Rows * weight.Columns));
        }

        // Calibration ran float products on the weights as they were before dequantisation.
        engine.WeightVersion.Bump();

        engine.Int8Weights = table;
        return copy;
    }

    // The float network runs the samples, batch by batch, while each int8 weight records the range of its input.
    private static void Calibrate(NetworkEngine<float> engine, Int8Weights table, ReadOnlySpan<float> samples, int inputSize)
    {
        foreach (Int8Weight weight in table.Weights)
        {
            weight.StartCalibration();
        }

        engine.Int8Weights = table;
        try
        {
            int chunk = engine.MaxBatch * inputSize;
            for (int start = 0; start < samples.Length; start += chunk)
            {
                engine.Forward(samples.Slice(start, Math.Min(chunk, samples.Length - start)), training: false);
            }
        }
        finally
        {
            engine.Int8Weights = null;
        }

        foreach (Int8Weight weight in table.Weights)
        {
            weight.EndCalibration();
        }
    }
}
