#!/usr/bin/env bash
# libFuzzer targets for the hand-written parsers (FuzzTesting/, see its README.md).
#
#   Scripts/fuzz.sh --list                     the target names, one a line
#   Scripts/fuzz.sh TARGET SECONDS [ARGS…]     builds if needed, runs TARGET for SECONDS; ARGS go to libFuzzer
#   Scripts/fuzz.sh --all SECONDS              runs every target for SECONDS each (what CI does, briefly)
#   Scripts/fuzz.sh --regressions              runs every target on its FailCases/ only
#   Scripts/fuzz.sh --build                    only builds
#
# A run starts from the target's seed corpus (FuzzTesting/Corpus/TARGET) and every input that once failed
# (FuzzTesting/FailCases/TARGET), with its dictionary, and writes what it finds to a temporary corpus, so the repository
# is left as it was; TABLECAST_FUZZ_KEEP_CORPUS=1 merges the new inputs into the seed corpus afterwards. It exits
# non-zero on a crash, a broken property, a leak, a timeout (10 s for one input) or an input over 2 GB of memory, and
# prints the path of the input that did it (kept under .build-fuzz/artifacts/TARGET/). TABLECAST_FUZZ_NICE=N runs the
# build and the fuzzer under `nice -n N`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$root/FuzzTesting"
scratch="$root/.build-fuzz"
targets=(
    FuzzEngineIOPacket
    FuzzSocketIOPacket
    FuzzJSON
    FuzzEngineIOQuery
    FuzzRequestBody
    FuzzJournalLine
    FuzzLoadClient
    FuzzRedisAdapter
)

# Swift's own crash backtracer reads the crashed process's memory, which the address sanitizer reports, and can
# outlive the process; libFuzzer prints the stack of a crash itself.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
# What one-time initializers of globals allocate is not a leak (see the file).
export LSAN_OPTIONS="suppressions=$fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

nice_prefix=()
if [ -n "${TABLECAST_FUZZ_NICE:-}" ]; then
    nice_prefix=(nice -n "$TABLECAST_FUZZ_NICE")
fi

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

is_target() {
    local name
    for name in "${targets[@]}"; do
        [ "$name" = "$1" ] && return 0
    done
    return 1
}

# The root package's system libraries (CSQLite, CHiredis) need SQLite's and hiredis's headers and pkg-config, as in Scripts/test.sh. libFuzzer
# and the address sanitizer come with the Swift toolchain.
install_packages() {
    local missing=()
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
    pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
    fi
}

# SwiftPM's --sanitize flags link the runtimes and leave libFuzzer's main alone, but they reach swiftc as two
# -sanitize= flags, of which it keeps the last: -sanitize=fuzzer,address after them instruments for both.
swift_build() {
    "${nice_prefix[@]}" swift build -c debug --package-path "$fuzz" --scratch-path "$scratch" \
        --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library "$@"
}

built=""
build() {
    [ -n "$built" ] && return 0
    install_packages
    echo "building the fuzz targets (debug, -sanitize=fuzzer,address) in $scratch"
    swift_build
    built="$(swift_build --show-bin-path)"
}

# run TARGET SECONDS [ARGS…]: one fuzzing run; its exit status is libFuzzer's.
run() {
    local target="$1" seconds="$2"
    shift 2
    build
    local work artifacts log status=0
    work="$(mktemp -d "${TMPDIR:-/tmp}/tablecast-fuzz-$target.XXXXXX")"
    artifacts="$scratch/artifacts/$target"
    mkdir -p "$work/corpus" "$artifacts" "$fuzz/FailCases/$target"
    log="$work/fuzz.log"
    echo "fuzzing $target for $seconds s (corpus in $work/corpus)"
    # The whole output goes to the log; the terminal gets the start, the end, the stats and any failure.
    set +e
    "${nice_prefix[@]}" "$built/$target" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -dict="$fuzz/Dictionaries/$target.dict" -artifact_prefix="$artifacts/" \
        "$@" "$work/corpus" "$fuzz/Corpus/$target" "$fuzz/FailCases/$target" 2>&1 | tee "$log" \
        | grep --line-buffered -vE '^#[0-9]+ +(NEW|REDUCE|pulse|RELOAD) '
    status="${PIPESTATUS[0]}"
    set -e
    if [ "$status" -ne 0 ]; then
        echo "FAILED: $target (libFuzzer exit $status); full log: $log"
        grep -E 'Test unit written to' "$log" | sed 's/.*Test unit written to /crashing input: /' || true
        echo "keep it as a regression: cp <crashing input> $fuzz/FailCases/$target/"
        return "$status"
    fi
    if [ "${TABLECAST_FUZZ_KEEP_CORPUS:-}" = "1" ]; then
        "${nice_prefix[@]}" "$built/$target" -merge=1 "$fuzz/Corpus/$target" "$work/corpus" >/dev/null 2>&1
        echo "merged new inputs into $fuzz/Corpus/$target"
    fi
    rm -rf "$work"
    return 0
}

case "${1:-}" in
    --list)
        printf '%s\n' "${targets[@]}"
        ;;
    --build)
        build
        ;;
    --all)
        [ $# -eq 2 ] || usage
        failed=()
        for target in "${targets[@]}"; do
            run "$target" "$2" || failed+=("$target")
        done
        if [ ${#failed[@]} -gt 0 ]; then
            echo "fuzzing failed: ${failed[*]}"
        fi
        echo "fuzz: $(( ${#targets[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
        [ ${#failed[@]} -eq 0 ]
        ;;
    --regressions)
        build
        for target in "${targets[@]}"; do
            shopt -s nullglob
            cases=("$fuzz/FailCases/$target"/*)
            shopt -u nullglob
            [ ${#cases[@]} -eq 0 ] && continue
            echo "regressions: $target (${#cases[@]} inputs)"
            "${nice_prefix[@]}" "$built/$target" "${cases[@]}" >/dev/null 2>&1 \
                || { echo "FAILED: $target on its FailCases"; exit 1; }
        done
        echo "regressions passed"
        ;;
    ""|-h|--help)
        usage
        ;;
    *)
        is_target "$1" || { echo "unknown target '$1'; Scripts/fuzz.sh --list names them" >&2; exit 2; }
        [ $# -ge 2 ] || usage
        run "$@"
        ;;
esac
