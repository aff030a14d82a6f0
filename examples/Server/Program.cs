using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Server;
using TypedNets.Examples;
using TypedNets.Reporting;
using TypedNets.Kernels;

// A prediction server for the Quickstart's breast-cancer classifier and the tutorial's text classifier, on 127.0.0.1
// only. Each model is one network shared by every request; ONNX Runtime answers the same endpoints under /onnx/ from
// models PyTorch exported with the same weights. See README.md.
//
//   Server [--port N] [--models DIR]          serve (port 5080; models in artifacts/server at the repository root)
//   Server --write-load-test DIR [--models DIR]
//                                             write the load test's requests and their single-threaded answers
//   Server --report FILE [--models DIR]       write an HTML report of the models it would serve, and exit
const int DefaultPort = 5080;
const int ExitUsage = 2;

int port = DefaultPort;
string? modelsDirectory = null;
string? loadTestDirectory = null;
string? reportPath = null;
for (int i = 0; i < args.Length; i++)
{
    string option = args[i];
    if (option is "-h" or "--help")
    {
        Console.WriteLine(Usage());
        return 0;
    }

    string? value = i + 1 < args.Length ? args[++i] : null;
    switch (option)
    {
        case "--port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536:
            break;
        case "--models" when value is not null:
            modelsDirectory = value;
            break;
        case "--write-load-test" when value is not null:
            loadTestDirectory = value;
            break;
        case "--report" when value is not null:
            reportPath = value;
            break;
        default:
            Console.Error.WriteLine($"Bad option '{option}'{(value is null ? " (without a value)" : $" '{value}'")}.\n\n{Usage()}");
            return ExitUsage;
    }
}

// Requests are the parallelism: each is served on its own thread, so a product never takes the second core from
// another request (ONNX Runtime gets one intra-op thread for the same reason).
Gemm.MaxThreads = 1;
modelsDirectory ??= FindModelsDirectory();
Models models = Models.Load(modelsDirectory);
foreach (string missing in models.Missing)
{
    Console.Error.WriteLine($"warning: {missing}");
}

if (loadTestDirectory is not null)
{
    return LoadTestData.Write(loadTestDirectory, models);
}

if (reportPath is not null)
{
    // What this server would answer: each model's network, its route and engines, and why an engine is missing.
    var report = new Report("Prediction server: the served models");
    report.AddText($"Models read from {modelsDirectory}; every route listens on 127.0.0.1 (port {port} by default).");
    report.AddTable(["model", "route", "engines", "missing"], Array.ConvertAll(models.Health().Models, model =>
        (IReadOnlyList<string>)[model.Name, model.Route, string.Join(", ", model.Engines), string.Join("; ", model.Missing ?? [])]));
    report.AddHeading(TumorModel.Name).AddDiagram(EmbeddedInference.BinaryClassifier.DiagramSvg, "BinaryClassifier (weights compiled in)");
    report.AddText($"A request holds rows of {TumorModel.FeatureNames.Length} measurements: {string.Join(", ", TumorModel.FeatureNames)}; the answer gives {string.Join(" and ", TumorModel.ClassNames)} probabilities.");
    ExplainTumorRequest(report);
    if (models.Fortunes is { } fortunes)
    {
        report.AddHeading(FortuneModel.Name).AddDiagram(TextClassifier.FortuneClassifier.DiagramSvg, "FortuneClassifier");
        report.AddText($"A request holds quotes, tokenized as the text classifier was trained; the answer gives {string.Join(" and ", fortunes.ClassNames)} probabilities.");
    }

    ReportArgument.Save(report, reportPath);
    return 0;
}

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseKestrel(kestrel =>
{
    // Loopback only: this example is never reachable from another machine.
    kestrel.Listen(IPAddress.Loopback, port);
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxRequestBodySize = Limits.MaxBodyBytes;
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default));
builder.Services.AddProblemDetails();

WebApplication app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapGet("/health", () => Results.Json(models.Health(), ServerJsonContext.Default.HealthResponse));
MapModels(string.Empty, models.TumorTypedNets, models.Fortunes?.Engine);
#if ONNX_RUNTIME
MapModels("/onnx", models.TumorOnnx, models.FortunesOnnx);
#endif

Console.WriteLine($"Serving on http://127.0.0.1:{port} (models: {modelsDirectory}); GET /health lists the models and engines.");
app.Run();
return 0;

void MapModels(string prefix, IClassifierEngine<float>? tumor, IClassifierEngine<int>? fortunes)
{
    string engine = prefix.Length == 0 ? Engines.TypedNets : Engines.OnnxRuntime;
    app.MapPost($"{prefix}/{TumorModel.Name}/predict", (HttpRequest request, CancellationToken cancel) =>
        Serve(request, ServerJsonContext.Default.TumorRequest, TumorModel.ExpectedBody, TumorModel.Shapes, TumorModel.Validate, tumor, TumorModel.ClassNames, models.Why(TumorModel.Name, engine), cancel));
    app.MapPost($"{prefix}/{FortuneModel.Name}/predict", (HttpRequest request, CancellationToken cancel) =>
        models.Fortunes is { } model
            ? Serve(request, ServerJsonContext.Default.FortuneRequest, FortuneModel.ExpectedBody, FortuneModel.Shapes, model.Validate, fortunes, model.ClassNames, models.Why(FortuneModel.Name, engine), cancel)
            : Task.FromResult(Unavailable(models.Why(FortuneModel.Name, engine))));
}

static async Task<IResult> Serve<TRequest, TInput>(
    HttpRequest request,
    JsonTypeInfo<TRequest> type,
    string expectedBody,
    IReadOnlyDictionary<string, string> shapes,
    Func<TRequest, RequestErrors, Samples<TInput>> validate,
    IClassifierEngine<TInput>? engine,
    string[] classNames,
    string? missing,
    CancellationToken cancel)
    where TRequest : class
    where TInput : unmanaged
{
    if (engine is null)
    {
        return Unavailable(missing);
    }

    if (!request.HasJsonContentType())
    {
        return Results.Problem(
            title: "The body must be JSON",
            detail: $"Content-Type is '{request.ContentType}'; send application/json: {expectedBody}.",
            statusCode: StatusCodes.Status415UnsupportedMediaType);
    }

    TRequest? body;
    try
    {
        body = await JsonSerializer.DeserializeAsync(request.Body, type, cancel);
    }
    catch (JsonException exception)
    {
        return Results.Problem(
            title: "The body is not a valid request",
            detail: $"{BodyErrors.Describe(exception, shapes)} Expected {expectedBody}.",
            statusCode: StatusCodes.Status400BadRequest);
    }
    catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
    {
        return Results.Problem(
            title: "The body is too large",
            detail: $"A request body may hold at most {Limits.MaxBodyBytes} bytes; send fewer samples per request (at most {Limits.MaxBatch}).",
            statusCode: StatusCodes.Status413PayloadTooLarge);
    }
    catch (BadHttpRequestException exception)
    {
        return Results.Problem(title: "The request could not be read", detail: exception.Message, statusCode: exception.StatusCode);
    }

    if (body is null)
    {
        return Results.Problem(title: "The body is not a valid request", detail: $"The body is null. Expected {expectedBody}.", statusCode: StatusCodes.Status400BadRequest);
    }

    var errors = new RequestErrors();
    Samples<TInput> samples = validate(body, errors);
    if (errors.Any)
    {
        return Results.ValidationProblem(errors.ToDictionary(), detail: $"Expected {expectedBody}.", title: "The request does not fit the model");
    }

    return Predictor.Predict(engine, samples, classNames) switch
    {
        BatchResponse batch => Results.Json(batch, ServerJsonContext.Default.BatchResponse),
        PredictionResponse one => Results.Json(one, ServerJsonContext.Default.PredictionResponse),
        var other => throw new InvalidOperationException($"Unexpected response {other}."),
    };
}

static IResult Unavailable(string? missing)
    => Results.Problem(title: "The model is not loaded", detail: missing, statusCode: StatusCodes.Status503ServiceUnavailable);

static string FindModelsDirectory()
{
    // artifacts/server at the repository root (ignored by git), found from the working directory or the program's own
    // folder, where examples/TextClassifier --export and reference/pytorch/export_server_models.py write.
    foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (DirectoryInfo? directory = new(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "TypedNets.sln")))
            {
                return Path.Combine(directory.FullName, "artifacts", "server");
            }
        }
    }

    return Path.Combine(Directory.GetCurrentDirectory(), "artifacts", "server");
}

static string Usage() => $"""
    Server: the Quickstart's breast-cancer classifier and the tutorial's text classifier over HTTP, on 127.0.0.1.

    Usage:
      Server [--port N] [--models DIR]                 serve on http://127.0.0.1:N (default {DefaultPort})
      Server --write-load-test DIR [--models DIR]      write the load test's requests and expected answers

    DIR defaults to artifacts/server at the repository root, where
      {FortuneModel.ExportCommand}
    writes the text classifier's weights and tokenizer, and
      /usr/bin/python3 reference/pytorch/export_server_models.py
    writes both models as ONNX for ONNX Runtime. The breast-cancer classifier's weights are compiled in.

    Endpoints: GET /health; POST /{TumorModel.Name}/predict and /{FortuneModel.Name}/predict (TypedNets), and the same
    under /onnx/ (ONNX Runtime). See examples/Server/README.md.
    """;

// The first held-out row as a request, scaled as the server scales it, and which measurements moved its answer:
// occlusion, the drop in the predicted class's probability when a measurement is set to the smallest value seen in
// training. It only predicts, as the server does.
static void ExplainTumorRequest(Report report)
{
    string[] heldout = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "heldout.csv"));
    float[] raw = Array.ConvertAll(heldout[1].Split(',')[..TumorModel.FeatureNames.Length], field => float.Parse(field, CultureInfo.InvariantCulture));
    var errors = new RequestErrors();
    Samples<float> scaled = TumorModel.Validate(new TumorRequest { Features = raw }, errors);
    var network = new EmbeddedInference.BinaryClassifier(maxBatch: 1);
    var sample = default(EmbeddedInference.BinaryClassifier.Sample);
    for (int column = 0; column < scaled.Rows.Length; column++)
    {
        sample[column] = scaled.Rows[column];
    }

    TypedNets.Explain.AttributionResult occlusion = TypedNets.Explain.Attribution.Occlusion(network, sample, window: [1]);
    report.AddAttribution(TumorModel.FeatureNames, occlusion.Values,
        $"A request of the first held-out row: {TumorModel.ClassNames[occlusion.Target]}; occlusion of each measurement (the drop in p({TumorModel.ClassNames[occlusion.Target]}) without it)");
}
