#!/usr/bin/env python3
"""The PyTorch side of the TypedNets speed suite (run it through benchmarks/run.sh).

Times the suite's cases in eager PyTorch on one thread and writes their median and best time per call to a JSON file
that the .NET suite (benchmarks/TypedNets.Benchmarks) reads, and exports the models that ONNX Runtime runs there:

    mlp10.onnx      the tutorial's MLP 10-50-2 (dropout is a no-op in inference), with its softmax
    mlp784.onnx     the MLP 784-256-128-10, with its softmax
    text_lstm.onnx  the text classifier: Embedding(10000, 128), LSTM(64), Dense(64, ReLU), Dense(2), softmax
    convnet.onnx    examples/FashionMnist's convnet (convnet() below), with its softmax
    resnet.onnx     examples/FashionMnist's ResNet, reference/pytorch/fashion_resnet.py's FashionResNet(16, 2), in eval
                    mode (BatchNorm on its running statistics), with its softmax

Timing is timeit's: each case runs in a loop long enough to last a target time, and the per-call time of several such
loops, taken round-robin over the cases, gives a median and a best. Training steps are zero_grad, forward in training mode, cross-entropy on the logits
(TypedNets fuses its Softmax with the loss in the same way), backward and torch.optim.Adam(lr=0.001). The GPT cases,
(f) and (g), are gpt_bench.py's; their parameters, flops and weight bytes go to the JSON's "gpt" section. The convnet
and the ResNet's parameters and matrix flops, counted from the modules as they run, go to its "figures" section.

Every training case also runs on two threads (key suffix "_two_threads"): torch.set_num_threads(2) and OpenBLAS' pool
at two, measured after all the one-thread cases so that no helper thread still spins beside a one-thread loop.

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

# examples/FashionMnist's ResNet is reference/pytorch/fashion_resnet.py's module, imported rather than copied.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "pytorch"))
from fashion_resnet import FashionResNet  # noqa: E402

SETTINGS = {
    # seconds one timing loop lasts at least, loops per case (round-robin), timed epochs
    # "conv_epochs": the convnet's timed epochs, each about half a minute or more, and none to warm up
    "quick": {"target": 0.1, "repeats": 5, "epochs": 2, "conv_epochs": 1},
    "full": {"target": 0.25, "repeats": 15, "epochs": 5, "conv_epochs": 3},
}

TWO_THREADS = "_two_threads"

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


def blas_threads(threads=1):
    """OpenBLAS' thread count, after setting it to `threads`."""
    library = openblas()
    if library is None:
        return 0
    library.openblas_set_num_threads(threads)
    return library.openblas_get_num_threads()


def use_threads(threads):
    """PyTorch's intra-op threads and OpenBLAS' pool (which grows past OPENBLAS_NUM_THREADS when told): the number it got."""
    torch.set_num_threads(threads)
    return min(torch.get_num_threads(), blas_threads(threads)) if openblas() is not None else torch.get_num_threads()


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
    """
    One timed function; `inference` runs its loops under torch.inference_mode(). `threads` (1 or 2) is the thread count
    it is measured at; `warm_up=False` skips the untimed first call (for epochs lasting tens of seconds).
    """

    def __init__(self, key, function, inference=False, fixed_calls=None, max_loops=None, threads=1, warm_up=True):
        self.key, self.function, self.inference = key, function, inference
        self.calls, self.max_loops, self.times = fixed_calls, max_loops, []
        self.threads, self.warm_up = threads, warm_up

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
        if case.warm_up:
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


def convnet():
    """
    examples/FashionMnist's FashionConvnet, layer for layer: Conv2D(32, 3, ReLU), MaxPool2D(2), Conv2D(64, 3, ReLU),
    MaxPool2D(2), Flatten, Dense(128, ReLU), Dropout(0.3), Dense(10) (the softmax in the loss, or WithSoftmax).
    Valid convolutions as Keras' and TypedNets' default: 28 -> 26 -> 13 -> 11 -> 5, so Flatten gives 64 x 5 x 5.
    """
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))


def resnet():
    """examples/FashionMnist's FashionResNet: 16, 32 and 64 channels, two BasicBlocks a stage."""
    return FashionResNet(16, 2)


def matrix_figures(model, example):
    """
    Parameters and matrix-product flops per sample (2 per multiply-add) of `model`, counted from its Conv2d and Linear
    modules as they run on `example` (one sample): forward; a training step adds the weight gradient of each and the
    input gradient of each but the first to run (which gets the input, which needs no gradient). The .NET suite holds
    its own formula (Cases.ConvnetTrainingFlops, Cases.ResNetTrainingFlops) to these.
    """
    products = []

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        else:
            per_output = module.in_features
        products.append(2.0 * output[0].numel() * per_output)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    training = model.training
    model.eval()
    with torch.no_grad():
        model(example)
    model.train(training)
    for handle in handles:
        handle.remove()
    return {"parameters": sum(p.numel() for p in model.parameters()), "forward_flops": sum(products),
            "training_flops": 2 * products[0] + 3 * sum(products[1:])}


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


def keeping_first_epoch(model, epoch, kept):
    """
    `epoch`, which also copies the model's state into `kept` after its first call: the convnet's test accuracy after
    one epoch is read from the timed run (a copy of 0.9 MB after half a minute of training) instead of a third epoch.
    """
    def run():
        epoch()
        if not kept:
            kept.update(copy.deepcopy(model.state_dict()))
    return run


def test_accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return sum(float((model(x[s:s + 1000]).argmax(1) == y[s:s + 1000]).sum()) for s in range(0, x.shape[0], 1000)) / x.shape[0]


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
    parser.add_argument("--no-epoch", action="store_true", help="skip the epoch cases, (e) and the convnet's")
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
    only = set(args.only.split(",")) if args.only else None
    cases = []
    print(f"PyTorch {torch_version()}, OpenBLAS core {blas_core()}, {torch.get_num_threads()} thread "
          f"(OpenBLAS {blas_threads()}), {args.mode} mode")

    def wanted(key):
        """Whether a case with this key, on one thread or two, is to be timed (cases that take long to set up ask)."""
        return only is None or key in only or key + TWO_THREADS in only

    def training_cases(key, make_model, step_of):
        """The case on one thread and on two, each on a fresh model (seed 0) and its own optimizer."""
        for threads in (1, 2):
            torch.manual_seed(0)
            cases.append(Case(key + (TWO_THREADS if threads == 2 else ""), step_of(make_model().train()), threads=threads))

    def classifier_cases(key, make_model, example, batch, classes):
        """Export the model for ONNX Runtime; predict with it in eval mode; train fresh ones on one thread and on two."""
        model = make_model()
        export(model, example(1), os.path.join(args.onnx_dir, f"{key}.onnx"))
        predictor = WithSoftmax(model).eval()
        sizes = {"mlp784": (1, 256), "convnet": (1, 256), "resnet": (256,)}.get(key, (1,))
        for size in sizes:
            cases.append(Case(f"{key}_predict{size}", predict(predictor, example(size)), inference=True))
        if key == "mlp784":
            # PyTorch's post-training dynamic quantisation (fbgemm): int8 weights per tensor, activations per batch.
            quantized = torch.quantization.quantize_dynamic(predictor, {nn.Linear}, dtype=torch.qint8)
            for size in (1, 256):
                cases.append(Case(f"{key}_int8_predict{size}", predict(quantized, example(size)), inference=True))
        if key == "resnet":
            # The ResNet trains as examples/FashionMnist and fashion_resnet.py train it: SGD, Nesterov, weight decay.
            def optimizer(trainee):
                return torch.optim.SGD(trainee.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.0005)
        else:
            def optimizer(trainee):
                return torch.optim.Adam(trainee.parameters(), lr=0.001)
        if key != "convnet":
            x, y = example(batch), torch.randint(0, classes, (batch,))
            training_cases(f"{key}_train{batch}", make_model, lambda trainee: train_step(trainee, optimizer(trainee), x, y))

    # (a) the tutorial's MLP, (b) the 784-256-128-10 MLP, (c) the text classifier
    classifier_cases("mlp10", mlp10, lambda n: torch.rand(n, 10), 32, classes=2)
    classifier_cases("mlp784", mlp784, lambda n: torch.rand(n, 784), 64, classes=10)
    classifier_cases("text", TextLstm, lambda n: torch.randint(1, 10000, (n, 100)), 32, classes=2)
    os.replace(os.path.join(args.onnx_dir, "text.onnx"), os.path.join(args.onnx_dir, "text_lstm.onnx"))
    # examples/FashionMnist's convnet (its training case is the epoch below) and ResNet (a step of batch 128)
    classifier_cases("convnet", convnet, lambda n: torch.rand(n, 1, 28, 28), 64, classes=10)
    classifier_cases("resnet", resnet, lambda n: torch.rand(n, 1, 28, 28), 128, classes=10)
    figures = {"convnet": matrix_figures(convnet(), torch.rand(1, 1, 28, 28)),
               "resnet": matrix_figures(resnet(), torch.rand(1, 1, 28, 28))}

    # (d) SGEMM, into a preallocated result as Gemm.Multiply does
    for n in (256, 1024):
        a, b, c = torch.rand(n, n) * 2 - 1, torch.rand(n, n) * 2 - 1, torch.empty(n, n)
        cases.append(Case(f"gemm{n}", lambda a=a, b=b, c=c: torch.mm(a, b, out=c)))

    # (e) one epoch of (b), and one of the convnet, on Fashion-MNIST (synthetic data of its size when the files are not
    # there): shuffle, gather each batch, step; and the test accuracy a fresh network reaches in one epoch
    accuracy = {}
    epoch_data = "none"
    data = None
    convnet_after_one_epoch = {}
    if not args.no_epoch and (wanted("mlp784_epoch") or wanted("convnet_epoch")):
        data = fashion_mnist()
        if data is None:
            epoch_data = "synthetic"
            features, labels = torch.rand(EPOCH_ROWS, 784), torch.randint(0, 10, (EPOCH_ROWS,))
        else:
            epoch_data = "Fashion-MNIST"
            features, labels = data[0], data[1]
        if wanted("mlp784_epoch"):
            if data is not None:
                accuracy["mlp784_epoch"] = accuracy_after_one_epoch(data)
                print(f"  one epoch of Fashion-MNIST: test accuracy {accuracy['mlp784_epoch']:.4f}")
            for threads in (1, 2):
                epoch_model = mlp784().train()
                epoch = epoch_of(epoch_model, torch.optim.Adam(epoch_model.parameters(), lr=0.001), features, labels)
                cases.append(Case("mlp784_epoch" + (TWO_THREADS if threads == 2 else ""), epoch, fixed_calls=1,
                                  max_loops=settings["epochs"], threads=threads))
        if wanted("convnet_epoch"):
            images = features.reshape(-1, 1, 28, 28)
            for threads in (1, 2):
                torch.manual_seed(0)
                conv_model = convnet().train()
                epoch = epoch_of(conv_model, torch.optim.Adam(conv_model.parameters(), lr=0.001), images, labels)
                if threads == 1:
                    epoch = keeping_first_epoch(conv_model, epoch, convnet_after_one_epoch)
                cases.append(Case("convnet_epoch" + (TWO_THREADS if threads == 2 else ""), epoch, fixed_calls=1,
                                  max_loops=settings["conv_epochs"], threads=threads, warm_up=False))

    # (f) a training step of nanoGPT's baby GPT, (g) generation with a key/value cache at two shapes
    gpt = {}
    for case, figures_of_case in gpt_bench.cases(Case):
        cases.append(case)
        gpt[case.key] = figures_of_case
    cases.append(gpt_bench.training_case(lambda key, function, **options: Case(key + TWO_THREADS, function, threads=2, **options))[0])

    if only is not None:
        cases = [case for case in cases if case.key in only]
        gpt = {key: figures_of_case for key, figures_of_case in gpt.items() if key in only}
    results = measure([case for case in cases if case.threads == 1], settings["target"], settings["repeats"])
    two = [case for case in cases if case.threads == 2]
    two_threads = None
    if two:
        two_threads = use_threads(2)
        if two_threads != 2:
            print(f"PyTorch would not run on two threads (it got {two_threads}): its two-thread rows are on {two_threads}")
        results.update(measure(two, settings["target"], settings["repeats"]))
        use_threads(1)
    for key, result in results.items():
        print(f"  {key:32} median {result['median_s'] * 1e6:14.1f} us   best {result['best_s'] * 1e6:14.1f} us")
    if "convnet_epoch" in results and data is not None:
        scored = convnet()
        scored.load_state_dict(convnet_after_one_epoch)
        accuracy["convnet_epoch"] = test_accuracy(scored, data[2].reshape(-1, 1, 28, 28), data[3])
        print(f"  the convnet after its first epoch of Fashion-MNIST: test accuracy {accuracy['convnet_epoch']:.4f}")

    meta = {
        "torch": torch_version(),
        "python": platform.python_version(),
        "blas_core": blas_core(),
        "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
        "threads": torch.get_num_threads(),
        "blas_threads": blas_threads(),
        "two_threads": two_threads,
        "mode": args.mode,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "epoch_data": epoch_data,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"meta": meta, "cases": results, "accuracy": accuracy, "gpt": gpt, "figures": figures}, handle, indent=2)
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
