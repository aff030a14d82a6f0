using System;

namespace TypedNets;

/// <summary>
/// Compiles trained weights into the network's assembly: the generator reads the named file at build time, checks
/// every tensor in it against the network, and embeds the parameters in the generated class, so that
/// <c>new MyNetwork()</c> is ready to predict without reading a file.
/// </summary>
/// <remarks>
/// <para>
/// The file is a safetensors file (the format of <c>SafeTensors.Save</c>, with PyTorch's <c>state_dict</c> names)
/// encoded as base64 text, conventionally <c>name.safetensors.b64</c>. <c>SafeTensors.SaveBase64</c> writes it. It
/// is text because a source generator receives the project's <c>AdditionalFiles</c> as text, not bytes (and must not
/// read files itself), so the project lists it as one:
/// </para>
/// <code>
/// &lt;ItemGroup&gt;
///   &lt;AdditionalFiles Include="classifier.safetensors.b64" /&gt;
/// &lt;/ItemGroup&gt;
/// </code>
/// <para>
/// The file is found by name: an <c>AdditionalFiles</c> item whose path ends with <see cref="FileName"/> (one or more
/// whole path segments, so <c>"Weights/classifier.safetensors.b64"</c> tells two files of the same name apart). The
/// build fails, with an error on this attribute, when no item or more than one matches (TN0029), when the text is not
/// base64 or its bytes not a safetensors file (TN0030), when a tensor is missing or is not one of the network's
/// (TN0031), when a tensor is not F32 or has another shape than the layer's (TN0032), or when a value is NaN or infinite
/// (TN0033) and <see cref="AllowNonFinite"/> is not set.
/// </para>
/// <para>
/// The generated class then has <c>EmbeddedWeightBytes</c>, the parameters as little-endian float32 bytes in the
/// layout of <c>Parameters</c> (a <c>ReadOnlySpan&lt;byte&gt;</c> over constant data in the assembly's image: no
/// allocation and no file I/O when it is read), and <c>LoadEmbeddedWeights()</c>, which copies them into
/// <c>Parameters</c>. The constructor draws the initial weights from its seed as usual and then calls
/// <c>LoadEmbeddedWeights()</c>; <c>Initialize(seed)</c> still draws fresh weights afterwards. Like
/// <c>SafeTensors.Save</c>, the file holds the trainable parameters only, not batch normalisation's running statistics.
/// </para>
/// <para>
/// With <see cref="Quantization"/> = <see cref="EmbeddedQuantization.Int8"/> the generator quantises the weights at
/// build time instead, and <c>EmbeddedWeightBytes</c> holds the parameters that stay float, the int8 weights' row
/// scales and their codes, one byte each (about a quarter of the float bytes for a Dense-heavy network); the
/// constructed network is then <c>Quantize()</c> of the float one.
/// </para>
/// <para>
/// The weights become C# source, a constant array of 64-bit words (two parameters each, two and a half characters of
/// source per byte), so embedding suits small models: 5 MB of weights (1.3 million parameters) compile in about 13
/// seconds; a model of hundreds of megabytes belongs in a file loaded with <c>SafeTensors.Load</c>.
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class EmbeddedWeightsAttribute : Attribute
{
    /// <summary>Names the base64 safetensors file to embed.</summary>
    /// <param name="fileName">The <c>AdditionalFiles</c> item, by file name (or by the end of its path), such as <c>"classifier.safetensors.b64"</c>.</param>
    public EmbeddedWeightsAttribute(string fileName) => FileName = fileName;

    /// <summary>The file name as declared.</summary>
    public string FileName { get; }

    /// <summary>
    /// Whether NaN and infinite values may be compiled in. By default they fail the build (TN0033): a network with one
    /// predicts NaN, and such weights are nearly always those of a training run that diverged. Set it for weights that
    /// hold an infinity on purpose; <c>SafeTensors.Load</c>'s <c>allowNonFinite</c> is the same choice at run time.
    /// </summary>
    public bool AllowNonFinite { get; set; }

    /// <summary>
    /// Whether the weights are compiled in as float32 (<see cref="EmbeddedQuantization.None"/>, the default) or
    /// quantised to int8 at build time (<see cref="EmbeddedQuantization.Int8"/>). With <c>Int8</c> the generator reads
    /// the same float file with the same checks, quantises the weights <c>network.Quantize()</c> would (the same
    /// per-row scales and codes, computed as the runtime computes them), and embeds their codes and scales and the
    /// other parameters' float values. The constructed network is a dynamically quantised inference network: it
    /// predicts exactly as <c>Quantize()</c> of the float network would, and cannot be trained. The build fails (TN0064)
    /// when the network has no weight to quantise or a weight to quantise has no int8 form (a NaN or an infinity, which
    /// <see cref="AllowNonFinite"/> lets into the float parameters only).
    /// </summary>
    public EmbeddedQuantization Quantization { get; set; }
}
