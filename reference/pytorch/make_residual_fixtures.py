#!/usr/bin/env python3
"""Writes the PyTorch reference fixture for a residual network: torchvision's BasicBlock at test size.

resnet_tiny is a small ResNet built exactly as torchvision builds resnet18 (conv1 -> bn1 -> relu -> layer1 ->
layer2 -> global average pooling -> fc), with BasicBlocks whose shortcut is the identity or, where the block
halves the image and widens the channels, downsample = nn.Sequential(Conv2d 1x1 stride 2 bias=False, BatchNorm2d).
Its state_dict keys are torchvision's (layer2.0.downsample.0.weight, ...), so the C# declaration must name its
parameters the same way to load it one to one.

The fixture records the state_dict, a batch, the logits, the cross-entropy loss and every gradient of the first
step in training mode (batch statistics), then 5 steps of torch.optim.Adam(lr=0.01): the loss before each step,
and every parameter and running statistic after the fifth; and the model's own state_dict after the fifth step as
tests/Fixtures/safetensors/resnet_tiny.safetensors (F32, num_batches_tracked as I64). Same format and determinism rules as make_fixtures.py
(float64, one thread, deterministic algorithms, a fixed seed). Everything recorded is checked as it is written
against an independent re-implementation (no nn module on the checked path: make_image_fixtures' manual
convolution and batch normalisation, a manual Adam).

Run from anywhere:

    /usr/bin/python3 reference/pytorch/make_residual_fixtures.py
"""

import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import make_fixtures as mf  # noqa: E402  (sets float64, 1 thread, deterministic algorithms)
import safetensors_io  # noqa: E402
import make_image_fixtures as mif  # noqa: E402  (manual_conv2d, manual_batchnorm, batch_stats)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

write_fixture = mf.write_fixture
seed = mf.seed
close = mf.close


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock, written out (torchvision is not needed to run this script)."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(2)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(BasicBlock(2, 2))
        self.layer2 = nn.Sequential(BasicBlock(2, 4, stride=2), BasicBlock(4, 4))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def manual_bn_train(x, p, prefix, buffers):
    """Batch normalisation in training mode with the batch's statistics; updates the running ones as PyTorch (momentum 0.1)."""
    mean, biased, unbiased, _ = mif.batch_stats(x)
    buffers[prefix + "running_mean"] = 0.9 * buffers[prefix + "running_mean"] + 0.1 * mean.detach()
    buffers[prefix + "running_var"] = 0.9 * buffers[prefix + "running_var"] + 0.1 * unbiased.detach()
    return mif.manual_batchnorm(x, p[prefix + "weight"], p[prefix + "bias"], mean, biased)


def manual_block(x, p, buffers, prefix, stride, projected):
    zero = x.new_zeros(p[prefix + "conv1.weight"].shape[0])
    out = torch.clamp(manual_bn_train(mif.manual_conv2d(x, p[prefix + "conv1.weight"], zero, stride, 1), p, prefix + "bn1.", buffers), min=0)
    out = manual_bn_train(mif.manual_conv2d(out, p[prefix + "conv2.weight"], zero, 1, 1), p, prefix + "bn2.", buffers)
    identity = x
    if projected:
        identity = manual_bn_train(mif.manual_conv2d(x, p[prefix + "downsample.0.weight"], zero, stride, 0), p, prefix + "downsample.1.", buffers)
    return torch.clamp(out + identity, min=0)


def manual_logits(p, buffers, x):
    zero = x.new_zeros(2)
    h = torch.clamp(manual_bn_train(mif.manual_conv2d(x, p["conv1.weight"], zero, 1, 1), p, "bn1.", buffers), min=0)
    h = manual_block(h, p, buffers, "layer1.0.", 1, False)
    h = manual_block(h, p, buffers, "layer2.0.", 2, True)
    h = manual_block(h, p, buffers, "layer2.1.", 1, False)
    return h.mean(dim=(2, 3)) @ p["fc.weight"].T + p["fc.bias"]


def make_resnet_tiny():
    seed(9101)
    model = TinyResNet()
    model.train()
    # Scale and shift away from 1 and 0, so that the gradients of every BatchNorm parameter are exercised.
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    x = torch.randn(4, 1, 6, 6)
    target = torch.tensor([0, 2, 1, 2])
    state = {k: v.detach().clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    parameter_keys = [k for k, _ in model.named_parameters()]
    buffer_keys = [k for k in state if k not in parameter_keys]
    assert parameter_keys[:2] == ["conv1.weight", "bn1.weight"] and "layer2.0.downsample.0.weight" in parameter_keys

    ce = nn.CrossEntropyLoss()
    xi = x.clone().requires_grad_(True)
    logits = model(xi)
    loss = ce(logits, target)
    loss.backward()
    grads = {"grad." + k: p.grad.detach().clone() for k, p in model.named_parameters()}
    grad_input = xi.grad.detach().clone()

    # Independent forward and gradients: manual convolution, batch normalisation and cross-entropy.
    pm = {k: state[k].clone().requires_grad_(True) for k in parameter_keys}
    manual_buffers = {k: state[k].clone() for k in buffer_keys}
    xm = x.clone().requires_grad_(True)
    lm = manual_logits(pm, manual_buffers, xm)
    assert close(lm, logits.detach())
    nll = -(torch.log_softmax(lm, dim=1)[torch.arange(4), target]).mean()
    assert close(nll, loss.detach())
    nll.backward()
    for k in parameter_keys:
        assert close(pm[k].grad, grads["grad." + k], tol=1e-10), k
    assert close(xm.grad, grad_input, tol=1e-10)
    for k in buffer_keys:
        assert close(manual_buffers[k], model.state_dict()[k]), k

    # 5 Adam steps from the initial state (the running statistics start again from the recorded ones).
    model.load_state_dict({**model.state_dict(), **state})
    model.zero_grad(set_to_none=True)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, foreach=False)
    losses = []
    for _ in range(5):
        opt.zero_grad(set_to_none=True)
        step_loss = ce(model(x), target)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    assert losses[0] == loss.item() and losses[-1] < losses[0]
    final = {"final." + k: v.detach().clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}

    # Independent Adam on the manual network.
    p = {k: state[k].clone() for k in parameter_keys}
    b = {k: state[k].clone() for k in buffer_keys}
    m = {k: torch.zeros_like(v) for k, v in p.items()}
    v2 = {k: torch.zeros_like(v) for k, v in p.items()}
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    manual_losses = []
    for t in range(1, 6):
        pg = {k: val.clone().requires_grad_(True) for k, val in p.items()}
        lt = -(torch.log_softmax(manual_logits(pg, b, x), dim=1)[torch.arange(4), target]).mean()
        manual_losses.append(lt.item())
        lt.backward()
        for k in parameter_keys:
            g = pg[k].grad
            m[k] = b1 * m[k] + (1 - b1) * g
            v2[k] = b2 * v2[k] + (1 - b2) * g * g
            denom = v2[k].sqrt() / math.sqrt(1 - b2 ** t) + eps
            p[k] = p[k] - (lr / (1 - b1 ** t)) * m[k] / denom
    assert close(torch.tensor(manual_losses), torch.tensor(losses), tol=1e-10)
    for k in parameter_keys:
        assert close(p[k], final["final." + k], tol=1e-9), k
    for k in buffer_keys:
        assert close(b[k], final["final." + k], tol=1e-9), k

    # PyTorch's own state_dict after the steps, as a safetensors file (F32, num_batches_tracked as I64), for the test
    # that loads it into the declared network one to one.
    safetensors_path = os.path.join(mf.REPO_ROOT, "tests", "Fixtures", "safetensors", "resnet_tiny.safetensors")
    full_state = model.state_dict()
    safetensors_io.save(safetensors_path, dict(full_state))
    mf.WRITTEN.append(safetensors_path)

    tensors = dict(state)
    tensors.update({"input": x, "target": target.to(torch.float64), "logits": logits.detach()})
    tensors.update(grads)
    tensors["grad.input"] = grad_input
    tensors["adam_losses"] = torch.tensor(losses)
    tensors.update(final)
    write_fixture(
        "resnet_tiny",
        "A ResNet at test size built as torchvision builds resnet18, in training mode throughout (BatchNorm uses the "
        "batch's statistics and updates running_mean/running_var with momentum 0.1 and the unbiased variance): "
        "conv1 = Conv2d(1, 2, 3, padding=1, bias=False) -> bn1 = BatchNorm2d(2) -> ReLU -> layer1 = "
        "Sequential(BasicBlock(2, 2)) -> layer2 = Sequential(BasicBlock(2, 4, stride=2) with downsample = "
        "Sequential(Conv2d(2, 4, 1, stride=2, bias=False), BatchNorm2d(4)), BasicBlock(4, 4)) -> mean over height "
        "and width -> fc = Linear(4, 3). BasicBlock: out = relu(bn1(conv1(x))); out = bn2(conv2(out)) (3x3, "
        "padding 1, bias=False); out = relu(out + (downsample(x) or x)). The BatchNorm weights are drawn from "
        "U(0.5, 1.5) and biases from U(-0.5, 0.5); the rest is PyTorch's default init under the fixture seed. "
        "input [4,1,6,6] (NCHW), target [4] = classes as floats. logits [4,3]; scalar loss = "
        "nn.CrossEntropyLoss()(logits, target) (mean); grad.<key> and grad.input its gradients. The state_dict "
        "keys are torchvision's (num_batches_tracked left out). Then 5 steps of torch.optim.Adam(lr=0.01) "
        "(betas=(0.9,0.999), eps=1e-8) on the same batch from the recorded state: adam_losses [5] is the loss before "
        "each step (adam_losses[0] = loss), final.<key> every parameter and running statistic after the 5th step.",
        {"model": "torchvision-style ResNet", "blocks": "BasicBlock", "layers": [1, 2], "widths": [2, 4],
         "loss": "CrossEntropyLoss", "optimizer": "Adam", "lr": 0.01, "steps": 5, "batch": 4, "mode": "train"},
        tensors, {"loss": loss.item()})


def main():
    os.makedirs(mf.OUT_DIR, exist_ok=True)
    make_resnet_tiny()
    for path in mf.WRITTEN:
        print(os.path.relpath(path, mf.REPO_ROOT))


if __name__ == "__main__":
    main()
