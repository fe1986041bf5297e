#!/usr/bin/env python3
"""Verify tokenmint's sample tokens with PyJWT and jwcrypto on pyca/cryptography (written for
tokenmint).

Usage: verify_pyjwt.py DIR      (DIR holds jwks.json, manifest.json and tokens/, as written by
                                 `cargo run --example interop_tokens -- DIR`)

For every manifest entry the token must be accepted if `expect` is "valid" and rejected
otherwise. Accepting means: header alg in the allow-list (never none/HS*), no crit, exactly one
JWK with the header's kid, whose alg equals the header's alg and whose use is sig; PyJWT checks
the signature, exp, iat, iss and aud; iat not in the future; for ID tokens the at_hash of the
listed access token and the c_hash of the listed code (OIDC Core 3.3.2.11). Also checks that the
JWKS has no private members. Prints one line per check and `pyjwt: N passed, M failed`; exits 1
if anything failed.

Encrypted entries (`encrypted: true`) are nested JWTs: the JWE header must say enc A256GCM and
cty JWT and name a key of enc_keys.json; jwcrypto decrypts RSA-OAEP-256, and pyca/cryptography's
OAEP and AES-GCM the RSA-OAEP-384/512 ones (jwcrypto 1.6 has no such algorithms); the JWS inside
is then checked as above. Entries with a `dpop_proof` are DPoP-bound: the proof must be typ
dpop+jwt, signed by the public key in its jwk header (PyJWT), with the entry's htm and htu, a
jti and a recent iat, and the token's cnf.jkt must equal the RFC 7638 thumbprint of that key
as jwcrypto computes it.
"""
import base64
import hashlib
import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk

ALLOWED = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
           "ES256", "ES384", "ES512", "EdDSA"}
PRIVATE = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


def half_hash(alg, text):
    """base64url of the left half of H(ascii(text)); H by the alg's size, SHA-512 for Ed25519."""
    h = hashlib.sha512 if alg == "EdDSA" else HASHES[alg[-3:]]
    digest = h(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


OAEP_HASHES = {"RSA-OAEP-384": hashes.SHA384, "RSA-OAEP-512": hashes.SHA512}


def decrypt(token, enc_keys):
    """The JWS inside a nested JWT."""
    parts = token.split(".")
    if len(parts) != 5:
        raise ValueError(f"{len(parts)} segments, not a compact JWE")
    header = json.loads(b64url_decode(parts[0]))
    if header.get("enc") != "A256GCM":
        raise ValueError(f"enc {header.get('enc')!r}")
    if str(header.get("cty", "")).upper() != "JWT":
        raise ValueError(f"cty {header.get('cty')!r}, not a nested JWT")
    if "zip" in header or "crit" in header:
        raise ValueError("zip or crit")
    found = [k for k in enc_keys["keys"] if k.get("kid") == header.get("kid")]
    if len(found) != 1:
        raise ValueError(f"{len(found)} decryption keys with kid {header.get('kid')!r}")
    key = jwcrypto_jwk.JWK(**found[0])
    alg = header.get("alg")
    if found[0].get("alg") != alg:
        raise ValueError(f"key alg {found[0].get('alg')} != {alg}")
    if alg == "RSA-OAEP-256":
        obj = jwcrypto_jwe.JWE()
        obj.deserialize(token, key=key)
        return obj.payload.decode("ascii")
    if alg not in OAEP_HASHES:
        raise ValueError(f"JWE alg {alg!r} not accepted")
    pem = key.export_to_pem(private_key=True, password=None)
    private = serialization.load_pem_private_key(pem, password=None)
    h = OAEP_HASHES[alg]()
    cek = private.decrypt(b64url_decode(parts[1]), padding.OAEP(
        mgf=padding.MGF1(algorithm=h), algorithm=h, label=None))
    iv, ct, tag = (b64url_decode(p) for p in parts[2:])
    return AESGCM(cek).decrypt(iv, ct + tag, parts[0].encode("ascii")).decode("ascii")


def check_dpop(proof, entry, claims):
    """The DPoP proof of a bound token, and the binding."""
    header = jwt.get_unverified_header(proof)
    if header.get("typ") != "dpop+jwt":
        raise ValueError(f"proof typ {header.get('typ')!r}")
    alg = header.get("alg")
    if alg not in ALLOWED:
        raise ValueError(f"proof alg {alg!r} not allowed")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or PRIVATE & set(jwk):
        raise ValueError("proof jwk missing or private")
    key = jwt.PyJWK(jwk, algorithm=alg).key
    pc = jwt.decode(proof, key=key, algorithms=[alg],
                    options={"require": ["iat", "jti", "htm", "htu"], "verify_aud": False})
    if pc["htm"] != entry["htm"] or pc["htu"] != entry["htu"]:
        raise ValueError("proof htm/htu mismatch")
    if abs(time.time() - pc["iat"]) > 300:
        raise ValueError("proof iat outside 300 s")
    thumbprint = jwcrypto_jwk.JWK(**jwk).thumbprint()
    cnf = claims.get("cnf")
    if not isinstance(cnf, dict) or cnf.get("jkt") != thumbprint:
        raise ValueError(f"cnf.jkt {cnf!r} is not the proof key's thumbprint {thumbprint}")


def check(token, jwks, entry, base, enc_keys):
    if entry.get("encrypted"):
        token = decrypt(token, enc_keys)
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
    if "dpop_proof" in entry:
        with open(os.path.join(base, entry["dpop_proof"])) as f:
            check_dpop(f.read().strip(), entry, claims)
    elif "cnf" in claims:
        raise ValueError("a DPoP-bound token without its proof")
    return claims


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    base = sys.argv[1]
    with open(os.path.join(base, "jwks.json")) as f:
        jwks = json.load(f)
    with open(os.path.join(base, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(base, "enc_keys.json")) as f:
        enc_keys = json.load(f)
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
            check(token, jwks, entry, base, enc_keys)
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
