using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace TypedNets.Tests.Reference;

/// <summary>
/// One fixture written by a reference script: <c>reference/pytorch/make_fixtures.py</c> (PyTorch in float64) or
/// <c>reference/sklearn/make_metric_fixtures.py</c> (scikit-learn, and the Python port of TypedNets' splits).
/// Both write the format of <c>reference/README.md</c>: tensors, scalars, config and (scikit-learn) strings.
/// </summary>
internal sealed class ReferenceFixture
{
    private readonly JsonElement _root;

    private ReferenceFixture(string name, JsonElement root)
    {
        Name = name;
        _root = root;
    }

    public string Name { get; }

    public static string PyTorchDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch");

    public static string SklearnDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "sklearn");

    public static ReferenceFixture PyTorch(string name) => Load(PyTorchDirectory, name);

    public static ReferenceFixture Sklearn(string name) => Load(SklearnDirectory, name);

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

    /// <summary>A tensor of float32-representable values, as floats (exact: the script rounded them to float32).</summary>
    public float[] Floats(string name)
    {
        double[] values = Tensor(name);
        float[] floats = Array.ConvertAll(values, value => (float)value);
        for (int i = 0; i < values.Length; i++)
        {
            if (floats[i] != values[i])
            {
                throw new InvalidOperationException($"Fixture '{Name}' tensor '{name}' element {i} ({values[i]}) is not a float32 value.");
            }
        }

        return floats;
    }

    /// <summary>A tensor of whole numbers (labels, counts, indices), as ints.</summary>
    public int[] Ints(string name) => Array.ConvertAll(Tensor(name), value => checked((int)value) == value ? (int)value : throw new InvalidOperationException($"{name}: {value} is not whole."));

    public double Scalar(string name) => _root.GetProperty("scalars").GetProperty(name).GetDouble();

    public string String(string name) => _root.GetProperty("strings").GetProperty(name).GetString()!;

    public bool HasString(string name) => _root.TryGetProperty("strings", out JsonElement strings) && strings.TryGetProperty(name, out _);

    public double ConfigNumber(string name) => Config(name).GetDouble();

    public bool ConfigFlag(string name) => Config(name).GetBoolean();

    public JsonElement Config(string name) => _root.GetProperty("config").GetProperty(name);

    public bool HasConfig(string name) => _root.GetProperty("config").TryGetProperty(name, out _);

    private static ReferenceFixture Load(string directory, string name)
    {
        string path = Path.Combine(directory, name + ".json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return new ReferenceFixture(name, document.RootElement.Clone());
    }
}
