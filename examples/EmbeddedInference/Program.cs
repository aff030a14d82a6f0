using System;
using System.Diagnostics;
using System.Globalization;
using EmbeddedInference;
using TypedNets;
using TypedNets.Examples;
using TypedNets.Explain;
using TypedNets.Reporting;

// Classifies breast-cancer tumours with the Quickstart's network, compiled ahead of time into one native file with its
// weights and its feature scaling inside: nothing is read at start-up but the rows to classify. Each row is the ten
// raw "mean" measurements, comma-separated, as in scikit-learn's breast_cancer.csv.
//
//   EmbeddedInference "17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871"   one row per argument
//   cut -d, -f1-10 rows.csv | EmbeddedInference                                             or one per line of input
//   EmbeddedInference --csv < rows.txt                                                       predicted,p_malignant,p_benign
//   EmbeddedInference --about                                                                the weights compiled in
//   EmbeddedInference --report FILE ROW...                                                   also an HTML report of the rows
const int ExitBadInput = 1;
const int ExitUsage = 2;
string[] featureNames =
[
    "mean radius", "mean texture", "mean perimeter", "mean area", "mean smoothness",
    "mean compactness", "mean concavity", "mean concave points", "mean symmetry", "mean fractal dimension",
];
string[] classNames = ["malignant", "benign"];

bool csv = false;
string? reportPath = null;
var classified = new System.Collections.Generic.List<(string Where, BinaryClassifier.Sample Sample, BinaryClassifier.Prediction Prediction)>();
int timedPredictions = 0;
var rows = new System.Collections.Generic.List<string>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--csv":
            csv = true;
            break;
        case "--time":
            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out timedPredictions) || timedPredictions < 1)
            {
                Console.Error.WriteLine($"--time needs a positive number of predictions, such as --time 1000000.\n\n{Usage()}");
                return ExitUsage;
            }

            i++;
            break;
        case "--report":
            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"--report needs a file, such as --report artifacts/embedded-report.html.\n\n{Usage()}");
                return ExitUsage;
            }

            reportPath = args[++i];
            break;
        case "--about":
            Console.WriteLine(About());
            return 0;
        case "-h" or "--help":
            Console.WriteLine(Usage());
            return 0;
        default:
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"Unknown option '{args[i]}'.\n\n{Usage()}");
                return ExitUsage;
            }

            rows.Add(args[i]);
            break;
    }
}

var network = new BinaryClassifier(maxBatch: 1);
if (timedPredictions > 0)
{
    return Time(timedPredictions);
}

if (csv)
{
    Console.WriteLine("predicted,p_malignant,p_benign");
}

if (rows.Count > 0)
{
    for (int i = 0; i < rows.Count; i++)
    {
        if (!Classify(rows[i], $"row {i + 1}"))
        {
            return ExitBadInput;
        }
    }

    return Finish();
}

if (!Console.IsInputRedirected)
{
    Console.Error.WriteLine("Reading rows from standard input, one per line; end with Ctrl-D. --help shows the usage.");
}

int lineNumber = 0;
while (Console.In.ReadLine() is { } line)
{
    lineNumber++;
    if (line.Trim().Length > 0 && !Classify(line, $"line {lineNumber}"))
    {
        return ExitBadInput;
    }
}

return Finish();

// With --report, the report: the network, each row's prediction, and per row which measurements moved it
// (occlusion: the drop in the predicted class's probability when a scaled measurement is set to 0, the smallest value
// seen in training). Occlusion only predicts, so it explains the int8 build as well as the float one.
int Finish()
{
    if (reportPath is null)
    {
        return 0;
    }

    var report = new Report("EmbeddedInference: breast-cancer classifier");
    report.AddText($"The Quickstart's network compiled ahead of time with its weights inside. {About()}");
    report.AddDiagram(BinaryClassifier.DiagramSvg, nameof(BinaryClassifier));
    report.AddTable(["row", "predicted", "p(malignant)", "p(benign)"], classified.ConvertAll(row => (System.Collections.Generic.IReadOnlyList<string>)
        [row.Where, classNames[row.Prediction.ArgMax()], row.Prediction[0].ToString("F4", CultureInfo.InvariantCulture), row.Prediction[1].ToString("F4", CultureInfo.InvariantCulture)]));
    foreach ((string where, BinaryClassifier.Sample sample, BinaryClassifier.Prediction prediction) in classified.GetRange(0, Math.Min(5, classified.Count)))
    {
        AttributionResult occlusion = Attribution.Occlusion(network, sample, window: [1]);
        report.AddAttribution(featureNames, occlusion.Values, $"{where}: {classNames[occlusion.Target]}; occlusion of each measurement (the drop in p({classNames[occlusion.Target]}) without it)");
    }

    ReportArgument.Save(report, reportPath);
    return 0;
}

bool Classify(string row, string where)
{
    if (!TryParse(row, where, out BinaryClassifier.Sample sample))
    {
        return false;
    }

    BinaryClassifier.Prediction prediction = network.Predict(sample);
    int predicted = prediction.ArgMax();
    classified.Add((where, sample, prediction));
    Console.WriteLine(csv
        ? string.Create(CultureInfo.InvariantCulture, $"{predicted},{prediction[0]:R},{prediction[1]:R}")
        : string.Create(CultureInfo.InvariantCulture, $"{where}: {classNames[predicted]} (p(malignant) = {prediction[0]:F4}, p(benign) = {prediction[1]:F4})"));
    return true;
}

// Ten raw values to one scaled sample, exactly as the Quickstart's MinMaxScaler.Transform computes it: in double,
// x * scale + offset, then rounded to float.
bool TryParse(string row, string where, out BinaryClassifier.Sample sample)
{
    sample = default;
    ReadOnlySpan<char> rest = row.AsSpan().TrimEnd('\r');
    int column = 0;
    while (true)
    {
        int comma = rest.IndexOf(',');
        ReadOnlySpan<char> field = (comma < 0 ? rest : rest[..comma]).Trim();
        if (column == BinaryClassifier.InputSize)
        {
            return Fail($"{where} has {row.AsSpan().Count(',') + 1} values, not {BinaryClassifier.InputSize}; {ExpectedRow()}");
        }

        if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
        {
            string text = field.Length == 0 ? "an empty field" : $"'{field}'";
            return Fail($"{where}, column {column + 1} ({featureNames[column]}): {text} is not a {(field.Length > 0 && float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? "finite " : "")}number; {ExpectedRow()}");
        }

        sample[column] = (float)((value * FeatureScaling.Scale[column]) + FeatureScaling.Offset[column]);
        column++;
        if (comma < 0)
        {
            break;
        }

        rest = rest[(comma + 1)..];
    }

    return column == BinaryClassifier.InputSize || Fail($"{where} has {column} value{(column == 1 ? "" : "s")}, not {BinaryClassifier.InputSize}; {ExpectedRow()}");
}

bool Fail(string message)
{
    Console.Error.WriteLine(message);
    return false;
}

string ExpectedRow() => $"a row is {BinaryClassifier.InputSize} comma-separated numbers: {string.Join(", ", featureNames)}";

int Time(int count)
{
    // The cost of one prediction once the program runs: the first held-out row, scaled, predicted count times.
    if (!TryParse(rows.Count > 0 ? rows[0] : "17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871", "row 1", out BinaryClassifier.Sample sample))
    {
        return ExitBadInput;
    }

    float sink = 0;
    for (int i = 0; i < Math.Min(count, 10_000); i++)
    {
        sink += network.Predict(sample)[0];
    }

    long start = Stopwatch.GetTimestamp();
    for (int i = 0; i < count; i++)
    {
        sink += network.Predict(sample)[0];
    }

    TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{count} predictions in {elapsed.TotalMilliseconds:F1} ms: {elapsed.TotalNanoseconds / count:F0} ns each ({(sink > 0 ? "checksum ok" : "checksum 0")})"));
    return 0;
}

// Which weights this build compiled in, and their bytes: float32, or int8 codes with per-row scales (-p:Int8=true).
string About()
{
#if INT8
    const string weights = "int8 weights (quantised at build time)";
#else
    const string weights = "float32 weights";
#endif
    return string.Create(CultureInfo.InvariantCulture,
        $"BinaryClassifier: {BinaryClassifier.ParameterCount} parameters, {weights}, {BinaryClassifier.EmbeddedWeightBytes.Length} embedded weight bytes");
}

string Usage() => $"""
    EmbeddedInference: the Quickstart's breast-cancer classifier, compiled ahead of time with its weights inside.

    Usage:
      EmbeddedInference [--csv] ROW...           classify each argument, a row of {BinaryClassifier.InputSize} comma-separated values
      EmbeddedInference [--csv] < rows.csv       classify each line of standard input (blank lines are skipped)
      EmbeddedInference --time N [ROW]           time N predictions of one row
      EmbeddedInference --about                  the weights compiled in (float32, or int8 in the -p:Int8=true build) and their bytes
      EmbeddedInference --report FILE ROW...     also write an HTML report: the network, the predictions, each row's occlusion

    A row holds the ten raw "mean" measurements of a tumour, in this order:
      {string.Join(", ", featureNames)}
    as in scikit-learn's breast_cancer.csv (its first ten columns).

    Output: the class and both probabilities per row; with --csv, the lines "predicted,p_malignant,p_benign"
    (0 = malignant, 1 = benign). Exit code 1 for a row that is not {BinaryClassifier.InputSize} numbers, 2 for bad usage.
    """;
