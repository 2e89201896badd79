#!/bin/sh
# Runs every benchmark against a build directory and prints their tables; each benchmark writes
# its rows as a JSON array, merged into BUILD/bench/results.json as {"bench name": [rows...]}.
# Usage: bench/run.sh BUILD_DIR   (compiled benchmarks: BUILD_DIR/bench/*, scripts: bench/*.mjs)
set -u
build=${1:?usage: bench/run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out_dir="$build/bench"
mkdir -p "$out_dir"
results="$out_dir/results.json"
status=0
merged=""

run_one() { # name, command...
    name=$1
    shift
    json="$out_dir/$name.json"
    rm -f "$json"
    echo "== $name"
    if "$@" "$json"; then
        if [ -s "$json" ]; then
            merged="$merged${merged:+,
}\"$name\": $(cat "$json")"
        fi
    else
        echo "bench/run.sh: $name failed" >&2
        status=1
    fi
    echo
}

for bin in "$build"/bench/*; do
    [ -f "$bin" ] && [ -x "$bin" ] || continue
    run_one "$(basename "$bin")" "$bin"
done

for script in "$here"/*.mjs; do
    [ -f "$script" ] || continue
    if command -v node >/dev/null 2>&1; then
        run_one "$(basename "$script" .mjs)" env PODBUG_BUILD="$build" node "$script"
    else
        echo "bench/run.sh: node not found, skipping $(basename "$script")" >&2
    fi
done

printf '{\n%s\n}\n' "$merged" > "$results"
echo "results: $results"
exit $status
