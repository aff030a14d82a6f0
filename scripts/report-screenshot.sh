#!/usr/bin/env bash
# Makes docs/report.png, the picture of a report that the README shows: runs the Quickstart with --report, checks the
# report in headless Chromium as CI does (tests/Tools/BrowserCheck) and keeps its full-page screenshot. The screenshot
# is taken only from a report that passes the check. Installs Debian's chromium if needed.
# Run from anywhere; it works in the repository it belongs to.
set -euo pipefail

cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v chromium >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

dotnet build examples/Quickstart -c Release -nologo -clp:NoSummary
dotnet build tests/Tools/BrowserCheck -c Release -nologo -clp:NoSummary
dotnet run -c Release --no-build --project examples/Quickstart -- --report "$work/quickstart.html"
dotnet run -c Release --no-build --project tests/Tools/BrowserCheck -- --screenshot "$work/shots" "$work/quickstart.html"

mkdir -p docs
cp "$work/shots/quickstart.png" docs/report.png
echo "wrote docs/report.png ($(stat -c %s docs/report.png) bytes)"
