#!/usr/bin/env bash
# Adds every public symbol that the shipped libraries declare but their PublicAPI.Unshipped.txt does not list (RS0016)
# to that file, so that an intended change of the public surface is one command and a reviewed diff. Removed symbols
# (RS0017) are reported, not deleted: a removal breaks users and is decided by hand. Run from anywhere.
set -euo pipefail

cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

for project in src/Dsl src/Runtime src/Onnx src/Reporting; do
    # RS0016 is an error in these projects; the build fails until the lists are complete, which is what is read here.
    dotnet build "$project" -c Release -nologo -clp:NoSummary -tl:off --no-incremental \
        -p:WarningsAsErrors= -p:TreatWarningsAsErrors=false >"$log" 2>&1 || true
    added="$(grep -oE "RS0016: Symbol '.*' is not part of the declared public API" "$log" \
        | sed -E "s/^RS0016: Symbol '(.*)' is not part of the declared public API$/\1/" | sort -u || true)"
    if [[ -n "$added" ]]; then
        printf '%s\n' "$added" >>"$project/PublicAPI.Unshipped.txt"
        echo "$project: $(printf '%s\n' "$added" | wc -l) symbols added to PublicAPI.Unshipped.txt"
    fi
    grep -oE "RS0017: Symbol '.*' is part of the declared API" "$log" | sort -u | sed "s|^|$project: removed? |" || true
done
