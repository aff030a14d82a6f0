using System;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TinyGpt;

// Prints a new fortune on every run, written by the character-level GPT that examples/TinyGpt trained on Debian's
// fortunes, with its weights compiled into this native file.
//
//   Fortune                 a quote from a random seed
//   Fortune --seed 7        the same quote every time for one seed
//   Fortune --time          also print how long the model took
const int MaxCharacters = 600;
ulong seed = (ulong)RandomNumberGenerator.GetInt32(int.MaxValue);
bool time = false;
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
        default:
            Console.Error.WriteLine("usage: Fortune [--seed N] [--time]");
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

return 0;
