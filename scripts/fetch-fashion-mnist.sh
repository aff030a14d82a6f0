#!/usr/bin/env bash
# Fetches Fashion-MNIST (Zalando's 28x28 grey images of clothes in 10 classes; 60,000 for training,
# 10,000 for testing) from Debian's `dataset-fashion-mnist` package into data/fashion-mnist/ at the
# repository root (ignored by git). The four files are gzipped IDX files, kept as shipped; read them
# with TypedNets.Data.Idx (Idx.LoadFashionMnist, or Idx.LoadDataset for one images/labels pair).
# The package's copyright file (MIT licence) is copied beside them.
#
# Idempotent: does nothing when all four files are already there. Runs from any directory. Needs
# apt (Debian or Ubuntu) and network access to the distribution's mirrors; installs nothing (the
# package is downloaded and unpacked into a temporary folder with dpkg -x). Every file is checked
# against the package's own md5sums before it is kept.
#
#   scripts/fetch-fashion-mnist.sh
set -euo pipefail

package=dataset-fashion-mnist
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$repo_root/data/fashion-mnist"
files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

missing=()
for file in "${files[@]}"; do
    [[ -s "$target/$file" ]] || missing+=("$file")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "data/fashion-mnist already holds ${files[*]}; nothing to fetch ($target)."
    exit 0
fi

for tool in apt-get dpkg dpkg-deb md5sum; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "fetch-fashion-mnist.sh needs '$tool' (Debian or Ubuntu). On another system, copy the Fashion-MNIST" >&2
        echo "files ${files[*]} (from the zalandoresearch/fashion-mnist release) into $target yourself." >&2
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

if ! apt-get "${apt_options[@]}" download "$package"; then
    # A fresh machine (or a stale package list) may not know the current version yet.
    if [[ $(id -u) -ne 0 ]]; then
        echo "apt-get download $package failed; run 'sudo apt-get update' and then this script again." >&2
        exit 1
    fi
    echo "apt-get download $package failed; updating the package lists and trying once more." >&2
    apt-get "${apt_options[@]}" update
    apt-get "${apt_options[@]}" download "$package"
fi

shopt -s nullglob
debs=("${package}"_*.deb)
if [[ ${#debs[@]} -ne 1 ]]; then
    echo "Expected one ${package}_*.deb in $work after apt-get download, found ${#debs[@]}." >&2
    exit 1
fi

dpkg -x "${debs[0]}" unpacked
dpkg-deb -e "${debs[0]}" control
source_dir="usr/share/datasets/fashion-mnist"
for file in "${files[@]}"; do
    if [[ ! -s "unpacked/$source_dir/$file" ]]; then
        echo "${debs[0]} has no $source_dir/$file; the package layout has changed." >&2
        exit 1
    fi
    # md5sums lists paths relative to the root, as "<md5>  usr/share/...".
    if ! (cd unpacked && grep -F "  $source_dir/$file" ../control/md5sums | md5sum --check --quiet --strict); then
        echo "$file in ${debs[0]} does not match the package's md5sums; the download is damaged, run this script again." >&2
        exit 1
    fi
done

mkdir -p "$target"
for file in "${files[@]}"; do
    # Copy through a temporary name so an interrupted run never leaves half a file behind.
    cp "unpacked/$source_dir/$file" "$target/$file.partial"
    mv "$target/$file.partial" "$target/$file"
done
cp "unpacked/usr/share/doc/$package/copyright" "$target/copyright"

echo "Fetched from ${debs[0]} into $target:"
for file in "${files[@]}"; do
    # The IDX header (after gunzip): magic 0x000008NN (NN = number of dimensions), then one
    # big-endian int32 per dimension.
    # head stops reading early, so gzip may die of SIGPIPE: ignore its status there.
    header=$({ gzip -dc "$target/$file" || true; } | head -c 16 | od -An -tx1 -v | tr -d ' \n')
    rank=$((16#${header:6:2}))
    shape=""
    for ((d = 0; d < rank; d++)); do
        shape+="${shape:+ x }$((16#${header:$((8 + 8 * d)):8}))"
    done
    printf '  %-28s %9d bytes gzipped, %9d bytes raw, shape %s\n' \
        "$file" "$(wc -c < "$target/$file")" "$(gzip -dc "$target/$file" | wc -c)" "$shape"
done
