#!/usr/bin/env python3
"""Writes tests/Fixtures/sklearn/simple_imputer.json: scikit-learn's SimpleImputer on a small array with gaps.

The C# SimpleImputer tests (tests/TypedNets.Tests/Data/SimpleImputerTests.cs) fit TypedNets' imputer on the same
training rows and compare its statistics and both transforms with these. Run from anywhere:

    apt-get install -y python3-sklearn
    /usr/bin/python3 reference/sklearn/make_imputer_fixtures.py

JSON numbers cannot be NaN, so each array with gaps is written twice: its values with every NaN replaced by 0, and a
0/1 mask of the same shape (1 where the value is NaN). Inputs are rounded to float32 first, as in
make_metric_fixtures.py, so that the C# side sees exactly the values scikit-learn saw.
"""

import os
import sys

import numpy as np
import sklearn
from sklearn.impute import SimpleImputer

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_metric_fixtures as mmf  # noqa: E402  (the JSON writer and output directory)


def _split(a):
    a = np.asarray(a, dtype=np.float64)
    mask = np.isnan(a)
    return np.where(mask, 0.0, a), mask.astype(np.float64)


def main():
    rng = np.random.RandomState(11)
    rows, test_rows = 13, 7
    train = np.empty((rows, 5))
    test = np.empty((test_rows, 5))
    # Column 0: continuous values. Column 1: half-steps with ties, for the median and the most frequent value.
    # Column 2: never missing in training, missing in test. Column 3: no value at all in training.
    # Column 4: the most frequent value is tied between 2.5 and -1 (the smaller, -1, wins).
    for a, n in ((train, rows), (test, test_rows)):
        a[:, 0] = rng.normal(3.0, 2.0, n)
        a[:, 1] = rng.randint(0, 5, n) * 0.5
        a[:, 2] = rng.normal(-1.0, 0.5, n)
        a[:, 3] = rng.normal(0.0, 1.0, n)
        a[:, 4] = rng.randint(0, 4, n) * 1.5
    train[:, 4] = [2.5, -1, 2.5, -1, 7, 0.5, 2.5, -1, 3, 4, 5, 6, 8]
    train = train.astype(np.float32).astype(np.float64)
    test = test.astype(np.float32).astype(np.float64)
    for r, c in ((0, 0), (3, 0), (4, 0), (2, 1), (7, 1), (5, 4), (11, 4)):
        train[r, c] = np.nan
    train[:, 3] = np.nan
    for r, c in ((0, 0), (1, 1), (2, 2), (3, 2), (4, 3), (6, 4), (6, 0)):
        test[r, c] = np.nan

    train_values, train_missing = _split(train)
    test_values, test_missing = _split(test)
    tensors = {"train": train_values, "train_missing": train_missing, "test": test_values, "test_missing": test_missing}
    cases = []
    for strategy in ("mean", "median", "most_frequent", "constant"):
        for keep in (False, True):
            name = "%s%s" % (strategy, "_keep_empty" if keep else "")
            imputer = SimpleImputer(strategy=strategy, fill_value=7.5 if strategy == "constant" else None,
                                    keep_empty_features=keep)
            imputer.fit(train)
            statistics, statistics_missing = _split(imputer.statistics_)
            tensors[name + ".statistics"] = statistics
            tensors[name + ".statistics_missing"] = statistics_missing
            tensors[name + ".train"] = imputer.transform(train)
            tensors[name + ".test"] = imputer.transform(test)
            cases.append(name)

    mmf.write("simple_imputer",
              "sklearn.impute.SimpleImputer(missing_values=nan, strategy=..., fill_value=7.5 for constant, "
              "keep_empty_features=...) fitted on train [13, 5] and applied to train and test [7, 5]. Column 3 has no "
              "value in training, so it is dropped unless keep_empty_features or the constant strategy keeps it. "
              "X and X_missing: values with NaN written as 0, and 1 where the value is NaN.",
              {"cases": cases, "fill_value": 7.5}, tensors, {})
    for path in mmf.WRITTEN:
        print(os.path.relpath(path, mmf.REPO_ROOT))
    print("scikit-learn %s, numpy %s" % (sklearn.__version__, np.__version__))


if __name__ == "__main__":
    main()
