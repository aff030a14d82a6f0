using System;
using System.Globalization;
using System.IO;
using FashionMnist;
using TypedNets.Examples;
using TypedNets.Reporting;
using TypedNets.Serialization;

// Exports examples/FashionMnist's ResNet, declared in C#, as a PyTorch module, the start of the scale-out walkthrough
// (docs/scale-out.md): PyTorch trains it on many processes or machines (train_ddp.py), and the trained weights come
// back to the same declaration (Native/, compiled in and checked at build time).
//
//   ScaleOut export DIR [--seed N]   writes DIR/model.py (class FashionResNet, TypedNets' state_dict names) and
//                                    DIR/model.safetensors (the weights drawn from seed N, 0 by default)
//   ScaleOut export DIR --report FILE also an HTML report: the exported network's diagram and summary
const int ExitUsage = 2;
if (args.Length < 2 || args[0] != "export")
{
    Console.Error.WriteLine(Usage());
    return args.Length == 1 && args[0] is "-h" or "--help" ? 0 : ExitUsage;
}

string directory = args[1];
ulong seed = 0;
string? reportPath = null;
for (int i = 2; i < args.Length; i++)
{
    if (args[i] == "--seed" && i + 1 < args.Length && ulong.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out seed))
    {
        i++;
        continue;
    }

    if (args[i] == "--report" && i + 1 < args.Length)
    {
        reportPath = args[++i];
        continue;
    }

    Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.\n\n{Usage()}");
    return ExitUsage;
}

// The initial weights are drawn here, by TypedNets, and travel in model.safetensors: every process PyTorch starts
// begins from the same point, and the same seed gives the same run.
var network = new FashionResNet(maxBatch: 1, seed: seed);
TorchExport.Write(network, directory);
foreach (string name in new[] { TorchExport.SourceFileName, TorchExport.WeightsFileName })
{
    string path = Path.Combine(directory, name);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {path} ({new FileInfo(path).Length:N0} bytes)"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"FashionResNet: {FashionResNet.ParameterCount:N0} parameters, weights from seed {seed}; in PyTorch: {nameof(FashionResNet)}().load_weights(\"{TorchExport.WeightsFileName}\")"));
if (reportPath is not null)
{
    var report = new Report("ScaleOut: the ResNet exported to PyTorch");
    report.AddText(string.Create(CultureInfo.InvariantCulture,
        $"{nameof(FashionResNet)}: {FashionResNet.ParameterCount:N0} parameters, initial weights from seed {seed}, written to {directory} as {TorchExport.SourceFileName} and {TorchExport.WeightsFileName}."));
    report.AddDiagram(FashionResNet.DiagramSvg, nameof(FashionResNet)).AddPreformatted(FashionResNet.Summary);
    ReportArgument.Save(report, reportPath);
}

return 0;

static string Usage() => """
    ScaleOut: exports examples/FashionMnist's ResNet as a PyTorch module for DistributedDataParallel (docs/scale-out.md).

    Usage:
      ScaleOut export DIR [--seed N] [--report FILE]
                                       DIR/model.py and DIR/model.safetensors (the initial weights, drawn from seed N)
    """;
