#!/usr/bin/env bash
# The prediction server (examples/Server) under load: 64 concurrent connections for 10 s against each model, answered
# by TypedNets and by ONNX Runtime in the same process, every answer checked against the one computed beforehand on
# one thread. Prints requests/s and p50/p99 latency per load and exits non-zero on any wrong answer or error.
#
#   bash scripts/server-load-test.sh [--no-build] [--aot] [--seconds N] [--port N]
#
# --aot publishes the server with NativeAOT (no trim or AOT warning allowed) and loads the native executable instead of
# the JIT-compiled server.
#
# From a clean clone it installs what is missing (wrk; Debian's PyTorch, as benchmarks/run.sh does), fetches the
# fortunes, trains and exports the text classifier into artifacts/server (ignored by git) unless it is there, exports
# both models to ONNX from those weights, writes the load test's requests and expected answers, starts the server on
# 127.0.0.1 and stops it on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

build=1
aot=0
seconds=10
port=5180
while [[ $# -gt 0 ]]; do
    case "$1" in
        --no-build) build=0 ;;
        --aot) aot=1 ;;
        --seconds) seconds="$2"; shift ;;
        --port) port="$2"; shift ;;
        *) echo "usage: $0 [--no-build] [--aot] [--seconds N] [--port N]" >&2; exit 2 ;;
    esac
    shift
done

models=artifacts/server
work="$models/load-test"
server=(dotnet examples/Server/bin/Release/net10.0/Server.dll)
python=/usr/bin/python3
connections=64
warm_up_seconds=2
mkdir -p "$work"

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then sudo_cmd=(sudo); fi
apt_updated=0
apt_install() {
    if [[ $apt_updated -eq 0 ]]; then
        "${sudo_cmd[@]}" apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "$@" >/dev/null
}

if ! command -v wrk >/dev/null 2>&1; then
    echo "== installing wrk"
    apt_install wrk
fi
if ! "$python" -c "import torch" 2>/dev/null; then
    echo "== installing Debian's PyTorch (python3-torch)"
    apt_install python3-torch
fi

if [[ $build -eq 1 ]]; then
    echo "== build"
    dotnet build examples/Server -c Release -nologo -clp:NoSummary -v:q
    dotnet build examples/TextClassifier -c Release -nologo -clp:NoSummary -v:q
fi
if [[ $aot -eq 1 ]]; then
    echo "== NativeAOT publish (a trim or AOT warning fails it)"
    dotnet publish examples/Server -c Release -r linux-x64 -nologo -clp:NoSummary -v:q
    server=(examples/Server/bin/Release/net10.0/linux-x64/publish/Server)
fi

if [[ ! -s "$models/FortuneClassifier.safetensors" || ! -s "$models/tokenizer.json" || ! -s "$models/heldout.jsonl" ]]; then
    echo "== training the text classifier and exporting it to $models"
    bash scripts/fetch-fortunes.sh
    dotnet run -c Release --no-build --project examples/TextClassifier -- --export "$models" | tail -n 8
fi

if [[ ! -s "$models/fortunes.onnx" || "$models/FortuneClassifier.safetensors" -nt "$models/fortunes.onnx" \
      || examples/EmbeddedInference/BinaryClassifier.safetensors.b64 -nt "$models/breast-cancer.onnx" ]]; then
    echo "== exporting both models to ONNX with PyTorch"
    "$python" reference/pytorch/export_server_models.py --models "$models"
fi

echo "== requests and their answers, computed on one thread"
"${server[@]}" --write-load-test "$work" --models "$models"

# A plain HTTP/1.0 exchange over bash's /dev/tcp, so that no HTTP client has to be installed: prints the whole response.
http() {
    local method="$1" path="$2" body="${3:-}"
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
        "$method" "$path" "${#body}" "$body" >&3
    cat <&3
    exec 3<&-
}

echo "== starting the server on 127.0.0.1:$port"
"${server[@]}" --port "$port" --models "$models" >"$work/server.log" 2>&1 &
server_pid=$!
stop_server() {
    if kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap stop_server EXIT

health=""
for _ in $(seq 1 120); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server stopped while starting:" >&2
        cat "$work/server.log" >&2
        exit 1
    fi
    if health="$(http GET /health 2>/dev/null)" && [[ "$health" == *" 200 "* ]]; then
        break
    fi
    health=""
    sleep 0.25
done
if [[ -z "$health" ]]; then
    echo "the server did not answer /health within 30 s:" >&2
    cat "$work/server.log" >&2
    exit 1
fi
body="${health#*$'\r\n\r\n'}"
echo "/health: $body"
if [[ "$(grep -o '"typednets","onnxruntime"' <<<"$body" | wc -l)" -ne 2 ]]; then
    echo "both models must be served by both engines" >&2
    exit 1
fi

# Bad requests are answered 400 with problem details that name the field and the expected shape.
expect_problem() {
    local route="$1" body="$2" message="$3" answer
    answer="$(http POST "$route" "$body")"
    if [[ "$answer" != *" 400 "* || "$answer" != *"application/problem+json"* || "$answer" != *"$message"* ]]; then
        echo "POST $route $body was not answered 400 with problem details saying '$message':" >&2
        echo "$answer" >&2
        exit 1
    fi
    echo "POST $route $body: 400, \"$message\""
}
expect_problem /breast-cancer/predict '{"features":[17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419]}' 'features must hold 10 numbers'
expect_problem /onnx/breast-cancer/predict '{"batch":[]}' 'batch must hold 1 to 256 samples, got 0'
expect_problem /breast-cancer/predict '{"feature":[1,2]}' "'feature' is not a field of this request"
expect_problem /fortunes/predict '{"tokens":[3,10001]}' 'tokens[1] is 10001, but token ids run from 0 (padding) to 9999'
expect_problem /onnx/fortunes/predict '{"texts":["a quote",null]}' 'texts[1] must be a string, got null'

# model, engine, route, tolerance: TypedNets must repeat its single-threaded answers byte for byte; ONNX Runtime is
# another engine, checked within 1e-5 of them.
loads=(
    "breast-cancer typednets /breast-cancer/predict 0"
    "breast-cancer onnxruntime /onnx/breast-cancer/predict 1e-5"
    "fortunes typednets /fortunes/predict 0"
    "fortunes onnxruntime /onnx/fortunes/predict 1e-5"
)
results=()
failed=0
for load in "${loads[@]}"; do
    read -r model engine route tolerance <<<"$load"
    for phase in warm-up measured; do
        duration=$seconds
        if [[ $phase == warm-up ]]; then duration=$warm_up_seconds; fi
        echo "== $model, $engine: $connections connections, ${duration} s ($phase)"
        log="$work/wrk-$model-$engine-$phase.log"
        wrk -t"$connections" -c"$connections" -d"${duration}s" --timeout 5s -s examples/Server/load-test.lua \
            "http://127.0.0.1:$port$route" -- "$model/$engine" "$work/$model.requests" "$work/$model.expected" "$tolerance" \
            >"$log" 2>"$log.stderr" || true
        result="$(grep '^RESULT ' "$log" | tail -n 1 || true)"
        if [[ -z "$result" ]]; then
            echo "wrk gave no result:" >&2
            cat "$log" "$log.stderr" >&2
            failed=1
            continue
        fi
        read -r _ _ rps p50 p99 responses wrong errors <<<"$result"
        echo "   $rps requests/s, p50 $p50 ms, p99 $p99 ms; $responses answers checked, $wrong wrong, $errors errors"
        if [[ -s "$log.stderr" ]]; then
            head -n 9 "$log.stderr"
        fi
        if [[ $wrong -ne 0 || $errors -ne 0 || $responses -eq 0 ]]; then
            failed=1
        fi
        if [[ $phase == measured ]]; then
            results+=("$model|$engine|$rps|$p50|$p99|$responses|$wrong|$errors")
        fi
    done
done

table="$work/table.md"
{
    echo "| model | engine | requests/s | p50 latency | p99 latency | answers checked | wrong | errors |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for row in "${results[@]}"; do
        IFS='|' read -r model engine rps p50 p99 responses wrong errors <<<"$row"
        printf '| %s | %s | %.0f | %.2f ms | %.2f ms | %d | %d | %d |\n' "$model" "$engine" "$rps" "$p50" "$p99" "$responses" "$wrong" "$errors"
    done
} >"$table"
echo
echo "$connections connections for ${seconds} s per load, on $(nproc) cores shared by wrk and the server ($(date -u +%Y-%m-%d), $([[ $aot -eq 1 ]] && echo NativeAOT || echo JIT)):"
cat "$table"

if [[ $failed -ne 0 ]]; then
    echo "server load test FAILED: wrong answers or errors above" >&2
    exit 1
fi
echo "server load test passed: every answer matched, no errors"
