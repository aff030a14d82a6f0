#!/usr/bin/env bash
# The speed suite: PyTorch first (timings to JSON, ONNX models exported), then TypedNets and ONNX Runtime under
# BenchmarkDotNet, then one table. Works from a clean clone; installs Debian's PyTorch when /usr/bin/python3 lacks it.
#
#   bash benchmarks/run.sh --quick     a few short iterations per case, one convnet epoch per engine and thread count
#   bash benchmarks/run.sh [--full]    more and longer iterations, several epochs
#   extra arguments go to the .NET suite: --no-epoch, --only gemm256,gemm1024 (PyTorch's too), --verbose
# Every training row also runs on two threads, under its key with "_two_threads" added (--only takes either or both).
set -euo pipefail

cd "$(dirname "$0")/.."
mode=full
suite_args=()
for argument in "$@"; do
    case "$argument" in
        --quick) mode=quick ;;
        --full) mode=full ;;
        *) suite_args+=("$argument") ;;
    esac
done
# --no-epoch and --only KEYS apply to PyTorch's cases too.
python_args=()
previous=
for argument in "${suite_args[@]}"; do
    if [[ "$argument" == "--no-epoch" ]]; then python_args+=(--no-epoch); fi
    if [[ "$previous" == "--only" ]]; then python_args+=(--only "$argument"); fi
    previous="$argument"
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
python=/usr/bin/python3
artifacts=benchmarks/artifacts
mkdir -p "$artifacts"

# Without libopenblas0-pthread Debian's torch falls back on the reference BLAS (netlib), some 50 times slower at SGEMM
# 1024: the comparison would be against that, not against PyTorch as it is used, so it is installed with torch.
if ! "$python" -c "import torch, ctypes; ctypes.CDLL('libopenblas.so.0')" 2>/dev/null; then
    echo "== installing Debian's PyTorch (python3-torch) and OpenBLAS"
    sudo_cmd=()
    if [[ "$(id -u)" -ne 0 ]]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-torch libopenblas0-pthread >/dev/null
fi

# Some machines set OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) because old OpenBLAS builds misbehave on their processor.
# They also slow OpenBLAS down, so PyTorch runs without them when OpenBLAS' own choice gives correct SGEMM results here.
blas_env=()
if [[ -n "${OPENBLAS_CORETYPE:-}${OPENBLAS_L2_SIZE:-}" ]]; then
    if env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" benchmarks/pytorch_bench.py --check-blas; then
        blas_env=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
    else
        echo "keeping OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-} for PyTorch"
    fi
fi

# The epochs of (e) and (h) train on Fashion-MNIST when it is there (data/fashion-mnist, ignored by git), on synthetic data otherwise.
if [[ " ${python_args[*]} " != *" --no-epoch "* && ( " ${python_args[*]} " != *" --only "* || " ${python_args[*]} " == *_epoch* ) ]]; then
    bash scripts/fetch-fashion-mnist.sh || echo "Fashion-MNIST could not be fetched: the epochs of (e) and (h) run on synthetic data of their size"
fi

echo "== PyTorch ($mode)"
env "${blas_env[@]}" "$python" benchmarks/pytorch_bench.py --mode "$mode" --out "$artifacts/pytorch.json" --onnx-dir "$artifacts" "${python_args[@]}"

echo "== build"
dotnet build benchmarks/TypedNets.Benchmarks -c Release -nologo -clp:NoSummary -v:q

echo "== TypedNets and ONNX Runtime ($mode)"
dotnet benchmarks/TypedNets.Benchmarks/bin/Release/net10.0/TypedNets.Benchmarks.dll "--$mode" \
    --artifacts "$artifacts" --pytorch "$artifacts/pytorch.json" "${suite_args[@]}"
