#!/usr/bin/env python3
"""Compares two prediction files of the form index,label,predicted,p0,...,pK (train_ddp.py's
pytorch_predictions.csv and ScaleOutNative's output): the same images and labels, the same predicted class for
every image, and every probability within the tolerance. Prints one line and exits 1 on any disagreement.

    python3 examples/ScaleOut/compare.py pytorch_predictions.csv native_predictions.csv [--tolerance 1e-5]
"""

import argparse
import csv
import sys


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:3] != ["index", "label", "predicted"]:
        raise SystemExit(f"{path}: expected a header index,label,predicted,p0,..., found {rows[0] if rows else 'an empty file'}")
    return rows[0], [(int(r[0]), int(r[1]), int(r[2]), [float(v) for v in r[3:]]) for r in rows[1:]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pytorch")
    parser.add_argument("native")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()

    header, expected = read(args.pytorch)
    native_header, actual = read(args.native)
    if header != native_header or len(expected) != len(actual):
        raise SystemExit(f"the files differ in form: {len(expected)} rows of {header} against {len(actual)} rows of {native_header}")

    worst, worst_at, disagreements, beyond = 0.0, None, [], []
    for (i, label, predicted, p), (j, native_label, native_predicted, q) in zip(expected, actual):
        if i != j or label != native_label:
            raise SystemExit(f"row {i}: image {j} with label {native_label} in {args.native}, label {label} in {args.pytorch}")
        if predicted != native_predicted:
            disagreements.append(i)
        difference = max(abs(a - b) for a, b in zip(p, q))
        if difference > worst:
            worst, worst_at = difference, i
        if difference > args.tolerance:
            beyond.append(i)

    if not expected:
        raise SystemExit(f"{args.pytorch} holds no predictions to compare")
    right = sum(label == predicted for _, label, predicted, _ in expected)
    native_right = sum(label == predicted for _, label, predicted, _ in actual)
    count = len(expected)
    print(f"{count} test images: the binary's class equals PyTorch's for {count - len(disagreements)} of {count}; "
          f"largest probability difference {worst:.3g} (image {worst_at}; tolerance {args.tolerance:g}); "
          f"accuracy PyTorch {right / count:.4f}, binary {native_right / count:.4f}")
    if disagreements or beyond:
        print(f"disagreements: classes differ on images {disagreements[:20]}, probabilities beyond the tolerance on "
              f"images {beyond[:20]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
