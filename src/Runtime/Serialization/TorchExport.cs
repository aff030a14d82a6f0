using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using TypedNets.Compression;

namespace TypedNets.Serialization;

/// <summary>
/// Writes a network as PyTorch code and weights: a <c>model.py</c> holding one <c>torch.nn.Module</c> class named after
/// the network, whose <c>state_dict</c> has TypedNets' names and shapes, and a <c>model.safetensors</c> holding the
/// network's current weights (<see cref="SafeTensors.Save(INetwork, string, System.Collections.Generic.IReadOnlyDictionary{string, string}?)"/>).
/// </summary>
/// <remarks>
/// <para>
/// The module is made of PyTorch's own layers (<c>nn.Linear</c>, <c>nn.Conv2d</c>, <c>nn.LSTM</c>, <c>nn.BatchNorm2d</c>,
/// ...), so it trains in PyTorch and wraps in <c>DistributedDataParallel</c>; in eval mode its <c>forward(x)</c> returns
/// what <c>Predict</c> returns, <c>logits(x)</c> the last layer's values before its activation, and <c>loss(x, target)</c>
/// the network's declared loss as PyTorch computes it. <c>load_weights(path)</c> reads the safetensors file with torch
/// alone (Debian's PyTorch has no <c>safetensors</c> package) and loads it with <c>strict=True</c>; <c>save_weights(path)</c>
/// writes the trained <c>state_dict</c> back as a safetensors file that <see cref="SafeTensors"/> and
/// <c>[EmbeddedWeights]</c> read.
/// </para>
/// <para>
/// Every layer kind is covered, in blocks, residuals, branches and joins: the modules nest as the dotted names do
/// (<c>layer1.0.conv1</c> is <c>self.layer1[0].conv1</c>). A tied Dense reads its embedding's table, so the
/// <c>state_dict</c> holds it once; BatchNorm has no <c>num_batches_tracked</c>, which TypedNets does not keep. An
/// embedding with <c>MaskZero</c> carries its padding mask to the recurrent layers and 1-D global poolings it reaches,
/// which skip padded steps exactly as TypedNets does. Int8-quantised networks are refused: their weights are int8
/// codes that PyTorch's float layers cannot load; export the float network before <c>Quantize()</c>.
/// </para>
/// </remarks>
public static class TorchExport
{
    /// <summary>The name of the Python source file <see cref="Write"/> writes.</summary>
    public const string SourceFileName = "model.py";

    /// <summary>The name of the weights file <see cref="Write"/> writes.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>
    /// Writes <see cref="SourceFileName"/> and <see cref="WeightsFileName"/> for <paramref name="network"/> into
    /// <paramref name="directory"/>, creating it if needed. Both files are built in memory, written in full beside their
    /// targets (flushed to the disk), then renamed into place, so a refused network or a failed write leaves the files
    /// already there as they were.
    /// </summary>
    /// <param name="network">The network, with the weights to export.</param>
    /// <param name="directory">The folder to write into.</param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> or <paramref name="directory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty, or names an existing file.</exception>
    /// <exception cref="NotSupportedException">The network is int8-quantised; the message says what to export instead.</exception>
    /// <exception cref="IOException">
    /// Writing a file failed, or <c>model.py</c> or <c>model.safetensors</c> in <paramref name="directory"/> is a folder;
    /// the files already there are unchanged.
    /// </exception>
    public static void Write(INetwork network, string directory)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (File.Exists(directory))
        {
            throw new ArgumentException(
                $"'{directory}' is a file; TorchExport.Write writes {SourceFileName} and {WeightsFileName} into a folder, so pass a folder's path.",
                nameof(directory));
        }

        byte[] source = Encoding.UTF8.GetBytes(ModuleSource(network));
        using var weights = new MemoryStream();
        SafeTensors.Save(network, weights, new Dictionary<string, string> { ["format"] = "pt" });
        Directory.CreateDirectory(directory);

        // Both files are written in full beside their targets before either is renamed into place, so that a write
        // that fails (a full disk) leaves the old pair, not new weights beside an old model.py.
        string weightsPath = Path.Combine(directory, WeightsFileName);
        string sourcePath = Path.Combine(directory, SourceFileName);
        foreach (string target in (string[])[weightsPath, sourcePath])
        {
            if (Directory.Exists(target))
            {
                throw new IOException($"'{target}' is a folder, where TorchExport.Write puts a file; move or delete that folder, or export into another one.");
            }
        }

        string weightsTemporary = Temporary(weightsPath);
        string sourceTemporary = Temporary(sourcePath);
        try
        {
            WriteFlushed(weightsTemporary, weights.GetBuffer().AsSpan(0, (int)weights.Length));
            WriteFlushed(sourceTemporary, source);
            File.Move(weightsTemporary, weightsPath, overwrite: true);
            File.Move(sourceTemporary, sourcePath, overwrite: true);
        }
        finally
        {
            File.Delete(weightsTemporary);
            File.Delete(sourceTemporary);
        }
    }

    private static string Temporary(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");

    private static void WriteFlushed(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>The Python source of the <c>torch.nn.Module</c> equivalent to <paramref name="network"/>, as <see cref="Write"/> writes it.</summary>
    /// <param name="network">The network to describe; its weights are not part of the source.</param>
    /// <returns>The contents of <c>model.py</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> is <see langword="null"/>.</exception>
    /// <exception cref="NotSupportedException">The network is int8-quantised; the message says what to export instead.</exception>
    public static string ModuleSource(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.IsQuantized)
        {
            throw new NotSupportedException(
                $"Network '{network.Core.Name}' is quantised to int8, whose weights PyTorch's float layers cannot load; " +
                "export the float network before Quantize(), or load its float weights into a fresh instance and export that.");
        }

        return TorchModuleWriter.Write(network);
    }
}
