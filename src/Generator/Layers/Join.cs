using System.Linq;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator.Layers;

/// <summary>
/// A layer that reads two or more earlier layers (Add, Concatenate). Its rows are a sample, or a step of a sequence;
/// backward, it hands each input its share of the output gradient, writing it where it is the input's first reader
/// and adding it where another reader wrote it already (the backward plan decides which).
/// </summary>
internal abstract class JoinLayer(LayerKind kind) : LayerRule(kind)
{
    public override bool IsJoin => true;

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e) => e.InputNames(layer);

    /// <summary>Whether BackPropagate first calls the join's own backward method (an Add's activation) on the output gradient.</summary>
    public virtual bool HasBackwardMethod(LayerModel layer) => false;

    /// <summary>
    /// The statement that hands input <paramref name="width"/> columns at <paramref name="offset"/> of the output
    /// gradient <paramref name="dy"/> to <paramref name="target"/>, written or added into it.
    /// </summary>
    public abstract string GradientWrite(string dy, string outputLength, string target, bool accumulate, string rows, int width, int offset, int outputWidth);

    /// <summary>A join's rows: a sample, or a step of a sequence; and the values of one row of <paramref name="shape"/>.</summary>
    public static (int RowsPerSample, int Width) JoinRows(EquatableArray<int> shape)
        => shape.Length == 2 ? (shape[0], shape[1]) : (1, ShapeMath.Size(shape));

    /// <summary>The inputs as the comment above the forward method names them.</summary>
    protected static string InputLabels(NetworkGenerator.Emitter e, LayerModel layer)
        => string.Join(" and ", layer.Inputs.Select(e.InputLabel));
}
