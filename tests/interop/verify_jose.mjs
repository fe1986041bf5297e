// Verify tokenmint's sample tokens with panva/jose on node's crypto (written for tokenmint).
//
// Usage: node verify_jose.mjs DIR   (DIR holds jwks.json, manifest.json and tokens/, as written
//                                    by `cargo run --example interop_tokens -- DIR`)
//
// Same contract as verify_pyjwt.py: every manifest entry must be accepted iff `expect` is
// "valid". jose checks the signature (key picked by kid and alg from the JWKS), the algorithm
// allow-list, exp/nbf, iss and aud; this script adds: no crit, exactly one JWK with the kid and
// its alg equal to the header's, iat not in the future, and for ID tokens at_hash/c_hash
// (OIDC Core 3.3.2.11). Prints one line per check and `jose: N passed, M failed`; exit 1 on
// any failure.
//
// Encrypted entries (`encrypted: true`) are nested JWTs: jose decrypts them (RSA-OAEP-256/384/
// 512, A256GCM only) with the key of enc_keys.json named by the header's kid, cty must be JWT,
// and the JWS inside is checked as above. Entries with a `dpop_proof` are DPoP-bound: jose
// verifies the proof with its embedded jwk (typ dpop+jwt, htm, htu, jti, iat within 300 s),
// and the token's cnf.jkt must equal jose's RFC 7638 thumbprint of that jwk.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EmbeddedJWK, calculateJwkThumbprint, compactDecrypt, createLocalJWKSet, decodeProtectedHeader,
  importJWK, jwtVerify,
} from 'jose';

const ALLOWED = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512', 'EdDSA'];
const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function halfHash(alg, text) {
  const h = alg === 'EdDSA' ? 'sha512' : `sha${alg.slice(-3)}`;
  const digest = createHash(h).update(Buffer.from(text, 'ascii')).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

async function decrypt(token, encKeys) {
  const header = decodeProtectedHeader(token);
  const found = encKeys.keys.filter((k) => k.kid === header.kid);
  if (found.length !== 1) throw new Error(`${found.length} decryption keys with kid ${header.kid}`);
  if (found[0].alg !== header.alg) throw new Error(`key alg ${found[0].alg} != ${header.alg}`);
  if (String(header.cty).toUpperCase() !== 'JWT') throw new Error(`cty ${header.cty}`);
  const key = await importJWK(found[0], header.alg);
  const { plaintext } = await compactDecrypt(token, key, {
    keyManagementAlgorithms: ['RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });
  return new TextDecoder().decode(plaintext);
}

async function checkDpop(proof, entry, payload) {
  const { payload: pc, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
    typ: 'dpop+jwt',
    algorithms: ALLOWED,
    requiredClaims: ['iat', 'jti', 'htm', 'htu'],
  });
  if (PRIVATE.some((m) => m in protectedHeader.jwk)) throw new Error('private proof jwk');
  if (pc.htm !== entry.htm || pc.htu !== entry.htu) throw new Error('proof htm/htu mismatch');
  if (Math.abs(Date.now() / 1000 - pc.iat) > 300) throw new Error('proof iat outside 300 s');
  const thumbprint = await calculateJwkThumbprint(protectedHeader.jwk, 'sha256');
  if (payload.cnf?.jkt !== thumbprint) {
    throw new Error(`cnf.jkt ${payload.cnf?.jkt} is not the proof key's ${thumbprint}`);
  }
}

async function check(token, jwks, keyset, entry, base, encKeys) {
  if (entry.encrypted) token = await decrypt(token, encKeys);
  const header = decodeProtectedHeader(token);
  if (!ALLOWED.includes(header.alg)) throw new Error(`alg ${header.alg} not allowed`);
  if ('crit' in header) throw new Error('crit header');
  const found = jwks.keys.filter((k) => k.kid === header.kid);
  if (found.length !== 1) throw new Error(`${found.length} keys with kid ${header.kid}`);
  if (found[0].alg !== header.alg) throw new Error(`JWK alg ${found[0].alg} != ${header.alg}`);
  if (found[0].use !== 'sig') throw new Error('JWK use is not sig');
  const { payload } = await jwtVerify(token, keyset, {
    issuer: entry.iss,
    audience: entry.aud,
    algorithms: ALLOWED,
    requiredClaims: ['exp', 'iat', 'iss', 'aud'],
  });
  if (payload.iat > Date.now() / 1000) throw new Error('iat in the future');
  if (entry.kind === 'id') {
    const at = readFileSync(join(base, entry.access_token), 'utf8').trim();
    if (payload.at_hash !== halfHash(header.alg, at)) throw new Error('at_hash mismatch');
    if (payload.c_hash !== halfHash(header.alg, entry.code)) throw new Error('c_hash mismatch');
  }
  if (entry.dpop_proof) {
    await checkDpop(readFileSync(join(base, entry.dpop_proof), 'utf8').trim(), entry, payload);
  } else if ('cnf' in payload) {
    throw new Error('a DPoP-bound token without its proof');
  }
  return payload;
}

const base = process.argv[2];
if (!base) {
  console.error('usage: node verify_jose.mjs DIR');
  process.exit(2);
}
const jwks = JSON.parse(readFileSync(join(base, 'jwks.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(base, 'manifest.json'), 'utf8'));
const encKeys = JSON.parse(readFileSync(join(base, 'enc_keys.json'), 'utf8'));
const keyset = createLocalJWKSet(jwks);
let passed = 0;
let failed = 0;
const leaked = jwks.keys.filter((k) => PRIVATE.some((m) => m in k)).map((k) => k.kid);
if (leaked.length || !jwks.keys.length) {
  console.log(`FAIL jwks: ${leaked.length ? `private members in ${leaked}` : 'empty'}`);
  failed += 1;
} else {
  passed += 1;
}
for (const entry of manifest) {
  const token = readFileSync(join(base, entry.file), 'utf8').trim();
  let got = 'valid';
  let why = '';
  try {
    await check(token, jwks, keyset, entry, base, encKeys);
  } catch (e) {
    got = 'invalid';
    why = `${e.code ?? e.name}: ${e.message}`;
  }
  const ok = got === entry.expect;
  if (ok) passed += 1; else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${entry.file.padEnd(36)} expect=${entry.expect.padEnd(7)} got=${got.padEnd(7)} ${why.slice(0, 90)}`);
}
console.log(`jose: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
