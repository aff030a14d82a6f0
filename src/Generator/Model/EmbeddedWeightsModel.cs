using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using TypedNets.Generator.Helpers;

namespace TypedNets.Generator.Model;

/// <summary>Weights compiled into a network from a base64 safetensors file (<c>[EmbeddedWeights]</c>), after their check.</summary>
/// <param name="FileName">The file as the attribute names it.</param>
/// <param name="Data">
/// Float: every parameter, then every buffer value (BatchNorm's running statistics), as little-endian float32 bytes, in
/// the layouts of the parameter and buffer arrays (so the file's tensors are already in <c>state_dict</c> order).
/// Int8 (<paramref name="Int8Weights"/> not empty): the buffer values, then the parameters that stay float, then the
/// int8 weights' scales (float32, row by row), then their codes (one byte each, row-major), each part in parameter
/// order. Empty when the file failed its check.
/// </param>
/// <param name="IsValid">Whether the file was found and matched the network; when not, the emitter writes members that throw.</param>
/// <param name="Int8Weights">With <c>Quantization = EmbeddedQuantization.Int8</c>: the weights quantised at build time, in parameter order; empty otherwise.</param>
internal sealed record EmbeddedWeightsModel(string FileName, EquatableArray<byte> Data, bool IsValid, EquatableArray<QuantizedWeightModel> Int8Weights = default)
{
    /// <summary>Whether the weights are compiled in as int8.</summary>
    public bool IsInt8 => Int8Weights.Length > 0;
}

/// <summary>A weight the generator quantised to int8: its parameter tensor and its rows (output channels) and values per row.</summary>
/// <param name="Name">The <c>state_dict</c> name, such as <c>hidden.weight</c>.</param>
/// <param name="Offset">Where the tensor starts in the parameter buffer.</param>
/// <param name="Rows">The output channels, each with a scale of its own.</param>
/// <param name="Columns">The values per row.</param>
internal sealed record QuantizedWeightModel(string Name, int Offset, int Rows, int Columns)
{
    public int Length => Rows * Columns;
}

/// <summary>
/// A network's <c>[EmbeddedWeights]</c> as the parser found it, waiting for the project's additional files: the
/// file's name, whether NaN and infinite values may be embedded (<c>AllowNonFinite</c>), whether the weights are to be
/// quantised (<c>Quantization</c>), and where the attribute is, for the diagnostics of the check.
/// </summary>
internal sealed record EmbeddedWeightsRequest(string FileName, DiagnosticSite Site, bool AllowNonFinite = false, EmbeddedQuantization Quantization = EmbeddedQuantization.None);

/// <summary>
/// Where a diagnostic will be reported by a later step of the pipeline, kept as <see cref="DiagnosticInfo"/> keeps it:
/// a tree (the same instance while its file is unchanged, so it caches) and a span, never a <see cref="Location"/>.
/// </summary>
internal sealed record DiagnosticSite(SyntaxTree? SyntaxTree, TextSpan Span)
{
    public static DiagnosticSite From(Location? location) => new(location?.SourceTree, location?.SourceSpan ?? default);
}

/// <summary>
/// An additional file that may hold embedded weights (its name ends in <c>.b64</c>), decoded and read once each time
/// its text changes: either a problem that makes it unusable, or its tensors and data buffer.
/// </summary>
/// <param name="Path">The file's path, with '/' separators.</param>
/// <param name="Problem">Why the text is not a base64-encoded safetensors file, or <see langword="null"/>.</param>
/// <param name="Tensors">The header's tensors, in the order they are listed.</param>
/// <param name="Buffer">The data buffer after the header.</param>
internal sealed record WeightsFile(string Path, string? Problem, EquatableArray<WeightsTensor> Tensors, EquatableArray<byte> Buffer);

/// <summary>One tensor entry of a safetensors header.</summary>
/// <param name="Name">The <c>state_dict</c> name, such as <c>hidden.weight</c>.</param>
/// <param name="Dtype">The element type as written, such as <c>F32</c>.</param>
/// <param name="Shape">The dimensions.</param>
/// <param name="Begin">The first byte in the data buffer.</param>
/// <param name="End">One past the last byte.</param>
internal sealed record WeightsTensor(string Name, string Dtype, EquatableArray<long> Shape, long Begin, long End);
