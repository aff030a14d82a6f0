#!/usr/bin/env python3
"""Writes PyTorch-trained weights as safetensors files for TypedNets' loader tests.

Three nn.Modules mirror networks compiled in the C# test project, with the same attribute
names so that their state_dict keys are TypedNets' tensor names:

- TinyMlp (tests/TypedNets.Tests/Networks.cs): hidden = Linear(4, 5) + ReLU -> output =
  Linear(5, 3); the network's output is the logits.
- TinyTextClassifier (tests/TypedNets.Tests/SequenceNetworks.cs): embedding = Embedding(20, 8)
  -> encoder = LSTM(8, 6), last hidden state -> drop1 = Dropout(0.5) -> hidden = Linear(6, 5)
  + ReLU -> drop2 = Dropout(0.5) -> output = Linear(5, 2) + Softmax; the network's output is
  the probabilities.
- TinyBatchNormConvNet (tests/TypedNets.Tests/Serialization/BatchNormNetworks.cs), on 1 x 8 x 8
  images: conv = Conv2d(1, 4, 3) + ReLU -> norm = BatchNorm2d(4) (eps 1e-5, momentum 0.1, as
  [BatchNorm]'s defaults) -> pool = MaxPool2d(2) -> flat = Flatten -> output = Linear(36, 3) +
  Softmax; the network's output is the probabilities. Its state_dict holds the buffers
  norm.running_mean and norm.running_var after norm.weight and norm.bias, and PyTorch's
  norm.num_batches_tracked, an int64 scalar, stored as I64 (TypedNets accepts and ignores it).

Each is trained for a few Adam steps on random data in train mode (dropout on; batch
statistics used and the running statistics updated at every step), then, in eval mode (the
running statistics used), run on a fixed input. For every file <name>.safetensors in
tests/Fixtures/safetensors/ there is a <name>.json in the format of reference/README.md:
tensors "input" (token ids as floats for the classifier, flattened 1 x 8 x 8 images for the
convnet), "output" (what TypedNets' Forward returns), "logits", and the floating-point
state_dict exactly as stored (after rounding to the file's dtype, as float32 values), under
its keys; integer state_dict entries (num_batches_tracked) are in "scalars".

| file | dtype | tensor order in the file |
|---|---|---|
| tiny_mlp | F32 | state_dict order (as TypedNets writes) |
| tiny_mlp_f16 | F16 | sorted by name (as the safetensors package writes) |
| tiny_mlp_bf16 | BF16 | sorted by name |
| tiny_text_classifier | F32 | state_dict order |
| tiny_text_classifier_bf16 | BF16 | sorted by name |
| tiny_batchnorm_convnet | F32 (+ I64 counter) | state_dict order |
| tiny_batchnorm_convnet_f16 | F16 (+ I64 counter) | sorted by name |

The F16 and BF16 outputs are computed from the rounded weights and running statistics, so
TypedNets, which converts them to float exactly, must reproduce them. All files carry __metadata__ {"format": "pt"}.

Run from anywhere:

    /usr/bin/python3 reference/pytorch/make_safetensors_fixtures.py

Float32, one thread, deterministic algorithms and fixed seeds: a rerun writes byte-identical
files (check with sha256sum tests/Fixtures/safetensors/*).
"""

import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import safetensors_io

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT_DIR = os.path.join(REPO_ROOT, "tests", "Fixtures", "safetensors")

torch.set_default_dtype(torch.float32)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


class TinyMlp(nn.Module):
    """TypedNets' TinyMlp: Dense(5, ReLU) then Dense(3), output = logits."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 5)
        self.output = nn.Linear(5, 3)

    def logits(self, x):
        return self.output(torch.relu(self.hidden(x)))

    def forward(self, x):
        return self.logits(x)


class TinyTextClassifier(nn.Module):
    """TypedNets' TinyTextClassifier; forward returns the probabilities, as its Softmax output layer does."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(20, 8)
        self.encoder = nn.LSTM(8, 6, batch_first=True)
        self.drop1 = nn.Dropout(0.5)
        self.hidden = nn.Linear(6, 5)
        self.drop2 = nn.Dropout(0.5)
        self.output = nn.Linear(5, 2)

    def logits(self, tokens):
        _, (h_n, _) = self.encoder(self.embedding(tokens))
        x = torch.relu(self.hidden(self.drop1(h_n[0])))
        return self.output(self.drop2(x))

    def forward(self, tokens):
        return F.softmax(self.logits(tokens), dim=1)


class TinyBatchNormConvNet(nn.Module):
    """TypedNets' TinyBatchNormConvNet; takes flattened 1 x 8 x 8 images and returns the probabilities."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.norm = nn.BatchNorm2d(4, eps=1e-5, momentum=0.1)
        self.pool = nn.MaxPool2d(2)
        self.flat = nn.Flatten()
        self.output = nn.Linear(36, 3)

    def logits(self, x):
        x = torch.relu(self.conv(x.reshape(-1, 1, 8, 8)))
        return self.output(self.flat(self.pool(self.norm(x))))

    def forward(self, x):
        return F.softmax(self.logits(x), dim=1)


MODELS = {"TinyMlp": TinyMlp, "TinyTextClassifier": TinyTextClassifier, "TinyBatchNormConvNet": TinyBatchNormConvNet}


def train(model, inputs, targets, steps, lr):
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=False)
    ce = nn.CrossEntropyLoss()
    first = last = None
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = ce(model.logits(inputs), targets)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
        last = loss.item()
    model.eval()
    return first, last


def rounded(model, dtype):
    """A copy of model whose parameters are rounded to dtype and back, as a file of that dtype stores them."""
    copy = type(model)()
    torch_dtype = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dtype]
    copy.load_state_dict({k: v.to(torch_dtype).to(torch.float32) if v.is_floating_point() else v
                          for k, v in model.state_dict().items()})
    copy.eval()
    return copy


def write(name, network, model, dtype, order, x, description):
    state = model.state_dict()
    keys = list(state) if order == "state_dict" else sorted(state)
    path = os.path.join(OUT_DIR, name + ".safetensors")
    safetensors_io.save(path, {k: state[k] for k in keys}, dtype, metadata={"format": "pt"})

    # What the file holds, read back by the independent reader, is what the outputs are computed from.
    stored, dtypes, _ = safetensors_io.load(path)
    assert list(stored) == keys
    assert all(dtypes[k] == (dtype if state[k].is_floating_point() else "I64") for k in keys)
    exact = rounded(model, dtype)
    for k in keys:
        assert torch.equal(stored[k], exact.state_dict()[k]), k
    with torch.no_grad():
        output = exact(x)
        logits = exact.logits(x)
    tensors = {"input": x.to(torch.float32), "output": output, "logits": logits}
    tensors.update((k, exact.state_dict()[k]) for k in state if state[k].is_floating_point())
    scalars = {k: int(state[k]) for k in state if not state[k].is_floating_point()}
    document = {
        "name": name,
        "description": description + " Stored as %s, tensors in %s order. 'output' is what TypedNets' %s.Forward "
                       "returns on 'input' in eval mode, computed by PyTorch in float32 from the stored (rounded) "
                       "weights; the state_dict tensors are the stored values." % (dtype, order, network),
        "config": {"network": network, "dtype": dtype, "order": order, "file": name + ".safetensors"},
        "tensors": {k: {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}
                    for k, t in tensors.items()},
        "scalars": scalars,
    }
    with open(os.path.join(OUT_DIR, name + ".json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(document, indent=1) + "\n")
    print(os.path.relpath(path, REPO_ROOT))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)

    torch.manual_seed(5101)
    mlp = TinyMlp()
    x = torch.randn(32, 4)
    y = torch.randint(0, 3, (32,))
    first, last = train(mlp, x, y, steps=25, lr=0.05)
    assert last < first
    mlp_input = torch.randn(6, 4)
    about = "TinyMlp (hidden = Linear(4,5) + ReLU, output = Linear(5,3)) after 25 Adam(lr=0.05) steps on random data."
    write("tiny_mlp", "TinyMlp", mlp, "F32", "state_dict", mlp_input, about)
    write("tiny_mlp_f16", "TinyMlp", mlp, "F16", "name", mlp_input, about)
    write("tiny_mlp_bf16", "TinyMlp", mlp, "BF16", "name", mlp_input, about)

    torch.manual_seed(5102)
    text = TinyTextClassifier()
    tokens = torch.randint(0, 20, (16, 7))
    labels = torch.randint(0, 2, (16,))
    first, last = train(text, tokens, labels, steps=15, lr=0.02)
    assert last < first
    text_input = torch.tensor([[0, 0, 0, 5, 12, 3, 19],
                               [0, 0, 7, 1, 14, 14, 2],
                               [0, 11, 6, 18, 9, 4, 13],
                               [8, 15, 1, 16, 10, 17, 3]])
    about = ("TinyTextClassifier (embedding = Embedding(20,8), encoder = LSTM(8,6) last state, hidden = Linear(6,5) "
             "+ ReLU, output = Linear(5,2) + Softmax; dropouts off in eval) after 15 Adam(lr=0.02) steps on random "
             "tokens with dropout on. 'input' holds token ids as floats, pre-padded with 0.")
    write("tiny_text_classifier", "TinyTextClassifier", text, "F32", "state_dict", text_input, about)
    write("tiny_text_classifier_bf16", "TinyTextClassifier", text, "BF16", "name", text_input, about)

    torch.manual_seed(5103)
    conv = TinyBatchNormConvNet()
    images = torch.randn(24, 64) * 1.5 + 0.5
    classes = torch.randint(0, 3, (24,))
    before = {k: v.clone() for k, v in conv.state_dict().items() if k.startswith("norm.running")}
    first, last = train(conv, images, classes, steps=20, lr=0.02)
    assert last < first
    state = conv.state_dict()
    assert list(state) == ["conv.weight", "conv.bias", "norm.weight", "norm.bias", "norm.running_mean",
                           "norm.running_var", "norm.num_batches_tracked", "output.weight", "output.bias"]
    assert int(state["norm.num_batches_tracked"]) == 20
    for k, v in before.items():
        assert (state[k] != v).all(), k  # every running statistic moved
    conv_input = torch.randn(6, 64) * 1.5 + 0.5
    about = ("TinyBatchNormConvNet (conv = Conv2d(1,4,3) + ReLU, norm = BatchNorm2d(4, eps=1e-5, momentum=0.1), "
             "pool = MaxPool2d(2), flat = Flatten, output = Linear(36,3) + Softmax) after 20 Adam(lr=0.02) steps on "
             "random 1x8x8 images in train mode, which moved the running statistics (num_batches_tracked = 20, "
             "stored as I64 and in 'scalars'). 'input' holds the images flattened; 'output' uses the running "
             "statistics (eval mode).")
    write("tiny_batchnorm_convnet", "TinyBatchNormConvNet", conv, "F32", "state_dict", conv_input, about)
    write("tiny_batchnorm_convnet_f16", "TinyBatchNormConvNet", conv, "F16", "name", conv_input, about)


if __name__ == "__main__":
    main()
