using System.Globalization;
using System.Linq;
using System.Text.Json;
using System;
using TypedNets.Metrics;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Metrics;

public sealed class ClassificationMetricsTests
{
    public static TheoryData<string> Fixtures => new()
    {
        "classification_multiclass",
        "classification_binary",
        "classification_binary_positive_0",
        "classification_zero_division",
        "classification_absent_class",
        "classification_random_5",
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Confusion_matrix_matches_sklearn(string name)
    {
        var fixture = ReferenceFixture.Sklearn(name);
        int classes = fixture.Config("classes").GetInt32();
        ConfusionMatrix matrix = ConfusionMatrix.Compute(fixture.Ints("true"), fixture.Ints("predicted"), classes);

        int[] expected = fixture.Ints("confusion_matrix");
        Assert.Equal(classes, matrix.Classes);
        for (int t = 0; t < classes; t++)
        {
            for (int p = 0; p < classes; p++)
            {
                Assert.True(expected[(t * classes) + p] == matrix[t, p], $"{name}: count[true {t}, predicted {p}]");
            }
        }

        Assert.Equal(fixture.Ints("true").Length, matrix.Total);
        Assert.Equal(fixture.Ints("support"), Enumerable.Range(0, classes).Select(matrix.Support).ToArray());
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Scores_match_sklearn(string name)
    {
        var fixture = ReferenceFixture.Sklearn(name);
        int classes = fixture.Config("classes").GetInt32();
        int positive = fixture.Config("positive_class").GetInt32();
        var metrics = ClassificationMetrics.Compute(fixture.Ints("true"), fixture.Ints("predicted"), classes, positive);

        Expect.Close(fixture.Scalar("accuracy"), metrics.Accuracy, $"{name} accuracy");
        Expect.Close(fixture.Tensor("precision"), metrics.PerClass.Select(s => s.Precision).ToArray(), $"{name} precision");
        Expect.Close(fixture.Tensor("recall"), metrics.PerClass.Select(s => s.Recall).ToArray(), $"{name} recall");
        Expect.Close(fixture.Tensor("f1"), metrics.PerClass.Select(s => s.F1).ToArray(), $"{name} f1");
        Assert.Equal(fixture.Ints("support"), metrics.PerClass.Select(s => s.Support).ToArray());
        Assert.Equal(Enumerable.Range(0, classes), metrics.PerClass.Select(s => s.Class));

        Expect.Close(fixture.Scalar("macro_precision"), metrics.MacroPrecision, $"{name} macro precision");
        Expect.Close(fixture.Scalar("macro_recall"), metrics.MacroRecall, $"{name} macro recall");
        Expect.Close(fixture.Scalar("macro_f1"), metrics.MacroF1, $"{name} macro F1");
        Expect.Close(fixture.Scalar("weighted_precision"), metrics.WeightedPrecision, $"{name} weighted precision");
        Expect.Close(fixture.Scalar("weighted_recall"), metrics.WeightedRecall, $"{name} weighted recall");
        Expect.Close(fixture.Scalar("weighted_f1"), metrics.WeightedF1, $"{name} weighted F1");

        Assert.Equal(positive, metrics.PositiveClass);
        Expect.Close(fixture.Scalar("binary_precision"), metrics.Precision, $"{name} binary precision");
        Expect.Close(fixture.Scalar("binary_recall"), metrics.Recall, $"{name} binary recall");
        Expect.Close(fixture.Scalar("binary_f1"), metrics.F1, $"{name} binary F1");

        Assert.Equal(fixture.Scalar("undefined_metric_warning") == 1.0, metrics.HasUndefinedMetrics);
        Assert.Equal(metrics.HasUndefinedMetrics, metrics.Warnings.Count > 0);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Classification_report_is_sklearns_text(string name)
    {
        var fixture = ReferenceFixture.Sklearn(name);
        if (!fixture.HasString("classification_report"))
        {
            return; // sklearn titles the micro row differently when a class is absent; see the fixture's description.
        }

        int classes = fixture.Config("classes").GetInt32();
        int positive = fixture.Config("positive_class").GetInt32();
        var metrics = ClassificationMetrics.Compute(fixture.Ints("true"), fixture.Ints("predicted"), classes, positive);

        Assert.Equal(fixture.String("classification_report"), metrics.ClassificationReport());
        Assert.Equal(fixture.String("classification_report_digits_4"), metrics.ClassificationReport(digits: 4));
        if (fixture.HasConfig("target_names"))
        {
            string[] names = fixture.Config("target_names").EnumerateArray().Select(e => e.GetString()!).ToArray();
            Assert.Equal(fixture.String("classification_report_named"), metrics.ClassificationReport(classNames: names));
        }
    }

    [Fact]
    public void Zero_division_sets_zero_and_names_the_classes_in_warnings()
    {
        var fixture = ReferenceFixture.Sklearn("classification_zero_division");
        var metrics = ClassificationMetrics.Compute(fixture.Ints("true"), fixture.Ints("predicted"), 4, positiveClass: 3);

        Assert.True(metrics.HasUndefinedMetrics);
        Assert.Equal(2, metrics.Warnings.Count);
        Assert.Contains(metrics.Warnings, w => w.StartsWith("Recall of class 2 is undefined", StringComparison.Ordinal));
        Assert.Contains(metrics.Warnings, w => w.StartsWith("Precision of class 3 is undefined", StringComparison.Ordinal));
        Assert.Equal(0.0, metrics.PerClass[3].Precision);
        Assert.Equal(0.0, metrics.PerClass[2].Recall);
        Assert.Equal(0.0, metrics.PerClass[2].F1);
    }

    [Fact]
    public void Perfect_predictions_have_no_warnings()
    {
        int[] labels = [0, 1, 2, 1, 0];
        var metrics = ClassificationMetrics.Compute(labels, labels, 3);
        Assert.Equal(1.0, metrics.Accuracy);
        Assert.Equal(1.0, metrics.MacroF1);
        Assert.False(metrics.HasUndefinedMetrics);
        Assert.Empty(metrics.Warnings);
    }

    [Fact]
    public void ToString_has_the_report_the_matrix_and_the_warnings_in_invariant_culture()
    {
        CultureInfo saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            var fixture = ReferenceFixture.Sklearn("classification_zero_division");
            var metrics = ClassificationMetrics.Compute(fixture.Ints("true"), fixture.Ints("predicted"), 4);
            string text = metrics.ToString();

            Assert.StartsWith(fixture.String("classification_report"), text, StringComparison.Ordinal);
            Assert.Contains("0.67", text, StringComparison.Ordinal);
            Assert.DoesNotContain("0,67", text, StringComparison.Ordinal);
            string matrix =
                "Confusion matrix (rows: true class, columns: predicted class)\n\n" +
                "   0  1  2  3\n" +
                "0  2  1  0  0\n" +
                "1  0  2  1  0\n" +
                "2  0  0  0  0\n" +
                "3  1  1  0  0\n";
            Assert.Contains(matrix, text, StringComparison.Ordinal);
            Assert.Equal(matrix, metrics.ConfusionMatrix.ToString());
            Assert.EndsWith(
                "\nWarnings:\n" +
                "  Recall of class 2 is undefined (no sample is truly of class 2) and set to 0.\n" +
                "  Precision of class 3 is undefined (no sample was predicted as 3) and set to 0.\n",
                text,
                StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void Confusion_matrix_with_names_aligns_columns()
    {
        var matrix = ConfusionMatrix.Compute([0, 0, 1, 1, 1], [0, 1, 1, 1, 1], 2);
        Assert.Equal(
            "Confusion matrix (rows: true class, columns: predicted class)\n\n" +
            "           malignant     benign\n" +
            "malignant          1          1\n" +
            "   benign          0          3\n",
            matrix.ToString(["malignant", "benign"]));
        Assert.Equal(new[,] { { 1, 1 }, { 0, 3 } }, matrix.ToArray());
        Assert.Equal(4, matrix.Correct);
    }

    [Fact]
    public void Labels_outside_the_classes_are_named_with_their_sample()
    {
        var error = Assert.Throws<ArgumentException>(() => ConfusionMatrix.Compute([0, 1, 2], [0, 3, 1], 3));
        Assert.Contains("Sample 1 has predicted label 3, outside the classes 0 to 2", error.Message, StringComparison.Ordinal);
        Assert.Equal("predicted", error.ParamName);

        error = Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0, -1], [0, 0], 2));
        Assert.Contains("Sample 1 has true label -1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mismatched_or_empty_inputs_and_bad_positive_class_throw()
    {
        var error = Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0, 1, 1], [0, 1], 2));
        Assert.Contains("3 true labels but 2 predictions", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([], [], 2));
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Compute([0, 1], [0, 1], 2, positiveClass: 2));
        Assert.Contains("0 to 1", range.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0, 1], [0, 1], 2).ClassificationReport(classNames: ["only one"]));
    }
}
