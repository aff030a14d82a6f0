"""Reads and writes safetensors files by hand, with struct and json.

The `safetensors` package is not in Debian 12, and the format is small enough to write out:
an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to
{"dtype", "shape", "data_offsets": [begin, end]} (plus an optional "__metadata__" object of
strings), then the data buffer; offsets are relative to the buffer's start. See
https://github.com/huggingface/safetensors. Only F32, F16 and BF16 are handled, the dtypes
TypedNets reads, and I64 for integer tensors such as BatchNorm's num_batches_tracked (which
TypedNets accepts, as an I64 scalar, and ignores).
"""

import json
import struct

import numpy as np
import torch

MAX_HEADER = 100_000_000
SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}


def tensor_bytes(t, dtype):
    """The little-endian bytes of tensor t converted (round to nearest even) to dtype."""
    t = t.detach().contiguous().cpu()
    if dtype == "F32":
        return t.to(torch.float32).numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t.to(torch.float16).numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        # numpy has no bfloat16: reinterpret the rounded bits as int16.
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    if dtype == "I64":
        return t.to(torch.int64).numpy().astype("<i8").tobytes()
    raise ValueError("unsupported dtype %r" % dtype)


def dtype_of(t, dtype):
    """The dtype a tensor is stored as: integer tensors (num_batches_tracked) as I64, floats as dtype."""
    if t.is_floating_point():
        return dtype
    if t.dtype != torch.int64:
        raise ValueError("unsupported tensor dtype %s" % t.dtype)
    return "I64"


def save(path, tensors, dtype="F32", metadata=None):
    """Writes tensors (name -> tensor, in the order given), the floating-point ones as dtype and
    the int64 ones as I64, the header padded with spaces to a multiple of 8 bytes as the reference
    implementation does."""
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        kind = dtype_of(t, dtype)
        blob = tensor_bytes(t, kind)
        header[name] = {"dtype": kind, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in header: %r" % keys)
    return dict(pairs)


def load(path):
    """Returns ({name: tensor} in header order, float32 except int64 for I64, {name: dtype},
    metadata), after checking the file as strictly as TypedNets does: header length, JSON, every
    entry, and that the tensors tile the data buffer exactly."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("%s: %d bytes, shorter than the header length field" % (path, len(data)))
    (n,) = struct.unpack_from("<Q", data)
    if not 2 <= n <= MAX_HEADER or 8 + n > len(data):
        raise ValueError("%s: header length %d does not fit a %d-byte file" % (path, n, len(data)))
    raw = data[8:8 + n]
    if raw[:1] != b"{":
        raise ValueError("%s: header does not start with '{'" % path)
    header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    metadata = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("%s: __metadata__ must map strings to strings" % path)
    buffer = data[8 + n:]
    spans = []
    tensors, dtypes = {}, {}
    for name, entry in header.items():
        if set(entry) != {"dtype", "shape", "data_offsets"}:
            raise ValueError("%s: tensor %r has fields %s" % (path, name, sorted(entry)))
        dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in SIZES:
            raise ValueError("%s: tensor %r has dtype %r" % (path, name, dtype))
        if not all(type(d) is int and d >= 0 for d in shape + [begin, end]):
            raise ValueError("%s: tensor %r has a bad shape or data_offsets" % (path, name))
        count = 1
        for d in shape:
            count *= d
        if not begin <= end <= len(buffer) or end - begin != count * SIZES[dtype]:
            raise ValueError("%s: tensor %r: data_offsets [%d, %d] do not hold %s %s in a %d-byte buffer"
                             % (path, name, begin, end, dtype, shape, len(buffer)))
        spans.append((begin, end, name))
        blob = buffer[begin:end]
        if dtype == "F32":
            t = torch.from_numpy(np.frombuffer(blob, dtype="<f4").astype(np.float32))
        elif dtype == "F16":
            t = torch.from_numpy(np.frombuffer(blob, dtype="<f2").astype(np.float16)).to(torch.float32)
        elif dtype == "I64":
            t = torch.from_numpy(np.frombuffer(blob, dtype="<i8").astype(np.int64))
        else:
            t = torch.from_numpy(np.frombuffer(blob, dtype="<i2").astype(np.int16)).view(torch.bfloat16).to(torch.float32)
        tensors[name] = t.reshape(shape)
        dtypes[name] = dtype
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise ValueError("%s: tensor %r starts at %d, not at %d" % (path, name, begin, position))
        position = end
    if position != len(buffer):
        raise ValueError("%s: tensors cover %d of %d bytes" % (path, position, len(buffer)))
    return tensors, dtypes, metadata
