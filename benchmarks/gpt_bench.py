"""The GPT cases of the speed suite, in PyTorch (pytorch_bench.py runs them with the others, on one thread).

(f) a training step of nanoGPT's CPU "baby" model (reference/pytorch/tiny_gpt.py: 113 characters, context 64, 4 layers,
    4 heads, width 128, MLP 512, biases, tied head, exact GELU, no dropout) on a batch of 12 x 64: set_to_none
    zero_grad, forward, cross-entropy over every position, backward, clip_grad_norm_(1.0), AdamW (betas 0.9, 0.99,
    weight decay 0.1 on the matrices and embeddings only), as tiny_gpt.py's loop;
(g) greedy generation with an explicit key/value cache, one position a step under inference_mode, from a one-token
    prompt until the context is full (context - 1 new tokens), at the baby shape and at llama2.c's "stories15M" shape
    (32,000 tokens, context 256, 6 layers, 6 heads, width 288, MLP 768) in GPT-2's layout with random weights; before
    timing, each model's cache path is held to its full forward pass at 20 positions (check_decode).

Each case also carries the figures the .NET suite checks its own against and turns times into rates with:
parameters, matrix-product flops of a training step, and float32 weight bytes a decode step reads.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

BABY = dict(vocabulary=113, context=64, layers=4, heads=4, width=128, hidden=512)
STORIES15M = dict(vocabulary=32000, context=256, layers=6, heads=6, width=288, hidden=768)
BATCH = 12


class Block(nn.Module):
    """x + attn(ln_1(x)), then x + mlp(ln_2(x)), with nanoGPT's names."""

    def __init__(self, width, heads, hidden):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(width)
        self.c_attn = nn.Linear(width, 3 * width)
        self.attn_proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.c_fc = nn.Linear(width, hidden)
        self.mlp_proj = nn.Linear(hidden, width)

    def forward(self, x):
        batch, steps, width = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(width, dim=2)
        q, k, v = (t.view(batch, steps, self.heads, width // self.heads).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(width // self.heads)
        causal = torch.ones(steps, steps, dtype=torch.bool).tril()
        y = (F.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1) @ v).transpose(1, 2).reshape(batch, steps, width)
        x = x + self.attn_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))

    def decode(self, x, position, keys, values):
        """One position [1, width] against this layer's cache [heads, context, d], which gains its key and value."""
        width = x.shape[1]
        d = width // self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(width, dim=1)
        keys[:, position] = k.view(self.heads, d)
        values[:, position] = v.view(self.heads, d)
        scores = (q.view(self.heads, 1, d) @ keys[:, :position + 1].transpose(1, 2)) / math.sqrt(d)
        y = (F.softmax(scores, dim=-1) @ values[:, :position + 1]).view(1, width)
        x = x + self.attn_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class Gpt(nn.Module):
    """GPT-2's layout as in tiny_gpt.py, with the MLP's width a setting (stories15M's is 768, not 4 x 288)."""

    def __init__(self, vocabulary, context, layers, heads, width, hidden):
        super().__init__()
        self.context, self.heads, self.width = context, heads, width
        self.wte = nn.Embedding(vocabulary, width)
        self.wpe = nn.Embedding(context, width)
        self.h = nn.ModuleList([Block(width, heads, hidden) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width)
        self.lm_head = nn.Linear(width, vocabulary, bias=False)
        self.lm_head.weight = self.wte.weight
        for name, parameter in self.named_parameters():
            if name.endswith("proj.weight"):
                nn.init.normal_(parameter, 0.0, 0.02 / math.sqrt(2 * layers))
            elif parameter.dim() == 2:
                nn.init.normal_(parameter, 0.0, 0.02)
            elif name.endswith(".bias"):
                nn.init.zeros_(parameter)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))

    def generate(self, first, new_tokens):
        """Greedy decoding from one token with a key/value cache per layer; returns the new tokens."""
        d = self.width // self.heads
        caches = [(torch.empty(self.heads, self.context, d), torch.empty(self.heads, self.context, d)) for _ in self.h]
        token, tokens = first, []
        for position in range(new_tokens):
            x = self.wte.weight[token].view(1, -1) + self.wpe.weight[position].view(1, -1)
            for block, (keys, values) in zip(self.h, caches):
                x = block.decode(x, position, keys, values)
            token = int(torch.argmax(self.lm_head(self.ln_f(x))))
            tokens.append(token)
        return tokens


def check_decode(model, steps=20):
    """The key/value-cache path gives the full forward pass's logits at every position; raises when it does not."""
    generator = torch.Generator().manual_seed(2)
    ids = torch.randint(0, model.wte.num_embeddings, (1, steps), generator=generator)
    with torch.inference_mode():
        full = model(ids)[0]
        d = model.width // model.heads
        caches = [(torch.empty(model.heads, model.context, d), torch.empty(model.heads, model.context, d)) for _ in model.h]
        for position in range(steps):
            x = model.wte.weight[ids[0, position]].view(1, -1) + model.wpe.weight[position].view(1, -1)
            for block, (keys, values) in zip(model.h, caches):
                x = block.decode(x, position, keys, values)
            decoded = model.lm_head(model.ln_f(x))[0]
            error = (decoded - full[position]).abs().max().item()
            if not error <= 1e-4 * (1 + full[position].abs().max().item()):
                raise AssertionError(f"decode at position {position} is off the forward pass by {error:.2e}")


def parameters(shape):
    """Parameters of the shape's GPT, the tied head counted once (as nn.Module.parameters() lists them)."""
    v, t, layers, c, hidden = shape["vocabulary"], shape["context"], shape["layers"], shape["width"], shape["hidden"]
    block = 2 * 2 * c + (c * 3 * c + 3 * c) + (c * c + c) + (c * hidden + hidden) + (hidden * c + c)
    return v * c + t * c + layers * block + 2 * c


def training_flops(shape, batch, steps):
    """
    Matrix-product flops of a training step, 2 per multiply-add, what the step must do at least:
      6 N T_all          N = layers (3c^2 + c^2 + 2 c hidden) + vocabulary c, the weights of every product (the tied
                         head's included, the embeddings' lookups not), T_all = batch steps tokens: forward, weight
                         gradient, input gradient (every product needs one: the first feeds the embeddings);
      6 layers batch c steps (steps + 1)
                         causal attention: Q K^T and P V forward, 2 c t(t+1)/2 each over positions t = 1..steps,
                         and twice that backward (dP, dV, dQ, dK).
    """
    c, layers = shape["width"], shape["layers"]
    n = layers * (4 * c * c + 2 * c * shape["hidden"]) + shape["vocabulary"] * c
    return 6.0 * n * batch * steps + 6.0 * layers * batch * c * steps * (steps + 1)


def weight_bytes_per_token(shape):
    """Float32 bytes a decode step must read at least: every parameter but the position table's other rows."""
    return 4 * (parameters(shape) - (shape["context"] - 1) * shape["width"])


def training_case(make_case):
    torch.manual_seed(0)
    shape = BABY
    model = Gpt(**shape).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=1e-3, betas=(0.9, 0.99))
    x = torch.randint(0, shape["vocabulary"], (BATCH, shape["context"]))
    y = torch.randint(0, shape["vocabulary"], (BATCH, shape["context"]))
    assert sum(p.numel() for p in model.parameters()) == parameters(shape)

    def step():
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss

    info = {"parameters": parameters(shape), "flops": training_flops(shape, BATCH, shape["context"]),
            "batch": BATCH, "steps": shape["context"]}
    return make_case("gpt_baby_train12", step, inference=False), info


def generation_case(make_case, key, shape):
    torch.manual_seed(1)
    model = Gpt(**shape).eval()
    assert sum(p.numel() for p in model.parameters()) == parameters(shape)
    new_tokens = shape["context"] - 1
    check_decode(model)

    def generate():
        return model.generate(1, new_tokens)

    info = {"parameters": parameters(shape), "tokens": new_tokens, "weight_bytes_per_token": weight_bytes_per_token(shape)}
    # A stories15M generation lasts seconds: five loops are enough in full mode too.
    return make_case(key, generate, inference=True, max_loops=5), info


def cases(make_case):
    """(case, figures) for each GPT case; make_case(key, function, inference=..., max_loops=...) is pytorch_bench's Case."""
    return [training_case(make_case),
            generation_case(make_case, "gpt_baby_generate", BABY),
            generation_case(make_case, "gpt15m_generate", STORIES15M)]
