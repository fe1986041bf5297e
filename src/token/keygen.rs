//! Key generation from the caller's RNG, so that a seeded RNG gives byte-identical keys.
//!
//! RSA keys (2048 bits) come from the RustCrypto `rsa` crate driven by a ChaCha20 generator
//! seeded with 32 bytes of the caller's RNG (`rsa` 0.10 draws from `rand_core` 0.10; the ChaCha
//! bridges the two versions); EC private scalars are drawn from the caller's RNG (64 extra bits,
//! reduced modulo the group order) and Ed25519 keys are 32 bytes of it. Every key is then held
//! by OpenSSL.

use super::alg::Algorithm;
use super::error::KeyError;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use rand::CryptoRng;

/// Generates a private key for `alg` from the caller's RNG.
pub(super) fn generate_pkey(
    alg: Algorithm,
    rng: &mut impl CryptoRng,
) -> Result<PKey<Private>, KeyError> {
    match alg.key_type() {
        "RSA" => {
            use rand_chacha_010::ChaCha20Rng as Chacha010;
            use rand_chacha_010::rand_core::SeedableRng as _;
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let mut seed = [0u8; 32];
            rng.fill_bytes(&mut seed);
            let mut bridge = Chacha010::from_seed(seed);
            let key = rsa::PrivateKey::new(&mut bridge, 2048)
                .map_err(|e| KeyError::crypto("RSA key generation", e))?;
            let der = key
                .to_pkcs1_der()
                .map_err(|e| KeyError::crypto("RSA key encoding", e))?;
            let rsa = Rsa::private_key_from_der(der.as_bytes())
                .map_err(|e| KeyError::crypto("RSA key loading", e))?;
            PKey::from_rsa(rsa).map_err(|e| KeyError::crypto("RSA key loading", e))
        }
        "EC" => {
            let err = |e| KeyError::crypto("EC key generation", e);
            let nid = alg.ec_nid().unwrap_or(Nid::X9_62_PRIME256V1);
            let group = EcGroup::from_curve_name(nid).map_err(err)?;
            let mut ctx = BigNumContext::new().map_err(err)?;
            let mut order = BigNum::new().map_err(err)?;
            group.order(&mut order, &mut ctx).map_err(err)?;
            // 64 more bits than the order makes the bias of the reduction negligible.
            let order_len = usize::try_from(order.num_bytes())
                .map_err(|e| KeyError::crypto("EC key generation", e))?;
            let mut bytes = vec![0u8; order_len + 8];
            // A zero scalar is (for a working RNG) practically impossible; a few retries, then
            // an error rather than a hang with a broken RNG.
            for _ in 0..8 {
                rng.fill_bytes(&mut bytes);
                let wide = BigNum::from_slice(&bytes).map_err(err)?;
                let mut d = BigNum::new().map_err(err)?;
                d.nnmod(&wide, &order, &mut ctx).map_err(err)?;
                if d.num_bits() > 0 {
                    return ec_pkey(&group, d).map_err(err);
                }
            }
            Err(KeyError::crypto(
                "EC key generation",
                "the RNG produced only zero scalars",
            ))
        }
        _ => {
            let mut seed = [0u8; 32];
            rng.fill_bytes(&mut seed);
            PKey::private_key_from_raw_bytes(&seed, Id::ED25519)
                .map_err(|e| KeyError::crypto("Ed25519 key generation", e))
        }
    }
}

pub(super) fn ec_pkey(
    group: &EcGroup,
    d: BigNum,
) -> Result<PKey<Private>, openssl::error::ErrorStack> {
    let mut ctx = BigNumContext::new()?;
    let mut point = EcPoint::new(group)?;
    point.mul_generator2(group, &d, &mut ctx)?;
    let ec = EcKey::from_private_components(group, &d, &point)?;
    ec.check_key()?;
    PKey::from_ec_key(ec)
}
