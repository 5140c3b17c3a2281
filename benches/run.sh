#!/usr/bin/env bash
# The whole-build benchmark of kbc (see BENCHMARKS.md): generates N-article knowledge bases from the
# dev corpus and measures, side by side on this machine, the floor (pulldown-cmark rendering the same
# files to HTML, nothing else), kbc's full build with and without the search index, a no-op rebuild, a
# rebuild after one file changed, peak RSS, and mdBook on the same articles. Prints Markdown tables.
#
#   benches/run.sh [N...]            # default: 1000 2000 10000
#
# Environment:
#   REPEAT=3        runs of each measurement; the table shows the fastest (and the largest RSS)
#   EDITS=5         edits made in the watch loop
#   MDBOOK_MAX=2000   largest base mdBook builds (quadratic output: at 10,000 it ran over 11 minutes); 0 skips it
#   KEEP=1          keep the generated bases and outputs in target/bench-kb/ (default: outputs removed)
#
# Bases are generated once into target/bench-kb/kb-N/ and reused; delete the folder to regenerate.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 2000 10000)
REPEAT=${REPEAT:-3}
EDITS=${EDITS:-5}
MDBOOK_MAX=${MDBOOK_MAX:-2000}
OUT=target/bench-kb
mkdir -p "$OUT"
LOG="$OUT/run.log"
: >"$LOG"

say() { echo "$*" >&2; }

# park PATH: moves a previous output out of the way instead of deleting it. Deleting thousands of
# files right before a build made ext4 scan its recently freed inodes on every file the build
# created (`recently_deleted` in the kernel profile): up to twice the wall time, and noise. Parked
# outputs are deleted when the benchmark ends.
PARKED=$OUT/parked
park() {
    if [ -e "$1" ]; then
        mkdir -p "$PARKED"
        mv "$1" "$PARKED/$(date +%s%N)"
    fi
}
trap 'rm -rf "$PARKED"' EXIT

if ! /usr/bin/time -f '' true 2>/dev/null; then
    say "installing GNU time (for peak RSS)"
    sudo apt-get install -y time >&2 || apt-get install -y time >&2
fi
if [ "$MDBOOK_MAX" -gt 0 ] && ! command -v mdbook >/dev/null; then
    say "installing mdbook (cargo install mdbook --locked; compiling takes a while)"
    cargo install mdbook --locked >&2
fi

say "building kbc and the benchmark tools (release)"
cargo build --release --bin kbc >&2
KBC=$PWD/target/release/kbc
KB=$(cargo bench --bench kb --no-run 2>&1 | tee -a "$LOG" | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)
[ -x "$KB" ] || { say "could not find the kb benchmark tool"; exit 2; }

# measure NAME CMD...: runs CMD REPEAT times (output to the log); sets WALL (fastest, seconds) and
# RSS (largest peak, MiB). A failing command stops the benchmark.
measure() {
    local name=$1
    shift
    WALL=
    RSS=0
    local i
    for ((i = 0; i < REPEAT; i++)); do
        [ -z "${BEFORE:-}" ] || eval "$BEFORE"
        local start end status=0
        start=$(date +%s%N)
        /usr/bin/time -f '%M' -o "$OUT/time.txt" "$@" >>"$LOG" 2>&1 || status=$?
        end=$(date +%s%N)
        if [ "$status" -ne 0 ]; then
            say "$name failed (exit $status): $*; see $LOG"
            tail -20 "$LOG" >&2
            exit 2
        fi
        local wall rss
        wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')
        rss=$(awk '/^[0-9]+$/ { printf "%d", $1 / 1024 }' "$OUT/time.txt")
        echo "## $name run $((i + 1)): ${wall} s, ${rss} MiB, exit $status" >>"$LOG"
        say "  $name: ${wall} s, ${rss} MiB"
        if [ -z "$WALL" ] || awk -v a="$wall" -v b="$WALL" 'BEGIN { exit !(a < b) }'; then WALL=$wall; fi
        [ "$rss" -le "$RSS" ] || RSS=$rss
    done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
ms_per() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.3f", t * 1000 / n }'; }

TABLE="| articles | Markdown | floor | floor (2 threads) | kbc, no search | kbc, full | no-op rebuild | one file changed | peak RSS, full | kbc output | mdBook | mdBook output |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
WATCH="| articles | preview | rebuild in place | preview + rebuild | edit to twin (fastest-slowest) | follow-up build |
|---:|---:|---:|---:|---:|---:|"
RATIOS="| articles | no search / floor | full / floor | no-op / full | mdBook / full | full, ms per article | no search, ms per article |
|---:|---:|---:|---:|---:|---:|---:|"

for n in "${SIZES[@]}"; do
    dir=$OUT/kb-$n
    if [ ! -f "$dir/book.toml" ]; then
        rm -rf "$dir"
        say "generating $dir"
        "$KB" gen "$n" "$dir" >&2
    fi
    articles=$(grep -c '^  - \[' "$dir/mdbook/src/SUMMARY.md")
    mb=$(find "$dir/content" -iname '*.md' -print0 | du -cb --files0-from=- | awk 'END { printf "%.1f MB", $1 / 1e6 }')
    say "== $n articles ($mb of Markdown)"

    BEFORE="park '$dir/floor'"
    measure floor "$KB" floor "$dir/content" "$dir/floor"
    floor=$WALL
    measure floor-parallel "$KB" floor "$dir/content" "$dir/floor" --parallel
    floor_par=$WALL

    BEFORE="park '$dir/nosearch/book'"
    measure kbc-no-search "$KBC" build -q "$dir/nosearch"
    nosearch=$WALL
    BEFORE="park '$dir/book'"
    measure kbc-full "$KBC" build -q "$dir"
    full=$WALL
    full_rss=$RSS
    out_size=$(du -sh "$dir/book" | cut -f1)

    BEFORE=
    measure kbc-no-op "$KBC" build -q "$dir"
    noop=$WALL

    # One article changes: a line appended (restored afterwards, so the base stays as generated).
    changed=$(find "$dir/content/r0000" -name 'troubleshooting-sign-in-errors-for-admins-r0000.md' | head -1)
    cp "$changed" "$OUT/changed.orig"
    BEFORE="echo \"Edited at \$(date +%s%N).\" >>'$changed'"
    measure kbc-one-file "$KBC" build -q "$dir"
    onefile=$WALL
    cp "$OUT/changed.orig" "$changed"
    BEFORE=

    # The watch loop on the same edit, EDITS times, one edit as soon as the last one's rebuild
    # reported (so each edit also interrupts the follow-up build of the one before), as
    # `kbc watch -v` reports it: the preview (the page in place), the rebuild in place (every
    # output of the article, and the diagnostics of the whole book), and from outside, the time
    # from writing the file to its Markdown twin (written after the page) holding the edit, which
    # includes the 100 ms debounce. Then the follow-up build that refreshes the files made from
    # every article (search index, JSONL, llms files), once the writer pauses.
    watch_log=$OUT/watch.log
    twin=$dir/book/${changed#"$dir/content/"}
    "$KBC" watch -v "$dir" >"$watch_log" 2>&1 &
    watch_pid=$!
    until grep -q '^watching' "$watch_log"; do sleep 1; done
    edits=()
    for ((i = 0; i < EDITS; i++)); do
        done_before=$(grep -c 'articles (' "$watch_log" || true)
        stamp=$(date +%s%N)
        echo "Edited at $stamp." >>"$changed"
        until grep -q "Edited at $stamp" "$twin" 2>/dev/null; do sleep 0.002; done
        edits+=("$(awk -v s="$stamp" -v e="$(date +%s%N)" 'BEGIN { printf "%.0f", (e - s) / 1e6 }')")
        until [ "$(grep -c 'articles (' "$watch_log" || true)" -gt "$done_before" ]; do sleep 0.1; done
    done
    # The follow-up build after the last edit (its search index is the slow part).
    until grep -q '^search index and whole-book files updated' "$watch_log"; do sleep 1; done
    kill "$watch_pid"
    wait "$watch_pid" 2>/dev/null || true
    cp "$OUT/changed.orig" "$changed"
    # Durations as Rust prints them (`850.00µs`, `15.83ms`, `1.20s`), in milliseconds.
    to_ms() { awk '{ v = $0 + 0; if ($0 ~ /µs$/) v /= 1000; else if ($0 ~ /[0-9]s$/) v *= 1000; printf "%.1f\n", v }'; }
    preview=$(sed -n 's/^previewed .* (\([0-9.]*[µm]*s\)).*/\1/p' "$watch_log" | to_ms | sort -n | head -1)
    in_place=$(sed -n 's/^updated in place in \([0-9.]*[µm]*s\);.*/\1/p' "$watch_log" | to_ms | sort -n | head -1)
    edit_to_twin=$(printf '%s\n' "${edits[@]}" | sort -n | head -1)
    edit_to_twin_max=$(printf '%s\n' "${edits[@]}" | sort -n | tail -1)
    follow_up=$(sed -n 's/^search index and whole-book files updated (\([0-9.]*[µm]*s\)).*/\1/p' "$watch_log" | to_ms | tail -1)
    follow_up=$(awk -v v="$follow_up" 'BEGIN { printf "%.1f", v / 1000 }')
    say "  watch: preview ${preview:--} ms, in place ${in_place:--} ms, edit to twin ${edit_to_twin}-${edit_to_twin_max} ms, follow-up ${follow_up} s"

    mdbook=- mdbook_out=- mdbook_ratio=-
    if [ "$n" -le "$MDBOOK_MAX" ]; then
        BEFORE="park '$dir/mdbook/book'"
        measure mdbook mdbook build "$dir/mdbook"
        mdbook="$WALL s"
        mdbook_out=$(du -sh "$dir/mdbook/book" | cut -f1)
        mdbook_ratio=$(ratio "$WALL" "$full")
        BEFORE=
    fi

    TABLE+="
| $articles | $mb | $floor s | $floor_par s | $nosearch s | $full s | $noop s | $onefile s | $full_rss MiB | $out_size | $mdbook | $mdbook_out |"
    WATCH+="
| $articles | ${preview:--} ms | ${in_place:--} ms | $(awk -v a="${preview:-0}" -v b="${in_place:-0}" 'BEGIN { printf "%.1f", a + b }') ms | ${edit_to_twin}-${edit_to_twin_max} ms | ${follow_up} s |"
    RATIOS+="
| $articles | $(ratio "$nosearch" "$floor") | $(ratio "$full" "$floor") | $(ratio "$noop" "$full") | $mdbook_ratio | $(ms_per "$full" "$articles") | $(ms_per "$nosearch" "$articles") |"

    if [ -z "${KEEP:-}" ]; then
        for d in "$dir/floor" "$dir/book" "$dir/nosearch/book" "$dir/mdbook/book"; do park "$d"; done
    fi
done

cat <<EOF

Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg) at the end.
kbc $(git rev-parse --short HEAD), $("$KBC" --version 2>/dev/null || true), $(mdbook --version 2>/dev/null || echo "mdbook absent"). Fastest of $REPEAT runs; times are wall clock.

$TABLE

$RATIOS

The watch loop (\`kbc watch -v\`), fastest of $EDITS edits of one article:

$WATCH
EOF
