using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace TypedNets.Tests.Reference;

/// <summary>
/// One fixture written by <c>reference/pytorch/make_fixtures.py</c>: tensors and scalars computed by PyTorch in
/// float64 (format in <c>reference/README.md</c>).
/// </summary>
internal sealed class PyTorchFixture
{
    private readonly JsonElement _root;

    private PyTorchFixture(string name, JsonElement root)
    {
        Name = name;
        _root = root;
    }

    public string Name { get; }

    public static PyTorchFixture Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch", name + ".json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return new PyTorchFixture(name, document.RootElement.Clone());
    }

    public double[] Tensor(string name) => TensorWithShape(name).Data;

    public (double[] Data, int[] Shape) TensorWithShape(string name)
    {
        if (!_root.GetProperty("tensors").TryGetProperty(name, out JsonElement tensor))
        {
            throw new KeyNotFoundException($"Fixture '{Name}' has no tensor '{name}'.");
        }

        var shape = new List<int>();
        foreach (JsonElement dimension in tensor.GetProperty("shape").EnumerateArray())
        {
            shape.Add(dimension.GetInt32());
        }

        var data = new List<double>();
        foreach (JsonElement value in tensor.GetProperty("data").EnumerateArray())
        {
            data.Add(value.GetDouble());
        }

        return (data.ToArray(), shape.ToArray());
    }

    public float[] TensorAsFloat(string name) => Array.ConvertAll(Tensor(name), value => (float)value);

    public double Scalar(string name) => _root.GetProperty("scalars").GetProperty(name).GetDouble();

    public double ConfigNumber(string name) => _root.GetProperty("config").GetProperty(name).GetDouble();

    public bool ConfigFlag(string name) => _root.GetProperty("config").GetProperty(name).GetBoolean();

    public JsonElement Config(string name) => _root.GetProperty("config").GetProperty(name);

    public bool HasConfig(string name) => _root.GetProperty("config").TryGetProperty(name, out _);
}
