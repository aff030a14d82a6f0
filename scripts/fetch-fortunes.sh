#!/usr/bin/env bash
# Fetches every category of the BSD fortune database in Debian's `fortunes` package ("art",
# "computers", ..., "zippy") into data/fortunes/ at the repository root (ignored by git), and lists
# them in data/fortunes/CATEGORIES. "computers" and "politics" are the corpus of the
# text-classification example, all of them the text of the GPT example: one quote per entry,
# entries separated by lines holding only '%' (read them with TypedNets.Text.FortuneFile.Read).
#
# Idempotent: does nothing when every listed category is already there. Runs from any directory. Needs apt
# (Debian or Ubuntu) and network access to the distribution's mirrors; installs nothing (the
# package is downloaded and unpacked into a temporary folder with dpkg -x).
#
#   scripts/fetch-fortunes.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$repo_root/data/fortunes"
required=(computers politics)

if [[ -s "$target/CATEGORIES" ]]; then
    complete=1
    while read -r category; do
        [[ -s "$target/$category" ]] || complete=0
    done < "$target/CATEGORIES"
    if [[ $complete -eq 1 ]]; then
        echo "data/fortunes already holds the $(wc -l < "$target/CATEGORIES") categories of CATEGORIES; nothing to fetch ($target)."
        exit 0
    fi
fi

for tool in apt-get dpkg; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "fetch-fortunes.sh needs '$tool' (Debian or Ubuntu). On another system, copy the fortune files" >&2
        echo "of the fortune-mod data into $target yourself and list their names in $target/CATEGORIES." >&2
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
for category in "${required[@]}"; do
    if [[ ! -s "$source_dir/$category" ]]; then
        echo "${debs[0]} has no usr/share/games/fortunes/$category; the package layout has changed." >&2
        exit 1
    fi
done

# The categories are the plain files; strfile's indexes (.dat) and the .u8 links are not quotes.
categories=()
for file in "$source_dir"/*; do
    name="$(basename "$file")"
    [[ -f "$file" && ! -L "$file" && "$name" != *.dat && "$name" != *.u8 ]] && categories+=("$name")
done

mkdir -p "$target"
for category in "${categories[@]}"; do
    # Copy through a temporary name so an interrupted run never leaves half a file behind.
    cp "$source_dir/$category" "$target/$category.partial"
    mv "$target/$category.partial" "$target/$category"
done
printf '%s\n' "${categories[@]}" > "$target/CATEGORIES.partial"
mv "$target/CATEGORIES.partial" "$target/CATEGORIES"

echo "Fetched from ${debs[0]} into $target:"
for category in "${categories[@]}"; do
    # Quotes as FortuneFile.Read counts them: non-blank entries between lines holding only '%'.
    quotes=$(awk '/^%$/ { if (text) n++; text = 0; next } /[^[:space:]]/ { text = 1 } END { if (text) n++; print n + 0 }' "$target/$category")
    printf '  %-10s %8d bytes, %5d quotes\n' "$category" "$(wc -c < "$target/$category")" "$quotes"
done
