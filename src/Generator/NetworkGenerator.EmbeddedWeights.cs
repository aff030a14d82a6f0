using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    /// <summary>
    /// Compiles trained weights into a network (<c>[EmbeddedWeights("name.safetensors.b64")]</c>): finds the named file
    /// among the project's additional files, and checks every tensor in it against the network's: names, F32, shapes.
    /// A network that passes gets its parameters, then its buffers (BatchNorm's running statistics), as bytes in the
    /// layout of its parameter and buffer arrays; any fault is an error on the attribute (TN0029 to TN0032), and so is a
    /// NaN or an infinity among the values (TN0033) unless the attribute sets <c>AllowNonFinite</c>.
    /// </summary>
    /// <remarks>
    /// Each additional file is decoded and read once per change of its text (<see cref="ReadFile"/>); the check
    /// itself only matches names and copies bytes. It runs only for a network whose declaration has no error, since an
    /// invalid network has no parameter layout to check against.
    /// </remarks>
    internal static partial class EmbeddedWeights
    {
        /// <summary>The extension of the files read: base64 text. Other additional files are never read.</summary>
        public const string Extension = ".b64";

        public static bool IsCandidate(AdditionalText text) => text.Path.EndsWith(Extension, StringComparison.OrdinalIgnoreCase);

        /// <summary>Decodes and reads one additional file; never throws but for cancellation.</summary>
        public static WeightsFile ReadFile(AdditionalText text, CancellationToken cancellationToken)
        {
            string path = NormalizePath(text.Path);
            SourceText? content = text.GetText(cancellationToken);
            if (content is null)
            {
                return new WeightsFile(path, "its text could not be read", EquatableArray<WeightsTensor>.Empty, EquatableArray<byte>.Empty);
            }

            try
            {
                return SafeTensorsReader.Read(path, content.ToString());
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return new WeightsFile(path, $"reading it failed ({exception.GetType().Name}: {exception.Message})", EquatableArray<WeightsTensor>.Empty, EquatableArray<byte>.Empty);
            }
        }

        /// <summary>Checks a network's embedded weights, if it declares any, and puts them into its model.</summary>
        public static NetworkInfo Apply(NetworkInfo info, EquatableArray<WeightsFile> files)
        {
            if (info.EmbeddedWeights is not { } request || info.Model is not { IsValid: true } model)
            {
                return info;
            }

            var diagnostics = new List<DiagnosticInfo>(info.Diagnostics);
            EquatableArray<byte> data = Check(model, request, files, diagnostics);
            EquatableArray<QuantizedWeightModel> int8 = EquatableArray<QuantizedWeightModel>.Empty;
            if (request.Quantization != EmbeddedQuantization.None && diagnostics.Count == info.Diagnostics.Length)
            {
                data = Quantize(model, request, data, diagnostics, out int8);
            }

            bool valid = diagnostics.Count == info.Diagnostics.Length;
            return info with
            {
                Model = model with
                {
                    EmbeddedWeights = new EmbeddedWeightsModel(
                        request.FileName, valid ? data : EquatableArray<byte>.Empty, valid, valid ? int8 : EquatableArray<QuantizedWeightModel>.Empty),
                },
                Diagnostics = diagnostics.ToEquatableArray(),
            };
        }

        private static EquatableArray<byte> Check(NetworkModel model, EmbeddedWeightsRequest request, EquatableArray<WeightsFile> files, List<DiagnosticInfo> diagnostics)
        {
            string name = request.FileName;
            void NotFound(string problem) => diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmbeddedWeightsNotFound, request.Site, model.DisplayName, name, problem));

            if (string.IsNullOrWhiteSpace(name))
            {
                NotFound("the name is empty; name a base64 safetensors file, such as 'classifier.safetensors.b64', that SafeTensors.SaveBase64 wrote");
                return EquatableArray<byte>.Empty;
            }

            if (!name.EndsWith(Extension, StringComparison.OrdinalIgnoreCase))
            {
                NotFound($"the name does not end in '{Extension}'; embedded weights are a base64 safetensors file, such as 'classifier.safetensors.b64', that SafeTensors.SaveBase64 writes");
                return EquatableArray<byte>.Empty;
            }

            string wanted = NormalizePath(name).TrimStart('/');
            while (wanted.StartsWith("./", StringComparison.Ordinal))
            {
                wanted = wanted.Substring(2).TrimStart('/');
            }

            var matches = files.Where(file => file.Path == wanted || file.Path.EndsWith("/" + wanted, StringComparison.Ordinal)).ToList();
            if (matches.Count == 0)
            {
                NotFound($"no AdditionalFiles item has that name; add <AdditionalFiles Include=\"{name}\" /> to the project file");
                return EquatableArray<byte>.Empty;
            }

            if (matches.Count > 1)
            {
                NotFound(
                    $"{matches.Count.ToString(CultureInfo.InvariantCulture)} AdditionalFiles items match it ({string.Join(", ", matches.Select(file => "'" + file.Path + "'").OrderBy(path => path, StringComparer.Ordinal))}); " +
                    "name one by more of its path, such as 'Weights/" + wanted + "'");
                return EquatableArray<byte>.Empty;
            }

            WeightsFile weights = matches[0];
            if (weights.Problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MalformedEmbeddedWeights, request.Site, name, model.DisplayName, weights.Problem));
                return EquatableArray<byte>.Empty;
            }

            return MatchTensors(model, request, weights, diagnostics);
        }

        /// <summary>
        /// Every tensor of the network, parameters and BatchNorm's running statistics, must be in the file, as F32 with
        /// the layer's shape, and nothing else may be but BatchNorm's <c>num_batches_tracked</c> (an I64 scalar PyTorch
        /// saves, which inference does not use). The data is the parameters, then the buffers, each in its buffer's layout.
        /// </summary>
        private static EquatableArray<byte> MatchTensors(NetworkModel model, EmbeddedWeightsRequest request, WeightsFile weights, List<DiagnosticInfo> diagnostics)
        {
            var byName = new Dictionary<string, WeightsTensor>(StringComparer.Ordinal);
            foreach (WeightsTensor tensor in weights.Tensors)
            {
                byName[tensor.Name] = tensor;
            }

            string file = request.FileName;
            var matched = new List<(WeightsTensor Found, int Start)>();
            var expected = new HashSet<string>(StringComparer.Ordinal);
            int before = diagnostics.Count;
            foreach (LayerModel layer in model.Layers)
            {
                string layerKind = ShapeInference.KindName(layer.Kind);
                var tensors = layer.Tensors.Select(tensor => (Tensor: tensor, Start: tensor.Offset))
                    .Concat(layer.Buffers.Select(buffer => (Tensor: buffer, Start: model.ParameterCount + buffer.Offset)));
                foreach ((TensorModel tensor, int start) in tensors)
                {
                    string tensorName = layer.ModuleName + "." + tensor.Name;
                    expected.Add(tensorName);
                    string shape = ShapeMath.Format(tensor.Shape);
                    if (!byName.TryGetValue(tensorName, out WeightsTensor? found))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmbeddedTensorNamesMismatch, request.Site, file, model.DisplayName,
                            $"have no tensor '{tensorName}', which layer '{layer.PropertyName}' ({layerKind}) needs with shape {shape}",
                            "save the weights of this network with SafeTensors.SaveBase64"));
                        continue;
                    }

                    bool isSingle = Fits(
                        model, request, found, layer, found.Dtype == "F32", $"dtype {found.Dtype}", "F32",
                        "convert the weights to float32 before saving them (tensor.float() in PyTorch)", diagnostics);
                    bool hasShape = Fits(
                        model, request, found, layer, found.Shape.SequenceEqual(tensor.Shape.Select(dimension => (long)dimension)),
                        $"shape {SafeTensorsReader.Format(found.Shape)}", $"shape {shape}", "save the weights of this network, or declare the layer to match them", diagnostics);
                    if (isSingle && hasShape)
                    {
                        matched.Add((found, start));
                        if (!request.AllowNonFinite)
                        {
                            ReportNonFinite(model, request, weights, found, diagnostics);
                        }
                    }
                }

                string counter = layer.ModuleName + ".num_batches_tracked";
                if (layer.Kind == LayerKind.BatchNorm && byName.TryGetValue(counter, out WeightsTensor? tracked))
                {
                    expected.Add(counter);
                    Fits(
                        model, request, tracked, layer, tracked.Dtype == "I64" && tracked.Shape.Length == 0,
                        $"{tracked.Dtype} of shape {SafeTensorsReader.Format(tracked.Shape)}", "I64 of shape []",
                        "save num_batches_tracked as PyTorch does, or leave it out", diagnostics);
                }
            }

            foreach (WeightsTensor tensor in weights.Tensors)
            {
                if (!expected.Contains(tensor.Name))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmbeddedTensorNamesMismatch, request.Site, file, model.DisplayName,
                        $"have a tensor '{tensor.Name}' {tensor.Dtype} {SafeTensorsReader.Format(tensor.Shape)} that no layer of the network has",
                        "save the weights of this network, or declare the layer the tensor belongs to"));
                }
            }

            if (diagnostics.Count != before)
            {
                return EquatableArray<byte>.Empty;
            }

            // Every tensor matched, so the file holds exactly the network's parameters and buffers, and the copy fits.
            byte[] data = new byte[4 * (model.ParameterCount + model.BufferCount)];
            ReadOnlySpan<byte> buffer = weights.Buffer.AsSpan();
            foreach ((WeightsTensor found, int start) in matched)
            {
                buffer.Slice((int)found.Begin, (int)(found.End - found.Begin)).CopyTo(data.AsSpan(4 * start));
            }

            return data.ToEquatableArray();
        }

        /// <summary>
        /// Reports TN0033 for an F32 tensor of the file that holds NaN or an infinity: its first such element, and how
        /// many it has. The scan is one pass over bytes the check already holds, as cheap as the copy that follows it.
        /// </summary>
        private static void ReportNonFinite(NetworkModel model, EmbeddedWeightsRequest request, WeightsFile weights, WeightsTensor tensor, List<DiagnosticInfo> diagnostics)
        {
            ReadOnlySpan<byte> bytes = weights.Buffer.AsSpan().Slice((int)tensor.Begin, (int)(tensor.End - tensor.Begin));
            long first = -1;
            uint firstBits = 0;
            int count = 0;
            for (int i = 0; i < bytes.Length / 4; i++)
            {
                // Little-endian binary32: NaN or infinite exactly when all eight exponent bits are set.
                uint bits = bytes[4 * i] | ((uint)bytes[(4 * i) + 1] << 8) | ((uint)bytes[(4 * i) + 2] << 16) | ((uint)bytes[(4 * i) + 3] << 24);
                if ((bits & 0x7F80_0000u) == 0x7F80_0000u)
                {
                    if (count++ == 0)
                    {
                        first = i;
                        firstBits = bits;
                    }
                }
            }

            if (count == 0)
            {
                return;
            }

            string value = (firstBits & 0x007F_FFFFu) != 0 ? "NaN" : (firstBits >> 31) != 0 ? "-Infinity" : "Infinity";
            long[] index = new long[tensor.Shape.Length];
            long rest = first;
            for (int axis = index.Length - 1; axis >= 0; axis--)
            {
                index[axis] = rest % tensor.Shape[axis];
                rest /= tensor.Shape[axis];
            }

            string others = count == 1 ? "its only non-finite value" : $"the first of its {count.ToString(CultureInfo.InvariantCulture)} non-finite values";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonFiniteEmbeddedWeight, request.Site, request.FileName, model.DisplayName,
                value, tensor.Name, first.ToString(CultureInfo.InvariantCulture),
                "[" + string.Join(", ", index.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]",
                SafeTensorsReader.Format(tensor.Shape), others));
        }

        /// <summary>Reports TN0032 for a tensor of the file that is not what the layer needs; returns whether it is.</summary>
        private static bool Fits(
            NetworkModel model, EmbeddedWeightsRequest request, WeightsTensor found, LayerModel layer,
            bool fits, string given, string needed, string fix, List<DiagnosticInfo> diagnostics)
        {
            if (!fits)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmbeddedTensorDoesNotFit, request.Site, request.FileName, model.DisplayName,
                    found.Name, given, layer.PropertyName, ShapeInference.KindName(layer.Kind), needed, fix));
            }

            return fits;
        }

        private static string NormalizePath(string path) => path.Replace('\\', '/');
    }
}
