"""TinyInception, exported from TypedNets by TorchExport.

Load it with:

    from model import TinyInception
    model = TinyInception().load_weights("model.safetensors").eval()

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


class BatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d without num_batches_tracked, which TypedNets does not keep (the momentum is always set, so the
    counter is never read): the state_dict holds TypedNets' names only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("num_batches_tracked", None)

    def _load_from_state_dict(self, state_dict, prefix, *args):
        # nn.BatchNorm adds a num_batches_tracked entry to a state_dict without version metadata, as a file's is.
        nn.Module._load_from_state_dict(self, state_dict, prefix, *args)


class TinyInception(nn.Module):
    """TypedNets' TinyInception: input [batch, 2, 5, 5], output [batch, 2]."""

    input_shape = (2, 5, 5)
    output_shape = (2,)
    token_input = False

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 3, 3, padding=1)
        self.branch1 = nn.Conv2d(3, 2, 1)
        self.branch2 = nn.Module()
        self.branch2.reduce = nn.Conv2d(3, 2, 1)
        self.branch2.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.norm = BatchNorm2d(8, eps=1e-05, momentum=0.1)
        self.output = nn.Linear(200, 2)

    def forward(self, x):
        return self.logits(x)

    def logits(self, x):
        """The output before the last layer's activation (Identity): the input of PyTorch's losses on logits."""
        stem = self.stem(x)  # stem: Conv2D -> (3, 5, 5)
        stem = torch.tanh(stem)
        branch1 = self.branch1(stem)  # branch1: Conv2D -> (2, 5, 5)
        x = self.branch2.reduce(stem)  # branch2.reduce: Conv2D -> (2, 5, 5)
        x = torch.tanh(x)
        branch2_conv = self.branch2.conv(x)  # branch2.conv: Conv2D -> (3, 5, 5)
        x = F.avg_pool2d(stem, 3, 1, padding=1, count_include_pad=True)  # branch3: AvgPool2D -> (3, 5, 5)
        x = torch.cat([branch1, branch2_conv, x], dim=1)  # merge: Concatenate -> (8, 5, 5)
        x = self.norm(x)  # norm: BatchNorm -> (8, 5, 5)
        x = torch.tanh(x)
        x = torch.flatten(x, 1)  # flat: Flatten -> (200,)
        x = self.output(x)  # output: Dense -> (2,)
        return x

    def load_weights(self, path):
        """Loads a safetensors file TypedNets wrote (model.safetensors), every tensor by name (strict=True); returns the module."""
        self.load_state_dict(load_safetensors(path), strict=True)
        return self

    def save_weights(self, path):
        """Writes the state_dict as a safetensors file TypedNets reads (SafeTensors.Load, [EmbeddedWeights]), atomically."""
        save_safetensors(path, self.state_dict())


MODEL = TinyInception
