#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures of nn.MultiheadAttention for TypedNets' name mapping
(AttentionNames.FromMultiheadAttention): a tiny model

    tokens = nn.Embedding(7, 8)
    attn   = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)   # self-attention
    head   = nn.Linear(8, 4)                                                    # on every position

run causal (attn_mask = torch.triu(torch.ones(T, T), 1).bool(), True = may not attend) and not causal. For each,
tests/Fixtures/pytorch/<name>.json holds its state_dict under PyTorch's names (tokens.weight, attn.in_proj_weight,
attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias, head.weight, head.bias), a batch of token ids, the
outputs [batch, T, 4], targets, the cross-entropy loss over every position and the gradient of every state_dict
tensor; tests/Fixtures/pytorch/<name>.safetensors holds the same state_dict as PyTorch names it, as F32.

The weights are drawn, rounded to float32 and then used in float64, so the F32 file holds them exactly and a network
that runs in double can be held to float64 precision. in_proj_bias and out_proj.bias start at zero in PyTorch; they
are drawn here so that they count.

Before anything is written, the script checks the claims the mapping rests on against nn.MultiheadAttention itself
(torch 1.13, whose MultiheadAttention has no is_causal argument; the boolean triu mask is its causal form):

- in_proj_weight [3C, C] holds W_q, W_k, W_v stacked by rows (q first), in_proj_bias [3C] likewise, so that
  x @ in_proj_weight.T + in_proj_bias is GPT-2's c_attn output, whose columns are q | k | v;
- each of q, k and v is split into heads by contiguous chunks of C / heads columns (head h is columns h*d..(h+1)*d);
- the scores are scaled by 1 / sqrt(d), d = C / heads, and a masked score is left out of the softmax;
- the heads are concatenated in order and out_proj is an ordinary Linear(C, C): GPT-2's c_proj.

That is, the fixtures' outputs are computed twice, by nn.MultiheadAttention and by GPT-2's formulation written out,
and must agree to 1e-12.

    /usr/bin/python3 reference/pytorch/make_mha_fixtures.py
"""

import math
import os
import sys

sys.dont_write_bytecode = True  # importing the other scripts must not leave a __pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import make_fixtures as mf  # noqa: E402  (sets float64, 1 thread, deterministic algorithms)
import safetensors_io  # noqa: E402

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

VOCABULARY, WIDTH, HEADS, CLASSES, BATCH, STEPS = 7, 8, 2, 4, 3, 5


class TinyMha(nn.Module):
    def __init__(self, causal):
        super().__init__()
        self.causal = causal
        self.tokens = nn.Embedding(VOCABULARY, WIDTH)
        self.attn = nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
        self.head = nn.Linear(WIDTH, CLASSES)

    def mask(self, steps):
        return torch.triu(torch.ones(steps, steps), 1).bool() if self.causal else None

    def forward(self, ids):
        x = self.tokens(ids)
        y, _ = self.attn(x, x, x, attn_mask=self.mask(ids.shape[1]), need_weights=False)
        return self.head(y)


def gpt2_attention(x, c_attn_weight, c_attn_bias, c_proj_weight, c_proj_bias, causal):
    """GPT-2's / nanoGPT's CausalSelfAttention written out: one fused projection, q | k | v by columns, heads by
    contiguous chunks, scale 1/sqrt(d); TypedNets' Dense(3C) -> SelfAttention(heads) -> Dense(C)."""
    batch, steps, width = x.shape
    d = width // HEADS
    q, k, v = (x @ c_attn_weight.T + c_attn_bias).split(width, dim=2)
    q, k, v = (t.view(batch, steps, HEADS, d).transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    if causal:
        scores = scores.masked_fill(torch.triu(torch.ones(steps, steps), 1).bool(), float("-inf"))
    y = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(batch, steps, width)
    return y @ c_proj_weight.T + c_proj_bias


def make(name, causal, seed):
    mf.seed(seed)
    model = TinyMha(causal)
    with torch.no_grad():
        for key, parameter in model.named_parameters():
            if key.endswith("bias"):
                parameter.copy_(0.1 * torch.randn_like(parameter))
            # Exactly representable in float32, so the F32 file holds the very weights the outputs come from.
            parameter.copy_(parameter.to(torch.float32).to(torch.float64))
    state = {key: value.detach().clone() for key, value in model.state_dict().items()}
    assert list(state) == ["tokens.weight", "attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight",
                           "attn.out_proj.bias", "head.weight", "head.bias"], list(state)
    assert state["attn.in_proj_weight"].shape == (3 * WIDTH, WIDTH)

    ids = torch.randint(VOCABULARY, (BATCH, STEPS))
    targets = torch.randint(CLASSES, (BATCH, STEPS))
    output = model(ids)

    # The mapping's claim: the same numbers through GPT-2's formulation give the same output.
    with torch.no_grad():
        x = model.tokens(ids)
        gpt2 = gpt2_attention(x, state["attn.in_proj_weight"], state["attn.in_proj_bias"],
                              state["attn.out_proj.weight"], state["attn.out_proj.bias"], causal)
        assert mf.close(output, gpt2 @ state["head.weight"].T + state["head.bias"]), name
        # Causality is real: changing the last token changes only the last position's output.
        changed = ids.clone()
        changed[:, -1] = (changed[:, -1] + 1) % VOCABULARY
        moved = (model(changed) - output).abs().amax(dim=2) > 1e-9
        assert moved[:, -1].all()
        assert bool(moved[:, :-1].any()) != causal, name

    loss = F.cross_entropy(output.reshape(-1, CLASSES), targets.reshape(-1))
    model.zero_grad()
    loss.backward()
    grads = {"grad." + key: parameter.grad.detach().clone() for key, parameter in model.named_parameters()}

    path = os.path.join(mf.OUT_DIR, name + ".safetensors")
    safetensors_io.save(path, state, "F32", metadata={"format": "pt"})
    stored, _, _ = safetensors_io.load(path)
    assert list(stored) == list(state)
    for key in state:
        assert torch.equal(stored[key].to(torch.float64), state[key]), key

    tensors = dict(state)
    tensors.update({"input": ids.to(torch.float64), "target": targets.to(torch.float64), "output": output.detach()})
    tensors.update(grads)
    mask = ("attn_mask = torch.triu(torch.ones(T, T), 1).bool() (True: may not attend), PyTorch 1.13's causal form"
            if causal else "no mask (every position attends to every position)")
    mf.write_fixture(
        name,
        "TinyMha: tokens = nn.Embedding(%d, %d), attn = nn.MultiheadAttention(embed_dim=%d, num_heads=%d, "
        "batch_first=True) as self-attention (query = key = value), %s, head = nn.Linear(%d, %d) on every position. "
        "Weights drawn (biases as 0.1 N(0, 1)), rounded to float32 and used in float64; the state_dict is under "
        "PyTorch's names and also in %s.safetensors (F32, state_dict order). input [%d, %d] token ids; output "
        "[%d, %d, %d]; target [%d, %d] class ids; loss = F.cross_entropy over all %d positions; grad.<name> for every "
        "parameter. The output was checked against GPT-2's attention written out (one fused projection in_proj, "
        "q | k | v by rows, heads by contiguous chunks, scale 1/sqrt(d)) to 1e-12."
        % (VOCABULARY, WIDTH, WIDTH, HEADS, mask, WIDTH, CLASSES, name, BATCH, STEPS, BATCH, STEPS, CLASSES, BATCH,
           STEPS, BATCH * STEPS),
        {"vocabulary": VOCABULARY, "width": WIDTH, "heads": HEADS, "classes": CLASSES, "batch": BATCH,
         "steps": STEPS, "causal": causal, "file": name + ".safetensors"},
        tensors,
        {"loss": loss.item()})
    print(os.path.relpath(path, mf.REPO_ROOT))


if __name__ == "__main__":
    make("mha_causal", True, 8201)
    make("mha_full", False, 8202)
