using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TypedNets.Compression;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using Export = TypedNets.Serialization.TorchExport;

namespace TypedNets.Tests.Serialization.TorchExport;

/// <summary>
/// The PyTorch export: the files it writes, their state_dict names and shapes, atomic writes and refusals, and the
/// generated source of a few networks against committed snapshots. With the environment variable
/// <c>TYPEDNETS_TORCH_DIR</c> set, every network of <see cref="TorchExportNetworks"/> is written there, one folder
/// each (model.py, model.safetensors, samples.safetensors with inputs and TypedNets' outputs), for
/// reference/torch_export/check_modules.py, which runs them in PyTorch.
/// </summary>
public sealed class TorchExportTests
{
    public static TheoryData<string> Networks => new(TorchExportNetworks.All.Keys);

    [Theory]
    [MemberData(nameof(Networks))]
    public void WritesTheModuleAndTheStateDictUnderTypedNetsNames(string name)
    {
        INetwork network = Prepare(name);
        string directory = Path.Combine(Path.GetTempPath(), $"typednets-torch-{Guid.NewGuid():N}");
        try
        {
            Export.Write(network, directory);
            Assert.Equal(
                [Export.SourceFileName, Export.WeightsFileName],
                Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            string source = File.ReadAllText(Path.Combine(directory, Export.SourceFileName));
            Assert.Equal(Export.ModuleSource(network), source);
            Assert.Contains($"class {network.Core.Name}(nn.Module):", source, StringComparison.Ordinal);

            // The weights are the state_dict, each tensor once (a tied table under the embedding's name), buffers included.
            var expected = network.Layers
                .SelectMany(layer => layer.Parameters.Select(p => (p.Name, Shape: p.Shape.ToArray()))
                    .Concat(layer.Buffers.Select(b => (b.Name, Shape: b.Shape.ToArray()))))
                .DistinctBy(tensor => tensor.Name)
                .ToList();
            Dictionary<string, int[]> header = ReadHeader(Path.Combine(directory, Export.WeightsFileName));
            Assert.Equal(expected.Select(t => t.Name).Order(StringComparer.Ordinal), header.Keys.Order(StringComparer.Ordinal));
            foreach ((string tensor, int[] shape) in expected)
            {
                Assert.Equal(shape, header[tensor]);
            }

            // Every module that holds parameters is created in __init__ at its dotted name (keywords: KeywordsAreReachedWithGetattr).
            foreach (Layer layer in network.Layers.Where(layer => layer.Parameters.Count > 0 && network is not KeywordNamesNet))
            {
                Assert.Contains(ModuleExpression(layer.Name), source, StringComparison.Ordinal);
            }

            // And the weights file loads back into a fresh network with the same predictions.
            INetwork fresh = TorchExportNetworks.All[name]();
            SafeTensors.Load(fresh, Path.Combine(directory, Export.WeightsFileName));
            float[] input = RandomInput(network, 2, new Random(3));
            Assert.Equal(Predict(network, input, 2), Predict(fresh, input, 2));

            WriteForChecker(name, network);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public void NestedModulesFollowTheDottedNames()
    {
        string source = Export.ModuleSource(new FashionMnist.FashionResNet(maxBatch: 1, seed: 1));
        Assert.Contains("self.layer1 = nn.ModuleList(nn.Module() for _ in range(2))", source, StringComparison.Ordinal);
        Assert.Contains("self.layer1[0].conv1 = nn.Conv2d(16, 16, 3, padding=1, bias=False)", source, StringComparison.Ordinal);
        Assert.Contains("self.layer2[0].downsample[0] = nn.Conv2d(16, 32, 1, stride=2, bias=False)", source, StringComparison.Ordinal);
        Assert.Contains("= BatchNorm2d(32, eps=1e-05, momentum=0.1)", source, StringComparison.Ordinal);

        string gpt = Export.ModuleSource(new TinyGpt.FortuneGpt(maxBatch: 1, seed: 1));
        Assert.Contains("self.transformer.h[3].attn.c_attn = nn.Linear(128, 384)", gpt, StringComparison.Ordinal);
        Assert.Contains("F.linear(x, self.transformer.wte.weight)", gpt, StringComparison.Ordinal);
        Assert.DoesNotContain("self.lm_head", gpt, StringComparison.Ordinal);
    }

    [Fact]
    public void KeywordsAreReachedWithGetattr()
    {
        string source = Export.ModuleSource(new KeywordNamesNet(maxBatch: 1, seed: 1));
        Assert.Contains("self.add_module(\"lambda\", nn.Linear(3, 4))", source, StringComparison.Ordinal);
        Assert.Contains("self.add_module(\"global\", nn.Module())", source, StringComparison.Ordinal);
        Assert.Contains("getattr(self, \"global\").add_module(\"pass\", nn.Linear(4, 4))", source, StringComparison.Ordinal);
        Assert.Contains("out_lambda = getattr(self, \"lambda\")(x)", source, StringComparison.Ordinal);
        Assert.Contains("getattr(getattr(self, \"global\"), \"pass\")(out_lambda)", source, StringComparison.Ordinal);
        Assert.Contains("x = getattr(self, \"class\")(x)", source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("example_fashion_mlp")]
    [InlineData("example_fashion_resnet")]
    [InlineData("example_fortune_gpt")]
    [InlineData("example_fortune_classifier")]
    [InlineData("masked_bidirectional_pool")]
    [InlineData("tiny_inception")]
    [InlineData("tied_head_with_bias")]
    public void SourceMatchesItsSnapshot(string name)
    {
        string source = Export.ModuleSource(TorchExportNetworks.All[name]());
        string? failure = PythonSnapshots.Verify($"TorchExportTests.{name}", source);
        Assert.True(failure is null, failure);
    }

    [Fact]
    public void ALoaderIsInTheFileSinceDebiansPyTorchHasNoSafetensorsPackage()
    {
        string source = Export.ModuleSource(new ReluNet(maxBatch: 1, seed: 1));
        Assert.Contains("def load_safetensors(path):", source, StringComparison.Ordinal);
        Assert.DoesNotContain("import safetensors", source, StringComparison.Ordinal);
        Assert.Contains("self.load_state_dict(load_safetensors(path), strict=True)", source, StringComparison.Ordinal);
    }

    [Fact]
    public void DeclaredLossesBecomePyTorchsOnLogitsWhereTheOutputIsSoftmaxOrSigmoid()
    {
        string crossEntropy = Export.ModuleSource(new FashionMnist.FashionMlp(maxBatch: 1, seed: 1));
        Assert.Contains("return F.cross_entropy(logits.reshape(-1, classes), target)", crossEntropy, StringComparison.Ordinal);
        Assert.Contains("return torch.softmax(self.logits(x), dim=-1)", crossEntropy, StringComparison.Ordinal);

        string ignoring = Export.ModuleSource(new NextTokenNet(maxBatch: 1, seed: 1));
        Assert.Contains("ignore_index=-1", ignoring, StringComparison.Ordinal);

        string binary = Export.ModuleSource(new BinaryNet(maxBatch: 1, seed: 1));
        Assert.Contains("F.binary_cross_entropy_with_logits(self.logits(x)", binary, StringComparison.Ordinal);

        string huber = Export.ModuleSource(new RegularizedNet(maxBatch: 1, seed: 1));
        Assert.Contains("F.huber_loss(self(x), target, delta=0.5)", huber, StringComparison.Ordinal);

        Assert.DoesNotContain("def loss(", Export.ModuleSource(new ReluNet(maxBatch: 1, seed: 1)), StringComparison.Ordinal);
    }

    [Fact]
    public void AQuantisedNetworkIsRefusedAndTheFolderKeepsItsFiles()
    {
        var quantized = new QuantMlp(seed: 4).Quantize();
        string directory = Path.Combine(Path.GetTempPath(), $"typednets-torch-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            File.WriteAllText(Path.Combine(directory, Export.SourceFileName), "an older model");
            File.WriteAllText(Path.Combine(directory, Export.WeightsFileName), "older weights");
            var refused = Assert.Throws<NotSupportedException>(() => Export.Write(quantized, directory));
            Assert.Contains("'QuantMlp'", refused.Message, StringComparison.Ordinal);
            Assert.Contains("before Quantize()", refused.Message, StringComparison.Ordinal);
            Assert.Equal("an older model", File.ReadAllText(Path.Combine(directory, Export.SourceFileName)));
            Assert.Equal("older weights", File.ReadAllText(Path.Combine(directory, Export.WeightsFileName)));
            Assert.Equal(2, Directory.GetFiles(directory).Length);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AFolderInTheWayOfModelPyLeavesTheWeightsAsTheyWere()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"typednets-torch-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(directory, Export.SourceFileName));
        try
        {
            File.WriteAllText(Path.Combine(directory, Export.WeightsFileName), "older weights");
            var error = Assert.Throws<IOException>(() => Export.Write(new ReluNet(maxBatch: 1, seed: 1), directory));
            Assert.Contains(Export.SourceFileName, error.Message, StringComparison.Ordinal);
            Assert.Contains("is a folder", error.Message, StringComparison.Ordinal);
            Assert.Equal("older weights", File.ReadAllText(Path.Combine(directory, Export.WeightsFileName)));
            Assert.Single(Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AnExportReplacesBothFilesOfAnEarlierOne()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"typednets-torch-{Guid.NewGuid():N}");
        try
        {
            Export.Write(new ReluNet(maxBatch: 1, seed: 1), directory);
            var network = new TanhNet(maxBatch: 1, seed: 2);
            Export.Write(network, directory);
            Assert.Contains("class TanhNet(nn.Module):", File.ReadAllText(Path.Combine(directory, Export.SourceFileName)), StringComparison.Ordinal);
            var fresh = new TanhNet(maxBatch: 1, seed: 3);
            SafeTensors.Load(fresh, Path.Combine(directory, Export.WeightsFileName));
            Assert.Equal(network.Parameters.ToArray(), fresh.Parameters.ToArray());
            Assert.Equal(2, Directory.GetFiles(directory).Length);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public void BadArgumentsAreRefusedByName()
    {
        var network = new ReluNet(maxBatch: 1, seed: 1);
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => Export.Write(null!, "folder")).ParamName);
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => Export.ModuleSource(null!)).ParamName);
        Assert.Equal("directory", Assert.Throws<ArgumentNullException>(() => Export.Write(network, null!)).ParamName);
        Assert.Equal("directory", Assert.Throws<ArgumentException>(() => Export.Write(network, string.Empty)).ParamName);

        string file = Path.Combine(Path.GetTempPath(), $"typednets-torch-{Guid.NewGuid():N}.py");
        try
        {
            File.WriteAllText(file, "a file");
            var error = Assert.Throws<ArgumentException>(() => Export.Write(network, file));
            Assert.Equal("directory", error.ParamName);
            Assert.Contains("folder", error.Message, StringComparison.Ordinal);
            Assert.Equal("a file", File.ReadAllText(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// A fresh network with its biases, norm scales and running statistics drawn afresh (they start at
    /// zeros and ones, which would hide one given to the wrong input); batch-normalised networks then take a few training
    /// steps, so that their running statistics are the ones training leaves.
    /// </summary>
    internal static INetwork Prepare(string name)
    {
        INetwork network = TorchExportNetworks.All[name]();
        var random = new Random(name.Length * 31 + name[0]);
        foreach (Layer layer in network.Layers)
        {
            // Weights keep the network's own initialisation, scaled to their fan-in, so that outputs stay in the range
            // where a wrong weight shows (random weights of a wide layer would saturate every softmax).
            foreach (ParameterTensor parameter in layer.Parameters.Where(parameter => parameter.Shape.Length == 1))
            {
                bool scale = parameter.Name.EndsWith(".weight", StringComparison.Ordinal);
                Span<float> values = parameter.Values;
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = scale ? (float)(0.5 + random.NextDouble()) : (float)(random.NextDouble() - 0.5);
                }
            }

            foreach (BufferTensor buffer in layer.Buffers)
            {
                bool variance = buffer.Name.EndsWith("running_var", StringComparison.Ordinal);
                Span<float> values = buffer.Values;
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = variance ? (float)(0.2 + random.NextDouble()) : (float)(random.NextDouble() - 0.5);
                }
            }
        }

        if (network.Layers.Any(layer => layer is BatchNormLayer))
        {
            for (int step = 0; step < 3; step++)
            {
                float[] input = RandomInput(network, TorchExportNetworks.MaxBatch, random);
                ReadOnlySpan<float> output = network.Forward(input, training: true);
                float[] gradient = new float[output.Length];
                for (int i = 0; i < gradient.Length; i++)
                {
                    gradient[i] = (float)(random.NextDouble() - 0.5) / gradient.Length;
                }

                network.ZeroGradients();
                network.Backward(gradient);
                foreach (ParameterTensor parameter in network.Layers.SelectMany(layer => layer.Parameters))
                {
                    for (int i = 0; i < parameter.Length; i++)
                    {
                        parameter.Values[i] -= 0.1f * parameter.Gradient[i];
                    }
                }
            }
        }

        return network;
    }

    /// <summary>Inputs in [-2, 2), or token ids with padding (id 0) in the middle and at the end, where masks matter.</summary>
    internal static float[] RandomInput(INetwork network, int batch, Random random)
    {
        float[] input = new float[batch * network.InputSize];
        EmbeddingLayer? embedding = network.Layers.OfType<EmbeddingLayer>().FirstOrDefault();
        if (!network.Core.TokenInput || embedding is null)
        {
            for (int i = 0; i < input.Length; i++)
            {
                input[i] = (float)((random.NextDouble() * 4) - 2);
            }

            return input;
        }

        int steps = network.InputSize;
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                // Sample 1 ends in padding, sample 2 has a pad inside, sample 3 is all padding, others have none.
                bool pad = (b == 1 && t >= steps - 2) || (b == 2 && t == steps / 2) || b == 3;
                input[(b * steps) + t] = pad ? 0 : 1 + random.Next(embedding.Vocabulary - 1);
            }
        }

        return input;
    }

    private static float[] Predict(INetwork network, float[] input, int batch)
    {
        float[] output = new float[batch * network.OutputSize];
        network.Predict(input, output);
        return output;
    }

    private static string ModuleExpression(string name)
    {
        var path = new StringBuilder("self");
        foreach (string part in name.Split('.'))
        {
            path.Append(part.All(char.IsAsciiDigit) ? $"[{part}]" : $".{part}");
        }

        return path.ToString();
    }

    private static Dictionary<string, int[]> ReadHeader(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        long length = BitConverter.ToInt64(file, 0);
        using JsonDocument header = JsonDocument.Parse(file.AsMemory(8, (int)length));
        return header.RootElement.EnumerateObject()
            .Where(entry => entry.Name != "__metadata__")
            .ToDictionary(entry => entry.Name, entry => entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray());
    }

    /// <summary>One folder per network for check_modules.py: the export, and inputs with TypedNets' predictions for them.</summary>
    private static void WriteForChecker(string name, INetwork network)
    {
        string? root = Environment.GetEnvironmentVariable("TYPEDNETS_TORCH_DIR");
        if (string.IsNullOrEmpty(root))
        {
            return;
        }

        string folder = Path.Combine(root, name);
        Export.Write(network, folder);
        int batch = TorchExportNetworks.MaxBatch;
        float[] input = RandomInput(network, batch, new Random(name.Length));
        float[] output = Predict(network, input, batch);
        int[] inputShape = [batch, .. network.Layers[0].InputShape.ToArray()];
        int[] outputShape = [batch, .. network.Layers[^1].OutputShape.ToArray()];
        var tensors = new List<(string, int[], float[])> { ("input", inputShape, input), ("output", outputShape, output) };
        AddTrainingStep(network, input, tensors);
        File.WriteAllBytes(Path.Combine(folder, "samples.safetensors"), SampleFile([.. tensors]));
    }

    /// <summary>
    /// For a network with a declared loss: targets, the loss after a forward pass and every parameter's gradient, which
    /// check_modules.py compares with the module's loss(x, target) and its backward pass. The pass is in training mode
    /// (BatchNorm on the batch's statistics, as PyTorch's train mode) unless the network has dropout, whose masks
    /// PyTorch would draw otherwise: then in inference mode, as the module's eval mode (a network with both is left out).
    /// </summary>
    private static void AddTrainingStep(INetwork network, float[] input, List<(string, int[], float[])> tensors)
    {
        bool dropout = network.Layers.Any(layer => layer is DropoutLayer { Rate: > 0 } or SelfAttentionLayer { Dropout: > 0 } or RecurrentLayer { Dropout: > 0, NumLayers: > 1 });
        bool batchNorm = network.Layers.Any(layer => layer is BatchNormLayer);
        if (network.Core.DeclaredLoss is not LossFunction loss || (dropout && batchNorm))
        {
            return;
        }

        int batch = TorchExportNetworks.MaxBatch;
        int[] outputShape = network.Layers[^1].OutputShape.ToArray();
        var random = new Random(7);
        float[] target;
        if (loss.Kind == LossKind.CrossEntropy)
        {
            // Class indices, one per row (every position of a sequence), a few of them the ignore index if there is one.
            int classes = outputShape[^1];
            target = new float[batch * network.OutputSize / classes];
            for (int i = 0; i < target.Length; i++)
            {
                target[i] = loss.IgnoreIndex is int ignored && i % 3 == 1 ? ignored : random.Next(classes);
            }

            tensors.Add(("target_classes", [batch, .. outputShape[..^1]], target));
        }
        else
        {
            target = new float[batch * network.OutputSize];
            for (int i = 0; i < target.Length; i++)
            {
                target[i] = loss.Kind == LossKind.BinaryCrossEntropy ? random.Next(2) : (float)((random.NextDouble() * 2) - 1);
            }

            tensors.Add(("target", [batch, .. outputShape], target));
        }

        network.Forward(input, training: !dropout);
        network.ZeroGradients();
        float value = network.LossBackward(target);
        tensors.Add(("loss", [1], [value]));
        tensors.Add(("train_mode", [1], [dropout ? 0 : 1]));
        foreach (ParameterTensor parameter in network.Layers.SelectMany(layer => layer.Parameters).DistinctBy(parameter => parameter.Name))
        {
            tensors.Add(("grad." + parameter.Name, parameter.Shape.ToArray(), parameter.Gradient.ToArray()));
        }
    }

    /// <summary>A safetensors file of F32 tensors: an 8-byte little-endian header length, the JSON header, the data.</summary>
    private static byte[] SampleFile(params (string Name, int[] Shape, float[] Values)[] tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach ((string tensorName, int[] shape, float[] values) in tensors)
        {
            header[tensorName] = new { dtype = "F32", shape, data_offsets = new[] { offset, offset + (values.Length * 4L) } };
            offset += values.Length * 4L;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        using var stream = new MemoryStream();
        stream.Write(BitConverter.GetBytes((long)json.Length));
        stream.Write(json);
        foreach ((_, _, float[] values) in tensors)
        {
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }

        return stream.ToArray();
    }
}
