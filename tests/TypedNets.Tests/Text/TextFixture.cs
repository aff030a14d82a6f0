using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace TypedNets.Tests.Text;

/// <summary>
/// One fixture written by <c>reference/text/make_text_fixtures.py</c> from the Python port of Keras' tokenizer and
/// <c>pad_sequences</c>; the format is described in <c>reference/text/README.md</c>.
/// </summary>
internal sealed class TextFixture
{
    private readonly JsonElement _root;

    private TextFixture(string name, JsonElement root)
    {
        Name = name;
        _root = root;
    }

    public string Name { get; }

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "text");

    public static TextFixture Load(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, name + ".json")));
        return new TextFixture(name, document.RootElement.Clone());
    }

    public JsonElement Config(string key) => _root.GetProperty("config").GetProperty(key);

    public int? ConfigIntOrNull(string key) => Config(key).ValueKind == JsonValueKind.Null ? null : Config(key).GetInt32();

    public string? ConfigStringOrNull(string key) => Config(key).ValueKind == JsonValueKind.Null ? null : Config(key).GetString();

    public int Int(string key) => _root.GetProperty(key).GetInt32();

    public string[] Strings(string key) => _root.GetProperty(key).EnumerateArray().Select(e => e.GetString()!).ToArray();

    public string[][] StringBatches(string key)
        => _root.GetProperty(key).EnumerateArray().Select(batch => batch.EnumerateArray().Select(e => e.GetString()!).ToArray()).ToArray();

    /// <summary>A list of <c>[word, number]</c> pairs, in file order.</summary>
    public KeyValuePair<string, int>[] Pairs(string key)
        => _root.GetProperty(key).EnumerateArray().Select(pair => new KeyValuePair<string, int>(pair[0].GetString()!, pair[1].GetInt32())).ToArray();

    public int[][] IntLists(string key)
        => _root.GetProperty(key).EnumerateArray().Select(list => list.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();

    public (int[] Data, int[] Shape) IntTensor(string key)
    {
        JsonElement tensor = _root.GetProperty(key);
        return (tensor.GetProperty("data").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                tensor.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    public static IEnumerable<string> Names(string prefix)
        => System.IO.Directory.EnumerateFiles(Directory, prefix + "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;
}
