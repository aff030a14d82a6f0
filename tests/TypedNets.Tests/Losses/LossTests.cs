using System;
using TypedNets.Kernels;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Losses;

public sealed class LossTests
{
    private delegate double LossFunction(double[] input, double[] target, double[] gradient);

    private static LossFunction Mse => (x, t, g) => LossKernel.MeanSquaredError<double>(x, t, g);

    private static LossFunction Mae => (x, t, g) => LossKernel.MeanAbsoluteError<double>(x, t, g);

    private static LossFunction HuberWith(double delta) => (x, t, g) => LossKernel.Huber<double>(x, t, g, delta);

    private static LossFunction CrossEntropy(int classes) => (x, t, g) => LossKernel.CrossEntropyFromLogits<double>(x, t, g, classes);

    private static LossFunction CrossEntropyOnProbabilities(int classes) => (x, t, g) => LossKernel.CrossEntropyFromProbabilities<double>(x, t, g, classes);

    private static LossFunction BinaryCrossEntropy => (x, t, g) => LossKernel.BinaryCrossEntropyFromLogits<double>(x, t, g);

    private static LossFunction BinaryCrossEntropyOnProbabilities => (x, t, g) => LossKernel.BinaryCrossEntropyFromProbabilities<double>(x, t, g);

    private static LossFunction ForFixture(ReferenceFixture fixture) => fixture.Name switch
    {
        "mse" => Mse,
        "mae" => Mae,
        "huber" or "huber_delta_0_5" => HuberWith(fixture.ConfigNumber("delta")),
        "bce_with_logits" or "bce_with_logits_large" => BinaryCrossEntropy,
        "sequence_cross_entropy_ignore_default" or "sequence_cross_entropy_ignore_padding" => (x, t, g) =>
            LossKernel.CrossEntropyFromLogits<double>(x, t, g, fixture.TensorWithShape("input").Shape[1], (int)fixture.ConfigNumber("ignore_index")),
        _ => CrossEntropy(fixture.TensorWithShape("input").Shape[1]),
    };

    [Theory]
    [InlineData("mse")]
    [InlineData("mae")]
    [InlineData("huber")]
    [InlineData("huber_delta_0_5")]
    [InlineData("cross_entropy_indices")]
    [InlineData("cross_entropy_onehot")]
    [InlineData("cross_entropy_probabilities")]
    [InlineData("cross_entropy_large_logits")]
    [InlineData("bce_with_logits")]
    [InlineData("bce_with_logits_large")]
    [InlineData("sequence_cross_entropy_ignore_default")]
    [InlineData("sequence_cross_entropy_ignore_padding")]
    public void Loss_and_gradient_match_pytorch(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        double[] input = fixture.Tensor("input");
        double[] gradient = new double[input.Length];
        double loss = ForFixture(fixture)(input, fixture.Tensor("target"), gradient);

        AssertRelative(fixture.Scalar("loss"), loss, 1e-12, $"{name} loss");
        AssertAllRelative(fixture.Tensor("grad.input"), gradient, 1e-9, $"{name} gradient");
    }

    [Theory]
    [InlineData("cross_entropy_indices")]
    [InlineData("cross_entropy_probabilities")]
    [InlineData("bce_with_logits")]
    public void Probability_paths_match_pytorch(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        (double[] probabilities, int[] shape) = fixture.TensorWithShape("probabilities");
        double[] gradient = new double[probabilities.Length];
        LossFunction loss = name.StartsWith("bce", StringComparison.Ordinal) ? BinaryCrossEntropyOnProbabilities : CrossEntropyOnProbabilities(shape[1]);
        double value = loss(probabilities, fixture.Tensor("target"), gradient);

        AssertRelative(fixture.Scalar("loss_from_probabilities"), value, 1e-12, $"{name} loss");
        AssertAllRelative(fixture.Tensor("grad.probabilities"), gradient, 1e-9, $"{name} gradient");
    }

    public static TheoryData<string> FiniteDifferenceCases => new()
    {
        "mse", "mae", "huber", "huber_delta_0_5", "cross_entropy_indices", "cross_entropy_probabilities",
        "bce_with_logits", "ce_probabilities_path", "bce_probabilities_path", "sequence_cross_entropy_ignore_padding",
    };

    [Theory]
    [MemberData(nameof(FiniteDifferenceCases))]
    public void Gradient_matches_central_differences(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name switch
        {
            "ce_probabilities_path" => "cross_entropy_probabilities",
            "bce_probabilities_path" => "bce_with_logits",
            _ => name,
        });
        double[] input = name.EndsWith("_path", StringComparison.Ordinal) ? fixture.Tensor("probabilities") : fixture.Tensor("input");
        double[] target = fixture.Tensor("target");
        LossFunction loss = name switch
        {
            "ce_probabilities_path" => CrossEntropyOnProbabilities(fixture.TensorWithShape("input").Shape[1]),
            "bce_probabilities_path" => BinaryCrossEntropyOnProbabilities,
            _ => ForFixture(fixture),
        };

        double[] gradient = new double[input.Length];
        loss(input, target, gradient);
        for (int i = 0; i < input.Length; i++)
        {
            // A step relative to the value: probabilities near zero have large third derivatives.
            double saved = input[i];
            double step = 1e-6 * Math.Max(Math.Abs(saved), 0.1);
            input[i] = saved + step;
            double plus = loss(input, target, []);
            input[i] = saved - step;
            double minus = loss(input, target, []);
            input[i] = saved;
            double numeric = (plus - minus) / (2 * step);
            Assert.True(
                Math.Abs(numeric - gradient[i]) <= 1e-6 * Math.Max(Math.Abs(gradient[i]), 1e-3),
                $"{name}: element {i} analytic {gradient[i]:R}, numeric {numeric:R}");
        }
    }

    [Fact]
    public void Large_logits_give_finite_losses_in_float()
    {
        float[] logits = [1000f, -1000f, 0f, 1000f, 999f, -5f];
        float[] gradient = new float[6];
        float loss = LossKernel.CrossEntropyFromLogits<float>(logits, [0f, 2f], gradient, 3);
        Assert.True(float.IsFinite(loss));
        Assert.All(gradient, value => Assert.True(float.IsFinite(value)));

        float binary = LossKernel.BinaryCrossEntropyFromLogits<float>([1000f, -1000f, 40f], [0f, 1f, 1f], gradient.AsSpan(0, 3));
        Assert.Equal(2000f / 3, binary, 2);
    }

    [Fact]
    public void Fused_dispatch_picks_the_logits_path_after_softmax_and_sigmoid()
    {
        double[] logits = [0.3, -1.2, 2.0, 0.1, 0.0, -0.4];
        double[] probabilities = (double[])logits.Clone();
        Activations.Softmax<double>(probabilities, 3);
        double[] target = [2, 0];
        double[] gradient = new double[6];

        double fused = LossKernel.Compute<double>(LossKind.CrossEntropy, Activation.Softmax, probabilities, logits, target, gradient, 3, out bool toLogits);
        Assert.True(toLogits);
        double direct = LossKernel.CrossEntropyFromProbabilities<double>(probabilities, target, [], 3);
        Assert.Equal(direct, fused, 12);

        var wrong = Assert.Throws<InvalidOperationException>(() =>
            LossKernel.Compute<double>(LossKind.CrossEntropy, Activation.ReLU, probabilities, [], target, gradient, 3, out _));
        Assert.Contains("Softmax", wrong.Message);

        var oneUnit = Assert.Throws<InvalidOperationException>(() =>
            LossKernel.Compute<double>(LossKind.BinaryCrossEntropy, Activation.Sigmoid, probabilities, logits, target, gradient, 3, out _));
        Assert.Contains("exactly 1 output unit", oneUnit.Message);
    }

    [Fact]
    public void Bad_targets_are_named()
    {
        var badLabel = Assert.Throws<ArgumentException>(() => LossKernel.CrossEntropyFromLogits<float>(new float[6], [1f, 3f], new float[6], 3));
        Assert.Contains("Row 1 has class label 3", badLabel.Message);

        var fractional = Assert.Throws<ArgumentException>(() => LossKernel.CrossEntropyFromLogits<float>(new float[6], [0.5f, 1f], [], 3));
        Assert.Contains("whole numbers from 0 to 2", fractional.Message);

        var wrongCount = Assert.Throws<ArgumentException>(() => LossKernel.MeanSquaredError<float>(new float[6], new float[5], []));
        Assert.Contains("6 outputs but the targets have 5", wrongCount.Message);
    }

    private static void AssertRelative(double expected, double actual, double tolerance, string what)
        => Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: {actual:R}, PyTorch {expected:R}");

    private static void AssertAllRelative(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(Math.Abs(expected[i]), 1e-12),
                $"{what}[{i}]: {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }

    [Fact]
    public void Cross_entropy_with_every_row_ignored_is_zero_with_a_zero_gradient()
    {
        double[] logits = [1, 2, 3, -1, 0, 4];
        double[] gradient = [9, 9, 9, 9, 9, 9];
        double loss = LossKernel.CrossEntropyFromLogits<double>(logits, [0, 0], gradient, 3, ignoreIndex: 0);
        Assert.Equal(0, loss);
        Assert.All(gradient, value => Assert.Equal(0, value));
    }

    [Fact]
    public void A_label_outside_the_classes_is_refused_naming_the_ignore_index()
    {
        var exception = Assert.Throws<ArgumentException>(() => LossKernel.CrossEntropyFromLogits<double>([1, 2, 3, 4], [1, -1], new double[4], 2, ignoreIndex: -100));
        Assert.Equal("target", exception.ParamName);
        Assert.Contains("Row 1 has class label -1, but labels must be whole numbers from 0 to 1 (or -100, the ignore index)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ignore_index_belongs_to_cross_entropy_only()
    {
        Assert.Equal("CrossEntropy(ignoreIndex: -100)", TypedNets.LossFunction.CrossEntropyIgnoring(-100).ToString());
        Assert.Null(TypedNets.LossFunction.CrossEntropy.IgnoreIndex);
        var exception = Assert.Throws<ArgumentException>(() => new TypedNets.LossFunction(TypedNets.LossKind.MeanSquaredError, ignoreIndex: 0));
        Assert.Equal("ignoreIndex", exception.ParamName);
    }
}
