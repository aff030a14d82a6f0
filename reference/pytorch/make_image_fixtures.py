#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for TypedNets' image layers.

Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePooling2D, BatchNorm (over image channels and
over features) and a tiny convnet (Conv -> Pool -> Conv -> Pool -> Flatten -> Dense ->
Dense) with a few Adam steps. Same format and determinism rules as make_fixtures.py (whose
JSON writer this script reuses): float64, one thread, deterministic algorithms, a fixed
seed per fixture, byte-identical output on a rerun for a given PyTorch build.

Run from anywhere (the output directory is found from this file's location):

    /usr/bin/python3 reference/pytorch/make_image_fixtures.py

TypedNets conventions followed here: per-sample images are [channels, height, width] and
batches are batch-first NCHW; state_dict keys are named after the C# property in
snake_case; Conv2D weights are [filters, channels, k, k]; Flatten is x.reshape(batch, -1)
(row-major over C, H, W). See reference/README.md for the JSON format and the list of
fixtures.
"""

import math
import os
import sys

sys.dont_write_bytecode = True  # importing make_fixtures must not leave a __pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import make_fixtures as mf  # noqa: E402  (sets float64, 1 thread, deterministic algorithms)

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


class Wrap(nn.Module):
    """A container whose single attribute is named like the C# layer property (snake_case)."""

    def __init__(self, name, module):
        super().__init__()
        setattr(self, name, module)


def weighted_sum_loss(output):
    r = torch.randn(output.shape)
    return (output * r).sum(), r


def check_gradients_numerically(fn, inputs):
    """Central finite differences (torch.autograd.gradcheck) on a float64 function of the given tensors."""
    inputs = tuple(t.detach().clone().requires_grad_(True) for t in inputs)
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-7, rtol=1e-6)


# --------------------------------------------------------------------------------------
# Independent re-implementations (no conv / pool / batch-norm kernels), used as checks
# --------------------------------------------------------------------------------------

def manual_conv2d(x, w, b, stride, padding):
    """out[n,f,i,j] = b[f] + sum_{c,u,v} w[f,c,u,v] * xpad[n,c,i*stride+u, j*stride+v] (zero padding)."""
    N, C, H, W = x.shape
    Fo, _, K, _ = w.shape
    xp = x
    if padding:  # zero rows above and below, then zero columns left and right
        rows = x.new_zeros(N, C, padding, W)
        xp = torch.cat([rows, xp, rows], dim=2)
        cols = x.new_zeros(N, C, H + 2 * padding, padding)
        xp = torch.cat([cols, xp, cols], dim=3)
    Ho = (H + 2 * padding - K) // stride + 1
    Wo = (W + 2 * padding - K) // stride + 1
    out = b.view(1, Fo, 1, 1).expand(N, Fo, Ho, Wo)
    for u in range(K):
        for v in range(K):
            patch = xp[:, :, u:u + stride * (Ho - 1) + 1:stride, v:v + stride * (Wo - 1) + 1:stride]
            out = out + torch.einsum("nchw,fc->nfhw", patch, w[:, :, u, v])
    return out


def windows(x, k, s):
    """[N,C,Ho,Wo,k*k]: the k x k windows at stride s (no padding), row-major within a window."""
    N, C, H, W = x.shape
    Ho = (H - k) // s + 1
    Wo = (W - k) // s + 1
    parts = [x[:, :, u:u + s * (Ho - 1) + 1:s, v:v + s * (Wo - 1) + 1:s] for u in range(k) for v in range(k)]
    return torch.stack(parts, dim=-1)


def manual_maxpool(x, k, s):
    return windows(x, k, s).max(dim=-1).values


def manual_avgpool(x, k, s):
    return windows(x, k, s).sum(dim=-1) / (k * k)


def manual_batchnorm(x, weight, bias, mean, var, eps=1e-5):
    """Per-channel affine normalisation; channels are axis 1, statistics given (broadcast over the rest)."""
    shape = [1, -1] + [1] * (x.dim() - 2)
    return (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps) * weight.view(shape) + bias.view(shape)


def batch_stats(x):
    """Per-channel mean, biased variance (divide by n) and unbiased variance (divide by n-1); n = elements/C."""
    dims = [0] + list(range(2, x.dim()))
    n = x.numel() // x.shape[1]
    mean = x.sum(dim=dims) / n
    shape = [1, -1] + [1] * (x.dim() - 2)
    sq = ((x - mean.view(shape)) ** 2).sum(dim=dims)
    return mean, sq / n, sq / (n - 1), n


# --------------------------------------------------------------------------------------
# 1. Conv2D
# --------------------------------------------------------------------------------------

def make_conv(name, seed_value, in_ch, filters, kernel, stride, padding, input_shape):
    seed(seed_value)
    model = Wrap("conv", nn.Conv2d(in_ch, filters, kernel, stride=stride, padding=padding))
    x = torch.randn(input_shape)
    assert list(model.state_dict()) == ["conv.weight", "conv.bias"]

    xi = x.clone().requires_grad_(True)
    out = model.conv(xi)
    loss, r = weighted_sum_loss(out)
    loss.backward()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    grads = {"grad." + k: p.grad.detach().clone() for k, p in model.named_parameters()}
    grad_input = xi.grad.detach().clone()

    N, C, H, W = input_shape
    Ho = (H + 2 * padding - kernel) // stride + 1
    Wo = (W + 2 * padding - kernel) // stride + 1
    assert list(out.shape) == [N, filters, Ho, Wo]

    # Independent check: explicit sum over kernel offsets, its autograd gradients, finite differences.
    def manual_loss(xx, ww, bb):
        return (manual_conv2d(xx, ww, bb, stride, padding) * r).sum()

    xm = x.clone().requires_grad_(True)
    wm = state["conv.weight"].clone().requires_grad_(True)
    bm = state["conv.bias"].clone().requires_grad_(True)
    assert close(manual_conv2d(xm, wm, bm, stride, padding), out.detach())
    lm = manual_loss(xm, wm, bm)
    lm.backward()
    assert close(lm, loss.detach())
    assert close(xm.grad, grad_input)
    assert close(wm.grad, grads["grad.conv.weight"]) and close(bm.grad, grads["grad.conv.bias"])
    assert close(grads["grad.conv.bias"], r.sum(dim=(0, 2, 3)))
    check_gradients_numerically(manual_loss, [x, state["conv.weight"], state["conv.bias"]])

    tensors = dict(state)
    tensors.update({"input": x, "output": out, "output_weights": r})
    tensors.update(grads)
    tensors["grad.input"] = grad_input
    shape = lambda s: "[" + ",".join(str(d) for d in s) + "]"  # noqa: E731
    write_fixture(
        name,
        "nn.Conv2d(in_channels=%d, out_channels=%d, kernel_size=%d, stride=%d, padding=%d) as module 'conv' "
        "(bias=True, dilation 1, groups 1, zero padding), parameters from PyTorch's default init under the "
        "fixture seed. input %s = [batch, channels, height, width] (NCHW)%s. output %s with H_out = "
        "floor((H + 2*padding - k)/stride) + 1 = %d and W_out = %d. PyTorch's conv is a cross-correlation (the "
        "kernel is NOT flipped): output[n,f,i,j] = conv.bias[f] + sum_{c,u,v} conv.weight[f,c,u,v] * "
        "xpad[n,c,i*stride+u, j*stride+v], where xpad is %s. conv.weight %s = [filters, channels, k, k], "
        "conv.bias [%d]. "
        % (in_ch, filters, kernel, stride, padding, shape(input_shape),
           ", non-square: height 7, width 6" if H != W else "", shape(out.shape), Ho, Wo,
           "the input itself (padding 0)" if padding == 0 else
           "the input with %d row(s) and column(s) of zeros added on every side, [%d,%d,%d,%d]"
           % (padding, N, C, H + 2 * padding, W + 2 * padding),
           shape(state["conv.weight"].shape), filters)
        + LOSS_NOTE
        + "grad.conv.bias[f] = sum of output_weights[:, f, :, :]; grad.conv.weight[f,c,u,v] = sum_{n,i,j} "
        "output_weights[n,f,i,j] * xpad[n,c,i*stride+u, j*stride+v]; grad.input is the matching transposed "
        "convolution of output_weights (cropped back to the unpadded input).",
        {"layer": "Conv2d", "module": "conv", "in_channels": in_ch, "filters": filters, "kernel_size": kernel,
         "stride": stride, "padding": padding, "layout": "NCHW", "input_shape": list(input_shape),
         "output_shape": list(out.shape), "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss.item()})


# --------------------------------------------------------------------------------------
# 2. Pooling
# --------------------------------------------------------------------------------------

POOL_SEED = 5101  # shared by maxpool2d and avgpool2d: same input (and, same shape, same output_weights)


def make_maxpool2d():
    seed(POOL_SEED)
    x = torch.randn(2, 3, 6, 6)
    top2 = windows(x, 2, 2).topk(2, dim=-1).values
    margin = (top2[..., 0] - top2[..., 1]).min().item()
    assert margin > 1e-3, "max pooling needs a unique maximum per window (margin %g)" % margin

    xi = x.clone().requires_grad_(True)
    out, idx = F.max_pool2d(xi, 2, 2, return_indices=True)
    assert torch.equal(out, nn.MaxPool2d(2, 2)(xi))
    loss, r = weighted_sum_loss(out)
    loss.backward()

    assert torch.equal(out.detach(), manual_maxpool(x, 2, 2))
    expect = torch.zeros_like(x)
    for n in range(2):
        for c in range(3):
            for i in range(3):
                for j in range(3):
                    win = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    a = int(win.reshape(-1).argmax())
                    h, w = 2 * i + a // 2, 2 * j + a % 2
                    assert int(idx[n, c, i, j]) == h * 6 + w
                    expect[n, c, h, w] = r[n, c, i, j]
    assert torch.equal(xi.grad, expect)

    write_fixture(
        "maxpool2d",
        "nn.MaxPool2d(kernel_size=2, stride=2) (no padding, dilation 1, floor mode) on input [2,3,6,6] (NCHW): "
        "output [2,3,3,3], output[n,c,i,j] = max of input[n,c,2i:2i+2, 2j:2j+2]. Every 2x2 window has a unique "
        "maximum (gap to the runner-up > 1e-3; smallest gap %.4g), so the gradient is unambiguous. max_indices "
        "[2,3,3,3] = position of each maximum as the flat index h*6 + w into its input plane (PyTorch's "
        "return_indices convention), stored as floats. No parameters. " % margin + LOSS_NOTE
        + "grad.input [2,3,6,6] = output_weights[n,c,i,j] at the arg-max position of window (i,j) and exactly 0 "
        "elsewhere (windows do not overlap). maxpool2d and avgpool2d share the seed, so input and "
        "output_weights are identical in the two files.",
        {"layer": "MaxPool2d", "kernel_size": 2, "stride": 2, "padding": 0, "layout": "NCHW",
         "input_shape": [2, 3, 6, 6], "output_shape": [2, 3, 3, 3], "loss": "sum(output * output_weights)"},
        {"input": x, "output": out, "max_indices": idx.to(torch.float64), "output_weights": r,
         "grad.input": xi.grad},
        {"loss": loss.item(), "min_window_margin": margin})


def make_avgpool(name, seed_value, kernel, stride, input_shape, note):
    seed(seed_value)
    x = torch.randn(input_shape)
    xi = x.clone().requires_grad_(True)
    out = nn.AvgPool2d(kernel, stride)(xi)
    loss, r = weighted_sum_loss(out)
    loss.backward()

    N, C, H, W = input_shape
    Ho, Wo = (H - kernel) // stride + 1, (W - kernel) // stride + 1
    assert list(out.shape) == [N, C, Ho, Wo]
    assert close(out, manual_avgpool(x, kernel, stride))
    expect = torch.zeros_like(x)
    for i in range(Ho):
        for j in range(Wo):
            expect[:, :, i * stride:i * stride + kernel, j * stride:j * stride + kernel] += \
                r[:, :, i, j].view(N, C, 1, 1) / (kernel * kernel)
    assert close(xi.grad, expect)

    shape = lambda s: "[" + ",".join(str(d) for d in s) + "]"  # noqa: E731
    write_fixture(
        name,
        "nn.AvgPool2d(kernel_size=%d, stride=%d) (no padding, floor mode) on input %s (NCHW): output %s, "
        "output[n,c,i,j] = mean of input[n,c,%d*i:%d*i+%d, %d*j:%d*j+%d] (sum of the %d values / %d). No "
        "parameters. " % (kernel, stride, shape(input_shape), shape(out.shape), stride, stride, kernel, stride,
                          stride, kernel, kernel * kernel, kernel * kernel)
        + LOSS_NOTE + "grad.input[n,c,h,w] = sum over the windows (i,j) that contain (h,w) of "
        "output_weights[n,c,i,j]/%d. %s" % (kernel * kernel, note),
        {"layer": "AvgPool2d", "kernel_size": kernel, "stride": stride, "padding": 0, "layout": "NCHW",
         "input_shape": list(input_shape), "output_shape": list(out.shape),
         "loss": "sum(output * output_weights)"},
        {"input": x, "output": out, "output_weights": r, "grad.input": xi.grad},
        {"loss": loss.item()})


def make_global_avgpool2d():
    seed(5104)
    x = torch.randn(2, 3, 4, 5)
    xi = x.clone().requires_grad_(True)
    out = xi.mean(dim=(2, 3))
    loss, r = weighted_sum_loss(out)
    loss.backward()
    assert close(out, x.sum(dim=3).sum(dim=2) / 20)
    assert close(xi.grad, r.view(2, 3, 1, 1).expand(2, 3, 4, 5) / 20)
    write_fixture(
        "global_avgpool2d",
        "GlobalAveragePooling2D: input.mean(dim=(2, 3)) on input [2,3,4,5] (NCHW, non-square 4x5): output [2,3] "
        "= [batch, channels], output[n,c] = sum of the 20 values of input[n,c,:,:] / 20. No parameters. "
        + LOSS_NOTE + "grad.input[n,c,h,w] = output_weights[n,c]/20 at every position.",
        {"layer": "GlobalAveragePooling2D", "reduce_axes": [2, 3], "layout": "NCHW", "input_shape": [2, 3, 4, 5],
         "output_shape": [2, 3], "loss": "sum(output * output_weights)"},
        {"input": x, "output": out, "output_weights": r, "grad.input": xi.grad},
        {"loss": loss.item()})


# --------------------------------------------------------------------------------------
# 3. BatchNorm
# --------------------------------------------------------------------------------------

BN_KEYS = ["norm.weight", "norm.bias", "norm.running_mean", "norm.running_var"]


def make_batchnorm(name, seed_value, dims, channels, input_shape, train):
    """dims = 2 (BatchNorm2d on NCHW) or 1 (BatchNorm1d on [batch, features])."""
    seed(seed_value)
    cls = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
    model = Wrap("norm", cls(channels, eps=1e-5, momentum=0.1))
    bn = model.norm
    with torch.no_grad():
        bn.weight.copy_(1.0 + 0.5 * torch.randn(channels))
        bn.bias.copy_(0.5 * torch.randn(channels))
        bn.running_mean.copy_(0.5 * torch.randn(channels))
        bn.running_var.copy_(0.5 + torch.rand(channels))
    x = 1.5 * torch.randn(input_shape) + 0.5
    sd = model.state_dict()
    assert list(sd) == BN_KEYS + ["norm.num_batches_tracked"] and int(sd["norm.num_batches_tracked"]) == 0
    state = {k: sd[k].detach().clone() for k in BN_KEYS}
    assert (state["norm.running_var"] > 0).all()

    model.train(train)
    xi = x.clone().requires_grad_(True)
    out = bn(xi)
    loss, r = weighted_sum_loss(out)
    loss.backward()
    grads = {"grad." + k: p.grad.detach().clone() for k, p in model.named_parameters()}
    assert list(grads) == ["grad.norm.weight", "grad.norm.bias"]
    grad_input = xi.grad.detach().clone()

    # Independent check of the documented formulas (forward, running update, closed-form and
    # autograd gradients of the manual version, finite differences).
    w, b = state["norm.weight"], state["norm.bias"]
    rm, rv = state["norm.running_mean"], state["norm.running_var"]
    mean, var_b, var_u, n = batch_stats(x)
    view = [1, -1] + [1] * (x.dim() - 2)
    red = [0] + list(range(2, x.dim()))
    if train:
        use_mean, use_var = mean, var_b
        assert close(bn.running_mean, 0.9 * rm + 0.1 * mean) and close(bn.running_var, 0.9 * rv + 0.1 * var_u)
        assert int(bn.num_batches_tracked) == 1
    else:
        use_mean, use_var = rm, rv
        assert torch.equal(bn.running_mean, rm) and torch.equal(bn.running_var, rv)
        assert int(bn.num_batches_tracked) == 0
    xhat = (x - use_mean.view(view)) / torch.sqrt(use_var.view(view) + 1e-5)
    assert close(out, manual_batchnorm(x, w, b, use_mean, use_var))
    assert close(grads["grad.norm.weight"], (r * xhat).sum(dim=red))
    assert close(grads["grad.norm.bias"], r.sum(dim=red))
    scale = (w / torch.sqrt(use_var + 1e-5)).view(view)
    if train:
        expect_gx = scale * (r - r.mean(dim=red, keepdim=True) - xhat * (r * xhat).mean(dim=red, keepdim=True))
    else:
        expect_gx = scale * r
    assert close(grad_input, expect_gx)

    def manual_loss(xx, ww, bb):
        if train:
            m, vb, _, _ = batch_stats(xx)
            return (manual_batchnorm(xx, ww, bb, m, vb) * r).sum()
        return (manual_batchnorm(xx, ww, bb, rm, rv) * r).sum()

    check_gradients_numerically(manual_loss, [x, w, b])

    tensors = dict(state)
    tensors.update({"input": x, "output": out, "output_weights": r})
    if train:
        tensors.update({"batch_mean": mean, "batch_var": var_b,
                        "running_mean_after": bn.running_mean.detach().clone(),
                        "running_var_after": bn.running_var.detach().clone()})
    tensors.update(grads)
    tensors["grad.input"] = grad_input

    shape = lambda s: "[" + ",".join(str(d) for d in s) + "]"  # noqa: E731
    if dims == 2:
        where = ("input %s = [batch, channels, height, width] (NCHW); one normalisation per channel c, over the "
                 "batch and both spatial axes: n = N*H*W = %d values per channel" % (shape(input_shape), n))
        over = "(batch, height, width)"
    else:
        where = ("input %s = [batch, features]; one normalisation per feature c, over the batch axis: n = N = %d "
                 "values per feature" % (shape(input_shape), n))
        over = "the batch axis"
    common = ("nn.BatchNorm%dd(%d, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True) as module 'norm'. "
              "Its state is set by hand under the fixture seed, in this order: norm.weight = 1 + 0.5*randn, "
              "norm.bias = 0.5*randn, norm.running_mean = 0.5*randn, norm.running_var = 0.5 + rand (positive); "
              "then input = 1.5*randn + 0.5. The recorded norm.* tensors [%d] are those values before the "
              "forward. %s. " % (dims, channels, channels, where))
    if train:
        desc = (common + "Forward in TRAIN mode (model.train()): batch_mean[c] = mean of input over %s; "
                "batch_var[c] = mean of (input - batch_mean[c])^2 over %s (BIASED, divides by n = %d); output = "
                "(input - batch_mean[c]) / sqrt(batch_var[c] + 1e-5) * norm.weight[c] + norm.bias[c] (the running "
                "stats are NOT used for the output). The forward then updates the buffers: running_mean_after = "
                "(1 - 0.1)*norm.running_mean + 0.1*batch_mean; running_var_after = (1 - 0.1)*norm.running_var + "
                "0.1*batch_var*n/(n-1) (UNBIASED variance, n/(n-1) = %d/%d); num_batches_tracked goes from 0 to 1 "
                "(not recorded; unused because momentum is set). " % (over, over, n, n, n - 1)
                + LOSS_NOTE + "The gradients flow through the batch statistics (they are functions of the input): "
                "with g = output_weights and xhat = (input - batch_mean)/sqrt(batch_var + 1e-5), "
                "grad.norm.weight[c] = sum of g*xhat over %s, grad.norm.bias[c] = sum of g over %s, grad.input = "
                "norm.weight[c]/sqrt(batch_var[c] + 1e-5) * (g - mean(g) - xhat*mean(g*xhat)) with the means per "
                "channel over %s. The running-stat update carries no gradient. The _train and _eval fixtures "
                "share the seed: identical initial state, input and output_weights." % (over, over, over))
    else:
        desc = (common + "Forward in EVAL mode (model.eval()): the running statistics are used and NOT updated: "
                "output = (input - norm.running_mean[c]) / sqrt(norm.running_var[c] + 1e-5) * norm.weight[c] + "
                "norm.bias[c]. " + LOSS_NOTE + "With g = output_weights and xhat = (input - running_mean)/"
                "sqrt(running_var + 1e-5): grad.norm.weight[c] = sum of g*xhat over %s, grad.norm.bias[c] = sum of "
                "g over %s, grad.input = g * norm.weight[c]/sqrt(norm.running_var[c] + 1e-5) (the statistics are "
                "constants). The _train and _eval fixtures share the seed: identical initial state, input and "
                "output_weights; this one uses the running statistics as they were BEFORE the train-mode "
                "forward of the _train fixture (i.e. the recorded norm.running_mean / norm.running_var)." % (over, over))
    write_fixture(
        name, desc,
        {"layer": "BatchNorm%dd" % dims, "module": "norm", "num_features": channels, "eps": 1e-5,
         "momentum": 0.1, "mode": "train" if train else "eval", "input_shape": list(input_shape),
         "values_per_channel": n, "normalisation_variance": "biased (divide by n)" if train else "running_var",
         "running_var_update": "unbiased (divide by n-1)" if train else "none",
         "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss.item()})


# --------------------------------------------------------------------------------------
# 4. Tiny convnet
# --------------------------------------------------------------------------------------

class TinyConvNet(nn.Module):
    """Mirrors a TypedNets image network (attribute names = C# properties in snake_case)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.pool2 = nn.MaxPool2d(2)
        self.flat = nn.Flatten()
        self.hidden = nn.Linear(6 * 2 * 2, 8)
        self.output = nn.Linear(8, 3)

    def activations(self, x):
        a1 = torch.relu(self.conv1(x))          # [N, 4, 12, 12]
        p1 = self.pool1(a1)                     # [N, 4, 6, 6]
        a2 = torch.relu(self.conv2(p1))         # [N, 6, 4, 4]
        p2 = self.pool2(a2)                     # [N, 6, 2, 2]
        f = self.flat(p2)                       # [N, 24]
        h = torch.relu(self.hidden(f))          # [N, 8]
        return a1, a2, h, self.output(h)

    def forward(self, x):
        """Returns the logits (pre-softmax)."""
        return self.activations(x)[-1]


CONVNET_KEYS = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "hidden.weight", "hidden.bias",
                "output.weight", "output.bias"]


def manual_convnet_logits(p, x):
    a1 = torch.relu(manual_conv2d(x, p["conv1.weight"], p["conv1.bias"], 1, 0))
    a2 = torch.relu(manual_conv2d(manual_maxpool(a1, 2, 2), p["conv2.weight"], p["conv2.bias"], 1, 0))
    f = manual_maxpool(a2, 2, 2).reshape(x.shape[0], -1)
    h = torch.relu(f @ p["hidden.weight"].T + p["hidden.bias"])
    return h @ p["output.weight"].T + p["output.bias"]


def pool_margin(a):
    """Smallest gap between the largest and second-largest value over the 2x2 windows whose maximum is > 0.

    Windows whose values are all 0 (all ReLU'd away) are skipped: whichever position a max pool picks
    there, the gradient is multiplied by ReLU's zero derivative, so ties there cannot change anything."""
    top2 = windows(a, 2, 2).topk(2, dim=-1).values
    live = top2[..., 0] > 0
    return (top2[..., 0] - top2[..., 1])[live].min().item()


def make_convnet_tiny():
    seed(5401)
    model = TinyConvNet()
    x = torch.randn(4, 1, 14, 14)
    targets = torch.tensor([2, 0, 1, 2])
    assert list(model.state_dict()) == CONVNET_KEYS
    ce = nn.CrossEntropyLoss()

    def check_kinks(xx):
        with torch.no_grad():
            a1, a2, h, _ = model.activations(xx)
            pre = [model.conv1(xx), model.conv2(model.pool1(a1)), model.hidden(model.flat(model.pool2(a2)))]
        return min(pool_margin(a1), pool_margin(a2)), min(z.abs().min().item() for z in pre)

    margin0, kink0 = check_kinks(x)
    assert margin0 > 1e-3 and kink0 > 1e-6, (margin0, kink0)

    xi = x.clone().requires_grad_(True)
    logits = model(xi)
    probs = F.softmax(logits, dim=1)
    loss = ce(logits, targets)
    loss.backward()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    grads = {"grad." + k: p.grad.detach().clone() for k, p in model.named_parameters()}
    assert list(grads) == ["grad." + k for k in CONVNET_KEYS]
    grad_input = xi.grad.detach().clone()

    # Independent check of forward, loss and gradients with the manual layers.
    pm = {k: v.clone().requires_grad_(True) for k, v in state.items()}
    xm = x.clone().requires_grad_(True)
    lm = manual_convnet_logits(pm, xm)
    assert close(lm, logits.detach())
    nll = -(torch.log_softmax(lm, dim=1)[torch.arange(4), targets]).mean()
    assert close(nll, loss.detach())
    nll.backward()
    for k in CONVNET_KEYS:
        assert close(pm[k].grad, grads["grad." + k]), k
    assert close(xm.grad, grad_input)

    model.zero_grad(set_to_none=True)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, foreach=False)
    losses, margins, kinks = [], [], []
    for _ in range(5):
        m_, k_ = check_kinks(x)
        margins.append(m_)
        kinks.append(k_)
        opt.zero_grad(set_to_none=True)
        step_loss = ce(model(x), targets)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    final_loss = ce(model(x), targets).item()
    assert losses[0] == loss.item() and final_loss < losses[0]
    # A 1e-3 gap at every one of the 6 x 672 windows is not reachable with any seed tried; 1e-4 is still
    # ~10 orders of magnitude above float64 rounding, so no implementation can pick a different window max.
    assert min(margins) > 1e-4 and min(kinks) > 1e-6, (margins, kinks)
    final = {"final." + k: v.detach().clone() for k, v in model.state_dict().items()}

    # Independent Adam (formula of make_fixtures.ADAM_DOC) on the manual network.
    p = {k: v.clone() for k, v in state.items()}
    m = {k: torch.zeros_like(v) for k, v in p.items()}
    v2 = {k: torch.zeros_like(v) for k, v in p.items()}
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    manual_losses = []
    for t in range(1, 6):
        pg = {k: val.clone().requires_grad_(True) for k, val in p.items()}
        lt = -(torch.log_softmax(manual_convnet_logits(pg, x), dim=1)[torch.arange(4), targets]).mean()
        manual_losses.append(lt.item())
        lt.backward()
        for k in CONVNET_KEYS:
            g = pg[k].grad
            m[k] = b1 * m[k] + (1 - b1) * g
            v2[k] = b2 * v2[k] + (1 - b2) * g * g
            denom = v2[k].sqrt() / math.sqrt(1 - b2 ** t) + eps
            p[k] = p[k] - (lr / (1 - b1 ** t)) * m[k] / denom
    assert close(torch.tensor(manual_losses), torch.tensor(losses))
    for k in CONVNET_KEYS:
        assert close(p[k], final["final." + k], tol=1e-10), k

    tensors = dict(state)
    tensors.update({"input": x, "target": targets.to(torch.float64), "logits": logits, "probabilities": probs})
    tensors.update(grads)
    tensors["grad.input"] = grad_input
    tensors["adam_losses"] = torch.tensor(losses)
    tensors.update(final)
    write_fixture(
        "convnet_tiny",
        "A small convnet as an nn.Module with attributes conv1, pool1, conv2, pool2, flat, hidden, output "
        "(created in that order; parameters from PyTorch's default init under the fixture seed): conv1 = "
        "nn.Conv2d(1, 4, 3) (stride 1, no padding) + ReLU: [4,1,14,14] -> [4,4,12,12]; pool1 = nn.MaxPool2d(2) "
        "(stride 2) -> [4,4,6,6]; conv2 = nn.Conv2d(4, 6, 3) + ReLU -> [4,6,4,4]; pool2 = nn.MaxPool2d(2) -> "
        "[4,6,2,2]; flat = nn.Flatten() = x.reshape(batch, -1), row-major over (channel, height, width) -> "
        "[4,24]; hidden = nn.Linear(24, 8) + ReLU; output = nn.Linear(8, 3) + Softmax. Conv semantics as in the "
        "conv2d fixture (cross-correlation, weight [filters, channels, k, k]); Linear weights are [out, in]. "
        "input [4,1,14,14] ~ randn (NCHW); target [4] = integer classes as floats. logits [4,3] = output layer "
        "before the softmax; probabilities = softmax(logits, dim=1); scalar loss = "
        "nn.CrossEntropyLoss()(logits, target) = mean over the batch of -log probabilities[b, target[b]]. "
        "State_dict keys (initial values): conv1.weight [4,1,3,3], conv1.bias [4], conv2.weight [6,4,3,3], "
        "conv2.bias [6], hidden.weight [8,24], hidden.bias [8], output.weight [3,8], output.bias [3]; "
        "grad.<key> = d loss / d <key> at those values; grad.input [4,1,14,14] = d loss / d input. Every max-pool "
        "window whose maximum is positive has a unique maximum: gap to the runner-up > 1e-3 at the initial "
        "parameters (scalar min_pool_margin) and > 1e-4 before every Adam step (scalar min_pool_margin_adam); "
        "windows that are all 0 after the ReLU pass zero gradient whichever position is picked. No "
        "pre-activation (conv1, conv2, hidden) is within 1e-6 of the ReLU kink at any of those points (scalar "
        "min_abs_preactivation). Then 5 steps of torch.optim.Adam(lr=0.01) "
        "(betas=(0.9,0.999), eps=1e-8, no weight decay, formula of the adam fixture) on the same batch: "
        "adam_losses [5] is the loss before each step (adam_losses[0] = loss), final.<key> the parameters "
        "after the 5th step, scalar final_loss the loss after it.",
        {"layers": [{"name": "conv1", "type": "Conv2d", "in_channels": 1, "filters": 4, "kernel_size": 3,
                     "stride": 1, "padding": 0, "activation": "relu"},
                    {"name": "pool1", "type": "MaxPool2d", "kernel_size": 2, "stride": 2},
                    {"name": "conv2", "type": "Conv2d", "in_channels": 4, "filters": 6, "kernel_size": 3,
                     "stride": 1, "padding": 0, "activation": "relu"},
                    {"name": "pool2", "type": "MaxPool2d", "kernel_size": 2, "stride": 2},
                    {"name": "flat", "type": "Flatten", "output_features": 24},
                    {"name": "hidden", "type": "Linear", "in_features": 24, "out_features": 8,
                     "activation": "relu"},
                    {"name": "output", "type": "Linear", "in_features": 8, "out_features": 3,
                     "activation": "softmax"}],
         "input_shape": [4, 1, 14, 14], "layout": "NCHW", "loss": "CrossEntropyLoss", "reduction": "mean",
         "optimizer": "Adam", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "steps": 5,
         "batch": 4},
        tensors, {"loss": loss.item(), "final_loss": final_loss, "min_pool_margin": margin0,
                  "min_pool_margin_adam": min(margins), "min_abs_preactivation": min(kinks)})


def main():
    os.makedirs(mf.OUT_DIR, exist_ok=True)
    make_conv("conv2d", 5001, 3, 4, 3, 1, 0, (2, 3, 7, 6))
    make_conv("conv2d_stride_padding", 5002, 2, 3, 3, 2, 1, (2, 2, 7, 7))
    make_maxpool2d()
    make_avgpool("avgpool2d", POOL_SEED, 2, 2, (2, 3, 6, 6),
                 "Non-overlapping windows. maxpool2d and avgpool2d share the seed, so input and output_weights are "
                 "identical in the two files.")
    make_avgpool("avgpool2d_stride1", 5103, 3, 1, (2, 2, 5, 5),
                 "Overlapping windows (stride 1 < kernel 3): the centre position (2,2) of each plane is in all 9 "
                 "windows, the corners in 1.")
    make_global_avgpool2d()
    make_batchnorm("batchnorm2d_train", 5301, 2, 3, (4, 3, 3, 3), train=True)
    make_batchnorm("batchnorm2d_eval", 5301, 2, 3, (4, 3, 3, 3), train=False)
    make_batchnorm("batchnorm1d_train", 5302, 1, 5, (6, 5), train=True)
    make_batchnorm("batchnorm1d_eval", 5302, 1, 5, (6, 5), train=False)
    make_convnet_tiny()
    for path in mf.WRITTEN:
        print(os.path.relpath(path, mf.REPO_ROOT))
    print("wrote %d fixtures with torch %s" % (len(mf.WRITTEN), torch.__version__), file=sys.stderr)


if __name__ == "__main__":
    main()
