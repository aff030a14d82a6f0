#!/usr/bin/env python3
"""Loads safetensors files into PyTorch and checks that PyTorch computes what was recorded.

    /usr/bin/python3 reference/pytorch/check_safetensors.py FILE.safetensors [FILE ...]

Each file is read by the strict hand-written reader in safetensors_io.py, then loaded into
the matching nn.Module of make_safetensors_fixtures.py with load_state_dict(strict=True),
which checks every name and shape. The module runs, in eval mode and float32, on the input
recorded for the file, and its output must match the recorded output within 1e-5; for the
BatchNorm network that output depends on the loaded running statistics (the buffers).

Where the input and output come from:

- A file written by TypedNets (SafeTensors.Save) for this check carries them in its
  __metadata__: "typednets.network" (TinyMlp or TinyTextClassifier), "typednets.input" and
  "typednets.output" (JSON arrays, row-major), "typednets.input_shape" and
  "typednets.output_shape". The output is what TypedNets computed with the weights it
  saved. Such a file must also list its tensors in state_dict order, as TypedNets promises
  (parameters, then buffers, per module), less BatchNorm's num_batches_tracked, which TypedNets
  does not write: load_state_dict(strict=True) accepts a plain dict without it (BatchNorm's
  _load_from_state_dict fills in 0 when the dict carries no version), and checking that is part
  of this check.
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
    written = [k for k in model.state_dict() if not k.endswith(".num_batches_tracked")]
    if "typednets.network" in metadata and list(tensors) != written:
        raise ValueError("tensors are in the order %s, not state_dict order %s" % (list(tensors), written))
    model.load_state_dict(tensors, strict=True)
    for k, t in tensors.items():  # every stored tensor, parameters and buffers, is now the module's
        if not torch.equal(model.state_dict()[k], t):
            raise ValueError("%s differs from the stored tensor after load_state_dict" % k)
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
    buffers = [k for k, _ in model.named_buffers() if k in tensors]
    print("%s %s: %s, %d tensors (%s), %d values, buffers %s; PyTorch's output vs %s: max |difference| = %.3g "
          "(tolerance %g)" % (verdict, path, network, len(tensors), kinds, sum(t.numel() for t in tensors.values()),
                              ", ".join(buffers) or "none", source, difference, TOLERANCE))
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
