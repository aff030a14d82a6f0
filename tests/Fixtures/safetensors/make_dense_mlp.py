"""Writes dense_mlp.safetensors.b64: the weights of a 128 -> 64 -> 10 MLP (tests/TypedNets.Tests,
EmbeddedInt8Tests) drawn as PyTorch's nn.Linear draws its initial weights, U(-1/sqrt(in), 1/sqrt(in)), from
Python's seeded generator, in PyTorch's state_dict names; a safetensors file (F32) in base64, 76 characters a line,
as SafeTensors.SaveBase64 writes it. Only the standard library: run it with any python3.

The network is Dense-heavy on purpose (every layer reads 64 or more inputs): what int8 quantisation saves is measured
on it. The values are not trained; the tests compare the embedded int8 network with the runtime's quantisation of
the same float weights, which holds for any values.
"""

import base64
import json
import math
import random
import struct
from pathlib import Path

generator = random.Random(2026)
layers = [("hidden", 128, 64), ("output", 64, 10)]
tensors = []
for name, inputs, outputs in layers:
    bound = 1 / math.sqrt(inputs)
    tensors.append((f"{name}.weight", [outputs, inputs], [generator.uniform(-bound, bound) for _ in range(outputs * inputs)]))
    tensors.append((f"{name}.bias", [outputs], [generator.uniform(-bound, bound) for _ in range(outputs)]))

header = {"__metadata__": {"format": "pt"}}
data = bytearray()
for name, shape, values in tensors:
    begin = len(data)
    data += struct.pack(f"<{len(values)}f", *values)
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [begin, len(data)]}

text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
file = struct.pack("<Q", len(text)) + text + bytes(data)
encoded = base64.b64encode(file).decode()
lines = [encoded[i:i + 76] for i in range(0, len(encoded), 76)]
Path(__file__).with_name("dense_mlp.safetensors.b64").write_text("\n".join(lines) + "\n")
