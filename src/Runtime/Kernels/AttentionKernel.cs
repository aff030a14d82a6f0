using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// Multi-head scaled dot-product self-attention over the fused query/key/value projection GPT-2 and nanoGPT use
/// (<c>c_attn</c>): each position's row of <c>3 x width</c> values holds its query, then its key, then its value, and
/// head <c>h</c> owns columns <c>h·d .. (h+1)·d</c> of each, <c>d = width / heads</c>. The output row is the heads'
/// results side by side, <c>[steps, width]</c>, ready for the output projection (<c>c_proj</c>).
/// </summary>
/// <remarks>
/// <para>
/// Per sample and head: <c>S = Q Kᵀ / sqrt(d)</c>, with <c>-inf</c> above the diagonal when causal;
/// <c>P = softmax(S)</c> by rows; with dropout, <c>P̃ = P ⊙ M / (1 - rate)</c> for a keep mask <c>M</c>, else
/// <c>P̃ = P</c>; <c>O = P̃ V</c>. This is PyTorch's <c>F.scaled_dot_product_attention(q, k, v, is_causal=...,
/// dropout_p=...)</c> and nanoGPT's attention.
/// </para>
/// <para>
/// One head's score matrix is held at a time (in the caller's scratch, with its gradient in the backward pass), never
/// the batch's or the heads': the heads' queries, keys and values are packed into contiguous <c>[steps, d]</c> blocks
/// so that the three products run on <see cref="Gemm"/>, and the forward pass keeps only each row's log-sum-exp
/// <c>L = max + log(sum exp)</c>, from which the backward pass recomputes <c>P = exp(S - L)</c> as FlashAttention does.
/// </para>
/// <para>
/// The dropout mask is never stored either: whether element <c>(sample, head, i, j)</c> is kept is a hash of the seed
/// and that position (a counter-based generator), so the backward pass draws the same mask again.
/// </para>
/// </remarks>
public static class AttentionKernel
{
    /// <summary>The scratch, in elements, that <see cref="Forward"/> and <see cref="Backward"/> need for these sizes.</summary>
    /// <param name="steps">The sequence length.</param>
    /// <param name="width">The model width (all heads together).</param>
    /// <param name="heads">The number of heads; it divides <paramref name="width"/>.</param>
    public static int ScratchLength(int steps, int width, int heads)
    {
        CheckShape(steps, width, heads);
        int d = width / heads;
        return (5 * steps * d) + (2 * steps * steps);
    }

    /// <summary>
    /// Writes <paramref name="output"/> <c>[batch, steps, width]</c> from <paramref name="qkv"/>
    /// <c>[batch, steps, 3·width]</c>, and each row's log-sum-exp in <paramref name="logSumExp"/>
    /// <c>[batch, heads, steps]</c> for the backward pass.
    /// </summary>
    /// <param name="qkv">The fused projection's output.</param>
    /// <param name="output">The attention's output, the heads side by side.</param>
    /// <param name="logSumExp">Each score row's <c>max + log(sum exp)</c>, saved for <see cref="Backward"/>.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> elements, overwritten.</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="steps">The sequence length.</param>
    /// <param name="width">The model width.</param>
    /// <param name="heads">The number of heads.</param>
    /// <param name="causal">Whether position <c>i</c> attends only to positions <c>j &lt;= i</c>.</param>
    /// <param name="dropout">The probability of dropping an attention weight, in [0, 1); 0 when not training.</param>
    /// <param name="seed">The seed of the dropout mask; pass the same one to <see cref="Backward"/>.</param>
    /// <exception cref="ArgumentException">A size is not positive, <paramref name="heads"/> does not divide
    /// <paramref name="width"/>, or a span is shorter than the sizes need.</exception>
    public static void Forward<T>(
        ReadOnlySpan<T> qkv, Span<T> output, Span<T> logSumExp, Span<T> scratch,
        int batch, int steps, int width, int heads, bool causal, double dropout = 0, ulong seed = 0)
        where T : IFloatingPointIeee754<T>
    {
        CheckSpans(qkv.Length, output.Length, logSumExp.Length, scratch.Length, batch, steps, width, heads, dropout);
        int d = width / heads;
        T scale = T.One / T.Sqrt(T.CreateTruncating(d));
        var blocks = new Blocks<T>(scratch, steps, d);
        for (int sample = 0; sample < batch; sample++)
        {
            ReadOnlySpan<T> rows = qkv.Slice(sample * steps * 3 * width, steps * 3 * width);
            for (int head = 0; head < heads; head++)
            {
                // P = softmax(S) by rows, in place.
                ScaledScores(rows, blocks, steps, width, head, scale, causal);
                Span<T> lse = logSumExp.Slice(((sample * heads) + head) * steps, steps);
                for (int i = 0; i < steps; i++)
                {
                    Span<T> live = blocks.Scores.Slice(i * steps, causal ? i + 1 : steps);
                    if (typeof(T) == typeof(float) && dropout == 0 && Vector512.IsHardwareAccelerated)
                    {
                        lse[i] = T.CreateTruncating(SoftmaxRow(FloatSpans.AsFloat(live)));
                        continue;
                    }

                    T max = TensorPrimitives.Max<T>(live);
                    TensorPrimitives.Subtract(live, max, live);
                    TensorPrimitives.Exp<T>(live, live);
                    T sum = TensorPrimitives.Sum<T>(live);
                    TensorPrimitives.Divide(live, sum, live);
                    lse[i] = max + T.Log(sum);
                    if (dropout > 0)
                    {
                        ApplyDropout(live, dropout, seed, sample, head, heads, i, steps);
                    }
                }

                // O = P̃ V, scattered into the head's columns of the output rows.
                if (!CausalProduct(blocks.Scores, blocks.Value, blocks.Output, steps, d, causal))
                {
                    Gemm.Multiply<T>(blocks.Scores, blocks.Value, blocks.Output, steps, d, steps, accumulate: false);
                }

                Unpack(blocks.Output, output.Slice(sample * steps * width, steps * width), steps, width, head * d, d, accumulate: false);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="qkvGradient"/> <c>[batch, steps, 3·width]</c>, the gradient of the loss with respect to
    /// <paramref name="qkv"/>, from <paramref name="outputGradient"/> and what <see cref="Forward"/> left.
    /// </summary>
    /// <param name="qkv">The fused projection's output, as passed to <see cref="Forward"/>.</param>
    /// <param name="output">The output <see cref="Forward"/> wrote.</param>
    /// <param name="logSumExp">The log-sum-exp rows <see cref="Forward"/> saved.</param>
    /// <param name="outputGradient">The gradient of the loss with respect to the output.</param>
    /// <param name="qkvGradient">The gradient with respect to <paramref name="qkv"/>; overwritten.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> elements, overwritten.</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="steps">The sequence length.</param>
    /// <param name="width">The model width.</param>
    /// <param name="heads">The number of heads.</param>
    /// <param name="causal">As passed to <see cref="Forward"/>.</param>
    /// <param name="dropout">As passed to <see cref="Forward"/>.</param>
    /// <param name="seed">As passed to <see cref="Forward"/>.</param>
    /// <exception cref="ArgumentException">As <see cref="Forward"/>.</exception>
    public static void Backward<T>(
        ReadOnlySpan<T> qkv, ReadOnlySpan<T> output, ReadOnlySpan<T> logSumExp, ReadOnlySpan<T> outputGradient, Span<T> qkvGradient, Span<T> scratch,
        int batch, int steps, int width, int heads, bool causal, double dropout = 0, ulong seed = 0)
        where T : IFloatingPointIeee754<T>
    {
        CheckSpans(qkv.Length, output.Length, logSumExp.Length, scratch.Length, batch, steps, width, heads, dropout);
        CheckLength(outputGradient.Length, batch * steps * width, nameof(outputGradient));
        CheckLength(qkvGradient.Length, batch * steps * 3 * width, nameof(qkvGradient));
        int d = width / heads;
        T scale = T.One / T.Sqrt(T.CreateTruncating(d));
        T keep = T.One / (T.One - T.CreateTruncating(dropout));
        var blocks = new Blocks<T>(scratch, steps, d);
        for (int sample = 0; sample < batch; sample++)
        {
            ReadOnlySpan<T> rows = qkv.Slice(sample * steps * 3 * width, steps * 3 * width);
            ReadOnlySpan<T> outputRows = output.Slice(sample * steps * width, steps * width);
            ReadOnlySpan<T> gradientRows = outputGradient.Slice(sample * steps * width, steps * width);
            Span<T> qkvGradientRows = qkvGradient.Slice(sample * steps * 3 * width, steps * 3 * width);
            for (int head = 0; head < heads; head++)
            {
                Pack(gradientRows, blocks.OutputGradient, steps, width, head * d, d);

                // P = exp(S - L) from the saved log-sum-exp; the rows' D_i = dO_i · O_i (dropout included in O).
                ScaledScores(rows, blocks, steps, width, head, scale, causal);
                ReadOnlySpan<T> lse = logSumExp.Slice(((sample * heads) + head) * steps, steps);
                bool fused = typeof(T) == typeof(float) && dropout == 0 && Vector512.IsHardwareAccelerated;
                for (int i = 0; i < steps && !fused; i++)
                {
                    Span<T> live = blocks.Scores.Slice(i * steps, causal ? i + 1 : steps);
                    TensorPrimitives.Subtract(live, lse[i], live);
                    TensorPrimitives.Exp<T>(live, live);
                }

                // dP̃ = dO Vᵀ.
                Gemm.MultiplyTransposedB<T>(blocks.OutputGradient, blocks.Value, blocks.ScoreGradient, steps, steps, d, accumulate: false);
                for (int i = 0; i < steps; i++)
                {
                    if (fused)
                    {
                        int live = causal ? i + 1 : steps;
                        float dot = TensorPrimitives.Dot(
                            FloatSpans.AsFloat(gradientRows.Slice(i * width + (head * d), d)), FloatSpans.AsFloat(outputRows.Slice(i * width + (head * d), d)));
                        ScoreGradientRow(
                            FloatSpans.AsFloat(blocks.Scores.Slice(i * steps, steps)), FloatSpans.AsFloat(blocks.ScoreGradient.Slice(i * steps, steps)),
                            live, float.CreateTruncating(lse[i]), dot, float.CreateTruncating(scale));
                        continue;
                    }

                    Span<T> p = blocks.Scores.Slice(i * steps, steps);
                    Span<T> dp = blocks.ScoreGradient.Slice(i * steps, steps);
                    int seen = causal ? i + 1 : steps;
                    T rowDot = TensorPrimitives.Dot(gradientRows.Slice(i * width + (head * d), d), outputRows.Slice(i * width + (head * d), d));
                    if (dropout > 0)
                    {
                        // With the mask drawn again: dP = dP̃ ⊙ M / (1 - rate), dS = P ⊙ (dP - D_i), and P turns into
                        // P̃ = P ⊙ M / (1 - rate) for dV below.
                        for (int j = 0; j < seen; j++)
                        {
                            T mask = Kept(dropout, seed, sample, head, heads, i, j, steps) ? keep : T.Zero;
                            dp[j] = p[j] * ((dp[j] * mask) - rowDot);
                            p[j] *= mask;
                        }
                    }
                    else
                    {
                        // dS = P ⊙ (dP - D_i).
                        TensorPrimitives.Subtract(dp[..seen], rowDot, dp[..seen]);
                        TensorPrimitives.Multiply(dp[..seen], p[..seen], dp[..seen]);
                    }

                    dp[seen..].Clear();
                    TensorPrimitives.Multiply(dp[..seen], scale, dp[..seen]);
                }

                // dV = P̃ᵀ dO, dQ = dS K, dK = dSᵀ Q (dS already scaled by 1/sqrt(d)).
                if (!CausalTransposedProduct(blocks.Scores, blocks.OutputGradient, blocks.Output, steps, d, causal))
                {
                    Gemm.MultiplyTransposedA<T>(blocks.Scores, blocks.OutputGradient, blocks.Output, steps, d, steps, accumulate: false);
                }

                Unpack(blocks.Output, qkvGradientRows, steps, 3 * width, (2 * width) + (head * d), d, accumulate: false);
                if (!CausalProduct(blocks.ScoreGradient, blocks.Key, blocks.Output, steps, d, causal))
                {
                    Gemm.Multiply<T>(blocks.ScoreGradient, blocks.Key, blocks.Output, steps, d, steps, accumulate: false);
                }

                Unpack(blocks.Output, qkvGradientRows, steps, 3 * width, head * d, d, accumulate: false);
                if (!CausalTransposedProduct(blocks.ScoreGradient, blocks.Query, blocks.Output, steps, d, causal))
                {
                    Gemm.MultiplyTransposedA<T>(blocks.ScoreGradient, blocks.Query, blocks.Output, steps, d, steps, accumulate: false);
                }

                Unpack(blocks.Output, qkvGradientRows, steps, 3 * width, width + (head * d), d, accumulate: false);
            }
        }
    }

    /// <summary>
    /// Causal attention for one new position against a key/value cache, as generation runs it: stores the position's
    /// key and value (from its row of <paramref name="qkv"/>) at <paramref name="position"/> in the caches, then writes
    /// the position's output, the same as row <paramref name="position"/> of a causal <see cref="Forward"/> over the
    /// sequence so far, at the cost of one position's work.
    /// </summary>
    /// <param name="qkv">The new position's fused projection, <c>3·width</c> values.</param>
    /// <param name="keyCache">The keys so far, <c>[heads, capacity, width / heads]</c>; this position's are written.</param>
    /// <param name="valueCache">The values so far, laid out as <paramref name="keyCache"/>; this position's are written.</param>
    /// <param name="output">The position's output, <paramref name="width"/> values, the heads side by side.</param>
    /// <param name="scores">Scratch of at least <paramref name="position"/> + 1 elements.</param>
    /// <param name="position">The new position's index, from 0, below <paramref name="capacity"/>.</param>
    /// <param name="capacity">The longest sequence the caches hold (the model's context).</param>
    /// <param name="width">The model width.</param>
    /// <param name="heads">The number of heads.</param>
    /// <exception cref="ArgumentException">The sizes do not fit together or <paramref name="position"/> is past the cache.</exception>
    public static void Decode<T>(
        ReadOnlySpan<T> qkv, Span<T> keyCache, Span<T> valueCache, Span<T> output, Span<T> scores, int position, int capacity, int width, int heads)
        where T : IFloatingPointIeee754<T>
    {
        CheckShape(capacity, width, heads);
        if ((uint)position >= (uint)capacity)
        {
            throw new ArgumentOutOfRangeException(
                nameof(position), position, $"The key/value cache holds {capacity} positions, so the new position must be in [0, {capacity - 1}], but it was {position}; start a new sequence or crop the oldest positions.");
        }

        CheckLength(qkv.Length, 3 * width, nameof(qkv));
        CheckLength(keyCache.Length, capacity * width, nameof(keyCache));
        CheckLength(valueCache.Length, capacity * width, nameof(valueCache));
        CheckLength(output.Length, width, nameof(output));
        CheckLength(scores.Length, position + 1, nameof(scores));
        int d = width / heads;
        T scale = T.One / T.Sqrt(T.CreateTruncating(d));
        for (int head = 0; head < heads; head++)
        {
            Span<T> keys = keyCache.Slice(head * capacity * d, capacity * d);
            Span<T> values = valueCache.Slice(head * capacity * d, capacity * d);
            qkv.Slice(width + (head * d), d).CopyTo(keys.Slice(position * d, d));
            qkv.Slice((2 * width) + (head * d), d).CopyTo(values.Slice(position * d, d));

            ReadOnlySpan<T> query = qkv.Slice(head * d, d);
            Span<T> row = scores[..(position + 1)];
            for (int j = 0; j <= position; j++)
            {
                row[j] = TensorPrimitives.Dot<T>(query, keys.Slice(j * d, d)) * scale;
            }

            T max = TensorPrimitives.Max<T>(row);
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp<T>(row, row);
            TensorPrimitives.Divide(row, TensorPrimitives.Sum<T>(row), row);

            Span<T> result = output.Slice(head * d, d);
            result.Clear();
            for (int j = 0; j <= position; j++)
            {
                TensorPrimitives.MultiplyAdd(values.Slice(j * d, d), row[j], result, result);
            }
        }
    }

    /// <summary>
    /// One float score row's softmax in place, in three <c>Vector512</c> passes (max; exp and sum; divide), the
    /// operations of the generic path's five <c>TensorPrimitives</c> calls, which on causal rows of 1 to 64 scores
    /// cost more in calls than in arithmetic. The row's last part vector is padded with <c>-inf</c> (whose exp is 0), so
    /// that it takes one vector exp, not one per score.
    /// </summary>
    /// <returns>The row's log-sum-exp, <c>max + log(sum)</c>.</returns>
    private static float SoftmaxRow(Span<float> row)
    {
        int n = row.Length;
        int vectorEnd = n - (n % Vector512<float>.Count);
        bool tail = vectorEnd < n;
        ref float first = ref MemoryMarshal.GetReference(row);
        Vector512<float> last = tail ? LoadTail(row[vectorEnd..], float.NegativeInfinity) : Vector512.Create(float.NegativeInfinity);
        Vector512<float> maxima = last;
        for (int j = 0; j < vectorEnd; j += Vector512<float>.Count)
        {
            maxima = Vector512.Max(maxima, Vector512.LoadUnsafe(ref first, (nuint)j));
        }

        float max = HorizontalMax(maxima);
        var shift = Vector512.Create(max);
        Vector512<float> sums = Vector512<float>.Zero;
        for (int j = 0; j < vectorEnd; j += Vector512<float>.Count)
        {
            Vector512<float> e = Vector512.Exp(Vector512.LoadUnsafe(ref first, (nuint)j) - shift);
            e.StoreUnsafe(ref first, (nuint)j);
            sums += e;
        }

        if (tail)
        {
            last = Vector512.Exp(last - shift);
            sums += last;
        }

        float sum = Vector512.Sum(sums);
        var total = Vector512.Create(sum);
        for (int j = 0; j < vectorEnd; j += Vector512<float>.Count)
        {
            (Vector512.LoadUnsafe(ref first, (nuint)j) / total).StoreUnsafe(ref first, (nuint)j);
        }

        if (tail)
        {
            StoreTail(last / total, row[vectorEnd..]);
        }

        return max + MathF.Log(sum);
    }

    private static float HorizontalMax(Vector512<float> values)
    {
        Vector256<float> half = Vector256.Max(values.GetLower(), values.GetUpper());
        Vector128<float> quarter = Vector128.Max(half.GetLower(), half.GetUpper());
        return MathF.Max(MathF.Max(quarter.GetElement(0), quarter.GetElement(1)), MathF.Max(quarter.GetElement(2), quarter.GetElement(3)));
    }

    /// <summary>The fewer than 16 values of <paramref name="part"/> in a vector whose other lanes hold <paramref name="fill"/>.</summary>
    private static Vector512<float> LoadTail(ReadOnlySpan<float> part, float fill)
    {
        Span<float> lanes = stackalloc float[Vector512<float>.Count];
        lanes.Fill(fill);
        part.CopyTo(lanes);
        return Vector512.Create<float>(lanes);
    }

    /// <summary>The first <c>part.Length</c> lanes of <paramref name="values"/> into <paramref name="part"/>.</summary>
    private static void StoreTail(Vector512<float> values, Span<float> part)
    {
        Span<float> lanes = stackalloc float[Vector512<float>.Count];
        values.CopyTo(lanes);
        lanes[..part.Length].CopyTo(part);
    }

    /// <summary>
    /// One float row of the backward pass without dropout, in one pass over its <paramref name="live"/> entries:
    /// <c>P = exp(S - L)</c> into <paramref name="scores"/>, <c>dS = P ⊙ (dP - D_i) / sqrt(d)</c> into
    /// <paramref name="gradient"/> (which holds <c>dP</c>), zero past the live entries; the generic path's seven
    /// <c>TensorPrimitives</c> calls, in the same order of operations.
    /// </summary>
    private static void ScoreGradientRow(Span<float> scores, Span<float> gradient, int live, float logSumExp, float rowDot, float scale)
    {
        int vectorEnd = live - (live % Vector512<float>.Count);
        ref float s = ref MemoryMarshal.GetReference(scores);
        ref float g = ref MemoryMarshal.GetReference(gradient[..scores.Length]);
        var lse = Vector512.Create(logSumExp);
        var dot = Vector512.Create(rowDot);
        var factor = Vector512.Create(scale);
        for (int j = 0; j < vectorEnd; j += Vector512<float>.Count)
        {
            Vector512<float> p = Vector512.Exp(Vector512.LoadUnsafe(ref s, (nuint)j) - lse);
            p.StoreUnsafe(ref s, (nuint)j);
            (((Vector512.LoadUnsafe(ref g, (nuint)j) - dot) * p) * factor).StoreUnsafe(ref g, (nuint)j);
        }

        if (vectorEnd < live)
        {
            Span<float> scoreTail = scores[vectorEnd..live];
            Span<float> gradientTail = gradient[vectorEnd..live];
            Vector512<float> p = Vector512.Exp(LoadTail(scoreTail, 0f) - lse);
            StoreTail(p, scoreTail);
            StoreTail(((LoadTail(gradientTail, 0f) - dot) * p) * factor, gradientTail);
        }

        gradient[live..].Clear();
    }

    /// <summary>
    /// <c>C = L B</c> for a causal (lower-triangular) float <c>L [steps, steps]</c> and <c>B [steps, d]</c>, without the
    /// zeros above the diagonal: the first half of the rows sums over the first half of <c>B</c> only, a quarter of the
    /// product saved.
    /// </summary>
    /// <returns>Whether it was done: not for doubles, non-causal attention, short sequences, or shapes the float GEMM paths do not take.</returns>
    private static bool CausalProduct<T>(Span<T> lower, Span<T> b, Span<T> c, int steps, int d, bool causal)
    {
        if (typeof(T) != typeof(float) || !causal || steps < MinSplitSteps)
        {
            return false;
        }

        int half = steps / 2;
        Span<float> l = FloatSpans.AsFloat(lower)[..(steps * steps)];
        Span<float> result = FloatSpans.AsFloat(c);
        if (!Gemm.TryMultiplyStrided(ref l[0], steps, 1, FloatSpans.AsFloat(b)[..(half * d)], result[..(half * d)], half, d, half))
        {
            return false;
        }

        // The later rows see every earlier position: whole rows of L, contiguous.
        Gemm.Multiply<float>(l[(half * steps)..], FloatSpans.AsFloat(b)[..(steps * d)], result[(half * d)..(steps * d)], steps - half, d, steps, accumulate: false);
        return true;
    }

    /// <summary>
    /// <c>C = Lᵀ B</c> for a causal float <c>L [steps, steps]</c> and <c>B [steps, d]</c>: row <c>j</c> of <c>C</c> sums
    /// <c>L[i, j] B[i]</c> over <c>i &gt;= j</c> only, so the second half of its rows reads the second half of <c>L</c>'s
    /// rows and of <c>B</c>.
    /// </summary>
    /// <returns>As <see cref="CausalProduct"/>.</returns>
    private static bool CausalTransposedProduct<T>(Span<T> lower, Span<T> b, Span<T> c, int steps, int d, bool causal)
    {
        if (typeof(T) != typeof(float) || !causal || steps < MinSplitSteps)
        {
            return false;
        }

        int half = steps / 2;
        Span<float> l = FloatSpans.AsFloat(lower)[..(steps * steps)];
        Span<float> bFloat = FloatSpans.AsFloat(b)[..(steps * d)];
        Span<float> result = FloatSpans.AsFloat(c)[..(steps * d)];

        // Lᵀ[j, i] = L[i, j]: a row step of 1 and a column step of steps. The first rows of C need every row of L.
        if (!Gemm.TryMultiplyStrided(ref l[0], 1, steps, bFloat, result[..(half * d)], half, d, steps))
        {
            return false;
        }

        if (!Gemm.TryMultiplyStrided(ref l[(half * steps) + half], 1, steps, bFloat[(half * d)..], result[(half * d)..], steps - half, d, steps - half))
        {
            Gemm.MultiplyTransposedA<float>(l, bFloat, result, steps, d, steps, accumulate: false);
        }

        return true;
    }

    /// <summary>Sequences from which causal products are split in two: below it the halves are too small to pay for a second call.</summary>
    private const int MinSplitSteps = 16;

    /// <summary>Whether attention weight <c>(sample, head, i, j)</c> survives dropout at <paramref name="rate"/> under <paramref name="seed"/>.</summary>
    /// <remarks>
    /// A counter-based draw: SplitMix64's finaliser of the seed and the weight's flat index, whose top 53 bits make a
    /// uniform double in [0, 1); the weight is kept when that is at least the rate. Any two calls with the same
    /// arguments agree, which is what lets the backward pass redraw the forward pass's mask.
    /// </remarks>
    public static bool Kept(double rate, ulong seed, int sample, int head, int heads, int i, int j, int steps)
    {
        ulong index = ((((ulong)sample * (ulong)heads) + (ulong)head) * (ulong)steps + (ulong)i) * (ulong)steps + (ulong)j;
        ulong z = seed + ((index + 1) * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53)) >= rate;
    }

    private static void ApplyDropout<T>(Span<T> row, double rate, ulong seed, int sample, int head, int heads, int i, int steps)
        where T : IFloatingPointIeee754<T>
    {
        T keep = T.One / (T.One - T.CreateTruncating(rate));
        for (int j = 0; j < row.Length; j++)
        {
            row[j] = Kept(rate, seed, sample, head, heads, i, j, steps) ? row[j] * keep : T.Zero;
        }
    }

    /// <summary>
    /// Packs one head's queries, keys and values from a sample's <paramref name="rows"/> into the blocks and writes
    /// <c>S = Q Kᵀ · scale</c> into <c>blocks.Scores</c>, with the entries above the diagonal zero when causal (the
    /// callers read only each row's first <c>i + 1</c> then).
    /// </summary>
    private static void ScaledScores<T>(ReadOnlySpan<T> rows, Blocks<T> blocks, int steps, int width, int head, T scale, bool causal)
        where T : IFloatingPointIeee754<T>
    {
        int d = blocks.Query.Length / steps;
        Pack(rows, blocks.Query, steps, 3 * width, head * d, d);
        Pack(rows, blocks.Key, steps, 3 * width, width + (head * d), d);
        Pack(rows, blocks.Value, steps, 3 * width, (2 * width) + (head * d), d);
        Gemm.MultiplyTransposedB<T>(blocks.Query, blocks.Key, blocks.Scores, steps, steps, d, accumulate: false);
        TensorPrimitives.Multiply(blocks.Scores, scale, blocks.Scores);
        for (int i = 0; causal && i < steps; i++)
        {
            blocks.Scores.Slice((i * steps) + i + 1, steps - i - 1).Clear();
        }
    }

    /// <summary>Copies columns <c>offset .. offset + d</c> of <paramref name="steps"/> rows of <paramref name="stride"/> into a contiguous <c>[steps, d]</c> block.</summary>
    private static void Pack<T>(ReadOnlySpan<T> rows, Span<T> block, int steps, int stride, int offset, int d)
    {
        for (int i = 0; i < steps; i++)
        {
            CopyRow(rows.Slice((i * stride) + offset, d), block.Slice(i * d, d));
        }
    }

    /// <summary>
    /// <c>source.CopyTo(destination)</c> for the short rows of one head (128 bytes at the usual 32 floats), in
    /// <c>Vector512</c> moves: <c>CopyTo</c> calls <c>Buffer.Memmove</c> for each, and those calls took 4% of the baby
    /// GPT's training step. The spans do not overlap here.
    /// </summary>
    private static void CopyRow<T>(ReadOnlySpan<T> source, Span<T> destination)
    {
        int bytes = source.Length * Unsafe.SizeOf<T>();
        if (!Vector512.IsHardwareAccelerated || bytes % Vector512<byte>.Count != 0)
        {
            source.CopyTo(destination);
            return;
        }

        ref byte from = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(source));
        ref byte to = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(destination[..source.Length]));
        for (nuint offset = 0; offset < (nuint)bytes; offset += (nuint)Vector512<byte>.Count)
        {
            Vector512.LoadUnsafe(ref from, offset).StoreUnsafe(ref to, offset);
        }
    }

    /// <summary>Copies (or adds) a contiguous <c>[steps, d]</c> block into columns <c>offset .. offset + d</c> of rows of <paramref name="stride"/>.</summary>
    private static void Unpack<T>(ReadOnlySpan<T> block, Span<T> rows, int steps, int stride, int offset, int d, bool accumulate)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < steps; i++)
        {
            Span<T> target = rows.Slice((i * stride) + offset, d);
            if (accumulate)
            {
                TensorPrimitives.Add(target, block.Slice(i * d, d), target);
            }
            else
            {
                CopyRow(block.Slice(i * d, d), target);
            }
        }
    }

    private static void CheckShape(int steps, int width, int heads)
    {
        if (steps <= 0 || width <= 0 || heads <= 0 || width % heads != 0)
        {
            throw new ArgumentException(
                $"Attention needs positive steps, width and heads with heads dividing width, but steps was {steps}, width {width} and heads {heads}; " +
                $"choose a head count such as {(width > 0 ? LargestDivisorUpTo(width, 8) : 1)} that divides the width.",
                nameof(heads));
        }
    }

    private static int LargestDivisorUpTo(int width, int limit)
    {
        for (int candidate = Math.Min(limit, width); candidate > 1; candidate--)
        {
            if (width % candidate == 0)
            {
                return candidate;
            }
        }

        return 1;
    }

    private static void CheckSpans(int qkv, int output, int logSumExp, int scratch, int batch, int steps, int width, int heads, double dropout)
    {
        CheckShape(steps, width, heads);
        if (batch <= 0)
        {
            throw new ArgumentException($"Attention needs at least one sample, but batch was {batch}.", nameof(batch));
        }

        if (!(dropout >= 0 && dropout < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"The attention dropout must be in [0, 1), but it was {dropout}; use 0 to turn it off.");
        }

        CheckLength(qkv, batch * steps * 3 * width, nameof(qkv));
        CheckLength(output, batch * steps * width, nameof(output));
        CheckLength(logSumExp, batch * heads * steps, nameof(logSumExp));
        CheckLength(scratch, ScratchLength(steps, width, heads), nameof(scratch));
    }

    private static void CheckLength(int length, int needed, string name)
    {
        if (length < needed)
        {
            throw new ArgumentException($"{name} holds {length} elements, but these sizes need at least {needed}.", name);
        }
    }

    /// <summary>The caller's scratch cut into one head's blocks: queries, keys, values, an output block and two score matrices.</summary>
    private readonly ref struct Blocks<T>
    {
        public Blocks(Span<T> scratch, int steps, int d)
        {
            int block = steps * d;
            Query = scratch[..block];
            Key = scratch.Slice(block, block);
            Value = scratch.Slice(2 * block, block);
            Output = scratch.Slice(3 * block, block);
            OutputGradient = scratch.Slice(4 * block, block);
            Scores = scratch.Slice(5 * block, steps * steps);
            ScoreGradient = scratch.Slice((5 * block) + (steps * steps), steps * steps);
        }

        public Span<T> Query { get; }

        public Span<T> Key { get; }

        public Span<T> Value { get; }

        public Span<T> Output { get; }

        public Span<T> OutputGradient { get; }

        public Span<T> Scores { get; }

        public Span<T> ScoreGradient { get; }
    }
}
