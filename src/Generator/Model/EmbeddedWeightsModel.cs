using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using TypedNets.Generator.Helpers;

namespace TypedNets.Generator.Model;

/// <summary>Weights compiled into a network from a base64 safetensors file (<c>[EmbeddedWeights]</c>), after their check.</summary>
/// <param name="FileName">The file as the attribute names it.</param>
/// <param name="Data">
/// Every parameter, then every buffer value (BatchNorm's running statistics), as little-endian float32 bytes, in the
/// layouts of the parameter and buffer arrays (so the file's tensors are already in <c>state_dict</c> order); empty when
/// the file failed its check.
/// </param>
/// <param name="IsValid">Whether the file was found and matched the network; when not, the emitter writes members that throw.</param>
internal sealed record EmbeddedWeightsModel(string FileName, EquatableArray<byte> Data, bool IsValid);

/// <summary>
/// A network's <c>[EmbeddedWeights]</c> as the parser found it, waiting for the project's additional files: the
/// file's name, whether NaN and infinite values may be embedded (<c>AllowNonFinite</c>), and where the attribute is,
/// for the diagnostics of the check.
/// </summary>
internal sealed record EmbeddedWeightsRequest(string FileName, DiagnosticSite Site, bool AllowNonFinite = false);

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
