#!/usr/bin/python3
"""Runs every network TorchExport wrote in PyTorch and compares its outputs with TypedNets' own.

The folders are the ones TypedNets' TorchExport tests write when TYPEDNETS_TORCH_DIR is set, one per network:
model.py and model.safetensors (TorchExport.Write) and samples.safetensors (inputs "input" and TypedNets' Predict
outputs "output" for them):

    TYPEDNETS_TORCH_DIR=/tmp/torch-modules dotnet test tests/TypedNets.Tests -c Release --filter "FullyQualifiedName~TorchExport"
    /usr/bin/python3 reference/torch_export/check_modules.py /tmp/torch-modules

For each folder it imports model.py, loads the weights with load_state_dict(strict=True) (every state_dict name and
shape must be TypedNets'), checks that save_weights writes them back bit for bit, runs the inputs in eval mode and checks every output against TypedNets' within 1e-5,
absolute for rows of outputs below 1 and relative to the row's largest output above it (|torch - typednets| <=
1e-5 * max(1, max |typednets| over the last axis)). Both compute in float32, whose spacing at a value v is about
1.2e-7 |v|, and the rounding error of a dot product follows the size of its terms, not of its result: a logit near
0 among logits of 40 (an untrained GPT's) carries the error of the large ones, as a float64 run shows for both
TypedNets and PyTorch. A wrong weight, bias, gate order or mask moves outputs by far more.

It then trains: with a declared loss, the module's loss(x, target) (in train mode, or in eval mode if the network has
dropout) must be TypedNets' within 1e-5 (relative above 1) and every parameter's gradient TypedNets' within 1e-4 of
the tensor's largest gradient; without one, a backward pass of the outputs' sum must give every parameter a finite
gradient.

Needs Debian's python3-torch (1.13): apt-get install -y python3-torch. Prints one line per network and exits 1 when
any fails or the folder holds none.
"""

import importlib.util
import pathlib
import sys

import torch

TOLERANCE = 1e-5


def load_module(folder):
    spec = importlib.util.spec_from_file_location(f"torch_export_{folder.name}", folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(folder):
    """Returns a one-line summary; raises on any failure."""
    module = load_module(folder)
    model = module.MODEL().load_weights(str(folder / "model.safetensors")).eval()
    samples = module.load_safetensors(str(folder / "samples.safetensors"))
    x = samples["input"].long() if model.token_input else samples["input"]
    expected = samples["output"]
    with torch.no_grad():
        actual = model(x)
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(f"output shape {tuple(actual.shape)}, TypedNets' {tuple(expected.shape)}")
    error = (actual - expected).abs()
    scale = expected.abs().amax(dim=-1, keepdim=True) if expected.dim() > 1 else expected.abs()
    bound = (TOLERANCE * scale.clamp(min=1)).expand_as(expected)
    worst = (error / bound).max().item()
    if not torch.isfinite(actual).all() or worst > 1:
        index = int((error / bound).argmax())
        raise AssertionError(
            f"output {index}: torch {actual.flatten()[index].item():.9g}, TypedNets {expected.flatten()[index].item():.9g}, "
            f"error {error.flatten()[index].item():.2e} over the bound {bound.flatten()[index].item():.2e}"
        )

    # The weights go back as they came: save_weights writes every state_dict tensor, bit for bit, under its name.
    saved = folder / "saved.safetensors"
    model.save_weights(str(saved))
    written, reference = module.load_safetensors(str(saved)), module.load_safetensors(str(folder / "model.safetensors"))
    saved.unlink()
    if written.keys() != reference.keys() or any(not torch.equal(written[name], reference[name]) for name in reference):
        raise AssertionError("save_weights did not write the weights model.safetensors holds")

    if not any(True for _ in model.parameters()):
        return f"max error {error.max().item():.1e} ({worst:.2f} of the bound), no parameters to train"
    state = len(model.state_dict())
    summary = f"max error {error.max().item():.1e} ({worst:.2f} of the bound), {state} state_dict tensors"
    if "loss" in samples:
        return summary + ", " + check_training_step(module, folder, x, samples)

    # No declared loss, or dropout in the network: one backward pass of the outputs' sum must reach every parameter.
    model.train()
    model.zero_grad()
    model(x).sum().backward()
    check_gradients(model, None)
    return summary + ", trains"


def check_training_step(module, folder, x, samples):
    """The declared loss and its gradients against TypedNets': in train mode (BatchNorm on the batch's statistics), or in
    eval mode for a network with dropout, whose masks TypedNets draws otherwise."""
    model = module.MODEL().load_weights(str(folder / "model.safetensors")).train(samples["train_mode"].item() == 1)
    target = samples["target_classes"].long() if "target_classes" in samples else samples["target"]
    loss = model.loss(x, target)
    expected = samples["loss"].item()
    if not abs(loss.item() - expected) <= TOLERANCE * max(1.0, abs(expected)):
        raise AssertionError(f"loss: torch {loss.item():.9g}, TypedNets {expected:.9g}")
    model.zero_grad()
    loss.backward()
    worst = check_gradients(model, samples)
    return f"loss {loss.item():.5g} as TypedNets', gradients within {worst:.2f} of the bound"


def check_gradients(model, samples):
    """Every parameter gets a finite gradient; with samples, TypedNets' within 1e-4 of the tensor's largest (float32
    sums over a batch, in another order), or 1e-6 absolute for a tensor whose gradients are all tiny."""
    worst = 0.0
    for name, parameter in model.named_parameters():
        if parameter.grad is None or not torch.isfinite(parameter.grad).all():
            raise AssertionError(f"training: parameter {name} got no finite gradient")
        if samples is None:
            continue
        expected = samples["grad." + name]
        bound = max(1e-4 * expected.abs().max().item(), 1e-6)
        error = (parameter.grad - expected).abs().max().item()
        worst = max(worst, error / bound)
        if error > bound:
            raise AssertionError(f"gradient of {name}: off by {error:.2e}, bound {bound:.2e}")
    return worst


def main():
    if len(sys.argv) != 2:
        print("usage: check_modules.py FOLDER", file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1])
    folders = sorted(path for path in root.iterdir() if (path / "model.py").exists()) if root.is_dir() else []
    if not folders:
        print(f"no exported networks (folders with model.py) in {root}", file=sys.stderr)
        return 1
    torch.manual_seed(0)
    failures = 0
    for folder in folders:
        try:
            print(f"ok    {folder.name}: {check(folder)}")
        except Exception as error:  # noqa: BLE001 - every failure is reported, then the count decides the exit code
            failures += 1
            print(f"FAIL  {folder.name}: {type(error).__name__}: {error}")
    print(f"{len(folders) - failures} of {len(folders)} exported networks match TypedNets within {TOLERANCE} in PyTorch {torch.__version__}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
