namespace TypedNets.Data;

/// <summary>
/// The element type of an IDX file: the third byte of its magic number, as the IDX format defines it. Every type is
/// read into <see cref="float"/>s (see <see cref="IdxArray"/> for what that loses).
/// </summary>
public enum IdxDataType : byte
{
    /// <summary>Unsigned bytes (code 0x08), as in MNIST's images and labels.</summary>
    UInt8 = 0x08,

    /// <summary>Signed bytes (code 0x09).</summary>
    Int8 = 0x09,

    /// <summary>Big-endian 16-bit signed integers (code 0x0B).</summary>
    Int16 = 0x0B,

    /// <summary>Big-endian 32-bit signed integers (code 0x0C).</summary>
    Int32 = 0x0C,

    /// <summary>Big-endian IEEE 754 single-precision floats (code 0x0D).</summary>
    Float32 = 0x0D,

    /// <summary>Big-endian IEEE 754 double-precision floats (code 0x0E).</summary>
    Float64 = 0x0E,
}
