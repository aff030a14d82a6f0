namespace TypedNets;

/// <summary>The function a layer applies to its output, element by element or (Softmax) over the last axis.</summary>
public enum Activation
{
    /// <summary>No activation: <c>y = x</c>.</summary>
    Identity = 0,

    /// <summary>Rectified linear unit: <c>y = max(x, 0)</c>.</summary>
    ReLU = 1,

    /// <summary>Leaky ReLU with PyTorch's default negative slope 0.01: <c>y = x</c> for <c>x &gt; 0</c>, else <c>0.01 x</c>.</summary>
    LeakyReLU = 2,

    /// <summary>Logistic sigmoid: <c>y = 1 / (1 + e^-x)</c>.</summary>
    Sigmoid = 3,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh = 4,

    /// <summary>Softmax over the last axis: <c>y_i = e^x_i / sum_j e^x_j</c>.</summary>
    Softmax = 5,

    /// <summary>Gaussian error linear unit in its exact form, as PyTorch's default <c>nn.GELU()</c>: <c>y = x Phi(x)</c>.</summary>
    GELU = 6,

    /// <summary>
    /// GELU in its tanh approximation, PyTorch's <c>nn.GELU(approximate='tanh')</c> (GPT-2's and BERT's, Keras'
    /// <c>gelu(approximate=True)</c>): <c>y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))</c>.
    /// </summary>
    GeluTanh = 7,
}
