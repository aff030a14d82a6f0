#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for TypedNets.Explain (attributions_*.json).

Captum is not used (nor installed): each method is written here in plain torch from Captum's documented
definitions, an implementation independent of the C# one:

- Saliency: d output[target] / d input, its absolute value by default (Captum's abs=True).
- SmoothGrad (NoiseTunnel over Saliency, nt_type="smoothgrad"): the mean of saliency at x + N(0, stdevs^2).
  Random draws cannot be shared with the C# generator, so the fixture holds the expectation estimated from
  SMOOTHGRAD_DRAWS draws together with the per-value standard deviation of one draw's gradient, from which the
  test derives its bound.
- Integrated Gradients, method="riemann_trapezoid": alphas = linspace(0, 1, n), step sizes 1 / (n - 1) with both
  ends halved, attributions = (x - baseline) * sum_i step_i * grad(baseline + alpha_i (x - baseline)), and the
  convergence delta sum(attributions) - (f(x) - f(baseline)).
- Occlusion: window positions k * stride on every axis, k < ceil((size - window) / stride) + 1, a window running past
  the end cut there; every value gets the mean of f(x) - f(occluded) over the windows that covered it.
- Token input: the gradient methods on the embedding layer's output (Captum's LayerIntegratedGradients(model,
  model.embedding) with the baseline's ids embedded, default id 0), attributions summed per token (.sum(-1));
  occlusion replaces tokens by id 0.

Networks (state_dict keys named after the C# properties in snake_case, as tests/TypedNets.Tests/Explain declares):
  mlp:     Input(4) -> Dense(6, tanh) -> Dense(3)
  convnet: Input(1, 6, 6) -> Conv2D(2, 3, tanh) -> Flatten -> Dense(3)
  text:    TokenInput(5) -> Embedding(10, 4) -> LSTM(6) (last step) -> Dense(3)
Weights and inputs are rounded to float32 values, so the float C# networks hold exactly the same numbers; the
reference itself is computed in float64.

    /usr/bin/python3 reference/pytorch/attributions.py
"""

import os
import sys

sys.dont_write_bytecode = True  # importing make_fixtures must not leave a __pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import make_fixtures as mf  # noqa: E402  (sets float64, 1 thread, deterministic algorithms)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

STEPS = 50
SMOOTHGRAD_DRAWS = 20000
SMOOTHGRAD_STDEV = 0.3


def round32(t):
    return t.detach().float().double()


def round_parameters(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(round32(p))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 6)
        self.output = nn.Linear(6, 3)

    def forward(self, x):
        return self.output(torch.tanh(self.hidden(x)))


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.output = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.output(torch.tanh(self.conv(x)).flatten(1))


class Text(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 4)
        self.encoder = nn.LSTM(4, 6, batch_first=True)
        self.output = nn.Linear(6, 3)

    def from_embeddings(self, e):
        out, _ = self.encoder(e)
        return self.output(out[:, -1, :])

    def forward(self, tokens):
        return self.from_embeddings(self.embedding(tokens))


def gradients(f, points, target):
    """d f(points)[:, target] / d points, one row per point, and the outputs."""
    points = points.detach().clone().requires_grad_(True)
    out = f(points)[:, target]
    (grad,) = torch.autograd.grad(out.sum(), points)
    return grad, out.detach()


def saliency(f, x, target, absolute):
    grad, _ = gradients(f, x.unsqueeze(0), target)
    return grad[0].abs() if absolute else grad[0]


def integrated_gradients(f, x, baseline, target, n):
    alphas = torch.linspace(0, 1, n)
    steps = torch.full((n,), 1.0 / (n - 1))
    steps[0] /= 2
    steps[-1] /= 2
    shape = (n,) + (1,) * x.dim()
    path = baseline.unsqueeze(0) + alphas.view(shape) * (x - baseline).unsqueeze(0)
    grad, out = gradients(f, path, target)
    attributions = (x - baseline) * (steps.view(shape) * grad).sum(0)
    delta = attributions.sum() - (out[-1] - out[0])
    return attributions, delta


def smoothgrad_expectation(f, x, target, stdev, draws, absolute):
    torch.manual_seed(1234)
    noisy = x.unsqueeze(0) + stdev * torch.randn((draws,) + tuple(x.shape))
    grad, _ = gradients(f, noisy, target)
    if absolute:
        grad = grad.abs()
    return grad.mean(0), grad.std(0)


def occlusion(f, x, target, window, strides, baseline):
    """Captum's Occlusion on one sample; window and strides have one entry per axis of x."""
    import itertools
    import math
    counts = [math.ceil((size - w) / s) + 1 for size, w, s in zip(x.shape, window, strides)]
    reference = f(x.unsqueeze(0))[0, target]
    total = torch.zeros_like(x)
    covered = torch.zeros_like(x)
    for offsets in itertools.product(*[range(c) for c in counts]):
        mask = torch.zeros_like(x)
        index = tuple(slice(o * s, min(o * s + w, size)) for o, s, w, size in zip(offsets, strides, window, x.shape))
        mask[index] = 1
        occluded = x * (1 - mask) + baseline * mask
        drop = reference - f(occluded.unsqueeze(0))[0, target]
        total += drop * mask
        covered += mask
    return (total / covered).detach()


def state(module):
    keys = list(module.state_dict().keys())
    return keys, {k: v.detach().clone() for k, v in module.state_dict().items()}


def float_fixture(name, description, model, x, target, window, strides, extra_config):
    keys, tensors = state(model)
    f = model
    predicted = int(f(x.unsqueeze(0))[0].argmax())
    baseline = torch.zeros_like(x)
    ig, delta = integrated_gradients(f, x, baseline, target, STEPS)
    ig_predicted, delta_predicted = integrated_gradients(f, x, baseline, predicted, STEPS)
    sg_abs, sg_abs_std = smoothgrad_expectation(f, x, target, SMOOTHGRAD_STDEV, SMOOTHGRAD_DRAWS, True)
    sg, sg_std = smoothgrad_expectation(f, x, target, SMOOTHGRAD_STDEV, SMOOTHGRAD_DRAWS, False)
    tensors.update({
        "input": x,
        "output": f(x.unsqueeze(0))[0].detach(),
        "saliency": saliency(f, x, target, True),
        "saliency_signed": saliency(f, x, target, False),
        "saliency_predicted": saliency(f, x, predicted, True),
        "integrated_gradients": ig.detach(),
        "integrated_gradients_predicted": ig_predicted.detach(),
        "smoothgrad": sg_abs.detach(),
        "smoothgrad_std": sg_abs_std.detach(),
        "smoothgrad_signed": sg.detach(),
        "smoothgrad_signed_std": sg_std.detach(),
        "occlusion": occlusion(f, x, target, window, strides, 0.0),
    })
    config = {"state_dict": keys, "target": target, "predicted": predicted, "steps": STEPS,
              "smoothgrad_draws": SMOOTHGRAD_DRAWS, "smoothgrad_stdev": SMOOTHGRAD_STDEV,
              "occlusion_window": list(window), "occlusion_strides": list(strides)}
    config.update(extra_config)
    mf.write_fixture(name, description, config, tensors,
                     {"delta": float(delta), "delta_predicted": float(delta_predicted)})


def make_mlp():
    torch.manual_seed(101)
    model = Mlp()
    round_parameters(model)
    x = round32(torch.randn(4))
    float_fixture("attributions_mlp", "Attributions of Mlp (Input(4) -> Dense(6, tanh) -> Dense(3)) for output 1.",
                  model, x, target=1, window=(2,), strides=(1,), extra_config={})


def make_convnet():
    torch.manual_seed(202)
    model = ConvNet()
    round_parameters(model)
    x = round32(torch.rand(1, 6, 6))
    # A 3x3 window with stride 2 over 6x6 runs past the edge at offset 4: Captum cuts it there.
    float_fixture("attributions_convnet", "Attributions of ConvNet (Input(1, 6, 6) -> Conv2D(2, 3, tanh) -> Flatten -> Dense(3)) for output 2.",
                  model, x, target=2, window=(1, 3, 3), strides=(1, 2, 2), extra_config={})


def make_text():
    torch.manual_seed(303)
    model = Text()
    round_parameters(model)
    tokens = torch.tensor([3, 7, 1, 9, 2])
    baseline_tokens = torch.zeros_like(tokens)
    target = 0
    f = model.from_embeddings
    e = model.embedding(tokens).detach()
    e0 = model.embedding(baseline_tokens).detach()
    predicted = int(model(tokens.unsqueeze(0))[0].argmax())
    ig, delta = integrated_gradients(f, e, e0, target, STEPS)
    sal = saliency(f, e, target, True)
    sal_signed = saliency(f, e, target, False)
    sg_abs, sg_abs_std = smoothgrad_expectation(f, e, target, SMOOTHGRAD_STDEV, SMOOTHGRAD_DRAWS, True)
    # The per-token sum of a SmoothGrad estimate: its spread is that of the summed draws, not of each value.
    torch.manual_seed(1234)
    noisy = e.unsqueeze(0) + SMOOTHGRAD_STDEV * torch.randn((SMOOTHGRAD_DRAWS,) + tuple(e.shape))
    grad, _ = gradients(f, noisy, target)
    per_token = grad.abs().sum(-1)

    # Occlusion of token ids: one token at a time replaced by id 0.
    reference = model(tokens.unsqueeze(0))[0, target]
    occ = torch.zeros(len(tokens))
    for t in range(len(tokens)):
        occluded = tokens.clone()
        occluded[t] = 0
        occ[t] = reference - model(occluded.unsqueeze(0))[0, target]

    keys, tensors = state(model)
    tensors.update({
        "input": tokens.double(),
        "output": model(tokens.unsqueeze(0))[0].detach(),
        "saliency": sal.sum(-1),
        "saliency_embedding": sal,
        "saliency_signed": sal_signed.sum(-1),
        "integrated_gradients": ig.sum(-1).detach(),
        "integrated_gradients_embedding": ig.detach(),
        "smoothgrad": per_token.mean(0).detach(),
        "smoothgrad_std": per_token.std(0).detach(),
        "occlusion": occ.detach(),
    })
    config = {"state_dict": keys, "target": target, "predicted": predicted, "steps": STEPS,
              "smoothgrad_draws": SMOOTHGRAD_DRAWS, "smoothgrad_stdev": SMOOTHGRAD_STDEV,
              "occlusion_window": [1], "occlusion_strides": [1]}
    mf.write_fixture("attributions_text",
                     "Attributions of Text (TokenInput(5) -> Embedding(10, 4) -> LSTM(6) -> Dense(3)) for output 0, "
                     "on the embedding vectors and summed per token; baseline ids 0.",
                     config, tensors, {"delta": float(delta)})


if __name__ == "__main__":
    make_mlp()
    make_convnet()
    make_text()
    for path in mf.WRITTEN:
        print("wrote", os.path.relpath(path))
