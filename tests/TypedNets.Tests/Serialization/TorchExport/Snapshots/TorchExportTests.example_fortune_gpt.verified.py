"""FortuneGpt, exported from TypedNets by TorchExport.

Load it with:

    from model import FortuneGpt
    model = FortuneGpt().load_weights("model.safetensors").eval()

The state_dict has TypedNets' names and shapes; in eval mode forward(x) returns what TypedNets' Predict returns.
load_weights and save_weights read and write safetensors files with torch alone (no safetensors package needed).
"""

import json
import math
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


def _self_attention(qkv, heads, causal, dropout, training):
    """GPT-2's attention on the fused projection [batch, steps, 3 * width] (query, key and value side by side, the
    heads side by side within each): softmax(Q K^T / sqrt(head width), causally masked) V, the heads joined again."""
    batch, steps, fused = qkv.shape
    width = fused // 3
    q, k, v = (part.reshape(batch, steps, heads, width // heads).transpose(1, 2) for part in qkv.split(width, dim=2))
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(width // heads)
    if causal:
        future = torch.ones(steps, steps, dtype=torch.bool, device=qkv.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
    weights = F.dropout(torch.softmax(scores, dim=-1), dropout, training)
    return (weights @ v).transpose(1, 2).reshape(batch, steps, width)


class FortuneGpt(nn.Module):
    """TypedNets' FortuneGpt: token ids [batch, 64], output [batch, 64, 113]."""

    input_shape = (64,)
    output_shape = (64, 113)
    token_input = True

    def __init__(self):
        super().__init__()
        self.transformer = nn.Module()
        self.transformer.wte = nn.Embedding(113, 128)
        self.transformer.wpe = nn.Embedding(64, 128)
        self.transformer.h = nn.ModuleList(nn.Module() for _ in range(4))
        self.transformer.h[0].ln_1 = nn.LayerNorm(128, eps=1e-05)
        self.transformer.h[0].attn = nn.Module()
        self.transformer.h[0].attn.c_attn = nn.Linear(128, 384)
        self.transformer.h[0].attn.c_proj = nn.Linear(128, 128)
        self.transformer.h[0].ln_2 = nn.LayerNorm(128, eps=1e-05)
        self.transformer.h[0].mlp = nn.Module()
        self.transformer.h[0].mlp.c_fc = nn.Linear(128, 512)
        self.transformer.h[0].mlp.c_proj = nn.Linear(512, 128)
        self.transformer.h[1].ln_1 = nn.LayerNorm(128, eps=1e-05)
        self.transformer.h[1].attn = nn.Module()
        self.transformer.h[1].attn.c_attn = nn.Linear(128, 384)
        self.transformer.h[1].attn.c_proj = nn.Linear(128, 128)
        self.transformer.h[1].ln_2 = nn.LayerNorm(128, eps=1e-05)
        self.transformer.h[1].mlp = nn.Module()
        self.transformer.h[1].mlp.c_fc = nn.Linear(128, 512)
        self.transformer.h[1].mlp.c_proj = nn.Linear(512, 128)
        self.transformer.h[2].ln_1 = nn.LayerNorm(128, eps=1e-05)
        self.transformer.h[2].attn = nn.Module()
        self.transformer.h[2].attn.c_attn = nn.Linear(128, 384)
        self.transformer.h[2].attn.c_proj = nn.Linear(128, 128)
        self.transformer.h[2].ln_2 = nn.LayerNorm(128, eps=1e-05)
        self.transformer.h[2].mlp = nn.Module()
        self.transformer.h[2].mlp.c_fc = nn.Linear(128, 512)
        self.transformer.h[2].mlp.c_proj = nn.Linear(512, 128)
        self.transformer.h[3].ln_1 = nn.LayerNorm(128, eps=1e-05)
        self.transformer.h[3].attn = nn.Module()
        self.transformer.h[3].attn.c_attn = nn.Linear(128, 384)
        self.transformer.h[3].attn.c_proj = nn.Linear(128, 128)
        self.transformer.h[3].ln_2 = nn.LayerNorm(128, eps=1e-05)
        self.transformer.h[3].mlp = nn.Module()
        self.transformer.h[3].mlp.c_fc = nn.Linear(128, 512)
        self.transformer.h[3].mlp.c_proj = nn.Linear(512, 128)
        self.transformer.ln_f = nn.LayerNorm(128, eps=1e-05)

    def forward(self, x):
        return self.logits(x)

    def logits(self, x):
        """The output before the last layer's activation (Identity): the input of PyTorch's losses on logits."""
        x = self.transformer.wte(x.long())  # transformer.wte: Embedding -> (64, 128)
        transformer_wpe = x + self.transformer.wpe.weight[:64]  # transformer.wpe: PositionEmbedding -> (64, 128)
        x = self.transformer.h[0].ln_1(transformer_wpe)  # transformer.h.0.ln_1: LayerNorm -> (64, 128)
        x = self.transformer.h[0].attn.c_attn(x)  # transformer.h.0.attn.c_attn: Dense -> (64, 384)
        x = _self_attention(x, heads=4, causal=True, dropout=0.0, training=self.training)  # transformer.h.0.attn.attention: SelfAttention -> (64, 128)
        x = self.transformer.h[0].attn.c_proj(x)  # transformer.h.0.attn.c_proj: Dense -> (64, 128)
        transformer_h_0_attention_residual = x + transformer_wpe  # transformer.h.0.attention_residual: Add -> (64, 128)
        x = self.transformer.h[0].ln_2(transformer_h_0_attention_residual)  # transformer.h.0.ln_2: LayerNorm -> (64, 128)
        x = self.transformer.h[0].mlp.c_fc(x)  # transformer.h.0.mlp.c_fc: Dense -> (64, 512)
        x = F.gelu(x)
        x = self.transformer.h[0].mlp.c_proj(x)  # transformer.h.0.mlp.c_proj: Dense -> (64, 128)
        transformer_h_0_mlp_residual = x + transformer_h_0_attention_residual  # transformer.h.0.mlp_residual: Add -> (64, 128)
        x = self.transformer.h[1].ln_1(transformer_h_0_mlp_residual)  # transformer.h.1.ln_1: LayerNorm -> (64, 128)
        x = self.transformer.h[1].attn.c_attn(x)  # transformer.h.1.attn.c_attn: Dense -> (64, 384)
        x = _self_attention(x, heads=4, causal=True, dropout=0.0, training=self.training)  # transformer.h.1.attn.attention: SelfAttention -> (64, 128)
        x = self.transformer.h[1].attn.c_proj(x)  # transformer.h.1.attn.c_proj: Dense -> (64, 128)
        transformer_h_1_attention_residual = x + transformer_h_0_mlp_residual  # transformer.h.1.attention_residual: Add -> (64, 128)
        x = self.transformer.h[1].ln_2(transformer_h_1_attention_residual)  # transformer.h.1.ln_2: LayerNorm -> (64, 128)
        x = self.transformer.h[1].mlp.c_fc(x)  # transformer.h.1.mlp.c_fc: Dense -> (64, 512)
        x = F.gelu(x)
        x = self.transformer.h[1].mlp.c_proj(x)  # transformer.h.1.mlp.c_proj: Dense -> (64, 128)
        transformer_h_1_mlp_residual = x + transformer_h_1_attention_residual  # transformer.h.1.mlp_residual: Add -> (64, 128)
        x = self.transformer.h[2].ln_1(transformer_h_1_mlp_residual)  # transformer.h.2.ln_1: LayerNorm -> (64, 128)
        x = self.transformer.h[2].attn.c_attn(x)  # transformer.h.2.attn.c_attn: Dense -> (64, 384)
        x = _self_attention(x, heads=4, causal=True, dropout=0.0, training=self.training)  # transformer.h.2.attn.attention: SelfAttention -> (64, 128)
        x = self.transformer.h[2].attn.c_proj(x)  # transformer.h.2.attn.c_proj: Dense -> (64, 128)
        transformer_h_2_attention_residual = x + transformer_h_1_mlp_residual  # transformer.h.2.attention_residual: Add -> (64, 128)
        x = self.transformer.h[2].ln_2(transformer_h_2_attention_residual)  # transformer.h.2.ln_2: LayerNorm -> (64, 128)
        x = self.transformer.h[2].mlp.c_fc(x)  # transformer.h.2.mlp.c_fc: Dense -> (64, 512)
        x = F.gelu(x)
        x = self.transformer.h[2].mlp.c_proj(x)  # transformer.h.2.mlp.c_proj: Dense -> (64, 128)
        transformer_h_2_mlp_residual = x + transformer_h_2_attention_residual  # transformer.h.2.mlp_residual: Add -> (64, 128)
        x = self.transformer.h[3].ln_1(transformer_h_2_mlp_residual)  # transformer.h.3.ln_1: LayerNorm -> (64, 128)
        x = self.transformer.h[3].attn.c_attn(x)  # transformer.h.3.attn.c_attn: Dense -> (64, 384)
        x = _self_attention(x, heads=4, causal=True, dropout=0.0, training=self.training)  # transformer.h.3.attn.attention: SelfAttention -> (64, 128)
        x = self.transformer.h[3].attn.c_proj(x)  # transformer.h.3.attn.c_proj: Dense -> (64, 128)
        transformer_h_3_attention_residual = x + transformer_h_2_mlp_residual  # transformer.h.3.attention_residual: Add -> (64, 128)
        x = self.transformer.h[3].ln_2(transformer_h_3_attention_residual)  # transformer.h.3.ln_2: LayerNorm -> (64, 128)
        x = self.transformer.h[3].mlp.c_fc(x)  # transformer.h.3.mlp.c_fc: Dense -> (64, 512)
        x = F.gelu(x)
        x = self.transformer.h[3].mlp.c_proj(x)  # transformer.h.3.mlp.c_proj: Dense -> (64, 128)
        x = x + transformer_h_3_attention_residual  # transformer.h.3.mlp_residual: Add -> (64, 128)
        x = self.transformer.ln_f(x)  # transformer.ln_f: LayerNorm -> (64, 128)
        x = F.linear(x, self.transformer.wte.weight)  # lm_head: Dense -> (64, 113)
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


MODEL = FortuneGpt
