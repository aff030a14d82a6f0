#!/usr/bin/env bash
# Builds the documentation site with docfx (the version in .config/dotnet-tools.json; `dotnet tool restore` installs
# it): the API reference from the XML docs of src/Dsl, src/Runtime and src/Onnx (the projects listed in docfx.json),
# the pages of docs/ (getting started, the DSL reference, the diagnostics, scale-out), the README and the examples'
# READMEs. Fails on any docfx warning (a broken link, an unresolved xref or cref) and when a diagnostic page is not
# where the generator's help links point (diagnostics/TNxxxx.html; src/Generator/DocumentationSite.cs).
# The site goes to artifacts/docs/site (ignored by git); open artifacts/docs/site/index.html, or serve the folder
# with `dotnet docfx serve artifacts/docs/site`.
# docfx.json sits at the repository root, not in docs/: docfx names every file by its path from docfx.json, so from
# docs/ the README's links into docs/ (docs/diagnostics/README.md) would be "../docs/..." and never match the pages'
# own names (docfx 2.81 reported each as an invalid file link).
set -euo pipefail

cd "$(dirname "$0")/.."
site=artifacts/docs/site
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "== documentation site (docfx, warnings are errors)"
dotnet tool restore >/dev/null
rm -rf artifacts/docs
started=$SECONDS
if ! dotnet docfx docfx.json --warningsAsErrors >"$log" 2>&1; then
    cat "$log"
    echo "docs: docfx failed"
    exit 1
fi
warnings="$(grep -cE '(^|: )warning' "$log" || true)"
summary="$(grep -E '^ +[0-9]+ warning\(s\)' "$log" | tr -d ' ' || true)"
if [[ "$warnings" -ne 0 || "$summary" != "0warning(s)" ]]; then
    grep -E '(^|: )warning' "$log"
    echo "docs: docfx reported warnings"
    exit 1
fi

# Every diagnostic page is where its help link points.
missing=0
for page in docs/diagnostics/TN*.md; do
    id="$(basename "$page" .md)"
    [[ -s "$site/diagnostics/$id.html" ]] || { echo "docs: $page did not become $site/diagnostics/$id.html"; missing=1; }
done
[[ $missing -eq 0 ]] || exit 1

pages="$(find "$site" -name '*.html' | wc -l)"
api="$(find "$site/api" -name '*.html' | wc -l)"
echo "docs: ${pages} pages (${api} of API reference), 0 warnings, $((SECONDS - started)) s; the site is in $site"
