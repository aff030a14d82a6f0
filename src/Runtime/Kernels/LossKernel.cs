using System;
using System.Numerics;

namespace TypedNets.Kernels;

/// <summary>
/// Losses and their gradients, averaged as PyTorch's <c>reduction='mean'</c> does: over every element for the
/// regression losses and binary cross-entropy, over the batch for categorical cross-entropy. Each function returns
/// the loss and, when <c>gradient</c> is not empty, writes <c>dL/dinput</c> there. Sums run in double.
/// </summary>
public static class LossKernel
{
    /// <summary>The clipping bound of the probability paths, as Keras' <c>epsilon()</c>.</summary>
    public const double ProbabilityEpsilon = 1e-7;

    /// <summary>
    /// The loss of a network's output and its gradient, by the most stable path the output layer allows:
    /// cross-entropy after a Softmax layer and binary cross-entropy after a Sigmoid layer read the layer's logits and
    /// return the gradient with respect to them (<paramref name="gradientIsPreActivation"/> is then true), so the
    /// softmax or sigmoid is never differentiated on its own.
    /// </summary>
    /// <param name="loss">The loss.</param>
    /// <param name="outputActivation">The activation of the last layer if it is a dense layer, otherwise <see langword="null"/>.</param>
    /// <param name="output">The network's output, <c>[batch, width]</c>.</param>
    /// <param name="preActivation">The last dense layer's logits where it keeps them (Softmax, Sigmoid), otherwise empty.</param>
    /// <param name="target">The targets: <c>[batch, width]</c>, or <c>[batch]</c> class indices for cross-entropy.</param>
    /// <param name="gradient">Receives the gradient, <c>[batch, width]</c>; empty to compute the loss only.</param>
    /// <param name="width">The number of outputs per sample.</param>
    /// <param name="gradientIsPreActivation">Whether the gradient is with respect to the logits rather than the output.</param>
    public static T Compute<T>(
        LossFunction loss, Activation? outputActivation,
        ReadOnlySpan<T> output, ReadOnlySpan<T> preActivation, ReadOnlySpan<T> target, Span<T> gradient,
        int width, out bool gradientIsPreActivation)
        where T : IFloatingPointIeee754<T>
    {
        gradientIsPreActivation = false;
        switch (loss.Kind)
        {
            case LossKind.MeanSquaredError:
                return MeanSquaredError(output, target, gradient);

            case LossKind.MeanAbsoluteError:
                return MeanAbsoluteError(output, target, gradient);

            case LossKind.Huber:
                return Huber(output, target, gradient, loss.Delta);

            case LossKind.CrossEntropy:
                if (width < 2)
                {
                    throw new InvalidOperationException(
                        $"CrossEntropy needs at least 2 output units, one per class, but the network has {width}; use BinaryCrossEntropy for one unit.");
                }

                switch (outputActivation)
                {
                    case Activation.Softmax:
                        gradientIsPreActivation = true;
                        return CrossEntropyFromLogits(preActivation, target, gradient, width, loss.IgnoreIndex);
                    case Activation.Identity:
                        return CrossEntropyFromLogits(output, target, gradient, width, loss.IgnoreIndex);
                    case null:
                        return CrossEntropyFromProbabilities(output, target, gradient, width);
                    default:
                        throw new InvalidOperationException(
                            $"CrossEntropy needs an output layer with Softmax or no activation, but it uses {outputActivation}; change the last layer's activation to Softmax.");
                }

            case LossKind.BinaryCrossEntropy:
                if (width != 1)
                {
                    throw new InvalidOperationException(
                        $"BinaryCrossEntropy needs exactly 1 output unit, but the network has {width}; use CrossEntropy with Softmax for {width} classes.");
                }

                switch (outputActivation)
                {
                    case Activation.Sigmoid:
                        gradientIsPreActivation = true;
                        return BinaryCrossEntropyFromLogits(preActivation, target, gradient);
                    case Activation.Identity:
                        return BinaryCrossEntropyFromLogits(output, target, gradient);
                    case null:
                        return BinaryCrossEntropyFromProbabilities(output, target, gradient);
                    default:
                        throw new InvalidOperationException(
                            $"BinaryCrossEntropy needs an output layer with Sigmoid or no activation, but it uses {outputActivation}; change the last layer's activation to Sigmoid.");
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(loss), loss, "Not a known loss.");
        }
    }

    /// <summary><c>mean((y - t)^2)</c>; gradient <c>2 (y - t) / n</c>.</summary>
    public static T MeanSquaredError<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> target, Span<T> gradient)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameShape(output, target, gradient, "MeanSquaredError");
        double sum = 0;
        T scale = T.CreateTruncating(2.0 / output.Length);
        for (int i = 0; i < output.Length; i++)
        {
            T residual = output[i] - target[i];
            sum += double.CreateTruncating(residual * residual);
            if (!gradient.IsEmpty)
            {
                gradient[i] = scale * residual;
            }
        }

        return T.CreateTruncating(sum / output.Length);
    }

    /// <summary><c>mean(|y - t|)</c>; gradient <c>sign(y - t) / n</c>, zero where they are equal (as <c>torch.sign</c>).</summary>
    public static T MeanAbsoluteError<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> target, Span<T> gradient)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameShape(output, target, gradient, "MeanAbsoluteError");
        double sum = 0;
        T scale = T.One / T.CreateTruncating(output.Length);
        for (int i = 0; i < output.Length; i++)
        {
            T residual = output[i] - target[i];
            sum += double.CreateTruncating(T.Abs(residual));
            if (!gradient.IsEmpty)
            {
                gradient[i] = residual > T.Zero ? scale : residual < T.Zero ? -scale : T.Zero;
            }
        }

        return T.CreateTruncating(sum / output.Length);
    }

    /// <summary>
    /// <c>mean(h(y - t))</c> with <c>h(r) = r^2 / 2</c> for <c>|r| &lt;= delta</c>, else <c>delta (|r| - delta / 2)</c>;
    /// gradient <c>clamp(r, -delta, delta) / n</c>.
    /// </summary>
    public static T Huber<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> target, Span<T> gradient, double delta)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameShape(output, target, gradient, "Huber");
        if (!(delta > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "The Huber delta must be positive, such as 1.0.");
        }

        double sum = 0;
        T d = T.CreateTruncating(delta);
        T scale = T.One / T.CreateTruncating(output.Length);
        for (int i = 0; i < output.Length; i++)
        {
            T residual = output[i] - target[i];
            T magnitude = T.Abs(residual);
            sum += magnitude <= d
                ? 0.5 * double.CreateTruncating(residual * residual)
                : delta * (double.CreateTruncating(magnitude) - (0.5 * delta));
            if (!gradient.IsEmpty)
            {
                gradient[i] = scale * T.Clamp(residual, -d, d);
            }
        }

        return T.CreateTruncating(sum / output.Length);
    }

    /// <summary>
    /// Cross-entropy from logits, <c>mean over the batch of logsumexp(z) - sum_c t_c z_c</c>; gradient
    /// <c>(softmax(z) - t) / batch</c>. Targets are class indices (<c>[batch]</c>) or probability rows (<c>[batch, classes]</c>).
    /// </summary>
    /// <remarks>
    /// With <paramref name="ignoreIndex"/> and class-index targets, a row whose target is that index (PyTorch's
    /// <c>ignore_index</c>, such as padding after the end of a sequence) adds nothing and gets a zero gradient, and
    /// the mean is over the other rows, as PyTorch's; when every row is ignored the loss is 0 (PyTorch gives NaN).
    /// </remarks>
    public static T CrossEntropyFromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> target, Span<T> gradient, int classes, int? ignoreIndex = null)
        where T : IFloatingPointIeee754<T>
    {
        int batch = CheckClassification(logits, target, gradient, classes, "CrossEntropy", out bool indices);
        int counted = indices ? CountedRows(target, ignoreIndex) : batch;
        double sum = 0;
        T scale = counted == 0 ? T.Zero : T.One / T.CreateTruncating(counted);
        if (gradient.Overlaps(logits))
        {
            throw new ArgumentException("CrossEntropy: the gradient must not share memory with the logits; pass a separate buffer.", nameof(gradient));
        }

        if (!gradient.IsEmpty)
        {
            // The shifted logits z - max, then their exponentials in one call for the whole batch, kept in the
            // gradient: each row's softmax is then exp(z - max) / total.
            for (int row = 0; row < batch; row++)
            {
                ReadOnlySpan<T> z = logits.Slice(row * classes, classes);
                System.Numerics.Tensors.TensorPrimitives.Subtract(z, Activations.RowMax(z), gradient.Slice(row * classes, classes));
            }

            System.Numerics.Tensors.TensorPrimitives.Exp(gradient, gradient);
        }

        for (int row = 0; row < batch; row++)
        {
            ReadOnlySpan<T> z = logits.Slice(row * classes, classes);
            T max = Activations.RowMax(z);
            double total = 0;
            if (gradient.IsEmpty)
            {
                for (int c = 0; c < classes; c++)
                {
                    total += double.CreateTruncating(T.Exp(z[c] - max));
                }
            }
            else
            {
                foreach (T exponential in gradient.Slice(row * classes, classes))
                {
                    total += double.CreateTruncating(exponential);
                }
            }

            double logSumExp = double.CreateTruncating(max) + Math.Log(total);
            int label = indices ? ClassIndex(target, row, classes, ignoreIndex) : -1;
            if (indices && label == Ignored)
            {
                if (!gradient.IsEmpty)
                {
                    gradient.Slice(row * classes, classes).Clear();
                }

                continue;
            }

            for (int c = 0; c < classes; c++)
            {
                double t = indices ? (c == label ? 1.0 : 0.0) : double.CreateTruncating(target[(row * classes) + c]);
                if (t != 0)
                {
                    sum += t * (logSumExp - double.CreateTruncating(z[c]));
                }

                if (!gradient.IsEmpty)
                {
                    ref T g = ref gradient[(row * classes) + c];
                    g = scale * T.CreateTruncating((double.CreateTruncating(g) / total) - t);
                }
            }
        }

        return counted == 0 ? T.Zero : T.CreateTruncating(sum / counted);
    }

    /// <summary>
    /// Cross-entropy from probabilities, <c>-mean over the batch of sum_c t_c log(clip(p_c))</c>, with <c>p</c> clipped to
    /// <c>[1e-7, 1 - 1e-7]</c> as Keras does; gradient <c>-t / (batch p)</c>, zero where the clip is active.
    /// </summary>
    public static T CrossEntropyFromProbabilities<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> target, Span<T> gradient, int classes)
        where T : IFloatingPointIeee754<T>
    {
        int batch = CheckClassification(probabilities, target, gradient, classes, "CrossEntropy", out bool indices);
        double sum = 0;
        for (int row = 0; row < batch; row++)
        {
            for (int c = 0; c < classes; c++)
            {
                int i = (row * classes) + c;
                double t = indices ? (c == ClassIndex(target, row, classes) ? 1.0 : 0.0) : double.CreateTruncating(target[i]);
                double p = double.CreateTruncating(probabilities[i]);
                double clipped = Math.Clamp(p, ProbabilityEpsilon, 1 - ProbabilityEpsilon);
                sum -= t * Math.Log(clipped);
                if (!gradient.IsEmpty)
                {
                    gradient[i] = clipped == p ? T.CreateTruncating(-t / (batch * p)) : T.Zero;
                }
            }
        }

        return T.CreateTruncating(sum / batch);
    }

    /// <summary>
    /// Binary cross-entropy from logits, <c>mean(max(z, 0) - z t + log(1 + e^-|z|))</c>, stable for any <c>z</c>;
    /// gradient <c>(sigmoid(z) - t) / n</c>.
    /// </summary>
    public static T BinaryCrossEntropyFromLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> target, Span<T> gradient)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameShape(logits, target, gradient, "BinaryCrossEntropy");
        double sum = 0;
        double scale = 1.0 / logits.Length;
        for (int i = 0; i < logits.Length; i++)
        {
            double z = double.CreateTruncating(logits[i]);
            double t = double.CreateTruncating(target[i]);
            sum += Math.Max(z, 0) - (z * t) + Math.Log(1 + Math.Exp(-Math.Abs(z)));
            if (!gradient.IsEmpty)
            {
                double sigmoid = z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));
                gradient[i] = T.CreateTruncating(scale * (sigmoid - t));
            }
        }

        return T.CreateTruncating(sum * scale);
    }

    /// <summary>
    /// Binary cross-entropy from probabilities, <c>-mean(t log p + (1 - t) log(1 - p))</c> with <c>p</c> clipped to
    /// <c>[1e-7, 1 - 1e-7]</c>; gradient <c>(p - t) / (p (1 - p) n)</c>, zero where the clip is active.
    /// </summary>
    public static T BinaryCrossEntropyFromProbabilities<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> target, Span<T> gradient)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameShape(probabilities, target, gradient, "BinaryCrossEntropy");
        double sum = 0;
        double n = probabilities.Length;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = double.CreateTruncating(probabilities[i]);
            double t = double.CreateTruncating(target[i]);
            double clipped = Math.Clamp(p, ProbabilityEpsilon, 1 - ProbabilityEpsilon);
            sum -= (t * Math.Log(clipped)) + ((1 - t) * Math.Log(1 - clipped));
            if (!gradient.IsEmpty)
            {
                gradient[i] = clipped == p ? T.CreateTruncating((p - t) / (p * (1 - p) * n)) : T.Zero;
            }
        }

        return T.CreateTruncating(sum / n);
    }

    /// <summary>
    /// Knowledge distillation's loss (Hinton, Vinyals and Dean, 2015) on a student's logits, in the common PyTorch
    /// recipe: <c>w * CE(s, target) + (1 - w) * T^2 * KL(softmax(t / T) || softmax(s / T))</c>, where <c>w</c> is
    /// <paramref name="hardLabelWeight"/> (the weight of the hard-label term; the soft term gets <c>1 - w</c>),
    /// <c>T</c> the <paramref name="temperature"/>, <c>s</c> the student's and <c>t</c> the teacher's logits. The KL is
    /// PyTorch's <c>F.kl_div(F.log_softmax(s / T), F.softmax(t / T), reduction='batchmean')</c>, a sum over the classes
    /// divided by the rows; the cross-entropy is <see cref="CrossEntropyFromLogits{T}"/>'s, a mean over the rows not
    /// ignored. <c>T^2</c> keeps the soft term's gradients the size of the hard term's whatever the temperature.
    /// The gradient, with respect to the student's logits only, is
    /// <c>w * dCE/ds + (1 - w) * T * (softmax(s / T) - softmax(t / T)) / rows</c>; both softmaxes go through
    /// log-sum-exp, so large logits stay finite.
    /// </summary>
    /// <param name="studentLogits">The student's logits, <c>[rows, classes]</c>.</param>
    /// <param name="teacherLogits">The teacher's logits, the same shape; constants (no gradient flows to them).</param>
    /// <param name="target">The hard labels: <c>[rows]</c> class indices, or <c>[rows, classes]</c> one-hot or probabilities.</param>
    /// <param name="gradient">Receives <c>dL/dstudentLogits</c>; empty to compute the loss only.</param>
    /// <param name="classes">The classes per row.</param>
    /// <param name="temperature">The softening temperature <c>T</c>; positive and finite, commonly 2 to 10.</param>
    /// <param name="hardLabelWeight">The weight <c>w</c> of the hard-label cross-entropy, in [0, 1]; the soft term gets <c>1 - w</c>.</param>
    /// <param name="ignoreIndex">A class index whose rows count in neither the cross-entropy nor its gradient (the soft term still covers them).</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// When <paramref name="temperature"/> is not positive and finite, or <paramref name="hardLabelWeight"/> is outside [0, 1].
    /// </exception>
    /// <exception cref="ArgumentException">
    /// When <paramref name="teacherLogits"/> is not the shape of <paramref name="studentLogits"/>, or the logits, targets or
    /// gradient do not fit rows of <paramref name="classes"/> (parameters <c>output</c>, <c>target</c>, <c>gradient</c>).
    /// </exception>
    public static T Distillation<T>(
        ReadOnlySpan<T> studentLogits, ReadOnlySpan<T> teacherLogits, ReadOnlySpan<T> target, Span<T> gradient,
        int classes, double temperature, double hardLabelWeight, int? ignoreIndex = null)
        where T : IFloatingPointIeee754<T>
    {
        CheckDistillation(temperature, hardLabelWeight);
        if (teacherLogits.Length != studentLogits.Length)
        {
            throw new ArgumentException(
                $"Distillation: the teacher gave {teacherLogits.Length} logits but the student {studentLogits.Length}; the teacher must have the student's output width and batch.",
                nameof(teacherLogits));
        }

        // The hard term first, into the gradient: it checks the shapes and the labels.
        double hard = double.CreateTruncating(CrossEntropyFromLogits(studentLogits, target, gradient, classes, ignoreIndex));
        int rows = studentLogits.Length / classes;
        double soft = 0;
        double softScale = (1 - hardLabelWeight) * temperature / rows;
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<T> s = studentLogits.Slice(row * classes, classes);
            ReadOnlySpan<T> t = teacherLogits.Slice(row * classes, classes);
            double studentLse = LogSumExp(s, temperature);
            double teacherLse = LogSumExp(t, temperature);
            for (int c = 0; c < classes; c++)
            {
                double logQ = (double.CreateTruncating(s[c]) / temperature) - studentLse;
                double logP = (double.CreateTruncating(t[c]) / temperature) - teacherLse;
                double p = Math.Exp(logP);

                // A teacher probability that underflows to 0 adds nothing, as PyTorch's xlogy.
                if (p > 0)
                {
                    soft += p * (logP - logQ);
                }

                if (!gradient.IsEmpty)
                {
                    ref T g = ref gradient[(row * classes) + c];
                    g = T.CreateTruncating((hardLabelWeight * double.CreateTruncating(g)) + (softScale * (Math.Exp(logQ) - p)));
                }
            }
        }

        return T.CreateTruncating((hardLabelWeight * hard) + ((1 - hardLabelWeight) * temperature * temperature * soft / rows));
    }

    /// <summary>Checks distillation's temperature and hard-label weight, naming the parameter that is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When either is out of range.</exception>
    internal static void CheckDistillation(double temperature, double hardLabelWeight)
    {
        if (!(temperature > 0 && double.IsFinite(temperature)))
        {
            throw new ArgumentOutOfRangeException(
                nameof(temperature), temperature, "The distillation temperature must be positive and finite, such as 4; 1 leaves the teacher's probabilities as they are, larger values soften them.");
        }

        if (!(hardLabelWeight >= 0 && hardLabelWeight <= 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(hardLabelWeight), hardLabelWeight, "The hard-label weight is a fraction in [0, 1], such as 0.1: the weight of the cross-entropy on the labels, the teacher's soft targets getting the rest.");
        }
    }

    // log(sum(exp(z / temperature))), shifted by the largest value.
    private static double LogSumExp<T>(ReadOnlySpan<T> z, double temperature)
        where T : IFloatingPointIeee754<T>
    {
        double max = double.CreateTruncating(Activations.RowMax(z)) / temperature;
        double total = 0;
        foreach (T value in z)
        {
            total += Math.Exp((double.CreateTruncating(value) / temperature) - max);
        }

        return max + Math.Log(total);
    }

    /// <summary>What <see cref="ClassIndex"/> returns for a row whose target is the ignore index.</summary>
    private const int Ignored = -1;

    private static int ClassIndex<T>(ReadOnlySpan<T> target, int row, int classes, int? ignoreIndex = null)
        where T : IFloatingPointIeee754<T>
    {
        T value = target[row];
        int index = int.CreateSaturating(value);
        if (T.CreateTruncating(index) == value && index == ignoreIndex)
        {
            return Ignored;
        }

        if (T.CreateTruncating(index) != value || index < 0 || index >= classes)
        {
            string ignoring = ignoreIndex is int ignored ? $" (or {ignored}, the ignore index)" : "";
            throw new ArgumentException(
                $"Row {row} has class label {value}, but labels must be whole numbers from 0 to {classes - 1}{ignoring}; check the label column or the number of output units.",
                nameof(target));
        }

        return index;
    }

    /// <summary>The number of rows whose class-index target is not <paramref name="ignoreIndex"/>.</summary>
    private static int CountedRows<T>(ReadOnlySpan<T> target, int? ignoreIndex)
        where T : IFloatingPointIeee754<T>
    {
        if (ignoreIndex is not int ignored)
        {
            return target.Length;
        }

        int counted = 0;
        T value = T.CreateTruncating(ignored);
        foreach (T label in target)
        {
            counted += label == value ? 0 : 1;
        }

        return counted;
    }

    private static int CheckClassification<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> target, Span<T> gradient, int classes, string loss, out bool indices)
    {
        if (classes <= 0 || output.Length % classes != 0)
        {
            throw new ArgumentException($"{loss}: {output.Length} outputs do not split into rows of {classes} classes.", nameof(output));
        }

        int batch = output.Length / classes;
        indices = target.Length == batch;
        if (!indices && target.Length != output.Length)
        {
            throw new ArgumentException(
                $"{loss}: the batch of {batch} rows needs {batch} class indices or {batch} x {classes} = {output.Length} one-hot or probability targets, but got {target.Length}.",
                nameof(target));
        }

        if (!gradient.IsEmpty && gradient.Length != output.Length)
        {
            throw new ArgumentException($"{loss}: the gradient needs {output.Length} elements, one per output, but has {gradient.Length}.", nameof(gradient));
        }

        return batch;
    }

    private static void CheckSameShape<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> target, Span<T> gradient, string loss)
    {
        if (target.Length != output.Length)
        {
            throw new ArgumentException(
                $"{loss}: the network gave {output.Length} outputs but the targets have {target.Length}; there must be one target per output.",
                nameof(target));
        }

        if (!gradient.IsEmpty && gradient.Length != output.Length)
        {
            throw new ArgumentException($"{loss}: the gradient needs {output.Length} elements, one per output, but has {gradient.Length}.", nameof(gradient));
        }
    }
}
