"""FashionResNet, exported from TypedNets by TorchExport.

Load it with:

    from model import FashionResNet
    model = FashionResNet().load_weights("model.safetensors").eval()

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


class FashionResNet(nn.Module):
    """TypedNets' FashionResNet: input [batch, 1, 28, 28], output [batch, 10]."""

    input_shape = (1, 28, 28)
    output_shape = (10,)
    token_input = False

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = BatchNorm2d(16, eps=1e-05, momentum=0.1)
        self.layer1 = nn.ModuleList(nn.Module() for _ in range(2))
        self.layer1[0].conv1 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.layer1[0].bn1 = BatchNorm2d(16, eps=1e-05, momentum=0.1)
        self.layer1[0].conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.layer1[0].bn2 = BatchNorm2d(16, eps=1e-05, momentum=0.1)
        self.layer1[1].conv1 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.layer1[1].bn1 = BatchNorm2d(16, eps=1e-05, momentum=0.1)
        self.layer1[1].conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.layer1[1].bn2 = BatchNorm2d(16, eps=1e-05, momentum=0.1)
        self.layer2 = nn.ModuleList(nn.Module() for _ in range(2))
        self.layer2[0].conv1 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
        self.layer2[0].bn1 = BatchNorm2d(32, eps=1e-05, momentum=0.1)
        self.layer2[0].conv2 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.layer2[0].bn2 = BatchNorm2d(32, eps=1e-05, momentum=0.1)
        self.layer2[0].downsample = nn.ModuleList(nn.Module() for _ in range(2))
        self.layer2[0].downsample[0] = nn.Conv2d(16, 32, 1, stride=2, bias=False)
        self.layer2[0].downsample[1] = BatchNorm2d(32, eps=1e-05, momentum=0.1)
        self.layer2[1].conv1 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.layer2[1].bn1 = BatchNorm2d(32, eps=1e-05, momentum=0.1)
        self.layer2[1].conv2 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.layer2[1].bn2 = BatchNorm2d(32, eps=1e-05, momentum=0.1)
        self.layer3 = nn.ModuleList(nn.Module() for _ in range(2))
        self.layer3[0].conv1 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.layer3[0].bn1 = BatchNorm2d(64, eps=1e-05, momentum=0.1)
        self.layer3[0].conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.layer3[0].bn2 = BatchNorm2d(64, eps=1e-05, momentum=0.1)
        self.layer3[0].downsample = nn.ModuleList(nn.Module() for _ in range(2))
        self.layer3[0].downsample[0] = nn.Conv2d(32, 64, 1, stride=2, bias=False)
        self.layer3[0].downsample[1] = BatchNorm2d(64, eps=1e-05, momentum=0.1)
        self.layer3[1].conv1 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.layer3[1].bn1 = BatchNorm2d(64, eps=1e-05, momentum=0.1)
        self.layer3[1].conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.layer3[1].bn2 = BatchNorm2d(64, eps=1e-05, momentum=0.1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=-1)

    def logits(self, x):
        """The output before the last layer's activation (Softmax): the input of PyTorch's losses on logits."""
        x = self.conv1(x)  # conv1: Conv2D -> (16, 28, 28)
        bn1 = self.bn1(x)  # bn1: BatchNorm -> (16, 28, 28)
        bn1 = torch.relu(bn1)
        x = self.layer1[0].conv1(bn1)  # layer1.0.conv1: Conv2D -> (16, 28, 28)
        x = self.layer1[0].bn1(x)  # layer1.0.bn1: BatchNorm -> (16, 28, 28)
        x = torch.relu(x)
        x = self.layer1[0].conv2(x)  # layer1.0.conv2: Conv2D -> (16, 28, 28)
        x = self.layer1[0].bn2(x)  # layer1.0.bn2: BatchNorm -> (16, 28, 28)
        layer1_0 = x + bn1  # layer1.0: Add -> (16, 28, 28)
        layer1_0 = torch.relu(layer1_0)
        x = self.layer1[1].conv1(layer1_0)  # layer1.1.conv1: Conv2D -> (16, 28, 28)
        x = self.layer1[1].bn1(x)  # layer1.1.bn1: BatchNorm -> (16, 28, 28)
        x = torch.relu(x)
        x = self.layer1[1].conv2(x)  # layer1.1.conv2: Conv2D -> (16, 28, 28)
        x = self.layer1[1].bn2(x)  # layer1.1.bn2: BatchNorm -> (16, 28, 28)
        layer1_1 = x + layer1_0  # layer1.1: Add -> (16, 28, 28)
        layer1_1 = torch.relu(layer1_1)
        x = self.layer2[0].conv1(layer1_1)  # layer2.0.conv1: Conv2D -> (32, 14, 14)
        x = self.layer2[0].bn1(x)  # layer2.0.bn1: BatchNorm -> (32, 14, 14)
        x = torch.relu(x)
        x = self.layer2[0].conv2(x)  # layer2.0.conv2: Conv2D -> (32, 14, 14)
        layer2_0_bn2 = self.layer2[0].bn2(x)  # layer2.0.bn2: BatchNorm -> (32, 14, 14)
        x = self.layer2[0].downsample[0](layer1_1)  # layer2.0.downsample.0: Conv2D -> (32, 14, 14)
        x = self.layer2[0].downsample[1](x)  # layer2.0.downsample.1: BatchNorm -> (32, 14, 14)
        layer2_0 = layer2_0_bn2 + x  # layer2.0: Add -> (32, 14, 14)
        layer2_0 = torch.relu(layer2_0)
        x = self.layer2[1].conv1(layer2_0)  # layer2.1.conv1: Conv2D -> (32, 14, 14)
        x = self.layer2[1].bn1(x)  # layer2.1.bn1: BatchNorm -> (32, 14, 14)
        x = torch.relu(x)
        x = self.layer2[1].conv2(x)  # layer2.1.conv2: Conv2D -> (32, 14, 14)
        x = self.layer2[1].bn2(x)  # layer2.1.bn2: BatchNorm -> (32, 14, 14)
        layer2_1 = x + layer2_0  # layer2.1: Add -> (32, 14, 14)
        layer2_1 = torch.relu(layer2_1)
        x = self.layer3[0].conv1(layer2_1)  # layer3.0.conv1: Conv2D -> (64, 7, 7)
        x = self.layer3[0].bn1(x)  # layer3.0.bn1: BatchNorm -> (64, 7, 7)
        x = torch.relu(x)
        x = self.layer3[0].conv2(x)  # layer3.0.conv2: Conv2D -> (64, 7, 7)
        layer3_0_bn2 = self.layer3[0].bn2(x)  # layer3.0.bn2: BatchNorm -> (64, 7, 7)
        x = self.layer3[0].downsample[0](layer2_1)  # layer3.0.downsample.0: Conv2D -> (64, 7, 7)
        x = self.layer3[0].downsample[1](x)  # layer3.0.downsample.1: BatchNorm -> (64, 7, 7)
        layer3_0 = layer3_0_bn2 + x  # layer3.0: Add -> (64, 7, 7)
        layer3_0 = torch.relu(layer3_0)
        x = self.layer3[1].conv1(layer3_0)  # layer3.1.conv1: Conv2D -> (64, 7, 7)
        x = self.layer3[1].bn1(x)  # layer3.1.bn1: BatchNorm -> (64, 7, 7)
        x = torch.relu(x)
        x = self.layer3[1].conv2(x)  # layer3.1.conv2: Conv2D -> (64, 7, 7)
        x = self.layer3[1].bn2(x)  # layer3.1.bn2: BatchNorm -> (64, 7, 7)
        x = x + layer3_0  # layer3.1: Add -> (64, 7, 7)
        x = torch.relu(x)
        x = x.mean(dim=(2, 3))  # pool: GlobalAveragePooling2D -> (64,)
        x = self.fc(x)  # fc: Dense -> (10,)
        return x

    def loss(self, x, target):
        """The declared loss, cross-entropy from the logits, a mean over the rows (every position of a sequence);
        target holds class indices [batch, ...] or probabilities shaped as the output."""
        logits = self.logits(x)
        classes = logits.shape[-1]
        target = target.reshape(-1, classes) if target.is_floating_point() else target.reshape(-1).long()
        return F.cross_entropy(logits.reshape(-1, classes), target)

    def load_weights(self, path):
        """Loads a safetensors file TypedNets wrote (model.safetensors), every tensor by name (strict=True); returns the module."""
        self.load_state_dict(load_safetensors(path), strict=True)
        return self

    def save_weights(self, path):
        """Writes the state_dict as a safetensors file TypedNets reads (SafeTensors.Load, [EmbeddedWeights]), atomically."""
        save_safetensors(path, self.state_dict())


MODEL = FashionResNet
