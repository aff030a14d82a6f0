#!/usr/bin/env bash
# Fetches two categories of the BSD fortune database, "computers" and "politics", from Debian's
# `fortunes` package into data/fortunes/ at the repository root (ignored by git). They are the
# corpus of the text-classification example: one quote per entry, entries separated by lines
# holding only '%' (read them with TypedNets.Text.FortuneFile.Read).
#
# Idempotent: does nothing when both files are already there. Runs from any directory. Needs apt
# (Debian or Ubuntu) and network access to the distribution's mirrors; installs nothing (the
# package is downloaded and unpacked into a temporary folder with dpkg -x).
#
#   scripts/fetch-fortunes.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$repo_root/data/fortunes"
categories=(computers politics)

missing=()
for category in "${categories[@]}"; do
    [[ -s "$target/$category" ]] || missing+=("$category")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "data/fortunes already holds ${categories[*]}; nothing to fetch ($target)."
    exit 0
fi

for tool in apt-get dpkg; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "fetch-fortunes.sh needs '$tool' (Debian or Ubuntu). On another system, copy the fortune files" >&2
        echo "'${categories[*]}' (from the fortune-mod data) into $target yourself." >&2
        exit 1
    fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# As root, apt downloads as the unprivileged _apt user, which cannot write into mktemp's private
# folder; download as root instead of falling back noisily.
apt_options=()
if [[ $(id -u) -eq 0 ]]; then
    apt_options=(-o APT::Sandbox::User=root)
fi

if ! apt-get "${apt_options[@]}" download fortunes; then
    # A fresh machine (or a stale package list) may not know the current version yet.
    if [[ $(id -u) -ne 0 ]]; then
        echo "apt-get download fortunes failed; run 'sudo apt-get update' and then this script again." >&2
        exit 1
    fi
    echo "apt-get download fortunes failed; updating the package lists and trying once more." >&2
    apt-get "${apt_options[@]}" update
    apt-get "${apt_options[@]}" download fortunes
fi

shopt -s nullglob
debs=(fortunes_*.deb)
if [[ ${#debs[@]} -ne 1 ]]; then
    echo "Expected one fortunes_*.deb in $work after apt-get download, found ${#debs[@]}." >&2
    exit 1
fi

dpkg -x "${debs[0]}" unpacked
source_dir="unpacked/usr/share/games/fortunes"
mkdir -p "$target"
for category in "${categories[@]}"; do
    if [[ ! -s "$source_dir/$category" ]]; then
        echo "${debs[0]} has no usr/share/games/fortunes/$category; the package layout has changed." >&2
        exit 1
    fi
    # Copy through a temporary name so an interrupted run never leaves half a file behind.
    cp "$source_dir/$category" "$target/$category.partial"
    mv "$target/$category.partial" "$target/$category"
done

echo "Fetched from ${debs[0]} into $target:"
for category in "${categories[@]}"; do
    # Quotes as FortuneFile.Read counts them: non-blank entries between lines holding only '%'.
    quotes=$(awk '/^%$/ { if (text) n++; text = 0; next } /[^[:space:]]/ { text = 1 } END { if (text) n++; print n + 0 }' "$target/$category")
    printf '  %-10s %8d bytes, %5d quotes\n' "$category" "$(wc -c < "$target/$category")" "$quotes"
done
