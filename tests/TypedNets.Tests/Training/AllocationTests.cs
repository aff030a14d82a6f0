using System;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Training;

namespace TypedNets.Tests.Training;

/// <summary>A steady-state training step and a prediction allocate nothing, for every kind of layer.</summary>
public sealed class AllocationTests
{
    public static TheoryData<string> Networks => new()
    {
        nameof(TutorialClassifier), nameof(DropoutNet), nameof(FlattenNet), nameof(BinaryNet), nameof(RegularizedNet),
        nameof(EmbeddingLstmNet), nameof(MaskedGruNet), nameof(MaskedLstmNet), nameof(SequenceNet), nameof(TinyTextClassifier),
        nameof(ImageGradientNet), nameof(StridedImageNet), nameof(TinyConvNet), nameof(Conv1DGradientNet),
        nameof(DropoutAttentionNet),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Training_steps_and_predictions_allocate_nothing(string name)
    {
        INetwork network = Create(name);
        int batch = network.MaxBatch;
        var random = new Xoshiro256(5);
        float[] features = new float[batch * network.InputSize];
        bool tokens = name is nameof(EmbeddingLstmNet) or nameof(MaskedGruNet) or nameof(MaskedLstmNet) or nameof(TinyTextClassifier) or nameof(DropoutAttentionNet);
        int vocabulary = name is nameof(DropoutAttentionNet) ? 7 : 9;
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = tokens ? random.NextInt(vocabulary) : (float)random.NextDouble(-1, 1);
        }

        LossFunction loss = network.DeclaredLoss ?? LossKind.MeanSquaredError;
        float[] targets = loss.Kind is LossKind.CrossEntropy
            ? new float[batch]
            : new float[batch * network.OutputSize];
        var optimizer = new Adam(0.001);

        void Step()
        {
            Trainer.Step(network, optimizer, features, targets, loss, clipGradientNorm: 5.0);
            network.Forward(features.AsSpan(0, network.InputSize), training: false);
        }

        Step();
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            Step();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static INetwork Create(string name) => name switch
    {
        nameof(TutorialClassifier) => new TutorialClassifier(4),
        nameof(DropoutNet) => new DropoutNet(4),
        nameof(FlattenNet) => new FlattenNet(4),
        nameof(BinaryNet) => new BinaryNet(4),
        nameof(RegularizedNet) => new RegularizedNet(4),
        nameof(EmbeddingLstmNet) => new EmbeddingLstmNet(4),
        nameof(MaskedGruNet) => new MaskedGruNet(4),
        nameof(MaskedLstmNet) => new MaskedLstmNet(4),
        nameof(SequenceNet) => new SequenceNet(4),
        nameof(TinyTextClassifier) => new TinyTextClassifier(4),
        nameof(ImageGradientNet) => new ImageGradientNet(4),
        nameof(StridedImageNet) => new StridedImageNet(4),
        nameof(TinyConvNet) => new TinyConvNet(4),
        nameof(Conv1DGradientNet) => new Conv1DGradientNet(4),
        nameof(DropoutAttentionNet) => new DropoutAttentionNet(4),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such test network."),
    };
}
