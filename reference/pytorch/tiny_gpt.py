#!/usr/bin/env python3
"""The PyTorch twin of examples/TinyGpt: a character-level GPT on every quote of Debian's fortunes package, with
nanoGPT's CPU "baby" settings, so that the C# example's losses have figures to stand beside.

  * text: the categories listed in data/fortunes/CATEGORIES (scripts/fetch-fortunes.sh), in that order, each read
    as TypedNets' FortuneFile.Read reads it (entries between lines that are exactly '%', lines joined with '\\n',
    each entry stripped, empty entries dropped), all quotes joined with a blank line ('\\n\\n');
  * tokens: the text's distinct characters sorted by code point, one id each; the first 90% of the characters train,
    the last 10% validate (nanoGPT's shakespeare_char split);
  * model: GPT-2's layout as nanoGPT writes it, with its state_dict names: token and position embeddings
    (transformer.wte, transformer.wpe), n_layer blocks transformer.h.N of x + attn(ln_1(x)) and x + mlp(ln_2(x)),
    attention with one fused projection attn.c_attn (query, key, value side by side) and attn.c_proj, causal, the
    MLP mlp.c_fc (4 x width) -> GELU (exact) -> mlp.c_proj, a final transformer.ln_f and lm_head tied to wte;
    biases in the linear layers and layer norms (GPT-2's bias=True); GPT-2's initialisation (normal(0, 0.02),
    c_proj weights normal(0, 0.02 / sqrt(2 n_layer)), zero biases);
  * training: nanoGPT's train.py with the CPU command of its README: batch 12 of 64 characters drawn at random
    offsets, 4 layers, 4 heads, width 128, dropout 0, 2000 iterations; AdamW(betas 0.9, 0.99, weight decay 0.1 on
    the matrices and embeddings only), learning rate 1e-3 warmed up linearly over 100 iterations and decayed by a
    cosine to 1e-4 at iteration 2000, gradients clipped to norm 1; every 100 iterations (and at the end) the mean loss
    of 20 random batches of each split.

The batches, initial weights and evaluation batches come from PyTorch's generator, so they are not TypedNets'; the
figures are the same recipe run elsewhere, not a bit-for-bit replay.

    /usr/bin/python3 reference/pytorch/tiny_gpt.py [--iterations 2000] [--threads 1]

Writes examples/TinyGpt/pytorch_tiny_gpt.json (settings, losses every 100 iterations, seconds per iteration, three
samples).
"""

import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA_DIR = os.path.join(REPO_ROOT, "data", "fortunes")
OUT_PATH = os.path.join(REPO_ROOT, "examples", "TinyGpt", "pytorch_tiny_gpt.json")


def read_quotes(path):
    """The quotes of one fortune file, as FortuneFile.Read gives them."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().replace("\r\n", "\n").replace("\r", "\n").split("\n")
    quotes, entry = [], []
    for line in lines:
        if line == "%":
            quotes.append("\n".join(entry).strip())
            entry = []
        else:
            entry.append(line)
    quotes.append("\n".join(entry).strip())
    return [quote for quote in quotes if quote]


def read_text():
    with open(os.path.join(DATA_DIR, "CATEGORIES"), encoding="utf-8") as f:
        categories = [line.strip() for line in f if line.strip()]
    quotes = []
    for category in categories:
        quotes += read_quotes(os.path.join(DATA_DIR, category))
    return "\n\n".join(quotes), len(quotes), categories


class SelfAttention(nn.Module):
    def __init__(self, width, heads, dropout):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x):
        batch, steps, width = x.shape
        q, k, v = self.c_attn(x).split(width, dim=2)
        q, k, v = (t.view(batch, steps, self.heads, width // self.heads).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(width // self.heads)
        causal = torch.ones(steps, steps, dtype=torch.bool, device=x.device).tril()
        weights = self.attn_dropout(F.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1))
        y = (weights @ v).transpose(1, 2).contiguous().view(batch, steps, width)
        return self.resid_dropout(self.c_proj(y))


class Mlp(nn.Module):
    def __init__(self, width, dropout):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width)
        self.c_proj = nn.Linear(4 * width, width)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, width, heads, dropout):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads, dropout)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = Mlp(width, dropout)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self, vocabulary, context, layers, heads, width, dropout):
        super().__init__()
        self.context = context
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocabulary, width),
            wpe=nn.Embedding(context, width),
            drop=nn.Dropout(dropout),
            h=nn.ModuleList([Block(width, heads, dropout) for _ in range(layers)]),
            ln_f=nn.LayerNorm(width),
        ))
        self.lm_head = nn.Linear(width, vocabulary, bias=False)
        self.lm_head.weight = self.transformer.wte.weight
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(parameter, 0.0, 0.02 / math.sqrt(2 * layers))
            elif parameter.dim() == 2:
                nn.init.normal_(parameter, 0.0, 0.02)
            elif name.endswith(".bias"):
                nn.init.zeros_(parameter)

    def forward(self, ids, targets=None):
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.transformer.drop(self.transformer.wte(ids) + self.transformer.wpe(positions))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        # Targets of -1 are left out, as nanoGPT's ignore_index=-1 (padding past the end of a sequence).
        loss = None if targets is None else F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1), ignore_index=-1)
        return logits, loss

    @torch.no_grad()
    def generate(self, ids, new_tokens, temperature, top_k, generator):
        for _ in range(new_tokens):
            logits, _ = self(ids[:, -self.context:])
            logits = logits[:, -1, :] / temperature
            if top_k:
                kth = torch.topk(logits, top_k).values[:, [-1]]
                logits[logits < kth] = float("-inf")
            ids = torch.cat((ids, torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)), dim=1)
        return ids


def learning_rate(iteration, args):
    if iteration < args.warmup:
        return args.lr * (iteration + 1) / (args.warmup + 1)
    if iteration > args.iterations:
        return args.min_lr
    ratio = (iteration - args.warmup) / (args.iterations - args.warmup)
    return args.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (args.lr - args.min_lr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--min-lr", type=float, default=1e-4)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--eval-interval", type=int, default=100)
    parser.add_argument("--eval-batches", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    text, quote_count, categories = read_text()
    alphabet = sorted(set(text))
    index = {c: i for i, c in enumerate(alphabet)}
    data = torch.tensor([index[c] for c in text], dtype=torch.long)
    cut = int(0.9 * len(data))
    splits = {"train": data[:cut], "val": data[cut:]}

    def batch(split):
        source = splits[split]
        starts = torch.randint(len(source) - args.context, (args.batch,))
        x = torch.stack([source[s:s + args.context] for s in starts])
        y = torch.stack([source[s + 1:s + 1 + args.context] for s in starts])
        return x, y

    model = Gpt(len(alphabet), args.context, args.layers, args.heads, args.width, args.dropout)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.99))

    @torch.no_grad()
    def estimate():
        model.eval()
        result = {}
        for split in ("train", "val"):
            result[split] = sum(model(*batch(split))[1].item() for _ in range(args.eval_batches)) / args.eval_batches
        model.train()
        return result

    history = []
    clock = time.time()
    training_seconds = 0.0
    for iteration in range(args.iterations + 1):
        if iteration % args.eval_interval == 0 or iteration == args.iterations:
            losses = estimate()
            history.append({"iteration": iteration, "train_loss": round(losses["train"], 4),
                            "val_loss": round(losses["val"], 4)})
            print(json.dumps(history[-1]), flush=True)
        if iteration == args.iterations:
            break
        start = time.time()
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(iteration, args)
        x, y = batch("train")
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        training_seconds += time.time() - start

    model.eval()
    generator = torch.Generator().manual_seed(args.seed)
    samples = []
    for _ in range(3):
        ids = model.generate(torch.tensor([[index["\n"]]]), 200, 0.8, 40, generator)
        samples.append("".join(alphabet[i] for i in ids[0, 1:].tolist()))

    result = {
        "network": "GPT(layers=%d, heads=%d, width=%d, context=%d, vocabulary=%d)" % (
            args.layers, args.heads, args.width, args.context, len(alphabet)),
        "parameters": sum(p.numel() for p in model.parameters()),
        "text": {"categories": len(categories), "quotes": quote_count, "characters": len(text),
                 "train_characters": cut, "validation_characters": len(text) - cut},
        "settings": {"iterations": args.iterations, "batch": args.batch, "context": args.context,
                     "dropout": args.dropout, "optimizer": "AdamW(betas 0.9, 0.99; weight decay 0.1 on matrices)",
                     "learning_rate": "%g warmed up over %d, cosine to %g" % (args.lr, args.warmup, args.min_lr),
                     "grad_clip": 1.0, "seed": args.seed, "threads": args.threads},
        "torch": torch.__version__,
        "final_train_loss": history[-1]["train_loss"],
        "final_val_loss": history[-1]["val_loss"],
        "milliseconds_per_iteration": round(1000 * training_seconds / args.iterations, 1),
        "seconds_in_all": round(time.time() - clock, 1),
        "losses": history,
        "samples": samples,
    }
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    with open(OUT_PATH, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print("validation loss %.4f after %d iterations" % (result["final_val_loss"], args.iterations))


if __name__ == "__main__":
    main()
