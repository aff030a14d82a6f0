using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TypedNets.Data;

namespace TypedNets.Tests.Data;

public sealed class CsvTests
{
    private static CsvTable Parse(string text, CsvOptions? options = null) => Csv.Parse(new StringReader(text), options);

    [Fact]
    public void Reads_a_header_and_rows_of_numbers()
    {
        CsvTable table = Parse("a,b,c\n1,2.5,-3\n4e2, 5 ,6\n");
        Assert.Equal(["a", "b", "c"], table.ColumnNames);
        Assert.Equal(2, table.RowCount);
        Assert.Equal(3, table.ColumnCount);
        Assert.Equal([1f, 2.5f, -3f, 400f, 5f, 6f], table.Values.ToArray());
        Assert.Equal([2.5f, 5f], table.Column("b"));
        Assert.Equal([400f, 5f, 6f], table.Row(1).ToArray());
        Assert.Equal(-3f, table[0, 2]);
    }

    [Fact]
    public void Without_a_header_columns_are_numbered_and_skipped_lines_are_dropped()
    {
        CsvTable table = Parse("569,30,malignant,benign\n1,2,0\n3,4,1\n", new CsvOptions { SkipRows = 1, HasHeader = false });
        Assert.Equal(["column0", "column1", "column2"], table.ColumnNames);
        Assert.Equal([0f, 1f], table.Column("column2"));
    }

    [Fact]
    public void Handles_quotes_crlf_blank_lines_and_special_values()
    {
        CsvTable table = Parse("\"sepal length\",\"say \"\"hi\"\"\",c\r\n\r\n\"1.5\",NaN,-Infinity\r\n   \r\n2,3,4\r\n");
        Assert.Equal(["sepal length", "say \"hi\"", "c"], table.ColumnNames);
        Assert.Equal(2, table.RowCount);
        Assert.Equal(1.5f, table[0, 0]);
        Assert.True(float.IsNaN(table[0, 1]));
        Assert.Equal(float.NegativeInfinity, table[0, 2]);
    }

    [Fact]
    public void Reads_other_separators_and_cultures()
    {
        CsvTable table = Parse("x;y\n1,5;-2,25\n", new CsvOptions { Separator = ';', Culture = CultureInfo.GetCultureInfo("de-DE") });
        Assert.Equal([1.5f, -2.25f], table.Values.ToArray());

        table = Parse("x\ty\n1.5\t2\n", new CsvOptions { Separator = '\t' });
        Assert.Equal([1.5f, 2f], table.Values.ToArray());
    }

    [Fact]
    public void A_separator_that_is_the_cultures_decimal_point_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Parse("x\n1\n", new CsvOptions { Culture = CultureInfo.GetCultureInfo("de-DE") }));
        Assert.Contains("also the decimal separator of culture 'de-DE'", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Parse("x\n1\n", new CsvOptions { Separator = '"' }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Parse("x\n1\n", new CsvOptions { SkipRows = -1 }));
    }

    [Fact]
    public void A_bad_cell_names_line_column_and_text()
    {
        // Line 1 skipped, line 2 header, line 3 blank, line 4 good, line 5 bad.
        var error = Assert.Throws<CsvFormatException>(() => Parse("meta\nid,area,label\n\n1,2,0\n2,abc,1\n", new CsvOptions { SkipRows = 1 }));
        Assert.Equal("Line 5, column 1 ('area'): 'abc' is not a number in the invariant culture; fix that cell, or set CsvOptions.Separator or Culture if the file uses another format, or add it to CsvOptions.MissingValues if it marks a missing value.", error.Message);
        Assert.Equal(5, error.LineNumber);
        Assert.Equal(1, error.ColumnIndex);
        Assert.Equal("area", error.ColumnName);
        Assert.Equal("abc", error.Text);
        Assert.IsAssignableFrom<FormatException>(error);
    }

    [Fact]
    public void Empty_cells_and_pandas_missing_markers_read_as_NaN()
    {
        // pandas' read_csv reads an empty cell, NA, NaN, null, N/A and the like as NaN (a missing value).
        CsvTable table = Parse("a,b,c\n1,,NA\n\"\",NaN, null \nN/A,nan,3\n");
        Assert.Equal(3, table.RowCount);
        Assert.Equal(1f, table[0, 0]);
        Assert.Equal(3f, table[2, 2]);
        foreach ((int row, int column) in new[] { (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1) })
        {
            Assert.True(float.IsNaN(table[row, column]), $"row {row}, column {column}: {table[row, column]}");
        }
    }

    [Theory]
    [InlineData("1e50")]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("3.5e38")]
    public void A_number_beyond_floats_range_names_line_column_and_text(string text)
    {
        var error = Assert.Throws<CsvFormatException>(() => Parse($"a,b\n1,2\n3,{text}\n"));
        Assert.StartsWith($"Line 3, column 1 ('b'): '{text}' is beyond float's range", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.LineNumber);
        Assert.Equal(1, error.ColumnIndex);
        Assert.Equal(text, error.Text);
    }

    [Fact]
    public void A_400_digit_number_is_beyond_floats_range()
    {
        string digits = "9" + new string('0', 399);
        var error = Assert.Throws<CsvFormatException>(() => Parse($"a\n{digits}\n"));
        Assert.StartsWith($"Line 2, column 0 ('a'): '{digits}' is beyond float's range", error.Message, StringComparison.Ordinal);
        Assert.Equal(digits, error.Text);
    }

    [Theory]
    [InlineData("1e-50")]
    [InlineData("-2.5E-47")]
    [InlineData("0.000000000000000000000000000000000000000000000001")]
    public void A_non_zero_number_that_underflows_to_zero_is_an_error(string text)
    {
        var error = Assert.Throws<CsvFormatException>(() => Parse($"a,b\n{text},1\n"));
        Assert.StartsWith($"Line 2, column 0 ('a'): '{text}' is too small for a float", error.Message, StringComparison.Ordinal);
        Assert.Equal(text, error.Text);
    }

    [Fact]
    public void Zeros_subnormals_and_literal_infinities_are_read()
    {
        CsvTable table = Parse("a,b,c,d\n0,-0.0,0e-999,1e-40\nInfinity,-Infinity,1,2\n");
        Assert.Equal(0f, table[0, 0]);
        Assert.True(float.IsNegative(table[0, 1]) && table[0, 1] == 0);
        Assert.Equal(0f, table[0, 2]);
        Assert.Equal(1e-40f, table[0, 3]);
        Assert.True(float.IsSubnormal(table[0, 3]));
        Assert.Equal(float.PositiveInfinity, table[1, 0]);
        Assert.Equal(float.NegativeInfinity, table[1, 1]);
    }

    [Fact]
    public void A_line_longer_than_the_default_bound_names_the_bound_and_how_to_raise_it()
    {
        // One cell of 1.1 million digits: a file without line breaks looks like this to the reader.
        string line = new('1', 1_100_000);
        var error = Assert.Throws<CsvFormatException>(() => Parse("a\n1\n" + line + "\n"));
        Assert.Contains("Line 3 is longer than 1048576 characters", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxLineLength", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.LineNumber);
    }

    [Fact]
    public void A_row_with_more_cells_than_the_default_bound_names_the_bound_and_how_to_raise_it()
    {
        string line = string.Join(",", Enumerable.Repeat("0", 100_001));
        var error = Assert.Throws<CsvFormatException>(() => Parse(line + "\n", new CsvOptions { HasHeader = false }));
        Assert.Contains("Line 1 has more than 100000 cells", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxCellsPerRow", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_a_file_allocates_at_most_four_times_its_size()
    {
        // The worst case for the documented bound: one-digit cells, two bytes of file each (the digit and a separator
        // or line break), so the 4-byte floats alone are twice the file.
        string path = Path.Combine(Path.GetTempPath(), "typednets-memory-" + Guid.NewGuid().ToString("N") + ".csv");
        var text = new StringBuilder();
        text.Append(string.Join(",", Enumerable.Range(0, 100).Select(c => "c" + c.ToString(CultureInfo.InvariantCulture)))).Append('\n');
        for (int row = 0; row < 20_000; row++)
        {
            for (int column = 0; column < 100; column++)
            {
                text.Append((char)('0' + ((row + column) % 10))).Append(column == 99 ? '\n' : ',');
            }
        }

        File.WriteAllText(path, text.ToString());
        try
        {
            long fileBytes = new FileInfo(path).Length;
            long before = GC.GetAllocatedBytesForCurrentThread();
            CsvTable table = Csv.Read(path);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(20_000, table.RowCount);
            Assert.Equal(7f, table[3, 4]);
            Assert.True(allocated <= (4 * fileBytes) + (1 << 20), $"Reading a {fileBytes}-byte file allocated {allocated} bytes ({(double)allocated / fileBytes:F1} times).");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_ragged_row_names_the_line_and_both_counts()
    {
        var error = Assert.Throws<CsvFormatException>(() => Parse("a,b,c\n1,2,3\n4,5\n"));
        Assert.StartsWith("Line 3 has 2 cells, but the header on line 1 has 3;", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.LineNumber);
        Assert.Equal(-1, error.ColumnIndex);

        error = Assert.Throws<CsvFormatException>(() => Parse("skip\n1,2\n\n3,4,5\n", new CsvOptions { SkipRows = 1, HasHeader = false }));
        Assert.StartsWith("Line 4 has 3 cells, but the first row, on line 2, has 2;", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_quote_or_a_missing_header_is_reported()
    {
        var error = Assert.Throws<CsvFormatException>(() => Parse("a,b\n1,\"2\n"));
        Assert.StartsWith("Line 2, column 1: the quote at character 3 is never closed", error.Message, StringComparison.Ordinal);
        Assert.Equal("\"2", error.Text);

        error = Assert.Throws<CsvFormatException>(() => Parse("a,b\n1, \"2\" x,3\n"));
        Assert.StartsWith("Line 2, column 1: text follows the closing quote at character 6: '\"2\" x,3'", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, error.ColumnIndex);

        error = Assert.Throws<CsvFormatException>(() => Parse("only line\n", new CsvOptions { SkipRows = 1 }));
        Assert.StartsWith("The CSV text ends after 1 lines, before the header row", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<CsvFormatException>(() => Parse("one\n", new CsvOptions { SkipRows = 3 }));
        Assert.StartsWith("The CSV text ends after 1 lines, before the 3 lines that SkipRows skips", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_names_its_path()
    {
        string path = Path.Combine(Path.GetTempPath(), "typednets-no-such-file-" + Guid.NewGuid().ToString("N") + ".csv");
        var error = Assert.Throws<FileNotFoundException>(() => Csv.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(path, error.FileName);
    }

    [Fact]
    public void Errors_in_a_file_name_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), "typednets-bad-" + Guid.NewGuid().ToString("N") + ".csv");
        File.WriteAllText(path, "a,b\n1,x\n");
        try
        {
            var error = Assert.Throws<CsvFormatException>(() => Csv.Read(path));
            Assert.StartsWith($"'{path}', line 2, column 1 ('b'): 'x' is not a number", error.Message, StringComparison.Ordinal);
            Assert.Equal(path, error.FilePath);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ToDataset_takes_the_label_and_the_chosen_features()
    {
        CsvTable table = Parse("f0,f1,label,f2\n1,2,0,3\n4,5,1,6\n");
        Dataset all = table.ToDataset("label");
        Assert.Equal(3, all.FeatureWidth);
        Assert.Equal(1, all.TargetWidth);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], all.Features.ToArray());
        Assert.Equal([0f, 1f], all.Targets.ToArray());

        Dataset chosen = table.ToDataset("label", ["f2", "f0"]);
        Assert.Equal([3f, 1f, 6f, 4f], chosen.Features.ToArray());
        Assert.Equal(chosen.Features.ToArray(), table.ToDataset(2, [3, 0]).Features.ToArray());
    }

    [Fact]
    public void ToDataset_and_Column_reject_bad_names()
    {
        CsvTable table = Parse("f0,f1,label,f1\n1,2,0,3\n");
        var missing = Assert.Throws<KeyNotFoundException>(() => table.Column("Label"));
        Assert.Contains("no column 'Label'; its columns are 'f0', 'f1', 'label', 'f1'", missing.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<KeyNotFoundException>(() => table.Column("f1"));
        Assert.Contains("Columns 1 and 3 are both named 'f1'", twice.Message, StringComparison.Ordinal);
        var leak = Assert.Throws<ArgumentException>(() => table.ToDataset("label", ["f0", "label"]));
        Assert.Contains("'label' (column 2) is also listed as a feature", leak.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => table.ToDataset(2, [0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.ToDataset(4));
    }

    [Fact]
    public void Reads_the_shape_of_sklearns_breast_cancer_file()
    {
        // The first 20 rows of sklearn's breast_cancer.csv with its metadata line "569,30,malignant,benign" (which
        // still says 569 rows). The full file is examples/Quickstart/Data/breast_cancer.csv.
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "data", "breast_cancer_head.csv");
        CsvTable table = Csv.Read(path, new CsvOptions { SkipRows = 1, HasHeader = false });

        Assert.Equal(20, table.RowCount);
        Assert.Equal(31, table.ColumnCount);
        Assert.Equal("column30", table.ColumnNames[30]);
        Assert.Equal([17.99f, 10.38f, 122.8f, 1001f], table.Row(0)[..4].ToArray());
        Assert.Equal(0.1189f, table[0, 29]);
        Assert.All(table.Column(30), label => Assert.True(label is 0f or 1f));
        Assert.Contains(1f, table.Column(30));

        Dataset data = table.ToDataset(labelColumn: 30);
        Assert.Equal(20, data.Count);
        Assert.Equal(30, data.FeatureWidth);
        Assert.Equal(table.Row(19)[..30].ToArray(), data.FeatureRow(19).ToArray());

        // Without SkipRows the metadata line reads as a header of 4 columns, and the first data row is ragged.
        var error = Assert.Throws<CsvFormatException>(() => Csv.Read(path));
        Assert.StartsWith($"'{path}', line 2 has 31 cells, but the header on line 1 has 4;", error.Message, StringComparison.Ordinal);
    }

    // Hands out at most a few characters per Read, so that cells, quotes and \r\n pairs straddle every refill.
    private sealed class TricklingReader(string text, int step) : TextReader
    {
        private int _position;

        public override int Read(char[] buffer, int index, int count)
        {
            int take = Math.Min(Math.Min(count, step), text.Length - _position);
            text.CopyTo(_position, buffer, index, take);
            _position += take;
            return take;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(100_000)]
    public void Cells_split_across_reads_and_buffer_refills_read_the_same(int step)
    {
        // Long enough to refill the 64 Ki-character buffer many times, with every kind of cell and line break.
        var text = new StringBuilder("\"first\", second ,\"say \"\"hi\"\"\",d\r\n");
        var expected = new List<float>();
        for (int row = 0; row < 4000; row++)
        {
            float a = row * 0.25f;
            float b = -row;
            text.Append(CultureInfo.InvariantCulture, $"{a:R}, \"{b:R}\" ,{row % 7},");
            text.Append(row % 5 == 0 ? "" : "1e-3");
            text.Append((row % 3) switch { 0 => "\n", 1 => "\r\n", _ => "\r" });
            if (row % 11 == 0)
            {
                text.Append("  \t \n");
            }

            expected.AddRange([a, b, row % 7, row % 5 == 0 ? float.NaN : 1e-3f]);
        }

        CsvTable table = Csv.Parse(new TricklingReader(text.ToString(), step));
        Assert.Equal(["first", "second", "say \"hi\"", "d"], table.ColumnNames);
        Assert.Equal(4000, table.RowCount);
        Assert.Equal(expected, table.Values.ToArray());
    }

    [Fact]
    public void The_bounds_can_be_raised()
    {
        string line = new string('1', 30) + "," + new string('2', 30);
        var error = Assert.Throws<CsvFormatException>(() => Parse("a,b\n" + line + "\n", new CsvOptions { MaxLineLength = 60 }));
        Assert.StartsWith("Line 2 is longer than 60 characters, the bound set by CsvOptions.MaxLineLength;", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, Parse("a,b\n" + line + "\n", new CsvOptions { MaxLineLength = 61 }).ColumnCount);

        error = Assert.Throws<CsvFormatException>(() => Parse("a,b,c\n1,2,3\n", new CsvOptions { MaxCellsPerRow = 2 }));
        Assert.StartsWith("Line 1 has more than 2 cells, the bound set by CsvOptions.MaxCellsPerRow;", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, Parse("a,b,c\n1,2,3\n", new CsvOptions { MaxCellsPerRow = 3 }).ColumnCount);

        Assert.Equal("MaxLineLength", Assert.Throws<ArgumentOutOfRangeException>(() => Parse("a\n1\n", new CsvOptions { MaxLineLength = 0 })).ParamName);
        Assert.Equal("MaxCellsPerRow", Assert.Throws<ArgumentOutOfRangeException>(() => Parse("a\n1\n", new CsvOptions { MaxCellsPerRow = -1 })).ParamName);
    }

    [Fact]
    public void MissingValues_can_add_a_sentinel_or_make_empty_cells_errors()
    {
        CsvTable table = Parse("a,b\n-999,2\n3,-999.5\n", new CsvOptions { MissingValues = ["-999"] });
        Assert.True(float.IsNaN(table[0, 0]));
        Assert.Equal(-999.5f, table[1, 1]);

        var error = Assert.Throws<CsvFormatException>(() => Parse("a,b\n1,\n", new CsvOptions { MissingValues = [] }));
        Assert.StartsWith("Line 2, column 1 ('b'): the cell is empty, and CsvOptions.MissingValues does not list \"\"", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<CsvFormatException>(() => Parse("a\nNA\n", new CsvOptions { MissingValues = [] }));
        Assert.StartsWith("Line 2, column 0 ('a'): 'NA' is not a number", error.Message, StringComparison.Ordinal);

        Assert.Equal("MissingValues", Assert.Throws<ArgumentException>(() => Parse("a\n1\n", new CsvOptions { MissingValues = [" NA"] })).ParamName);
    }
}
