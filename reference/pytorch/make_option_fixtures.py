#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for the layer options PyTorch users reach for.

bias=False on nn.Linear and nn.Conv2d, ... Same format and determinism rules as
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


def main():
    os.makedirs(mf.OUT_DIR, exist_ok=True)
    make_no_bias()
    for path in mf.WRITTEN:
        print(os.path.relpath(path, mf.REPO_ROOT))
    print("wrote %d fixtures with torch %s" % (len(mf.WRITTEN), torch.__version__), file=sys.stderr)


if __name__ == "__main__":
    main()
