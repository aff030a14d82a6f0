using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary>
/// <c>[BatchNorm]</c>: normalises each channel of an image, or each feature of a vector or a sequence, over the batch
/// (and the positions or steps), with running statistics as PyTorch's buffers.
/// </summary>
internal sealed class BatchNormLayer() : LayerRule(LayerKind.BatchNorm)
{
    public override bool ForwardTakesTraining(LayerModel layer) => true;

    // Any rank: a vector's features, a sequence's features over batch and steps (a 2-D shape is a sequence here, as
    // for LayerNorm), or an image's channels; so the default rule, which keeps the shape.

    public override void AddTensors(LayerModel layer, System.Action<string, int[]> add)
    {
        add("weight", [layer.NormalizedChannels.Channels]);
        add("bias", [layer.NormalizedChannels.Channels]);
    }

    /// <summary>The running statistics, <c>running_mean</c> then <c>running_var</c>, in the buffer array.</summary>
    public override EquatableArray<TensorModel> Buffers(LayerModel layer)
    {
        int channels = layer.NormalizedChannels.Channels;
        return new[]
        {
            new TensorModel("running_mean", new[] { channels }.ToEquatableArray(), layer.BufferOffset),
            new TensorModel("running_var", new[] { channels }.ToEquatableArray(), layer.BufferOffset + channels),
        }.ToEquatableArray();
    }

    public override bool PassesMask(LayerModel layer, bool inputMasked) => inputMasked && layer.OutputShape.Length == 2;

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e)
        => $"momentum: {DoubleLiteral(layer.Momentum)}, epsilon: {DoubleLiteral(layer.Epsilon)}";

    public override void AddConstructorExtras(LayerModel layer, List<string> arguments)
    {
        if (layer.Activation != Activation.Identity)
        {
            arguments.Add($"activation: global::TypedNets.Activation.{layer.Activation}");
        }
    }

    public override void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
    {
        buffers.Add(new("T[]", $"{field}Normalized", $"new T[maxBatch * {Invariant(layer.OutputSize)}]"));
        buffers.Add(new("T[]", $"{field}InverseDeviation", $"new T[{Invariant(layer.NormalizedChannels.Channels)}]"));
    }

    public override void EmitInitializer(NetworkGenerator.Emitter e, LayerModel layer)
    {
        e.Writer.WriteLine($"// {e.Module(layer)}: scale 1, shift 0, running mean 0, running variance 1, as PyTorch.");
        EmitUnitScaleAndZeroShift(e, layer);
        e.Writer.WriteLine($"View(Buffers, {e.B(layer.Buffers[0].Offset)}, {Invariant(layer.Buffers[0].Length)}).Clear();");
        e.Writer.WriteLine($"View(Buffers, {e.B(layer.Buffers[1].Offset)}, {Invariant(layer.Buffers[1].Length)}).Fill(T.One);");
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
        => EmitBatchNorm(e, layer, input, output);

    private static void EmitBatchNorm(NetworkGenerator.Emitter e, LayerModel layer, string input, string output)
    {
        string camel = e.FieldStem(layer);
        (int channels, int area) = layer.NormalizedChannels;
        string x = $"View({input}, 0, batch * {Invariant(layer.InputSize)})";
        string y = $"View({output}, 0, batch * {Invariant(layer.OutputSize)})";
        string normalized = $"View({camel}Normalized, 0, batch * {Invariant(layer.OutputSize)})";
        string statistics = $"View(Buffers, {e.B(layer.Buffers[0].Offset)}, {Invariant(channels)}), View(Buffers, {e.B(layer.Buffers[1].Offset)}, {Invariant(channels)})";

        // A sequence [steps, features] is batch * steps rows of features, PyTorch's BatchNorm1d on [N, C, L]: each
        // feature's statistics are over the batch and the steps (padded steps included; PyTorch has no mask).
        string rows = layer.Steps == 1 ? "batch" : $"batch * {Invariant(layer.Steps)}";
        string sizes = $"{rows}, {Invariant(channels)}, {Invariant(area)}";
        string over = layer.Steps == 1 ? $"{Invariant(channels)} channels of {Invariant(area)} positions" : $"{Invariant(channels)} features of {Invariant(layer.Steps)} steps";
        e.Writer.WriteLine($"// {e.Module(layer)}: BatchNorm over {over}; running statistics at {e.B(layer.BufferOffset)} in Buffers.");
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Forward({e.Head}int batch, bool training)"))
        {
            using (e.Writer.Block("if (training)"))
            {
                e.Writer.WriteLine($"{Kernels}.BatchNormKernel.TrainForward<T>(");
                using (e.Indent())
                {
                    e.Writer.WriteLine($"{x}, {e.ParameterView(layer.Tensors[0])}, {e.ParameterView(layer.Tensors[1])}, {statistics},");
                    e.Writer.WriteLine($"{y}, {normalized}, {camel}InverseDeviation, {sizes}, {DoubleLiteral(layer.Momentum)}, {DoubleLiteral(layer.Epsilon)});");
                }
            }

            using (e.Writer.Block("else"))
            {
                e.Writer.WriteLine($"{Kernels}.BatchNormKernel.InferenceForward<T>(");
                using (e.Indent())
                {
                    e.Writer.WriteLine($"{x}, {e.ParameterView(layer.Tensors[0])}, {e.ParameterView(layer.Tensors[1])}, {statistics},");
                    e.Writer.WriteLine($"{y}, {normalized}, {camel}InverseDeviation, {sizes}, {DoubleLiteral(layer.Epsilon)});");
                }
            }

            // [BatchNorm(Activation = ...)]: in place on the output, which its backward reads.
            string? activation = ActivationForward(layer.Activation, "y", rowLength: Invariant(layer.OutputSize));
            if (activation is not null)
            {
                e.Writer.WriteLine();
                e.Writer.WriteLine($"{Span}<T> y = {y};");
                e.Writer.WriteLine(activation);
            }
        }

        e.Writer.WriteLine();
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Backward({e.Head}int batch, {Span}<T> dy, {Span}<T> dx)"))
        {
            string? activationBackward = ActivationBackward(layer.Activation, y, "default", rowLength: Invariant(layer.OutputSize));
            if (activationBackward is not null)
            {
                e.Writer.WriteLine($"{Span}<T> dz = dy.Slice(0, batch * {Invariant(layer.OutputSize)});");
                e.Writer.WriteLine(activationBackward);
            }

            e.Writer.WriteLine($"{Kernels}.BatchNormKernel.Backward<T>(");
            using (e.Indent())
            {
                e.Writer.WriteLine($"dy.Slice(0, batch * {Invariant(layer.OutputSize)}), {e.ParameterView(layer.Tensors[0])}, {normalized}, {camel}InverseDeviation,");
                e.Writer.WriteLine($"{e.GradientView(layer.Tensors[0])}, {e.GradientView(layer.Tensors[1])}, dx.IsEmpty ? dx : dx.Slice(0, batch * {Invariant(layer.InputSize)}), {sizes}, Training);");
            }
        }
    }
}
