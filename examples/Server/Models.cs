using System;
using System.Collections.Generic;
using System.IO;

namespace Server;

/// <summary>The loaded models and engines, and what could not be loaded.</summary>
internal sealed class Models
{
    public const string TumorOnnxFile = "breast-cancer.onnx";
    public const string FortunesOnnxFile = "fortunes.onnx";
    public const string OnnxCommand = "/usr/bin/python3 reference/pytorch/export_server_models.py";

    private readonly Dictionary<string, string> _why = new(StringComparer.Ordinal);

    public required TypedNetsTumorEngine TumorTypedNets { get; init; }

    public FortuneModel? Fortunes { get; init; }

    public IClassifierEngine<float>? TumorOnnx { get; private set; }

    public IClassifierEngine<int>? FortunesOnnx { get; private set; }

    public List<string> Missing { get; } = [];

    public string ModelsDirectory { get; private init; } = "";

    public static Models Load(string directory)
    {
        FortuneModel? fortunes = FortuneModel.TryLoad(directory, out string? missingFortunes);
        var models = new Models { TumorTypedNets = new TypedNetsTumorEngine(), Fortunes = fortunes, ModelsDirectory = directory };
        if (missingFortunes is not null)
        {
            models.Note(FortuneModel.Name, Engines.TypedNets, missingFortunes);
            models.Note(FortuneModel.Name, Engines.OnnxRuntime, missingFortunes);
        }

#if ONNX_RUNTIME
        string tumorOnnx = Path.Combine(directory, TumorOnnxFile);
        if (File.Exists(tumorOnnx))
        {
            models.TumorOnnx = new OnnxEngine(tumorOnnx, EmbeddedInference.BinaryClassifier.InputSize, TumorModel.ClassNames.Length);
        }
        else
        {
            models.Note(TumorModel.Name, Engines.OnnxRuntime, $"{TumorModel.Name}: no {tumorOnnx}; write it with `{OnnxCommand}`");
        }

        string fortunesOnnx = Path.Combine(directory, FortunesOnnxFile);
        if (fortunes is not null && File.Exists(fortunesOnnx))
        {
            models.FortunesOnnx = new OnnxEngine(fortunesOnnx, FortuneModel.SequenceLength, fortunes.ClassNames.Length);
        }
        else if (fortunes is not null)
        {
            models.Note(FortuneModel.Name, Engines.OnnxRuntime, $"{FortuneModel.Name}: no {fortunesOnnx}; write it with `{OnnxCommand}` after the export above");
        }
#else
        models.Note(TumorModel.Name, Engines.OnnxRuntime, "this build has no ONNX Runtime (built with -p:OnnxRuntime=false)");
        models.Note(FortuneModel.Name, Engines.OnnxRuntime, "this build has no ONNX Runtime (built with -p:OnnxRuntime=false)");
#endif
        return models;
    }

    /// <summary>Why an engine of a model cannot answer, or null when it can.</summary>
    public string? Why(string model, string engine) => _why.GetValueOrDefault($"{model}/{engine}");

    public HealthResponse Health() => new()
    {
        Status = "ok",
        Models =
        [
            Entry(TumorModel.Name, TumorTypedNets, TumorOnnx),
            Entry(FortuneModel.Name, Fortunes?.Engine, FortunesOnnx),
        ],
    };

    private ModelHealth Entry(string name, object? typedNets, object? onnx)
    {
        var engines = new List<string>();
        var missing = new List<string>();
        foreach ((string engine, object? loaded) in new[] { (Engines.TypedNets, typedNets), (Engines.OnnxRuntime, onnx) })
        {
            if (loaded is not null)
            {
                engines.Add(engine);
            }
            else if (Why(name, engine) is { } why && !missing.Contains(why))
            {
                missing.Add(why);
            }
        }

        return new ModelHealth { Name = name, Route = $"/{name}/predict", Engines = engines.ToArray(), Missing = missing.Count == 0 ? null : missing.ToArray() };
    }

    private void Note(string model, string engine, string why)
    {
        _why[$"{model}/{engine}"] = why;
        if (!Missing.Contains(why))
        {
            Missing.Add(why);
        }
    }
}
