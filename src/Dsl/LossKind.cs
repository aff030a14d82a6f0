namespace TypedNets;

/// <summary>The losses a network can be trained with. Each is averaged over the batch, as PyTorch's default <c>reduction='mean'</c>.</summary>
public enum LossKind
{
    /// <summary>Mean squared error, PyTorch's <c>nn.MSELoss</c>: the mean over every output of <c>(y - t)^2</c>.</summary>
    MeanSquaredError = 0,

    /// <summary>Mean absolute error, PyTorch's <c>nn.L1Loss</c>: the mean over every output of <c>|y - t|</c>.</summary>
    MeanAbsoluteError = 1,

    /// <summary>
    /// Huber loss, PyTorch's <c>nn.HuberLoss</c>: <c>r^2 / 2</c> where <c>|r| &lt;= delta</c>, else <c>delta (|r| - delta / 2)</c>,
    /// averaged over every output.
    /// </summary>
    Huber = 2,

    /// <summary>
    /// Categorical cross-entropy, PyTorch's <c>nn.CrossEntropyLoss</c>: needs a Softmax or linear output of at least two
    /// units; targets are class indices or one-hot/probability rows. Computed from the logits, fused with the softmax.
    /// </summary>
    CrossEntropy = 3,

    /// <summary>
    /// Binary cross-entropy, PyTorch's <c>nn.BCEWithLogitsLoss</c>: needs one Sigmoid or linear output unit; targets are
    /// 0 or 1 (or probabilities). Computed from the logit, fused with the sigmoid.
    /// </summary>
    BinaryCrossEntropy = 4,
}
