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
}
