#!/usr/bin/env bash
# Builds every libFuzzer target tests/fuzz/fuzz_*.c (or the ones named as arguments) into build-fuzz/
# and runs each for a bounded time (FUZZ_SECONDS, default 30) on a scratch copy of its seed corpus;
# exits non-zero on a crash.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${FUZZ_SECONDS:-30}"
out=build-fuzz
mkdir -p "$out/artifacts"
cflags=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -Icommon -Iprotocol -Iprobe -Iserver -I/usr/include/libdwarf)
sources=(common/*.c protocol/*.c)
# The probe/ and server/ files a target needs besides common/ and protocol/ (the probe library as
# a whole needs libdwarf, libunwind and a running agent; a parser or evaluator alone does not).
target_sources() {
    case "$1" in
        fuzz_expr_parse) echo probe/expr_parse.c ;;
        fuzz_dwarf_expr) echo probe/dwarf_expr.c probe/safe_mem.c probe/guarded_copy.c probe/frame_regs.c ;;
        # conditions resolve names against the fuzzer's own DWARF: the probe minus its entry
        fuzz_cond) ls probe/*.c | grep -v '^probe/main\.c$' ;;
        # DAP requests go through the whole server but its entry point
        fuzz_dap_dispatch) ls server/*.c server/dap_handlers/*.c | grep -v '^server/main\.c$' ;;
        fuzz_token_file) echo server/auth_tokens.c ;;
    esac
}
# The libraries a target needs besides cJSON, libwebsockets and libcrypto (which common/'s WebSocket
# queue and client need: the client explains refused TLS certificates).
target_libs() {
    case "$1" in
        fuzz_cond) echo -ldwarf -lelf -lunwind -lZydis -lcrypto -lpthread -ldl ;;
        fuzz_dap_dispatch) echo -lcrypto ;;
    esac
}
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

failed=()
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tests/fuzz/fuzz_*.c)
for target_src in "${targets[@]}"; do
    target="$(basename "$target_src" .c)"
    echo "== building $target"
    read -r -a extra <<<"$(target_sources "$target" | tr '\n' ' ')"
    read -r -a libs <<<"$(target_libs "$target")"
    clang "${cflags[@]}" -o "$out/$target" "$target_src" "${sources[@]}" "${extra[@]}" -lcjson -lwebsockets -lcrypto \
        "${libs[@]}"

    corpus="$scratch/$target"
    mkdir -p "$corpus"
    if [ -d "tests/fuzz/corpus/$target" ]; then
        cp -r "tests/fuzz/corpus/$target/." "$corpus/"
    fi
    echo "== fuzzing $target for ${seconds}s"
    if ! "$out/$target" -max_total_time="$seconds" -print_final_stats=1 \
            -artifact_prefix="$out/artifacts/$target-" "$corpus" 2>"$out/$target.log"; then
        tail -n 40 "$out/$target.log"
        failed+=("$target")
    else
        grep -E '^stat::number_of_executed_units' "$out/$target.log" || true
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]} (inputs in $out/artifacts/)" >&2
    exit 1
fi
echo "fuzzing: no crashes"
