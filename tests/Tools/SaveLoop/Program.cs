using System;
using System.IO;
using TypedNets;
using TypedNets.Serialization;

namespace TypedNets.Tools.SaveLoop;

/// <summary>
/// Saves weights to a file for a parent test process that kills it part-way (SIGKILL), to show what an interrupted
/// save leaves behind. Two modes:
/// <list type="bullet">
/// <item><c>loop PATH</c>: saves <see cref="SaveLoopNetwork"/> with seed 1, then seed 2, and so on for ever, printing
/// <c>saved N</c> after each save, until it is killed.</item>
/// <item><c>pause PATH SEED</c>: saves the network of that seed through <see cref="AtomicFile"/>, but stops half-way
/// through writing the temporary file, prints <c>paused</c> and waits for a line on standard input before it writes
/// the rest; it prints <c>saved</c> when the file is in place.</item>
/// <item><c>save PATH SEED</c>: one ordinary save, then <c>saved</c>.</item>
/// </list>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "loop")
        {
            INetwork[] networks = [new SaveLoopNetwork(maxBatch: 1, seed: 1), new SaveLoopNetwork(maxBatch: 1, seed: 2)];
            for (long n = 1; ; n++)
            {
                SafeTensors.Save(networks[(n - 1) % 2], args[1]);
                Console.WriteLine($"saved {n}");
            }
        }

        if (args.Length == 3 && args[0] == "pause")
        {
            var network = new SaveLoopNetwork(maxBatch: 1, seed: ulong.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
            var bytes = new MemoryStream();
            SafeTensors.Save(network, bytes);
            byte[] file = bytes.ToArray();
            AtomicFile.Write(args[1], stream =>
            {
                stream.Write(file, 0, file.Length / 2);
                stream.Flush();
                Console.WriteLine("paused");
                Console.ReadLine();
                stream.Write(file, file.Length / 2, file.Length - (file.Length / 2));
            });
            Console.WriteLine("saved");
            return 0;
        }

        if (args.Length == 3 && args[0] == "save")
        {
            SafeTensors.Save(new SaveLoopNetwork(maxBatch: 1, seed: ulong.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)), args[1]);
            Console.WriteLine("saved");
            return 0;
        }

        Console.Error.WriteLine("usage: SaveLoop loop PATH | SaveLoop pause PATH SEED | SaveLoop save PATH SEED");
        return 2;
    }
}

/// <summary>About 300 000 parameters (1.2 MB as F32): large enough that a save takes a while, small enough to save often.</summary>
[Network, Input(64)]
public partial class SaveLoopNetwork
{
    [Dense(512, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(512, Activation.ReLU)] public partial DenseLayer Second { get; }
    [Dense(10)] public partial DenseLayer Output { get; }
}
