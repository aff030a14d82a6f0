using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using TypedNets.Optimizers;
using TypedNets.Serialization;

namespace TypedNets.Training;

/// <summary>
/// Saves and loads everything a training run needs to continue: the network's parameters and buffers, the optimizer's
/// state and, from <see cref="Trainer.Fit"/>, the run's progress (epoch, history, random generators). PyTorch users save
/// <c>{"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}</c>; this is that, in one
/// safetensors file.
/// </summary>
/// <remarks>
/// <para>The file is an ordinary safetensors file (see <see cref="SafeTensors"/>), readable by
/// <c>safetensors.torch.load_file</c>:</para>
/// <list type="bullet">
/// <item>the network's parameters and buffers under their <c>state_dict</c> names and shapes, F32, as
/// <see cref="SafeTensors.Save(INetwork, string, IReadOnlyDictionary{string, string})"/> writes them;</item>
/// <item>the optimizer's per-parameter state as <c>optimizer.state.&lt;parameter&gt;.&lt;state&gt;</c> with the parameter's
/// shape, such as <c>optimizer.state.hidden.weight.exp_avg</c>, with PyTorch's state names
/// (<see cref="Optimizer{T}.StateNames"/>); none before the optimizer's first step;</item>
/// <item>metadata: <c>optimizer</c> (its class, such as <c>Adam</c>), <c>optimizer.lr</c>, <c>optimizer.step</c>, each
/// hyper-parameter as <c>optimizer.&lt;name&gt;</c> (such as <c>optimizer.beta1</c>), settings as
/// <c>optimizer.setting.&lt;name&gt;</c>, the network's class as <c>network</c>, and with a run's progress
/// <c>training.*</c>: the epochs done, the seed, batch size, shuffling and training rows, the initial learning rate,
/// the states of the shuffling and dropout generators, and the history as JSON.</item>
/// </list>
/// <para>A load reads the whole file and checks all of it (the safetensors structure, every tensor's name and shape,
/// the optimizer's class and hyper-parameters, the progress) before it writes anything: when it throws, the network and
/// the optimizer are exactly as they were. Saves are atomic (<see cref="AtomicFile"/>): a crash during a save leaves
/// the previous checkpoint whole.</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The prefix of the optimizer's tensors in the file.</summary>
    public const string OptimizerPrefix = "optimizer.state.";

    private const string FormatKey = "typednets.checkpoint";
    private const string FormatVersion = "1";
    private const string NetworkKey = "network";
    private const string OptimizerKey = "optimizer";
    private const string LearningRateKey = "optimizer.lr";
    private const string StepKey = "optimizer.step";
    private const string SettingPrefix = "optimizer.setting.";

    /// <summary>
    /// Saves <paramref name="network"/>'s parameters and buffers and <paramref name="optimizer"/>'s state to
    /// <paramref name="path"/>, replacing the file atomically. For a custom training loop; <see cref="ModelCheckpoint"/>
    /// (and <see cref="TrainingControl.SaveCheckpoint"/>) also save <see cref="Trainer.Fit"/>'s progress.
    /// </summary>
    /// <param name="path">The file to create or replace, conventionally <c>*.safetensors</c>; its directory must exist.</param>
    /// <param name="network">The network being trained.</param>
    /// <param name="optimizer">Its optimizer.</param>
    /// <exception cref="ArgumentException">When the optimizer holds state for another number of parameters than the network has.</exception>
    /// <exception cref="IOException">When the file cannot be written; any previous file is unchanged.</exception>
    /// <exception cref="InvalidOperationException">When another thread is training the network or loading its weights.</exception>
    public static void Save(string path, INetwork network, Optimizer<float> optimizer) => Save(path, network, optimizer, progress: null);

    /// <summary>
    /// Loads a checkpoint written by <see cref="Save(string, INetwork, Optimizer{float})"/> or <see cref="ModelCheckpoint"/>
    /// into <paramref name="network"/> and <paramref name="optimizer"/>, after checking all of it.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="network">A network of the class that was saved; its parameters and buffers are replaced.</param>
    /// <param name="optimizer">An optimizer of the class and hyper-parameters that were saved; its state, step count, learning rate and settings are replaced.</param>
    /// <returns>The run's progress when <see cref="Trainer.Fit"/> saved it, else <see langword="null"/>; to continue that run, pass the path as <see cref="FitOptions.ResumeFrom"/> instead.</returns>
    /// <exception cref="SafeTensorsFormatException">
    /// When the file is not a whole, well-formed checkpoint, or is of another network (a tensor missing, extra or of
    /// another shape), another optimizer class or other hyper-parameters; the message names what differs. Nothing was changed.
    /// </exception>
    /// <exception cref="FileNotFoundException">When there is no file at <paramref name="path"/>.</exception>
    public static TrainingProgress? Load(string path, INetwork network, Optimizer<float> optimizer)
    {
        PendingLoad pending = Read(path, network, optimizer);
        pending.Commit();
        return pending.Progress;
    }

    /// <summary>
    /// The run's progress recorded in the checkpoint at <paramref name="path"/> (the epochs done, the history), read from
    /// its header without loading any tensor; <see langword="null"/> when it was saved outside <see cref="Trainer.Fit"/>.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <exception cref="SafeTensorsFormatException">When the file is malformed or its progress is.</exception>
    /// <exception cref="FileNotFoundException">When there is no file at <paramref name="path"/>.</exception>
    public static TrainingProgress? ReadProgress(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        IReadOnlyDictionary<string, string> metadata = SafeTensors.ReadMetadata(path);
        RequireCheckpoint(metadata, path);
        return TrainingProgress.FromMetadata(metadata, path);
    }

    internal static void Save(string path, INetwork network, Optimizer<float> optimizer, TrainingProgress? progress)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        using NetworkAccess.SharedScope reading = network.Access.Shared("Checkpoint.Save");
        OptimizerState<float> state = optimizer.GetState();
        if (state.Step > 0 && state.ParameterCount != network.Parameters.Length)
        {
            throw new ArgumentException(
                $"The {state.Optimizer} holds state for {state.ParameterCount} parameters, but {network.GetType().Name} has {network.Parameters.Length}; save a network with the optimizer that trains it.",
                nameof(optimizer));
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = FormatVersion,
            [NetworkKey] = network.GetType().Name,
            [OptimizerKey] = state.Optimizer,
            [LearningRateKey] = Invariant(state.LearningRate),
            [StepKey] = Invariant(state.Step),
        };
        foreach ((string key, string value) in state.HyperParameters)
        {
            metadata.Add(OptimizerKey + "." + key, value);
        }

        foreach ((string key, string value) in state.Settings)
        {
            metadata.Add(SettingPrefix + key, value);
        }

        progress?.AddTo(metadata);
        List<StateTensor> tensors = Tensors(network, state.Step > 0 ? optimizer.StateNames : []);

        // Everything is gathered before the file is opened, so a network or state that cannot be saved creates no file.
        byte[] header = SafeTensorsHeader.Write(tensors, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (StateTensor tensor in tensors)
            {
                ReadOnlySpan<float> source = tensor.Kind switch
                {
                    StateKind.Parameter => network.Parameters,
                    StateKind.Buffer => network.Buffers,
                    StateKind.OptimizerState => state.Buffers[optimizer.StateNames[tensor.Slot]],
                    _ => default,
                };
                if (!tensor.Required)
                {
                    // PyTorch's BatchNorm counter, which the header does not list either.
                    continue;
                }

                SafeTensors.WriteLittleEndian(stream, source.Slice(tensor.Offset, tensor.Length));
            }
        });
    }

    /// <summary>
    /// Reads and checks the whole checkpoint and decodes it into staging copies; nothing in the network or the optimizer
    /// changes until <see cref="PendingLoad.Commit"/>, which cannot fail.
    /// </summary>
    internal static PendingLoad Read(string path, INetwork network, Optimizer<float> optimizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);

        // One read of the whole file: the checks and the values come from the same bytes even if the file is replaced
        // meanwhile, and a file cut short is caught by the header's checks.
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 8)
        {
            throw SafeTensors.TooShort(file.Length, path);
        }

        int headerLength = SafeTensorsHeader.CheckLength(BinaryPrimitives.ReadUInt64LittleEndian(file), file.Length - 8, path);
        ReadOnlySpan<byte> header = file.AsSpan(8, headerLength);
        long bufferLength = file.Length - 8L - headerLength;
        IReadOnlyDictionary<string, string> metadata = SafeTensorsHeader.Parse(header, bufferLength, null, path, readMetadata: true).Metadata;
        RequireCheckpoint(metadata, path);

        OptimizerState<float> saved = OptimizerHeader(metadata, path, network.Parameters.Length);
        try
        {
            optimizer.CheckCompatible(saved);
        }
        catch (ArgumentException exception)
        {
            throw SafeTensorsHeader.Error(path, null, $"The checkpoint does not fit this optimizer: {exception.Message}", exception);
        }

        TrainingProgress? progress = TrainingProgress.FromMetadata(metadata, path);
        IReadOnlyList<string> stateNames = saved.Step > 0 ? optimizer.StateNames : [];
        StateTensor[] tensors = [.. Tensors(network, stateNames)];
        SafeTensorsLayout layout = SafeTensorsHeader.Parse(header, bufferLength, SafeTensorsHeader.NameOf(network), tensors, path);

        float[] parameters = network.Parameters.ToArray();
        float[] buffers = network.Buffers.ToArray();
        var optimizerBuffers = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (string name in stateNames)
        {
            optimizerBuffers.Add(name, new float[network.Parameters.Length]);
        }

        ReadOnlySpan<byte> data = file.AsSpan(8 + headerLength);
        foreach (PlannedTensor tensor in layout.Tensors)
        {
            StateTensor target = tensor.Target;
            Span<float> destination = target.Kind switch
            {
                StateKind.Parameter => parameters.AsSpan(target.Offset, target.Length),
                StateKind.Buffer => buffers.AsSpan(target.Offset, target.Length),
                StateKind.OptimizerState => optimizerBuffers[stateNames[target.Slot]].AsSpan(target.Offset, target.Length),
                _ => default,
            };
            if (target.Required)
            {
                SafeTensors.Decode(data[(int)tensor.Begin..(int)tensor.End], tensor.Dtype, destination);
            }
        }

        var state = new OptimizerState<float>(
            saved.Optimizer, saved.HyperParameters, saved.Settings, saved.LearningRate, saved.Step, saved.ParameterCount, optimizerBuffers);
        try
        {
            // Complete now that the buffers are in: what LoadState checks again cannot fail after this.
            optimizer.CheckCompatible(state, withBuffers: true);
        }
        catch (ArgumentException exception)
        {
            throw SafeTensorsHeader.Error(path, null, $"The checkpoint does not fit this optimizer: {exception.Message}", exception);
        }

        return new PendingLoad(network, optimizer, parameters, buffers, state, progress);
    }

    /// <summary>The network's state_dict tensors, then, for every parameter tensor, one tensor per optimizer state name.</summary>
    private static List<StateTensor> Tensors(INetwork network, IReadOnlyList<string> stateNames)
    {
        var tensors = new List<StateTensor>();
        foreach (StateTensor tensor in SafeTensorsHeader.StateOf(network))
        {
            if (tensor.Required)
            {
                tensors.Add(tensor);
            }
        }

        for (int slot = 0; slot < stateNames.Count; slot++)
        {
            foreach (Layer layer in network.Layers)
            {
                foreach (ParameterTensor parameter in layer.Parameters)
                {
                    tensors.Add(new StateTensor(
                        OptimizerPrefix + parameter.Name + "." + stateNames[slot], parameter.Shape.ToArray(), StateKind.OptimizerState, parameter.Offset, parameter.Length, slot));
                }
            }
        }

        // The BatchNorm counters PyTorch adds are accepted after every tensor this library writes, as in a weights file.
        foreach (StateTensor tensor in SafeTensorsHeader.StateOf(network))
        {
            if (!tensor.Required)
            {
                tensors.Add(tensor);
            }
        }

        return tensors;
    }

    private static void RequireCheckpoint(IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (!metadata.TryGetValue(FormatKey, out string? version) || !metadata.ContainsKey(OptimizerKey))
        {
            throw SafeTensorsHeader.Error(
                path,
                null,
                "The file is a safetensors file but not a training checkpoint: it holds no optimizer state. Load weights files with SafeTensors.Load, " +
                "and save checkpoints with ModelCheckpoint or Checkpoint.Save.");
        }

        if (version != FormatVersion)
        {
            throw SafeTensorsHeader.Error(path, null, $"The checkpoint is of format version '{version}', but this library reads version {FormatVersion}; load it with the version that wrote it.");
        }
    }

    /// <summary>The optimizer's metadata as a state without buffers, to check against the optimizer before reading tensors.</summary>
    private static OptimizerState<float> OptimizerHeader(IReadOnlyDictionary<string, string> metadata, string path, int parameterCount)
    {
        var hyperParameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in metadata)
        {
            if (key.StartsWith(SettingPrefix, StringComparison.Ordinal))
            {
                settings.Add(key[SettingPrefix.Length..], value);
            }
            else if (key.StartsWith(OptimizerKey + ".", StringComparison.Ordinal) && key != LearningRateKey && key != StepKey)
            {
                hyperParameters.Add(key[(OptimizerKey.Length + 1)..], value);
            }
        }

        double learningRate = ParseDouble(metadata, LearningRateKey, path);
        int step = ParseInt(metadata, StepKey, path);
        return new OptimizerState<float>(
            metadata[OptimizerKey], hyperParameters, settings, learningRate, step, step > 0 ? parameterCount : 0, new Dictionary<string, float[]>());
    }

    internal static double ParseDouble(IReadOnlyDictionary<string, string> metadata, string key, string? path)
        => metadata.TryGetValue(key, out string? text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw Malformed(metadata, key, "a number", path);

    internal static int ParseInt(IReadOnlyDictionary<string, string> metadata, string key, string? path)
        => metadata.TryGetValue(key, out string? text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw Malformed(metadata, key, "a whole number >= 0", path);

    internal static SafeTensorsFormatException Malformed(IReadOnlyDictionary<string, string> metadata, string key, string expected, string? path)
        => SafeTensorsHeader.Error(
            path,
            null,
            metadata.TryGetValue(key, out string? text)
                ? $"The checkpoint's metadata '{key}' is '{text}', not {expected}; the file was edited or corrupted."
                : $"The checkpoint's metadata has no '{key}'; the file was edited or written by something else.");

    internal static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A checked checkpoint, decoded into copies, waiting to be copied into the network and the optimizer.</summary>
    internal sealed class PendingLoad(INetwork network, Optimizer<float> optimizer, float[] parameters, float[] buffers, OptimizerState<float> state, TrainingProgress? progress)
    {
        /// <summary>The run's progress, when <see cref="Trainer.Fit"/> saved the checkpoint.</summary>
        public TrainingProgress? Progress => progress;

        /// <summary>Copies everything in; every check has passed, so nothing here can fail.</summary>
        public void Commit()
        {
            using NetworkAccess.Scope exclusive = network.Access.Exclusive("Checkpoint.Load");
            parameters.CopyTo(network.Parameters);
            buffers.CopyTo(network.Buffers);
            optimizer.LoadState(state);
        }
    }
}
