namespace TypedNets.Tests.Serialization.TorchExport;

/// <summary>Module names that are Python keywords, at the top and inside a block: reached with getattr and add_module.</summary>
[Network, Input(3), Loss(LossKind.MeanSquaredError)]
public partial class KeywordNamesNet
{
    [Dense(4, Activation.Tanh)] public partial DenseLayer Lambda { get; }
    public partial PassBlock Global { get; }
    [Add(nameof(Lambda))] public partial AddLayer Yield { get; }
    [Dense(2)] public partial DenseLayer Class { get; }
}

[Block]
public partial class PassBlock
{
    [Dense(4, Activation.GELU)] public partial DenseLayer Pass { get; }
}
