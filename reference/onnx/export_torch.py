"""Exports small PyTorch modules, named as TypedNets names its layers, with torch.onnx.export (torch 1.13, opset 17),
for the ONNX weight import tests (tests/TypedNets.Tests/Onnx/OnnxImportTests.cs).

For each network it writes into tests/Fixtures/onnx_import/:
  <name>.onnx             what torch.onnx.export writes with the options that keep every state_dict name;
  <name>_folded.onnx      (where it differs) the default export, whose renamed or fused initializers the import refuses;
  <name>.json             the state_dict (every tensor as a flat list of floats with its shape), an input batch and the
                          module's eval-mode output on it.

What torch 1.13 does to the names, checked here on every export (the script fails if it changes):
  * Linear: the default export keeps weight and bias under their state_dict names on a batch of vectors; applied to a
    sequence ([batch, steps, features], a MatMul), constant folding stores its weight transposed as onnx::MatMul_<n>.
  * Conv2d + BatchNorm2d in eval mode: the default export (TrainingMode.EVAL) fuses the BatchNorm into the convolution,
    whatever do_constant_folding says, leaving two initializers named onnx::Conv_<n> and no norm.* tensor.
    training=torch.onnx.TrainingMode.PRESERVE on a module in eval mode keeps BatchNormalization (training_mode = 0)
    and every state_dict name; initializers of equal values may still be shared through Identity nodes.
  * LSTM: constant folding concatenates weight_ih/weight_hh/bias_ih + bias_hh into the ONNX LSTM's W, R, B in ONNX's
    gate order (onnx::LSTM_<n>); do_constant_folding=False keeps lstm.weight_ih_l0 and the others and reorders the
    gates in the graph instead.
  Every "kept" export below uses the one call that keeps every name for all of these:
    torch.onnx.export(model.eval(), example, path, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)

Run: /usr/bin/python3 reference/onnx/export_torch.py   (Debian's python3-torch 1.13.1 and python3-onnx 1.12)
"""
import io
import json
import os

import onnx
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "Fixtures", "onnx_import")
OPSET = 17


class Mlp(nn.Module):
    """TypedNets: [Network, Input(4)] Dense(8, ReLU) Hidden, Dense(3, Softmax) Output."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.output = nn.Linear(8, 3)

    def forward(self, x):
        return torch.softmax(self.output(torch.relu(self.hidden(x))), dim=-1)


class ConvNet(nn.Module):
    """TypedNets: [Network, Input(1, 6, 6)] Conv2D(3, 3) Conv, BatchNorm(ReLU) Norm, Flatten Flat, Dense(2) Output."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.norm = nn.BatchNorm2d(3)
        self.output = nn.Linear(3 * 4 * 4, 2)

    def forward(self, x):
        return self.output(torch.flatten(torch.relu(self.norm(self.conv(x))), 1))


class SequenceMlp(nn.Module):
    """TypedNets: [Network, Input(5, 3)] Dense(4, ReLU) Hidden (on each step), GlobalAveragePooling1D Pool, Dense(2) Output."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.output = nn.Linear(4, 2)

    def forward(self, x):
        return self.output(torch.relu(self.hidden(x)).mean(dim=1))


class LstmClassifier(nn.Module):
    """TypedNets: [Network, Input(5, 3)] Lstm(4) Lstm (last step), Dense(2) Output."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, batch_first=True)
        self.output = nn.Linear(4, 2)

    def forward(self, x):
        steps, _ = self.lstm(x)
        return self.output(steps[:, -1])


def export(module, example, **options):
    buffer = io.BytesIO()
    torch.onnx.export(module, example, buffer, opset_version=OPSET, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, **options)
    return buffer.getvalue()


def initializer_names(model_bytes):
    return [tensor.name for tensor in onnx.load_from_string(model_bytes).graph.initializer]


def write(name, module, example, kept, folded):
    module.eval()
    with torch.no_grad():
        output = module(example)
    state = {key: value for key, value in module.state_dict().items() if not key.endswith("num_batches_tracked")}
    with open(os.path.join(OUT, name + ".onnx"), "wb") as file:
        file.write(kept)
    if folded is not None:
        with open(os.path.join(OUT, name + "_folded.onnx"), "wb") as file:
            file.write(folded)
    fixture = {
        "description": module.__doc__,
        "tensors": {key: {"shape": list(value.shape), "values": value.flatten().tolist()} for key, value in state.items()},
        "input": {"shape": list(example.shape), "values": example.flatten().tolist()},
        "output": {"shape": list(output.shape), "values": output.flatten().tolist()},
    }
    with open(os.path.join(OUT, name + ".json"), "w") as file:
        json.dump(fixture, file, indent=1)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261207)

    mlp = Mlp().eval()
    x = torch.randn(3, 4)
    kept = export(mlp, x)
    assert set(initializer_names(kept)) == set(mlp.state_dict()), initializer_names(kept)
    write("mlp", mlp, x, kept, None)

    conv = ConvNet()
    # A few training-mode passes move the running statistics away from 0 and 1, so that they differ from every
    # other tensor and a fused or swapped statistic would show.
    conv.train()
    with torch.no_grad():
        for _ in range(5):
            conv(torch.randn(8, 1, 6, 6) * 2 + 0.5)
    conv.eval()
    x = torch.randn(3, 1, 6, 6)
    folded = export(conv, x)
    assert not any(name.startswith("norm.") for name in initializer_names(folded)), initializer_names(folded)
    assert any(name.startswith("onnx::Conv_") for name in initializer_names(folded)), initializer_names(folded)
    kept = export(conv, x, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    expected = {key for key in conv.state_dict() if not key.endswith("num_batches_tracked")}
    assert expected <= set(initializer_names(kept)), initializer_names(kept)
    write("convnet_batchnorm", conv, x, kept, folded)

    sequence = SequenceMlp().eval()
    x = torch.randn(3, 5, 3)
    folded = export(sequence, x)
    assert "hidden.weight" not in initializer_names(folded), initializer_names(folded)
    assert any(name.startswith("onnx::MatMul_") for name in initializer_names(folded)), initializer_names(folded)
    kept = export(sequence, x, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    assert set(sequence.state_dict()) <= set(initializer_names(kept)), initializer_names(kept)
    write("sequence_mlp", sequence, x, kept, folded)

    lstm = LstmClassifier().eval()
    x = torch.randn(3, 5, 3)
    folded = export(lstm, x)
    assert not any(name.startswith("lstm.") for name in initializer_names(folded)), initializer_names(folded)
    kept = export(lstm, x, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    assert set(lstm.state_dict()) <= set(initializer_names(kept)), initializer_names(kept)
    write("lstm_classifier", lstm, x, kept, folded)


if __name__ == "__main__":
    main()
