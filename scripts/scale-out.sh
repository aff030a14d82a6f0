#!/usr/bin/env bash
# The scale-out walkthrough of docs/scale-out.md, run and checked from a clean clone:
#   1. installs Debian's PyTorch (python3-torch) if /usr/bin/python3 cannot import torch, and fetches Fashion-MNIST;
#   2. exports examples/FashionMnist's ResNet, declared in C#, as a PyTorch module (TorchExport.Write: model.py and
#      model.safetensors, the initial weights);
#   3. trains it with DistributedDataParallel on NPROC processes of this machine (torchrun --nproc_per_node, gloo
#      backend), printing the loss per epoch averaged over the processes, each process's own, and the test accuracy;
#   4. brings the trained weights back: checks that a build with weights of the wrong shape fails with the generator's
#      TN0032 naming the tensor, then publishes examples/ScaleOut/Native with NativeAOT and the trained weights compiled
#      in (no warning allowed);
#   5. checks that the binary's probabilities for the test images equal PyTorch's: the same class for every image and
#      every probability within 1e-5.
# Exits non-zero on any failure. Everything it writes goes to OUT (artifacts/scale-out by default, ignored by git):
# export/, trained/ (trained.safetensors, pytorch_predictions.csv, training.json), weights/, native/, logs.
#
#   scripts/scale-out.sh                     3 epochs on 12,000 training images, all 10,000 test images compared
#   scripts/scale-out.sh --quick             1 epoch on 8,000 images, 1,000 compared (two to three minutes)
#   scripts/scale-out.sh --epochs 10 --train-rows 60000 --nproc 2 --out DIR
#   scripts/scale-out.sh --update-example    also copies the trained weights to examples/ScaleOut/Native, the file a
#                                            plain `dotnet publish examples/ScaleOut/Native` embeds
set -euo pipefail

cd "$(dirname "$0")/.."
repo="$(pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

epochs=3
train_rows=12000
test_rows=10000
predict=10000
nproc=2
out="artifacts/scale-out"
update_example=0
usage="usage: scripts/scale-out.sh [--quick] [--epochs N] [--train-rows N] [--nproc N] [--out DIR] [--update-example]"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) epochs=1; train_rows=8000; test_rows=1000; predict=1000; shift ;;
        --epochs|--train-rows|--nproc|--out)
            if [[ $# -lt 2 ]]; then echo "$1 needs a value; $usage" >&2; exit 2; fi
            case "$1" in
                --epochs) epochs="$2" ;;
                --train-rows) train_rows="$2" ;;
                --nproc) nproc="$2" ;;
                --out) out="$2" ;;
            esac
            shift 2 ;;
        --update-example) update_example=1; shift ;;
        -h|--help) echo "$usage"; exit 0 ;;
        *) echo "unknown option '$1'; $usage" >&2; exit 2 ;;
    esac
done
for value in "$epochs" "$train_rows" "$nproc"; do
    if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then echo "'$value' is not a positive whole number; $usage" >&2; exit 2; fi
done

mkdir -p "$out"
# Absolute for MSBuild (which resolves a relative path from the project's folder); relative to the repository in what
# the steps print, when it lies inside it.
out_path="$(cd "$out" && pwd)"
out="${out_path#"$repo"/}"
rm -rf "$out/export" "$out/trained" "$out/weights" "$out/wrong" "$out/native" "$out/logs"
mkdir -p "$out/logs"
started="$(date +%s)"

# Debian's PyTorch, as the reference scripts use: the system Python, not whatever python3 comes first on the PATH.
python=/usr/bin/python3
echo "== PyTorch"
if ! "$python" -c "import torch" 2>/dev/null; then
    echo "$python cannot import torch; installing Debian's python3-torch"
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if ! command -v sudo >/dev/null; then
            echo "scale-out: installing python3-torch needs root; run 'apt-get install python3-torch' as root first" >&2
            exit 1
        fi
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq python3-torch >/dev/null
fi
"$python" -c "import sys, torch; print(f'torch {torch.__version__} on Python {sys.version.split()[0]}')"

bash scripts/fetch-fashion-mnist.sh

echo "== build the exporter"
if ! dotnet build examples/ScaleOut -c Release -warnaserror -nologo -clp:NoSummary >"$out/logs/build.log" 2>&1; then
    cat "$out/logs/build.log"
    echo "scale-out: dotnet build examples/ScaleOut failed" >&2
    exit 1
fi

echo "== export: FashionResNet as a PyTorch module"
dotnet run -c Release --no-build --project examples/ScaleOut -- export "$out/export"

echo "== train: DistributedDataParallel on $nproc processes (gloo)"
# torchrun is `python3 -m torch.distributed.run`; running it through the system Python keeps to Debian's PyTorch.
launcher=("$python" -m torch.distributed.run --standalone --nproc_per_node="$nproc")
# Debian 12's torchrun (PyTorch 1.13 on Python 3.11) cannot parse its own default --redirects 0 and --tee 0: Python
# 3.11 no longer lists a zero flag among an IntFlag's members, so Std.from_str("0") returns None and the launcher
# fails with "'NoneType' object has no attribute 'get'" (pytorch/pytorch#92319, fixed in PyTorch 2.0). Asking it to
# copy the workers' standard output into log files and onto the console (1) avoids the zero value.
if "$python" -c "import sys; from torch.distributed.elastic.multiprocessing.api import Std; sys.exit(Std.from_str('0') is not None)"; then
    launcher+=(--redirects 1 --tee 1 --log_dir "$out/logs/torchrun")
fi
echo "torchrun --standalone --nproc_per_node=$nproc examples/ScaleOut/train_ddp.py --epochs $epochs --train-rows $train_rows ..."
# The tee option prefixes each line of process 0 with [default0]:, which the log does without.
"${launcher[@]}" examples/ScaleOut/train_ddp.py --model-dir "$out/export" --out "$out/trained" \
    --epochs "$epochs" --train-rows "$train_rows" --test-rows "$test_rows" --predict "$predict" 2>&1 |
    sed -u 's/^\[default0\]://' | tee "$out/logs/train.log"
if [[ ! -s "$out/trained/trained.safetensors" || ! -s "$out/trained/pytorch_predictions.csv" ]]; then
    echo "scale-out: training wrote no weights or predictions (see $out/logs/train.log)" >&2
    exit 1
fi

echo "== weights back: the build-time shape check"
# [EmbeddedWeights] reads base64 text (a generator gets AdditionalFiles as text); the name must stay the declared one.
mkdir -p "$out/weights" "$out/wrong"
base64 -w 76 "$out/trained/trained.safetensors" >"$out/weights/FashionResNet.safetensors.b64"
# A module retrained with a 20-class head: its fc.weight is [20, 64] where the C# declaration has [10, 64].
"$python" - "$out/export/model.py" "$out/trained/trained.safetensors" "$out/wrong/FashionResNet.safetensors" <<'EOF'
import importlib.util, sys, torch
model_py, trained, wrong = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("export", model_py)
export = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export)
state = export.load_safetensors(trained)
state["fc.weight"] = torch.cat([state["fc.weight"], state["fc.weight"]])
state["fc.bias"] = torch.cat([state["fc.bias"], state["fc.bias"]])
export.save_safetensors(wrong, state)
EOF
base64 -w 76 "$out/wrong/FashionResNet.safetensors" >"$out/wrong/FashionResNet.safetensors.b64"
if dotnet build examples/ScaleOut/Native -c Release -nologo -tl:off -p:ScaleOutWeights="$out_path/wrong/FashionResNet.safetensors.b64" \
    >"$out/logs/wrong-shape-build.log" 2>&1; then
    echo "scale-out: the build with a [20, 64] fc.weight succeeded; the generator must refuse it" >&2
    exit 1
fi
shape_error="$(grep -m 1 -E 'error TN0032: .*fc\.weight' "$out/logs/wrong-shape-build.log" || true)"
if [[ -z "$shape_error" ]]; then
    cat "$out/logs/wrong-shape-build.log"
    echo "scale-out: the wrong-shape build failed without TN0032 on fc.weight" >&2
    exit 1
fi
# The error without the machine's paths: from the file name on, and without the project in brackets.
shape_error="$(sed -E 's|^.*/([^/]+\.cs\()|\1|; s| \[[^]]*\]$||' <<<"$shape_error")"
echo "weights with a [20, 64] fc.weight: the build fails, as it must:"
echo "  $shape_error"

echo "== NativeAOT publish with the trained weights (warnings are errors)"
if ! dotnet publish examples/ScaleOut/Native -c Release -r linux-x64 -warnaserror -nologo -tl:off \
    -p:ScaleOutWeights="$out_path/weights/FashionResNet.safetensors.b64" -o "$out/native" >"$out/logs/publish.log" 2>&1; then
    cat "$out/logs/publish.log"
    echo "scale-out: dotnet publish failed" >&2
    exit 1
fi
warnings="$(grep -cE ': (warning|error) [A-Z]+[0-9]+' "$out/logs/publish.log" || true)"
if [[ "$warnings" -ne 0 ]]; then
    grep -E ': (warning|error) [A-Z]+[0-9]+' "$out/logs/publish.log"
    echo "scale-out: the publish must have no warnings" >&2
    exit 1
fi
binary="$out/native/ScaleOutNative"
size="$(stat -c %s "$binary")"
echo "binary: $(awk -v b="$size" 'BEGIN { printf "%.2f MB", b / 1048576 }'), self-contained; $("$binary" --about)"

echo "== the binary against PyTorch"
"$binary" --count "$predict" >"$out/native_predictions.csv"
comparison="$("$python" examples/ScaleOut/compare.py "$out/trained/pytorch_predictions.csv" "$out/native_predictions.csv" --tolerance 1e-5)" || {
    echo "$comparison"
    echo "scale-out: the binary's predictions differ from PyTorch's" >&2
    exit 1
}
echo "$comparison"

if [[ "$update_example" -eq 1 ]]; then
    cp "$out/weights/FashionResNet.safetensors.b64" examples/ScaleOut/Native/FashionResNet.safetensors.b64
    echo "copied the trained weights to examples/ScaleOut/Native/FashionResNet.safetensors.b64"
fi

echo "== summary"
"$python" - "$out/trained/training.json" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))
print(f"{run['network']} ({run['parameters']:,} parameters) trained by DDP on {run['processes']} processes "
      f"({run['backend']}, torch {run['torch']}), {run['train_rows']:,} training images, batch {run['batch_per_process']} "
      f"per process, {run['seconds']:.0f} s")
print("epoch  loss    " + "  ".join(f"rank {r} " for r in range(run["processes"])) + "  test accuracy")
for e in run["epochs"]:
    print(f"{e['epoch']:>5}  {e['loss']:.4f}  " + "  ".join(f"{v:.4f}" for v in e["loss_per_process"]) + f"  {e['test_accuracy']:.4f}")
EOF
echo "$comparison"
# The hash examples/ScaleOut/runs.sha256 records for the full and the quick run (scripts/check-artefacts.sh checks it).
echo "trained weights: SHA-256 $(sha256sum "$out/trained/trained.safetensors" | cut -d' ' -f1)"
echo "scale-out: ok in $(( $(date +%s) - started )) s (outputs in $out)"
