"""Writes the small IDX fixtures of tests/TypedNets.Tests/Images with nothing but the standard library,
independently of TypedNets' reader: `python3 make_idx_fixtures.py` in this folder rewrites them all.

The IDX format (LeCun's MNIST page): a big-endian magic number 0x0000TTNN, where TT is the element type
(0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64) and NN the number of dimensions, then one
big-endian int32 per dimension, then the elements, row-major and big-endian. Gzipped copies are written
with a zero timestamp so that they are the same bytes on every run.
"""
import gzip
import struct

TYPES = {"u8": (0x08, "B"), "i8": (0x09, "b"), "i16": (0x0B, "h"), "i32": (0x0C, "i"), "f32": (0x0D, "f"), "f64": (0x0E, "d")}


def idx(dtype, shape, values):
    code, fmt = TYPES[dtype]
    header = struct.pack(">BBBB", 0, 0, code, len(shape)) + struct.pack(">" + "i" * len(shape), *shape)
    return header + struct.pack(">" + fmt * len(values), *values)


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


def write_gzip(name, data):
    with open(name, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as z:
            z.write(data)


# Three 4 x 5 images: image i has pixel (r, c) = 10 * (i + 1) + 5 * r + c, except the corners of image 0,
# which are 0 (top left) and 255 (bottom right) to pin both ends of the scale.
pixels = []
for i in range(3):
    for r in range(4):
        for c in range(5):
            pixels.append(10 * (i + 1) + 5 * r + c)
pixels[0] = 0
pixels[19] = 255
images = idx("u8", [3, 4, 5], pixels)
labels = idx("u8", [3], [7, 0, 9])

write("tiny-images-idx3-ubyte", images)
write("tiny-labels-idx1-ubyte", labels)
write_gzip("tiny-images-idx3-ubyte.gz", images)
write_gzip("tiny-labels-idx1-ubyte.gz", labels)

# Two labels: a count that does not match the three images.
write("two-labels-idx1-ubyte", idx("u8", [2], [1, 2]))

# The magic number written little-endian, a classic mistake of hand-written writers.
write("wrong-magic-idx3-ubyte", struct.pack("<I", 0x00000803) + images[4:])

# Type code 0x0A is not defined by the IDX format.
write("unsupported-type-idx1", struct.pack(">BBBBi", 0, 0, 0x0A, 1, 2) + b"\x01\x02")

# The header announces 3 x 4 x 5 = 60 pixels (76 bytes in all) but the file stops after 50 bytes.
write("truncated-images-idx3-ubyte", images[:50])
write_gzip("truncated-images-idx3-ubyte.gz", images[:50])
# A whole IDX file, gzipped, then cut short: the gzip stream itself ends early.
with open("cut-gzip-images-idx3-ubyte.gz", "wb") as f:
    f.write(gzip.compress(images, mtime=0)[:30])
# Six bytes past the end that the header announces.
write("trailing-bytes-idx1-ubyte", labels + b"\x00" * 6)
# A header that stops inside its second dimension.
write("short-header-idx3-ubyte", images[:10])

# One small array of every other element type, to check big-endian decoding.
write("values-i8-idx1", idx("i8", [4], [-128, -1, 0, 127]))
write("values-i16-idx1", idx("i16", [4], [-32768, -300, 258, 32767]))
write("values-i32-idx1", idx("i32", [3], [-2_000_000, 65_536, 16_777_216]))
write("values-f32-idx2", idx("f32", [2, 3], [0.5, -1.25, 3.0e10, 1.0e-3, 0.0, -7.0]))
write("values-f64-idx1", idx("f64", [2], [0.1, -2.5e100]))
# Images stored as float32 (already scaled) and signed labels.
write("float-images-idx3", idx("f32", [1, 2, 2], [0.0, 0.25, 0.5, 1.0]))
write("negative-labels-idx1", idx("i8", [3], [1, -2, 3]))
# A gzip header followed by bytes that are not a deflate stream (block type 3 is reserved).
write("corrupt-gzip-idx1-ubyte.gz", gzip.compress(labels, mtime=0)[:10] + b"\xff" * 12)
