#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for the transformer's parts.

  * sequence cross-entropy with an ignore index: F.cross_entropy over the positions of a batch of sequences
    ([batch * steps, vocabulary] logits, [batch * steps] next-token targets) with ignore_index -100 (PyTorch's
    default) and 0 (a padding id); the mean is over the positions that are not ignored;
  * AdamW with nanoGPT's two parameter groups: weight decay on the matrices and embeddings, none on the biases and
    layer-norm weights (torch.optim.AdamW with param_groups, foreach=False);
  * causal and full multi-head self-attention as nanoGPT's CausalSelfAttention computes it without flash
    attention, from the fused projection's output qkv [batch, steps, 3 * width]: q, k, v = qkv.split(width, dim=2),
    each viewed as [batch, heads, steps, width / heads], att = softmax(q k^T / sqrt(d), masked above the diagonal
    when causal), y = att v, heads side by side again.

Same format and determinism rules as make_fixtures.py (whose JSON writer this script reuses): float64, one thread,
deterministic algorithms, a fixed seed per fixture. Each result is checked as it is written against an independent
re-implementation (loops and sums, no nn.functional on the checked path).

    /usr/bin/python3 reference/pytorch/make_transformer_fixtures.py
"""

import math
import os
import sys

sys.dont_write_bytecode = True  # importing make_fixtures must not leave a __pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import make_fixtures as mf  # noqa: E402  (sets float64, 1 thread, deterministic algorithms)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def manual_cross_entropy(logits, targets, ignore_index):
    total, count = 0.0, 0
    grad = torch.zeros_like(logits)
    kept = [row for row in range(logits.shape[0]) if int(targets[row]) != ignore_index]
    for row in kept:
        z = logits[row]
        m = max(float(v) for v in z)
        s = sum(math.exp(float(v) - m) for v in z)
        total += m + math.log(s) - float(z[int(targets[row])])
        count += 1
        for c in range(z.shape[0]):
            grad[row, c] = (math.exp(float(z[c]) - m) / s - (1.0 if c == int(targets[row]) else 0.0))
    return total / count, grad / count


def make_sequence_cross_entropy(name, seed_value, ignore_index, targets):
    mf.seed(seed_value)
    batch, steps, vocabulary = 2, 4, 5
    logits = (torch.randn(batch * steps, vocabulary) * 2.0).requires_grad_(True)
    targets = torch.tensor(targets)
    loss = F.cross_entropy(logits, targets, ignore_index=ignore_index)
    loss.backward()
    expected_loss, expected_grad = manual_cross_entropy(logits.detach(), targets, ignore_index)
    assert mf.close(loss.item(), expected_loss) and mf.close(logits.grad, expected_grad)
    ignored = int((targets == ignore_index).sum())
    mf.write_fixture(
        name,
        "F.cross_entropy(input, target, ignore_index=%d) over %d positions (a batch of %d sequences of %d steps, "
        "flattened) of %d-way logits; %d targets equal the ignore index, so their rows add nothing to the loss and get "
        "a zero gradient, and the mean divides by the %d other positions. target holds the token ids as floats. "
        "grad.input is dLoss/dinput by autograd." % (ignore_index, batch * steps, batch, steps, vocabulary, ignored,
                                                    batch * steps - ignored),
        {"loss": "cross_entropy", "ignore_index": ignore_index, "batch": batch, "steps": steps,
         "vocabulary": vocabulary, "reduction": "mean"},
        {"input": logits.detach(), "target": targets.to(torch.float64), "grad.input": logits.grad},
        {"loss": loss.item()})


def nanogpt_attention(qkv, heads, causal):
    batch, steps, three_width = qkv.shape
    width = three_width // 3
    q, k, v = qkv.split(width, dim=2)
    q = q.view(batch, steps, heads, width // heads).transpose(1, 2)
    k = k.view(batch, steps, heads, width // heads).transpose(1, 2)
    v = v.view(batch, steps, heads, width // heads).transpose(1, 2)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
    if causal:
        mask = torch.tril(torch.ones(steps, steps)).view(1, 1, steps, steps)
        att = att.masked_fill(mask == 0, float("-inf"))
    att = F.softmax(att, dim=-1)
    y = att @ v
    return y.transpose(1, 2).contiguous().view(batch, steps, width)


def manual_attention(qkv, heads, causal):
    batch, steps, three_width = qkv.shape
    width = three_width // 3
    d = width // heads
    y = torch.zeros(batch, steps, width)
    for b in range(batch):
        for h in range(heads):
            for i in range(steps):
                seen = i + 1 if causal else steps
                scores = [sum(float(qkv[b, i, h * d + c]) * float(qkv[b, j, width + h * d + c]) for c in range(d))
                          / math.sqrt(d) for j in range(seen)]
                m = max(scores)
                e = [math.exp(s - m) for s in scores]
                total = sum(e)
                for c in range(d):
                    y[b, i, h * d + c] = sum(e[j] / total * float(qkv[b, j, 2 * width + h * d + c]) for j in range(seen))
    return y


def make_attention(name, seed_value, causal):
    mf.seed(seed_value)
    batch, steps, width, heads = 2, 5, 8, 2
    qkv = (torch.randn(batch, steps, 3 * width) * 1.5).requires_grad_(True)
    output_weights = torch.randn(batch, steps, width)
    y = nanogpt_attention(qkv, heads, causal)
    assert mf.close(y.detach(), manual_attention(qkv.detach(), heads, causal))
    loss = (y * output_weights).sum()
    loss.backward()
    assert torch.autograd.gradcheck(lambda t: (nanogpt_attention(t, heads, causal) * output_weights).sum(),
                                    (qkv.detach().clone().requires_grad_(True),))
    mf.write_fixture(
        name,
        "nanoGPT's CausalSelfAttention core without flash attention (%s) on qkv [%d, %d, %d], the fused c_attn "
        "output: q, k, v = qkv.split(%d, dim=2), each viewed as [batch, %d heads, steps, %d]; att = softmax(q k^T / "
        "sqrt(%d)%s); y = att v with the heads side by side, [%d, %d, %d]. Loss: sum(output * output_weights), so "
        "grad.input is the gradient of that loss with respect to qkv."
        % ("causal" if causal else "no mask", batch, steps, 3 * width, width, heads, width // heads, width // heads,
           ", -inf above the diagonal" if causal else "", batch, steps, width),
        {"batch": batch, "steps": steps, "width": width, "heads": heads, "causal": causal},
        {"input": qkv.detach(), "output": y.detach(), "output_weights": output_weights, "grad.input": qkv.grad},
        {"loss": loss.item()})


def make_adamw_groups():
    mf.seed(8005)
    shapes = {"wte.weight": (5, 3), "ln.weight": (3,), "c_fc.weight": (4, 3), "c_fc.bias": (4,)}
    start = {name: torch.randn(*shape) for name, shape in shapes.items()}
    steps = 6
    grads = {name: torch.randn(steps, *shape) for name, shape in shapes.items()}
    params = {name: value.clone().requires_grad_(True) for name, value in start.items()}
    decay = [params[name] for name in shapes if len(shapes[name]) >= 2]
    no_decay = [params[name] for name in shapes if len(shapes[name]) < 2]
    lr, betas, eps, weight_decay = 0.01, (0.9, 0.99), 1e-8, 0.1
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=lr, betas=betas, eps=eps, foreach=False)
    for t in range(steps):
        for name in shapes:
            params[name].grad = grads[name][t].clone()
        optimizer.step()

    # The same by hand: AdamW's decoupled decay only where the group has it.
    for name in shapes:
        p, m, v = start[name].clone(), torch.zeros(shapes[name]), torch.zeros(shapes[name])
        wd = weight_decay if len(shapes[name]) >= 2 else 0.0
        for t in range(steps):
            g = grads[name][t]
            p = p * (1 - lr * wd)
            m = betas[0] * m + (1 - betas[0]) * g
            v = betas[1] * v + (1 - betas[1]) * g * g
            denom = (v.sqrt() / math.sqrt(1 - betas[1] ** (t + 1))) + eps
            p = p - (lr / (1 - betas[0] ** (t + 1))) * m / denom
        assert mf.close(p, params[name].detach()), name

    # One flat buffer in state_dict order, as a network holds its parameters.
    order = list(shapes)
    flat = lambda tensors: torch.cat([tensors[name].reshape(-1) for name in order])
    mf.write_fixture(
        "adamw_param_groups",
        "torch.optim.AdamW(lr=%g, betas=%r, eps=%g) with nanoGPT's two parameter groups: weight_decay %g on the "
        "tensors of two or more dimensions (wte.weight [5,3], c_fc.weight [4,3]), 0 on the others (ln.weight [3], "
        "c_fc.bias [4]); %d steps with recorded gradients. The tensors are laid out one after another in the order "
        "wte.weight, ln.weight, c_fc.weight, c_fc.bias (offsets 0, 15, 18, 30; 34 values): p0 the start, grads [steps, "
        "34] each step's gradient, params the values after the last step." % (lr, betas, eps, weight_decay, steps),
        {"optimizer": "AdamW", "lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay,
         "steps": steps, "decayed": ["wte.weight", "c_fc.weight"], "offsets": [0, 15, 18, 30]},
        {"p0": flat(start), "grads": torch.stack([flat({name: grads[name][t] for name in order}) for t in range(steps)]),
         "params": flat({name: params[name].detach() for name in order})},
        {})


def main():
    make_sequence_cross_entropy("sequence_cross_entropy_ignore_default", 8001, -100, [1, 4, -100, 0, 2, -100, 3, 3])
    make_sequence_cross_entropy("sequence_cross_entropy_ignore_padding", 8002, 0, [2, 1, 4, 0, 3, 0, 0, 1])
    make_attention("attention_causal", 8003, True)
    make_attention("attention_full", 8004, False)
    make_adamw_groups()


if __name__ == "__main__":
    main()
