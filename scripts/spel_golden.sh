#!/usr/bin/env bash
# Regenerates tests/el/spel_golden.jsonl: runs every expression of tests/el/spel_input.jsonl
# through the Spring SpEL oracle (../shared/oracles/spel, Spring 4.3) with missing map keys
# reading as null, and stores each input with the oracle's answer:
#   {"expr": ..., "root": ..., "value": ..., "type": "<java class>"}  or  {..., "error": "..."}
# Needs Java and the Debian Spring packages (see the oracle's README). The tests only read the
# committed golden file; they never need Java.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
ORACLE="${SPEL_ORACLE:-$HERE/../shared/oracles/spel/run.sh}"
[ -x "$ORACLE" ] || ORACLE=/work/shared/oracles/spel/run.sh
IN="$HERE/tests/el/spel_input.jsonl"
OUT="$HERE/tests/el/spel_golden.jsonl"
TMP="$(mktemp)"
trap 'rm -f "$TMP"' EXIT
SPEL_MISSING=null "$ORACLE" < "$IN" > "$TMP"
python3 - "$IN" "$TMP" "$OUT" <<'PY'
import json, sys
inp, res, out = sys.argv[1:]
with open(inp) as a, open(res) as b, open(out, "w") as o:
    for x, y in zip(a, b):
        case = json.loads(x)
        case.update(json.loads(y))
        o.write(json.dumps(case, ensure_ascii=False) + "\n")
PY
echo "wrote $(wc -l < "$OUT") golden cases to $OUT"
