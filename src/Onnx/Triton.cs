using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Google.Protobuf;
using TypedNets.Serialization;
using global::Onnx;

namespace TypedNets.Onnx;

/// <summary>
/// Writes a network as a model of a <a href="https://github.com/triton-inference-server/server">Triton Inference
/// Server</a> model repository, served by Triton's ONNX Runtime backend: <c>&lt;repository&gt;/&lt;model&gt;/config.pbtxt</c>
/// and <c>&lt;repository&gt;/&lt;model&gt;/1/model.onnx</c> (version 1, the file name the backend looks for by default).
/// </summary>
/// <remarks>
/// The configuration is written from the exported graph itself: <c>platform: "onnxruntime_onnx"</c>, the
/// <c>max_batch_size</c> given, one <c>input</c> and one <c>output</c> entry per graph input and output with its name,
/// its data type (<c>TYPE_FP32</c>, or <c>TYPE_INT64</c> for the token ids of a <c>[TokenInput]</c> network) and its
/// per-sample <c>dims</c> (the model's shape without its first, dynamic <c>batch</c> dimension, which Triton adds and
/// bounds by <c>max_batch_size</c>), and <c>dynamic_batching { }</c>, so that Triton stacks concurrent requests into
/// one batch, with its default queue delay. Instances and devices are left to Triton's defaults (one instance on each
/// GPU, or one on the CPU).
/// </remarks>
public static class Triton
{
    /// <summary>The platform of Triton's ONNX Runtime backend.</summary>
    public const string Platform = "onnxruntime_onnx";

    /// <summary>
    /// Writes <paramref name="network"/> into the Triton model repository <paramref name="repository"/> as the model
    /// <paramref name="modelName"/>: <c>config.pbtxt</c> and <c>1/model.onnx</c> under <c>&lt;repository&gt;/&lt;modelName&gt;</c>,
    /// creating the directories as needed and replacing each file whole (each is written beside its target and moved
    /// into place). Nothing is written when the network cannot be exported.
    /// </summary>
    /// <param name="network">The network, with the weights to serve.</param>
    /// <param name="repository">The model repository, the directory <c>tritonserver --model-repository</c> is given.</param>
    /// <param name="modelName">The model's name, which is its directory's: one path segment, such as <c>classifier</c>.</param>
    /// <param name="maxBatchSize">The largest batch Triton forms from requests (<c>max_batch_size</c>); at least 1.</param>
    /// <returns>The model's directory, <c>&lt;repository&gt;/&lt;modelName&gt;</c>, as a full path.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/>, <paramref name="repository"/> or <paramref name="modelName"/> is null.</exception>
    /// <exception cref="ArgumentException">When <paramref name="repository"/> is empty, or <paramref name="modelName"/> is not one directory name (ParamName <c>modelName</c>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="maxBatchSize"/> is below 1.</exception>
    /// <exception cref="NotSupportedException">When the network holds a layer kind or option the ONNX export does not cover yet; the message names it.</exception>
    public static string ExportModel(INetwork network, string repository, string modelName, int maxBatchSize = 8)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(repository);
        CheckArguments(modelName, maxBatchSize);

        ModelProto model = OnnxGraphBuilder.Build(network);
        byte[] config = Encoding.UTF8.GetBytes(ConfigOf(model, modelName, maxBatchSize));
        byte[] bytes = model.ToByteArray();

        string directory = Path.Combine(Path.GetFullPath(repository), modelName);
        string version = Path.Combine(directory, "1");
        Directory.CreateDirectory(version);
        AtomicFile.Write(Path.Combine(version, "model.onnx"), stream => stream.Write(bytes));
        AtomicFile.Write(Path.Combine(directory, "config.pbtxt"), stream => stream.Write(config));
        return directory;
    }

    /// <summary>
    /// The <c>config.pbtxt</c> that <see cref="ExportModel"/> writes for <paramref name="network"/>, in protobuf's text
    /// format (Triton's <c>ModelConfig</c> message).
    /// </summary>
    /// <param name="network">The network to serve.</param>
    /// <param name="modelName">The model's name, which is its directory's in the repository.</param>
    /// <param name="maxBatchSize">The largest batch Triton forms from requests (<c>max_batch_size</c>); at least 1.</param>
    /// <returns>The configuration's text.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> or <paramref name="modelName"/> is null.</exception>
    /// <exception cref="ArgumentException">When <paramref name="modelName"/> is not one directory name (ParamName <c>modelName</c>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="maxBatchSize"/> is below 1.</exception>
    /// <exception cref="NotSupportedException">When the network holds a layer kind or option the ONNX export does not cover yet.</exception>
    public static string Config(INetwork network, string modelName, int maxBatchSize = 8)
    {
        ArgumentNullException.ThrowIfNull(network);
        CheckArguments(modelName, maxBatchSize);
        return ConfigOf(OnnxGraphBuilder.Build(network), modelName, maxBatchSize);
    }

    private static void CheckArguments(string modelName, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(modelName);

        // Triton takes the model's name from its directory, so the name must be one path segment on every platform.
        if (modelName.Length == 0 || modelName is "." or ".." || modelName.IndexOfAny(['/', '\\']) >= 0 ||
            modelName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || modelName.Any(char.IsControl) || modelName.Contains('"', StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"Model name '{modelName}' is not one directory name; Triton names a model after its directory in the repository. " +
                "Use a plain name such as \"classifier\", without path separators, quotes or control characters, and not \".\" or \"..\".",
                nameof(modelName));
        }

        if (maxBatchSize < 1)
        {
            // max_batch_size 0 tells Triton the model takes no batch dimension, but the exported graph always has one,
            // and dynamic_batching needs batches to form.
            throw new ArgumentOutOfRangeException(
                nameof(maxBatchSize),
                maxBatchSize,
                "max_batch_size must be at least 1: the exported model's first dimension is a dynamic batch, which dynamic_batching fills with up to max_batch_size requests.");
        }
    }

    private static string ConfigOf(ModelProto model, string modelName, int maxBatchSize)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"name: \"{modelName}\"\n");
        text.Append(CultureInfo.InvariantCulture, $"platform: \"{Platform}\"\n");
        text.Append(CultureInfo.InvariantCulture, $"max_batch_size: {maxBatchSize}\n");
        Tensors(text, "input", model.Graph.Input);
        Tensors(text, "output", model.Graph.Output);
        text.Append("dynamic_batching { }\n");
        return text.ToString();
    }

    private static void Tensors(StringBuilder text, string field, Google.Protobuf.Collections.RepeatedField<ValueInfoProto> values)
    {
        text.Append(field).Append(" [\n");
        for (int i = 0; i < values.Count; i++)
        {
            ValueInfoProto value = values[i];
            TypeProto.Types.Tensor tensor = value.Type.TensorType;
            string dataType = (TensorProto.Types.DataType)tensor.ElemType switch
            {
                TensorProto.Types.DataType.Float => "TYPE_FP32",
                TensorProto.Types.DataType.Int64 => "TYPE_INT64",
                var other => throw new NotSupportedException($"Graph {field} '{value.Name}' is of ONNX element type {other}, which has no Triton type here."),
            };

            // The first dimension is the batch, which max_batch_size stands for in Triton's configuration.
            string dims = string.Join(", ", tensor.Shape.Dim.Skip(1).Select(dim => dim.DimValue.ToString(CultureInfo.InvariantCulture)));
            text.Append("  {\n")
                .Append(CultureInfo.InvariantCulture, $"    name: \"{value.Name}\"\n")
                .Append(CultureInfo.InvariantCulture, $"    data_type: {dataType}\n")
                .Append(CultureInfo.InvariantCulture, $"    dims: [ {dims} ]\n")
                .Append(i == values.Count - 1 ? "  }\n" : "  },\n");
        }

        text.Append("]\n");
    }
}
