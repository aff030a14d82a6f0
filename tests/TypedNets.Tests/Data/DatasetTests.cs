using System;
using System.IO;
using TypedNets.Data;

namespace TypedNets.Tests.Data;

public sealed class DatasetTests
{
    [Fact]
    public void A_NaN_feature_is_refused_naming_row_column_and_the_remedy()
    {
        // Three rows of two features; row 1, feature 0 is missing. Unchecked, one such value turns the loss and then
        // every parameter into NaN on the first batch that holds it.
        float[] features = [1f, 2f, float.NaN, 4f, 5f, 6f];
        var error = Assert.Throws<ArgumentException>(() => new Dataset(features, 2, [0f, 1f, 0f], 1));
        Assert.Equal("features", error.ParamName);
        Assert.Contains("row 1, feature column 0 holds NaN", error.Message, StringComparison.Ordinal);
        Assert.Contains("SimpleImputer", error.Message, StringComparison.Ordinal);
        Assert.Contains("DropMissing", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    [InlineData(float.NaN, "NaN")]
    public void A_non_finite_regression_target_is_refused(float bad, string text)
    {
        var error = Assert.Throws<ArgumentException>(() => new Dataset([1f, 2f, 3f], 1, [0.5f, 1.5f, bad], 1));
        Assert.Equal("targets", error.ParamName);
        Assert.Contains($"row 2, target column 0 holds {text}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvTable_ToDataset_names_the_table_row_and_column_of_a_missing_value()
    {
        CsvTable table = Csv.Parse(new StringReader("x,y,price\n1,2,3.5\n4,NaN,5\n"));
        var error = Assert.Throws<ArgumentException>(() => table.ToDataset("price"));
        Assert.Contains("row 1, column 'y' (column 1) holds NaN", error.Message, StringComparison.Ordinal);
        Assert.Contains("DropMissing", error.Message, StringComparison.Ordinal);

        table = Csv.Parse(new StringReader("x,y,price\n1,2,3.5\n4,5,-Infinity\n"));
        error = Assert.Throws<ArgumentException>(() => table.ToDataset("price"));
        Assert.Contains("row 1, column 'price' (column 2) holds -Infinity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AllowNonFinite_keeps_them_for_cleaning_and_copies_keep_the_permission()
    {
        float[] features = [1f, float.NaN, 3f, 4f, 5f, float.PositiveInfinity];
        var data = new Dataset(features, 2, [0f, 1f, float.NaN], 1, allowNonFinite: true);
        Assert.True(data.AllowsNonFinite);
        Assert.True(data.Subset([2, 0]).AllowsNonFinite);
        Assert.True(data.SplitAt(1).Tail.AllowsNonFinite);
        Assert.True(Split.TrainTest(data, 0.5, seed: 1).Train.AllowsNonFinite);

        var clean = new Dataset([1f, 2f], 1, [0f, 1f], 1);
        Assert.False(clean.AllowsNonFinite);
        Assert.False(clean.Subset([1]).AllowsNonFinite);
        Assert.False(OneHot.Encode(clean, 2).AllowsNonFinite);
    }

    [Fact]
    public void DropMissing_keeps_the_finite_rows_in_order()
    {
        float[] features = [1f, float.NaN, 3f, 4f, 5f, float.NegativeInfinity, 7f, 8f, 9f, 10f];
        float[] targets = [0f, 1f, 2f, float.NaN, 4f];
        var data = new Dataset(features, 2, targets, 1, allowNonFinite: true);
        Dataset clean = data.DropMissing();
        Assert.Equal([3f, 4f, 9f, 10f], clean.Features.ToArray());
        Assert.Equal([1f, 4f], clean.Targets.ToArray());
        Assert.False(clean.AllowsNonFinite);

        var none = new Dataset([float.NaN], 1, [0f], 1, allowNonFinite: true);
        Assert.Throws<InvalidOperationException>(() => none.DropMissing());
    }

    [Fact]
    public void CsvTable_DropMissing_is_the_one_line_remedy()
    {
        CsvTable table = Csv.Parse(new StringReader("x,y,price\n1,2,3.5\n4,,5\n6,7,NA\n8,9,10\n"));
        CsvTable clean = table.DropMissing();
        Assert.Equal(2, clean.RowCount);
        Assert.Equal(table.ColumnNames, clean.ColumnNames);
        Assert.Equal([1f, 2f, 3.5f, 8f, 9f, 10f], clean.Values.ToArray());
        Dataset data = clean.ToDataset("price");
        Assert.Equal([3.5f, 10f], data.Targets.ToArray());

        // Kept for cleaning on the dataset, which only looks at the chosen columns.
        Dataset kept = table.ToDataset("price", ["x"], allowNonFinite: true);
        Assert.Equal(4, kept.Count);
        Assert.Equal([1f, 4f, 8f], kept.DropMissing().Features.ToArray());

        var error = Assert.Throws<ArgumentException>(() => table.ToDataset("price", ["x"]));
        Assert.Equal("labelColumn", error.ParamName);
        Assert.Contains("row 2, column 'price' (column 2) holds NaN", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => table.ToDataset("x"));
        Assert.Equal("featureColumns", error.ParamName);
        Assert.Contains("row 1, column 'y' (column 1) holds NaN", error.Message, StringComparison.Ordinal);
    }
}
