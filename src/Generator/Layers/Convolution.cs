using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary>The writer of a convolution's forward and backward methods, which Conv2D and Conv1D share.</summary>
internal static class Convolution
{
    /// <summary>A convolution keeps its pre-activation for a GELU, whose backward reads it.</summary>
    public static bool KeepsPreActivation(LayerModel layer) => layer.IsGelu;

    /// <summary>
    /// The forward and backward methods of a Conv2D or Conv1D: the kernel's product with bias, the activation (on
    /// the pre-activation where the layer keeps one), and the backward pass through both.
    /// </summary>
    public static void EmitMethods(
        NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string kernel, string description, string geometry, string forwardScratch, string backwardScratch)
    {
        string camel = e.FieldStem(layer);
        TensorModel weight = layer.Tensors[0];
        TensorModel? bias = layer.HasBias ? layer.Tensors[1] : null;
        string biasView = bias is null ? $"{ReadOnlySpan}<T>.Empty" : e.ParameterView(bias);
        string biasGradientView = bias is null ? $"{Span}<T>.Empty" : e.GradientView(bias);
        string x = $"View({input}, 0, batch * {Invariant(layer.InputSize)})";
        string n = Invariant(layer.OutputSize);
        bool keepsPreActivation = layer.KeepsPreActivation(isOutput);
        string target = keepsPreActivation ? $"View({camel}PreActivation, 0, batch * {n})" : "y";
        string filters = Invariant(layer.Units);

        e.Writer.WriteLine($"// {e.Module(layer)}: {description}{(layer.Dilation == 1 ? string.Empty : $", dilation {Invariant(layer.Dilation)}")}{(layer.Groups == 1 ? string.Empty : $", groups {Invariant(layer.Groups)}")}, {layer.Activation};");
        e.Writer.WriteLine(bias is null
            ? $"// weight {ShapeMath.Format(weight.Shape)} at {e.P(weight.Offset)}, no bias."
            : $"// weight {ShapeMath.Format(weight.Shape)} at {e.P(weight.Offset)}, bias [{filters}] at {e.P(bias.Offset)}.");
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Forward({e.Head}int batch)"))
        {
            e.Writer.WriteLine($"{Span}<T> y = View({output}, 0, batch * {n});");
            // A Conv2D runs on its int8 weight in a quantised network (Int8At gives null otherwise); a Conv1D stays float.
            string int8 = kernel == "Conv2DKernel" ? $", Int8At({e.P(weight.Offset)})" : string.Empty;

            // A Conv2D applies its ReLU as it moves the product's rows to the output, with the bias, not in a pass of its own.
            bool fusedReLU = kernel == "Conv2DKernel" && layer.Activation == Activation.ReLU && !keepsPreActivation;
            e.Writer.WriteLine($"{Kernels}.{kernel}.Forward<T>({x}, {e.ParameterView(weight)}, {biasView}, {target}, {forwardScratch}, batch, {filters}, {geometry}{int8}{(fusedReLU ? ", relu: true" : string.Empty)});");
            string? activation = fusedReLU ? null : ActivationForward(layer.Activation, target, rowLength: n);
            if (activation is not null)
            {
                e.Writer.WriteLine(activation);
            }
        }

        e.Writer.WriteLine();
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Backward({e.Head}int batch, {Span}<T> dy, {Span}<T> dx)"))
        {
            e.Writer.WriteLine($"{Span}<T> dz = dy.Slice(0, batch * {n});");
            string? activationBackward = ActivationBackward(layer.Activation, $"View({output}, 0, batch * {n})", target, rowLength: n);
            if (activationBackward is not null)
            {
                e.Writer.WriteLine(activationBackward);
            }

            e.Writer.WriteLine($"{Kernels}.{kernel}.Backward<T>(");
            using (e.Indent())
            {
                e.Writer.WriteLine($"{x}, {e.ParameterView(weight)}, dz, {e.GradientView(weight)}, {biasGradientView},");
                e.Writer.WriteLine($"dx.IsEmpty ? dx : dx.Slice(0, batch * {Invariant(layer.InputSize)}), {backwardScratch}, batch, {filters}, {geometry});");
            }
        }
    }
}
