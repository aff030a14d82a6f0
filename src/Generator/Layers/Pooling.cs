using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary>The methods every pooling layer writes: one kernel call forward, one backward, no gradient to an input that needs none.</summary>
internal static class Pooling
{
    public static void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string description, string forward, string backward)
    {
        e.Writer.WriteLine($"// {e.Module(layer)}: {description}");
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Forward({e.Head}int batch)"))
        {
            e.Writer.WriteLine(forward);
        }

        e.Writer.WriteLine();
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Backward({e.Head}int batch, {Span}<T> dy, {Span}<T> dx)"))
        {
            using (e.Writer.Block("if (dx.IsEmpty)"))
            {
                e.Writer.WriteLine("return;");
            }

            e.Writer.WriteLine();
            e.Writer.WriteLine(backward);
        }
    }
}
