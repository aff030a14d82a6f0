#!/usr/bin/env python3
"""Loads safetensors files into PyTorch and checks that PyTorch computes what was recorded.

    /usr/bin/python3 reference/pytorch/check_safetensors.py FILE.safetensors [FILE ...]

Each file is read by the strict hand-written reader in safetensors_io.py, then loaded into
the matching nn.Module of make_safetensors_fixtures.py with load_state_dict(strict=True),
which checks every name and shape. The module runs, in eval mode and float32, on the input
recorded for the file, and its output must match the recorded output within 1e-5.

Where the input and output come from:

- A file written by TypedNets (SafeTensors.Save) for this check carries them in its
  __metadata__: "typednets.network" (TinyMlp or TinyTextClassifier), "typednets.input" and
  "typednets.output" (JSON arrays, row-major), "typednets.input_shape" and
  "typednets.output_shape". The output is what TypedNets computed with the weights it
  saved. Such a file must also list its tensors in state_dict order, as TypedNets promises.
- Otherwise, the fixture JSON of the same name next to it (make_safetensors_fixtures.py).

Prints one line per file and exits with status 1 if any file fails.
"""

import json
import os
import sys

import torch

import make_safetensors_fixtures as fixtures
import safetensors_io

TOLERANCE = 1e-5


def recorded(path, metadata, tensors):
    """(network name, input, expected output, from where) for a file."""
    if "typednets.network" in metadata:
        x = torch.tensor(json.loads(metadata["typednets.input"]), dtype=torch.float32)
        y = torch.tensor(json.loads(metadata["typednets.output"]), dtype=torch.float32)
        x = x.reshape(json.loads(metadata["typednets.input_shape"]))
        y = y.reshape(json.loads(metadata["typednets.output_shape"]))
        return metadata["typednets.network"], x, y, "TypedNets' output in __metadata__"
    fixture = os.path.splitext(path)[0] + ".json"
    with open(fixture, encoding="utf-8") as f:
        document = json.load(f)

    def tensor(key):
        entry = document["tensors"][key]
        return torch.tensor(entry["data"], dtype=torch.float32).reshape(entry["shape"])

    return document["config"]["network"], tensor("input"), tensor("output"), os.path.basename(fixture)


def check(path):
    tensors, dtypes, metadata = safetensors_io.load(path)
    network, x, expected, source = recorded(path, metadata, tensors)
    model = fixtures.MODELS[network]()
    if "typednets.network" in metadata and list(tensors) != list(model.state_dict()):
        raise ValueError("tensors are in the order %s, not state_dict order %s" % (list(tensors), list(model.state_dict())))
    model.load_state_dict(tensors, strict=True)
    model.eval()
    if network == "TinyTextClassifier":
        x = x.to(torch.int64)
    with torch.no_grad():
        output = model(x)
    if output.shape != expected.shape:
        raise ValueError("PyTorch's output is %s, the recorded one %s" % (list(output.shape), list(expected.shape)))
    difference = (output - expected).abs().max().item()
    kinds = ",".join(sorted(set(dtypes.values())))
    verdict = "OK  " if difference <= TOLERANCE else "FAIL"
    print("%s %s: %s, %d tensors (%s), %d parameters; PyTorch's output vs %s: max |difference| = %.3g (tolerance %g)"
          % (verdict, path, network, len(tensors), kinds, sum(t.numel() for t in tensors.values()), source,
             difference, TOLERANCE))
    return difference <= TOLERANCE


def main(paths):
    if not paths:
        print(__doc__)
        return 2
    torch.set_num_threads(1)
    failed = 0
    for path in paths:
        try:
            failed += 0 if check(path) else 1
        except Exception as error:  # report every file, then fail
            print("FAIL %s: %s: %s" % (path, type(error).__name__, error))
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
