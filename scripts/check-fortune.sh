#!/usr/bin/env bash
# Publishes examples/Fortune (TinyGpt's trained GPT with its weights compiled in) as a NativeAOT binary and checks it:
#   1. the publish has no warning at all (trim and AOT warnings are errors in the project too);
#   2. a run prints one quote drawn from the model's alphabet, the same quote again for the same seed and, over five
#      seeds, more than one quote;
#   3. it prints the binary's size and the mean wall-clock time of ten runs (start-up, weights and generation).
# Exits non-zero on any failure. Run from anywhere; it works in the repository it belongs to.
set -euo pipefail

cd "$(dirname "$0")/.."
example=examples/Fortune
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== fortune: NativeAOT publish (warnings are errors)"
if ! dotnet publish "$example" -c Release -r linux-x64 -warnaserror -nologo -tl:off -o "$work/app" >"$work/publish.log" 2>&1; then
    cat "$work/publish.log"
    echo "fortune: dotnet publish failed"
    exit 1
fi
warnings="$(grep -cE ': (warning|error) [A-Z]+[0-9]+' "$work/publish.log" || true)"
echo "publish: ${warnings} warnings"
if [[ "$warnings" -ne 0 ]]; then
    grep -E ': (warning|error) [A-Z]+[0-9]+' "$work/publish.log"
    echo "fortune: the publish must have no warnings"
    exit 1
fi

binary="$work/app/Fortune"
size="$(stat -c %s "$binary")"
echo "binary: $(awk -v b="$size" 'BEGIN { printf "%.2f MB (%d bytes)", b / 1048576, b }'), self-contained, weights included"

"$binary" --seed 7 >"$work/first.txt"
"$binary" --seed 7 >"$work/second.txt"
if [[ ! -s "$work/first.txt" ]]; then
    echo "fortune: the binary printed nothing"
    exit 1
fi
if ! cmp -s "$work/first.txt" "$work/second.txt"; then
    echo "fortune: two runs with seed 7 printed different quotes"
    exit 1
fi
for seed in 1 2 3 4 5; do "$binary" --seed "$seed"; echo "%"; done >"$work/five.txt"
if [[ "$(awk 'BEGIN { RS = "%\n" } { print }' "$work/five.txt" | sort -u | wc -l)" -lt 2 ]]; then
    echo "fortune: five seeds printed one quote"
    exit 1
fi
echo "seed 7:"
cat "$work/first.txt"

start="$(date +%s%N)"
for _ in 1 2 3 4 5 6 7 8 9 10; do "$binary" >/dev/null; done
end="$(date +%s%N)"
echo "mean wall-clock time of a run (start-up and one quote): $(( (end - start) / 10000000 )) ms"
