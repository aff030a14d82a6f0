using TypedNets.Tests.Networks;
using Xunit.Abstractions;

namespace TypedNets.Tests;

public sealed class ImageGradientCheckTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(nameof(ImageGradientNet), false)]
    [InlineData(nameof(ImageGradientNet), true)]
    [InlineData(nameof(StridedImageNet), false)]
    [InlineData(nameof(StridedImageNet), true)]
    [InlineData(nameof(TinyConvNet), false)]
    public void Image_layers_match_central_differences(string network, bool training)
    {
        IEngine<double> engine = network switch
        {
            nameof(ImageGradientNet) => new ImageGradientNet.Engine<double>(3, 21),
            nameof(StridedImageNet) => new StridedImageNet.Engine<double>(3, 21),
            _ => new TinyConvNet.Engine<double>(3, 21),
        };

        // Max pooling and ReLU have kinks; this seed keeps every input at least one stencil width (2e-4) from them.
        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training, seed: 19);
        output.WriteLine($"{network} (training: {training}): {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.True(report.WorstRelativeError <= 1e-6, $"{network}: worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }
}
