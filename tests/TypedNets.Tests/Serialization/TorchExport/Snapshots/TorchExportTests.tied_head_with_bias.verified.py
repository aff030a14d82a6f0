"""TiedHeadWithBiasNet, exported from TypedNets by TorchExport.

Load it with:

    from model import TiedHeadWithBiasNet
    model = TiedHeadWithBiasNet().load_weights("model.safetensors").eval()

The state_dict has TypedNets' names and shapes; in eval mode forward(x) returns what TypedNets' Predict returns.
load_weights and save_weights read and write safetensors files with torch alone (no safetensors package needed).
"""

import json
import os
import struct

import torch
import torch.nn.functional as F
from torch import nn


def load_safetensors(path):
    """Reads a safetensors file of F32 tensors (as TypedNets writes) into a dict of tensors, with torch alone."""
    with open(path, "rb") as file:
        (header_length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(header_length))
        data = file.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(
                f"{path}: tensor {name!r} is {entry['dtype']}; this reader takes the F32 tensors TypedNets writes "
                "(an int8-quantised network is not exported)."
            )
        start, end = entry["data_offsets"]
        values = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32)
        tensors[name] = values.reshape(entry["shape"])
    return tensors


def save_safetensors(path, tensors):
    """Writes a dict of float32 tensors as a safetensors file (what SafeTensors.Load and [EmbeddedWeights] read), under a
    temporary name renamed into place, so that an interrupted save leaves the file as it was."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, tensor in tensors.items():
        if tensor.dtype != torch.float32:
            raise ValueError(f"{path}: tensor {name!r} is {tensor.dtype}; TypedNets' weights are float32")
        data = tensor.detach().contiguous().cpu().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    partial = path + ".partial"
    with open(partial, "wb") as file:
        file.write(struct.pack("<Q", len(text)))
        file.write(text)
        for blob in blobs:
            file.write(blob)
    os.replace(partial, path)


class TiedHeadWithBiasNet(nn.Module):
    """TypedNets' TiedHeadWithBiasNet: token ids [batch, 4], output [batch, 4, 9]."""

    input_shape = (4,)
    output_shape = (4, 9)
    token_input = True

    def __init__(self):
        super().__init__()
        self.tokens = nn.Embedding(9, 6)
        self.head = nn.Module()
        self.head.bias = nn.Parameter(torch.zeros(9))

    def forward(self, x):
        return self.logits(x)

    def logits(self, x):
        """The output before the last layer's activation (Identity): the input of PyTorch's losses on logits."""
        x = self.tokens(x.long())  # tokens: Embedding -> (4, 6)
        x = F.linear(x, self.tokens.weight, self.head.bias)  # head: Dense -> (4, 9)
        return x

    def load_weights(self, path):
        """Loads a safetensors file TypedNets wrote (model.safetensors), every tensor by name (strict=True); returns the module."""
        self.load_state_dict(load_safetensors(path), strict=True)
        return self

    def save_weights(self, path):
        """Writes the state_dict as a safetensors file TypedNets reads (SafeTensors.Load, [EmbeddedWeights]), atomically."""
        save_safetensors(path, self.state_dict())


MODEL = TiedHeadWithBiasNet
