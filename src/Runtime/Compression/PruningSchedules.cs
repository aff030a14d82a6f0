using System;

namespace TypedNets.Compression;

/// <summary>
/// When a <see cref="MagnitudePruner"/> recomputes its masks and to what sparsity, as TensorFlow Model Optimization's
/// <c>PruningSchedule</c>: a step counts optimizer steps from 0.
/// </summary>
public interface IPruningSchedule
{
    /// <summary>Whether the masks are recomputed at <paramref name="step"/>; between such steps they are only held.</summary>
    /// <param name="step">The optimizer step, from 0.</param>
    /// <returns><see langword="true"/> at an update step.</returns>
    bool IsUpdateStep(int step);

    /// <summary>The fraction of each pruned tensor (or, globally, of all of them) that is zero after an update at <paramref name="step"/>.</summary>
    /// <param name="step">The optimizer step, from 0.</param>
    /// <returns>A sparsity in [0, 1).</returns>
    double SparsityAt(int step);
}

/// <summary>
/// Sparsity rising from <see cref="InitialSparsity"/> to <see cref="FinalSparsity"/> along a polynomial, as TFMOT's
/// <c>PolynomialDecay</c>: with <c>p = clamp((step - begin) / (end - begin), 0, 1)</c>, the sparsity is
/// <c>final + (initial - final) * (1 - p)^power</c>, and the masks are updated at the steps from
/// <see cref="BeginStep"/> to <see cref="EndStep"/> (both included) that are a multiple of <see cref="Frequency"/>
/// after the beginning. When <c>end - begin</c> is not a multiple of the frequency, the last update falls short of
/// the final sparsity, as in TFMOT.
/// </summary>
public sealed class PolynomialDecay : IPruningSchedule
{
    /// <summary>Creates the schedule; the arguments and their defaults are TFMOT's.</summary>
    /// <param name="initialSparsity">The sparsity at <paramref name="beginStep"/>, in [0, 1).</param>
    /// <param name="finalSparsity">The sparsity from <paramref name="endStep"/> on, in [0, 1).</param>
    /// <param name="beginStep">The first update step, at least 0.</param>
    /// <param name="endStep">The last update step, after <paramref name="beginStep"/>.</param>
    /// <param name="power">The exponent of the polynomial, above 0 (3 by default: fast pruning early, slow late).</param>
    /// <param name="frequency">The steps between updates, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">When an argument is outside the range given for it; the parameter name says which.</exception>
    public PolynomialDecay(double initialSparsity, double finalSparsity, int beginStep, int endStep, double power = 3, int frequency = 100)
    {
        Schedules.CheckSparsity(initialSparsity, nameof(initialSparsity));
        Schedules.CheckSparsity(finalSparsity, nameof(finalSparsity));
        Schedules.CheckSteps(beginStep, frequency);
        if (endStep <= beginStep)
        {
            throw new ArgumentOutOfRangeException(nameof(endStep), endStep, $"The end step must come after the begin step ({beginStep}), such as {beginStep + (100 * frequency)}.");
        }

        if (!(power > 0) || double.IsInfinity(power))
        {
            throw new ArgumentOutOfRangeException(nameof(power), power, "The power must be a finite number above 0, such as 3 (TFMOT's default).");
        }

        InitialSparsity = initialSparsity;
        FinalSparsity = finalSparsity;
        BeginStep = beginStep;
        EndStep = endStep;
        Power = power;
        Frequency = frequency;
    }

    /// <summary>The sparsity at <see cref="BeginStep"/>.</summary>
    public double InitialSparsity { get; }

    /// <summary>The sparsity from <see cref="EndStep"/> on.</summary>
    public double FinalSparsity { get; }

    /// <summary>The first update step.</summary>
    public int BeginStep { get; }

    /// <summary>The last update step.</summary>
    public int EndStep { get; }

    /// <summary>The exponent of the polynomial.</summary>
    public double Power { get; }

    /// <summary>The steps between updates.</summary>
    public int Frequency { get; }

    /// <inheritdoc/>
    public bool IsUpdateStep(int step) => Schedules.IsUpdateStep(step, BeginStep, EndStep, Frequency);

    /// <inheritdoc/>
    public double SparsityAt(int step)
    {
        double progress = Math.Clamp((double)(step - BeginStep) / (EndStep - BeginStep), 0, 1);
        return FinalSparsity + ((InitialSparsity - FinalSparsity) * Math.Pow(1 - progress, Power));
    }
}

/// <summary>
/// One sparsity, applied at every <see cref="Frequency"/>-th step from <see cref="BeginStep"/> to
/// <see cref="EndStep"/> (or for ever), as TFMOT's <c>ConstantSparsity</c>.
/// </summary>
public sealed class ConstantSparsity : IPruningSchedule
{
    /// <summary>Creates the schedule; the arguments and their defaults are TFMOT's.</summary>
    /// <param name="targetSparsity">The sparsity, in [0, 1).</param>
    /// <param name="beginStep">The first update step, at least 0.</param>
    /// <param name="endStep">The last update step, at least <paramref name="beginStep"/>, or -1 to update for ever.</param>
    /// <param name="frequency">The steps between updates, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">When an argument is outside the range given for it; the parameter name says which.</exception>
    public ConstantSparsity(double targetSparsity, int beginStep, int endStep = -1, int frequency = 100)
    {
        Schedules.CheckSparsity(targetSparsity, nameof(targetSparsity));
        Schedules.CheckSteps(beginStep, frequency);
        if (endStep != -1 && endStep < beginStep)
        {
            throw new ArgumentOutOfRangeException(nameof(endStep), endStep, $"The end step must be at least the begin step ({beginStep}), or -1 to prune for ever.");
        }

        TargetSparsity = targetSparsity;
        BeginStep = beginStep;
        EndStep = endStep;
        Frequency = frequency;
    }

    /// <summary>The sparsity.</summary>
    public double TargetSparsity { get; }

    /// <summary>The first update step.</summary>
    public int BeginStep { get; }

    /// <summary>The last update step, or -1 for none.</summary>
    public int EndStep { get; }

    /// <summary>The steps between updates.</summary>
    public int Frequency { get; }

    /// <inheritdoc/>
    public bool IsUpdateStep(int step) => Schedules.IsUpdateStep(step, BeginStep, EndStep, Frequency);

    /// <inheritdoc/>
    public double SparsityAt(int step) => TargetSparsity;
}

internal static class Schedules
{
    internal static void CheckSparsity(double sparsity, string name)
    {
        // Sparsity 1 would leave nothing; TFMOT refuses it too and always keeps at least one weight.
        if (!(sparsity >= 0 && sparsity < 1))
        {
            throw new ArgumentOutOfRangeException(name, sparsity, "A sparsity is the fraction of weights set to zero, in [0, 1), such as 0.8.");
        }
    }

    internal static void CheckSteps(int beginStep, int frequency)
    {
        if (beginStep < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(beginStep), beginStep, "The begin step counts optimizer steps from 0 and cannot be negative.");
        }

        if (frequency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(frequency), frequency, "The frequency is the number of steps between mask updates, at least 1, such as 100.");
        }
    }

    // TFMOT's _should_prune_in_step: within [begin, end] (end -1: no end) and a whole number of periods after begin.
    internal static bool IsUpdateStep(int step, int begin, int end, int frequency)
        => step >= begin && (end < 0 || step <= end) && (step - begin) % frequency == 0;
}
