using System;
using System.Linq;
using TypedNets.Compression;
using TypedNets.Data;
using TypedNets.Kernels;
using TypedNets.Optimizers;
using TypedNets.Training;
using TypedNets.Tests.Networks;
using Xunit;

namespace TypedNets.Tests.Compression;

/// <summary>
/// <c>network.Quantize()</c> against a reference written out here in double from the documented rules (weights
/// symmetric per output channel, each product's input asymmetric per row or with a calibrated scale, the layer's own
/// float math around the products): Dense, Conv2D (padding and stride), LSTM and GRU; static calibration's scales;
/// what is and is not quantised; that the float network is untouched and the quantised one cannot be trained.
/// </summary>
public sealed class QuantizationTests
{
    // The kernels compute in float what the reference computes in double from the same codes.
    private const double Tolerance = 2e-5;

    [Fact]
    public void A_dynamically_quantised_mlp_computes_the_int8_products_of_its_reference()
    {
        var net = new QuantMlp(seed: 4);
        QuantMlp quantized = net.Quantize();
        float[] input = Random(3 * QuantMlp.InputSize, seed: 1);
        float[] output = Predict(quantized, input);

        double[] a = input.Select(v => (double)v).ToArray();
        a = Dense(a, 3, net.Hidden, inputQuantization: null, Math.Max, relu: true);
        a = Dense(a, 3, net.Second, inputQuantization: null, Math.Max, relu: false).Select(Math.Tanh).ToArray();
        a = Softmax(Dense(a, 3, net.Output, inputQuantization: null, Math.Max, relu: false), 5);
        AssertClose(a, output, Tolerance);

        // The float network gives other numbers, so the comparison above is of the int8 path.
        Assert.True(MaxDifference(Predict(net, input), output) > 1e-4);
    }

    [Fact]
    public void A_statically_quantised_mlp_calibrates_each_input_range_and_computes_with_it()
    {
        var net = new QuantMlp(seed: 5);
        float[] calibration = Random(20 * QuantMlp.InputSize, seed: 2);
        QuantMlp quantized = net.Quantize(calibration);
        Int8Weights weights = quantized.Int8Weights!;
        Assert.True(weights.IsStatic);

        // The first weight's input is the samples themselves: its range, widened to hold 0, over 255 steps.
        float min = Math.Min(0f, calibration.Min());
        float max = Math.Max(0f, calibration.Max());
        Int8Weight first = weights.Find(net.Hidden.Weight.Offset)!;
        Assert.Equal((max - min) / 255f, first.InputScale);
        Assert.Equal((int)MathF.Round(-min / first.InputScale), first.InputZeroPoint);

        // The second's is the hidden layer's ReLU output over the same samples, as the float network computes it.
        float[] hidden = new float[20 * 24];
        for (int s = 0; s < 20; s++)
        {
            double[] row = Dense(calibration.AsSpan(s * 40, 40).ToArray().Select(v => (double)v).ToArray(), 1, net.Hidden, null, Math.Max, relu: true, quantize: false);
            for (int j = 0; j < 24; j++)
            {
                hidden[(s * 24) + j] = (float)row[j];
            }
        }

        Int8Weight second = weights.Find(net.Second.Weight.Offset)!;
        Assert.Equal(hidden.Max() / 255f, second.InputScale, 1e-6f);
        Assert.Equal(0, second.InputZeroPoint);

        float[] input = Random(2 * QuantMlp.InputSize, seed: 3);
        double[] a = input.Select(v => (double)v).ToArray();
        a = Dense(a, 2, net.Hidden, (first.InputScale, first.InputZeroPoint), Math.Max, relu: true);
        a = Dense(a, 2, net.Second, (second.InputScale, second.InputZeroPoint), Math.Max, relu: false).Select(Math.Tanh).ToArray();
        Int8Weight third = weights.Find(net.Output.Weight.Offset)!;
        a = Softmax(Dense(a, 2, net.Output, (third.InputScale, third.InputZeroPoint), Math.Max, relu: false), 5);
        AssertClose(a, Predict(quantized, input), Tolerance);
    }

    [Fact]
    public void A_quantised_convolution_quantises_each_patch_and_keeps_padding_and_stride()
    {
        var net = new QuantConvNet(seed: 6);
        QuantConvNet quantized = net.Quantize();
        const int batch = 2;
        float[] input = Random(batch * QuantConvNet.InputSize, seed: 4);
        float[] output = Predict(quantized, input);

        double[] first = Convolution(input.Select(v => (double)v).ToArray(), batch, 3, 8, 7, net.First, kernel: 3, stride: 1, padding: 1)
            .Select(v => Math.Max(v, 0)).ToArray();
        double[] second = Convolution(first, batch, 5, 8, 7, net.Second, kernel: 3, stride: 2, padding: 0);
        AssertClose(second, output, Tolerance);
        Assert.True(MaxDifference(Predict(net, input), output) > 1e-4);
    }

    [Fact]
    public void A_quantised_lstm_quantises_each_steps_input_and_state()
    {
        var net = new QuantLstmNet(seed: 7);
        QuantLstmNet quantized = net.Quantize();
        const int batch = 3;
        float[] input = Random(batch * QuantLstmNet.InputSize, seed: 5);
        double[] expected = Recurrent(input, batch, steps: 5, features: 4, units: 6, net.Encoder, lstm: true, returnSequences: false);
        AssertClose(expected, Predict(quantized, input), Tolerance);
    }

    [Fact]
    public void A_quantised_gru_quantises_each_steps_input_and_state()
    {
        var net = new QuantGruNet(seed: 8);
        QuantGruNet quantized = net.Quantize();
        const int batch = 2;
        float[] input = Random(batch * QuantGruNet.InputSize, seed: 6);
        double[] expected = Recurrent(input, batch, steps: 5, features: 4, units: 6, net.Encoder, lstm: false, returnSequences: true);
        AssertClose(expected, Predict(quantized, input), Tolerance);
    }

    [Fact]
    public void Stacked_and_bidirectional_recurrent_layers_quantise_every_direction_and_layer()
    {
        var net = new LstmTwoLayersBidirectionalFixtureNet(seed: 9);
        LstmTwoLayersBidirectionalFixtureNet quantized = net.Quantize();
        Int8Weights weights = quantized.Int8Weights!;
        string[] expected = ["weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse"];
        Assert.Equal(expected.Select(name => "encoder." + name), weights.Weights.Select(weight => weight.Name));

        // Each direction's products run on its own int8 weights: the outputs move by the quantisation error only.
        float[] input = Random(4 * LstmTwoLayersBidirectionalFixtureNet.InputSize, seed: 7);
        double difference = MaxDifference(Predict(net, input), Predict(quantized, input));
        Assert.InRange(difference, 1e-5, 0.05);
    }

    [Fact]
    public void Tied_dense_layers_and_grouped_convolutions_stay_float()
    {
        Assert.DoesNotContain(Quantization.QuantizableWeights(new TinyGptLm()), entry => entry.Tensor.Name == "wte.weight");
        var grouped = new GroupsGradientNet();
        Assert.Equal(["output.weight"], Quantization.QuantizableWeights(grouped).Select(entry => entry.Tensor.Name));
    }

    [Fact]
    public void Quantising_leaves_the_float_network_as_it_was_and_the_copy_holds_the_dequantised_weights()
    {
        var net = new QuantMlp(seed: 10);
        float[] before = net.Parameters.ToArray();
        QuantMlp quantized = net.Quantize();
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.False(net.IsQuantized);
        Assert.True(quantized.IsQuantized);

        Int8Weight hidden = quantized.Int8Weights!.Find(net.Hidden.Weight.Offset)!;
        double[] dequantized = DequantizedWeight(net.Hidden.Weight.Values.ToArray(), 24, 40);
        float[] stored = quantized.Hidden.Weight.Values.ToArray();
        AssertClose(dequantized, stored, 1e-7);
        Assert.Equal(before[net.Hidden.Bias!.Offset], quantized.Hidden.Bias!.Values[0]);
        Assert.Equal(24, hidden.Rows);
        Assert.Equal(40, hidden.Columns);
    }

    [Fact]
    public void A_quantised_network_refuses_training_and_a_second_quantisation()
    {
        QuantMlp quantized = new QuantMlp(seed: 11).Quantize();
        float[] features = Random(4 * QuantMlp.InputSize, seed: 8);
        float[] targets = new float[4 * 5];
        for (int i = 0; i < 4; i++)
        {
            targets[(i * 5) + (i % 5)] = 1;
        }

        var error = Assert.Throws<InvalidOperationException>(() => Trainer.Step(quantized, new Adam<float>(0.01), features, targets, LossFunction.CrossEntropy));
        Assert.Contains("quantised to int8", error.Message);
        Assert.Contains("train the float network", error.Message);

        var again = Assert.Throws<InvalidOperationException>(() => quantized.Quantize());
        Assert.Contains("already", again.Message);
    }

    [Fact]
    public void Calibration_samples_must_be_whole_and_finite()
    {
        var net = new QuantMlp();
        var partial = Assert.Throws<ArgumentException>(() => net.Quantize(new float[QuantMlp.InputSize + 3]));
        Assert.Equal("calibration", partial.ParamName);
        Assert.Contains("43 values", partial.Message);
        Assert.Throws<ArgumentException>(() => net.Quantize(ReadOnlySpan<float>.Empty));

        float[] samples = Random(2 * QuantMlp.InputSize, seed: 9);
        samples[5] = float.NaN;
        var nan = Assert.Throws<ArgumentException>(() => net.Quantize(samples));
        Assert.Contains("NaN", nan.Message);
        Assert.False(net.IsQuantized);
    }

    [Fact]
    public void Calibration_from_a_dataset_equals_calibration_from_its_features()
    {
        var net = new QuantMlp(seed: 12);
        float[] features = Random(6 * QuantMlp.InputSize, seed: 10);
        var data = new Dataset(features, QuantMlp.InputSize, new float[6], 1);
        float[] input = Random(QuantMlp.InputSize, seed: 11);
        Assert.Equal(Predict(net.Quantize(features), input), Predict(net.Quantize(data), input));
    }

    [Fact]
    public void A_quantised_prediction_allocates_nothing_once_warm()
    {
        QuantMlp quantized = new QuantMlp(seed: 13).Quantize();
        float[] input = Random(8 * QuantMlp.InputSize, seed: 12);
        float[] output = new float[8 * 5];
        long bytes = Allocations.Fewest(() => quantized.Predict(input, output));
        Assert.Equal(0, bytes);
    }

    private static double[] Dense(double[] x, int rows, DenseLayer layer, (float Scale, int ZeroPoint)? inputQuantization, Func<double, double, double> max, bool relu, bool quantize = true)
    {
        int outputs = layer.Units;
        int inputs = layer.Inputs;
        double[] weight = quantize ? DequantizedWeight(layer.Weight.Values.ToArray(), outputs, inputs) : layer.Weight.Values.ToArray().Select(v => (double)v).ToArray();
        var y = new double[rows * outputs];
        for (int r = 0; r < rows; r++)
        {
            float[] row = x.AsSpan(r * inputs, inputs).ToArray().Select(v => (float)v).ToArray();
            double[] input = quantize ? QuantizedRow(row, inputQuantization) : row.Select(v => (double)v).ToArray();
            for (int o = 0; o < outputs; o++)
            {
                double sum = layer.Bias!.Values[o];
                for (int k = 0; k < inputs; k++)
                {
                    sum += input[k] * weight[(o * inputs) + k];
                }

                y[(r * outputs) + o] = relu ? max(sum, 0) : sum;
            }
        }

        return y;
    }

    // A convolution written as loops over output positions, each patch quantised as a row of its own.
    private static double[] Convolution(double[] x, int batch, int channels, int height, int width, Conv2DLayer layer, int kernel, int stride, int padding)
    {
        int filters = layer.Weight.Shape[0];
        int outHeight = ((height + (2 * padding) - kernel) / stride) + 1;
        int outWidth = ((width + (2 * padding) - kernel) / stride) + 1;
        int patch = channels * kernel * kernel;
        double[] weight = DequantizedWeight(layer.Weight.Values.ToArray(), filters, patch);
        var y = new double[batch * filters * outHeight * outWidth];
        for (int b = 0; b < batch; b++)
        {
            for (int oy = 0; oy < outHeight; oy++)
            {
                for (int ox = 0; ox < outWidth; ox++)
                {
                    var values = new float[patch];
                    for (int c = 0; c < channels; c++)
                    {
                        for (int ky = 0; ky < kernel; ky++)
                        {
                            for (int kx = 0; kx < kernel; kx++)
                            {
                                int iy = (oy * stride) + ky - padding;
                                int ix = (ox * stride) + kx - padding;
                                bool inside = iy >= 0 && iy < height && ix >= 0 && ix < width;
                                values[(((c * kernel) + ky) * kernel) + kx] = inside ? (float)x[(((((b * channels) + c) * height) + iy) * width) + ix] : 0f;
                            }
                        }
                    }

                    double[] input = QuantizedRow(values, null);
                    for (int f = 0; f < filters; f++)
                    {
                        double sum = layer.Bias!.Values[f];
                        for (int k = 0; k < patch; k++)
                        {
                            sum += input[k] * weight[(f * patch) + k];
                        }

                        y[(((((b * filters) + f) * outHeight) + oy) * outWidth) + ox] = sum;
                    }
                }
            }
        }

        return y;
    }

    // PyTorch's LSTM (gates i, f, g, o) and GRU (r, z, n) with every product's input quantised per row: a step's input
    // and, from the second step, the previous state.
    private static double[] Recurrent(float[] x, int batch, int steps, int features, int units, RecurrentLayer layer, bool lstm, bool returnSequences)
    {
        int gates = lstm ? 4 : 3;
        double[] weightIh = DequantizedWeight(layer.WeightIh.Values.ToArray(), gates * units, features);
        double[] weightHh = DequantizedWeight(layer.WeightHh.Values.ToArray(), gates * units, units);
        float[] biasIh = layer.BiasIh.Values.ToArray();
        float[] biasHh = layer.BiasHh.Values.ToArray();
        var output = new double[batch * (returnSequences ? steps : 1) * units];
        for (int b = 0; b < batch; b++)
        {
            var h = new double[units];
            var c = new double[units];
            for (int t = 0; t < steps; t++)
            {
                double[] input = QuantizedRow(x.AsSpan(((b * steps) + t) * features, features).ToArray(), null);
                double[] state = t == 0 ? new double[units] : QuantizedRow(h.Select(v => (float)v).ToArray(), null);
                var projected = new double[gates * units];
                var recurrent = new double[gates * units];
                for (int g = 0; g < gates * units; g++)
                {
                    double sumX = 0, sumH = 0;
                    for (int k = 0; k < features; k++)
                    {
                        sumX += input[k] * weightIh[(g * features) + k];
                    }

                    for (int k = 0; k < units; k++)
                    {
                        sumH += state[k] * weightHh[(g * units) + k];
                    }

                    projected[g] = sumX + biasIh[g];
                    recurrent[g] = sumH + biasHh[g];
                }

                for (int j = 0; j < units; j++)
                {
                    if (lstm)
                    {
                        double i = Sigmoid(projected[j] + recurrent[j]);
                        double f = Sigmoid(projected[units + j] + recurrent[units + j]);
                        double g = Math.Tanh(projected[(2 * units) + j] + recurrent[(2 * units) + j]);
                        double o = Sigmoid(projected[(3 * units) + j] + recurrent[(3 * units) + j]);
                        c[j] = (f * c[j]) + (i * g);
                        h[j] = o * Math.Tanh(c[j]);
                    }
                    else
                    {
                        double r = Sigmoid(projected[j] + recurrent[j]);
                        double z = Sigmoid(projected[units + j] + recurrent[units + j]);
                        double n = Math.Tanh(projected[(2 * units) + j] + (r * recurrent[(2 * units) + j]));
                        h[j] = ((1 - z) * n) + (z * h[j]);
                    }
                }

                if (returnSequences)
                {
                    h.CopyTo(output, ((b * steps) + t) * units);
                }
            }

            if (!returnSequences)
            {
                h.CopyTo(output, b * units);
            }
        }

        return output;
    }

    // The weight's codes per row, as the documented rule gives them, times the row's scale.
    private static double[] DequantizedWeight(float[] weight, int rows, int columns)
    {
        var result = new double[weight.Length];
        for (int r = 0; r < rows; r++)
        {
            float largest = 0;
            for (int k = 0; k < columns; k++)
            {
                largest = Math.Max(largest, Math.Abs(weight[(r * columns) + k]));
            }

            float scale = largest == 0 ? 1f : largest / 127f;
            for (int k = 0; k < columns; k++)
            {
                float code = Math.Clamp(MathF.Round(weight[(r * columns) + k] / scale), -127f, 127f);
                result[(r * columns) + k] = (double)scale * code;
            }
        }

        return result;
    }

    // A row's activations as the int8 product sees them: codes of one scale and zero point (the row's own range, or the
    // calibrated ones), times the scale.
    private static double[] QuantizedRow(float[] row, (float Scale, int ZeroPoint)? fixedQuantization)
    {
        float scale;
        float zero;
        if (fixedQuantization is { } given)
        {
            scale = given.Scale;
            zero = given.ZeroPoint;
        }
        else
        {
            float min = Math.Min(0f, row.Min());
            float max = Math.Max(0f, row.Max());
            scale = max == min ? 1f : (max - min) / 255f;
            zero = MathF.Round(Math.Clamp(-min / scale, 0f, 255f));
        }

        return row.Select(v => (double)scale * (Math.Clamp(MathF.Round(v / scale) + zero, 0f, 255f) - zero)).ToArray();
    }

    private static double[] Softmax(double[] logits, int classes)
    {
        var result = new double[logits.Length];
        for (int r = 0; r < logits.Length / classes; r++)
        {
            double max = logits.Skip(r * classes).Take(classes).Max();
            double sum = 0;
            for (int j = 0; j < classes; j++)
            {
                sum += result[(r * classes) + j] = Math.Exp(logits[(r * classes) + j] - max);
            }

            for (int j = 0; j < classes; j++)
            {
                result[(r * classes) + j] /= sum;
            }
        }

        return result;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static float[] Predict(INetwork network, float[] input)
    {
        var output = new float[input.Length / network.InputSize * network.OutputSize];
        network.Predict(input, output);
        return output;
    }

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"Element {i}: expected {expected[i]}, got {actual[i]}.");
        }
    }
}
