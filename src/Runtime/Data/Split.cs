using System;
using System.Collections.Generic;
using System.Globalization;

namespace TypedNets.Data;

/// <summary>
/// Seeded shuffles and train/test splits of row indices, defined exactly so that another implementation (such as the
/// Python port in <c>reference/sklearn/typednets_split.py</c>) reproduces them index for index.
/// </summary>
/// <remarks>
/// <para>Every random choice comes from one <see cref="Xoshiro256"/> created with <c>new Xoshiro256(seed)</c>:</para>
/// <list type="bullet">
/// <item><description>
/// Seeding: SplitMix64 run from <c>state = seed</c>; each call adds <c>0x9E3779B97F4A7C15</c> to the state
/// (mod 2^64), then <c>z = state; z = (z ^ (z &gt;&gt; 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z &gt;&gt; 27)) *
/// 0x94D049BB133111EB; return z ^ (z &gt;&gt; 31)</c>. Four calls give <c>s0, s1, s2, s3</c>.
/// </description></item>
/// <item><description>
/// <c>next()</c> (xoshiro256**): <c>result = rotl(s1 * 5, 7) * 9; t = s1 &lt;&lt; 17; s2 ^= s0; s3 ^= s1;
/// s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)</c>, all mod 2^64; returns <c>result</c>.
/// </description></item>
/// <item><description>
/// <c>below(bound)</c>, a uniform integer in [0, bound) (Lemire's method, <see cref="Xoshiro256.NextInt"/>):
/// <c>threshold = (2^64 - bound) mod bound</c>; repeat { <c>x = next()</c>; <c>p = x * bound</c> as a 128-bit
/// product } until <c>p mod 2^64 &gt;= threshold</c>; return <c>p &gt;&gt; 64</c>.
/// </description></item>
/// <item><description>
/// Fisher-Yates shuffle of a list <c>a</c> of length <c>n</c>: for <c>i</c> from <c>n - 1</c> down to 1,
/// <c>j = below(i + 1)</c>, then swap <c>a[i]</c> and <c>a[j]</c>. A list of 0 or 1 items draws nothing.
/// </description></item>
/// <item><description>
/// Test counts round half up: <c>floor(testFraction * n + 0.5)</c>, evaluated in IEEE double precision (so 2.5
/// rounds to 3, unlike banker's rounding).
/// </description></item>
/// </list>
/// <para>
/// The returned train and test indices are in the shuffled order, not sorted, as scikit-learn's
/// <c>train_test_split</c> returns its rows: a file sorted by class (as Iris is) would otherwise keep that order, and a
/// later <c>ValidationSplit</c> (Keras' <c>validation_split</c>, the last fraction of the rows) would take one class.
/// </para>
/// </remarks>
public static class Split
{
    /// <summary>
    /// A seeded permutation of <c>0 .. count - 1</c>: the list <c>[0, 1, ..., count - 1]</c> Fisher-Yates shuffled
    /// (see <see cref="Split"/>) by a fresh <c>new Xoshiro256(seed)</c>.
    /// </summary>
    public static int[] Shuffle(int count, ulong seed)
    {
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "A permutation needs a count of zero or more.");
        }

        int[] permutation = new int[count];
        var random = new Xoshiro256(seed);
        Permute(permutation, ref random);
        return permutation;
    }

    /// <summary>
    /// Splits rows <c>0 .. count - 1</c> at random, as scikit-learn's <c>ShuffleSplit</c> does: <c>p = Shuffle(count,
    /// seed)</c>; the first <c>floor(testFraction * count + 0.5)</c> entries of <c>p</c> are the test rows and the rest
    /// the train rows, each in the order they have in <c>p</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> is not strictly between 0 and 1.</exception>
    /// <exception cref="ArgumentException">The test or train set would be empty.</exception>
    public static (int[] Train, int[] Test) TrainTest(int count, double testFraction, ulong seed)
    {
        CheckFraction(testFraction);
        int[] permutation = Shuffle(count, seed);
        int testCount = TestCount(testFraction, count);
        CheckNotEmpty(count, testCount, testFraction, "");
        return (permutation[testCount..], permutation[..testCount]);
    }

    /// <summary>
    /// Splits the dataset's rows as <see cref="TrainTest(int, double, ulong)"/> does with its <see cref="Dataset.Count"/>,
    /// and returns copies of the two subsets, their rows in the shuffled order.
    /// </summary>
    public static (Dataset Train, Dataset Test) TrainTest(Dataset dataset, double testFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        (int[] train, int[] test) = TrainTest(dataset.Count, testFraction, seed);
        return (dataset.Subset(train), dataset.Subset(test));
    }

    /// <summary>
    /// Splits rows so that each class keeps (up to rounding) the same share in train and test.
    /// </summary>
    /// <remarks>
    /// <para>Exactly (see <see cref="Split"/> for the generator, <c>below</c> and the shuffle):</para>
    /// <list type="number">
    /// <item><description>One generator, <c>new Xoshiro256(seed)</c>, serves every class in turn.</description></item>
    /// <item><description>
    /// The classes are the distinct label values in ascending numeric order (<c>-0</c> and <c>0</c> are one class).
    /// </description></item>
    /// <item><description>
    /// For each class: list its row indices in ascending order, Fisher-Yates shuffle that list with the shared generator
    /// (continuing its stream from the previous class), and put the first <c>k = floor(testFraction * n + 0.5)</c>
    /// entries in test and the other <c>n - k</c> in train, where <c>n</c> is the class's row count.
    /// </description></item>
    /// <item><description>
    /// Fisher-Yates shuffle train (the rows collected class by class, in the order above) and then test, with the same
    /// generator continuing its stream, and return them: scikit-learn's <c>StratifiedShuffleSplit</c> also permutes
    /// both sets last, so that their rows are not grouped by class.
    /// </description></item>
    /// </list>
    /// <para>
    /// Rounding per class means the test set can differ from <c>testFraction * labels.Length</c> by up to half a row
    /// per class, and a class of one row always lands in train when <paramref name="testFraction"/> &lt; 0.5.
    /// </para>
    /// </remarks>
    /// <param name="labels">One label per row: class indices, or any finite values to stratify on.</param>
    /// <param name="testFraction">The share of each class to put in test, strictly between 0 and 1.</param>
    /// <param name="seed">Fixes the split; the same labels, fraction and seed give the same split on every machine.</param>
    /// <exception cref="ArgumentException">A label is NaN or infinite, or the test or train set would be empty.</exception>
    public static (int[] Train, int[] Test) StratifiedTrainTest(ReadOnlySpan<float> labels, double testFraction, ulong seed)
    {
        CheckFraction(testFraction);
        int[] order = new int[labels.Length];
        float[] keys = new float[labels.Length];
        for (int row = 0; row < labels.Length; row++)
        {
            if (!float.IsFinite(labels[row]))
            {
                throw new ArgumentException(
                    $"Row {row} has label {labels[row].ToString(CultureInfo.InvariantCulture)}; stratifying needs a finite label in every row.",
                    nameof(labels));
            }

            order[row] = row;
            keys[row] = labels[row] + 0f; // -0 becomes +0, so the two zeros are one class.
        }

        // Sorting by (label, row) lists each class's rows in ascending order, classes by ascending label.
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));

        var random = new Xoshiro256(seed);
        var train = new List<int>(labels.Length);
        var test = new List<int>(labels.Length);
        int start = 0;
        while (start < order.Length)
        {
            int end = start + 1;
            while (end < order.Length && keys[order[end]] == keys[order[start]])
            {
                end++;
            }

            Span<int> rows = order.AsSpan(start, end - start);
            FisherYates(rows, ref random);
            int testCount = TestCount(testFraction, rows.Length);
            test.AddRange(rows[..testCount]);
            train.AddRange(rows[testCount..]);
            start = end;
        }

        CheckNotEmpty(labels.Length, test.Count, testFraction, " with rounding per class");
        int[] trainRows = train.ToArray();
        int[] testRows = test.ToArray();
        FisherYates(trainRows, ref random);
        FisherYates(testRows, ref random);
        return (trainRows, testRows);
    }

    /// <summary>
    /// Splits the dataset as <see cref="StratifiedTrainTest(ReadOnlySpan{float}, double, ulong)"/> does, stratifying on
    /// the target when it is one value per row, or on the index of each row's largest target (the class of a one-hot or
    /// probability row, first index on ties) when it is wider; returns copies of the two subsets, their rows in the
    /// shuffled order.
    /// </summary>
    public static (Dataset Train, Dataset Test) StratifiedTrainTest(Dataset dataset, double testFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        float[] labels;
        if (dataset.TargetWidth == 1)
        {
            labels = dataset.Targets.ToArray();
        }
        else
        {
            labels = new float[dataset.Count];
            for (int row = 0; row < labels.Length; row++)
            {
                labels[row] = OneHot.IndexOfMax(dataset.TargetRow(row), row, "target");
            }
        }

        (int[] train, int[] test) = StratifiedTrainTest(labels, testFraction, seed);
        return (dataset.Subset(train), dataset.Subset(test));
    }

    /// <summary>
    /// Fisher-Yates shuffles <paramref name="items"/> in place with <paramref name="random"/>: for <c>i</c> from
    /// <c>Length - 1</c> down to 1, swap items <c>i</c> and <c>random.NextInt(i + 1)</c>.
    /// </summary>
    internal static void FisherYates(Span<int> items, ref Xoshiro256 random)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Fills <paramref name="permutation"/> with <c>0, 1, ...</c> and Fisher-Yates shuffles it.</summary>
    internal static void Permute(Span<int> permutation, ref Xoshiro256 random)
    {
        for (int i = 0; i < permutation.Length; i++)
        {
            permutation[i] = i;
        }

        FisherYates(permutation, ref random);
    }

    private static int TestCount(double testFraction, int count) => (int)Math.Floor((testFraction * count) + 0.5);

    private static void CheckFraction(double testFraction)
    {
        if (!(testFraction > 0 && testFraction < 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(testFraction),
                testFraction,
                "The test fraction is the share of rows held out, strictly between 0 and 1 (0.2 holds out a fifth).");
        }
    }

    private static void CheckNotEmpty(int count, int testCount, double testFraction, string rounding)
    {
        if (testCount == 0 || testCount == count)
        {
            string fraction = testFraction.ToString(CultureInfo.InvariantCulture);
            string empty = testCount == 0 ? "test" : "train";
            throw new ArgumentException(
                $"Holding out {fraction} of {count} rows{rounding} leaves the {empty} set empty; " +
                $"use a test fraction {(testCount == 0 ? "closer to 0.5" : "further from 1")} or more rows.",
                nameof(testFraction));
        }
    }
}
