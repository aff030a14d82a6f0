using System;
using System.Numerics.Tensors;

namespace TypedNets.Text;

/// <summary>
/// Draws the next token from a language model's logits, as nanoGPT's <c>generate</c> and Hugging Face's samplers do:
/// logits divided by the temperature, optionally cut to the <see cref="TopK"/> largest (ties at the cut kept, as
/// nanoGPT keeps every logit not below the k-th) and to the smallest set of most likely tokens whose probabilities
/// sum to at least <see cref="TopP"/> (nucleus sampling), then one draw from the softmax of what is left.
/// </summary>
/// <remarks>
/// <para>
/// A temperature of 0 means greedy decoding: the first index of the largest logit, as <c>torch.argmax</c>, and no draw.
/// </para>
/// <para>
/// The draws come from one <c>new Xoshiro256(seed)</c>, one <see cref="Xoshiro256.NextDouble()"/> per token, so a
/// seed and the logits fix every token. Drawing allocates nothing: the buffers for a vocabulary are made with the
/// sampler.
/// </para>
/// </remarks>
public sealed class TokenSampler
{
    private readonly float[] _values;
    private readonly int[] _order;
    private Xoshiro256 _random;

    /// <summary>Prepares to sample from <paramref name="vocabulary"/> logits at a time.</summary>
    /// <param name="vocabulary">The number of logits per draw, the model's vocabulary size.</param>
    /// <param name="temperature">The divisor of the logits, &gt;= 0: below 1 sharper, above 1 flatter, 0 greedy.</param>
    /// <param name="topK">Keep only the k largest logits (and any equal to the k-th); 0 keeps all.</param>
    /// <param name="topP">Keep the fewest most likely tokens whose probabilities reach this sum, in (0, 1]; 1 keeps all.</param>
    /// <param name="seed">The seed of the draws.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range; the message names it.</exception>
    public TokenSampler(int vocabulary, double temperature = 1.0, int topK = 0, double topP = 1.0, ulong seed = 0)
    {
        if (vocabulary <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, $"The vocabulary must hold at least one token, but it was {vocabulary}; pass the model's vocabulary size.");
        }

        if (!(temperature >= 0) || double.IsInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"The temperature must be a finite number >= 0, but it was {temperature}; use 1 for the model's own distribution, 0 for greedy decoding.");
        }

        if (topK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(topK), topK, $"topK must be >= 0, but it was {topK}; use 0 to keep every token, or a count such as 40.");
        }

        if (!(topP > 0 && topP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(topP), topP, $"topP must be in (0, 1], but it was {topP}; use 1 to keep every token, or a mass such as 0.9.");
        }

        Vocabulary = vocabulary;
        Temperature = temperature;
        TopK = topK;
        TopP = topP;
        _values = new float[vocabulary];
        _order = new int[vocabulary];
        _random = new Xoshiro256(seed);
    }

    /// <summary>The number of logits per draw.</summary>
    public int Vocabulary { get; }

    /// <summary>The divisor of the logits; 0 for greedy decoding.</summary>
    public double Temperature { get; }

    /// <summary>How many of the largest logits are kept (ties included); 0 for all.</summary>
    public int TopK { get; }

    /// <summary>The probability mass the kept tokens reach; 1 for all.</summary>
    public double TopP { get; }

    /// <summary>Draws the next token from <paramref name="logits"/>.</summary>
    /// <param name="logits">The model's <see cref="Vocabulary"/> logits for the next position.</param>
    /// <returns>The token's index.</returns>
    /// <exception cref="ArgumentException">The logits are not <see cref="Vocabulary"/> long, or one is NaN or +infinity.</exception>
    public int Next(ReadOnlySpan<float> logits)
    {
        if (logits.Length != Vocabulary)
        {
            throw new ArgumentException($"The sampler draws from {Vocabulary} logits, but {logits.Length} were given; pass the model's output for one position.", nameof(logits));
        }

        bool anyAllowed = false;
        for (int i = 0; i < logits.Length; i++)
        {
            if (float.IsNaN(logits[i]) || float.IsPositiveInfinity(logits[i]))
            {
                throw new ArgumentException($"Logit {i} is {logits[i]}, but logits must be finite or -infinity (a banned token); the model's output has diverged.", nameof(logits));
            }

            anyAllowed |= !float.IsNegativeInfinity(logits[i]);
        }

        if (!anyAllowed)
        {
            throw new ArgumentException("Every logit is -infinity, so no token can be drawn; leave at least one token allowed.", nameof(logits));
        }

        if (Temperature == 0)
        {
            return TensorPrimitives.IndexOfMax(logits);
        }

        Span<float> values = _values;
        Span<int> order = _order;
        int count = Vocabulary;
        bool sorted = TopK > 0 || TopP < 1;
        if (sorted)
        {
            // Sorted by descending logit (ascending negated logit), the kept tokens are a prefix.
            TensorPrimitives.Negate(logits, values);
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            values.Sort(order);
            TensorPrimitives.Negate(values, values);
            if (TopK > 0 && TopK < count)
            {
                float threshold = values[TopK - 1];
                count = TopK;
                while (count < Vocabulary && values[count] == threshold)
                {
                    count++;
                }
            }
        }
        else
        {
            logits.CopyTo(values);
        }

        // Softmax of logits / temperature over the kept prefix (or all, unsorted), unnormalised.
        Span<float> kept = values[..count];
        float max = TensorPrimitives.Max(kept);
        TensorPrimitives.Subtract(kept, max, kept);
        TensorPrimitives.Multiply(kept, (float)(1 / Temperature), kept);
        TensorPrimitives.Exp(kept, kept);
        double total = TensorPrimitives.Sum(kept);
        if (TopP < 1)
        {
            double mass = 0;
            int nucleus = 0;
            while (nucleus < count && mass < TopP * total)
            {
                mass += kept[nucleus++];
            }

            count = nucleus;
            total = mass;
            kept = kept[..count];
        }

        // The first token whose cumulative weight passes the draw; should rounding leave the draw past the last, the
        // last token of non-zero weight (never a banned one).
        double u = _random.NextDouble() * total;
        double cumulative = 0;
        int chosen = -1;
        for (int i = 0; i < count; i++)
        {
            if (kept[i] > 0)
            {
                chosen = i;
                cumulative += kept[i];
                if (u < cumulative)
                {
                    break;
                }
            }
        }

        return sorted ? order[chosen] : chosen;
    }
}
