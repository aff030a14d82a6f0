#!/usr/bin/env bash
# Publishes examples/EmbeddedInference as a NativeAOT binary and checks it against the JIT-compiled Quickstart:
#   1. the publish has no warning at all (trim and AOT warnings are errors in the project too), also when every type
#      of src/Runtime and src/Dsl is rooted, so that the whole libraries are checked, not only what the example uses;
#   2. the binary classifies the committed held-out rows exactly as the Quickstart did when it exported them (the same
#      class for every row, both probabilities within 1e-5);
#   3. it prints the binary's size, and its start-up time when hyperfine is installed;
#   4. the int8 build (-p:Int8=true: the generator quantises the same float file at build time) publishes without a
#      warning and classifies the held-out rows as the float binary does: the same class for every row, or an accuracy
#      within 0.5 points of the float one; both binaries' sizes and embedded weight bytes are printed.
# Exits non-zero on any failure. Run from anywhere; it works in the repository it belongs to.
set -euo pipefail

cd "$(dirname "$0")/.."
example=examples/EmbeddedInference
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

publish() {
    local what="$1" output="$2" log="$3"
    shift 3
    # The console logger (not the terminal logger) so that every warning is one line in the log.
    if ! dotnet publish "$example" -c Release -r linux-x64 -warnaserror -nologo -tl:off -o "$output" "$@" >"$log" 2>&1; then
        cat "$log"
        echo "embedded inference: dotnet publish failed"
        exit 1
    fi

    local warnings
    warnings="$(grep -cE ': (warning|error) [A-Z]+[0-9]+' "$log" || true)"
    local trim_aot
    trim_aot="$(grep -cE ': (warning|error) IL[0-9]{4}' "$log" || true)"
    echo "publish ($what): ${trim_aot} trim/AOT warnings, ${warnings} warnings in all"
    if [[ "$warnings" -ne 0 ]]; then
        grep -E ': (warning|error) [A-Z]+[0-9]+' "$log"
        echo "embedded inference: the publish must have no warnings"
        exit 1
    fi
}

echo "== embedded inference: NativeAOT publish (warnings are errors)"
publish "every type of src/Runtime and src/Dsl rooted" "$work/rooted" "$work/rooted.log" -p:RootTypedNets=true
publish "the binary" "$work/app" "$work/app.log"

binary="$work/app/EmbeddedInference"
size="$(stat -c %s "$binary")"
echo "binary: $(awk -v b="$size" 'BEGIN { printf "%.2f MB (%d bytes)", b / 1048576, b }'), self-contained, weights included"

echo "== embedded inference: native predictions against the JIT ones"
# heldout.csv: 10 raw features, label, predicted, p_malignant, p_benign (the Quickstart's JIT predictions).
tail -n +2 "$example/heldout.csv" | cut -d, -f1-10 >"$work/rows.csv"
tail -n +2 "$example/heldout.csv" | cut -d, -f12-14 >"$work/expected.csv"
"$binary" --csv <"$work/rows.csv" >"$work/native.csv"
tail -n +2 "$work/native.csv" >"$work/actual.csv"

paste -d, "$work/expected.csv" "$work/actual.csv" | awk -F, -v tolerance=1e-5 '
    function abs(x) { return x < 0 ? -x : x }
    {
        rows++
        if ($1 != $4) { printf "row %d: native class %s, JIT class %s\n", NR, $4, $1; bad++; next }
        if (abs($2 - $5) > tolerance || abs($3 - $6) > tolerance) {
            printf "row %d: native probabilities %s, %s; JIT %s, %s (tolerance %g)\n", NR, $5, $6, $2, $3, tolerance; bad++
        }
        d = abs($2 - $5); if (d > worst) worst = d
        d = abs($3 - $6); if (d > worst) worst = d
    }
    END {
        if (rows == 0) { print "no rows compared"; exit 1 }
        printf "%d rows: %d differ; largest probability difference %.3g\n", rows, bad, worst
        exit bad > 0
    }'
expected_rows="$(wc -l <"$work/expected.csv")"
actual_rows="$(wc -l <"$work/actual.csv")"
if [[ "$expected_rows" -ne "$actual_rows" ]]; then
    echo "embedded inference: the binary printed $actual_rows predictions for $expected_rows rows"
    exit 1
fi

# A bad row is a clear error, not a crash.
if "$binary" "1,2,3" 2>"$work/error.txt"; then
    echo "embedded inference: a row of 3 values was accepted"
    exit 1
fi
grep -q "row 1 has 3 values, not 10" "$work/error.txt" || { cat "$work/error.txt"; echo "embedded inference: unexpected error message"; exit 1; }

echo "== embedded inference: start-up, classifying one row per run"
row="$(head -n 1 "$work/rows.csv")"
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 20 --runs 200 --style basic "$binary $row" 2>/dev/null | grep -E 'Time|Range' || true
else
    runs=100
    start="$(date +%s%N)"
    for ((i = 0; i < runs; i++)); do "$binary" "$row" >/dev/null; done
    end="$(date +%s%N)"
    awk -v ns="$((end - start))" -v runs="$runs" 'BEGIN { printf "mean over %d runs: %.2f ms (hyperfine is not installed)\n", runs, ns / runs / 1e6 }'
fi
echo "== embedded inference: the int8 build (weights quantised by the generator)"
publish "the int8 binary" "$work/int8" "$work/int8.log" -p:Int8=true
int8="$work/int8/EmbeddedInferenceInt8"
"$int8" --csv <"$work/rows.csv" >"$work/int8.csv"
tail -n +2 "$work/int8.csv" >"$work/int8-actual.csv"
if [[ "$(wc -l <"$work/int8-actual.csv")" -ne "$expected_rows" ]]; then
    echo "embedded inference: the int8 binary printed $(wc -l <"$work/int8-actual.csv") predictions for $expected_rows rows"
    exit 1
fi
tail -n +2 "$example/heldout.csv" | cut -d, -f11 >"$work/labels.csv"
paste -d, "$work/labels.csv" "$work/actual.csv" "$work/int8-actual.csv" | awk -F, '
    function abs(x) { return x < 0 ? -x : x }
    {
        rows++
        float_right += ($1 == $2); int8_right += ($1 == $5)
        if ($2 != $5) { printf "row %d: int8 class %s, float class %s\n", NR, $5, $2; differ++ }
        d = abs($3 - $6); if (d > worst) worst = d
    }
    END {
        float_accuracy = 100 * float_right / rows; int8_accuracy = 100 * int8_right / rows
        printf "%d rows: %d classes differ from the float binary; accuracy %.2f%% (float %.2f%%); largest probability difference %.3g\n", rows, differ, int8_accuracy, float_accuracy, worst
        if (differ > 0 && abs(int8_accuracy - float_accuracy) > 0.5) { print "the int8 accuracy is more than 0.5 points from the float one"; exit 1 }
    }'

float_size="$(stat -c %s "$binary")"
int8_size="$(stat -c %s "$int8")"
float_weights="$("$binary" --about | grep -oE '[0-9]+ embedded weight bytes' | cut -d' ' -f1)"
int8_weights="$("$int8" --about | grep -oE '[0-9]+ embedded weight bytes' | cut -d' ' -f1)"
"$binary" --about
"$int8" --about
awk -v fs="$float_size" -v is="$int8_size" -v fw="$float_weights" -v iw="$int8_weights" 'BEGIN {
    printf "binaries: float %d bytes, int8 %d bytes (%+d)\n", fs, is, is - fs
    printf "embedded weight bytes: float %d, int8 %d (%.3f of the float)\n", fw, iw, iw / fw
}'
echo "embedded inference: ok"
