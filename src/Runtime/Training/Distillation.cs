using System;
using TypedNets.Kernels;

namespace TypedNets.Training;

/// <summary>
/// Knowledge distillation (Hinton, Vinyals and Dean, 2015) for <see cref="Trainer.Fit"/>: the network being trained,
/// the student, learns from a <see cref="Teacher"/>'s softened predictions as well as from the labels, on the loss
/// <c>HardLabelWeight * CE(student, labels) + (1 - HardLabelWeight) * T^2 * KL(softmax(teacher / T) || softmax(student / T))</c>
/// with <c>T</c> the <see cref="Temperature"/>, as the common PyTorch recipe
/// (<see cref="LossKernel.Distillation{T}"/> has the details and the gradient).
/// </summary>
/// <remarks>
/// <para>
/// Per batch the teacher runs one forward pass in inference mode on the same (augmented) features: no dropout, no
/// backward pass, and its weights, buffers and gradients are left as they were. It may be any network with the
/// student's input and output widths and a <c>MaxBatch</c> of at least the batch size. Its logits are the
/// pre-activation of a Softmax output layer, the log of its probabilities if that layer keeps none, and otherwise its
/// output as it is; the student must end in a Dense layer with Softmax (its pre-activation is used) or no activation.
/// </para>
/// <para>
/// The epoch's training loss in the history is the distillation loss the student minimises; the validation loss and
/// accuracy (and <see cref="Trainer.Evaluate"/>) are the student's own, on the hard labels alone.
/// </para>
/// </remarks>
public sealed class Distillation
{
    /// <summary>Distils <paramref name="teacher"/> into the network that <see cref="Trainer.Fit"/> trains.</summary>
    /// <param name="teacher">The trained network whose predictions the student learns; it is not changed.</param>
    /// <param name="temperature">The softening temperature <c>T</c>, positive and finite: 1 keeps the teacher's probabilities, 2 to 10 is usual.</param>
    /// <param name="hardLabelWeight">
    /// The weight of the cross-entropy on the labels, in [0, 1]; the teacher's soft targets get <c>1 - hardLabelWeight</c>.
    /// 0 learns from the teacher alone; 1 ignores it. Keras' distillation example uses 0.1.
    /// </param>
    /// <exception cref="ArgumentNullException">When <paramref name="teacher"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// When <paramref name="temperature"/> is not positive and finite, or <paramref name="hardLabelWeight"/> is outside [0, 1].
    /// </exception>
    public Distillation(INetwork teacher, double temperature, double hardLabelWeight)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        LossKernel.CheckDistillation(temperature, hardLabelWeight);
        Teacher = teacher;
        Temperature = temperature;
        HardLabelWeight = hardLabelWeight;
    }

    /// <summary>The network whose softened predictions the student learns.</summary>
    public INetwork Teacher { get; }

    /// <summary>The softening temperature <c>T</c>.</summary>
    public double Temperature { get; }

    /// <summary>The weight of the hard-label cross-entropy; the soft targets get <c>1 - HardLabelWeight</c>.</summary>
    public double HardLabelWeight { get; }
}
