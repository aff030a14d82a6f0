namespace TypedNets.Generator.Helpers;

/// <summary>Names of the tracked pipeline steps, so that caching tests can find them.</summary>
public static class TrackingNames
{
    /// <summary>A network declaration parsed and its shapes inferred, with its diagnostics.</summary>
    public const string Networks = nameof(Networks);

    /// <summary>A block class read for its generated part.</summary>
    public const string Blocks = nameof(Blocks);

    /// <summary>The project's base64 weights files, decoded and read.</summary>
    public const string WeightsFiles = nameof(WeightsFiles);

    /// <summary>Each network after the check of its embedded weights (unchanged without them).</summary>
    public const string EmbeddedWeights = nameof(EmbeddedWeights);

    /// <summary>The diagnostics branch.</summary>
    public const string Diagnostics = nameof(Diagnostics);

    /// <summary>The models branch, from which source is emitted.</summary>
    public const string Models = nameof(Models);
}
