using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Optimizers;

/// <summary>
/// Adam (Kingma and Ba, 2015), with PyTorch's coupled L2 weight decay and optional AMSGrad; step for step PyTorch's
/// <c>torch.optim.Adam</c>. For weight decay applied to the parameters instead, use <see cref="AdamW{T}"/>.
/// </summary>
/// <remarks>
/// <para>With parameters <c>p</c>, gradient <c>g</c>, learning rate <c>lr</c> and the step <c>t</c> counted from 1, each
/// step computes, elementwise, from moments <c>m = v = vMax = 0</c>:</para>
/// <code>
/// g     = g + weightDecay * p                     if weightDecay != 0 (coupled L2)
/// m     = beta1 * m + (1 - beta1) * g
/// v     = beta2 * v + (1 - beta2) * g^2
/// vMax  = max(vMax, v)                            if amsgrad, and then v means vMax below
/// denom = sqrt(v) / sqrt(1 - beta2^t) + epsilon
/// p     = p - (lr / (1 - beta1^t)) * m / denom
/// </code>
/// <para>Epsilon is added after the bias correction of <c>sqrt(v)</c>, as PyTorch does. Keras adds it before the
/// correction, which amounts to PyTorch's formula with <c>epsilon / sqrt(1 - beta2^t)</c>: the same epsilon weighs more
/// in Keras' early steps.</para>
/// <para>The moments are flushed to zero where they would be subnormal (nonzero and below 1.17549435e-38 in
/// magnitude, for <c>float</c>); every other value is bit for bit unchanged. That is what PyTorch computes under
/// <c>torch.set_flush_denormal(True)</c>: a weight whose gradient stops (a blank pixel, a dead ReLU unit) would otherwise
/// keep a first moment among the subnormals for about 150 steps, and arithmetic on subnormals is slow; .NET cannot set
/// the processor's flush-to-zero mode, so the optimizer does it in code.</para>
/// </remarks>
/// <typeparam name="T"><c>float</c> for training; <c>double</c> for checks against PyTorch in float64.</typeparam>
public class Adam<T> : Optimizer<T>
    where T : IFloatingPointIeee754<T>
{
    private T[] _firstMoment = [];
    private T[] _secondMoment = [];
    private T[] _maxSecondMoment = [];
    private T[] _decayedGradient = [];
    private (int Offset, int Length)[] _undecayed = [];

    /// <summary>Creates the optimizer; every argument is checked here.</summary>
    /// <param name="learningRate"><c>lr</c>, a finite number &gt;= 0, such as 0.001.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1), such as 0.9.</param>
    /// <param name="beta2">The decay of the second moment, in [0, 1), such as 0.999.</param>
    /// <param name="epsilon">Added to the denominator, a finite number &gt; 0, such as 1e-8.</param>
    /// <param name="weightDecay">The L2 factor added to the gradient, a finite number &gt;= 0, usually 0.</param>
    /// <param name="amsgrad">Whether to divide by the largest second moment seen so far (AMSGrad).</param>
    /// <exception cref="ArgumentOutOfRangeException">When a value is outside its range; the message names it.</exception>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, decoupledWeightDecay: false)
    {
    }

    /// <summary>The constructor of Adam and of <see cref="AdamW{T}"/>, which differ only in how they apply weight decay.</summary>
    private protected Adam(double learningRate, double beta1, double beta2, double epsilon, double weightDecay, bool amsgrad, bool decoupledWeightDecay)
        : base(HyperParameters.LearningRate(learningRate, "0.001"))
    {
        Beta1 = HyperParameters.HalfOpenUnit(beta1, nameof(beta1), "0.9");
        Beta2 = HyperParameters.HalfOpenUnit(beta2, nameof(beta2), "0.999");
        Epsilon = HyperParameters.Positive(epsilon, nameof(epsilon), "1e-8");
        WeightDecay = HyperParameters.NonNegative(weightDecay, nameof(weightDecay), decoupledWeightDecay ? "0.01" : "0");
        AmsGrad = amsgrad;
        DecoupledWeightDecay = decoupledWeightDecay;
    }

    /// <summary>The decay of the first moment (the running mean of the gradient).</summary>
    public double Beta1 { get; }

    /// <summary>The decay of the second moment (the running mean of the squared gradient).</summary>
    public double Beta2 { get; }

    /// <summary>Added to the bias-corrected <c>sqrt(v)</c> so the step stays finite.</summary>
    public double Epsilon { get; }

    /// <summary>
    /// The weight decay: for Adam an L2 factor added to the gradient as <c>weightDecay * p</c> before the moments
    /// (PyTorch's <c>weight_decay</c>); for AdamW a decay of the parameters by <c>1 - lr * weightDecay</c> each step.
    /// </summary>
    public double WeightDecay { get; }

    /// <summary>Whether weight decay shrinks the parameters directly (AdamW) rather than adding to the gradient (Adam).</summary>
    public bool DecoupledWeightDecay { get; }

    /// <summary>Whether the denominator uses the largest second moment seen so far (AMSGrad).</summary>
    public bool AmsGrad { get; }

    /// <summary><c>exp_avg</c> and <c>exp_avg_sq</c>, the first and second moments, and with AMSGrad <c>max_exp_avg_sq</c>, PyTorch's names.</summary>
    public override IReadOnlyList<string> StateNames => AmsGrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"];

    /// <inheritdoc/>
    protected sealed override T[] StateBuffer(int index) => index switch
    {
        0 => _firstMoment,
        1 => _secondMoment,
        2 when AmsGrad => _maxSecondMoment,
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} keeps {StateNames.Count} state buffers."),
    };

    /// <inheritdoc/>
    protected sealed override void AddHyperParameters(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        values["beta1"] = Format(Beta1);
        values["beta2"] = Format(Beta2);
        values["eps"] = Format(Epsilon);
        values["weight_decay"] = Format(WeightDecay);
        values["amsgrad"] = AmsGrad.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Adds <c>lazy_rows</c> as <c>offset,rows,rowLength</c> when <see cref="UpdateRowsLazily(int, int, int)"/> chose
    /// rows, and <c>no_weight_decay</c> as <c>offset:length</c> pairs separated by commas when
    /// <see cref="ExcludeFromWeightDecay"/> left ranges out.
    /// </summary>
    /// <param name="values">Where to add them.</param>
    protected sealed override void AddSettings(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        (int offset, int rows, int rowLength) = LazyRows;
        if (rows > 0)
        {
            values[LazyRowsKey] = string.Create(CultureInfo.InvariantCulture, $"{offset},{rows},{rowLength}");
        }

        if (_undecayed.Length > 0)
        {
            var pairs = new string[_undecayed.Length];
            for (int i = 0; i < pairs.Length; i++)
            {
                pairs[i] = string.Create(CultureInfo.InvariantCulture, $"{_undecayed[i].Offset}:{_undecayed[i].Length}");
            }

            values[NoWeightDecayKey] = string.Join(",", pairs);
        }
    }

    /// <summary>
    /// Checks or restores <c>lazy_rows</c> and <c>no_weight_decay</c>; without them the rows are dense and every
    /// parameter decays, as in a new optimizer.
    /// </summary>
    /// <param name="settings">The settings of a state.</param>
    /// <param name="apply">Whether to restore them.</param>
    protected sealed override void ApplySettings(IReadOnlyDictionary<string, string> settings, bool apply)
    {
        ArgumentNullException.ThrowIfNull(settings);
        (int Offset, int Rows, int RowLength) rows = default;
        (int Offset, int Length)[] undecayed = [];
        foreach ((string key, string value) in settings)
        {
            if (key == NoWeightDecayKey)
            {
                undecayed = ParseRanges(value);
                continue;
            }

            string[] parts = value.Split(',');
            if (key != LazyRowsKey
                || parts.Length != 3
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out rows.Offset)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out rows.Rows)
                || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out rows.RowLength)
                || rows.Rows <= 0
                || rows.RowLength <= 0
                || WeightDecay != 0
                || AmsGrad)
            {
                throw new ArgumentException(
                    $"The state's setting '{key}' = '{value}' is not one {Name} has; {Name} only restores '{LazyRowsKey}' as 'offset,rows,rowLength' (positive sizes, without weight decay or AMSGrad).",
                    "state");
            }
        }

        if (apply)
        {
            LazyRows = rows;
            _undecayed = undecayed;
        }
    }

    private (int Offset, int Length)[] ParseRanges(string value)
    {
        var ranges = new List<(int Offset, int Length)>();
        foreach (string pair in value.Split(','))
        {
            string[] parts = pair.Split(':');
            if (WeightDecay == 0
                || parts.Length != 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int offset)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int length)
                || length <= 0)
            {
                throw new ArgumentException(
                    $"The state's setting '{NoWeightDecayKey}' = '{value}' is not one {Name} has; {Name} restores it as 'offset:length' pairs separated by commas (positive lengths, with a weight decay).",
                    "state");
            }

            ranges.Add((offset, length));
        }

        return Merge(ranges);
    }

    private const string LazyRowsKey = "lazy_rows";

    private const string NoWeightDecayKey = "no_weight_decay";

    /// <inheritdoc/>
    protected sealed override void AllocateState(int length)
    {
        _firstMoment = new T[length];
        _secondMoment = new T[length];
        _maxSecondMoment = AmsGrad ? new T[length] : [];
        _decayedGradient = WeightDecay != 0 && !DecoupledWeightDecay ? new T[Math.Min(length, HyperParameters.ChunkLength)] : [];
    }

    /// <inheritdoc/>
    protected sealed override void ClearState()
    {
        _firstMoment = [];
        _secondMoment = [];
        _maxSecondMoment = [];
        _decayedGradient = [];
    }

    /// <summary>Where the rows that <see cref="UpdateRowsLazily(int, int, int)"/> chose start, how many there are and how long each is; no rows by default.</summary>
    public (int Offset, int Rows, int RowLength) LazyRows { get; private set; }

    /// <summary>
    /// Updates the rows of one table, such as an embedding's, lazily, as PyTorch's <c>SparseAdam</c> does: a row
    /// whose gradient is zero in every element keeps its parameters and moments this step, and every other row takes
    /// the usual step. The rest of the parameters stay dense.
    /// </summary>
    /// <remarks>
    /// <para>By default Adam is dense, as <c>torch.optim.Adam</c> is: every row's moments decay each step and every
    /// row with a moment moves, including the rows of tokens that are not in the batch. For the tutorial's text
    /// classifier that is 1.28 of its 1.33 million parameters, and most of the optimizer's time.</para>
    /// <para>The results then differ from dense Adam for every row that was once touched and then skipped, as
    /// SparseAdam's differ from Adam's. A row of a token in the batch whose gradient happens to be zero in every
    /// element is skipped too; SparseAdam would update it.</para>
    /// </remarks>
    /// <param name="offset">Where the table starts in the parameter buffer, such as <c>network.Embedding.Weight.Offset</c>.</param>
    /// <param name="rows">The number of rows, such as the vocabulary.</param>
    /// <param name="rowLength">The elements in a row, such as the embedding's dimension.</param>
    /// <exception cref="ArgumentOutOfRangeException">When a size is negative or zero.</exception>
    /// <exception cref="InvalidOperationException">With weight decay or AMSGrad, which SparseAdam does not offer.</exception>
    public void UpdateRowsLazily(int offset, int rows, int rowLength)
    {
        if (offset < 0 || rows <= 0 || rowLength <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(offset), $"Lazy rows need an offset >= 0 and positive sizes, got offset {offset}, {rows} rows of {rowLength}.");
        }

        if (WeightDecay != 0 || AmsGrad)
        {
            throw new InvalidOperationException(
                $"{GetType().Name} has weightDecay {WeightDecay} and amsgrad {AmsGrad}; lazy rows, like PyTorch's SparseAdam, take neither. " +
                "Create the optimizer without them, or keep the rows dense.");
        }

        LazyRows = (offset, rows, rowLength);
    }

    /// <summary>
    /// Leaves <paramref name="tensors"/> out of the weight decay, as a PyTorch parameter group with
    /// <c>weight_decay</c> 0 does: nanoGPT and most transformer recipes decay the matrices and embeddings only, not the
    /// biases and normalisation weights. The tensors still take Adam's step. Calling it again replaces the set.
    /// </summary>
    /// <example><c>optimizer.ExcludeFromWeightDecay(network.Layers.SelectMany(layer =&gt; layer.Parameters).Where(tensor =&gt; tensor.Shape.Length &lt; 2));</c></example>
    /// <param name="tensors">Tensors of the network the optimizer steps (their offsets into its parameter buffer).</param>
    /// <exception cref="InvalidOperationException">The optimizer has no weight decay to leave them out of.</exception>
    public void ExcludeFromWeightDecay(IEnumerable<ParameterTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (WeightDecay == 0)
        {
            throw new InvalidOperationException(
                $"{GetType().Name} has weightDecay 0, so there is no decay to leave tensors out of; create it with a weight decay such as 0.1, or drop this call.");
        }

        var ranges = new List<(int Offset, int Length)>();
        foreach (ParameterTensor tensor in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            ranges.Add((tensor.Offset, tensor.Length));
        }

        _undecayed = Merge(ranges);
    }

    /// <summary>The ranges of the parameter buffer left out of the weight decay, sorted and disjoint; none by default.</summary>
    public IReadOnlyList<(int Offset, int Length)> ExcludedFromWeightDecay => _undecayed;

    /// <summary>Sorts <paramref name="ranges"/> and joins those that touch or overlap, dropping empty ones.</summary>
    private static (int Offset, int Length)[] Merge(List<(int Offset, int Length)> ranges)
    {
        ranges.RemoveAll(static range => range.Length == 0);
        ranges.Sort();
        var merged = new List<(int Offset, int Length)>(ranges.Count);
        foreach ((int offset, int length) in ranges)
        {
            if (merged.Count > 0 && offset <= merged[^1].Offset + merged[^1].Length)
            {
                (int first, int firstLength) = merged[^1];
                merged[^1] = (first, Math.Max(firstLength, offset + length - first));
            }
            else
            {
                merged.Add((offset, length));
            }
        }

        return [.. merged];
    }

    /// <summary>As <see cref="UpdateRowsLazily(int, int, int)"/> for a two-dimensional tensor, such as <c>network.Embedding.Weight</c>.</summary>
    public void UpdateRowsLazily(ParameterTensor table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.Shape.Length != 2)
        {
            throw new ArgumentException($"Lazy rows need a two-dimensional tensor; {table} has {table.Shape.Length} dimensions.", nameof(table));
        }

        UpdateRowsLazily(table.Offset, table.Shape[0], table.Shape[1]);
    }

    /// <inheritdoc/>
    protected sealed override void Update(Span<T> parameters, ReadOnlySpan<T> gradients, int step)
        => UpdateRange(parameters, gradients, step, 0, parameters.Length);

    // Coupled weight decay goes through one scratch buffer; everything else is per parameter (a lazy row is skipped
    // or updated as a whole row decides, whichever part of it a range holds).
    internal sealed override bool UpdatesRanges => WeightDecay == 0 || DecoupledWeightDecay;

    internal sealed override void UpdateRange(Span<T> parameters, ReadOnlySpan<T> gradients, int step, int from, int to)
    {
        var coefficients = new AdamKernel.Coefficients<T>(Beta1, Beta2, Epsilon, LearningRate, step);
        (int offset, int rows, int rowLength) = LazyRows;
        if (rows == 0)
        {
            UpdateDense(parameters, gradients, from, to, coefficients);
            return;
        }

        int end = offset + (rows * rowLength);
        if (end > parameters.Length)
        {
            throw new ArgumentException(
                $"The lazy rows end at {end} but the parameter buffer holds {parameters.Length}; pass the offset and shape of a tensor of this network.",
                nameof(parameters));
        }

        UpdateDense(parameters, gradients, from, Math.Clamp(offset, from, to), coefficients);
        int firstRow = offset + (Math.Max(0, from - offset) / rowLength * rowLength);
        for (int start = firstRow; start < Math.Min(end, to); start += rowLength)
        {
            if (AdamKernel.IsZero(gradients.Slice(start, rowLength)))
            {
                continue;
            }

            int a = Math.Max(start, from), length = Math.Min(start + rowLength, to) - a;
            AdamKernel.Update(
                parameters.Slice(a, length), gradients.Slice(a, length), _firstMoment.AsSpan(a, length), _secondMoment.AsSpan(a, length), [], coefficients);
        }

        UpdateDense(parameters, gradients, Math.Clamp(end, from, to), to, coefficients);
    }

    private void UpdateDense(Span<T> parameters, ReadOnlySpan<T> gradients, int from, int to, in AdamKernel.Coefficients<T> coefficients)
    {
        if (_undecayed.Length == 0)
        {
            UpdateDense(parameters, gradients, from, to, coefficients, decays: true);
            return;
        }

        (int lastOffset, int lastLength) = _undecayed[^1];
        if (lastOffset + lastLength > parameters.Length)
        {
            throw new ArgumentException(
                $"The tensors left out of the weight decay end at {lastOffset + lastLength}, but the parameter buffer holds {parameters.Length}; pass tensors of the network this optimizer steps.",
                nameof(parameters));
        }

        // Alternate runs that decay and runs that do not, clipped to [from, to).
        int position = from;
        foreach ((int offset, int length) in _undecayed)
        {
            int start = Math.Clamp(offset, position, to);
            int end = Math.Clamp(offset + length, position, to);
            UpdateDense(parameters, gradients, position, start, coefficients, decays: true);
            UpdateDense(parameters, gradients, start, end, coefficients, decays: false);
            position = end;
        }

        UpdateDense(parameters, gradients, position, to, coefficients, decays: true);
    }

    private void UpdateDense(Span<T> parameters, ReadOnlySpan<T> gradients, int from, int to, in AdamKernel.Coefficients<T> coefficients, bool decays)
    {
        T weightDecay = T.CreateTruncating(WeightDecay);
        T decay = T.CreateTruncating(1 - (LearningRate * WeightDecay));
        for (int start = from; start < to; start += HyperParameters.ChunkLength)
        {
            int length = Math.Min(HyperParameters.ChunkLength, to - start);
            Span<T> p = parameters.Slice(start, length);
            ReadOnlySpan<T> g = gradients.Slice(start, length);
            if (decays && WeightDecay != 0 && DecoupledWeightDecay)
            {
                TensorPrimitives.Multiply(p, decay, p);
            }
            else if (decays && WeightDecay != 0)
            {
                Span<T> decayed = _decayedGradient.AsSpan(0, length);
                TensorPrimitives.MultiplyAdd(p, weightDecay, g, decayed);
                g = decayed;
            }

            AdamKernel.Update(
                p,
                g,
                _firstMoment.AsSpan(start, length),
                _secondMoment.AsSpan(start, length),
                AmsGrad ? _maxSecondMoment.AsSpan(start, length) : [],
                coefficients);
        }
    }
}

/// <summary><see cref="Adam{T}"/> on <c>float</c> parameters, the type networks train in.</summary>
public sealed class Adam : Adam<float>
{
    /// <inheritdoc cref="Adam{T}(double, double, double, double, double, bool)"/>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : base(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad)
    {
    }
}
