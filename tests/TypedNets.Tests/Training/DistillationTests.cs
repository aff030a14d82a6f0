using System;
using TypedNets.Data;
using TypedNets.Kernels;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;
using TypedNets.Training;
using Xunit;

namespace TypedNets.Tests.Training;

/// <summary>
/// Knowledge distillation: the kernel against PyTorch's <c>w * cross_entropy + (1 - w) * T^2 * kl_div(batchmean)</c>
/// (reference/pytorch/make_distillation_fixtures.py) and central differences, and <see cref="Trainer.Fit"/> with a teacher.
/// </summary>
public class DistillationTests
{
    private const int Classes = 5;

    [Theory]
    [InlineData("T4_w0.3", 4.0, 0.3)]
    [InlineData("T1_w0.3", 1.0, 0.3)]
    public void Kernel_matches_pytorch(string name, double temperature, double weight)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("distillation");
        double[] student = fixture.Tensor("student_logits");
        double[] gradient = new double[student.Length];

        double loss = LossKernel.Distillation<double>(student, fixture.Tensor("teacher_logits"), fixture.Tensor("labels"), gradient, Classes, temperature, weight);

        Assert.Equal(fixture.Scalar("loss." + name), loss, 1e-10);
        double[] expected = fixture.Tensor("grad." + name);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], gradient[i], 1e-10);
        }
    }

    [Theory]
    [InlineData(4.0, 0.3, false)]
    [InlineData(2.5, 0.0, true)]
    [InlineData(0.5, 0.8, false)]
    public void Kernel_gradient_matches_central_differences(double temperature, double weight, bool oneHot)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("distillation");
        double[] student = fixture.Tensor("student_logits");
        double[] teacher = fixture.Tensor("teacher_logits");
        double[] labels = fixture.Tensor("labels");
        double[] target = oneHot ? OneHotOf(labels) : labels;
        double[] gradient = new double[student.Length];
        LossKernel.Distillation<double>(student, teacher, target, gradient, Classes, temperature, weight);

        const double h = 1e-5;
        for (int i = 0; i < student.Length; i++)
        {
            double saved = student[i];
            student[i] = saved + h;
            double up = LossKernel.Distillation<double>(student, teacher, target, default, Classes, temperature, weight);
            student[i] = saved - h;
            double down = LossKernel.Distillation<double>(student, teacher, target, default, Classes, temperature, weight);
            student[i] = saved;
            Assert.Equal((up - down) / (2 * h), gradient[i], 1e-8);
        }
    }

    [Fact]
    public void Temperature_one_and_hard_label_weight_one_is_cross_entropy()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("distillation");
        double[] student = fixture.Tensor("student_logits");
        double[] labels = fixture.Tensor("labels");
        double[] gradient = new double[student.Length];
        double[] expectedGradient = new double[student.Length];

        double loss = LossKernel.Distillation<double>(student, fixture.Tensor("teacher_logits"), labels, gradient, Classes, 1.0, 1.0);
        double expected = LossKernel.CrossEntropyFromLogits<double>(student, labels, expectedGradient, Classes);

        Assert.Equal(expected, loss, 1e-14);
        for (int i = 0; i < gradient.Length; i++)
        {
            Assert.Equal(expectedGradient[i], gradient[i], 1e-15);
        }
    }

    [Fact]
    public void Soft_term_vanishes_when_the_student_matches_the_teacher()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("distillation");
        double[] teacher = fixture.Tensor("teacher_logits");
        double[] gradient = new double[teacher.Length];

        double loss = LossKernel.Distillation<double>((double[])teacher.Clone(), teacher, fixture.Tensor("labels"), gradient, Classes, 3.0, 0.0);

        Assert.Equal(0.0, loss, 1e-14);
        Assert.All(gradient, g => Assert.Equal(0.0, g, 1e-15));
    }

    [Fact]
    public void Large_logits_stay_finite()
    {
        double[] student = [1000, -1000, 0, 500, 200, -300];
        double[] teacher = [-800, 900, 100, 0, 700, -200];
        double[] labels = [0, 1];
        double[] gradient = new double[6];

        double loss = LossKernel.Distillation<double>(student, teacher, labels, gradient, 3, 2.0, 0.5);

        Assert.True(double.IsFinite(loss));
        Assert.All(gradient, g => Assert.True(double.IsFinite(g)));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Kernel_refuses_a_temperature_that_is_not_positive(double temperature)
    {
        double[] logits = new double[6];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LossKernel.Distillation<double>(logits, logits, new double[2], default, 3, temperature, 0.5));
        Assert.Equal("temperature", error.ParamName);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.1)]
    [InlineData(double.NaN)]
    public void Kernel_refuses_a_hard_label_weight_outside_zero_to_one(double weight)
    {
        double[] logits = new double[6];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LossKernel.Distillation<double>(logits, logits, new double[2], default, 3, 2.0, weight));
        Assert.Equal("hardLabelWeight", error.ParamName);
    }

    [Fact]
    public void Kernel_refuses_teacher_logits_of_another_shape()
    {
        double[] student = new double[6];
        var error = Assert.Throws<ArgumentException>(() => LossKernel.Distillation<double>(student, new double[4], new double[2], default, 3, 2.0, 0.5));
        Assert.Equal("teacherLogits", error.ParamName);
    }

    [Theory]
    [InlineData(0.0, "temperature")]
    [InlineData(-2.0, "temperature")]
    [InlineData(double.NaN, "temperature")]
    public void Distillation_refuses_a_bad_temperature(double temperature, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Distillation(new TinyMlp(maxBatch: 8, seed: 1), temperature, 0.5));
        Assert.Equal(parameter, error.ParamName);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Distillation_refuses_a_bad_hard_label_weight(double weight)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Distillation(new TinyMlp(maxBatch: 8, seed: 1), 4.0, weight));
        Assert.Equal("hardLabelWeight", error.ParamName);
    }

    [Fact]
    public void Distillation_refuses_no_teacher()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new Distillation(null!, 4.0, 0.5));
        Assert.Equal("teacher", error.ParamName);
    }

    [Fact]
    public void Fit_refuses_a_teacher_of_another_output_width()
    {
        var student = new TinyMlp(maxBatch: 8, seed: 1);
        var teacher = new SigmoidNet(maxBatch: 8, seed: 2);
        var options = new FitOptions { Epochs = 1, BatchSize = 8, Distillation = new Distillation(teacher, 4.0, 0.5) };

        var error = Assert.Throws<ArgumentException>(() => Trainer.Fit(student, new Sgd(0.1f), ClassBlobs.Make(32, 3), options));

        Assert.Equal("options", error.ParamName);
        Assert.Contains("2 outputs", error.Message, StringComparison.Ordinal);
        Assert.Contains("3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_refuses_the_student_as_its_own_teacher()
    {
        var student = new TinyMlp(maxBatch: 8, seed: 1);
        var options = new FitOptions { Epochs = 1, BatchSize = 8, Distillation = new Distillation(student, 4.0, 0.5) };

        var error = Assert.Throws<ArgumentException>(() => Trainer.Fit(student, new Sgd(0.1f), ClassBlobs.Make(32, 3), options));

        Assert.Equal("options", error.ParamName);
    }

    [Fact]
    public void Fit_refuses_a_teacher_whose_batch_is_smaller()
    {
        var student = new TinyMlp(maxBatch: 16, seed: 1);
        var teacher = new TinyMlp(maxBatch: 4, seed: 2);
        var options = new FitOptions { Epochs = 1, BatchSize = 16, Distillation = new Distillation(teacher, 4.0, 0.5) };

        var error = Assert.Throws<ArgumentException>(() => Trainer.Fit(student, new Sgd(0.1f), ClassBlobs.Make(32, 3), options));

        Assert.Equal("options", error.ParamName);
    }

    [Fact]
    public void Fit_leaves_the_teacher_untouched_and_the_students_loss_falls()
    {
        var teacher = TrainedTeacher();
        float[] teacherParameters = teacher.Parameters.ToArray();
        float[] teacherGradients = teacher.Gradients.ToArray();
        var student = new TinyMlp(maxBatch: 16, seed: 7);
        float[] studentBefore = student.Parameters.ToArray();

        History history = Trainer.Fit(student, new Adam(0.02f), ClassBlobs.Make(256, 11), new FitOptions
        {
            Epochs = 8, BatchSize = 16, Seed = 3, Distillation = new Distillation(teacher, 4.0, 0.3),
        });

        Assert.Equal(teacherParameters, teacher.Parameters.ToArray());
        Assert.Equal(teacherGradients, teacher.Gradients.ToArray());
        Assert.NotEqual(studentBefore, student.Parameters.ToArray());
        Assert.True(history.Epochs[^1].Loss < 0.6 * history.Epochs[0].Loss, $"loss {history.Epochs[0].Loss} -> {history.Epochs[^1].Loss}");
    }

    [Fact]
    public void A_student_trained_on_soft_targets_alone_moves_toward_the_teacher()
    {
        var teacher = TrainedTeacher();
        var student = new TinyMlp(maxBatch: 16, seed: 21);
        Dataset data = ClassBlobs.Make(256, 12);
        const double temperature = 2.0;
        double before = MeanKl(teacher, student, data.Features, temperature);

        // Labels that are all class 0: with a hard-label weight of 0 they must not matter, so the student can only learn the teacher.
        var constantLabels = new Dataset(data.Features.ToArray(), data.FeatureWidth, new float[data.Count], 1);
        Trainer.Fit(student, new Adam(0.02f), constantLabels, new FitOptions
        {
            Epochs = 15, BatchSize = 16, Seed = 4, Distillation = new Distillation(teacher, temperature, 0.0),
        });

        double after = MeanKl(teacher, student, data.Features, temperature);
        Assert.True(after < 0.2 * before, $"KL {before} -> {after}");
        Assert.True(Trainer.Evaluate(student, data, LossFunction.CrossEntropy).Accuracy > 0.8);
    }

    [Fact]
    public void Validation_reports_the_students_hard_label_loss()
    {
        var teacher = TrainedTeacher();
        var student = new TinyMlp(maxBatch: 16, seed: 8);
        Dataset validation = ClassBlobs.Make(64, 13);

        History history = Trainer.Fit(student, new Sgd(0.05f), ClassBlobs.Make(128, 14), new FitOptions
        {
            Epochs = 1, BatchSize = 16, ValidationData = validation, Distillation = new Distillation(teacher, 4.0, 0.3),
        });

        Evaluation evaluation = Trainer.Evaluate(student, validation, LossFunction.CrossEntropy, 16);
        Assert.Equal(evaluation.Loss, history.Epochs[0].ValidationLoss!.Value, 1e-12);
        Assert.Equal(evaluation.Accuracy, history.Epochs[0].ValidationAccuracy);
    }

    [Fact]
    public void Softmax_outputs_distill_through_their_logits()
    {
        // The same weights behind a linear output and behind a Softmax output: the Softmax networks' logits are used,
        // as teacher and as student, so the runs agree.
        var logitTeacher = TrainedTeacher();
        var softmaxTeacher = new TinyMlpSoftmax(maxBatch: 16, seed: 1);
        logitTeacher.Parameters.CopyTo(softmaxTeacher.Parameters);
        var logitStudent = new TinyMlp(maxBatch: 16, seed: 9);
        var softmaxStudent = new TinyMlpSoftmax(maxBatch: 16, seed: 1);
        logitStudent.Parameters.CopyTo(softmaxStudent.Parameters);
        Dataset data = ClassBlobs.Make(96, 15);

        History logitRun = Trainer.Fit(logitStudent, new Sgd(0.1f), data, new FitOptions
        {
            Epochs = 2, BatchSize = 16, Seed = 5, Distillation = new Distillation(logitTeacher, 3.0, 0.4),
        });
        History softmaxRun = Trainer.Fit(softmaxStudent, new Sgd(0.1f), data, new FitOptions
        {
            Epochs = 2, BatchSize = 16, Seed = 5, Distillation = new Distillation(softmaxTeacher, 3.0, 0.4),
        });

        Assert.Equal(logitRun.Epochs[^1].Loss, softmaxRun.Epochs[^1].Loss, 1e-5);
        for (int i = 0; i < logitStudent.Parameters.Length; i++)
        {
            Assert.Equal(logitStudent.Parameters[i], softmaxStudent.Parameters[i], 1e-5);
        }
    }

    [Fact]
    public void Fit_refuses_a_hard_loss_that_is_not_cross_entropy()
    {
        var student = new TinyMlp(maxBatch: 8, seed: 1);
        var options = new FitOptions
        {
            Epochs = 1, BatchSize = 8, Loss = LossFunction.MeanSquaredError, Distillation = new Distillation(new TinyMlp(maxBatch: 8, seed: 2), 4.0, 0.5),
        };
        var data = new Dataset(new float[32 * 4], 4, new float[32 * 3], 3);

        var error = Assert.Throws<ArgumentException>(() => Trainer.Fit(student, new Sgd(0.1f), data, options));

        Assert.Equal("options", error.ParamName);
    }

    private static TinyMlp TrainedTeacher()
    {
        var teacher = new TinyMlp(maxBatch: 16, seed: 17);
        Trainer.Fit(teacher, new Adam(0.03f), ClassBlobs.Make(256, 10), new FitOptions { Epochs = 10, BatchSize = 16, Seed = 1 });
        return teacher;
    }

    // mean over rows of KL(softmax(teacher / T) || softmax(student / T)), written out here rather than through the kernel.
    private static double MeanKl(INetwork teacher, INetwork student, ReadOnlySpan<float> features, double temperature)
    {
        float[] t = Trainer.Predict(teacher, features);
        float[] s = Trainer.Predict(student, features);
        int rows = t.Length / 3;
        double sum = 0;
        for (int row = 0; row < rows; row++)
        {
            double[] p = SoftmaxOf(t.AsSpan(row * 3, 3), temperature);
            double[] q = SoftmaxOf(s.AsSpan(row * 3, 3), temperature);
            for (int c = 0; c < 3; c++)
            {
                sum += p[c] * Math.Log(p[c] / q[c]);
            }
        }

        return sum / rows;
    }

    private static double[] SoftmaxOf(ReadOnlySpan<float> logits, double temperature)
    {
        double max = double.NegativeInfinity;
        foreach (float z in logits)
        {
            max = Math.Max(max, z / temperature);
        }

        double[] p = new double[logits.Length];
        double total = 0;
        for (int c = 0; c < p.Length; c++)
        {
            p[c] = Math.Exp((logits[c] / temperature) - max);
            total += p[c];
        }

        for (int c = 0; c < p.Length; c++)
        {
            p[c] /= total;
        }

        return p;
    }

    private static double[] OneHotOf(double[] labels)
    {
        double[] target = new double[labels.Length * Classes];
        for (int row = 0; row < labels.Length; row++)
        {
            target[(row * Classes) + (int)labels[row]] = 1;
        }

        return target;
    }
}
