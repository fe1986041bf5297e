#!/usr/bin/env python3
"""Verify tokenmint's sample tokens with PyJWT on pyca/cryptography (written for tokenmint).

Usage: verify_pyjwt.py DIR      (DIR holds jwks.json, manifest.json and tokens/, as written by
                                 `cargo run --example interop_tokens -- DIR`)

For every manifest entry the token must be accepted if `expect` is "valid" and rejected
otherwise. Accepting means: header alg in the allow-list (never none/HS*), no crit, exactly one
JWK with the header's kid, whose alg equals the header's alg and whose use is sig; PyJWT checks
the signature, exp, iat, iss and aud; iat not in the future; for ID tokens the at_hash of the
listed access token and the c_hash of the listed code (OIDC Core 3.3.2.11). Also checks that the
JWKS has no private members. Prints one line per check and `pyjwt: N passed, M failed`; exits 1
if anything failed.
"""
import base64
import hashlib
import json
import os
import sys
import time

import jwt

ALLOWED = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
           "ES256", "ES384", "ES512", "EdDSA"}
PRIVATE = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


def half_hash(alg, text):
    """base64url of the left half of H(ascii(text)); H by the alg's size, SHA-512 for Ed25519."""
    h = hashlib.sha512 if alg == "EdDSA" else HASHES[alg[-3:]]
    digest = h(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def check(token, jwks, entry, base):
    header = jwt.get_unverified_header(token)
    alg = header.get("alg")
    if alg not in ALLOWED:
        raise ValueError(f"alg {alg!r} not allowed")
    if "crit" in header:
        raise ValueError("crit header")
    kid = header.get("kid")
    found = [k for k in jwks["keys"] if k.get("kid") == kid]
    if len(found) != 1:
        raise ValueError(f"{len(found)} keys with kid {kid!r}")
    jwk = found[0]
    if jwk.get("alg") != alg:
        raise ValueError(f"JWK alg {jwk.get('alg')} != header alg {alg}")
    if jwk.get("use") != "sig":
        raise ValueError("JWK use is not sig")
    key = jwt.PyJWK(jwk, algorithm=alg).key
    claims = jwt.decode(token, key=key, algorithms=[alg], audience=entry["aud"],
                        issuer=entry["iss"],
                        options={"require": ["exp", "iat", "iss", "aud"]})
    if claims["iat"] > time.time():
        raise ValueError("iat in the future")
    if entry["kind"] == "id":
        with open(os.path.join(base, entry["access_token"])) as f:
            access_token = f.read().strip()
        if claims.get("at_hash") != half_hash(alg, access_token):
            raise ValueError("at_hash mismatch")
        if claims.get("c_hash") != half_hash(alg, entry["code"]):
            raise ValueError("c_hash mismatch")
    return claims


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    base = sys.argv[1]
    with open(os.path.join(base, "jwks.json")) as f:
        jwks = json.load(f)
    with open(os.path.join(base, "manifest.json")) as f:
        manifest = json.load(f)
    passed = failed = 0
    leaked = [k.get("kid") for k in jwks["keys"] if PRIVATE & set(k)]
    if leaked or not jwks["keys"]:
        print(f"FAIL jwks: private members in {leaked}" if leaked else "FAIL jwks: empty")
        failed += 1
    else:
        passed += 1
    for entry in manifest:
        with open(os.path.join(base, entry["file"])) as f:
            token = f.read().strip()
        try:
            check(token, jwks, entry, base)
            got, why = "valid", ""
        except Exception as e:  # noqa: BLE001 - every rejection is a result
            got, why = "invalid", f"{type(e).__name__}: {e}"
        ok = got == entry["expect"]
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {entry['file']:<36} expect={entry['expect']:<7} "
              f"got={got:<7} {why[:90]}")
    print(f"pyjwt: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
