#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for the layer options PyTorch users reach for.

bias=False on nn.Linear and nn.Conv2d, nn.GELU(approximate='tanh'), nn.LayerNorm on vectors and sequences, nn.Embedding's
padding_idx, nn.BatchNorm1d over the features of sequences, padding on nn.MaxPool2d and nn.AvgPool2d, and nn.Conv2d's
dilation, (height, width) kernel_size, stride and padding, and groups; nn.Conv1d, nn.MaxPool1d and nn.AvgPool1d over
sequences [steps, features]. Same format and determinism rules as
make_fixtures.py (whose JSON writer this script reuses): float64, one thread, deterministic
algorithms, a fixed seed per fixture, byte-identical output on a rerun for a given PyTorch
build.

Run from anywhere (the output directory is found from this file's location):

    /usr/bin/python3 reference/pytorch/make_option_fixtures.py

Every fixture uses the loss L = sum(output * output_weights), so dL/doutput = output_weights,
and records the parameters by state_dict key, input, output, output_weights, scalar loss,
grad.<key> and grad.input. Each is checked as it is written against an independent
re-implementation (no nn module on the checked path), whose own gradients are checked by
central finite differences. See reference/README.md for the list of fixtures.
"""

import math
import os
import sys

sys.dont_write_bytecode = True  # importing make_fixtures must not leave a __pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import make_fixtures as mf  # noqa: E402  (sets float64, 1 thread, deterministic algorithms)
import make_image_fixtures as mif  # noqa: E402  (manual_conv2d, gradcheck helper)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

write_fixture = mf.write_fixture
seed = mf.seed
close = mf.close

LOSS_NOTE = ("Loss: scalar loss = sum(output * output_weights), where output_weights is a recorded random tensor "
             "of the output's shape (drawn after the parameters and the input), so dLoss/doutput = "
             "output_weights. grad.<key> is the autograd gradient of that loss w.r.t. the parameter <key>; "
             "grad.input the gradient w.r.t. the input. ")


def run(model, x):
    """Forward and backward of L = sum(output * r): the state, output, r, loss and every gradient."""
    xi = x.clone().requires_grad_(True)
    out = model(xi)
    r = torch.randn(out.shape)
    loss = (out * r).sum()
    loss.backward()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    grads = {"grad." + k: p.grad.detach().clone() for k, p in model.named_parameters()}
    tensors = dict(state)
    tensors.update({"input": x, "output": out.detach(), "output_weights": r})
    tensors.update(grads)
    tensors["grad.input"] = xi.grad.detach().clone()
    return tensors, loss.item()


def check_against(manual, tensors, keys, loss):
    """The manual forward and its autograd gradients agree with the module's; finite differences check the manual one."""
    r = tensors["output_weights"]
    leaves = [tensors["input"].clone().requires_grad_(True)] + [tensors[k].clone().requires_grad_(True) for k in keys]
    out = manual(*leaves)
    assert close(out, tensors["output"])
    manual_loss = (out * r).sum()
    manual_loss.backward()
    assert close(manual_loss, loss)
    assert close(leaves[0].grad, tensors["grad.input"])
    for key, leaf in zip(keys, leaves[1:]):
        assert close(leaf.grad, tensors["grad." + key]), key
    mif.check_gradients_numerically(lambda *t: (manual(*t) * r).sum(), [tensors["input"]] + [tensors[k] for k in keys])


# --------------------------------------------------------------------------------------
# 1. bias=False
# --------------------------------------------------------------------------------------

class NoBias(nn.Module):
    """conv (Conv2d, bias=False) -> flatten -> hidden (Linear, bias=False) + ReLU -> output (Linear, bias=False)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1, bias=False)
        self.hidden = nn.Linear(3 * 6 * 5, 4, bias=False)
        self.output = nn.Linear(4, 3, bias=False)

    def forward(self, x):
        h = self.conv(x).reshape(x.shape[0], -1)
        return self.output(torch.relu(self.hidden(h)))


def make_no_bias():
    seed(7001)
    model = NoBias()
    x = torch.randn(2, 2, 6, 5)
    assert list(model.state_dict()) == ["conv.weight", "hidden.weight", "output.weight"]
    tensors, loss = run(model, x)

    def manual(xx, wc, wh, wo):
        zero = xx.new_zeros(wc.shape[0])
        h = mif.manual_conv2d(xx, wc, zero, 1, 1).reshape(xx.shape[0], -1)
        return torch.clamp(h @ wh.T, min=0) @ wo.T

    # ReLU's kink: no hidden pre-activation may sit within a finite-difference step of zero.
    with torch.no_grad():
        pre = mif.manual_conv2d(x, tensors["conv.weight"], x.new_zeros(3), 1, 1).reshape(2, -1) @ tensors["hidden.weight"].T
    assert pre.abs().min() > 1e-3
    check_against(manual, tensors, ["conv.weight", "hidden.weight", "output.weight"], loss)

    write_fixture(
        "no_bias",
        "A module with conv = nn.Conv2d(2, 3, 3, padding=1, bias=False), hidden = nn.Linear(90, 4, bias=False) and "
        "output = nn.Linear(4, 3, bias=False): output = relu(flatten(conv(input)) @ hidden.weight^T) @ "
        "output.weight^T. The state_dict has no bias key: conv.weight [3,2,3,3], hidden.weight [4,90], "
        "output.weight [3,4], from PyTorch's default init under the fixture seed. input [2,2,6,5] (NCHW); the "
        "convolution keeps height and width, flatten is row-major over C, H, W. No hidden pre-activation is within "
        "1e-3 of ReLU's kink. " + LOSS_NOTE,
        {"modules": ["conv", "hidden", "output"], "bias": False, "input_shape": [2, 2, 6, 5],
         "output_shape": [2, 3], "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss})


# --------------------------------------------------------------------------------------
# 2. GELU's tanh approximation
# --------------------------------------------------------------------------------------

def manual_gelu_tanh(x):
    """x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), written out (no nn.GELU)."""
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


class GeluTanh(nn.Module):
    """conv (Conv2d) + GELU(tanh) -> flatten -> hidden (Linear) + GELU(tanh) -> output (Linear)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.hidden = nn.Linear(2 * 3 * 3, 6)
        self.output = nn.Linear(6, 3)
        self.gelu = nn.GELU(approximate="tanh")

    def forward(self, x):
        h = self.gelu(self.conv(x)).reshape(x.shape[0], -1)
        return self.output(self.gelu(self.hidden(h)))


def make_gelu_tanh():
    seed(7002)
    model = GeluTanh()
    # Weights scaled up so that pre-activations reach well into both tails (|z| up to about 6), where the tanh
    # form and the exact GELU part ways and the derivative dips below zero.
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)
    x = 1.5 * torch.randn(3, 1, 5, 5)
    assert list(model.state_dict()) == ["conv.weight", "conv.bias", "hidden.weight", "hidden.bias",
                                        "output.weight", "output.bias"]
    tensors, loss = run(model, x)

    def manual(xx, wc, bc, wh, bh, wo, bo):
        h = manual_gelu_tanh(mif.manual_conv2d(xx, wc, bc, 1, 0)).reshape(xx.shape[0], -1)
        return manual_gelu_tanh(h @ wh.T + bh) @ wo.T + bo

    keys = ["conv.weight", "conv.bias", "hidden.weight", "hidden.bias", "output.weight", "output.bias"]
    check_against(manual, tensors, keys, loss)
    with torch.no_grad():
        pre = mif.manual_conv2d(x, tensors["conv.weight"], tensors["conv.bias"], 1, 0)
        exact = nn.GELU()(pre)
        approx = manual_gelu_tanh(pre)
    spread = (exact - approx).abs().max().item()
    assert spread > 1e-4, "the fixture must tell the tanh form from the exact GELU"

    write_fixture(
        "gelu_tanh",
        "A module with conv = nn.Conv2d(1, 2, 3), hidden = nn.Linear(18, 6), output = nn.Linear(6, 3) and "
        "gelu = nn.GELU(approximate='tanh'): output = output(gelu(hidden(flatten(gelu(conv(input)))))), where "
        "gelu(z) = z/2 (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))). Parameters are PyTorch's default init under the "
        "fixture seed, multiplied by 3 so that pre-activations reach both tails; input [3,1,5,5] = 1.5 randn. "
        "Scalar max_exact_gelu_difference is the largest |GELU(z) - GELU_tanh(z)| over the convolution's "
        "pre-activations, so an exact GELU cannot pass for the tanh form. " + LOSS_NOTE,
        {"modules": ["conv", "hidden", "output"], "activation": "GELU(approximate='tanh')",
         "input_shape": [3, 1, 5, 5], "output_shape": [3, 3], "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss, "max_exact_gelu_difference": spread})


# --------------------------------------------------------------------------------------
# 3. LayerNorm
# --------------------------------------------------------------------------------------

def manual_layer_norm(x, weight, bias, eps):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last axis, biased variance (no nn.LayerNorm)."""
    mean = x.sum(dim=-1, keepdim=True) / x.shape[-1]
    var = ((x - mean) ** 2).sum(dim=-1, keepdim=True) / x.shape[-1]
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def randomize_affine(norm):
    """Weight 1 + 0.5 randn and bias 0.5 randn, so that the fixture tells weight from bias and both from the defaults."""
    with torch.no_grad():
        norm.weight.copy_(1 + 0.5 * torch.randn(norm.weight.shape))
        norm.bias.copy_(0.5 * torch.randn(norm.bias.shape))


class Norm(nn.Module):
    """norm (LayerNorm(6)) alone, named as the C# property."""

    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(6)

    def forward(self, x):
        return self.norm(x)


def make_layer_norm():
    seed(7003)
    model = Norm()
    assert model.norm.eps == 1e-5 and model.norm.elementwise_affine
    assert torch.equal(model.norm.weight, torch.ones(6)) and torch.equal(model.norm.bias, torch.zeros(6))
    randomize_affine(model.norm)
    # Rows far from zero (mean about 3) and of different spreads, so that the mean and the variance both matter.
    x = 3 + torch.randn(4, 6) * torch.tensor([[0.5], [1.0], [2.0], [4.0]])
    tensors, loss = run(model, x)
    check_against(lambda xx, w, b: manual_layer_norm(xx, w, b, 1e-5), tensors, ["norm.weight", "norm.bias"], loss)

    write_fixture(
        "layer_norm",
        "nn.LayerNorm(6) (eps 1e-5, elementwise_affine) as module 'norm': output = (input - mean) / sqrt(var + "
        "1e-5) * norm.weight + norm.bias, with each row's mean and BIASED variance over its 6 features. PyTorch "
        "starts weight at ones and bias at zeros; here they are set to 1 + 0.5 randn and 0.5 randn under the "
        "fixture seed. input [4,6] = 3 + randn scaled by 0.5, 1, 2 and 4 per row. " + LOSS_NOTE +
        "grad.norm.bias = sum over rows of output_weights; grad.norm.weight = sum over rows of output_weights * "
        "xhat; grad.input = weight/sqrt(var + eps) * (g - mean(g) - xhat mean(g xhat)) per row with g = "
        "output_weights * weight.",
        {"layer": "LayerNorm", "module": "norm", "normalized_shape": [6], "eps": 1e-5, "input_shape": [4, 6],
         "output_shape": [4, 6], "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss})


class ProjectedNorm(nn.Module):
    """proj (Linear 5 -> 6) on every step, then norm (LayerNorm(6, eps=1e-3)) on every step."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(5, 6)
        self.norm = nn.LayerNorm(6, eps=1e-3)

    def forward(self, x):
        return self.norm(self.proj(x))


def make_layer_norm_sequence():
    seed(7004)
    model = ProjectedNorm()
    randomize_affine(model.norm)
    x = torch.randn(3, 4, 5)
    assert list(model.state_dict()) == ["proj.weight", "proj.bias", "norm.weight", "norm.bias"]
    tensors, loss = run(model, x)

    def manual(xx, wp, bp, wn, bn):
        return manual_layer_norm(xx @ wp.T + bp, wn, bn, 1e-3)

    check_against(manual, tensors, ["proj.weight", "proj.bias", "norm.weight", "norm.bias"], loss)
    write_fixture(
        "layer_norm_sequence",
        "A module with proj = nn.Linear(5, 6) and norm = nn.LayerNorm(6, eps=1e-3) applied to a batch of sequences: "
        "output = norm(proj(input)), both acting on every step (the last axis) of input [3,4,5] = [batch, steps, "
        "features]; output [3,4,6]. Each step is normalised by its own mean and biased variance. proj from "
        "PyTorch's default init, norm.weight = 1 + 0.5 randn and norm.bias = 0.5 randn under the fixture seed. "
        + LOSS_NOTE,
        {"modules": ["proj", "norm"], "eps": 1e-3, "input_shape": [3, 4, 5], "output_shape": [3, 4, 6],
         "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss})


# --------------------------------------------------------------------------------------
# 4. Embedding's padding_idx
# --------------------------------------------------------------------------------------

class PaddedEmbedding(nn.Module):
    """embedding (nn.Embedding(10, 4, padding_idx=2)) alone, named as the C# property."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 4, padding_idx=2)

    def forward(self, x):
        return self.embedding(x.long())


def make_embedding_padding_idx():
    seed(7005)
    model = PaddedEmbedding()
    assert torch.equal(model.embedding.weight[2], torch.zeros(4)), "PyTorch starts the padding row at zeros"
    # A loaded model's padding row need not be zero: it must still get no gradient and stay as it is.
    with torch.no_grad():
        model.embedding.weight[2] = torch.tensor([0.25, -0.5, 0.75, -1.0])
    tokens = torch.tensor([[2, 0, 7, 2, 9], [1, 2, 2, 4, 3], [5, 6, 2, 8, 2]], dtype=torch.float64)
    out = model(tokens)
    r = torch.randn(out.shape)
    loss = (out * r).sum()
    loss.backward()
    grad = model.embedding.weight.grad.detach().clone()
    assert torch.equal(grad[2], torch.zeros(4))

    # Independent check: every other row's gradient is the sum of output_weights where its id occurs.
    manual = torch.zeros(10, 4)
    for b in range(3):
        for p in range(5):
            i = int(tokens[b, p])
            if i != 2:
                manual[i] += r[b, p]
    assert close(manual, grad)

    weight = model.embedding.weight.detach().clone()
    adam = torch.optim.Adam(model.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        adam.zero_grad()
        step_loss = (model(tokens) * r).sum()
        losses.append(step_loss.item())
        step_loss.backward()
        adam.step()
    final = model.embedding.weight.detach().clone()
    assert torch.equal(final[2], weight[2]), "the padding row must stay as loaded"

    write_fixture(
        "embedding_padding_idx",
        "nn.Embedding(10, 4, padding_idx=2) as module 'embedding'. PyTorch starts row 2 at zeros (checked); the "
        "fixture then sets it to [0.25, -0.5, 0.75, -1.0], as a loaded model may have it. input [3,5] holds token "
        "ids as floats, id 2 six times; output [3,5,4] = embedding.weight[input]. " + LOSS_NOTE +
        "grad.embedding.weight[i] = sum of output_weights over the positions holding id i, except row 2 (the "
        "padding_idx), which is zero. adam_losses are the losses before each of three torch.optim.Adam(lr=0.1) "
        "steps on that loss; final.embedding.weight is the weight after them, its row 2 unchanged.",
        {"layer": "Embedding", "module": "embedding", "num_embeddings": 10, "embedding_dim": 4, "padding_idx": 2,
         "input_shape": [3, 5], "output_shape": [3, 5, 4], "loss": "sum(output * output_weights)",
         "optimizer": "Adam(lr=0.1)"},
        {"embedding.weight": weight, "input": tokens, "output": out.detach(), "output_weights": r,
         "grad.embedding.weight": grad, "adam_losses": torch.tensor(losses), "final.embedding.weight": final},
        {"loss": loss.item()})


# --------------------------------------------------------------------------------------
# 5. BatchNorm over the features of sequences
# --------------------------------------------------------------------------------------

SEQUENCE_BN_KEYS = ["norm.weight", "norm.bias", "norm.running_mean", "norm.running_var"]


class SequenceBatchNorm(nn.Module):
    """norm (nn.BatchNorm1d(6, eps=1e-3, momentum=0.2)) on [batch, steps, features], through [batch, features, steps]."""

    def __init__(self):
        super().__init__()
        self.norm = nn.BatchNorm1d(6, eps=1e-3, momentum=0.2)

    def forward(self, x):
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


def manual_sequence_batch_norm(x, weight, bias, mean, var, eps):
    """(x - mean) / sqrt(var + eps) * weight + bias with per-feature statistics on the last axis (no nn module)."""
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def sequence_stats(x):
    """Per feature over batch and steps: mean, biased and unbiased variance, and n = batch * steps."""
    n = x.shape[0] * x.shape[1]
    mean = x.sum(dim=(0, 1)) / n
    squares = ((x - mean) ** 2).sum(dim=(0, 1))
    return mean, squares / n, squares / (n - 1), n


def make_batch_norm_sequence(train):
    seed(7006 if train else 7007)
    model = SequenceBatchNorm()
    norm = model.norm
    with torch.no_grad():
        norm.weight.copy_(1 + 0.5 * torch.randn(6))
        norm.bias.copy_(0.5 * torch.randn(6))
        norm.running_mean.copy_(0.5 * torch.randn(6))
        norm.running_var.copy_(0.5 + torch.rand(6))
    # Features of different means and spreads, and steps (4) unlike features (6), so that a transposed layout shows.
    x = torch.randn(3, 4, 6) * torch.linspace(0.5, 3.0, 6) + torch.linspace(-2.0, 2.0, 6)
    sd = model.state_dict()
    assert list(sd) == SEQUENCE_BN_KEYS + ["norm.num_batches_tracked"]
    state = {k: sd[k].detach().clone() for k in SEQUENCE_BN_KEYS}

    model.train(train)
    xi = x.clone().requires_grad_(True)
    out = model(xi)
    r = torch.randn(out.shape)
    loss = (out * r).sum()
    loss.backward()
    grads = {"grad." + k: p.grad.detach().clone() for k, p in model.named_parameters()}
    assert list(grads) == ["grad.norm.weight", "grad.norm.bias"]

    # Independent check: statistics over batch and steps on the untransposed input, the running update, autograd
    # gradients of the manual version, and finite differences of those.
    w, b, rm, rv = (state[k] for k in SEQUENCE_BN_KEYS)
    mean, var_b, var_u, n = sequence_stats(x)
    assert n == 12
    if train:
        assert close(norm.running_mean, 0.8 * rm + 0.2 * mean) and close(norm.running_var, 0.8 * rv + 0.2 * var_u)

        def manual(xx, ww, bb):
            m, vb, _, _ = sequence_stats(xx)
            return manual_sequence_batch_norm(xx, ww, bb, m, vb, 1e-3)
    else:
        assert torch.equal(norm.running_mean, rm) and torch.equal(norm.running_var, rv)

        def manual(xx, ww, bb):
            return manual_sequence_batch_norm(xx, ww, bb, rm, rv, 1e-3)

    tensors = dict(state)
    tensors.update({"input": x, "output": out.detach(), "output_weights": r})
    tensors.update(grads)
    tensors["grad.input"] = xi.grad.detach().clone()
    check_against(manual, tensors, ["norm.weight", "norm.bias"], loss.item())
    if train:
        tensors.update({"running_mean_after": norm.running_mean.detach().clone(),
                        "running_var_after": norm.running_var.detach().clone()})

    mode = ("TRAIN mode: each feature c is normalised by the mean and BIASED variance of input[:, :, c] over the "
            "batch and the steps (n = 3*4 = 12 values); then running_mean_after = 0.8*norm.running_mean + "
            "0.2*mean and running_var_after = 0.8*norm.running_var + 0.2*variance*12/11 (unbiased). The gradients "
            "flow through the batch statistics. " if train else
            "EVAL mode: each feature c is normalised by norm.running_mean[c] and norm.running_var[c], which stay "
            "as they are; grad.input = norm.weight/sqrt(norm.running_var + 1e-3) * output_weights. ")
    write_fixture(
        "batch_norm_sequence_" + ("train" if train else "eval"),
        "norm = nn.BatchNorm1d(6, eps=1e-3, momentum=0.2) applied to a batch of sequences input [3,4,6] = [batch, "
        "steps, features] as output = norm(input.transpose(1, 2)).transpose(1, 2); output [3,4,6]. The recorded "
        "norm.* tensors are those before the forward, set under the fixture seed in this order: weight = 1 + 0.5 "
        "randn, bias = 0.5 randn, running_mean = 0.5 randn, running_var = 0.5 + rand; then input = randn * "
        "linspace(0.5, 3, 6) + linspace(-2, 2, 6) per feature. " + mode + LOSS_NOTE,
        {"module": "norm", "eps": 1e-3, "momentum": 0.2, "training": train, "input_shape": [3, 4, 6],
         "output_shape": [3, 4, 6], "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss.item()})


# --------------------------------------------------------------------------------------
# 6. Padding on MaxPool2d and AvgPool2d
# --------------------------------------------------------------------------------------

class PaddedPool(nn.Module):
    """pool (nn.MaxPool2d or nn.AvgPool2d with padding) alone, named as the C# property."""

    def __init__(self, pool):
        super().__init__()
        self.pool = pool

    def forward(self, x):
        return self.pool(x)


def manual_padded_pool(x, kind, k, s, p):
    """Pads explicitly (-inf for max, zeros for average) and pools every k x k window; average divides by k*k."""
    fill = -math.inf if kind == "max" else 0.0
    padded = torch.nn.functional.pad(x, (p, p, p, p), value=fill)
    windows = mif.windows(padded, k, s)
    return windows.max(dim=-1).values if kind == "max" else windows.sum(dim=-1) / (k * k)


def make_padded_pool(name, seed_value, kind, k, s, p):
    seed(seed_value)
    pool = nn.MaxPool2d(k, stride=s, padding=p) if kind == "max" else nn.AvgPool2d(k, stride=s, padding=p)
    assert kind == "max" or pool.count_include_pad, "PyTorch's default: padded zeros count in the divisor"
    model = PaddedPool(pool)
    # Mostly negative values, so that a max pooling padded with zeros (not -inf) would give 0 at the border; distinct
    # values (randn), so that no window has a tie and the max gradient is well defined.
    x = torch.randn(2, 2, 5, 6) - 1.5
    tensors, loss = run(model, x)
    check_against(lambda xx: manual_padded_pool(xx, kind, k, s, p), tensors, [], loss)
    n, c, h, w = x.shape
    out_shape = [n, c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1]
    assert list(tensors["output"].shape) == out_shape
    if kind == "max":
        assert (tensors["output"] < 0).any(), "some window's maximum is negative: zero padding would show"
    torch_name = "nn.MaxPool2d" if kind == "max" else "nn.AvgPool2d"
    rule = ("padding holds -inf, so each output is the maximum of the window's real values and its gradient goes to "
            "that position. " if kind == "max" else
            "padding holds zeros that count in the divisor (count_include_pad=True, PyTorch's default): each output "
            "is the sum of the window's real values / %d, and each real value gets output_weights / %d from every "
            "window that covers it. " % (k * k, k * k))
    write_fixture(
        name,
        "%s(%d, stride=%d, padding=%d) as module 'pool' on input [2,2,5,6] = randn - 1.5 (NCHW); output %s. " % (
            torch_name, k, s, p, "[" + ",".join(str(d) for d in out_shape) + "]") + rule + LOSS_NOTE,
        {"module": "pool", "kind": kind, "kernel_size": k, "stride": s, "padding": p, "input_shape": [2, 2, 5, 6],
         "output_shape": out_shape, "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss})


# --------------------------------------------------------------------------------------
# 7. Conv2d dilation
# --------------------------------------------------------------------------------------

def manual_conv2d_general(x, w, b, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """out[n,f,i,j] = b[f] + sum_{c,u,v} w[f,c,u,v] * xpad[n,c,i*sh+u*dh, j*sw+v*dw] (zero padding), tap by tap;
    with groups, filter f of group g reads only channels g*C/groups to (g+1)*C/groups - 1."""
    if groups > 1:
        xs = x.chunk(groups, dim=1)
        ws = w.chunk(groups, dim=0)
        bs = b.chunk(groups, dim=0)
        return torch.cat([manual_conv2d_general(xg, wg, bg, stride, padding, dilation) for xg, wg, bg in zip(xs, ws, bs)], dim=1)
    N, C, H, W = x.shape
    Fo, _, KH, KW = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = x.new_zeros(N, C, H + 2 * ph, W + 2 * pw)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    Ho = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    out = b.view(1, Fo, 1, 1).expand(N, Fo, Ho, Wo)
    for u in range(KH):
        for v in range(KW):
            top, left = u * dh, v * dw
            patch = xp[:, :, top:top + sh * (Ho - 1) + 1:sh, left:left + sw * (Wo - 1) + 1:sw]
            out = out + torch.einsum("nchw,fc->nfhw", patch, w[:, :, u, v])
    return out


class Dilated(nn.Module):
    """conv1 (3x3, dilation 2, padding 1) + tanh -> conv2 (2x2, dilation 3, stride 2) -> flatten -> output (Linear)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 3, 3, padding=1, dilation=2)
        self.conv2 = nn.Conv2d(3, 2, 2, stride=2, dilation=3)
        self.output = nn.Linear(2 * 2 * 2, 3)

    def forward(self, x):
        h = self.conv2(torch.tanh(self.conv1(x)))
        return self.output(h.reshape(x.shape[0], -1))


def make_conv_dilation():
    seed(7006)
    model = Dilated()
    x = torch.randn(2, 2, 9, 8)
    keys = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "output.weight", "output.bias"]
    assert list(model.state_dict()) == keys
    tensors, loss = run(model, x)
    # PyTorch's output size: (9 + 2 - 2*2 - 1) + 1 = 7 by (8 + 2 - 5) + 1 = 6, then (7 - 3 - 1) // 2 + 1 = 2 by 2.
    assert list(model.conv2(torch.tanh(model.conv1(x))).shape) == [2, 2, 2, 2]

    def manual(xx, w1, b1, w2, b2, wo, bo):
        h = torch.tanh(manual_conv2d_general(xx, w1, b1, padding=(1, 1), dilation=(2, 2)))
        h = manual_conv2d_general(h, w2, b2, stride=(2, 2), dilation=(3, 3))
        return h.reshape(xx.shape[0], -1) @ wo.T + bo

    check_against(manual, tensors, keys, loss)

    write_fixture(
        "conv_dilation",
        "A module with conv1 = nn.Conv2d(2, 3, 3, padding=1, dilation=2), conv2 = nn.Conv2d(3, 2, 2, stride=2, "
        "dilation=3) and output = nn.Linear(8, 3): output = flatten(conv2(tanh(conv1(input)))) @ output.weight^T + "
        "output.bias. A dilated kernel of side k spans dilation (k - 1) + 1 pixels: conv1 takes [2,9,8] to [3,7,6], "
        "conv2 takes that to [2,2,2]; flatten is row-major over C, H, W. Parameters from PyTorch's default init under "
        "the fixture seed, input [2,2,9,8] (NCHW). " + LOSS_NOTE,
        {"modules": ["conv1", "conv2", "output"], "dilation": [2, 3], "input_shape": [2, 2, 9, 8],
         "output_shape": [2, 3], "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss})


# --------------------------------------------------------------------------------------
# 8. Conv2d with (height, width) kernel_size, stride and padding
# --------------------------------------------------------------------------------------

class Rectangular(nn.Module):
    """conv1 ((3, 5) kernel, stride (1, 2), padding (2, 1)) + tanh -> conv2 ((2, 1), stride (3, 1), padding (0, 1), dilation 2) -> output."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 3, (3, 5), stride=(1, 2), padding=(2, 1))
        self.conv2 = nn.Conv2d(3, 2, (2, 1), stride=(3, 1), padding=(0, 1), dilation=2)
        self.output = nn.Linear(2 * 2 * 6, 3)

    def forward(self, x):
        h = self.conv2(torch.tanh(self.conv1(x)))
        return self.output(h.reshape(x.shape[0], -1))


def make_conv_rectangular():
    seed(7007)
    model = Rectangular()
    x = torch.randn(2, 2, 6, 9)
    keys = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "output.weight", "output.bias"]
    assert list(model.state_dict()) == keys
    tensors, loss = run(model, x)
    assert list(model.conv1(x).shape) == [2, 3, 8, 4]
    assert list(model.conv2(torch.tanh(model.conv1(x))).shape) == [2, 2, 2, 6]

    def manual(xx, w1, b1, w2, b2, wo, bo):
        h = torch.tanh(manual_conv2d_general(xx, w1, b1, stride=(1, 2), padding=(2, 1)))
        h = manual_conv2d_general(h, w2, b2, stride=(3, 1), padding=(0, 1), dilation=(2, 2))
        return h.reshape(xx.shape[0], -1) @ wo.T + bo

    check_against(manual, tensors, keys, loss)

    write_fixture(
        "conv_rectangular",
        "A module with conv1 = nn.Conv2d(2, 3, (3, 5), stride=(1, 2), padding=(2, 1)), conv2 = nn.Conv2d(3, 2, (2, 1), "
        "stride=(3, 1), padding=(0, 1), dilation=2) and output = nn.Linear(24, 3): output = "
        "flatten(conv2(tanh(conv1(input)))) @ output.weight^T + output.bias. Every size is (height, width): conv1 takes "
        "[2,6,9] to [3,8,4], conv2 takes that to [2,2,6]; flatten is row-major over C, H, W. Parameters from PyTorch's "
        "default init under the fixture seed, input [2,2,6,9] (NCHW). " + LOSS_NOTE,
        {"modules": ["conv1", "conv2", "output"], "kernel_size": [[3, 5], [2, 1]], "stride": [[1, 2], [3, 1]],
         "padding": [[2, 1], [0, 1]], "input_shape": [2, 2, 6, 9], "output_shape": [2, 3],
         "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss})


# --------------------------------------------------------------------------------------
# 9. Conv2d groups
# --------------------------------------------------------------------------------------

class Grouped(nn.Module):
    """grouped (groups=2) + tanh -> depthwise (groups = channels = filters, stride 2, no bias) + tanh -> multiplier (1x1, groups=3) -> output."""

    def __init__(self):
        super().__init__()
        self.grouped = nn.Conv2d(4, 6, 3, padding=1, groups=2)
        self.depthwise = nn.Conv2d(6, 6, 3, stride=2, padding=1, groups=6, bias=False)
        self.multiplier = nn.Conv2d(6, 12, 1, groups=3)
        self.output = nn.Linear(12 * 3 * 3, 3)

    def forward(self, x):
        h = self.multiplier(torch.tanh(self.depthwise(torch.tanh(self.grouped(x)))))
        return self.output(h.reshape(x.shape[0], -1))


def make_conv_groups():
    seed(7008)
    model = Grouped()
    x = torch.randn(2, 4, 5, 6)
    keys = ["grouped.weight", "grouped.bias", "depthwise.weight", "multiplier.weight", "multiplier.bias",
            "output.weight", "output.bias"]
    assert list(model.state_dict()) == keys
    assert list(model.grouped.weight.shape) == [6, 2, 3, 3] and list(model.depthwise.weight.shape) == [6, 1, 3, 3]
    assert list(model.multiplier.weight.shape) == [12, 2, 1, 1]
    tensors, loss = run(model, x)

    def manual(xx, wg, bg, wd, wm, bm, wo, bo):
        h = torch.tanh(manual_conv2d_general(xx, wg, bg, padding=(1, 1), groups=2))
        h = torch.tanh(manual_conv2d_general(h, wd, xx.new_zeros(6), stride=(2, 2), padding=(1, 1), groups=6))
        h = manual_conv2d_general(h, wm, bm, groups=3)
        return h.reshape(xx.shape[0], -1) @ wo.T + bo

    check_against(manual, tensors, keys, loss)

    write_fixture(
        "conv_groups",
        "A module with grouped = nn.Conv2d(4, 6, 3, padding=1, groups=2), depthwise = nn.Conv2d(6, 6, 3, stride=2, "
        "padding=1, groups=6, bias=False), multiplier = nn.Conv2d(6, 12, 1, groups=3) and output = nn.Linear(108, 3): "
        "output = flatten(multiplier(tanh(depthwise(tanh(grouped(input)))))) @ output.weight^T + output.bias. Filter f "
        "of group g reads only that group's channels; the weights are [filters, channels / groups, k, k]. [4,5,6] -> "
        "[6,5,6] -> [6,3,3] -> [12,3,3]; flatten is row-major over C, H, W. Parameters from PyTorch's default init "
        "under the fixture seed, input [2,4,5,6] (NCHW). " + LOSS_NOTE,
        {"modules": ["grouped", "depthwise", "multiplier", "output"], "groups": [2, 6, 3], "input_shape": [2, 4, 5, 6],
         "output_shape": [2, 3], "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss})


# --------------------------------------------------------------------------------------
# 10. Conv1d, MaxPool1d and AvgPool1d over sequences [steps, features]
# --------------------------------------------------------------------------------------

def manual_conv1d_steps(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    """On the Keras layout [N, L, C] (no transpose, no conv kernel): out[n,t,f] = b[f] + sum_{c,j} w[f,c,j] *
    xpad[n, t*stride + j*dilation, c] (zero padding on the steps), tap by tap; with groups, filter f of group g reads
    only channels g*C/groups to (g+1)*C/groups - 1."""
    if groups > 1:
        xs = x.chunk(groups, dim=2)
        ws = w.chunk(groups, dim=0)
        bs = b.chunk(groups, dim=0) if b is not None else [None] * groups
        return torch.cat([manual_conv1d_steps(xg, wg, bg, stride, padding, dilation) for xg, wg, bg in zip(xs, ws, bs)], dim=2)
    N, L, C = x.shape
    Fo, _, K = w.shape
    xp = x.new_zeros(N, L + 2 * padding, C)
    xp[:, padding:padding + L, :] = x
    Lo = (L + 2 * padding - dilation * (K - 1) - 1) // stride + 1
    out = x.new_zeros(N, Lo, Fo) if b is None else b.view(1, 1, Fo).expand(N, Lo, Fo)
    for j in range(K):
        patch = xp[:, j * dilation:j * dilation + stride * (Lo - 1) + 1:stride, :]
        out = out + torch.einsum("nlc,fc->nlf", patch, w[:, :, j])
    return out


def manual_pool1d_steps(x, kind, k, s, p):
    """On [N, L, C]: pads the steps explicitly (-inf for max, zeros for average) and pools every window of k steps;
    average divides by k, padded steps included."""
    fill = -math.inf if kind == "max" else 0.0
    N, L, C = x.shape
    xp = x.new_full((N, L + 2 * p, C), fill)
    xp[:, p:p + L, :] = x
    Lo = (L + 2 * p - k) // s + 1
    windows = torch.stack([xp[:, j:j + s * (Lo - 1) + 1:s, :] for j in range(k)], dim=-1)
    return windows.max(dim=-1).values if kind == "max" else windows.sum(dim=-1) / k


class Conv1dSteps(nn.Module):
    """conv1 (groups=2, padding 1) + tanh -> pool (MaxPool1d(2)) -> conv2 (stride 2, dilation 2, no bias) -> output
    (Linear), on [N, steps, features] as Keras' Conv1D takes it: nn.Conv1d works on [N, C, L], so the input is
    transposed in and the output out."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(4, 6, 3, padding=1, groups=2)
        self.pool = nn.MaxPool1d(2)
        self.conv2 = nn.Conv1d(6, 4, 2, stride=2, dilation=2, bias=False)
        self.output = nn.Linear(2 * 4, 3)

    def forward(self, x):
        h = self.conv2(self.pool(torch.tanh(self.conv1(x.transpose(1, 2)))))
        return self.output(h.transpose(1, 2).reshape(x.shape[0], -1))


def make_conv1d():
    seed(7012)
    model = Conv1dSteps()
    x = torch.randn(2, 10, 4)
    keys = ["conv1.weight", "conv1.bias", "conv2.weight", "output.weight", "output.bias"]
    assert list(model.state_dict()) == keys
    assert list(model.conv1.weight.shape) == [6, 2, 3] and list(model.conv2.weight.shape) == [4, 6, 2]
    tensors, loss = run(model, x)

    def manual(xx, w1, b1, w2, wo, bo):
        h = torch.tanh(manual_conv1d_steps(xx, w1, b1, padding=1, groups=2))
        h = manual_pool1d_steps(h, "max", 2, 2, 0)
        h = manual_conv1d_steps(h, w2, None, stride=2, dilation=2)
        assert list(h.shape) == [2, 2, 4]
        return h.reshape(xx.shape[0], -1) @ wo.T + bo

    check_against(manual, tensors, keys, loss)

    write_fixture(
        "conv1d",
        "A module with conv1 = nn.Conv1d(4, 6, 3, padding=1, groups=2), pool = nn.MaxPool1d(2), conv2 = nn.Conv1d(6, 4, "
        "2, stride=2, dilation=2, bias=False) and output = nn.Linear(8, 3), on input [N, steps, features] as Keras' "
        "Conv1D takes it: output = flatten(conv2(pool(tanh(conv1(input^T))))^T) @ output.weight^T + output.bias, where "
        "^T swaps steps and features (nn.Conv1d works on [N, C, L]). The weights are PyTorch's [filters, features / "
        "groups, kernel]. [10,4] -> [10,6] -> [5,6] -> [2,4]; flatten is row-major over steps, then filters. Parameters "
        "from PyTorch's default init under the fixture seed, input [2,10,4] ([N, steps, features]). " + LOSS_NOTE,
        {"modules": ["conv1", "pool", "conv2", "output"], "input_shape": [2, 10, 4], "output_shape": [2, 3],
         "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss})


class Pool1dSteps(nn.Module):
    """pool (nn.MaxPool1d or nn.AvgPool1d) alone on [N, steps, features], through [N, features, steps]."""

    def __init__(self, pool):
        super().__init__()
        self.pool = pool

    def forward(self, x):
        return self.pool(x.transpose(1, 2)).transpose(1, 2)


def make_pool1d(name, seed_value, kind, k, s, p):
    seed(seed_value)
    stride = k if s is None else s
    pool = nn.MaxPool1d(k, stride=s, padding=p) if kind == "max" else nn.AvgPool1d(k, stride=s, padding=p)
    assert kind == "max" or pool.count_include_pad, "PyTorch's default: padded zeros count in the divisor"
    model = Pool1dSteps(pool)
    # Mostly negative, distinct values, as for the 2-D pooling fixtures: zero padding would show in max pooling, and
    # no window has a tie.
    x = torch.randn(2, 7, 3) - 1.5
    tensors, loss = run(model, x)
    check_against(lambda xx: manual_pool1d_steps(xx, kind, k, stride, p), tensors, [], loss)
    out_shape = [2, (7 + 2 * p - k) // stride + 1, 3]
    assert list(tensors["output"].shape) == out_shape
    torch_name = "nn.MaxPool1d" if kind == "max" else "nn.AvgPool1d"
    arguments = "%d" % k + ("" if s is None else ", stride=%d" % s) + ("" if p == 0 else ", padding=%d" % p)
    rule = ("padding holds -inf, so each output is the maximum of the window's real steps and its gradient goes to "
            "that step. " if kind == "max" else
            "padding holds zeros that count in the divisor (count_include_pad=True, PyTorch's default): each output "
            "is the sum of the window's real steps / %d. " % k)
    write_fixture(
        name,
        "%s(%s) as module 'pool' on input [2,7,3] = randn - 1.5 as [N, steps, features], pooled over the steps "
        "through [N, features, steps] (pool(input^T)^T); output %s. " % (
            torch_name, arguments, "[" + ",".join(str(d) for d in out_shape) + "]") + rule + LOSS_NOTE,
        {"module": "pool", "kind": kind, "kernel_size": k, "stride": stride, "padding": p, "input_shape": [2, 7, 3],
         "output_shape": out_shape, "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss})


def main():
    os.makedirs(mf.OUT_DIR, exist_ok=True)
    make_no_bias()
    make_gelu_tanh()
    make_layer_norm()
    make_layer_norm_sequence()
    make_embedding_padding_idx()
    make_batch_norm_sequence(train=True)
    make_batch_norm_sequence(train=False)
    make_padded_pool("max_pool_padding", 7008, "max", 3, 2, 1)
    make_padded_pool("avg_pool_padding", 7009, "avg", 3, 2, 1)
    make_padded_pool("max_pool_padding_stride1", 7010, "max", 2, 1, 1)
    make_padded_pool("avg_pool_padding_stride1", 7011, "avg", 2, 1, 1)
    make_conv_dilation()
    make_conv_rectangular()
    make_conv_groups()
    make_conv1d()
    make_pool1d("max_pool1d", 7013, "max", 2, None, 0)
    make_pool1d("max_pool1d_padding", 7014, "max", 3, 2, 1)
    make_pool1d("avg_pool1d_padding", 7015, "avg", 3, 2, 1)
    make_pool1d("avg_pool1d_padding_stride1", 7016, "avg", 2, 1, 1)
    for path in mf.WRITTEN:
        print(os.path.relpath(path, mf.REPO_ROOT))
    print("wrote %d fixtures with torch %s" % (len(mf.WRITTEN), torch.__version__), file=sys.stderr)


if __name__ == "__main__":
    main()
