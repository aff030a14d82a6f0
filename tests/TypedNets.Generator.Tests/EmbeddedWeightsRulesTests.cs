using System;
using System.Linq;
using TypedNets.Generator.Tests.Infrastructure;
using TypedNets.Serialization;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generator reads <c>[EmbeddedWeights]</c> files by the runtime's own safetensors rules (it compiles the
/// runtime's <c>SafeTensorsRules.cs</c>): every file the runtime refuses for its layout, the build refuses too, in the
/// runtime's words (as a clause of TN0030: lower case first, no final period).
/// </summary>
public class EmbeddedWeightsRulesTests
{
    private const string Network = """
        using TypedNets;

        [Network, Input(3), EmbeddedWeights("net.safetensors.b64")]
        public partial class Net
        {
            [Dense(2)] public partial DenseLayer Output { get; }
        }
        """;

    private const string Weight = "\"output.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}";
    private const string Bias = "\"output.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}";

    public static TheoryData<string, byte[]> BrokenFiles() => new()
    {
        { "header length below 2", [.. BitConverter.GetBytes(1UL), (byte)'{'] },
        { "header length past the file", [.. BitConverter.GetBytes(1000UL), .. "{}"u8] },
        { "header length over the limit", [.. BitConverter.GetBytes(200_000_000UL), .. "{}"u8] },
        { "leading space", WeightsFiles.File(" {" + Weight + "," + Bias + "}", new byte[32]) },
        { "not UTF-8", [.. BitConverter.GetBytes(4UL), (byte)'{', 0xC3, 0x28, (byte)'}'] },
        { "tensor twice", WeightsFiles.File("{" + Weight + "," + Weight + "}", new byte[24]) },
        { "metadata twice", WeightsFiles.File("{\"__metadata__\":{},\"__metadata__\":{}," + Weight + "," + Bias + "}", new byte[32]) },
        { "metadata key twice", WeightsFiles.File("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}," + Weight + "," + Bias + "}", new byte[32]) },
        { "field twice", WeightsFiles.File("{" + Weight.Replace("\"shape\"", "\"dtype\":\"F32\",\"shape\"", StringComparison.Ordinal) + "," + Bias + "}", new byte[32]) },
        { "unknown field", WeightsFiles.File("{" + Weight.Replace("\"shape\"", "\"strides\":[3,1],\"shape\"", StringComparison.Ordinal) + "," + Bias + "}", new byte[32]) },
        { "no shape", WeightsFiles.File("{" + Weight.Replace("\"shape\":[2,3],", "", StringComparison.Ordinal) + "," + Bias + "}", new byte[32]) },
        { "65 dimensions", WeightsFiles.File("{\"output.weight\":{\"dtype\":\"F32\",\"shape\":[" + string.Join(",", Enumerable.Repeat("1", 65)) + "],\"data_offsets\":[0,4]}}", new byte[4]) },
        { "element count past 2^64", WeightsFiles.File("{\"output.weight\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", []) },
        { "bytes past 2^64", WeightsFiles.File("{\"output.weight\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,8],\"data_offsets\":[0,0]}}", []) },
        { "offsets backwards", WeightsFiles.File("{" + Weight.Replace("[0,24]", "[24,0]", StringComparison.Ordinal) + "," + Bias + "}", new byte[32]) },
        { "offsets past the data", WeightsFiles.File("{" + Weight + "," + Bias.Replace("[24,32]", "[24,40]", StringComparison.Ordinal) + "}", new byte[32]) },
        { "bytes and shape disagree", WeightsFiles.File("{" + Weight.Replace("[0,24]", "[0,20]", StringComparison.Ordinal) + "," + Bias.Replace("[24,32]", "[20,28]", StringComparison.Ordinal) + "}", new byte[28]) },
        { "a gap", WeightsFiles.File("{" + Weight + "," + Bias.Replace("[24,32]", "[28,36]", StringComparison.Ordinal) + "}", new byte[36]) },
        { "an overlap", WeightsFiles.File("{" + Weight + "," + Bias.Replace("[24,32]", "[20,28]", StringComparison.Ordinal) + "}", new byte[32]) },
        { "bytes after the last tensor", WeightsFiles.File("{" + Weight + "," + Bias + "}", new byte[40]) },
        { "not starting at byte 0", WeightsFiles.File("{" + Weight.Replace("[0,24]", "[4,28]", StringComparison.Ordinal) + "," + Bias.Replace("[24,32]", "[28,36]", StringComparison.Ordinal) + "}", new byte[36]) },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void The_build_refuses_what_the_runtime_refuses_in_the_same_words(string fault, byte[] file)
    {
        var refused = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.ReadMetadata(file));
        string sentence = refused.Message;
        string clause = char.ToLowerInvariant(sentence[0]) + sentence[1..^1];

        GeneratorRun run = GeneratorHarness.Run(Network, WeightsFiles.Text("/project/net.safetensors.b64", WeightsFiles.Base64(file)));

        Assert.True(sentence.EndsWith('.'), fault);
        Expect.Diagnostic(run, "TN0030", Microsoft.CodeAnalysis.DiagnosticSeverity.Error, 3, "EmbeddedWeights(\"net.safetensors.b64\")",
            $"Embedded weights 'net.safetensors.b64' for network 'Net' are not a base64-encoded safetensors file: {clause}; write them with SafeTensors.SaveBase64");
    }
}
