#!/usr/bin/env python3
"""PyTorch's side of examples/Compression: the same trained MLP 784-256-128-10, float and after
torch.quantization.quantize_dynamic, scored and timed as the C# example times its own variants.

  * weights: the safetensors file the example writes (hidden1.*, hidden2.*, output.*, PyTorch's nn.Linear
    layout), read with safetensors_io (the safetensors package is not in Debian 12) into
    nn.Sequential(Linear(784, 256), ReLU, Linear(256, 128), ReLU, Linear(128, 10), Softmax): the C# network's
    output is the softmax, so PyTorch computes it too;
  * int8: quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8) on the default quantized engine (Debian's
    1.13.1 build offers onednn and qnnpack, not fbgemm; the engine is in the output): int8 weights, activations
    quantised per batch at run time;
  * data: Fashion-MNIST's test images as scripts/fetch-fashion-mnist.sh leaves them, pixels divided by 255, the
    first --test-rows of them (the example passes the count it scored);
  * timing: one thread (torch.set_num_threads(1), and OpenMP, MKL and OpenBLAS told before torch loads), under
    torch.inference_mode(); after a warm-up, --rounds rounds of calls lasting --round-seconds each, a round's
    figure the mean time per call, the median round reported: batch 1 walks through the test images one at a
    time, batch 256 through consecutive batches of 256;
  * bytes: the float model ships as the safetensors file it was read from; the quantized one as
    torch.save(state_dict) writes it (its packed weights are not plain tensors, so safetensors cannot hold them).

    /usr/bin/python3 reference/pytorch/compression_pytorch.py --weights W.safetensors --output OUT.json
        [--data data/fashion-mnist] [--test-rows 10000] [--round-seconds 0.4] [--rounds 5]

Writes OUT.json: {"torch": version, "engine": ..., "threads": 1, "rows": [{"variant", "accuracy", "bytes",
"bytes_counted", "batch1_us", "batch256_ms"}, ...]}.
"""

import argparse
import ctypes
import gzip
import io
import json
import os
import statistics
import sys
import time

# One thread: OpenBLAS (which Debian's torch calls for float matrix products) reads this before it loads.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402

# The C# network's layers, in order, and their index in the nn.Sequential.
LAYERS = (("hidden1", 0), ("hidden2", 2), ("output", 4))


def read_idx(path):
    """The array of a gzipped IDX file (unsigned bytes), shaped by its header."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mlp(weights_path):
    tensors, _, _ = safetensors_io.load(weights_path)
    expected = {f"{name}.{kind}" for name, _ in LAYERS for kind in ("weight", "bias")}
    if set(tensors) != expected:
        raise SystemExit(f"{weights_path} holds {sorted(tensors)}; expected the MLP's {sorted(expected)}")
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(dim=1))
    model.load_state_dict({f"{index}.{kind}": tensors[f"{name}.{kind}"] for name, index in LAYERS for kind in ("weight", "bias")})
    return model.eval()


def accuracy(model, images, labels):
    with torch.inference_mode():
        predicted = torch.cat([model(images[i:i + 256]).argmax(1) for i in range(0, len(images), 256)])
    return (predicted == labels).double().mean().item()


def seconds_per_call(model, images, batch, round_seconds, rounds):
    batches = [images[i:i + batch] for i in range(0, len(images) - batch + 1, batch)]

    def run_for(seconds, minimum_calls=3):
        calls, start = 0, time.perf_counter()
        while calls < minimum_calls or time.perf_counter() - start < seconds:
            model(batches[calls % len(batches)])
            calls += 1
        return (time.perf_counter() - start) / calls

    with torch.inference_mode():
        run_for(round_seconds)
        return statistics.median(run_for(round_seconds) for _ in range(rounds))


def state_dict_bytes(model):
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.tell()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", required=True, help="the MLP's safetensors file, as the C# example saved it")
    parser.add_argument("--output", required=True, help="the JSON file to write")
    parser.add_argument("--data", default=os.path.join(REPO_ROOT, "data", "fashion-mnist"))
    parser.add_argument("--test-rows", type=int, default=10_000)
    parser.add_argument("--round-seconds", type=float, default=0.4)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    torch.set_num_threads(1)
    try:
        # Debian's pthread OpenBLAS keeps a pool of its own; told again after torch has loaded, as benchmarks/ does.
        ctypes.CDLL("libopenblas.so.0").openblas_set_num_threads(1)
    except OSError:
        pass
    images = torch.from_numpy(read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz")).astype(np.float32)).div(255)
    images = images.reshape(-1, 784)[:args.test_rows].contiguous()
    labels = torch.from_numpy(read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))[:args.test_rows]

    model = mlp(args.weights)
    quantized = torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    variants = (
        ("PyTorch float", model, os.path.getsize(args.weights), "the safetensors file read"),
        ("PyTorch quantize_dynamic int8", quantized, state_dict_bytes(quantized), "torch.save(state_dict)"),
    )
    rows = []
    for name, network, size, counted in variants:
        rows.append({
            "variant": name,
            "accuracy": accuracy(network, images, labels),
            "bytes": size,
            "bytes_counted": counted,
            "batch1_us": seconds_per_call(network, images, 1, args.round_seconds, args.rounds) * 1e6,
            "batch256_ms": seconds_per_call(network, images, 256, args.round_seconds, args.rounds) * 1e3,
        })
        print(f"  {name}: accuracy {rows[-1]['accuracy']:.4f}, {size:,} bytes, batch 1 {rows[-1]['batch1_us']:.1f} µs, "
              f"batch 256 {rows[-1]['batch256_ms']:.2f} ms", flush=True)
    result = {"torch": torch.__version__, "engine": torch.backends.quantized.engine, "threads": torch.get_num_threads(), "rows": rows}
    with open(args.output, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
