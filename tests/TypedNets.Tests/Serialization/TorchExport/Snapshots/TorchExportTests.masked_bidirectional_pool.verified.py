"""MaskedBidirectionalPoolNet, exported from TypedNets by TorchExport.

Load it with:

    from model import MaskedBidirectionalPoolNet
    model = MaskedBidirectionalPoolNet().load_weights("model.safetensors").eval()

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


def _masked_mean(x, mask):
    """The mean over the steps the mask keeps; a sample whose steps are all padding pools to zeros."""
    kept = mask.unsqueeze(-1).to(x.dtype)
    return (x * kept).sum(dim=1) / kept.sum(dim=1).clamp(min=1)


def _masked_max(x, mask):
    """The maximum over the steps the mask keeps; a sample whose steps are all padding pools to zeros."""
    best = x.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
    return torch.where(mask.any(dim=1, keepdim=True), best, torch.zeros_like(best))


def _masked_recurrent(rnn, x, mask, return_sequences):
    """A padded step (mask False) keeps the state before it (zero at the first step) and outputs zeros, as TypedNets
    and Keras run a masked sequence; the reverse direction runs on the sequence and mask reversed in time. PyTorch's
    packed sequences cannot skip steps in the middle, so the steps are computed here from nn.LSTM / nn.GRU's own
    parameters, with PyTorch's gate order (LSTM i, f, g, o; GRU r, z, n)."""
    lstm = isinstance(rnn, nn.LSTM)
    keep = mask.unsqueeze(-1)
    directions = 2 if rnn.bidirectional else 1
    layer_input = x
    for k in range(rnn.num_layers):
        outputs, finals = [], []
        for d in range(directions):
            suffix = f"_l{k}" + ("_reverse" if d == 1 else "")
            w_ih, w_hh = getattr(rnn, "weight_ih" + suffix), getattr(rnn, "weight_hh" + suffix)
            b_ih, b_hh = getattr(rnn, "bias_ih" + suffix), getattr(rnn, "bias_hh" + suffix)
            sequence = layer_input.flip(1) if d == 1 else layer_input
            kept = keep.flip(1) if d == 1 else keep
            h = x.new_zeros(x.shape[0], rnn.hidden_size)
            c = torch.zeros_like(h)
            steps = []
            for t in range(sequence.shape[1]):
                gates_x = F.linear(sequence[:, t], w_ih, b_ih)
                gates_h = F.linear(h, w_hh, b_hh)
                if lstm:
                    i, f, g, o = (gates_x + gates_h).chunk(4, dim=1)
                    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    h_new = torch.sigmoid(o) * torch.tanh(c_new)
                    c = torch.where(kept[:, t], c_new, c)
                else:
                    x_r, x_z, x_n = gates_x.chunk(3, dim=1)
                    h_r, h_z, h_n = gates_h.chunk(3, dim=1)
                    r = torch.sigmoid(x_r + h_r)
                    z = torch.sigmoid(x_z + h_z)
                    n = torch.tanh(x_n + r * h_n)
                    h_new = (1 - z) * n + z * h
                h = torch.where(kept[:, t], h_new, h)
                steps.append(torch.where(kept[:, t], h, torch.zeros_like(h)))
            output = torch.stack(steps, dim=1)
            outputs.append(output.flip(1) if d == 1 else output)
            finals.append(h)
        layer_input = torch.cat(outputs, dim=2)
        if k < rnn.num_layers - 1:
            layer_input = F.dropout(layer_input, rnn.dropout, rnn.training)
    return layer_input if return_sequences else torch.cat(finals, dim=1)


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


class MaskedBidirectionalPoolNet(nn.Module):
    """TypedNets' MaskedBidirectionalPoolNet: token ids [batch, 6], output [batch, 6]."""

    input_shape = (6,)
    output_shape = (6,)
    token_input = True

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(9, 4)
        self.encoder = nn.GRU(4, 3, batch_first=True, bidirectional=True)

    def forward(self, x):
        return self.logits(x)

    def logits(self, x):
        """The output before the last layer's activation (Identity): the input of PyTorch's losses on logits."""
        mask = x != 0
        x = self.embedding(x.long())  # embedding: Embedding -> (6, 4)
        x = _recurrent(self.encoder, x, mask, return_sequences=True)  # encoder: GRU -> (6, 6)
        x = _masked_mean(x, mask)  # pool: GlobalAveragePooling1D -> (6,)
        return x

    def load_weights(self, path):
        """Loads a safetensors file TypedNets wrote (model.safetensors), every tensor by name (strict=True); returns the module."""
        self.load_state_dict(load_safetensors(path), strict=True)
        return self

    def save_weights(self, path):
        """Writes the state_dict as a safetensors file TypedNets reads (SafeTensors.Load, [EmbeddedWeights]), atomically."""
        save_safetensors(path, self.state_dict())


MODEL = MaskedBidirectionalPoolNet
