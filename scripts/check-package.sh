#!/usr/bin/env bash
# The packages as a new user gets them, tested end to end:
#   1. packs every packable project of src/ (IsPackable: TypedNets, TypedNets.Onnx, TypedNets.Templates, ...) into a
#      temporary folder feed, prints each package's files and size, and checks the TypedNets package's layout: the
#      runtime and attribute assemblies with their XML docs in lib/net10.0, every analyzer assembly (the generator and
#      the code fixes) in analyzers/dotnet/cs and not in lib, the README, the licence, a symbol package whose PDBs carry SourceLink to the repository, and no
#      package dependency on a project of this repository other than TypedNets itself;
#   2. in a temporary folder outside the repository, whose nuget.config adds only that folder feed to the machine's
#      usual package source, installs the template package, creates a project with `dotnet new typednets-classifier`,
#      restores it (TypedNets must come from the folder feed, into a global packages folder of this run, so that a
#      package of the same version cached by an earlier run is never used), builds it with warnings as errors, runs
#      it (its held-out accuracy must be at least 0.9), publishes it with NativeAOT (no warning at all) and runs the
#      native binary, whose predictions from the saved weights must equal the JIT-compiled run's (within 1e-5, the same
#      class for every row), and which must also train on its own;
#   3. uninstalls the template and deletes the temporary folders, also on failure.
# Exits non-zero on any failure. Run from anywhere; nothing but the .nupkg files leaves the repository.
set -euo pipefail

cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work="$(mktemp -d)"
feed="$work/feed"
template_installed=0
cleanup() {
    if [[ $template_installed -eq 1 ]]; then
        dotnet new uninstall TypedNets.Templates >/dev/null 2>&1 || echo "package check: could not uninstall TypedNets.Templates"
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "package check: $*"
    exit 1
}

phase_start=$SECONDS
timings=()
phase_done() {
    timings+=("$1: $((SECONDS - phase_start)) s")
    phase_start=$SECONDS
}

echo "== packages: dotnet pack (warnings are errors)"
version="$(dotnet msbuild src/Runtime/TypedNets.Runtime.csproj -getProperty:PackageVersion -nologo)"
[[ -n "$version" ]] || fail "could not read the package version"
echo "version $version"
mkdir -p "$feed"
packed=()
for project in src/*/*.csproj; do
    if [[ "$(dotnet msbuild "$project" -getProperty:IsPackable -nologo)" != "true" ]]; then
        continue
    fi
    if ! dotnet pack "$project" -c Release -o "$feed" -warnaserror -nologo -tl:off >"$work/pack.log" 2>&1; then
        cat "$work/pack.log"
        fail "dotnet pack $project failed"
    fi
    packed+=("$project")
done
echo "packed: ${packed[*]}"
phase_done "pack"

echo "== packages: files and sizes"
for package in "$feed"/*.nupkg "$feed"/*.snupkg; do
    [[ -e "$package" ]] || continue
    echo "-- $(basename "$package"): $(stat -c %s "$package") bytes"
    unzip -l "$package" | grep -vE '(_rels/|\[Content_Types\]\.xml|package/services/metadata/|\.psmdcp$)'
done

core="$feed/TypedNets.$version.nupkg"
[[ -f "$core" ]] || fail "no TypedNets.$version.nupkg"
unzip -Z1 "$core" >"$work/core.files"
expected_files=(
    lib/net10.0/TypedNets.Runtime.dll lib/net10.0/TypedNets.Runtime.xml
    lib/net10.0/TypedNets.Dsl.dll lib/net10.0/TypedNets.Dsl.xml
    lib/net10.0/TypedNets.Reporting.dll lib/net10.0/TypedNets.Reporting.xml
    analyzers/dotnet/cs/TypedNets.Generator.dll analyzers/dotnet/cs/TypedNets.CodeFixes.dll
    README.md LICENSE
)
for file in "${expected_files[@]}"; do
    grep -qxF "$file" "$work/core.files" || fail "TypedNets.$version.nupkg has no $file"
done
if grep -E '^lib/.*(Generator|CodeFixes)' "$work/core.files"; then
    fail "an analyzer assembly is in lib/, where every consumer would reference it"
fi
unzip -p "$core" TypedNets.nuspec >"$work/TypedNets.nuspec"
grep -q '<license type="expression">MIT</license>' "$work/TypedNets.nuspec" || fail "the nuspec has no MIT licence expression"
grep -q '<readme>README.md</readme>' "$work/TypedNets.nuspec" || fail "the nuspec names no README"
grep -qE '<repository type="git" url="https://github.com/[^"]+" commit="[0-9a-f]{40}"' "$work/TypedNets.nuspec" \
    || fail "the nuspec has no repository URL and commit"
# The package project declares the runtime's package dependencies again (its references to the projects are not
# restored): the two lists must be the same.
dotnet msbuild src/Runtime/TypedNets.Runtime.csproj -getItem:PackageReference -nologo >"$work/runtime-references.json"
runtime_dependencies="$(python3 -c '
import json, sys
items = json.load(open(sys.argv[1]))["Items"]["PackageReference"]
print(" ".join(sorted(i["Identity"] for i in items if i.get("IsImplicitlyDefined") != "true" and i.get("PrivateAssets", "").lower() != "all")))
' "$work/runtime-references.json")"
package_dependencies="$(grep -oE '<dependency id="[^"]+"' "$work/TypedNets.nuspec" | cut -d'"' -f2 | sort | tr '\n' ' ' | sed 's/ $//')"
[[ "$runtime_dependencies" == "$package_dependencies" ]] \
    || fail "TypedNets depends on '$package_dependencies', the runtime on '$runtime_dependencies' (src/Package/TypedNets.Package.csproj)"
echo "TypedNets depends on: $package_dependencies"
# No package may depend on a project of this repository that is packed inside TypedNets and never published alone.
for package in "$feed"/*.nupkg; do
    unzip -p "$package" '*.nuspec' >"$work/any.nuspec"
    if grep -E '<dependency id="TypedNets\.(Dsl|Runtime|Generator|CodeFixes|Package)"' "$work/any.nuspec"; then
        fail "$(basename "$package") depends on a package that is never published"
    fi
done

symbols="$feed/TypedNets.$version.snupkg"
[[ -f "$symbols" ]] || fail "no TypedNets.$version.snupkg"
for pdb in TypedNets.Runtime TypedNets.Dsl; do
    unzip -p "$symbols" "lib/net10.0/$pdb.pdb" >"$work/$pdb.pdb" || fail "the symbol package has no $pdb.pdb"
    # A portable PDB keeps the SourceLink map as plain JSON.
    grep -aoE '"https://raw.githubusercontent.com/[^"]+/[0-9a-f]{40}/\*"' "$work/$pdb.pdb" >"$work/sourcelink.txt" \
        || fail "$pdb.pdb has no SourceLink to the repository"
    echo "$pdb.pdb SourceLink: $(head -n 1 "$work/sourcelink.txt")"
done

onnx="$feed/TypedNets.Onnx.$version.nupkg"
[[ -f "$onnx" ]] || fail "no TypedNets.Onnx.$version.nupkg"
# (Listings go to files first: with pipefail, grep -q closing the pipe early would fail the pipeline.)
unzip -Z1 "$onnx" >"$work/onnx.files"
for file in lib/net10.0/TypedNets.Onnx.dll lib/net10.0/TypedNets.Onnx.xml onnx-schema/LICENSE README.md LICENSE; do
    grep -qxF "$file" "$work/onnx.files" || fail "TypedNets.Onnx.$version.nupkg has no $file"
done
unzip -p "$onnx" TypedNets.Onnx.nuspec >"$work/TypedNets.Onnx.nuspec"
grep -q "<dependency id=\"TypedNets\" version=\"$version\"" "$work/TypedNets.Onnx.nuspec" \
    || fail "TypedNets.Onnx does not depend on TypedNets $version"

template_package="$feed/TypedNets.Templates.$version.nupkg"
[[ -f "$template_package" ]] || fail "no TypedNets.Templates.$version.nupkg"
phase_done "package checks"

echo "== template: install, create, restore from the folder feed"
# The machine's global packages folder serves as a read-only fallback, so that the SDK's packs (NativeAOT's compiler,
# the runtime pack) are not downloaded again; this run's own folder receives TypedNets.
machine_packages="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
export NUGET_PACKAGES="$work/packages"
app="$work/app"
mkdir -p "$app"
cat >"$app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="typednets-local" value="$feed" />
  </packageSources>
  <fallbackPackageFolders>
    <add key="machine" value="$machine_packages" />
  </fallbackPackageFolders>
</configuration>
EOF

dotnet new install "$template_package" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dotnet new install failed"; }
template_installed=1
cd "$app"
dotnet new typednets-classifier -n Demo >"$work/new.log" 2>&1 || { cat "$work/new.log"; fail "dotnet new typednets-classifier failed"; }
cd Demo
echo "created: $(find . -type f | sort | tr '\n' ' ')"
grep -q "<PackageReference Include=\"TypedNets\" Version=\"$version\"" Demo.csproj || fail "Demo.csproj does not reference TypedNets $version"

dotnet restore -nologo -tl:off >"$work/restore.log" 2>&1 || { cat "$work/restore.log"; fail "dotnet restore failed"; }
metadata="$NUGET_PACKAGES/typednets/$version/.nupkg.metadata"
[[ -f "$metadata" ]] || fail "TypedNets $version was not restored into this run's packages folder (a cached copy was used)"
grep -qF "\"source\": \"$feed\"" "$metadata" || { cat "$metadata"; fail "TypedNets $version was not restored from the folder feed"; }
echo "TypedNets $version restored from the folder feed"

phase_done "template and restore"

echo "== template: build (warnings are errors) and run"
dotnet build --no-restore -warnaserror -nologo -tl:off >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "dotnet build -warnaserror failed"; }
dotnet run --no-build >"$work/run.log" 2>&1 || { cat "$work/run.log"; fail "dotnet run failed"; }
cat "$work/run.log"
accuracy() {
    sed -n 's/^Held-out accuracy: \([0-9.]*\)$/\1/p' "$1"
}
jit_accuracy="$(accuracy "$work/run.log")"
[[ -n "$jit_accuracy" ]] || fail "the program printed no held-out accuracy"
awk -v a="$jit_accuracy" 'BEGIN { exit !(a >= 0.9) }' || fail "held-out accuracy $jit_accuracy is below 0.9"
[[ -f classifier.safetensors ]] || fail "the program saved no weights"
dotnet run --no-build -- predict >"$work/jit.csv" 2>"$work/jit.err" || { cat "$work/jit.err"; fail "dotnet run -- predict failed"; }
phase_done "build and run"

echo "== template: NativeAOT publish (no warning) and the native binary"
if ! dotnet publish -c Release -r linux-x64 -p:PublishAot=true -warnaserror -nologo -tl:off -o "$work/native" >"$work/publish.log" 2>&1; then
    cat "$work/publish.log"
    fail "dotnet publish -p:PublishAot=true failed"
fi
warnings="$(grep -cE ': (warning|error) [A-Z]+[0-9]+' "$work/publish.log" || true)"
[[ "$warnings" -eq 0 ]] || { grep -E ': (warning|error) [A-Z]+[0-9]+' "$work/publish.log"; fail "the NativeAOT publish has warnings"; }
binary="$work/native/Demo"
[[ -x "$binary" ]] || fail "no native binary Demo"
# A native binary has no managed entry assembly beside it.
[[ ! -e "$work/native/Demo.dll" ]] || fail "the publish is not native (Demo.dll is there)"
echo "native binary: $(stat -c %s "$binary") bytes"

"$binary" predict >"$work/native.csv" 2>"$work/native.err" || { cat "$work/native.err"; fail "the native binary failed to predict"; }
rows="$(tail -n +2 "$work/jit.csv" | wc -l)"
[[ "$rows" -gt 0 ]] || fail "the JIT run predicted no rows"
[[ "$(tail -n +2 "$work/native.csv" | wc -l)" -eq "$rows" ]] || fail "the native binary predicted $(tail -n +2 "$work/native.csv" | wc -l) rows, the JIT run $rows"
paste -d, <(tail -n +2 "$work/jit.csv") <(tail -n +2 "$work/native.csv") | awk -F, -v tolerance=1e-5 '
    function abs(x) { return x < 0 ? -x : x }
    {
        # row, predicted, probabilities... for the JIT run, then the same for the native one.
        half = NF / 2
        if ($1 != $(half + 1) || $2 != $(half + 2)) { printf "row %s: native class %s, JIT class %s\n", $1, $(half + 2), $2; bad++; next }
        for (i = 3; i <= half; i++) {
            d = abs($i - $(half + i)); if (d > worst) worst = d
            if (d > tolerance) { printf "row %s: native %s, JIT %s\n", $1, $(half + i), $i; bad++ }
        }
    }
    END { printf "native against JIT: %d rows, %d differ; largest probability difference %.3g\n", NR, bad, worst; exit bad > 0 }' \
    || fail "the native predictions differ from the JIT ones"

rm classifier.safetensors
"$binary" >"$work/native-run.log" 2>&1 || { cat "$work/native-run.log"; fail "the native binary failed to train"; }
native_accuracy="$(accuracy "$work/native-run.log")"
[[ -n "$native_accuracy" ]] || fail "the native binary printed no held-out accuracy"
awk -v a="$native_accuracy" 'BEGIN { exit !(a >= 0.9) }' || fail "the native binary's held-out accuracy $native_accuracy is below 0.9"
echo "native training: held-out accuracy $native_accuracy (JIT $jit_accuracy)"
phase_done "NativeAOT"

echo "timings: ${timings[*]}"
echo "package check: ok"
