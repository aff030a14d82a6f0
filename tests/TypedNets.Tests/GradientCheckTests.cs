using System;
using System.Collections.Generic;
using TypedNets.Tests.Networks;
using Xunit.Abstractions;

namespace TypedNets.Tests;

public sealed class GradientCheckTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    public static IEnumerable<object[]> Networks()
    {
        yield return [nameof(IdentityNet), false];
        yield return [nameof(ReluNet), false];
        yield return [nameof(LeakyReluNet), false];
        yield return [nameof(SigmoidNet), false];
        yield return [nameof(TanhNet), false];
        yield return [nameof(SoftmaxNet), false];
        yield return [nameof(GeluNet), false];
        yield return [nameof(FlattenNet), false];
        yield return [nameof(TutorialClassifier), false];
        yield return [nameof(TutorialClassifier), true];
        yield return [nameof(DropoutNet), false];
        yield return [nameof(DropoutNet), true];
        yield return [nameof(DropoutEndsNet), false];
        yield return [nameof(DropoutEndsNet), true];
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Backward_matches_central_differences(string network, bool training)
    {
        IEngine<double> engine = Create(network, seed: 7);
        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training, seed: 11);
        output.WriteLine($"{network} (training: {training}): {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.True(report.WorstRelativeError <= Tolerance, $"{network}: worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }

    [Fact]
    public void Dropout_in_training_changes_the_output_and_the_check_still_holds()
    {
        // Guards the test above against a mask that never drops anything.
        IEngine<double> engine = Create(nameof(DropoutNet), seed: 3);
        double[] input = new double[2 * engine.InputSize];
        Array.Fill(input, 0.5);
        double[] inference = engine.Forward(input, training: false).ToArray();
        engine.ReseedDropout(5);
        double[] training = engine.Forward(input, training: true).ToArray();
        Assert.NotEqual(inference, training);
    }

    internal static IEngine<double> Create(string network, ulong seed) => network switch
    {
        nameof(IdentityNet) => new IdentityNet.Engine<double>(4, seed),
        nameof(ReluNet) => new ReluNet.Engine<double>(4, seed),
        nameof(LeakyReluNet) => new LeakyReluNet.Engine<double>(4, seed),
        nameof(SigmoidNet) => new SigmoidNet.Engine<double>(4, seed),
        nameof(TanhNet) => new TanhNet.Engine<double>(4, seed),
        nameof(SoftmaxNet) => new SoftmaxNet.Engine<double>(4, seed),
        nameof(GeluNet) => new GeluNet.Engine<double>(4, seed),
        nameof(FlattenNet) => new FlattenNet.Engine<double>(4, seed),
        nameof(TutorialClassifier) => new TutorialClassifier.Engine<double>(4, seed),
        nameof(DropoutNet) => new DropoutNet.Engine<double>(4, seed),
        nameof(DropoutEndsNet) => new DropoutEndsNet.Engine<double>(4, seed),
        _ => throw new ArgumentOutOfRangeException(nameof(network), network, "No such test network."),
    };
}
