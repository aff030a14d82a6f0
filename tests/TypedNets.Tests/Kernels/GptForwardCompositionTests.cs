using System;
using TypedNets.Kernels;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// The runtime's kernels put together by hand in nanoGPT's order (embeddings, pre-norm attention and MLP blocks with
/// residual adds, a final norm, the output projection tied to the token embedding) reproduce a whole GPT's logits and
/// loss as PyTorch computes them (<c>gpt_tiny</c>, from <c>reference/pytorch/make_gpt_fixtures.py</c>), in double: the
/// attention's fused-projection layout, the exact GELU, the layer norm and the ignore index agree with nanoGPT's.
/// </summary>
public sealed class GptForwardCompositionTests
{
    [Fact]
    public void Kernels_in_nanogpt_order_give_pytorchs_logits_and_loss()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("gpt_tiny");
        int vocabulary = (int)fixture.ConfigNumber("vocabulary"), layers = (int)fixture.ConfigNumber("layers");
        int heads = (int)fixture.ConfigNumber("heads"), width = (int)fixture.ConfigNumber("width");
        int batch = (int)fixture.ConfigNumber("batch"), steps = (int)fixture.ConfigNumber("steps");
        int rows = batch * steps;
        double[] ids = fixture.Tensor("input");
        double[] wte = fixture.Tensor("transformer.wte.weight");
        double[] wpe = fixture.Tensor("transformer.wpe.weight");

        // x = wte[ids] + wpe[positions]
        double[] x = new double[rows * width];
        for (int row = 0; row < rows; row++)
        {
            for (int c = 0; c < width; c++)
            {
                x[(row * width) + c] = wte[((int)ids[row] * width) + c] + wpe[((row % steps) * width) + c];
            }
        }

        double[] normed = new double[rows * width];
        for (int layer = 0; layer < layers; layer++)
        {
            string block = $"transformer.h.{layer}.";

            // x = x + c_proj(attention(c_attn(ln_1(x))))
            LayerNorm(fixture, block + "ln_1", x, normed, rows, width);
            double[] qkv = Linear(fixture, block + "attn.c_attn", normed, rows, width, 3 * width);
            double[] attended = new double[rows * width];
            AttentionKernel.Forward<double>(qkv, attended, new double[batch * heads * steps], new double[AttentionKernel.ScratchLength(steps, width, heads)], batch, steps, width, heads, causal: true);
            Add(x, Linear(fixture, block + "attn.c_proj", attended, rows, width, width));

            // x = x + c_proj(gelu(c_fc(ln_2(x))))
            LayerNorm(fixture, block + "ln_2", x, normed, rows, width);
            double[] hidden = Linear(fixture, block + "mlp.c_fc", normed, rows, width, 4 * width);
            Activations.Gelu<double>(hidden, hidden);
            Add(x, Linear(fixture, block + "mlp.c_proj", hidden, rows, 4 * width, width));
        }

        LayerNorm(fixture, "transformer.ln_f", x, normed, rows, width);
        double[] logits = new double[rows * vocabulary];
        Gemm.MultiplyTransposedB<double>(normed, wte, logits, rows, vocabulary, width, accumulate: false);

        double[] expected = fixture.Tensor("logits");
        for (int i = 0; i < logits.Length; i++)
        {
            Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-12 * (1 + Math.Abs(expected[i])), $"logits[{i}] = {logits[i]:R}, PyTorch {expected[i]:R}");
        }

        double loss = LossKernel.CrossEntropyFromLogits<double>(logits, fixture.Tensor("target"), new double[logits.Length], vocabulary, ignoreIndex: -1);
        Assert.Equal(fixture.Scalar("loss"), loss, 1e-12);
    }

    private static void LayerNorm(ReferenceFixture fixture, string module, double[] x, double[] y, int rows, int width)
        => LayerNormKernel.Forward<double>(x, fixture.Tensor(module + ".weight"), fixture.Tensor(module + ".bias"), y, new double[rows * width], new double[rows], rows, width, 1e-5);

    /// <summary>PyTorch's nn.Linear: y = x Wᵀ + b, W stored [outputs, inputs].</summary>
    private static double[] Linear(ReferenceFixture fixture, string module, double[] x, int rows, int inputs, int outputs)
    {
        double[] y = new double[rows * outputs];
        Gemm.MultiplyTransposedB<double>(x, fixture.Tensor(module + ".weight"), y, rows, outputs, inputs, accumulate: false);
        double[] bias = fixture.Tensor(module + ".bias");
        for (int row = 0; row < rows; row++)
        {
            for (int c = 0; c < outputs; c++)
            {
                y[(row * outputs) + c] += bias[c];
            }
        }

        return y;
    }

    private static void Add(double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            x[i] += y[i];
        }
    }
}
