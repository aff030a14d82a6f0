#!/usr/bin/env python3
"""The PyTorch side of the TypedNets speed suite (run it through benchmarks/run.sh).

Times the suite's cases in eager PyTorch on one thread and writes their median and best time per call to a JSON file
that the .NET suite (benchmarks/TypedNets.Benchmarks) reads, and exports the models that ONNX Runtime runs there:

    mlp10.onnx      the tutorial's MLP 10-50-2 (dropout is a no-op in inference), with its softmax
    mlp784.onnx     the MLP 784-256-128-10, with its softmax
    text_lstm.onnx  the text classifier: Embedding(10000, 128), LSTM(64), Dense(64, ReLU), Dense(2), softmax

Timing is timeit's: each case runs in a loop long enough to last a target time, and the per-call time of several such
loops, taken round-robin over the cases, gives a median and a best. Training steps are zero_grad, forward in training mode, cross-entropy on the logits
(TypedNets fuses its Softmax with the loss in the same way), backward and torch.optim.Adam(lr=0.001). The GPT cases,
(f) and (g), are gpt_bench.py's; their parameters, flops and weight bytes go to the JSON's "gpt" section.

    /usr/bin/python3 benchmarks/pytorch_bench.py [--mode quick|full] [--out FILE] [--onnx-dir DIR] [--no-epoch] [--only KEY,KEY]
    /usr/bin/python3 benchmarks/pytorch_bench.py --check-blas     exit 0 when OpenBLAS' SGEMM is correct here
"""

import argparse
import contextlib
import copy
import ctypes
import datetime
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

# One thread everywhere. torch.set_num_threads covers OpenMP (and MKL), but Debian's torch calls OpenBLAS, whose
# pthread build keeps its own pool of one thread per core: it has to be told before it loads, and again below.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import torch  # noqa: E402 (after the thread settings)
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import gpt_bench  # noqa: E402

SETTINGS = {
    # seconds one timing loop lasts at least, loops per case (round-robin), timed epochs
    "quick": {"target": 0.1, "repeats": 5, "epochs": 2},
    "full": {"target": 0.25, "repeats": 15, "epochs": 5},
}

EPOCH_ROWS = 60_000


def torch_version():
    """Debian's package version where there is one: its torch calls itself 1.13.0a0."""
    try:
        package = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "python3-torch"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        if package and torch.__file__.startswith("/usr/lib/python3/"):
            return f"{package} (Debian)"
    except (OSError, subprocess.CalledProcessError):
        pass
    return torch.__version__


def openblas():
    try:
        return ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return None


def blas_core():
    """The kernel family OpenBLAS chose (or was told through OPENBLAS_CORETYPE) on this processor."""
    library = openblas()
    if library is None:
        return "none"
    library.openblas_get_corename.restype = ctypes.c_char_p
    return library.openblas_get_corename().decode()


def blas_threads():
    """OpenBLAS' thread count, after setting it to one."""
    library = openblas()
    if library is None:
        return 0
    library.openblas_set_num_threads(1)
    return library.openblas_get_num_threads()


def check_blas():
    """SGEMM against the same product in float64: exits 0 when every size agrees to float precision."""
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    for n in (64, 256, 1000, 1024):
        a = torch.randn(n, n, generator=generator)
        b = torch.randn(n, n, generator=generator)
        error = ((torch.mm(a, b).double() - a.double() @ b.double()).abs().max() / (a.double() @ b.double()).abs().max()).item()
        if not error < 1e-5:
            print(f"OpenBLAS core {blas_core()}: SGEMM {n} is off by {error:.2e}")
            return 1
    print(f"OpenBLAS core {blas_core()}: SGEMM agrees with float64")
    return 0


class Case:
    """One timed function; `inference` runs its loops under torch.inference_mode()."""

    def __init__(self, key, function, inference=False, fixed_calls=None, max_loops=None):
        self.key, self.function, self.inference = key, function, inference
        self.calls, self.max_loops, self.times = fixed_calls, max_loops, []

    def loop(self, calls):
        with torch.inference_mode() if self.inference else contextlib.nullcontext():
            start = time.perf_counter()
            for _ in range(calls):
                self.function()
            return time.perf_counter() - start


def measure(cases, target, repeats):
    """
    timeit-style: each case's calls per loop are chosen so that a loop lasts at least `target` seconds; then the loops
    are timed round-robin over the cases (case 1, case 2, ..., case 1, ...), so that a burst of other work on the machine
    lands on one loop of several cases rather than on every loop of one.
    """
    for case in cases:
        case.loop(1)
        if case.calls is None:
            case.calls = 1
            while True:
                elapsed = case.loop(case.calls)
                if elapsed >= target:
                    break
                case.calls = max(case.calls * 2, int(case.calls * target / max(elapsed, 1e-9) * 1.2))
    for round_ in range(repeats):
        for case in cases:
            if case.max_loops is None or round_ < case.max_loops:
                case.times.append(case.loop(case.calls) / case.calls)
    return {case.key: {"median_s": statistics.median(case.times), "best_s": min(case.times),
                       "calls_per_loop": case.calls, "loops": len(case.times)} for case in cases}


def mlp10():
    return nn.Sequential(nn.Linear(10, 50), nn.ReLU(), nn.Dropout(0.5), nn.Linear(50, 2))


def mlp784():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


class TextLstm(nn.Module):
    """The tutorial's text classifier; forward returns logits."""

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
        return self.output(self.drop2(F.relu(self.hidden(self.drop1(h[-1])))))


class WithSoftmax(nn.Module):
    """What TypedNets' Predict returns: probabilities."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return F.softmax(self.model(x), dim=1)


FASHION_MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fashion-mnist")


def fashion_mnist():
    """The four files scripts/fetch-fashion-mnist.sh fetches, as (train x, train y, test x, test y): pixels divided by
    255 as TypedNets' Idx.ReadImages does, labels as class indices; None when they are not there."""
    names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    paths = [os.path.join(FASHION_MNIST, name) for name in names]
    if not all(os.path.exists(path) for path in paths):
        return None

    def read(path, header):
        with gzip.open(path, "rb") as handle:
            return torch.frombuffer(bytearray(handle.read()[header:]), dtype=torch.uint8)

    train_x, test_x = (read(paths[i], 16).reshape(-1, 784).float().div(255) for i in (0, 2))
    train_y, test_y = (read(paths[i], 8).long() for i in (1, 3))
    return train_x, train_y, test_x, test_y


def epoch_of(model, optimizer, features, labels):
    """One epoch as Trainer.Fit runs it: a fresh random order, batches of 64 gathered from it, a step each."""
    step = train_step(model, optimizer, None, None)

    def epoch():
        order = torch.randperm(features.shape[0])
        for start in range(0, features.shape[0], 64):
            rows = order[start:start + 64]
            step(features.index_select(0, rows), labels.index_select(0, rows))
    return epoch


def accuracy_after_one_epoch(data):
    """(e)'s accuracy: a fresh MLP 784-256-128-10 trained for one epoch (Adam 0.001, batch 64), on the test images."""
    train_x, train_y, test_x, test_y = data
    torch.manual_seed(0)
    model = mlp784().train()
    epoch_of(model, torch.optim.Adam(model.parameters(), lr=0.001), train_x, train_y)()
    model.eval()
    with torch.no_grad():
        return float((model(test_x).argmax(1) == test_y).float().mean())


def train_step(model, optimizer, x, y):
    """One step on (x, y), or, when they are None, a step function that takes the batch."""
    def step(batch_x=x, batch_y=y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(batch_x), batch_y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def predict(model, x):
    def run():
        return model(x)
    return run


def export(model, example, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            WithSoftmax(model).eval(), example, path, input_names=["x"], output_names=["y"],
            dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=13)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=sorted(SETTINGS), default="quick")
    parser.add_argument("--out", default="benchmarks/artifacts/pytorch.json")
    parser.add_argument("--onnx-dir", default="benchmarks/artifacts")
    parser.add_argument("--no-epoch", action="store_true", help="skip the one-epoch case (e)")
    parser.add_argument("--check-blas", action="store_true", help="only check OpenBLAS' SGEMM and exit")
    parser.add_argument("--only", help="time only these cases (keys separated by commas), as the .NET suite's --only")
    args = parser.parse_args()
    if args.check_blas:
        return check_blas()

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    if blas_threads() > 1:
        print("OpenBLAS would not run on one thread")
        return 1
    torch.manual_seed(0)
    settings = SETTINGS[args.mode]
    os.makedirs(args.onnx_dir, exist_ok=True)
    cases = []
    print(f"PyTorch {torch_version()}, OpenBLAS core {blas_core()}, {torch.get_num_threads()} thread "
          f"(OpenBLAS {blas_threads()}), {args.mode} mode")

    def classifier_cases(key, model, example, batch, classes):
        """Export the model for ONNX Runtime; predict with a copy in eval mode, train the original."""
        export(model, example(1), os.path.join(args.onnx_dir, f"{key}.onnx"))
        predictor = WithSoftmax(copy.deepcopy(model)).eval()
        for size in (1, 256) if key == "mlp784" else (1,):
            cases.append(Case(f"{key}_predict{size}", predict(predictor, example(size)), inference=True))
        if key == "mlp784":
            # PyTorch's post-training dynamic quantisation (fbgemm): int8 weights per tensor, activations per batch.
            quantized = torch.quantization.quantize_dynamic(predictor, {nn.Linear}, dtype=torch.qint8)
            for size in (1, 256):
                cases.append(Case(f"{key}_int8_predict{size}", predict(quantized, example(size)), inference=True))
        trainee = model.train()
        step = train_step(trainee, torch.optim.Adam(trainee.parameters(), lr=0.001), example(batch), torch.randint(0, classes, (batch,)))
        cases.append(Case(f"{key}_train{batch}", step))

    # (a) the tutorial's MLP, (b) the 784-256-128-10 MLP, (c) the text classifier
    classifier_cases("mlp10", mlp10(), lambda n: torch.rand(n, 10), 32, classes=2)
    classifier_cases("mlp784", mlp784(), lambda n: torch.rand(n, 784), 64, classes=10)
    classifier_cases("text", TextLstm(), lambda n: torch.randint(1, 10000, (n, 100)), 32, classes=2)
    os.replace(os.path.join(args.onnx_dir, "text.onnx"), os.path.join(args.onnx_dir, "text_lstm.onnx"))

    # (d) SGEMM, into a preallocated result as Gemm.Multiply does
    for n in (256, 1024):
        a, b, c = torch.rand(n, n) * 2 - 1, torch.rand(n, n) * 2 - 1, torch.empty(n, n)
        cases.append(Case(f"gemm{n}", lambda a=a, b=b, c=c: torch.mm(a, b, out=c)))

    # (e) one epoch of (b) on Fashion-MNIST (synthetic data of its size when the files are not there): shuffle,
    # gather each batch, step; and the test accuracy a fresh network reaches in one epoch
    accuracy = {}
    epoch_data = "none"
    if not args.no_epoch and (args.only is None or "mlp784_epoch" in args.only.split(",")):
        data = fashion_mnist()
        if data is None:
            epoch_data = "synthetic"
            features, labels = torch.rand(EPOCH_ROWS, 784), torch.randint(0, 10, (EPOCH_ROWS,))
        else:
            epoch_data = "Fashion-MNIST"
            features, labels = data[0], data[1]
            accuracy["mlp784_epoch"] = accuracy_after_one_epoch(data)
            print(f"  one epoch of Fashion-MNIST: test accuracy {accuracy['mlp784_epoch']:.4f}")
        epoch_model = mlp784().train()
        epoch = epoch_of(epoch_model, torch.optim.Adam(epoch_model.parameters(), lr=0.001), features, labels)
        cases.append(Case("mlp784_epoch", epoch, fixed_calls=1, max_loops=settings["epochs"]))

    # (f) a training step of nanoGPT's baby GPT, (g) generation with a key/value cache at two shapes
    gpt = {}
    for case, figures in gpt_bench.cases(Case):
        cases.append(case)
        gpt[case.key] = figures

    if args.only:
        only = set(args.only.split(","))
        cases = [case for case in cases if case.key in only]
        gpt = {key: figures for key, figures in gpt.items() if key in only}
    results = measure(cases, settings["target"], settings["repeats"])
    for key, result in results.items():
        print(f"  {key:20} median {result['median_s'] * 1e6:12.1f} us   best {result['best_s'] * 1e6:12.1f} us")

    meta = {
        "torch": torch_version(),
        "python": platform.python_version(),
        "blas_core": blas_core(),
        "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
        "threads": torch.get_num_threads(),
        "blas_threads": blas_threads(),
        "mode": args.mode,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "epoch_data": epoch_data,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"meta": meta, "cases": results, "accuracy": accuracy, "gpt": gpt}, handle, indent=2)
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
