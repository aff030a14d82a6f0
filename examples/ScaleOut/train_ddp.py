#!/usr/bin/env python3
"""Trains a network exported from TypedNets (TorchExport.Write: model.py and model.safetensors) with PyTorch's
DistributedDataParallel, then writes the trained weights and the trained model's test predictions.

Run it under torchrun, one process per worker (here two on one machine; the same command runs across machines, see
docs/scale-out.md):

    torchrun --standalone --nproc_per_node=2 examples/ScaleOut/train_ddp.py --model-dir EXPORT --out OUT

  * every process imports EXPORT/model.py, builds the module and loads EXPORT/model.safetensors, the weights C#
    drew, so all processes start from the same weights (DDP also broadcasts rank 0's when it wraps the module);
  * the gloo backend (CPU; NCCL would be the choice on GPUs); a DistributedSampler gives each process its own
    disjoint share of the training rows, reshuffled every epoch; DDP averages the gradients across processes after
    every backward pass, so every process takes the same optimizer step and the weights stay identical;
  * the loss is the network's declared one, the module's loss(x, target) (cross-entropy on the logits for the
    Fashion-MNIST ResNet), called through DDP's forward, since DDP only synchronises gradients of a forward it ran;
  * SGD with Nesterov momentum 0.9 and weight decay 5e-4, cosine annealing per epoch, as the C# example and
    reference/pytorch/fashion_resnet.py train this ResNet; BatchNorm's running statistics are DDP's default
    (broadcast_buffers: rank 0's, broadcast before every forward pass);
  * after every epoch rank 0 prints the loss averaged over all processes' batches (all_reduce), each process's own
    mean loss and share of the rows, and the test accuracy, each process scoring its half of the test images;
  * at the end every process checks that its weights equal rank 0's, and rank 0 writes OUT/trained.safetensors (the
    state_dict under TypedNets' names, by the module's save_weights), OUT/pytorch_predictions.csv
    (index,label,predicted,p0..p9 for the first --predict test images, in eval mode: the module's forward, TypedNets' Predict) and OUT/training.json.

Fashion-MNIST is read from data/fashion-mnist (scripts/fetch-fashion-mnist.sh), pixels divided by 255 as TypedNets'
Idx.LoadFashionMnist does.
"""

import argparse
import gzip
import importlib.util
import json
import os
import time

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", required=True, help="the folder TorchExport.Write wrote (model.py, model.safetensors)")
    parser.add_argument("--out", required=True, help="the folder for trained.safetensors, pytorch_predictions.csv and training.json")
    parser.add_argument("--network", default="FashionResNet", help="the module class in model.py (the network's name)")
    parser.add_argument("--data", default=os.path.join(REPO_ROOT, "data", "fashion-mnist"), help="Fashion-MNIST's IDX files")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-rows", type=int, default=12000, help="the first N training images (60000 for all)")
    parser.add_argument("--test-rows", type=int, default=10000, help="the first N test images to score after every epoch")
    parser.add_argument("--batch", type=int, default=64, help="images per process and step (the global batch is this times the processes)")
    parser.add_argument("--lr", type=float, default=0.05, help="SGD's learning rate at the first epoch, annealed to 0")
    parser.add_argument("--predict", type=int, default=10000, help="test images whose probabilities are written for the comparison")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def read_idx(path):
    """The array of a gzipped IDX file of unsigned bytes, shaped by its header."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (magic {data[:4].hex()}); run scripts/fetch-fashion-mnist.sh")
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(directory, prefix, rows):
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"))
    if rows > len(labels):
        raise ValueError(f"{rows} rows asked of {prefix}, which holds {len(labels)}")
    # Division by 255 in float32, as Idx.ReadImages does, so both sides see the same pixels bit for bit.
    x = torch.from_numpy(images[:rows].astype(np.float32)).div(255).unsqueeze(1)
    y = torch.from_numpy(labels[:rows].astype(np.int64))
    return x, y


def import_module(model_dir):
    """model.py from the export folder, imported by path (not from sys.path, where another model.py may sit)."""
    path = os.path.join(model_dir, "model.py")
    spec = importlib.util.spec_from_file_location("typednets_export", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class DeclaredLoss(nn.Module):
    """The exported module's loss(x, target) as a forward pass, so that DDP, which synchronises the gradients of the
    forward it runs, wraps it; the exported module stays the first child, so its state_dict is the weights'."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x, target):
        return self.model.loss(x, target)


def all_reduce_sum(*values):
    tensor = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def gather(value):
    """Every process's value, in rank order."""
    tensor = torch.tensor([value], dtype=torch.float64)
    values = [torch.zeros_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(values, tensor)
    return [v.item() for v in values]


@torch.no_grad()
def test_accuracy(model, x, y, rank, world):
    """Each process scores every world-th test image from its rank on; the counts are summed across processes."""
    model.eval()
    right = 0
    shard = torch.arange(rank, len(y), world)
    for start in range(0, len(shard), 500):
        rows = shard[start:start + 500]
        right += (model(x[rows]).argmax(1) == y[rows]).sum().item()
    model.train()
    right, count = all_reduce_sum(right, len(shard))
    return right / count


def main():
    args = parse_arguments()
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)

    def log(text):
        if rank == 0:
            print(text, flush=True)

    export = import_module(args.model_dir)
    model = getattr(export, args.network)().load_weights(os.path.join(args.model_dir, "model.safetensors"))
    training = DistributedDataParallel(DeclaredLoss(model))

    x_train, y_train = load_split(args.data, "train", args.train_rows)
    x_test, y_test = load_split(args.data, "t10k", max(args.test_rows, args.predict))
    train = TensorDataset(x_train, y_train)
    sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True, seed=args.seed, drop_last=True)
    loader = DataLoader(train, batch_size=args.batch, sampler=sampler, drop_last=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs, eta_min=0)

    parameters = sum(p.numel() for p in model.parameters())
    log(f"{args.network}: {parameters:,} parameters, from {os.path.join(args.model_dir, 'model.py')}")
    log(f"DDP: {world} processes, backend {dist.get_backend()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s) each; {len(train):,} training images, {len(sampler):,} per process per epoch, "
        f"batch {args.batch} per process ({args.batch * world} in all), SGD lr {args.lr} cosine to 0 over {args.epochs} epochs")

    epochs = []
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        epoch_started = time.time()
        loss_sum, count = 0.0, 0
        for x, y in loader:
            optimizer.zero_grad(set_to_none=True)
            loss = training(x, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(y)
            count += len(y)
        lr = schedule.get_last_lr()[0]
        schedule.step()
        # Each process's mean over its own share, then the mean over every image of every process.
        own = gather(loss_sum / count)
        total_loss, total_count = all_reduce_sum(loss_sum, count)
        accuracy = test_accuracy(model, x_test[:args.test_rows], y_test[:args.test_rows], rank, world)
        seconds = time.time() - epoch_started
        epochs.append({"epoch": epoch, "lr": lr, "loss": total_loss / total_count, "loss_per_process": own,
                       "images": int(total_count), "test_accuracy": accuracy, "seconds": round(seconds, 1)})
        per_process = ", ".join(f"rank {r} {value:.4f}" for r, value in enumerate(own))
        log(f"epoch {epoch}/{args.epochs}: loss {total_loss / total_count:.4f} over {int(total_count):,} images "
            f"({per_process}), test accuracy {accuracy:.4f}, lr {lr:.4f}, {seconds:.1f} s")

    # DDP's promise: the same averaged gradients and the same steps leave every process with rank 0's parameters.
    # (Not the BatchNorm statistics: rank 0's are broadcast before each forward pass, which then updates each
    # process's copy from its own batch; rank 0's are the ones saved.)
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    reference = flat.clone()
    dist.broadcast(reference, src=0)
    difference = (flat - reference).abs().max().item()
    differences = gather(difference)
    log(f"parameters after training: largest difference from rank 0's on any process {max(differences):.3g}")
    if max(differences) != 0:
        raise SystemExit(f"the processes' parameters differ (largest difference per rank {differences}); DDP did not keep them in step")

    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        model.save_weights(os.path.join(args.out, "trained.safetensors"))
        model.eval()
        with torch.no_grad():
            probabilities = torch.cat([model(x_test[start:min(start + 500, args.predict)])
                                       for start in range(0, args.predict, 500)])
        predicted = probabilities.argmax(1)
        lines = ["index,label,predicted," + ",".join(f"p{c}" for c in range(probabilities.shape[1]))]
        for i in range(args.predict):
            # repr of the float32 value as a Python float: exact, so no rounding enters the comparison.
            values = ",".join(repr(float(p)) for p in probabilities[i].tolist())
            lines.append(f"{i},{y_test[i].item()},{predicted[i].item()},{values}")
        with open(os.path.join(args.out, "pytorch_predictions.csv"), "w") as f:
            f.write("\n".join(lines) + "\n")
        summary = {"network": args.network, "parameters": parameters, "processes": world, "backend": dist.get_backend(),
                   "torch": torch.__version__, "train_rows": len(train), "batch_per_process": args.batch,
                   "epochs": epochs, "seconds": round(time.time() - started, 1),
                   "predicted_images": args.predict,
                   "predicted_accuracy": (predicted == y_test[:args.predict]).double().mean().item()}
        with open(os.path.join(args.out, "training.json"), "w") as f:
            json.dump(summary, f, indent=2)
        log(f"wrote {args.out}/trained.safetensors and PyTorch's probabilities for {args.predict} test images "
            f"(accuracy {summary['predicted_accuracy']:.4f})")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
