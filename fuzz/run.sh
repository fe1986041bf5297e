#!/usr/bin/env bash
# Runs one fuzz target on stable with the project's limits (no sanitizer; add ASAN with
# RUSTC_BOOTSTRAP=1 and SANITIZER=address):
#
#   fuzz/run.sh TARGET [SECONDS] [more libFuzzer options]
#
# TARGET is el_parse, el_eval, pipeline or verify. The working corpus grows in
# fuzz/corpus/TARGET (not committed); the committed seeds (fuzz/seeds, made by make_seeds.py)
# and the dictionary are read too. Limits: 1 s per input, 512 MiB RSS. A crash or timeout
# leaves its input in fuzz/artifacts/TARGET; minimize it with `cargo fuzz tmin` and add it to
# tests/hostile/ as a regression case.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer options]}
secs=${2:-60}
shift $(( $# < 2 ? $# : 2 ))
case "$target" in
  el_parse|el_eval) seeds=seeds/el; dict=el.dict ;;
  pipeline) seeds=seeds/pipeline; dict=json.dict ;;
  verify) seeds=; dict= ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
mkdir -p "corpus/$target"
args=(-max_total_time="$secs" -rss_limit_mb=512 -timeout=1 -print_final_stats=1)
[ -n "$dict" ] && args+=(-dict="$dict")
cargo fuzz run --sanitizer "${SANITIZER:-none}" --release "$target" "corpus/$target" $seeds -- "${args[@]}" "$@"
