#!/usr/bin/env bash
# Regenerates every committed artefact an example documents, into a temporary folder, and compares it with the
# committed one: the files must be the same byte for byte and the figures and sample output the READMEs quote must be
# the ones the programs print today. Training is deterministic (seeded weights, shuffles and dropout; fixed summation
# orders), so any difference means that the code changed what it computes and the artefact is stale. For each
# difference it names the file, shows the first difference and prints the command that regenerates the file.
# Nothing in the checkout is written.
#
#   scripts/check-artefacts.sh                         everything below, building what it runs
#   scripts/check-artefacts.sh --no-build              the examples are already built (.ci/run builds the solution)
#   scripts/check-artefacts.sh --only embedded         one group: embedded, fortune, scale-out, pytorch
#   scripts/check-artefacts.sh --scale-out-run DIR     the folder of a finished `scripts/scale-out.sh --quick --out DIR`
#                                                      to check instead of running one
#
# What it regenerates (seconds on the project's 2-core machine when it is quiet):
#   embedded   examples/Quickstart --export: examples/EmbeddedInference's BinaryClassifier.safetensors.b64,
#              FeatureScaling.cs, heldout.csv; that README's sample prediction; examples/Quickstart/README.md's
#              figures table (10 and 30 features)                                                      (about 10 s)
#   fortune    examples/TinyGpt --export: examples/Fortune's FortuneGpt.safetensors.b64 and Alphabet.cs; the TypedNets
#              columns of examples/TinyGpt/README.md's loss table and its three samples                 (about 80 s)
#   pytorch    reference/pytorch/quickstart.py: examples/Quickstart/Data/pytorch_reference.json           (about 20 s)
#   scale-out  examples/ScaleOut/Native/FashionResNet.safetensors.b64 comes from the full scale-out run (3 epochs of
#              DistributedDataParallel, about 10 minutes), too long for every CI run. Checked instead: the committed
#              file decodes to the SHA-256 that examples/ScaleOut/runs.sha256 records for the full run, and a quick run
#              (1 epoch, 2 to 3 minutes, which .ci/run makes anyway) trains to the SHA-256 recorded for it. The quick
#              run goes through every step the full one does (C#'s initial weights, the exported model.py, the
#              trainer, PyTorch, the base64), so a change to any of them shows here, and then the full run must be
#              repeated.
#
# Not checked here: the other PyTorch reference figures (examples/TextClassifier/pytorch_reference.json,
# examples/TinyGpt/pytorch_tiny_gpt.json, examples/FashionMnist/pytorch_resnet.json). They record PyTorch's side only,
# so no change to this repository's C# can make them stale; they include timings, which differ from run to run; and
# they take minutes to an hour. Their scripts in reference/pytorch rewrite them.
#
# Needs data/fortunes (scripts/fetch-fortunes.sh) for the fortune group and Debian's python3-torch for the pytorch and
# scale-out groups (.ci/run installs both). Exits non-zero if any artefact differs.
set -euo pipefail

cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

build=1
groups=(embedded fortune pytorch scale-out)
scale_out_run=""
usage="usage: scripts/check-artefacts.sh [--no-build] [--only embedded|fortune|pytorch|scale-out] [--scale-out-run DIR]"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --no-build) build=0; shift ;;
        --only)
            if [[ $# -lt 2 ]]; then echo "--only needs a group; $usage" >&2; exit 2; fi
            case "$2" in
                embedded|fortune|pytorch|scale-out) groups=("$2") ;;
                *) echo "unknown group '$2'; $usage" >&2; exit 2 ;;
            esac
            shift 2 ;;
        --scale-out-run)
            if [[ $# -lt 2 ]]; then echo "--scale-out-run needs a folder; $usage" >&2; exit 2; fi
            scale_out_run="$2"; shift 2 ;;
        -h|--help) echo "$usage"; exit 0 ;;
        *) echo "unknown option '$1'; $usage" >&2; exit 2 ;;
    esac
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python=/usr/bin/python3
stale=0

# Runs a regeneration with its output in a log, shown only when it fails.
run_logged() {
    local log="$1"
    shift
    if ! "$@" >"$log" 2>&1; then
        cat "$log"
        echo "artefacts: '$*' failed"
        exit 1
    fi
}

# The first difference between two safetensors files, by tensor: Python when it is there, else the first byte.
first_safetensors_difference() {
    local committed="$1" regenerated="$2"
    if "$python" -c "import json, struct" 2>/dev/null; then
        "$python" - "$committed" "$regenerated" <<'EOF'
import json, struct, sys

def read(path):
    raw = open(path, "rb").read()
    size = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + size]), raw[8 + size:]

(header_a, data_a), (header_b, data_b) = read(sys.argv[1]), read(sys.argv[2])
meta_a, meta_b = header_a.pop("__metadata__", {}), header_b.pop("__metadata__", {})
if list(header_a) != list(header_b):
    print(f"    tensors: committed {list(header_a)}, regenerated {list(header_b)}")
    sys.exit()
for name, entry in header_a.items():
    other = header_b[name]
    if entry["shape"] != other["shape"] or entry["dtype"] != other["dtype"]:
        print(f"    {name}: committed {entry['dtype']} {entry['shape']}, regenerated {other['dtype']} {other['shape']}")
        sys.exit()
    (a0, a1), (b0, b1) = entry["data_offsets"], other["data_offsets"]
    if data_a[a0:a1] != data_b[b0:b1]:
        values_a = struct.unpack(f"<{(a1 - a0) // 4}f", data_a[a0:a1])
        values_b = struct.unpack(f"<{(b1 - b0) // 4}f", data_b[b0:b1])
        differ = [i for i in range(len(values_a)) if values_a[i] != values_b[i]]
        print(f"    {name} {entry['shape']}: {len(differ)} of {len(values_a)} values differ; the first, element {differ[0]}: "
              f"committed {values_a[differ[0]]!r}, regenerated {values_b[differ[0]]!r}")
        sys.exit()
if meta_a != meta_b:
    print(f"    metadata: committed {meta_a}, regenerated {meta_b}")
else:
    print("    the same tensors and values; the files differ in their layout")
EOF
    else
        echo "    $(cmp "$committed" "$regenerated" || true)"
    fi
}

# Compares a committed file with its regenerated copy; on a difference prints the file, the first difference and the
# command that rewrites it.
compare() {
    local committed="$1" regenerated="$2" command="$3"
    if [[ ! -f "$regenerated" ]]; then
        echo "STALE $committed: the regeneration wrote no such file"
        echo "    regenerate with: $command"
        stale=1
    elif cmp -s "$committed" "$regenerated"; then
        echo "ok    $committed"
    else
        echo "STALE $committed differs from a regeneration with today's code:"
        case "$committed" in
            *.safetensors.b64)
                base64 -d "$committed" >"$work/committed.safetensors"
                base64 -d "$regenerated" >"$work/regenerated.safetensors"
                first_safetensors_difference "$work/committed.safetensors" "$work/regenerated.safetensors" ;;
            *)
                diff -u --label "$committed (committed)" --label "$committed (regenerated)" "$committed" "$regenerated" |
                    head -n 12 | sed 's/^/    /' ;;
        esac
        echo "    regenerate with: $command"
        stale=1
    fi
}

# Compares text a README quotes with what a program printed today (both given as files of lines).
compare_quoted() {
    local readme="$1" what="$2" quoted="$3" printed="$4" command="$5"
    if [[ ! -s "$quoted" ]]; then
        echo "STALE $readme: $what not found in the README"
        stale=1
    elif cmp -s "$quoted" "$printed"; then
        echo "ok    $readme: $what"
    else
        echo "STALE $readme: $what differs from what the program prints today:"
        diff -u --label "$readme (quoted)" --label "$readme (printed today)" "$quoted" "$printed" | head -n 12 | sed 's/^/    /'
        echo "    regenerate with: $command, and copy the output into the README"
        stale=1
    fi
}

run_embedded() {
    echo "== artefacts: examples/EmbeddedInference and the Quickstart's figures"
    local build_option=(--no-build)
    if [[ $build -eq 1 ]]; then build_option=(); fi
    local command="dotnet run -c Release --project examples/Quickstart -- --export examples/EmbeddedInference"
    mkdir -p "$work/embedded"
    run_logged "$work/quickstart.log" dotnet run -c Release "${build_option[@]}" --project examples/Quickstart -- --export "$work/embedded"
    for file in BinaryClassifier.safetensors.b64 FeatureScaling.cs heldout.csv; do
        compare "examples/EmbeddedInference/$file" "$work/embedded/$file" "$command"
    done

    # The README's sample prediction: the command line's row, and the comment under it with the binary's answer. The
    # program compiles in the committed weights, which were just found equal (or reported).
    local readme=examples/EmbeddedInference/README.md
    local row
    row="$(sed -n 's/^\$bin "\([^"]*\)"$/\1/p' "$readme" | head -n 1)"
    sed -n '/^\$bin "[^"]*"$/{n;s/^# //p;}' "$readme" | head -n 1 >"$work/embedded-quoted.txt"
    if [[ -n "$row" ]]; then
        if [[ $build -eq 1 ]]; then
            run_logged "$work/embedded-build.log" dotnet build examples/EmbeddedInference -c Release -nologo
        fi
        dotnet run -c Release --no-build --project examples/EmbeddedInference -- "$row" >"$work/embedded-printed.txt"
    fi
    compare_quoted "$readme" "the sample prediction" "$work/embedded-quoted.txt" "$work/embedded-printed.txt" \
        "dotnet run -c Release --project examples/EmbeddedInference -- \"$row\""

    # examples/Quickstart/README.md's figures: held-out accuracy of seed 0 and the mean of five seeds for each loss,
    # and PyTorch's mean, for the ten mean columns and for all 30.
    run_logged "$work/quickstart-all.log" dotnet run -c Release --no-build --project examples/Quickstart -- --all-features
    readme=examples/Quickstart/README.md
    grep -E '^\| (10 mean columns|all 30) \| ' "$readme" >"$work/figures-quoted.txt" || true
    {
        figures_rows "10 mean columns" "$work/quickstart.log"
        figures_rows "all 30" "$work/quickstart-all.log"
    } >"$work/figures-printed.txt"
    compare_quoted "$readme" "the figures table" "$work/figures-quoted.txt" "$work/figures-printed.txt" \
        "dotnet run -c Release --project examples/Quickstart (and again with --all-features)"
}

# The README's table rows for one Quickstart run: each loss's seed-0 accuracy (the first and second "accuracy" lines
# of the classification reports) and the means of the closing comparison.
figures_rows() {
    local features="$1" log="$2"
    awk -v features="$features" '
        $1 == "accuracy" { seed0[++reports] = $2 }
        $1 == "MeanSquaredError" && NF == 3 { mse_mean = $2; mse_torch = $3 }
        $1 == "CrossEntropy" && NF == 3 { ce_mean = $2; ce_torch = $3 }
        END {
            printf "| %s | mean squared error | %s | %s | %s |\n", features, seed0[1], mse_mean, mse_torch
            printf "| %s | cross-entropy | %s | %s | %s |\n", features, seed0[2], ce_mean, ce_torch
        }' "$log"
}

run_fortune() {
    echo "== artefacts: examples/Fortune and TinyGpt's figures (2000 iterations of training)"
    bash scripts/fetch-fortunes.sh >/dev/null
    local build_option=(--no-build)
    if [[ $build -eq 1 ]]; then build_option=(); fi
    local command="dotnet run -c Release --project examples/TinyGpt -- --export examples/Fortune"
    mkdir -p "$work/fortune"
    # --weights keeps the run's own save out of the checkout (artifacts/tinygpt by default).
    run_logged "$work/tinygpt.log" dotnet run -c Release "${build_option[@]}" --project examples/TinyGpt -- \
        --export "$work/fortune" --weights "$work/fortune/fortune_gpt.safetensors"
    for file in FortuneGpt.safetensors.b64 Alphabet.cs; do
        compare "examples/Fortune/$file" "$work/fortune/$file" "$command"
    done

    # examples/TinyGpt/README.md: the TypedNets columns of the loss table (iteration, train, val) and the samples.
    local readme=examples/TinyGpt/README.md
    awk -F'|' '/^\| [0-9]+ \| [0-9.]+ \| [0-9.]+ \|/ { gsub(/ /, ""); print $2, $3, $4 }' "$readme" >"$work/losses-quoted.txt"
    awk -F'|' '/^ +[0-9]+ \| +[0-9.]+ \| +[0-9.]+ \|/ { gsub(/ /, ""); print $1, $2, $3 }' "$work/tinygpt.log" >"$work/losses-printed.txt"
    compare_quoted "$readme" "the TypedNets loss columns" "$work/losses-quoted.txt" "$work/losses-printed.txt" \
        "dotnet run -c Release --project examples/TinyGpt"
    # The samples: from "--- sample 1" to the end of the README's text block, and of the program's output.
    awk '/^--- sample 1 / { on = 1 } on && /^```$/ { exit } on' "$readme" >"$work/samples-quoted.txt"
    awk '/^--- sample 1 / { on = 1 } on' "$work/tinygpt.log" >"$work/samples-printed.txt"
    compare_quoted "$readme" "the three samples" "$work/samples-quoted.txt" "$work/samples-printed.txt" \
        "dotnet run -c Release --project examples/TinyGpt"
}

run_pytorch() {
    echo "== artefacts: the Quickstart's PyTorch reference (reference/pytorch/quickstart.py)"
    run_logged "$work/pytorch.log" "$python" reference/pytorch/quickstart.py --out "$work/pytorch_reference.json"
    compare examples/Quickstart/Data/pytorch_reference.json "$work/pytorch_reference.json" \
        "/usr/bin/python3 reference/pytorch/quickstart.py"
}

run_scale_out() {
    echo "== artefacts: examples/ScaleOut/Native's trained weights"
    local record=examples/ScaleOut/runs.sha256
    local full="" quick=""
    if [[ -f "$record" ]]; then
        full="$(awk '$2 == "full" { print $1 }' "$record")"
        quick="$(awk '$2 == "quick" { print $1 }' "$record")"
    fi
    if [[ -z "$full" || -z "$quick" ]]; then
        echo "STALE $record: no SHA-256 recorded for the full and the quick scale-out runs"
        echo "    record with: bash scripts/scale-out.sh --update-example, then bash scripts/scale-out.sh --quick, and write"
        echo "    each run's 'sha256sum trained/trained.safetensors' into $record, marked full and quick"
        stale=1
        return
    fi
    local committed=examples/ScaleOut/Native/FashionResNet.safetensors.b64
    local actual
    actual="$(base64 -d "$committed" | sha256sum | cut -d' ' -f1)"
    if [[ "$actual" == "$full" ]]; then
        echo "ok    $committed: the full run's weights ($record)"
    else
        echo "STALE $committed: SHA-256 $actual, but $record records $full for the full run"
        echo "    regenerate with: bash scripts/scale-out.sh --update-example (about 10 minutes), then record both runs in $record"
        stale=1
    fi

    local run="$scale_out_run"
    if [[ -z "$run" ]]; then
        run="$work/scale-out"
        run_logged "$work/scale-out.log" bash scripts/scale-out.sh --quick --out "$run"
    fi
    if ! grep -q '"epochs": \[' "$run/trained/training.json" 2>/dev/null ||
        ! "$python" -c "import json, sys; r = json.load(open(sys.argv[1])); sys.exit(not (len(r['epochs']) == 1 and r['train_rows'] == 8000 and r['processes'] == 2))" "$run/trained/training.json"; then
        echo "STALE $record: $run is not a finished scripts/scale-out.sh --quick run (1 epoch, 8,000 images, 2 processes)"
        stale=1
        return
    fi
    actual="$(sha256sum "$run/trained/trained.safetensors" | cut -d' ' -f1)"
    if [[ "$actual" == "$quick" ]]; then
        echo "ok    $record: scripts/scale-out.sh --quick trains to the recorded weights"
    else
        echo "STALE $record: scripts/scale-out.sh --quick trained weights with SHA-256 $actual, not the recorded $quick;"
        echo "    something the scale-out run goes through changed, so the full run's $committed is stale too"
        echo "    regenerate with: bash scripts/scale-out.sh --update-example, and record both runs in $record"
        stale=1
    fi
}

for group in "${groups[@]}"; do
    case "$group" in
        embedded) run_embedded ;;
        fortune) run_fortune ;;
        pytorch) run_pytorch ;;
        scale-out) run_scale_out ;;
    esac
done

if [[ $stale -ne 0 ]]; then
    echo "artefacts: some committed artefacts differ from a regeneration (above)"
    exit 1
fi
echo "artefacts: every one regenerates as committed"
