using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// Sigmoid and tanh on registers, for the fused gate passes of <see cref="LstmCell"/> and <see cref="GruCell"/>.
/// The vector forms follow <c>TensorPrimitives</c>: <c>sigmoid(x) = 1 / (1 + e^-x)</c> and
/// <c>tanh(x) = sign(x) (-z / (z + 2))</c> with <c>z = e^(-2|x|) - 1</c>, so a fused pass gives what the unfused
/// <c>TensorPrimitives.Sigmoid</c> and <c>Tanh</c> calls gave. The scalar forms serve every element type (double for
/// gradient checks) and the tail of a row that is not a whole number of vectors.
/// </summary>
internal static class GateActivations
{
    private const uint SignBit = 0x8000_0000u;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> z = Vector512.Exp(Vector512.Create(-2f) * Vector512.Abs(x)) - Vector512<float>.One;
        Vector512<uint> sign = x.AsUInt32() & Vector512.Create(SignBit);
        return (sign ^ (-z / (z + Vector512.Create(2f))).AsUInt32()).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> z = Vector256.Exp(Vector256.Create(-2f) * Vector256.Abs(x)) - Vector256<float>.One;
        Vector256<uint> sign = x.AsUInt32() & Vector256.Create(SignBit);
        return (sign ^ (-z / (z + Vector256.Create(2f))).AsUInt32()).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x)
        where T : IFloatingPointIeee754<T>
        => T.One / (T.One + T.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh<T>(T x)
        where T : IFloatingPointIeee754<T>
        => T.Tanh(x);
}
