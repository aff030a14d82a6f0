#!/usr/bin/env python3
"""Writes the PyTorch reference fixture of a whole GPT: reference/pytorch/tiny_gpt.py's model (nanoGPT's layout and
state_dict names, the output projection tied to the token embedding) at a tiny size, in float64: its weights, a batch of
token ids and next-token targets (two of them -1, left out of the loss as nanoGPT's ignore_index=-1), the logits, the
loss and the gradient of every parameter, then 5 steps of AdamW with nanoGPT's two parameter groups (weight decay on the
matrices and embeddings only) and gradient clipping to norm 1, recording each step's loss and the weights after the last.

Same format and determinism rules as make_fixtures.py (whose JSON writer this script reuses): float64, one thread,
deterministic algorithms, a fixed seed.

    /usr/bin/python3 reference/pytorch/make_gpt_fixtures.py
"""

import math
import os
import sys

sys.dont_write_bytecode = True  # importing the other scripts must not leave a __pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import make_fixtures as mf  # noqa: E402  (sets float64, 1 thread, deterministic algorithms)
import tiny_gpt  # noqa: E402

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def make_gpt_tiny():
    mf.seed(8101)
    vocabulary, context, layers, heads, width, batch, steps = 11, 6, 2, 2, 8, 3, 5
    model = tiny_gpt.Gpt(vocabulary, context, layers, heads, width, dropout=0.0)
    # GPT-2's initialisation leaves the biases at 0 and the norms at 1; random ones make every gradient count.
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith(".bias"):
                parameter.copy_(0.1 * torch.randn_like(parameter))
            elif "ln_" in name:
                parameter.copy_(1.0 + 0.1 * torch.randn_like(parameter))
    assert model.lm_head.weight is model.transformer.wte.weight
    ids = torch.randint(vocabulary, (batch, steps))
    targets = torch.randint(vocabulary, (batch, steps))
    targets[0, 4] = -1
    targets[2, 1] = -1

    state = {name: value.detach().clone() for name, value in model.state_dict().items()}
    logits, loss = model(ids, targets)
    model.zero_grad()
    loss.backward()
    kept = targets.view(-1) != -1
    manual = (torch.logsumexp(logits.view(-1, vocabulary)[kept], dim=1)
              - logits.view(-1, vocabulary)[kept].gather(1, targets.view(-1)[kept].unsqueeze(1)).squeeze(1)).mean()
    assert mf.close(loss.item(), manual.item())
    grads = {"grad." + name: parameter.grad.detach().clone() for name, parameter in model.named_parameters()}

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=0.01, betas=(0.9, 0.99), eps=1e-8, foreach=False)
    losses = []
    for _ in range(5):
        _, step_loss = model(ids, targets)
        optimizer.zero_grad()
        step_loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(step_loss.item())
    final = {"final." + name: value.detach().clone() for name, value in model.state_dict().items() if name != "lm_head.weight"}

    tensors = {name: value for name, value in state.items() if name != "lm_head.weight"}
    tensors.update({"input": ids.to(torch.float64), "target": targets.to(torch.float64), "logits": logits.detach()})
    tensors.update(grads)
    tensors["adamw_losses"] = torch.tensor(losses)
    tensors.update(final)
    mf.write_fixture(
        "gpt_tiny",
        "tiny_gpt.Gpt(vocabulary=%d, context=%d, layers=%d, heads=%d, width=%d, dropout=0): nanoGPT's layout and names; "
        "lm_head.weight is transformer.wte.weight (tied, so it is listed once, as transformer.wte.weight, and its "
        "gradient is the sum of both uses); biases drawn as 0.1 N(0, 1) and layer-norm weights as 1 + 0.1 N(0, 1) so "
        "that every gradient counts. input [%d, %d] token ids, target [%d, %d] next-token ids with two -1 (ignored, as "
        "nanoGPT's ignore_index=-1, so the mean is over %d positions); logits [%d, %d, %d]; loss = F.cross_entropy; "
        "grad.<name> for every parameter. Then 5 steps, each: loss, backward, clip_grad_norm_(1.0), AdamW(lr=0.01, "
        "betas=(0.9, 0.99), eps=1e-8) with weight_decay 0.1 on the tensors of two or more dimensions and 0 on the "
        "others; adamw_losses [5] the loss before each step, final.<name> the weights after the fifth."
        % (vocabulary, context, layers, heads, width, batch, steps, batch, steps, batch * steps - 2, batch, steps,
           vocabulary),
        {"vocabulary": vocabulary, "context": context, "layers": layers, "heads": heads, "width": width,
         "batch": batch, "steps": steps, "ignore_index": -1, "lr": 0.01, "betas": [0.9, 0.99], "eps": 1e-8,
         "weight_decay": 0.1, "clip_norm": 1.0, "tied": True},
        tensors,
        {"loss": loss.item()})


if __name__ == "__main__":
    make_gpt_tiny()
