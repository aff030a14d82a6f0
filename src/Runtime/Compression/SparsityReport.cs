using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TypedNets.Compression;

/// <summary>The zeros in one pruned tensor.</summary>
/// <param name="Name">The tensor's <c>state_dict</c> name.</param>
/// <param name="Size">The number of weights.</param>
/// <param name="Zeros">The number that are zero.</param>
public sealed record TensorSparsity(string Name, int Size, int Zeros)
{
    /// <summary>The fraction of the weights that are zero.</summary>
    public double Sparsity => (double)Zeros / Size;
}

/// <summary>The zeros in each tensor a <see cref="MagnitudePruner"/> prunes and in all of them, from <see cref="MagnitudePruner.Report"/>.</summary>
public sealed class SparsityReport
{
    internal SparsityReport(IReadOnlyList<TensorSparsity> tensors)
    {
        Tensors = tensors;
        Size = tensors.Sum(t => t.Size);
        Zeros = tensors.Sum(t => t.Zeros);
    }

    /// <summary>Each pruned tensor.</summary>
    public IReadOnlyList<TensorSparsity> Tensors { get; }

    /// <summary>The weights in all the pruned tensors.</summary>
    public int Size { get; }

    /// <summary>The zeros in all the pruned tensors.</summary>
    public int Zeros { get; }

    /// <summary>The fraction of all the pruned tensors' weights that are zero.</summary>
    public double Sparsity => (double)Zeros / Size;

    /// <summary>One line per tensor and a total: name, zeros of size, sparsity in percent.</summary>
    /// <returns>The table.</returns>
    public override string ToString()
    {
        int width = Tensors.Max(t => t.Name.Length);
        var text = new StringBuilder();
        foreach (TensorSparsity tensor in Tensors)
        {
            Line(tensor.Name, tensor.Zeros, tensor.Size, tensor.Sparsity);
        }

        Line("total", Zeros, Size, Sparsity);
        return text.ToString();

        void Line(string name, int zeros, int size, double sparsity)
            => text.AppendLine(CultureInfo.InvariantCulture, $"{name.PadRight(width)}  {zeros,10} / {size,-10}  {sparsity * 100,6:F2}%");
    }
}
