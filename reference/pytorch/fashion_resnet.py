#!/usr/bin/env python3
"""The PyTorch twin of examples/FashionMnist's residual network: the same data, network, augmentation and
training settings, run in real PyTorch, so that the C# example's test accuracy has a figure to stand beside.

  * data: Fashion-MNIST as scripts/fetch-fashion-mnist.sh leaves it in data/fashion-mnist (Debian's
    dataset-fashion-mnist), pixels divided by 255 into [0, 1] as TypedNets' Idx.LoadFashionMnist does; the
    60,000 training images train, the 10,000 test images are scored;
  * network: a small ResNet with torchvision's BasicBlock and names: a stem (conv1 3x3, 1 -> C1, no bias;
    bn1; ReLU), stages layer1..layer3 of `blocks` BasicBlocks each (conv 3x3 -> BatchNorm -> ReLU -> conv 3x3
    -> BatchNorm, plus the input or, where the shape changes, a 1x1 convolution with stride 2 and a
    BatchNorm (downsample.0, downsample.1); ReLU after the addition), widths C1, 2 C1, 4 C1, the second and
    third stage halving the image; global average pooling; fc to 10 classes;
  * augmentation, as TypedNets' ImageAugmentation with FlipProbability 0.5 and MaxShift 2: each training
    image is flipped left-right with probability 1/2, then shifted by whole pixels, down and right each
    uniform in [-2, 2], with zeros where pixels come from outside the image;
  * training: SGD(lr 0.1, momentum 0.9, Nesterov, weight decay 0.0005 on every parameter), cosine annealing from
    lr to 0 over the epochs (stepped per epoch, as TypedNets' CosineAnnealing), batch 128 reshuffled every epoch,
    cross-entropy on the logits, BatchNorm momentum 0.1 and eps 1e-5, PyTorch's default initialisation;
  * score: test accuracy in eval mode (BatchNorm's running statistics) after every epoch.

The shuffles, augmentation draws and initial weights come from PyTorch's and numpy's generators, so they are
not TypedNets'; the figures are the same recipe run elsewhere, not a bit-for-bit replay.

    /usr/bin/python3 reference/pytorch/fashion_resnet.py [--epochs 20] [--width 16] [--blocks 2] [--threads 1]

Writes examples/FashionMnist/pytorch_resnet.json (settings, accuracy per epoch, seconds per epoch) and the
trained state_dict as data/fashion-mnist/pytorch_resnet.safetensors, which the C# example can load by name.
"""

import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA_DIR = os.path.join(REPO_ROOT, "data", "fashion-mnist")
OUT_PATH = os.path.join(REPO_ROOT, "examples", "FashionMnist", "pytorch_resnet.json")
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402


def read_idx(name):
    """The array of a gzipped IDX file (unsigned bytes), shaped by its header."""
    with gzip.open(os.path.join(DATA_DIR, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def images(name):
    return torch.from_numpy(read_idx(name).astype(np.float32)).div(255).unsqueeze(1)


def labels(name):
    return torch.from_numpy(read_idx(name).astype(np.int64))


class BasicBlock(nn.Module):
    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.downsample = None
        if stride != 1 or inputs != outputs:
            self.downsample = nn.Sequential(
                nn.Conv2d(inputs, outputs, 1, stride=stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class FashionResNet(nn.Module):
    def __init__(self, width, blocks):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        stages = []
        inputs = width
        for index, outputs in enumerate((width, 2 * width, 4 * width)):
            stride = 1 if index == 0 else 2
            stage = [BasicBlock(inputs, outputs, stride)]
            stage += [BasicBlock(outputs, outputs, 1) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*stage))
            inputs = outputs
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(4 * width, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))


def augment(batch, generator):
    """Flip with probability 1/2, then shift by whole pixels in [-2, 2] each way, zero-filled."""
    n = batch.shape[0]
    flips = torch.rand(n, generator=generator) < 0.5
    batch = torch.where(flips[:, None, None, None], batch.flip(3), batch)
    padded = F.pad(batch, (2, 2, 2, 2))
    shifts = torch.randint(-2, 3, (n, 2), generator=generator)
    out = torch.empty_like(batch)
    for i in range(n):
        down, right = int(shifts[i, 0]), int(shifts[i, 1])
        out[i] = padded[i, :, 2 - down: 30 - down, 2 - right: 30 - right]
    return out


def accuracy(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, x.shape[0], 1000):
            correct += (model(x[start:start + 1000]).argmax(1) == y[start:start + 1000]).sum().item()
    return correct / x.shape[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--blocks", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=0.0005)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    train_x, train_y = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
    test_x, test_y = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")

    model = FashionResNet(args.width, args.blocks)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, nesterov=True,
                                weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs, eta_min=0)
    generator = torch.Generator().manual_seed(args.seed)
    history = []
    for epoch in range(args.epochs):
        model.train()
        clock = time.time()
        order = torch.randperm(train_x.shape[0], generator=generator)
        total = 0.0
        for start in range(0, order.shape[0], args.batch):
            rows = order[start:start + args.batch]
            x = augment(train_x[rows], generator)
            loss = F.cross_entropy(model(x), train_y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * rows.shape[0]
        schedule.step()
        seconds = time.time() - clock
        test_accuracy = accuracy(model, test_x, test_y)
        history.append({"epoch": epoch + 1, "loss": round(total / train_x.shape[0], 4),
                        "test_accuracy": test_accuracy, "seconds": round(seconds, 1)})
        print(json.dumps(history[-1]), flush=True)

    result = {
        "network": "FashionResNet(width=%d, blocks=%d)" % (args.width, args.blocks),
        "parameters": sum(p.numel() for p in model.parameters()),
        "settings": {"epochs": args.epochs, "batch": args.batch,
                     "optimizer": "SGD(lr %g, momentum %g, nesterov, weight decay %g)" % (
                         args.lr, args.momentum, args.weight_decay),
                     "schedule": "cosine to 0", "augmentation": "flip 0.5, shift 2", "seed": args.seed,
                     "threads": args.threads},
        "torch": torch.__version__,
        "test_accuracy": history[-1]["test_accuracy"],
        "seconds_per_epoch": round(sum(h["seconds"] for h in history) / len(history), 1),
        "epochs": history,
    }
    with open(OUT_PATH, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    safetensors_io.save(os.path.join(DATA_DIR, "pytorch_resnet.safetensors"), model.state_dict())
    print("test accuracy %.4f" % result["test_accuracy"])


if __name__ == "__main__":
    main()
