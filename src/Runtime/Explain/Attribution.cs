using System;
using System.Runtime.InteropServices;

namespace TypedNets.Explain;

/// <summary>
/// Explains a prediction: how much each input value (each token, for token ids) contributed to one output of a
/// network, computed through the network's generated backward pass. The methods and their conventions are Captum's
/// (<c>captum.attr</c>): <see cref="Saliency"/>, SmoothGrad (<c>NoiseTunnel</c> over saliency),
/// <see cref="IntegratedGradients"/> with <c>method="riemann_trapezoid"</c> and its convergence delta, and
/// <see cref="Occlusion"/>.
/// </summary>
/// <remarks>
/// <para>
/// The explained output is <c>target</c>, a flattened index into the network's output (a class, for a classifier), as
/// Captum's <c>target</c>; when it is not given, the class the network predicts for the sample (the largest output).
/// The output is the network's own: probabilities for a network that ends in Softmax, logits for one that ends in a
/// plain Dense layer, as Captum explains whatever <c>forward</c> returns.
/// </para>
/// <para>
/// For a network over token ids (<c>[TokenInput]</c>, starting with an Embedding), the gradient methods work on the
/// embedding vectors, as Captum's <c>LayerIntegratedGradients(model, model.embedding)</c> does, and sum each token's
/// attributions over its dimensions (<c>.sum(-1)</c>); <see cref="AttributionResult.EmbeddingValues"/> keeps them
/// before the sum. Occlusion replaces whole tokens by a baseline id.
/// </para>
/// <para>
/// Threading: the gradient methods run the network's training workspace, as <c>Backward</c> does, so they are for one
/// thread at a time and throw <see cref="InvalidOperationException"/> while another thread trains or predicts; the
/// network's gradient buffer is left as it was. <see cref="Occlusion"/> only predicts, and is as safe from many threads
/// as <c>Predict</c>. Every method runs its network evaluations in batches of the network's <c>MaxBatch</c>.
/// </para>
/// </remarks>
public static class Attribution
{
    /// <summary>
    /// Saliency (Simonyan et al., 2013): the gradient of the target output with respect to the input, by default its
    /// absolute value, as Captum's <c>Saliency.attribute(x, target, abs=True)</c>.
    /// </summary>
    /// <param name="network">The network to explain.</param>
    /// <param name="sample">The sample whose prediction is explained.</param>
    /// <param name="target">The flattened index of the output to explain; null for the predicted class.</param>
    /// <param name="absolute">Whether to take the gradient's absolute value (Captum's default); false for the signed gradient.</param>
    /// <returns>The attributions, shaped as the input (one per token for token ids).</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="target"/> is not an index of the output.</exception>
    /// <exception cref="ArgumentException">When a token id of <paramref name="sample"/> is outside the embedding's vocabulary.</exception>
    /// <exception cref="InvalidOperationException">When another thread is using the network, or it is quantised to int8.</exception>
    public static AttributionResult Saliency<TSample, TPrediction>(INetwork<TSample, TPrediction> network, in TSample sample, int? target = null, bool absolute = true)
        where TSample : unmanaged
        where TPrediction : unmanaged
        => SmoothGradCore(network, sample, target, samples: 1, noise: 0, seed: 0, absolute, "Attribution.Saliency");

    /// <summary>
    /// SmoothGrad (Smilkov et al., 2017): saliency averaged over <paramref name="samples"/> copies of the input with
    /// Gaussian noise of standard deviation <paramref name="noise"/> added to every value (to every embedding value for
    /// token ids), as Captum's <c>NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad", nt_samples=samples,
    /// stdevs=noise, target=target)</c>.
    /// </summary>
    /// <remarks>
    /// <paramref name="noise"/> is an absolute standard deviation in the input's units, as Captum's <c>stdevs</c>, not a
    /// fraction of the input's range as in the paper: for inputs scaled to [0, 1], the paper's 10-20% is 0.1-0.2, and the
    /// default of 0.15 sits there (Captum's own defaults are 5 samples and a deviation of 1). The noise comes from
    /// <paramref name="seed"/>, so a call is repeatable.
    /// </remarks>
    /// <param name="network">The network to explain.</param>
    /// <param name="sample">The sample whose prediction is explained.</param>
    /// <param name="target">The flattened index of the output to explain; null for the predicted class.</param>
    /// <param name="samples">How many noisy copies to average, at least 1.</param>
    /// <param name="noise">The standard deviation of the noise, 0 or more.</param>
    /// <param name="seed">Seeds the noise.</param>
    /// <param name="absolute">Whether to average the gradients' absolute values (Captum's default for saliency); false for signed gradients.</param>
    /// <returns>The attributions, shaped as the input (one per token for token ids).</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="target"/>, <paramref name="samples"/> or <paramref name="noise"/> is out of range.</exception>
    /// <exception cref="ArgumentException">When a token id of <paramref name="sample"/> is outside the embedding's vocabulary.</exception>
    /// <exception cref="InvalidOperationException">When another thread is using the network, or it is quantised to int8.</exception>
    public static AttributionResult SmoothGrad<TSample, TPrediction>(
        INetwork<TSample, TPrediction> network, in TSample sample, int? target = null, int samples = 50, double noise = 0.15, ulong seed = 0, bool absolute = true)
        where TSample : unmanaged
        where TPrediction : unmanaged
    {
        if (samples < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(samples), samples, "SmoothGrad averages over at least 1 noisy sample; pass samples: 1 or more (50 is usual).");
        }

        if (!(noise >= 0) || double.IsInfinity(noise))
        {
            throw new ArgumentOutOfRangeException(nameof(noise), noise, "SmoothGrad's noise is a standard deviation, a finite value of 0 or more, in the input's units (0.15 for inputs in [0, 1]).");
        }

        return SmoothGradCore(network, sample, target, samples, noise, seed, absolute, "Attribution.SmoothGrad");
    }

    /// <summary>
    /// Integrated Gradients (Sundararajan et al., 2017): <c>(x - baseline)</c> times the gradient of the target output
    /// averaged along the straight path from <paramref name="baseline"/> to the input, by the trapezoid rule over
    /// <paramref name="steps"/> points, as Captum's <c>IntegratedGradients.attribute(x, baselines, target,
    /// n_steps=steps, method="riemann_trapezoid", return_convergence_delta=True)</c>.
    /// </summary>
    /// <remarks>
    /// The attributions add up to <c>f(x) - f(baseline)</c> (completeness) but for the integration error, which
    /// <see cref="AttributionResult.Delta"/> reports as Captum does; raise <paramref name="steps"/> when it is large
    /// against that difference. The path's points run through the network in batches of its <c>MaxBatch</c>.
    /// For token ids the path runs between the embedding vectors of <paramref name="baseline"/>'s ids and the sample's,
    /// as Captum's <c>LayerIntegratedGradients</c> on the embedding layer.
    /// </remarks>
    /// <param name="network">The network to explain.</param>
    /// <param name="sample">The sample whose prediction is explained.</param>
    /// <param name="target">The flattened index of the output to explain; null for the predicted class.</param>
    /// <param name="baseline">The reference input; null for all zeros (token id 0 everywhere for token ids), as Captum.</param>
    /// <param name="steps">The number of points on the path, including both ends; at least 2, as the trapezoid rule needs.</param>
    /// <returns>The attributions, shaped as the input (one per token for token ids), with the convergence delta.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="target"/> or <paramref name="steps"/> is out of range.</exception>
    /// <exception cref="ArgumentException">When a token id of <paramref name="sample"/> or <paramref name="baseline"/> is outside the embedding's vocabulary.</exception>
    /// <exception cref="InvalidOperationException">When another thread is using the network, or it is quantised to int8.</exception>
    public static AttributionResult IntegratedGradients<TSample, TPrediction>(
        INetwork<TSample, TPrediction> network, in TSample sample, int? target = null, TSample? baseline = null, int steps = 50)
        where TSample : unmanaged
        where TPrediction : unmanaged
    {
        ArgumentNullException.ThrowIfNull(network);
        if (steps < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "Integrated Gradients' trapezoid rule needs at least 2 points on the path (both ends); pass steps: 50 or more.");
        }

        NetworkCore core = network.Core;
        TSample reference = baseline ?? default;
        Subject subject = Subject.Of(core, sample, nameof(sample));
        Subject start = Subject.Of(core, reference, nameof(baseline));
        using NetworkAccess.Scope exclusive = core.Access.Exclusive("Attribution.IntegratedGradients");
        float[] x = subject.Point(core);
        float[] x0 = start.Point(core);
        int chosen = ResolveTarget(core, subject, target);
        using var pass = new GradientPass(core, subject.Tokens, chosen);
        int size = pass.PointSize;

        // Captum's riemann_trapezoid: alphas linspace(0, 1, n), step sizes 1 / (n - 1) with both ends halved.
        var integral = new double[size];
        int batch = core.Engine.MaxBatch;
        var points = new float[batch * size];
        var gradients = new float[batch * size];
        var outputs = new float[batch];
        double atBaseline = 0, atInput = 0;
        for (int first = 0; first < steps; first += batch)
        {
            int rows = Math.Min(batch, steps - first);
            for (int row = 0; row < rows; row++)
            {
                double alpha = (double)(first + row) / (steps - 1);
                Span<float> point = points.AsSpan(row * size, size);
                for (int i = 0; i < size; i++)
                {
                    point[i] = (float)(x0[i] + (alpha * (x[i] - x0[i])));
                }
            }

            pass.Run(points.AsSpan(0, rows * size), gradients.AsSpan(0, rows * size), outputs);
            for (int row = 0; row < rows; row++)
            {
                int step = first + row;
                double weight = (step == 0 || step == steps - 1 ? 0.5 : 1.0) / (steps - 1);
                ReadOnlySpan<float> gradient = gradients.AsSpan(row * size, size);
                for (int i = 0; i < size; i++)
                {
                    integral[i] += weight * gradient[i];
                }

                if (step == 0)
                {
                    atBaseline = outputs[row];
                }

                if (step == steps - 1)
                {
                    atInput = outputs[row];
                }
            }
        }

        var attributions = new float[size];
        double total = 0;
        for (int i = 0; i < size; i++)
        {
            double value = (x[i] - (double)x0[i]) * integral[i];
            attributions[i] = (float)value;
            total += value;
        }

        return subject.Result(attributions, chosen, delta: total - (atInput - atBaseline));
    }

    /// <summary>
    /// Occlusion (Zeiler and Fergus, 2014): slides a window over the input, sets the values under it to
    /// <paramref name="baselineValue"/>, and gives every value the drop of the target output, <c>f(x) - f(occluded)</c>,
    /// averaged over the windows that covered it, as Captum's <c>Occlusion.attribute(x, sliding_window_shapes=window,
    /// strides=strides, baselines=baselineValue, target=target)</c>. For token ids the window slides over positions and
    /// the occluded tokens become the id <paramref name="baselineValue"/> (token removal, with the padding id).
    /// </summary>
    /// <remarks>
    /// <paramref name="window"/> has one length per axis of the input shape, or one fewer for an image <c>[channels,
    /// height, width]</c>, whose windows then span every channel (Captum's <c>(channels, h, w)</c>). Window positions
    /// start at 0 and step by <paramref name="strides"/> (1 on every axis by default) until the window reaches the end;
    /// a last window that would run past the end is cut there, as in Captum. A stride may not exceed its window, or
    /// values between two windows would have no attribution.
    /// </remarks>
    /// <param name="network">The network to explain.</param>
    /// <param name="sample">The sample whose prediction is explained.</param>
    /// <param name="window">The window's shape, such as <c>[3, 3]</c> for an image or <c>[1]</c> for one token at a time.</param>
    /// <param name="target">The flattened index of the output to explain; null for the predicted class.</param>
    /// <param name="strides">How far the window moves on each axis; null for 1 on every axis.</param>
    /// <param name="baselineValue">The value written under the window; for token ids, the id that replaces the tokens (0, the usual padding id, by default).</param>
    /// <returns>The attributions, shaped as the input (one per token for token ids).</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> or <paramref name="window"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="target"/> is not an index of the output.</exception>
    /// <exception cref="ArgumentException">
    /// When <paramref name="window"/> or <paramref name="strides"/> does not fit the input shape, a token id of
    /// <paramref name="sample"/> or <paramref name="baselineValue"/> is outside the embedding's vocabulary.
    /// </exception>
    /// <exception cref="InvalidOperationException">When another thread is training the network or loading its weights.</exception>
    public static AttributionResult Occlusion<TSample, TPrediction>(
        INetwork<TSample, TPrediction> network, in TSample sample, int[] window, int? target = null, int[]? strides = null, float baselineValue = 0f)
        where TSample : unmanaged
        where TPrediction : unmanaged
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(window);
        NetworkCore core = network.Core;
        Subject subject = Subject.Of(core, sample, nameof(sample));
        if (core.TokenInput)
        {
            int id = (int)baselineValue;
            if (id != baselineValue || id < 0 || id >= Vocabulary(core))
            {
                throw new ArgumentException(
                    $"{core.Name} takes token ids, so Occlusion's baselineValue is the id that replaces the occluded tokens, a whole number in [0, {Vocabulary(core)}); got {baselineValue}. Pass the padding id (usually 0).",
                    nameof(baselineValue));
            }
        }

        int[] shape = subject.Shape;
        (int[] fullWindow, int[] fullStrides, int[] counts) = OcclusionGrid(core.Name, shape, window, strides);
        if (target is int given)
        {
            CheckTarget(core, given);
        }

        int inputSize = core.InputSize;
        int outputSize = core.OutputSize;
        float[] input = subject.InputValues;
        using WorkspacePool<NetworkEngine<float>>.Lease lease = core.Predictors.Rent();
        NetworkEngine<float> workspace = lease.Workspace;
        ReadOnlySpan<float> original = Evaluate(workspace, core.TokenInput, input);
        int chosen = target ?? ArgMax(original);
        double reference = original[chosen];

        int windows = 1;
        foreach (int count in counts)
        {
            windows *= count;
        }

        var sums = new double[inputSize];
        var covered = new int[inputSize];
        int batch = workspace.MaxBatch;
        var occluded = new float[batch * inputSize];
        var masks = new bool[batch * inputSize];
        int[] position = new int[shape.Length];
        for (int first = 0; first < windows; first += batch)
        {
            int rows = Math.Min(batch, windows - first);
            for (int row = 0; row < rows; row++)
            {
                // Window number first + row in mixed radix over the counts, first axis fastest as in Captum (the order does not change the result).
                int rest = first + row;
                for (int axis = 0; axis < shape.Length; axis++)
                {
                    position[axis] = (rest % counts[axis]) * fullStrides[axis];
                    rest /= counts[axis];
                }

                Span<float> values = occluded.AsSpan(row * inputSize, inputSize);
                Span<bool> mask = masks.AsSpan(row * inputSize, inputSize);
                input.CopyTo(values);
                mask.Clear();
                MarkWindow(shape, fullWindow, position, mask);
                for (int i = 0; i < inputSize; i++)
                {
                    if (mask[i])
                    {
                        values[i] = baselineValue;
                    }
                }
            }

            ReadOnlySpan<float> outputs = Evaluate(workspace, core.TokenInput, occluded.AsSpan(0, rows * inputSize));
            for (int row = 0; row < rows; row++)
            {
                double drop = reference - outputs[(row * outputSize) + chosen];
                ReadOnlySpan<bool> mask = masks.AsSpan(row * inputSize, inputSize);
                for (int i = 0; i < inputSize; i++)
                {
                    if (mask[i])
                    {
                        sums[i] += drop;
                        covered[i]++;
                    }
                }
            }
        }

        var attributions = new float[inputSize];
        for (int i = 0; i < inputSize; i++)
        {
            attributions[i] = (float)(sums[i] / covered[i]);
        }

        return new AttributionResult(attributions, shape, chosen, delta: null, embeddingValues: null, embeddingShape: null);
    }

    private static AttributionResult SmoothGradCore<TSample, TPrediction>(
        INetwork<TSample, TPrediction> network, in TSample sample, int? target, int samples, double noise, ulong seed, bool absolute, string operation)
        where TSample : unmanaged
        where TPrediction : unmanaged
    {
        ArgumentNullException.ThrowIfNull(network);
        NetworkCore core = network.Core;
        Subject subject = Subject.Of(core, sample, nameof(sample));
        using NetworkAccess.Scope exclusive = core.Access.Exclusive(operation);
        float[] x = subject.Point(core);
        int chosen = ResolveTarget(core, subject, target);
        using var pass = new GradientPass(core, subject.Tokens, chosen);
        int size = pass.PointSize;
        int batch = core.Engine.MaxBatch;
        var points = new float[batch * size];
        var gradients = new float[batch * size];
        var outputs = new float[batch];
        var mean = new double[size];
        Xoshiro256 random = Xoshiro256.ForStream(seed, 2);
        for (int first = 0; first < samples; first += batch)
        {
            int rows = Math.Min(batch, samples - first);
            for (int row = 0; row < rows; row++)
            {
                Span<float> point = points.AsSpan(row * size, size);
                if (noise > 0)
                {
                    Initializers.Normal(point, noise, ref random);
                    System.Numerics.Tensors.TensorPrimitives.Add(point, x, point);
                }
                else
                {
                    x.CopyTo(point);
                }
            }

            pass.Run(points.AsSpan(0, rows * size), gradients.AsSpan(0, rows * size), outputs);
            for (int i = 0; i < rows * size; i++)
            {
                mean[i % size] += absolute ? Math.Abs(gradients[i]) : gradients[i];
            }
        }

        var attributions = new float[size];
        for (int i = 0; i < size; i++)
        {
            attributions[i] = (float)(mean[i] / samples);
        }

        // The per-token sum of absolute saliency is a sum of magnitudes, as Captum's .sum(-1) over |gradient| gives.
        return subject.Result(attributions, chosen, delta: null);
    }

    // The predicted class runs the sample once more; an explicit target is only checked.
    private static int ResolveTarget(NetworkCore core, Subject subject, int? target)
    {
        if (target is int given)
        {
            CheckTarget(core, given);
            return given;
        }

        ReadOnlySpan<float> output = core.TokenInput
            ? core.Engine.Forward(subject.Tokens, training: false)
            : core.Engine.Forward(subject.InputValues, training: false);
        return ArgMax(output);
    }

    private static void CheckTarget(NetworkCore core, int target)
    {
        if (target < 0 || target >= core.OutputSize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(target), target, $"{core.Name} has {core.OutputSize} outputs, so target is an index in [0, {core.OutputSize}); pass the class to explain, or null for the predicted one.");
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static ReadOnlySpan<float> Evaluate(NetworkEngine<float> workspace, bool tokenInput, ReadOnlySpan<float> input)
    {
        if (!tokenInput)
        {
            return workspace.Forward(input, training: false);
        }

        int[] ids = new int[input.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (int)input[i];
        }

        return workspace.Forward(ids, training: false);
    }

    private static (int[] Window, int[] Strides, int[] Counts) OcclusionGrid(string network, int[] shape, int[] window, int[]? strides)
    {
        string shapeText = $"[{string.Join(", ", shape)}]";
        int skipped = shape.Length - window.Length;
        if (skipped != 0 && !(skipped == 1 && shape.Length == 3))
        {
            throw new ArgumentException(
                $"{network}'s input has shape {shapeText}, so Occlusion's window needs {shape.Length} lengths" +
                (shape.Length == 3 ? $" (or {shape.Length - 1}, height and width, to span every channel)" : "") + $"; got [{string.Join(", ", window)}].",
                nameof(window));
        }

        if (strides is not null && strides.Length != window.Length)
        {
            throw new ArgumentException($"Occlusion's strides need one value per window axis ({window.Length}); got [{string.Join(", ", strides)}].", nameof(strides));
        }

        int[] fullWindow = new int[shape.Length];
        int[] fullStrides = new int[shape.Length];
        int[] counts = new int[shape.Length];
        for (int axis = 0; axis < shape.Length; axis++)
        {
            bool whole = axis < skipped;
            int length = whole ? shape[axis] : window[axis - skipped];
            int stride = whole ? 1 : strides?[axis - skipped] ?? 1;
            if (length < 1 || length > shape[axis])
            {
                throw new ArgumentException(
                    $"Occlusion's window [{string.Join(", ", window)}] does not fit {network}'s input {shapeText}: each length must be in [1, the axis' size]; axis {axis} has {shape[axis]}.",
                    nameof(window));
            }

            if (stride < 1 || (stride > length && length < shape[axis]))
            {
                throw new ArgumentException(
                    $"Occlusion's stride {stride} on axis {axis} must be in [1, {length}], the window's length there, so that every value is covered by some window.",
                    nameof(strides));
            }

            fullWindow[axis] = length;
            fullStrides[axis] = stride;
            counts[axis] = ((shape[axis] - length + stride - 1) / stride) + 1;
        }

        return (fullWindow, fullStrides, counts);
    }

    // Marks the values under the window at position, cut where it runs past the end of an axis.
    private static void MarkWindow(int[] shape, int[] window, int[] position, Span<bool> mask)
    {
        int rank = shape.Length;
        Span<int> index = stackalloc int[rank];
        for (int axis = 0; axis < rank; axis++)
        {
            index[axis] = position[axis];
        }

        while (true)
        {
            int flat = 0;
            for (int axis = 0; axis < rank; axis++)
            {
                flat = (flat * shape[axis]) + index[axis];
            }

            mask[flat] = true;
            int carry = rank - 1;
            while (carry >= 0)
            {
                index[carry]++;
                if (index[carry] < Math.Min(position[carry] + window[carry], shape[carry]))
                {
                    break;
                }

                index[carry] = position[carry];
                carry--;
            }

            if (carry < 0)
            {
                return;
            }
        }
    }

    private static int Vocabulary(NetworkCore core) => core.Layers[0] is EmbeddingLayer embedding ? embedding.Vocabulary : 0;

    /// <summary>The sample being explained: its values, its shape, and for token ids the ids and embedding size.</summary>
    private sealed class Subject
    {
        private Subject(float[] inputValues, int[] tokens, int[] shape, int dimension)
        {
            InputValues = inputValues;
            Tokens = tokens;
            Shape = shape;
            Dimension = dimension;
        }

        /// <summary>The sample as floats (token ids as floats).</summary>
        public float[] InputValues { get; }

        /// <summary>The token ids, or empty for a float input.</summary>
        public int[] Tokens { get; }

        /// <summary>The input shape.</summary>
        public int[] Shape { get; }

        /// <summary>The embedding dimension for token ids, else 0.</summary>
        public int Dimension { get; }

        public static Subject Of<TSample>(NetworkCore core, in TSample sample, string parameter)
            where TSample : unmanaged
        {
            ReadOnlySpan<TSample> one = new(in sample);
            int[] shape = core.Layers.Count > 0 ? core.Layers[0].InputShape.ToArray() : [];
            int size = 1;
            foreach (int length in shape)
            {
                size *= length;
            }

            // The first layer reads the network's input; should it not (a block's description, say), the flat size stands.
            if (shape.Length == 0 || size != core.InputSize)
            {
                shape = [core.InputSize];
            }
            if (!core.TokenInput)
            {
                return new Subject(MemoryMarshal.Cast<TSample, float>(one).ToArray(), [], shape, 0);
            }

            int[] tokens = MemoryMarshal.Cast<TSample, int>(one).ToArray();
            int vocabulary = Vocabulary(core);
            for (int position = 0; position < tokens.Length; position++)
            {
                if (tokens[position] < 0 || tokens[position] >= vocabulary)
                {
                    throw new ArgumentException(
                        $"Token {tokens[position]} at position {position} is outside {core.Name}'s vocabulary of {vocabulary} (ids 0 to {vocabulary - 1}).",
                        parameter);
                }
            }

            return new Subject(Array.ConvertAll(tokens, id => (float)id), tokens, shape, GradientPass.EmbeddingDimension(core));
        }

        /// <summary>The point the gradients are taken at: the input values, or the tokens' embedding vectors.</summary>
        public float[] Point(NetworkCore core)
        {
            if (!core.TokenInput)
            {
                return InputValues;
            }

            ReadOnlySpan<float> table = ((EmbeddingLayer)core.Layers[0]).Weight.Values;
            var vectors = new float[Tokens.Length * Dimension];
            for (int position = 0; position < Tokens.Length; position++)
            {
                table.Slice(Tokens[position] * Dimension, Dimension).CopyTo(vectors.AsSpan(position * Dimension));
            }

            return vectors;
        }

        public AttributionResult Result(float[] attributions, int target, double? delta)
        {
            if (Dimension == 0)
            {
                return new AttributionResult(attributions, Shape, target, delta, null, null);
            }

            var perToken = new float[Tokens.Length];
            for (int position = 0; position < perToken.Length; position++)
            {
                double sum = 0;
                for (int d = 0; d < Dimension; d++)
                {
                    sum += attributions[(position * Dimension) + d];
                }

                perToken[position] = (float)sum;
            }

            return new AttributionResult(perToken, Shape, target, delta, attributions, [Tokens.Length, Dimension]);
        }
    }
}
