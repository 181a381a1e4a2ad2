//! The one Ed25519 verification rule of psephos (docs/spec.md §7.4), used by the board, the
//! verifier, the trustees' audit and the voter clients for every signature they check: ballot
//! signatures by credentials, and checkpoints and receipts by the board key.
//!
//! **Cofactored** verification, as in ZIP-215 and Chalkias, Garillot and Nikolaenko, "Taming
//! the many EdDSAs" (SSR 2020), but with canonical encodings required:
//!
//! * the key `A` is the canonical encoding of a curve point that is not of small order;
//! * `R` (the signature's first 32 bytes) is the canonical encoding of a curve point;
//! * `s` (its last 32 bytes, little-endian) is below the group order ℓ;
//! * with `k = SHA-512(R ‖ A ‖ M) mod ℓ`: `[8](s·B − R − k·A)` is the identity.
//!
//! "Canonical" means the bytes equal the compression of the point they decode to: `y` (the low
//! 255 bits) is below p = 2²⁵⁵ − 19, and the sign bit is 0 when `x` = 0.
//!
//! Why cofactored and not the strict rule (the cofactorless `s·B = R + k·A`, refusing a
//! small-order component in `R`): the strict rule cannot be batched without checking each `R`
//! for torsion first, a variable-base scalar multiplication per signature; the cofactored
//! equation is implied by, and implies with overwhelming probability, its random linear
//! combination, so [`verify`] and [`verify_batch`] accept exactly the same signatures at the
//! cost of three doublings. With `s` < ℓ and canonical `R` required, nobody but the key's
//! holder can vary a signature (a new `R` changes `k`; for the same `R` the equation fixes `s`);
//! what differs from the strict rule is only that the holder may put a small-order component in
//! `R`, which every party now accepts alike (spec §7.4.1).
//!
//! Signing stays with `ed25519-dalek` (RFC 8032); its signatures pass this rule.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha512};
use thiserror::Error;

/// Why a signature (or its key) is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// The key's 32 bytes are not the canonical encoding of a curve point.
    #[error("the public key is not the canonical encoding of an Ed25519 curve point")]
    KeyEncoding,
    /// The key is a point of small order (it would verify forged signatures).
    #[error("the public key is a point of small order")]
    SmallOrderKey,
    /// `R` is not the canonical encoding of a curve point.
    #[error("the signature's R is not the canonical encoding of an Ed25519 curve point")]
    REncoding,
    /// `s` is not below the group order ℓ.
    #[error("the signature's s is not reduced modulo the group order")]
    SNotCanonical,
    /// `[8](s·B − R − k·A)` is not the identity.
    #[error("the signature does not verify")]
    Equation,
}

/// An Ed25519 public key accepted by the rule: canonical, on the curve, not of small order.
/// Decoding costs a point decompression, so callers that check many signatures by one key (the
/// verifier's roll) decode it once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey {
    bytes: [u8; 32],
    point: EdwardsPoint,
}

impl PublicKey {
    /// Decodes and checks a key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, SignatureError> {
        let point = decode_canonical(bytes).ok_or(SignatureError::KeyEncoding)?;
        if point.is_small_order() {
            return Err(SignatureError::SmallOrderKey);
        }
        Ok(PublicKey {
            bytes: *bytes,
            point,
        })
    }

    /// The key's encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

/// Whether `bytes` is the canonical encoding of a field element `y` and a sign bit: `y` < p,
/// and the sign bit clear when `x` = 0 (`y` = 1 or `y` = p − 1, the only curve points with
/// `x` = 0). Equal to "decompress, then compress gives `bytes` back" for every encoding that
/// decompresses (a test checks the edge cases against that definition).
fn is_canonical_encoding(bytes: &[u8; 32]) -> bool {
    let sign = bytes[31] >> 7;
    let mut y = *bytes;
    y[31] &= 0x7f;
    // p = 2^255 - 19 = ed ff .. ff 7f (little-endian); y >= p iff the top 247 bits are all
    // ones and the low byte is at least 0xed.
    let high_all_ones = y[1..31].iter().all(|&b| b == 0xff) && y[31] == 0x7f;
    if high_all_ones && y[0] >= 0xed {
        return false;
    }
    if sign == 1 {
        let is_one = y[0] == 1 && y[1..].iter().all(|&b| b == 0);
        let is_minus_one = high_all_ones && y[0] == 0xec;
        if is_one || is_minus_one {
            return false;
        }
    }
    true
}

/// Decompresses a canonical encoding (`None`: non-canonical, or not on the curve).
fn decode_canonical(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    if !is_canonical_encoding(bytes) {
        return None;
    }
    CompressedEdwardsY(*bytes).decompress()
}

/// `R` and `s` of a signature, checked for canonical encodings.
fn parse_signature(signature: &[u8; 64]) -> Result<(EdwardsPoint, Scalar), SignatureError> {
    let mut r_bytes = [0u8; 32];
    r_bytes.copy_from_slice(&signature[..32]);
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&signature[32..]);
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))
        .ok_or(SignatureError::SNotCanonical)?;
    let r = decode_canonical(&r_bytes).ok_or(SignatureError::REncoding)?;
    Ok((r, s))
}

/// k = SHA-512(R ‖ A ‖ M) mod ℓ (RFC 8032 §5.1.7).
fn challenge(signature: &[u8; 64], key: &PublicKey, message: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(&signature[..32]);
    h.update(key.bytes);
    h.update(message);
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&h.finalize());
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// Verifies one signature under a decoded key.
pub fn verify_with(
    key: &PublicKey,
    message: &[u8],
    signature: &[u8; 64],
) -> Result<(), SignatureError> {
    let (r, s) = parse_signature(signature)?;
    let k = challenge(signature, key, message);
    // s·B − k·A − R, then the factor 8.
    let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-key.point, &s);
    if (sb_minus_ka - r).mul_by_cofactor().is_identity() {
        Ok(())
    } else {
        Err(SignatureError::Equation)
    }
}

/// Verifies one signature: the key's 32 bytes, the message, the signature's 64 bytes.
pub fn verify(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Result<(), SignatureError> {
    verify_with(&PublicKey::from_bytes(key)?, message, signature)
}

/// One signature of a batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchItem<'a> {
    /// The signer's decoded key.
    pub key: &'a PublicKey,
    /// The signed message.
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a [u8; 64],
}

/// Whether every signature of the batch verifies: one multiscalar multiplication,
/// `[8](−(Σ zᵢsᵢ)·B + Σ zᵢ·Rᵢ + Σ (zᵢkᵢ)·Aᵢ) = identity`, with independent random 128-bit
/// weights zᵢ from the OS. True when each [`verify_with`] would accept; when one would refuse,
/// true with probability at most 2⁻¹²⁸ (the weights are drawn after the signatures are fixed).
/// An empty batch verifies.
pub fn verify_batch(items: &[BatchItem<'_>]) -> bool {
    if items.is_empty() {
        return true;
    }
    let mut weights = vec![0u8; 16 * items.len()];
    OsRng.fill_bytes(&mut weights);
    let mut scalars = Vec::with_capacity(2 * items.len() + 1);
    let mut points = Vec::with_capacity(2 * items.len() + 1);
    scalars.push(Scalar::ZERO);
    points.push(ED25519_BASEPOINT_POINT);
    let mut b_coefficient = Scalar::ZERO;
    for (item, weight) in items.iter().zip(weights.chunks_exact(16)) {
        let Ok((r, s)) = parse_signature(item.signature) else {
            return false;
        };
        let mut z_bytes = [0u8; 16];
        z_bytes.copy_from_slice(weight);
        let z = Scalar::from(u128::from_le_bytes(z_bytes));
        let k = challenge(item.signature, item.key, item.message);
        b_coefficient += z * s;
        scalars.push(z);
        points.push(r);
        scalars.push(z * k);
        points.push(item.key.point);
    }
    scalars[0] = -b_coefficient;
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points)
        .mul_by_cofactor()
        .is_identity()
}

/// The verdict on each signature of `items`, in order: one batch, and only if it fails each
/// signature alone (so a bad signature costs its batch one more pass, never a wrong verdict).
pub fn verify_each(items: &[BatchItem<'_>]) -> Vec<Result<(), SignatureError>> {
    if verify_batch(items) {
        return vec![Ok(()); items.len()];
    }
    items
        .iter()
        .map(|item| verify_with(item.key, item.message, item.signature))
        .collect()
}

/// For tests of the rule: an RFC 8032 signature by the key with secret seed `seed`, except
/// that the small-order point `EIGHT_TORSION[torsion % 8]` is added to `R` (and `k` computed
/// with the new `R`). The strict rule refuses it for any torsion but the identity; this rule
/// accepts it. Anyone holding a key can make these, so nothing secret is involved.
#[doc(hidden)]
pub fn sign_with_torsion(seed: &[u8; 32], message: &[u8], torsion: usize) -> [u8; 64] {
    use curve25519_dalek::constants::EIGHT_TORSION;
    let expanded: [u8; 64] = Sha512::digest(seed).into();
    let mut lower = [0u8; 32];
    lower.copy_from_slice(&expanded[..32]);
    let a = Scalar::from_bytes_mod_order(curve25519_dalek::scalar::clamp_integer(lower));
    let public = EdwardsPoint::mul_base(&a).compress().to_bytes();
    let mut h = Sha512::new();
    h.update(&expanded[32..]);
    h.update(message);
    let r = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let r_point = EdwardsPoint::mul_base(&r) + EIGHT_TORSION[torsion % 8];
    let r_bytes = r_point.compress().to_bytes();
    let mut h = Sha512::new();
    h.update(r_bytes);
    h.update(public);
    h.update(message);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let s = r + k * a;
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(&r_bytes);
    signature[32..].copy_from_slice(s.as_bytes());
    signature
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: decompresses, and compressing gives the same bytes.
    fn round_trips(bytes: &[u8; 32]) -> Option<bool> {
        CompressedEdwardsY(*bytes)
            .decompress()
            .map(|p| p.compress().to_bytes() == *bytes)
    }

    /// Every encoding that can be non-canonical (y ≥ p, or x = 0 with the sign bit) and their
    /// canonical neighbours: the byte test agrees with the round trip wherever a point decodes.
    #[test]
    fn canonical_test_matches_round_trip() {
        let mut candidates = Vec::new();
        for low in 0u8..=255 {
            for sign in [0u8, 0x80] {
                let mut small = [0u8; 32];
                small[0] = low;
                small[31] = sign;
                candidates.push(small);
                let mut high = [0xffu8; 32];
                high[0] = low;
                high[31] = 0x7f | sign;
                candidates.push(high);
            }
        }
        let mut decoded = 0;
        let mut refused = 0;
        for bytes in candidates {
            if let Some(canonical) = round_trips(&bytes) {
                decoded += 1;
                assert_eq!(is_canonical_encoding(&bytes), canonical, "{bytes:02x?}");
                if !canonical {
                    refused += 1;
                }
            }
        }
        assert!(decoded > 20 && refused >= 4, "{decoded} {refused}");
    }

    #[test]
    fn random_points_are_canonical() {
        let mut rng = OsRng;
        for _ in 0..64 {
            let p = EdwardsPoint::mul_base(&Scalar::random(&mut rng));
            assert!(is_canonical_encoding(&p.compress().to_bytes()));
        }
    }
}
