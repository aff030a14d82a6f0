#!/usr/bin/env python3
"""The PyTorch reference for examples/Quickstart: the same data, split, scaling, network and
training settings, run in real PyTorch over five seeds.

The C# Quickstart (examples/Quickstart/Program.cs) trains its binary classifier on the
Wisconsin breast-cancer data and prints its held-out accuracy next to the figures this
script writes to examples/Quickstart/Data/pytorch_reference.json.

Reproduced here exactly as the Quickstart does it:

  * data: examples/Quickstart/Data/breast_cancer.csv (scikit-learn's copy: a metadata line
    "569,30,malignant,benign", then 30 features and a 0/1 label, 0 = malignant), read as
    float32 like the C# CsvTable; the first 10 columns (the "mean" features) or all 30;
  * split: TypedNets' own stratified split (Split.StratifiedTrainTest), test fraction 0.2,
    seed 42, via the Python port reference/sklearn/typednets_split.py (verified index for
    index against the C# by committed fixtures): 456 training rows, 113 held out;
  * scaling: min-max to [0, 1] fitted on the training rows only, computed as TypedNets'
    MinMaxScaler does (float32 min/max, range/scale/offset in float64, result rounded to
    float32), and checked against scikit-learn's MinMaxScaler;
  * network: Linear(F, 50) -> ReLU -> Dropout(0.5) -> Linear(50, 2) -> Softmax, PyTorch's
    default initialisation;
  * training: Adam(lr=0.001), other hyper-parameters PyTorch's defaults, batch 32 (the last
    batch of an epoch has the 8 remaining rows), 100 epochs, rows reshuffled every epoch;
    (a) nn.MSELoss between the softmax probabilities and one-hot targets, (b)
    nn.CrossEntropyLoss on the logits before the softmax (the same loss as cross-entropy
    on the softmax output, fused for stability);
  * score: accuracy of argmax(output) against the label on the 113 held-out rows, in eval
    mode (no dropout).

Each (feature set, loss, seed) run starts from torch.manual_seed(seed), seeds 0..4, so the
two losses start from the same weights for a given seed. The epoch shuffles and dropout
masks come from PyTorch's generator, so they are PyTorch's, not TypedNets'; the figures are
a distribution to compare against, not a bit-for-bit replay.

Run from anywhere (paths are found from this file's location):

    /usr/bin/python3 reference/pytorch/quickstart.py
    /usr/bin/python3 reference/pytorch/quickstart.py --out /tmp/pytorch_reference.json   # elsewhere

float32, one thread, deterministic algorithms: a rerun writes a byte-identical JSON file
(for a given PyTorch build; this was generated with Debian's python3-torch 1.13.1).
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO_ROOT, "reference", "sklearn"))
import typednets_split as tns  # noqa: E402  (TypedNets' split algorithm, ported)

DATA_DIR = os.path.join(REPO_ROOT, "examples", "Quickstart", "Data")
CSV_PATH = os.path.join(DATA_DIR, "breast_cancer.csv")
OUT_PATH = os.path.join(DATA_DIR, "pytorch_reference.json")

TEST_FRACTION = 0.2
SPLIT_SEED = 42
HIDDEN = 50
DROPOUT = 0.5
LEARNING_RATE = 0.001
BATCH_SIZE = 32
EPOCHS = 100
SEEDS = [0, 1, 2, 3, 4]
FEATURE_SETS = [("mean_features", 10), ("all_features", 30)]
LOSSES = ["MeanSquaredError", "CrossEntropy"]  # as TypedNets' LossFunction.ToString() names them

torch.set_default_dtype(torch.float32)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# --------------------------------------------------------------------------------------
# Data, split and scaling (as the Quickstart does them)
# --------------------------------------------------------------------------------------

def read_csv(path):
    """Skips the metadata line; returns float32 rows [569, 31] (30 features and the label)."""
    with open(path, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
        rows = [[float(v) for v in line.strip().split(",")] for line in f if line.strip()]
    data = np.array(rows, dtype=np.float64).astype(np.float32)  # C# reads floats
    assert header[:2] == ["569", "30"] and data.shape == (569, 31), (header, data.shape)
    return data


def check_split(labels, train, test):
    """456 training and 113 held-out rows, every class split 80/20 with per-class rounding."""
    assert len(train) == 456 and len(test) == 113, (len(train), len(test))
    assert sorted(train + test) == list(range(len(labels))) and not set(train) & set(test)
    totals = {c: int(np.sum(labels == c)) for c in (0, 1)}
    assert totals == {0: 212, 1: 357}, totals  # 212 malignant, 357 benign
    for c, n in totals.items():
        in_test = int(np.sum(labels[test] == c))
        in_train = int(np.sum(labels[train] == c))
        expected_test = int(math.floor(TEST_FRACTION * n + 0.5))  # TypedNets rounds half up per class
        assert in_test == expected_test and in_train == n - expected_test, (c, in_train, in_test)
        assert abs(in_test / n - TEST_FRACTION) < 0.5 / n + 1e-12, (c, in_test, n)
    counts = {
        "train": {"malignant": int(np.sum(labels[train] == 0)), "benign": int(np.sum(labels[train] == 1))},
        "test": {"malignant": int(np.sum(labels[test] == 0)), "benign": int(np.sum(labels[test] == 1))},
    }
    assert counts == {"train": {"malignant": 170, "benign": 286}, "test": {"malignant": 42, "benign": 71}}, counts
    return counts


def minmax_scale(train_x, test_x):
    """TypedNets' MinMaxScaler(0, 1): float32 min/max, float64 scale and offset, float32 result."""
    data_min = train_x.min(axis=0).astype(np.float64)
    data_max = train_x.max(axis=0).astype(np.float64)
    value_range = data_max - data_min
    value_range[value_range < 10 * np.finfo(np.float64).eps] = 1.0
    scale = 1.0 / value_range
    offset = 0.0 - data_min * scale

    def transform(x):
        return (x.astype(np.float64) * scale + offset).astype(np.float32)

    scaled_train, scaled_test = transform(train_x), transform(test_x)

    # Cross-check with scikit-learn (if installed): the same formula, so the same float32 values.
    try:
        from sklearn.preprocessing import MinMaxScaler
    except ImportError:
        pass
    else:
        sk = MinMaxScaler((0, 1)).fit(train_x.astype(np.float64))
        for ours, x in ((scaled_train, train_x), (scaled_test, test_x)):
            theirs = sk.transform(x.astype(np.float64)).astype(np.float32)
            assert np.max(np.abs(ours - theirs)) <= 1e-6, np.max(np.abs(ours - theirs))
    assert scaled_train.min() == 0.0 and scaled_train.max() == 1.0
    return scaled_train, scaled_test


# --------------------------------------------------------------------------------------
# Network and training
# --------------------------------------------------------------------------------------

def make_network(features):
    """Linear(F, 50) -> ReLU -> Dropout(0.5) -> Linear(50, 2); the softmax is applied outside."""
    return nn.Sequential(
        nn.Linear(features, HIDDEN),
        nn.ReLU(),
        nn.Dropout(DROPOUT),
        nn.Linear(HIDDEN, 2),
    )


def train_and_score(loss_name, seed, train_x, train_y, test_x, test_y):
    torch.manual_seed(seed)
    model = make_network(train_x.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    one_hot = nn.functional.one_hot(train_y, 2).to(torch.float32)
    mse = nn.MSELoss()
    cross_entropy = nn.CrossEntropyLoss()
    n = train_x.shape[0]

    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(n)
        for start in range(0, n, BATCH_SIZE):
            rows = order[start:start + BATCH_SIZE]
            logits = model(train_x[rows])
            if loss_name == "MeanSquaredError":
                loss = mse(torch.softmax(logits, dim=1), one_hot[rows])
            else:
                loss = cross_entropy(logits, train_y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    model.eval()
    with torch.no_grad():
        probabilities = torch.softmax(model(test_x), dim=1)
    predicted = torch.argmax(probabilities, dim=1)
    correct = int((predicted == test_y).sum())
    return correct / test_y.shape[0]


def summary(accuracies):
    return {
        "accuracies": [round(a, 4) for a in accuracies],
        "mean_accuracy": round(sum(accuracies) / len(accuracies), 4),
        "min": round(min(accuracies), 4),
        "max": round(max(accuracies), 4),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=OUT_PATH,
                        help="the JSON file to write (default: the committed examples/Quickstart/Data/pytorch_reference.json)")
    out_path = parser.parse_args().out
    data = read_csv(CSV_PATH)
    labels = data[:, 30].astype(np.int64)
    assert set(np.unique(labels)) == {0, 1}
    train, test = tns.stratified_train_test(data[:, 30].tolist(), TEST_FRACTION, SPLIT_SEED)
    counts = check_split(labels, train, test)

    results = {}
    for key, features in FEATURE_SETS:
        train_x, test_x = minmax_scale(data[train, :features], data[test, :features])
        train_x, test_x = torch.from_numpy(train_x), torch.from_numpy(test_x)
        train_y, test_y = torch.from_numpy(labels[train]), torch.from_numpy(labels[test])
        results[key] = {}
        for loss_name in LOSSES:
            accuracies = [train_and_score(loss_name, s, train_x, train_y, test_x, test_y) for s in SEEDS]
            results[key][loss_name] = summary(accuracies)

    document = {
        "description": (
            "PyTorch reference for examples/Quickstart, written by reference/pytorch/quickstart.py. "
            "Held-out accuracy (argmax of the softmax output vs the label, eval mode) of "
            "Linear(F,50)-ReLU-Dropout(0.5)-Linear(50,2)-Softmax on the breast-cancer data, "
            "TypedNets' stratified split (test fraction 0.2, seed 42: 456 train / 113 test rows), "
            "min-max scaling to [0,1] fitted on the training rows, Adam(lr=0.001, PyTorch defaults), "
            "batch 32, 100 epochs reshuffled each epoch, PyTorch default initialisation, float32, one thread, "
            "one run per torch.manual_seed(s), s = 0..4. MeanSquaredError: nn.MSELoss between the softmax "
            "probabilities and one-hot targets; CrossEntropy: nn.CrossEntropyLoss on the logits before the "
            "softmax. mean_features uses the first 10 columns, all_features all 30. Accuracies, mean, min "
            "and max rounded to 4 decimals (the mean is of the unrounded accuracies)."
        ),
        "settings": {
            "data": "examples/Quickstart/Data/breast_cancer.csv",
            "rows": int(data.shape[0]),
            "label": "column 30, 0 = malignant, 1 = benign",
            "split": "TypedNets Split.StratifiedTrainTest via reference/sklearn/typednets_split.py",
            "test_fraction": TEST_FRACTION,
            "split_seed": SPLIT_SEED,
            "train_rows": len(train),
            "test_rows": len(test),
            "class_counts": counts,
            "scaling": "min-max to [0, 1] fitted on the training rows",
            "hidden_units": HIDDEN,
            "dropout": DROPOUT,
            "optimizer": "Adam",
            "learning_rate": LEARNING_RATE,
            "betas": [0.9, 0.999],
            "eps": 1e-08,
            "weight_decay": 0.0,
            "batch_size": BATCH_SIZE,
            "epochs": EPOCHS,
            "shuffle": "torch.randperm each epoch",
            "initialisation": "PyTorch default (nn.Linear.reset_parameters)",
            "seeds": SEEDS,
            "dtype": "float32",
            "threads": 1,
            "torch_version": torch.__version__,
            "numpy_version": np.__version__,
        },
    }
    document.update(results)

    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(document, f, indent=2)
        f.write("\n")

    print("PyTorch %s, held-out accuracy over seeds %s (%d train / %d test rows)"
          % (torch.__version__, SEEDS, len(train), len(test)))
    print()
    print("%-14s %-17s %-37s %7s %7s %7s" % ("features", "loss", "per seed", "mean", "min", "max"))
    for key, _ in FEATURE_SETS:
        for loss_name in LOSSES:
            r = results[key][loss_name]
            print("%-14s %-17s %-37s %7.4f %7.4f %7.4f" % (
                key, loss_name, " ".join("%.4f" % a for a in r["accuracies"]),
                r["mean_accuracy"], r["min"], r["max"]))
    print()
    print("Wrote", os.path.relpath(out_path, os.getcwd()))


if __name__ == "__main__":
    main()
