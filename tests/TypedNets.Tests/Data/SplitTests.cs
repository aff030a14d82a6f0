using System.Linq;
using System;
using TypedNets.Data;
using TypedNets.Tests.Metrics;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Data;

public sealed class SplitTests
{
    [Fact]
    public void Shuffle_matches_the_python_port_of_the_documented_algorithm()
    {
        var fixture = ReferenceFixture.Sklearn("split_shuffle");
        ulong[] seeds = fixture.Config("seeds").EnumerateArray().Select(e => e.GetUInt64()).ToArray();
        int[] counts = fixture.Config("counts").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        for (int i = 0; i < seeds.Length; i++)
        {
            Assert.Equal(fixture.Ints($"shuffle.{i}"), Split.Shuffle(counts[i], seeds[i]));
        }

        // The generator stream itself, so a change to Xoshiro256 shows up here and not as a puzzling split.
        var random = new Xoshiro256(42);
        ulong[] raw = fixture.String("raw_next_42").Split(' ').Select(ulong.Parse).ToArray();
        Assert.Equal(raw, Enumerable.Range(0, raw.Length).Select(_ => random.NextUInt64()).ToArray());
    }

    [Fact]
    public void TrainTest_matches_the_python_port()
    {
        var fixture = ReferenceFixture.Sklearn("split_train_test");
        (int[] train, int[] test) = Split.TrainTest(
            fixture.Config("count").GetInt32(), fixture.Config("test_fraction").GetDouble(), fixture.Config("seed").GetUInt64());
        Assert.Equal(fixture.Ints("train"), train);
        Assert.Equal(fixture.Ints("test"), test);
        Assert.Equal(5, test.Length);
    }

    [Theory]
    [InlineData("split_stratified")]
    [InlineData("split_stratified_odd_labels")]
    public void StratifiedTrainTest_matches_the_python_port(string name)
    {
        var fixture = ReferenceFixture.Sklearn(name);
        float[] labels = Array.ConvertAll(fixture.Tensor("labels"), v => (float)v);
        (int[] train, int[] test) = Split.StratifiedTrainTest(labels, fixture.Config("test_fraction").GetDouble(), fixture.Config("seed").GetUInt64());
        Assert.Equal(fixture.Ints("train"), train);
        Assert.Equal(fixture.Ints("test"), test);
    }

    [Fact]
    public void TrainTest_returns_rows_in_the_shuffled_order_as_scikit_learn_does()
    {
        // ShuffleSplit: the first k entries of the permutation are the test rows, the rest the train rows, unsorted.
        int[] permutation = Split.Shuffle(20, 9);
        (int[] train, int[] test) = Split.TrainTest(20, 0.25, 9);
        Assert.Equal(permutation[..5], test);
        Assert.Equal(permutation[5..], train);
    }

    [Fact]
    public void A_validation_split_after_a_stratified_split_of_sorted_data_sees_every_class()
    {
        // Iris as distributed: 150 rows sorted by class, 50 of each. Keras' validation_split (and FitOptions'
        // ValidationSplit) takes the last 20% of the training rows; in file order all 24 would be class 2.
        float[] labels = Enumerable.Range(0, 150).Select(row => (float)(row / 50)).ToArray();
        float[] features = Enumerable.Range(0, 150).Select(row => (float)row).ToArray();
        (Dataset train, Dataset test) = Split.StratifiedTrainTest(new Dataset(features, 1, labels, 1), 0.2, seed: 42);
        Assert.Equal(120, train.Count);
        Assert.Equal(30, test.Count);

        (_, Dataset validation) = train.SplitAt(96);
        for (int label = 0; label < 3; label++)
        {
            int count = validation.Targets.ToArray().Count(target => target == label);
            Assert.True(count >= 4, $"Class {label} has {count} of the 24 validation rows.");
        }

        Assert.NotEqual(train.Features.ToArray().Order(), train.Features.ToArray());
        Assert.NotEqual(test.Features.ToArray().Order(), test.Features.ToArray());
    }

    [Fact]
    public void The_two_zeros_are_one_class()
    {
        // Python's json module writes -0.0; check the fixture really exercises it.
        float[] labels = Array.ConvertAll(ReferenceFixture.Sklearn("split_stratified_odd_labels").Tensor("labels"), v => (float)v);
        Assert.Contains(labels, l => l == 0 && float.IsNegative(l));
    }

    [Fact]
    public void StratifiedTrainTest_keeps_each_class_share()
    {
        // 100, 60 and 40 rows of classes 0, 1, 2, interleaved.
        float[] labels = Enumerable.Range(0, 200).Select(i => (float)(i % 5 < 2 ? 0 : i % 5 < 4 ? (i < 150 ? 1 : 0) : 2)).ToArray();
        int[] perClass = [.. Enumerable.Range(0, 3).Select(c => labels.Count(l => l == c))];
        (int[] train, int[] test) = Split.StratifiedTrainTest(labels, 0.2, seed: 11);

        for (int c = 0; c < 3; c++)
        {
            int inTest = test.Count(row => labels[row] == c);
            int inTrain = train.Count(row => labels[row] == c);
            Assert.Equal((int)Math.Floor((0.2 * perClass[c]) + 0.5), inTest);
            Assert.Equal(perClass[c], inTest + inTrain);
            Assert.Equal(0.2, (double)inTest / perClass[c], 0.01);
        }

        Assert.Equal(Enumerable.Range(0, 200), train.Concat(test).Order());
        Assert.NotEqual(train.Order(), train); // shuffled, as scikit-learn's StratifiedShuffleSplit returns them
        Assert.NotEqual(test.Order(), test);
    }

    [Fact]
    public void Splits_repeat_for_a_seed_and_change_with_it()
    {
        float[] labels = Enumerable.Range(0, 90).Select(i => (float)(i % 3)).ToArray();
        (int[] train1, int[] test1) = Split.StratifiedTrainTest(labels, 0.3, seed: 5);
        (int[] train2, int[] test2) = Split.StratifiedTrainTest(labels, 0.3, seed: 5);
        (int[] train3, int[] test3) = Split.StratifiedTrainTest(labels, 0.3, seed: 6);
        Assert.Equal(train1, train2);
        Assert.Equal(test1, test2);
        Assert.NotEqual(test1, test3);
        Assert.Equal(test1.Length, test3.Length);

        Assert.Equal(Split.Shuffle(50, 1), Split.Shuffle(50, 1));
        Assert.NotEqual(Split.Shuffle(50, 1), Split.Shuffle(50, 2));
        Assert.Equal(Enumerable.Range(0, 50), Split.Shuffle(50, 1).Order());
        Assert.NotEqual(Split.TrainTest(50, 0.2, 1).Test, Split.TrainTest(50, 0.2, 2).Test);
    }

    [Fact]
    public void Dataset_overloads_split_rows_and_stratify_on_one_hot_targets()
    {
        float[] labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2];
        float[] features = [.. Enumerable.Range(0, 12).Select(i => (float)i)];
        var indexed = new Dataset(features, 1, labels, 1);
        var oneHot = new Dataset(features, 1, OneHot.Encode(labels, 3), 3);

        (Dataset train, Dataset test) = Split.StratifiedTrainTest(oneHot, 0.25, seed: 3);
        (int[] trainRows, int[] testRows) = Split.StratifiedTrainTest(labels, 0.25, seed: 3);
        Assert.Equal(trainRows.Select(r => (float)r), train.Features.ToArray());
        Assert.Equal(testRows.Select(r => (float)r), test.Features.ToArray());
        Assert.Equal(3, test.TargetWidth);
        Assert.Equal(test.Features.ToArray(), Split.StratifiedTrainTest(indexed, 0.25, seed: 3).Test.Features.ToArray());

        (Dataset plainTrain, Dataset plainTest) = Split.TrainTest(indexed, 0.25, seed: 3);
        Assert.Equal(9, plainTrain.Count);
        Assert.Equal(Split.TrainTest(12, 0.25, 3).Test.Select(r => (float)r), plainTest.Features.ToArray());
    }

    [Fact]
    public void Bad_fractions_and_labels_are_explained()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Split.TrainTest(10, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Split.TrainTest(10, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Split.StratifiedTrainTest([0f, 1f], double.NaN, 1));

        var empty = Assert.Throws<ArgumentException>(() => Split.TrainTest(10, 0.01, 1));
        Assert.Contains("Holding out 0.01 of 10 rows leaves the test set empty", empty.Message, StringComparison.Ordinal);
        empty = Assert.Throws<ArgumentException>(() => Split.StratifiedTrainTest([0f, 1f, 2f], 0.3, 1));
        Assert.Contains("with rounding per class leaves the test set empty", empty.Message, StringComparison.Ordinal);

        var nan = Assert.Throws<ArgumentException>(() => Split.StratifiedTrainTest([0f, 1f, float.NaN, 1f], 0.5, 1));
        Assert.Contains("Row 2 has label NaN", nan.Message, StringComparison.Ordinal);
    }
}
