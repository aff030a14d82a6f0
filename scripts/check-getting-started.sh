#!/usr/bin/env bash
# Builds and runs the program that docs/getting-started.md writes, so that the guide cannot drift from the library:
#   1. creates the guide's console project (`dotnet new console -n NAME`, as its install step says) in a temporary
#      folder outside the repository, and references this repository's src/Runtime and src/Dsl, with the generator as
#      an analyzer, where the guide says `dotnet add package TypedNets` (so the check needs no package);
#   2. writes each file from the guide's blocks: a fenced block right after a line `<!-- guide: FILE -->` belongs to
#      FILE, blocks of one file joined in the order they appear; an XML block for FILE.csproj is inserted into the
#      project file. Every ```csharp block must carry such a mark, so none goes unchecked;
#   3. builds with every warning an error, runs the program on examples/Quickstart/Data/breast_cancer.csv and checks
#      what it prints: each line of the sample output the guide shows (the block marked `<!-- guide: output -->`, its
#      numbers free, since another processor may round differently), a line per epoch from ProgressLogger, a test
#      accuracy of at least 0.9, the classification report, and the saved weights file;
#   4. publishes the project with NativeAOT, as the guide's last step, with every warning an error, and runs the native
#      executable with the same checks (skipped with --no-native).
# Exits non-zero on any failure. Run from anywhere; it works in the repository it belongs to.
set -euo pipefail

cd "$(dirname "$0")/.."
repo="$(pwd)"
guide=docs/getting-started.md
data=examples/Quickstart/Data/breast_cancer.csv
native=1
[[ "${1:-}" == "--no-native" ]] && native=0

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() {
    echo "getting started: $*" >&2
    exit 1
}

# The project's name is the one the guide creates.
name="$(sed -n 's/^dotnet new console -n \([A-Za-z0-9_.]*\)$/\1/p' "$guide" | head -n 1)"
[[ -n "$name" ]] || fail "$guide has no 'dotnet new console -n NAME' line to take the project's name from"
project="$work/$name"

echo "== getting started: the program of $guide"
dotnet new console -n "$name" -o "$project" --no-restore >"$work/new.log" 2>&1 || { cat "$work/new.log"; fail "dotnet new console failed"; }
rm "$project/Program.cs"

# Split the guide into its files. A mark applies to the next fence only; a csharp block without one is an error.
blocks="$work/blocks"
mkdir "$blocks"
awk -v out="$blocks" '
    /^<!-- guide: [^ ]+ -->$/ { mark = $3; next }
    /^```/ && !inside {
        inside = 1
        language = substr($0, 4)
        if (mark == "" && language == "csharp") { printf "line %d: a csharp block without a <!-- guide: FILE --> mark\n", NR; bad = 1 }
        target = mark; mark = ""
        if (target != "") { files[target] = 1; if (seen[target]++) print "" >> (out "/" target) }
        next
    }
    /^```/ && inside { inside = 0; target = ""; next }
    inside && target != "" { print >> (out "/" target) }
    /^[^<]/ && !inside && mark != "" && $0 !~ /^[ \t]*$/ { printf "line %d: a <!-- guide: %s --> mark not followed by a block\n", NR, mark; bad = 1; mark = "" }
    END { for (f in files) print f > (out "/.files"); exit bad }
' "$guide" || fail "$guide: every csharp block needs a <!-- guide: FILE --> mark right before it (see the script's header)"

[[ -s "$blocks/Program.cs" ]] || fail "$guide has no block marked <!-- guide: Program.cs -->"
[[ -s "$blocks/output" ]] || fail "$guide has no sample output marked <!-- guide: output -->"
while read -r file; do
    case "$file" in
        output) ;;
        "$name.csproj")
            # The guide's project settings go into the project file, beside the references that stand in for the package.
            {
                sed '/<\/Project>/,$d' "$project/$name.csproj"
                cat "$blocks/$file"
                cat <<EOF
  <ItemGroup>
    <!-- In place of the guide's 'dotnet add package TypedNets': this repository's projects. -->
    <ProjectReference Include="$repo/src/Runtime/TypedNets.Runtime.csproj" />
    <ProjectReference Include="$repo/src/Dsl/TypedNets.Dsl.csproj" />
    <ProjectReference Include="$repo/src/Generator/TypedNets.Generator.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
EOF
            } >"$work/project.xml"
            mv "$work/project.xml" "$project/$name.csproj"
            ;;
        *.cs) cp "$blocks/$file" "$project/$file" ;;
        *) fail "a block is marked for '$file', which is neither a C# file, $name.csproj nor output" ;;
    esac
done <"$blocks/.files"
grep -q 'ProjectReference' "$project/$name.csproj" || fail "$guide has no block marked <!-- guide: $name.csproj -->"
echo "files: $(cd "$project" && ls | tr '\n' ' ')"

# Each line of the guide's sample output, as a pattern in which any number stands for any number ("..." for any lines),
# and a time per step for any time per step: the progress line says 4ms/step or 29us/step as Keras does.
expected_patterns() {
    grep -v '^\.\.\.$' "$blocks/output" | sed -e 's/[][\\.^$*+?(){}|]/\\&/g' -e 's/[0-9][0-9,]*\\\.[0-9]*\|[0-9][0-9,]*/[0-9][0-9.,]*/g' \
        -e 's#\*[mu]\{0,1\}s/step#*(s|ms|us)/step#g'
}

# Checks what the program printed: $1 the output, $2 which build printed it.
check_output() {
    local log="$1" what="$2"
    while IFS= read -r pattern; do
        grep -qE "^${pattern}\$" "$log" || { cat "$log"; fail "$what: no line of the output is like the guide's sample line '$pattern'"; }
    done < <(expected_patterns)
    grep -qE '^Epoch [0-9]+/[0-9]+ - ' "$log" || { cat "$log"; fail "$what: no ProgressLogger line ('Epoch 1/100 - ...')"; }
    grep -qE '^ *accuracy +[0-9.]+ +[0-9]+$' "$log" || { cat "$log"; fail "$what: no classification report (an 'accuracy' row)"; }
    local accuracy
    accuracy="$(sed -n 's/^Test loss [0-9.]*, test accuracy \([0-9.]*\)$/\1/p' "$log")"
    awk -v a="$accuracy" 'BEGIN { exit !(a != "" && a >= 0.9) }' || { cat "$log"; fail "$what: test accuracy '$accuracy', expected at least 0.9"; }
    [[ -s "$project/tumours.safetensors" ]] || fail "$what: no tumours.safetensors written"
    # The program's output, with the first and last of its epoch lines.
    awk '/^Epoch [0-9]+\// { if (!first++) print; last = $0; next } last != "" { print last; last = "" } { print }' "$log" | sed 's/^/  | /'
    echo "$what: $(grep -cE '^Epoch [0-9]+/' "$log") epochs, test accuracy $accuracy; every sample line of the guide printed"
}

cp "$data" "$project/"
started=$SECONDS
if ! dotnet build "$project" -c Release -warnaserror -nologo -tl:off >"$work/build.log" 2>&1; then
    grep -E ': (warning|error) ' "$work/build.log" | sort -u || cat "$work/build.log"
    fail "the guide's program does not build with warnings as errors"
fi
echo "build: no warning ($((SECONDS - started)) s)"

started=$SECONDS
(cd "$project" && dotnet run -c Release --no-build) >"$work/run.log" 2>&1 || { cat "$work/run.log"; fail "the guide's program failed"; }
check_output "$work/run.log" "dotnet run ($((SECONDS - started)) s)"

if [[ $native -eq 1 ]]; then
    started=$SECONDS
    rm "$project/tumours.safetensors"
    # The console logger (not the terminal logger), so that every warning is one line in the log.
    if ! dotnet publish "$project" -c Release -r linux-x64 -warnaserror -nologo -tl:off -o "$work/native" >"$work/publish.log" 2>&1; then
        grep -E ': (warning|error) ' "$work/publish.log" | sort -u || cat "$work/publish.log"
        fail "the NativeAOT publish of the guide's program failed"
    fi
    [[ -x "$work/native/$name" ]] || fail "the publish made no executable $work/native/$name"
    echo "NativeAOT publish: no warning, $(stat -c %s "$work/native/$name") bytes ($((SECONDS - started)) s)"
    started=$SECONDS
    (cd "$project" && "$work/native/$name") >"$work/native.log" 2>&1 || { cat "$work/native.log"; fail "the native executable failed"; }
    check_output "$work/native.log" "native executable ($((SECONDS - started)) s)"
fi
