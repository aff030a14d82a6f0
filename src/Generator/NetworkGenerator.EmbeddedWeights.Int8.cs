using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    internal static partial class EmbeddedWeights
    {
        /// <summary>The int8 kernel's deepest row, <c>Int8Gemm.MaxDepth</c>: its int32 sums stay exact up to it.</summary>
        private const int MaxInt8Depth = int.MaxValue / (255 * 128);

        /// <summary>
        /// The weights <c>network.Quantize()</c> turns into int8 (<c>Quantization.QuantizableWeights</c> in the
        /// runtime): every Dense weight not tied to an embedding, every ungrouped Conv2D weight, every LSTM and GRU
        /// weight matrix; each once, in parameter order. The runtime checks the list it is given against its own when
        /// the network loads them, so the two cannot drift apart unnoticed.
        /// </summary>
        public static List<QuantizedWeightModel> Int8Candidates(NetworkModel model)
        {
            var found = new SortedDictionary<int, QuantizedWeightModel>();
            foreach (LayerModel layer in model.Layers)
            {
                IEnumerable<TensorModel> weights = layer.Kind switch
                {
                    LayerKind.Dense when layer.TiedTo < 0 => layer.Tensors.Where(tensor => tensor.Name == "weight"),
                    LayerKind.Conv2D when layer.Groups == 1 => layer.Tensors.Where(tensor => tensor.Name == "weight"),
                    LayerKind.Lstm or LayerKind.Gru => layer.Tensors.Where(tensor => tensor.Shape.Length == 2),
                    _ => [],
                };
                foreach (TensorModel tensor in weights)
                {
                    int rows = tensor.Shape[0];
                    if (!found.ContainsKey(tensor.Offset))
                    {
                        found.Add(tensor.Offset, new QuantizedWeightModel(layer.ModuleName + "." + tensor.Name, tensor.Offset, rows, tensor.Length / rows));
                    }
                }
            }

            return found.Values.ToList();
        }

        /// <summary>
        /// Quantises the checked float weights (<paramref name="floats"/>: the parameters, then the buffers, as
        /// little-endian float32) as the runtime's <c>Int8Weight.Quantize</c> does, and returns the int8 data of
        /// <see cref="EmbeddedWeightsModel.Data"/>; reports TN0064 for a network or a weight that has no int8 form.
        /// </summary>
        public static EquatableArray<byte> Quantize(
            NetworkModel model, EmbeddedWeightsRequest request, EquatableArray<byte> floats, List<DiagnosticInfo> diagnostics, out EquatableArray<QuantizedWeightModel> quantized)
        {
            quantized = EquatableArray<QuantizedWeightModel>.Empty;
            void Cannot(string problem) => diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmbeddedWeightsNotQuantizable, request.Site, model.DisplayName, request.FileName, problem));

            if (request.Quantization != EmbeddedQuantization.Int8)
            {
                Cannot($"Quantization = {((int)request.Quantization).ToString(CultureInfo.InvariantCulture)} is not an EmbeddedQuantization; use EmbeddedQuantization.Int8, or EmbeddedQuantization.None for float weights");
                return EquatableArray<byte>.Empty;
            }

            List<QuantizedWeightModel> weights = Int8Candidates(model);
            if (weights.Count == 0)
            {
                Cannot("it has no weight to quantise (only Dense weights not tied to an embedding, ungrouped Conv2D weights and LSTM and GRU weights become int8); remove Quantization = EmbeddedQuantization.Int8 to embed the float weights");
                return EquatableArray<byte>.Empty;
            }

            float[] values = ReadSingles(floats.AsSpan().Slice(0, 4 * model.ParameterCount));
            int before = diagnostics.Count;
            foreach (QuantizedWeightModel weight in weights)
            {
                string problem = Unquantizable(weight, values);
                if (problem.Length > 0)
                {
                    Cannot(problem);
                }
            }

            if (diagnostics.Count != before)
            {
                return EquatableArray<byte>.Empty;
            }

            // [buffers][float parameters][scales][codes]: the float parts first, four-byte aligned in the words.
            int codes = weights.Sum(weight => weight.Length);
            int scales = weights.Sum(weight => weight.Rows);
            int floatParameters = model.ParameterCount - codes;
            byte[] data = new byte[(4 * model.BufferCount) + (4 * floatParameters) + (4 * scales) + codes];
            ReadOnlySpan<byte> source = floats.AsSpan();
            source.Slice(4 * model.ParameterCount, 4 * model.BufferCount).CopyTo(data);

            int written = 4 * model.BufferCount;
            int next = 0;
            foreach (QuantizedWeightModel weight in weights)
            {
                source.Slice(4 * next, 4 * (weight.Offset - next)).CopyTo(data.AsSpan(written));
                written += 4 * (weight.Offset - next);
                next = weight.Offset + weight.Length;
            }

            source.Slice(4 * next, 4 * (model.ParameterCount - next)).CopyTo(data.AsSpan(written));
            written += 4 * (model.ParameterCount - next);

            int code = written + (4 * scales);
            foreach (QuantizedWeightModel weight in weights)
            {
                for (int row = 0; row < weight.Rows; row++)
                {
                    float scale = QuantizeRow(values.AsSpan(weight.Offset + (row * weight.Columns), weight.Columns), data.AsSpan(code, weight.Columns));
                    WriteSingle(data.AsSpan(written, 4), scale);
                    written += 4;
                    code += weight.Columns;
                }
            }

            quantized = weights.ToEquatableArray();
            return data.ToEquatableArray();
        }

        /// <summary>
        /// One row as <c>Int8Quantization.QuantizeWeightsPerChannel</c> quantises it, in the same float arithmetic:
        /// <c>scale = max |w| / 127</c> (1 for a row of zeros) and <c>code = clamp(round(w / scale), -127, 127)</c>,
        /// halves to even. netstandard2.0 has no <c>MathF</c>: each quotient is rounded to float by its cast, and
        /// <c>Math.Round</c> of that float, exact in double, rounds it as <c>MathF.Round</c> would.
        /// </summary>
        /// <returns>The row's scale.</returns>
        private static float QuantizeRow(ReadOnlySpan<float> row, Span<byte> codes)
        {
            float largest = 0;
            foreach (float value in row)
            {
                largest = Math.Max(largest, Math.Abs(value));
            }

            float scale = largest == 0 ? 1f : (float)(largest / 127f);
            for (int i = 0; i < row.Length; i++)
            {
                double rounded = Math.Round((double)(float)(row[i] / scale), MidpointRounding.ToEven);
                codes[i] = unchecked((byte)(sbyte)Math.Max(-127.0, Math.Min(127.0, rounded)));
            }

            return scale;
        }

        /// <summary>Why the weight has no int8 form (a row too long for the kernel, a NaN or an infinity, a scale that rounds to 0) and the fix, or an empty string.</summary>
        private static string Unquantizable(QuantizedWeightModel weight, float[] values)
        {
            if (weight.Columns > MaxInt8Depth)
            {
                return $"the rows of tensor '{weight.Name}' hold {Count(weight.Columns)} values, more than the {Count(MaxInt8Depth)} the int8 kernel sums exactly; remove Quantization = EmbeddedQuantization.Int8 to embed the float weights";
            }

            for (int row = 0; row < weight.Rows; row++)
            {
                float largest = 0;
                for (int column = 0; column < weight.Columns; column++)
                {
                    float value = values[weight.Offset + (row * weight.Columns) + column];
                    if (float.IsNaN(value) || float.IsInfinity(value))
                    {
                        string what = float.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
                        return $"tensor '{weight.Name}' holds {what} at [{Invariant(row)}, {Invariant(column)}], which has no int8 scale; embed weights saved before training diverged, or remove Quantization = EmbeddedQuantization.Int8 to embed them as float";
                    }

                    largest = Math.Max(largest, Math.Abs(value));
                }

                if (largest > 0 && (float)(largest / 127f) == 0)
                {
                    return $"row {Invariant(row)} of tensor '{weight.Name}' is at most {largest.ToString("R", CultureInfo.InvariantCulture)} in magnitude, so its scale (largest / 127) rounds to 0; set the row to zeros, or remove Quantization = EmbeddedQuantization.Int8 to embed the float weights";
                }
            }

            return string.Empty;
        }

        private static float[] ReadSingles(ReadOnlySpan<byte> bytes)
        {
            float[] values = new float[bytes.Length / 4];
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
                return values;
            }

            Span<byte> swapped = stackalloc byte[4];
            for (int i = 0; i < values.Length; i++)
            {
                for (int b = 0; b < 4; b++)
                {
                    swapped[b] = bytes[(4 * i) + 3 - b];
                }

                values[i] = MemoryMarshal.Cast<byte, float>(swapped)[0];
            }

            return values;
        }

        private static void WriteSingle(Span<byte> destination, float value)
        {
            Span<float> one = stackalloc float[1];
            one[0] = value;
            MemoryMarshal.AsBytes(one).CopyTo(destination);
            if (!BitConverter.IsLittleEndian)
            {
                destination.Slice(0, 4).Reverse();
            }
        }

        private static string Count(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

        private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
