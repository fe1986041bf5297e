#!/usr/bin/env bash
# Independent interop check of tokenmint's tokens: mints access and ID tokens (at_hash, c_hash)
# for every algorithm with `examples/interop_tokens.rs`, encrypted access tokens (nested JWTs,
# RSA-OAEP-256/384/512 + A256GCM) and DPoP-bound access tokens with their clients' proofs, then
# verifies them — and rejects the tampered, expired, wrong-at_hash, undecryptable and
# wrongly bound ones — with verifiers nobody here wrote: PyJWT and jwcrypto on pyca/cryptography
# (tests/interop/verify_pyjwt.py) and panva/jose on node (tests/interop/verify_jose.mjs): they
# decrypt with the resource servers' keys, verify against the published JWKS, and compare
# cnf.jkt with their own RFC 7638 thumbprint of the proof's key.
#
# Needs python3 (3.11+) with venv/pip and node 20+ with npm, and access to PyPI/npm the first
# time. Packages (pinned in tests/interop/requirements.txt and package-lock.json) are installed
# into throwaway directories under target/; nothing outside target/ is written.
# Exit status 0 only if every check passed. SEED=N picks the key seed (default 2026).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/interop
VENV=target/interop-venv
NODE_DIR=target/interop-node
SEED="${SEED:-2026}"

die() { echo "interop: FAILED: $*" >&2; exit 1; }
command -v python3 >/dev/null || die "python3 not found"
command -v node >/dev/null || die "node not found"
command -v npm >/dev/null || die "npm not found"

echo "interop: minting sample tokens (seed $SEED)"
rm -rf "$OUT"
cargo run --quiet --example interop_tokens -- "$OUT" --seed "$SEED" || die "minting failed"

PYTHON="$VENV/bin/python"
if [ -f "$VENV/.target" ]; then PYTHON=python3; export PYTHONPATH="$VENV/site"; fi
if ! cmp -s tests/interop/requirements.txt "$VENV/.requirements"; then
    echo "interop: installing Python packages into $VENV"
    rm -rf "$VENV"
    if python3 -m venv "$VENV" >/dev/null 2>&1; then
        PYTHON="$VENV/bin/python"
        "$PYTHON" -m pip install --quiet --disable-pip-version-check \
            -r tests/interop/requirements.txt || die "pip install failed"
    else
        # No venv module (e.g. Debian without python3-venv): a plain --target directory.
        echo "interop: python3 -m venv unavailable; using pip install --target"
        rm -rf "$VENV"
        mkdir -p "$VENV"
        python3 -m pip install --quiet --disable-pip-version-check --target "$VENV/site" \
            -r tests/interop/requirements.txt || die "pip install --target failed"
        touch "$VENV/.target"
        PYTHON=python3
        export PYTHONPATH="$VENV/site"
    fi
    cp tests/interop/requirements.txt "$VENV/.requirements"
fi

if [ ! -d "$NODE_DIR/node_modules" ] || ! cmp -s tests/interop/package-lock.json "$NODE_DIR/package-lock.json"; then
    echo "interop: installing npm packages into $NODE_DIR"
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    cp tests/interop/package.json tests/interop/package-lock.json "$NODE_DIR/"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
fi
cp tests/interop/verify_jose.mjs "$NODE_DIR/"

passed=0
failed=0
status=0
run() {
    local name=$1; shift
    local log="$OUT/$name.log"
    if "$@" >"$log" 2>&1; then :; else status=1; fi
    grep -v '^ok ' "$log" || true
    local summary
    summary=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -n1) || true
    if [ -z "$summary" ]; then
        echo "interop: $name printed no summary"
        failed=$((failed + 1)); status=1; return
    fi
    local p f
    p=$(echo "$summary" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$summary" | sed -E 's/.*, ([0-9]+) failed/\1/')
    [ "$p" -gt 0 ] || status=1
    passed=$((passed + p)); failed=$((failed + f))
}
run pyjwt "$PYTHON" tests/interop/verify_pyjwt.py "$OUT"
run jose node "$NODE_DIR/verify_jose.mjs" "$OUT"

tokens=$(grep -c '"file"' "$OUT/manifest.json" || true)
encrypted=$(grep -c '"encrypted": true' "$OUT/manifest.json" || true)
bound=$(grep -c '"dpop_proof"' "$OUT/manifest.json" || true)
echo "interop: $tokens tokens ($encrypted encrypted, $bound DPoP-bound) x 2 verifiers (PyJWT+jwcrypto, jose) + JWKS checks"
echo "interop: $passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
    die "see $OUT/pyjwt.log and $OUT/jose.log"
fi
