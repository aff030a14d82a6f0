using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace TypedNets.Generator;

/// <summary>
/// The names the emitter adds to a network class. The parser checks every user member against them, so a clash
/// is a TypedNets diagnostic on the user's line rather than a compiler error inside generated code. Those of embedded
/// weights are generated only with <c>[EmbeddedWeights]</c> but reserved in every network, so that adding the
/// attribute later cannot turn a user's member into a clash.
/// </summary>
/// <remarks>
/// The API every network shares (<c>Predict</c>, <c>Forward</c>, <c>Parameters</c>, ...) is not generated: it is the
/// runtime's extension members over <c>INetwork</c>, so its names are not reserved. A user's member of one of those names
/// simply wins over the extension member, as any instance member does.
/// </remarks>
internal static class GeneratedNames
{
    public const string InputShape = nameof(InputShape);
    public const string OutputShape = nameof(OutputShape);
    public const string InputSize = nameof(InputSize);
    public const string OutputSize = nameof(OutputSize);
    public const string ParameterCount = nameof(ParameterCount);
    public const string Summary = nameof(Summary);
    public const string Diagram = nameof(Diagram);
    public const string DiagramSvg = nameof(DiagramSvg);
    public const string Sample = nameof(Sample);
    public const string Prediction = nameof(Prediction);
    public const string Engine = nameof(Engine);
    public const string DeclaredLoss = nameof(DeclaredLoss);
    public const string LoadEmbeddedWeights = nameof(LoadEmbeddedWeights);
    public const string EmbeddedWeightBytes = nameof(EmbeddedWeightBytes);
    public const string EmbeddedWeightWords = nameof(EmbeddedWeightWords);
    public const string EmbeddedBufferBytes = nameof(EmbeddedBufferBytes);
    public const string CoreField = "_core";

    /// <summary>Every member name the emitter adds, with what it is (for the TN0011 message).</summary>
    public static readonly Dictionary<string, string> Members = new()
    {
        [InputShape] = "the static property InputShape",
        [OutputShape] = "the static property OutputShape",
        [InputSize] = "the constant InputSize",
        [OutputSize] = "the constant OutputSize",
        [ParameterCount] = "the constant ParameterCount",
        [Summary] = "the constant Summary",
        [Diagram] = "the constant Diagram",
        [DiagramSvg] = "the constant DiagramSvg",
        [Sample] = "the nested type Sample",
        [Prediction] = "the nested type Prediction",
        [Engine] = "the nested type Engine<T>",
        [DeclaredLoss] = "the static property DeclaredLoss",
        [LoadEmbeddedWeights] = "the method LoadEmbeddedWeights",
        [EmbeddedWeightBytes] = "the static property EmbeddedWeightBytes",
        [EmbeddedWeightWords] = "the private static property EmbeddedWeightWords",
        [EmbeddedBufferBytes] = "the static property EmbeddedBufferBytes",
        [CoreField] = "the private field _core",
    };

    /// <summary>The generated methods, which a user's method of the same name may overload.</summary>
    public static readonly HashSet<string> Methods = [LoadEmbeddedWeights];

    // Parameter types of every generated method, by their simple names.
    private static readonly Dictionary<string, string[][]> Signatures = new()
    {
        [LoadEmbeddedWeights] = [[]],
    };

    /// <summary>Whether a user method would have the same signature as a generated one (so it cannot be an overload).</summary>
    public static bool IsGeneratedSignature(string name, string[] parameterTypes)
        => Signatures.TryGetValue(name, out string[][]? overloads) && overloads.Any(overload => overload.SequenceEqual(parameterTypes));

    /// <summary>Whether a user constructor has the generated constructor's parameters (int maxBatch, ulong seed).</summary>
    public static bool IsGeneratedConstructor(string[] parameterTypes) => parameterTypes.SequenceEqual(["Int32", "UInt64"]);

    /// <summary>The private field that holds a layer's description object: <c>_hiddenLayer</c> for <c>Hidden</c>.</summary>
    public static string LayerField(string propertyName) => "_" + CamelCase(propertyName) + "Layer";

    /// <summary><c>Hidden</c> -> <c>hidden</c>; <c>OutputLayer</c> -> <c>outputLayer</c>.</summary>
    public static string CamelCase(string name)
        => name.Length == 0 || char.IsLower(name[0]) ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);

    /// <summary>
    /// The PyTorch module name of a property: snake_case, as an <c>nn.Module</c> attribute would be named.
    /// <c>Hidden</c> -> <c>hidden</c>, <c>OutputLayer</c> -> <c>output_layer</c>, <c>LSTMEncoder</c> -> <c>lstm_encoder</c>.
    /// </summary>
    public static string ModuleName(string propertyName)
    {
        var name = new StringBuilder(propertyName.Length + 4);
        for (int i = 0; i < propertyName.Length; i++)
        {
            char c = propertyName[i];
            if (char.IsUpper(c))
            {
                bool afterLowerOrDigit = i > 0 && (char.IsLower(propertyName[i - 1]) || char.IsDigit(propertyName[i - 1]));
                bool endsAcronym = i > 0 && char.IsUpper(propertyName[i - 1]) && i + 1 < propertyName.Length && char.IsLower(propertyName[i + 1]);
                if ((afterLowerOrDigit || endsAcronym) && name.Length > 0 && name[name.Length - 1] != '_')
                {
                    name.Append('_');
                }

                name.Append(char.ToLowerInvariant(c));
            }
            else
            {
                name.Append(c);
            }
        }

        return name.ToString();
    }
}
