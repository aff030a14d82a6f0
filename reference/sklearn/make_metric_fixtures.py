#!/usr/bin/env python3
"""Writes the scikit-learn reference fixtures that TypedNets' data and metrics tests compare against.

scikit-learn computes confusion matrices, accuracy, precision/recall/F1 (per class, binary,
macro, weighted), classification_report text, r2_score/MSE/MAE, and StandardScaler and
MinMaxScaler fits on small fixed inputs; the results are committed as JSON under
tests/Fixtures/sklearn/, so the C# tests need no Python. The split_* and batches_* fixtures
come from typednets_split.py, a Python port of the documented split algorithm.

Run from anywhere (the output directory is found from this file's location):

    apt-get install -y python3-sklearn
    /usr/bin/python3 reference/sklearn/make_metric_fixtures.py

Inputs are fixed literals or drawn from seeded numpy RandomStates and then rounded to
float32, so that the C# side, which reads floats, sees exactly the values sklearn saw (in
float64). See reference/sklearn/README.md for the JSON format.
"""

import json
import math
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix, f1_score,
                             mean_absolute_error, mean_squared_error, precision_recall_fscore_support,
                             precision_score, r2_score, recall_score)
from sklearn.preprocessing import MinMaxScaler, StandardScaler

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import typednets_split as tns  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT_DIR = os.path.join(REPO_ROOT, "tests", "Fixtures", "sklearn")

WRITTEN = []


# --------------------------------------------------------------------------------------
# JSON output (the format of reference/README.md, plus "strings")
# --------------------------------------------------------------------------------------

def _num(x):
    x = float(x)
    if not math.isfinite(x):
        raise ValueError("non-finite value in fixture: %r" % x)
    return repr(x)


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return _num(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(e) for e in v) + "]"
    raise TypeError("unsupported config value %r" % (v,))


def _tensor(a):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        raise ValueError("tensors need at least one dimension")
    shape = ", ".join(str(d) for d in a.shape)
    data = ", ".join(_num(x) for x in a.reshape(-1))
    return '{ "shape": [%s], "data": [%s] }' % (shape, data)


def write(name, description, config, tensors, scalars, strings=None):
    lines = ["{", '  "name": %s,' % json.dumps(name), '  "description": %s,' % json.dumps(description)]
    lines.append('  "config": {' + ("" if not config else "\n" + ",\n".join(
        "    %s: %s" % (json.dumps(k), _value(v)) for k, v in config.items()) + "\n  ") + "},")
    lines.append('  "tensors": {' + ("" if not tensors else "\n" + ",\n".join(
        "    %s: %s" % (json.dumps(k), _tensor(v)) for k, v in tensors.items()) + "\n  ") + "},")
    lines.append('  "scalars": {' + ("" if not scalars else "\n" + ",\n".join(
        "    %s: %s" % (json.dumps(k), _num(v)) for k, v in scalars.items()) + "\n  ") + "},")
    lines.append('  "strings": {' + ("" if not strings else "\n" + ",\n".join(
        "    %s: %s" % (json.dumps(k), json.dumps(v)) for k, v in strings.items()) + "\n  ") + "}")
    lines.append("}")
    path = os.path.join(OUT_DIR, name + ".json")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    WRITTEN.append(path)


def f32(a):
    """Rounds to float32 and back, so C#'s float inputs equal sklearn's float64 inputs exactly."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


# --------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------

def classification(name, what, y_true, y_pred, classes, positive_class, report=True, target_names=None):
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    labels = list(range(classes))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None)
    undefined = any(issubclass(w.category, UndefinedMetricWarning) for w in caught)

    scalars = {"accuracy": accuracy_score(y_true, y_pred)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for average in ("macro", "weighted"):
            scalars[average + "_precision"] = precision_score(y_true, y_pred, labels=labels, average=average)
            scalars[average + "_recall"] = recall_score(y_true, y_pred, labels=labels, average=average)
            scalars[average + "_f1"] = f1_score(y_true, y_pred, labels=labels, average=average)
        if classes == 2:
            bt, bp = y_true, y_pred
        else:
            # One-vs-rest for the positive class, through sklearn's binary path.
            bt, bp = (y_true == positive_class).astype(np.int64), (y_pred == positive_class).astype(np.int64)
        pos = positive_class if classes == 2 else 1
        scalars["binary_precision"] = precision_score(bt, bp, average="binary", pos_label=pos)
        scalars["binary_recall"] = recall_score(bt, bp, average="binary", pos_label=pos)
        scalars["binary_f1"] = f1_score(bt, bp, average="binary", pos_label=pos)
    scalars["undefined_metric_warning"] = 1.0 if undefined else 0.0

    strings = {}
    config = {"classes": classes, "positive_class": positive_class, "labels": labels}
    if report:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            strings["classification_report"] = classification_report(y_true, y_pred, labels=labels)
            strings["classification_report_digits_4"] = classification_report(y_true, y_pred, labels=labels, digits=4)
            if target_names is not None:
                config["target_names"] = list(target_names)
                strings["classification_report_named"] = classification_report(
                    y_true, y_pred, labels=labels, target_names=target_names)

    description = (what + " sklearn.metrics with labels=range(classes) and the default zero_division='warn' "
                   "(undefined ratios are 0; undefined_metric_warning is 1 when precision_recall_fscore_support "
                   "raised UndefinedMetricWarning). confusion_matrix rows are true classes, columns predicted. "
                   "binary_* are precision/recall/F1 with average='binary' for positive_class (for more than two "
                   "classes, on the labels binarized as label == positive_class).")
    write(name, description, config,
          {"true": y_true, "predicted": y_pred,
           "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels),
           "precision": p, "recall": r, "f1": f, "support": s},
          scalars, strings)


def classification_fixtures():
    classification(
        "classification_multiclass", "Three classes, 15 samples.",
        [0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2],
        [0, 0, 1, 2, 1, 1, 1, 0, 1, 2, 2, 1, 2, 2, 0],
        classes=3, positive_class=1, target_names=["setosa", "versicolor", "virginica"])
    classification(
        "classification_binary", "Two classes, 20 samples, positive class 1.",
        [0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0],
        [0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0],
        classes=2, positive_class=1, target_names=["malignant", "benign"])
    classification(
        "classification_binary_positive_0", "The same two-class data, positive class 0.",
        [0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0],
        [0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0],
        classes=2, positive_class=0)
    classification(
        "classification_zero_division",
        "Four classes: class 2 is predicted once but never true (recall undefined), class 3 is true twice "
        "but never predicted (precision undefined).",
        [0, 0, 1, 1, 1, 3, 3, 0],
        [0, 1, 1, 1, 2, 0, 1, 0],
        classes=4, positive_class=3)
    classification(
        "classification_absent_class",
        "Four classes, class 3 in neither labels nor predictions (its precision, recall and F1 are 0 and "
        "count in the macro mean). No report: sklearn titles the micro row 'micro avg' here, not 'accuracy'.",
        [0, 1, 2, 2, 1, 0, 2, 1],
        [0, 2, 2, 2, 1, 0, 1, 1],
        classes=4, positive_class=2, report=False)
    rng = np.random.RandomState(0)
    y_true = rng.randint(0, 5, size=200)
    y_pred = np.where(rng.rand(200) < 0.7, y_true, rng.randint(0, 5, size=200))
    classification(
        "classification_random_5", "Five classes, 200 samples: numpy RandomState(0) labels, 70% predicted right.",
        y_true, y_pred, classes=5, positive_class=4)


# --------------------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------------------

def regression(name, what, y_true, y_pred):
    y_true = f32(y_true)
    y_pred = f32(y_pred)
    outputs = 1 if y_true.ndim == 1 else y_true.shape[1]
    scalars = {
        "mse": mean_squared_error(y_true, y_pred),
        "mae": mean_absolute_error(y_true, y_pred),
        "r2": r2_score(y_true, y_pred),
    }
    r2_raw = np.atleast_1d(r2_score(y_true, y_pred, multioutput="raw_values"))
    write(name,
          what + " sklearn.metrics mean_squared_error, mean_absolute_error and r2_score with the default "
          "multioutput='uniform_average' (r2_raw is multioutput='raw_values') and force_finite=True. "
          "Inputs are float32 values, stored as float64.",
          {"outputs": outputs},
          {"true": y_true, "predicted": y_pred, "r2_raw": r2_raw},
          scalars)


def regression_fixtures():
    rng = np.random.RandomState(1)
    x = rng.normal(size=10) * 3 + 1
    regression("regression_single", "Ten samples, one output.", x, x + rng.normal(size=10) * 0.8)
    y = rng.normal(size=(8, 3)) * np.array([1.0, 10.0, 0.1]) + np.array([0.0, 50.0, -2.0])
    regression("regression_multioutput", "Eight samples, three outputs of different scales.",
               y, y + rng.normal(size=(8, 3)) * np.array([0.5, 2.0, 0.05]))
    regression("regression_constant_true",
               "Five samples, two outputs whose true values are constant: output 0 is predicted exactly "
               "(R² 1), output 1 is not (R² 0 by force_finite).",
               [[2.0, -1.5]] * 5,
               [[2.0, -1.5], [2.0, -1.0], [2.0, -1.5], [2.0, -2.25], [2.0, -1.5]])


# --------------------------------------------------------------------------------------
# Scaling
# --------------------------------------------------------------------------------------

def scaler_inputs():
    rng = np.random.RandomState(2)

    def rows(n):
        return np.column_stack([
            rng.normal(size=n) * 3 + 5,
            rng.uniform(1000, 1200, size=n),
            np.full(n, 0.1),                 # constant: scale 1 (StandardScaler), maps to low (MinMaxScaler)
            rng.normal(size=n) * 1e-3,
        ])

    return f32(rows(10)), f32(rows(4))


def scaler_fixtures():
    train, test = scaler_inputs()
    s = StandardScaler().fit(train)
    write("standard_scaler",
          "StandardScaler() fitted on train [10,4] (float32 values stored as float64; column 2 is constant, "
          "so its scale is 1), then transform of train and of test [4,4]. var is the population variance "
          "(divided by n); scale = sqrt(var), 1 for (near-)constant columns.",
          {"with_mean": True, "with_std": True},
          {"train": train, "test": test, "mean": s.mean_, "var": s.var_, "scale": s.scale_,
           "train_transformed": s.transform(train), "test_transformed": s.transform(test)},
          {"n_samples_seen": s.n_samples_seen_})
    for name, low, high in (("minmax_scaler", 0.0, 1.0), ("minmax_scaler_m1_1", -1.0, 1.0)):
        m = MinMaxScaler(feature_range=(low, high)).fit(train)
        write(name,
              "MinMaxScaler(feature_range=(%r, %r)) fitted on the standard_scaler train rows, then transform of "
              "train and test (test values may fall outside the range; clip=False). scale = (high - low) / "
              "(data_max - data_min), with a zero range replaced by 1; min = low - data_min * scale; "
              "y = x * scale + min." % (low, high),
              {"feature_range": [low, high]},
              {"train": train, "test": test, "data_min": m.data_min_, "data_max": m.data_max_,
               "scale": m.scale_, "min": m.min_,
               "train_transformed": m.transform(train), "test_transformed": m.transform(test)},
              {})


# --------------------------------------------------------------------------------------
# Splits (TypedNets' own algorithm, from the Python port)
# --------------------------------------------------------------------------------------

PORT_NOTE = ("Computed by reference/sklearn/typednets_split.py, a Python port of the algorithm documented on "
             "TypedNets.Data.Split (xoshiro256** seeded by SplitMix64, Lemire's bounded integers, Fisher-Yates "
             "from the last index down, test counts floor(fraction * n + 0.5)); not scikit-learn's splitters.")


def split_fixtures():
    tensors = {}
    cases = [(10, 42), (37, (1 << 64) - 1), (1, 3)]
    for i, (n, seed) in enumerate(cases):
        tensors["shuffle.%d" % i] = tns.shuffle(n, seed)
    rng = tns.Xoshiro256(42)
    raw = [rng.next() for _ in range(4)]
    write("split_shuffle", PORT_NOTE + " shuffle.i = Split.Shuffle(counts[i], seeds[i]). raw_next_42 holds the "
          "first four xoshiro256** outputs for seed 42 as decimal strings.",
          {"counts": [n for n, _ in cases], "seeds": [s for _, s in cases]},
          tensors, {}, {"raw_next_42": " ".join(str(v) for v in raw)})

    train, test = tns.train_test(25, 0.2, 7)
    write("split_train_test", PORT_NOTE + " Split.TrainTest(count, test_fraction, seed); rows in the shuffled order.",
          {"count": 25, "test_fraction": 0.2, "seed": 7},
          {"train": train, "test": test}, {})

    labels = [2, 0, 0, 1, 0, 2, 1, 0, 0, 1, 2, 0, 0, 1, 0, 2, 0, 1, 1, 0, 2, 0, 1, 0]
    train, test = tns.stratified_train_test(labels, 0.25, 123)
    counts = {c: labels.count(c) for c in set(labels)}
    in_test = {c: sum(1 for i in test if labels[i] == c) for c in counts}
    assert all(in_test[c] == tns.test_count(0.25, counts[c]) for c in counts), in_test
    write("split_stratified", PORT_NOTE + " Split.StratifiedTrainTest(labels, test_fraction, seed).",
          {"test_fraction": 0.25, "seed": 123},
          {"labels": labels, "train": train, "test": test}, {})

    # Unusual labels: negative, fractional, and both zeros (one class), in ascending-class order -1.5, 0, 3.
    labels = [3.0, -1.5, 0.0, -0.0, 3.0, 0.0, -1.5, 3.0, -0.0, 3.0, 0.0, -1.5, 3.0, 0.0]
    train, test = tns.stratified_train_test(labels, 0.5, 9)
    write("split_stratified_odd_labels", PORT_NOTE + " Labels -1.5, 0 (some written -0.0) and 3; fraction 0.5, "
          "so classes of odd size round half up.",
          {"test_fraction": 0.5, "seed": 9},
          {"labels": labels, "train": train, "test": test}, {})

    orders = tns.epoch_orders(11, 5, 3)
    write("batches_epochs", PORT_NOTE + " ShuffledBatches(dataset of 11 rows, batchSize 4, seed 5): the row order "
          "of each of the first three epochs (row e of orders is epoch e).",
          {"count": 11, "batch_size": 4, "seed": 5},
          {"orders": orders}, {})


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    classification_fixtures()
    regression_fixtures()
    scaler_fixtures()
    split_fixtures()
    for path in WRITTEN:
        print(os.path.relpath(path, REPO_ROOT))
    print("scikit-learn %s, numpy %s" % (sklearn.__version__, np.__version__))


if __name__ == "__main__":
    main()
