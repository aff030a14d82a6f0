#!/usr/bin/env python3
"""Exports the two models of examples/Server to ONNX from TypedNets' own trained weights, for ONNX Runtime.

    breast-cancer.onnx  the Quickstart's classifier: Linear(10, 50) -> ReLU -> Dropout(0.5) -> Linear(50, 2) -> Softmax,
                        from examples/EmbeddedInference/BinaryClassifier.safetensors.b64 (committed); input "x", the
                        scaled features [batch, 10] float32
    fortunes.onnx       the text classifier: Embedding(10000, 128) -> LSTM(64), last state -> Dropout(0.5) ->
                        Linear(64, 64) + ReLU -> Dropout(0.5) -> Linear(64, 2) -> Softmax, from
                        FortuneClassifier.safetensors (examples/TextClassifier -- --export DIR); input "x", the padded
                        token ids [batch, 100] int64

Both outputs are "y", the probabilities [batch, 2], with a dynamic batch dimension, as the speed suite exports its
models (benchmarks/pytorch_bench.py). The weights load into PyTorch modules with strict=True: TypedNets' tensor names
and layouts are PyTorch's state_dict (LSTM gates i, f, g, o in weight_ih_l0 [256, 128] and the rest).

Before exporting, each PyTorch model must give the predictions the examples' own programs made for their held-out
data within 1e-5: the 113 rows of examples/EmbeddedInference/heldout.csv (scaled with the constants of
FeatureScaling.cs, as the server scales them) and the 351 quotes of heldout.jsonl in the export folder. The script
exits non-zero otherwise, so no ONNX file is written from weights read wrongly.

    /usr/bin/python3 reference/pytorch/export_server_models.py [--models DIR]    (default: artifacts/server)
"""

import argparse
import base64
import csv
import json
import os
import re
import sys
import tempfile
import warnings

import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402

EMBEDDED = os.path.join(REPO_ROOT, "examples", "EmbeddedInference")
TOLERANCE = 1e-5
SEQUENCE_LENGTH = 100


class TumorClassifier(nn.Module):
    """examples/EmbeddedInference/BinaryClassifier.cs, with its module names; returns probabilities."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(10, 50)
        self.drop = nn.Dropout(0.5)
        self.output = nn.Linear(50, 2)

    def forward(self, x):
        return F.softmax(self.output(self.drop(F.relu(self.hidden(x)))), dim=1)


class FortuneClassifier(nn.Module):
    """examples/TextClassifier/Networks.cs, with its module names; returns probabilities."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10000, 128)
        self.encoder = nn.LSTM(128, 64, batch_first=True)
        self.drop1 = nn.Dropout(0.5)
        self.hidden = nn.Linear(64, 64)
        self.drop2 = nn.Dropout(0.5)
        self.output = nn.Linear(64, 2)

    def forward(self, tokens):
        _, (h, _) = self.encoder(self.embedding(tokens))
        return F.softmax(self.output(self.drop2(F.relu(self.hidden(self.drop1(h[-1]))))), dim=1)


def load(model, path):
    tensors, _, _ = safetensors_io.load(path)
    model.load_state_dict(tensors, strict=True)
    return model.eval()


def load_base64(model, path):
    with open(path, "rb") as handle:
        data = base64.b64decode(handle.read())
    with tempfile.TemporaryDirectory() as folder:
        decoded = os.path.join(folder, "weights.safetensors")
        with open(decoded, "wb") as handle:
            handle.write(data)
        return load(model, decoded)


def feature_scaling():
    """Scale and Offset from FeatureScaling.cs, the constants the server scales requests with."""
    with open(os.path.join(EMBEDDED, "FeatureScaling.cs"), encoding="utf-8") as handle:
        source = handle.read()

    def array(name):
        body = re.search(r"ReadOnlySpan<double> %s =>\s*\[(.*?)\];" % name, source, re.S).group(1)
        return torch.tensor([float(value) for value in body.split(",") if value.strip()], dtype=torch.float64)

    return array("Scale"), array("Offset")


def check(name, predicted, expected):
    difference = (predicted - expected).abs().max().item()
    same_class = bool((predicted.argmax(1) == expected.argmax(1)).all())
    print(f"{name}: {predicted.shape[0]} predictions, largest difference from TypedNets' {difference:.3g}, "
          f"classes {'the same' if same_class else 'DIFFERENT'}")
    if not (difference <= TOLERANCE and same_class):
        raise SystemExit(f"{name}: PyTorch with TypedNets' weights does not give TypedNets' predictions; nothing exported")


def export(model, example, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, example, path, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=13)
    print(f"written {os.path.relpath(path, REPO_ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=os.path.join(REPO_ROOT, "artifacts", "server"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.models, exist_ok=True)

    tumor = load_base64(TumorClassifier(), os.path.join(EMBEDDED, "BinaryClassifier.safetensors.b64"))
    scale, offset = feature_scaling()
    with open(os.path.join(EMBEDDED, "heldout.csv"), newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    raw = torch.tensor([[float(value) for value in row[:10]] for row in rows], dtype=torch.float32)
    scaled = (raw.double() * scale + offset).float()
    expected = torch.tensor([[float(row[12]), float(row[13])] for row in rows])
    with torch.no_grad():
        check("breast-cancer", tumor(scaled), expected)
    export(tumor, scaled[:1], os.path.join(args.models, "breast-cancer.onnx"))

    weights = os.path.join(args.models, "FortuneClassifier.safetensors")
    if not os.path.exists(weights):
        raise SystemExit(f"{weights} is missing: run `bash scripts/fetch-fortunes.sh && dotnet run -c Release "
                         f"--project examples/TextClassifier -- --export {os.path.relpath(args.models, REPO_ROOT)}` first")
    fortunes = load(FortuneClassifier(), weights)
    with open(os.path.join(args.models, "heldout.jsonl"), encoding="utf-8") as handle:
        quotes = [json.loads(line) for line in handle]
    # pad_sequences' defaults, as the export's tokens are already truncated: zeros in front.
    tokens = torch.tensor([[0] * (SEQUENCE_LENGTH - len(q["tokens"])) + q["tokens"] for q in quotes], dtype=torch.int64)
    expected = torch.tensor([q["probabilities"] for q in quotes])
    with torch.no_grad():
        check("fortunes", fortunes(tokens), expected)
    export(fortunes, tokens[:1], os.path.join(args.models, "fortunes.onnx"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
