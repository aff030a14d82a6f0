"""FortuneClassifier, exported from TypedNets by TorchExport.

Load it with:

    from model import FortuneClassifier
    model = FortuneClassifier().load_weights("model.safetensors").eval()

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


def _recurrent(rnn, x, mask, return_sequences):
    """nn.LSTM / nn.GRU (batch_first) as TypedNets runs it: every step's states, or the last layer's final state, both
    directions side by side (the reverse direction's after the first step); with a padding mask, see _masked_recurrent."""
    if mask is not None:
        return _masked_recurrent(rnn, x, mask, return_sequences)
    output, state = rnn(x)
    if return_sequences:
        return output
    h = state[0] if isinstance(rnn, nn.LSTM) else state
    return torch.cat([h[-2], h[-1]], dim=1) if rnn.bidirectional else h[-1]


class FortuneClassifier(nn.Module):
    """TypedNets' FortuneClassifier: token ids [batch, 100], output [batch, 2]."""

    input_shape = (100,)
    output_shape = (2,)
    token_input = True

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10000, 128)
        self.encoder = nn.LSTM(128, 64, batch_first=True)
        self.hidden = nn.Linear(64, 64)
        self.output = nn.Linear(64, 2)

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=-1)

    def logits(self, x):
        """The output before the last layer's activation (Softmax): the input of PyTorch's losses on logits."""
        x = self.embedding(x.long())  # embedding: Embedding -> (100, 128)
        x = _recurrent(self.encoder, x, None, return_sequences=False)  # encoder: LSTM -> (64,)
        x = F.dropout(x, 0.5, self.training)  # drop1: Dropout -> (64,)
        x = self.hidden(x)  # hidden: Dense -> (64,)
        x = torch.relu(x)
        x = F.dropout(x, 0.5, self.training)  # drop2: Dropout -> (64,)
        x = self.output(x)  # output: Dense -> (2,)
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


MODEL = FortuneClassifier
