using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using TinyGpt;
using TypedNets;
using TypedNets.Examples;
using TypedNets.Explain;
using TypedNets.Reporting;

// Prints a new fortune on every run, written by the character-level GPT that examples/TinyGpt trained on Debian's
// fortunes, with its weights compiled into this native file.
//
//   Fortune                 a quote from a random seed
//   Fortune --seed 7        the same quote every time for one seed
//   Fortune --time          also print how long the model took
//   Fortune --report FILE   also write an HTML report: the diagram, the quote, and which characters decided the
//                           character after it (Integrated Gradients)
const int MaxCharacters = 600;
ulong seed = (ulong)RandomNumberGenerator.GetInt32(int.MaxValue);
bool time = false;
string? reportPath = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seed" when i + 1 < args.Length && ulong.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong chosen):
            seed = chosen;
            i++;
            break;
        case "--time":
            time = true;
            break;
        case "--report" when i + 1 < args.Length:
            reportPath = args[++i];
            break;
        default:
            Console.Error.WriteLine("usage: Fortune [--seed N] [--time] [--report FILE]");
            return 2;
    }
}

var clock = Stopwatch.StartNew();
var network = new FortuneGpt(maxBatch: 1);
var session = network.CreateGenerator(temperature: 0.8, topK: 40, seed: seed);
double setUp = clock.Elapsed.TotalMilliseconds;

// Quotes follow a blank line in the text the model learnt; a quote ends at the next blank line.
session.Prefill([Alphabet.Id('\n'), Alphabet.Id('\n')]);
var quote = new StringBuilder();
while (quote.Length < MaxCharacters)
{
    char next = Alphabet.Characters[session.Next()];
    if (next == '\n' && quote.Length > 0 && quote[^1] == '\n')
    {
        quote.Length--;
        break;
    }

    quote.Append(next);
}

// A quote cut at the limit ends at its last full line.
string text = quote.ToString();
if (quote.Length >= MaxCharacters && text.LastIndexOf('\n') is int lastLine and > 0)
{
    text = text[..lastLine];
}

Console.WriteLine(text.TrimEnd());
Console.Out.Flush();
if (time)
{
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{setUp:F1} ms to set up the model, {quote.Length} characters in {clock.Elapsed.TotalMilliseconds - setUp:F1} ms (seed {seed})"));
}

if (reportPath is not null)
{
    ReportArgument.Save(Explain(network, text, seed), reportPath);
}

return 0;

// The report: the network, the quote, and the Integrated Gradients of the last 64 characters (the context, padded
// with the newlines quotes follow) for the logit of the character the model finds most likely next.
static Report Explain(FortuneGpt network, string quote, ulong seed)
{
    var report = new Report("Fortune");
    report.AddPreformatted(quote);
    report.AddText(string.Create(CultureInfo.InvariantCulture, $"Written with seed {seed} (temperature 0.8, top 40) by the TinyGpt model compiled into this binary."));
    report.AddDiagram(FortuneGpt.DiagramSvg, nameof(FortuneGpt));
    string context = ("\n\n" + quote).PadLeft(FortuneGpt.Context, '\n')[^FortuneGpt.Context..];
    int[] ids = [.. context.Select(Alphabet.Id)];
    var sample = FortuneGpt.Sample.From(ids);
    FortuneGpt.Prediction logits = network.Predict(sample);
    ReadOnlySpan<float> last = ((ReadOnlySpan<float>)logits)[((FortuneGpt.Context - 1) * FortuneGpt.Vocabulary)..];
    int next = last.IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(last));
    AttributionResult characters = Attribution.IntegratedGradients(network, sample, target: ((FortuneGpt.Context - 1) * FortuneGpt.Vocabulary) + next);
    report.AddTokenImportance([.. context.Select(character => character.ToString())], characters.Values, string.Create(CultureInfo.InvariantCulture,
        $"The quote's last {FortuneGpt.Context} characters; the most likely next one is '{Alphabet.Characters[next]}': each character's Integrated Gradients for its logit (delta {characters.Delta:E1})"));

    // How far back the model reads: the size of each character's share, by its distance from the end of the context.
    double[] back = [.. Enumerable.Range(1, FortuneGpt.Context).Select(distance => (double)distance)];
    double[] share = [.. back.Select(distance => (double)Math.Abs(characters.Values[FortuneGpt.Context - (int)distance]))];
    report.AddLineChart("How far back the prediction reads: |Integrated Gradients| of each character by its distance from the end",
        "characters back", "|attribution|", new LineSeries("|attribution|", back, share));
    return report;
}
