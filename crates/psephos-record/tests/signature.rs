//! The one Ed25519 rule (spec §7.4, `psephos_record::signature`): torsion signatures accepted,
//! single and batch verification in agreement, every non-canonical or small-order component
//! refused, and the known-answer file `tests/vectors/ed25519.json`.

use std::path::PathBuf;

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::{clamp_integer, Scalar};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use psephos_record::signature::{
    sign_with_torsion, verify, verify_batch, verify_each, verify_with, BatchItem, PublicKey,
    SignatureError,
};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use sha2::{Digest, Sha512};

/// ℓ, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The secret scalar a of an RFC 8032 seed.
fn secret_scalar(seed: &[u8; 32]) -> Scalar {
    let expanded: [u8; 64] = Sha512::digest(seed).into();
    let mut lower = [0u8; 32];
    lower.copy_from_slice(&expanded[..32]);
    Scalar::from_bytes_mod_order(clamp_integer(lower))
}

fn k_of(r: &[u8; 32], a: &[u8; 32], m: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(m);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

/// A signature with the given R bytes and nonce r: s = r + k·a, k over exactly these bytes.
fn sign_raw(a: &Scalar, key: &[u8; 32], r: &Scalar, r_bytes: [u8; 32], m: &[u8]) -> [u8; 64] {
    let s = r + k_of(&r_bytes, key, m) * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r_bytes);
    sig[32..].copy_from_slice(s.as_bytes());
    sig
}

/// s + ℓ in the signature's second half (a 253-bit integer, same value mod ℓ).
fn add_ell(sig: &[u8; 64]) -> [u8; 64] {
    let mut out = *sig;
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(sig[32 + i]) + u16::from(ELL[i]) + carry;
        out[32 + i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// p + y for a small y (< 19): the non-canonical encoding of the same field element.
fn plus_p(y: u8) -> [u8; 32] {
    let mut b = [0xffu8; 32];
    b[0] = 0xed + y;
    b[31] = 0x7f;
    b
}

fn small(y: u8) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[0] = y;
    b
}

/// A point with a small y (2 ≤ y < 19) that is on the curve and not of small order: its
/// non-canonical twin `plus_p(y)` decodes (in curve25519-dalek) to the same point.
fn small_y_point() -> u8 {
    (2u8..19)
        .find(|&y| {
            CompressedEdwardsY(small(y))
                .decompress()
                .is_some_and(|p| !p.is_small_order())
        })
        .expect("some small y is on the curve")
}

const SEED: [u8; 32] = [0x42; 32];
const MESSAGE: &[u8] = b"psephos ballot hash, 32 bytes...";

#[test]
fn honest_signatures_verify_and_the_test_signer_matches_rfc8032() {
    let key = SigningKey::from_bytes(&SEED);
    let public = key.verifying_key().to_bytes();
    let sig = key.sign(MESSAGE).to_bytes();
    // With the identity as "torsion", the helper is plain RFC 8032 signing.
    assert_eq!(sign_with_torsion(&SEED, MESSAGE, 0), sig);
    assert_eq!(verify(&public, MESSAGE, &sig), Ok(()));
    let pk = PublicKey::from_bytes(&public).unwrap();
    assert!(verify_batch(&[BatchItem {
        key: &pk,
        message: MESSAGE,
        signature: &sig
    }]));
}

/// The attack of issue 11 item 2: R' = r·B + T. ed25519-dalek's `verify_strict` (the old
/// single check) refuses every one, its cofactorless `verify_batch` (the old batch check)
/// accepts some and refuses others; the one rule accepts all of them, alone and in batches.
#[test]
fn torsion_signatures_get_one_verdict() {
    let key = SigningKey::from_bytes(&SEED);
    let public = key.verifying_key();
    let pk = PublicKey::from_bytes(&public.to_bytes()).unwrap();
    let mut old_batch_accepted = 0;
    let mut old_batch_refused = 0;
    for t in 1..8 {
        for n in 0u8..8 {
            let message = [n; 32];
            let sig = sign_with_torsion(&SEED, &message, t);
            let dalek_sig = ed25519_dalek::Signature::from_bytes(&sig);
            assert!(public.verify_strict(&message, &dalek_sig).is_err());
            match ed25519_dalek::verify_batch(&[&message[..]], &[dalek_sig], &[public]) {
                Ok(()) => old_batch_accepted += 1,
                Err(_) => old_batch_refused += 1,
            }
            assert_eq!(verify(&public.to_bytes(), &message, &sig), Ok(()));
            let item = BatchItem {
                key: &pk,
                message: &message,
                signature: &sig,
            };
            assert!(verify_batch(&[item]));
            assert_eq!(verify_each(&[item, item]), vec![Ok(()), Ok(())]);
        }
    }
    // The disagreement this rule removes.
    assert!(old_batch_accepted > 0 && old_batch_refused > 0);
}

/// Nobody but the key's holder can vary a valid signature: adding a small-order point to R
/// changes k, so the old s no longer fits (strong unforgeability; spec §7.4.1).
#[test]
fn adding_torsion_to_a_valid_signature_breaks_it() {
    let key = SigningKey::from_bytes(&SEED);
    let public = key.verifying_key().to_bytes();
    for t in [0, 3] {
        let sig = sign_with_torsion(&SEED, MESSAGE, t);
        for (i, torsion) in EIGHT_TORSION.iter().enumerate().skip(1) {
            let mut r = [0u8; 32];
            r.copy_from_slice(&sig[..32]);
            let r = CompressedEdwardsY(r).decompress().unwrap() + torsion;
            let mut variant = sig;
            variant[..32].copy_from_slice(r.compress().as_bytes());
            assert_eq!(
                verify(&public, MESSAGE, &variant),
                Err(SignatureError::Equation),
                "torsion {i}"
            );
        }
    }
}

#[test]
fn non_canonical_s_refused() {
    let key = SigningKey::from_bytes(&SEED);
    let public = key.verifying_key().to_bytes();
    let sig = key.sign(MESSAGE).to_bytes();
    let bad = add_ell(&sig);
    assert_eq!(
        verify(&public, MESSAGE, &bad),
        Err(SignatureError::SNotCanonical)
    );
    let mut top = sig;
    top[63] |= 0x80;
    assert_eq!(
        verify(&public, MESSAGE, &top),
        Err(SignatureError::SNotCanonical)
    );
    let pk = PublicKey::from_bytes(&public).unwrap();
    assert!(!verify_batch(&[BatchItem {
        key: &pk,
        message: MESSAGE,
        signature: &bad
    }]));
}

/// R = the identity (nonce 0), and R = the point of order 2: the equation holds, so the
/// canonical encodings verify and only the encoding check refuses the others.
#[test]
fn non_canonical_r_refused() {
    let a = secret_scalar(&SEED);
    let public = SigningKey::from_bytes(&SEED).verifying_key().to_bytes();
    let zero = Scalar::ZERO;
    let identity = small(1);
    let good = sign_raw(&a, &public, &zero, identity, MESSAGE);
    assert_eq!(verify(&public, MESSAGE, &good), Ok(()));
    let mut signed_identity = identity;
    signed_identity[31] |= 0x80;
    let minus_one = EIGHT_TORSION[4].compress().to_bytes();
    let mut signed_minus_one = minus_one;
    signed_minus_one[31] |= 0x80;
    assert_eq!(
        verify(
            &public,
            MESSAGE,
            &sign_raw(&a, &public, &zero, minus_one, MESSAGE)
        ),
        Ok(())
    );
    for bad_r in [signed_identity, plus_p(1), signed_minus_one] {
        // curve25519-dalek decodes each of them (to a small-order point).
        assert!(CompressedEdwardsY(bad_r).decompress().is_some());
        let sig = sign_raw(&a, &public, &zero, bad_r, MESSAGE);
        assert_eq!(
            verify(&public, MESSAGE, &sig),
            Err(SignatureError::REncoding)
        );
    }
    // A non-canonical y of a point of large order, too.
    let y = small_y_point();
    let sig = sign_raw(&a, &public, &zero, plus_p(y), MESSAGE);
    assert_eq!(
        verify(&public, MESSAGE, &sig),
        Err(SignatureError::REncoding)
    );
}

#[test]
fn non_canonical_or_off_curve_key_refused() {
    let y = small_y_point();
    assert!(PublicKey::from_bytes(&small(y)).is_ok());
    assert!(CompressedEdwardsY(plus_p(y)).decompress().is_some());
    assert_eq!(
        PublicKey::from_bytes(&plus_p(y)),
        Err(SignatureError::KeyEncoding)
    );
    let sig = SigningKey::from_bytes(&SEED).sign(MESSAGE).to_bytes();
    assert_eq!(
        verify(&plus_p(y), MESSAGE, &sig),
        Err(SignatureError::KeyEncoding)
    );
    let off_curve = (0u8..=255)
        .map(small)
        .find(|b| CompressedEdwardsY(*b).decompress().is_none())
        .unwrap();
    assert_eq!(
        PublicKey::from_bytes(&off_curve),
        Err(SignatureError::KeyEncoding)
    );
}

/// A small-order key would verify a "signature" anyone can make for any message (R = r·B,
/// s = r): the cofactor kills k·A. Refused for each of the eight small-order points.
#[test]
fn small_order_key_refused() {
    let r = Scalar::from(12345u64);
    let r_bytes = EdwardsPoint::mul_base(&r).compress().to_bytes();
    let mut forged = [0u8; 64];
    forged[..32].copy_from_slice(&r_bytes);
    forged[32..].copy_from_slice(r.as_bytes());
    for t in EIGHT_TORSION {
        let key = t.compress().to_bytes();
        assert_eq!(
            PublicKey::from_bytes(&key),
            Err(SignatureError::SmallOrderKey)
        );
        assert_eq!(
            verify(&key, MESSAGE, &forged),
            Err(SignatureError::SmallOrderKey)
        );
    }
}

#[test]
fn wrong_message_and_wrong_key_refused() {
    let key = SigningKey::from_bytes(&SEED);
    let other = SigningKey::from_bytes(&[7u8; 32])
        .verifying_key()
        .to_bytes();
    for t in [0, 1, 4] {
        let sig = sign_with_torsion(&SEED, MESSAGE, t);
        let public = key.verifying_key().to_bytes();
        assert_eq!(
            verify(&public, b"another message", &sig),
            Err(SignatureError::Equation)
        );
        assert_eq!(verify(&other, MESSAGE, &sig), Err(SignatureError::Equation));
    }
}

/// Batches of good, torsion and bad signatures: the batch accepts exactly when every single
/// check does, and `verify_each` gives the single verdicts.
#[test]
fn batch_agrees_with_single() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let seeds: Vec<[u8; 32]> = (0..6)
        .map(|_| {
            let mut s = [0u8; 32];
            rng.fill_bytes(&mut s);
            s
        })
        .collect();
    let keys: Vec<PublicKey> = seeds
        .iter()
        .map(|s| PublicKey::from_bytes(&SigningKey::from_bytes(s).verifying_key().to_bytes()))
        .collect::<Result<_, _>>()
        .unwrap();
    for round in 0..60 {
        let n = 1 + (rng.next_u32() % 7) as usize;
        let mut cases: Vec<(usize, [u8; 32], [u8; 64])> = Vec::new();
        for _ in 0..n {
            let who = (rng.next_u32() % 6) as usize;
            let mut msg = [0u8; 32];
            rng.fill_bytes(&mut msg);
            let mut sig = sign_with_torsion(&seeds[who], &msg, (rng.next_u32() % 8) as usize);
            // A quarter of the rounds break one signature.
            match (round % 4 == 0, rng.next_u32() % 3) {
                (true, 0) => sig[40] ^= 1,
                (true, 1) => msg[0] ^= 1,
                (true, _) => sig = add_ell(&sig),
                _ => {}
            }
            cases.push((who, msg, sig));
        }
        let items: Vec<BatchItem<'_>> = cases
            .iter()
            .map(|(who, msg, sig)| BatchItem {
                key: &keys[*who],
                message: msg,
                signature: sig,
            })
            .collect();
        let single: Vec<Result<(), SignatureError>> = items
            .iter()
            .map(|i| verify_with(i.key, i.message, i.signature))
            .collect();
        assert_eq!(verify_batch(&items), single.iter().all(Result::is_ok));
        assert_eq!(verify_each(&items), single);
    }
}

// ---------------------------------------------------------------- known answers

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/ed25519.json")
}

fn error_code(e: SignatureError) -> &'static str {
    match e {
        SignatureError::KeyEncoding => "key_encoding",
        SignatureError::SmallOrderKey => "small_order_key",
        SignatureError::REncoding => "r_encoding",
        SignatureError::SNotCanonical => "s_not_canonical",
        SignatureError::Equation => "equation",
    }
}

fn case(name: &str, key: &[u8; 32], message: &[u8], sig: &[u8; 64], note: &str) -> Value {
    let verdict = verify(key, message, sig);
    let strict = VerifyingKey::from_bytes(key).is_ok_and(|k| {
        k.verify_strict(message, &ed25519_dalek::Signature::from_bytes(sig))
            .is_ok()
    });
    json!({
        "name": name,
        "note": note,
        "public_key": hex::encode(key),
        "message": hex::encode(message),
        "signature": hex::encode(sig),
        "valid": verdict.is_ok(),
        "error": verdict.err().map(error_code),
        "rfc8032_strict_ed25519_dalek": strict,
    })
}

fn generate_vectors() -> Value {
    let key = SigningKey::from_bytes(&SEED);
    let public = key.verifying_key().to_bytes();
    let a = secret_scalar(&SEED);
    let sig = key.sign(MESSAGE).to_bytes();
    let zero = Scalar::ZERO;
    let mut cases = Vec::new();
    // RFC 8032 §7.1 TEST 1.
    let rfc_seed: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
    let rfc = SigningKey::from_bytes(&rfc_seed);
    cases.push(case(
        "rfc8032_test1",
        &rfc.verifying_key().to_bytes(),
        b"",
        &rfc.sign(b"").to_bytes(),
        "RFC 8032 section 7.1 TEST 1",
    ));
    cases.push(case("honest", &public, MESSAGE, &sig, "RFC 8032 signature"));
    for (t, name) in [(4, "order 2"), (2, "order 4"), (1, "order 8")] {
        cases.push(case(
            &format!("torsion_r_{}", name.replace(' ', "_")),
            &public,
            MESSAGE,
            &sign_with_torsion(&SEED, MESSAGE, t),
            &format!("R = r*B + T, T of {name}: the factor 8 removes T"),
        ));
    }
    let mut r_plus_t = [0u8; 32];
    r_plus_t.copy_from_slice(&sig[..32]);
    let r_plus_t = CompressedEdwardsY(r_plus_t).decompress().unwrap() + EIGHT_TORSION[4];
    let mut moved = sig;
    moved[..32].copy_from_slice(r_plus_t.compress().as_bytes());
    cases.push(case(
        "honest_r_plus_torsion_same_s",
        &public,
        MESSAGE,
        &moved,
        "the honest signature with a point of order 2 added to R and S unchanged: k changes",
    ));
    cases.push(case(
        "small_order_r_identity",
        &public,
        MESSAGE,
        &sign_raw(&a, &public, &zero, small(1), MESSAGE),
        "R = identity (nonce 0), canonical: a small-order R is allowed",
    ));
    let mut signed_identity = small(1);
    signed_identity[31] |= 0x80;
    cases.push(case(
        "non_canonical_r_sign_bit",
        &public,
        MESSAGE,
        &sign_raw(&a, &public, &zero, signed_identity, MESSAGE),
        "R = identity encoded with the sign bit set (x = 0)",
    ));
    cases.push(case(
        "non_canonical_r_y_plus_p",
        &public,
        MESSAGE,
        &sign_raw(&a, &public, &zero, plus_p(1), MESSAGE),
        "R = identity encoded as y = p + 1",
    ));
    let mut off_curve_r = sig;
    let off = (0u8..=255)
        .map(small)
        .find(|b| CompressedEdwardsY(*b).decompress().is_none())
        .unwrap();
    off_curve_r[..32].copy_from_slice(&off);
    cases.push(case(
        "r_not_on_curve",
        &public,
        MESSAGE,
        &off_curve_r,
        "R is not the encoding of a curve point",
    ));
    cases.push(case(
        "non_canonical_s",
        &public,
        MESSAGE,
        &add_ell(&sig),
        "s + l instead of s",
    ));
    let y = small_y_point();
    cases.push(case(
        "non_canonical_key",
        &plus_p(y),
        MESSAGE,
        &sig,
        "the key is p + y for a point of large order with small y",
    ));
    let r = Scalar::from(12345u64);
    let mut forged = [0u8; 64];
    forged[..32].copy_from_slice(&EdwardsPoint::mul_base(&r).compress().to_bytes());
    forged[32..].copy_from_slice(r.as_bytes());
    for (t, name) in [(0, "identity"), (4, "order_2"), (1, "order_8")] {
        cases.push(case(
            &format!("small_order_key_{name}"),
            &EIGHT_TORSION[t].compress().to_bytes(),
            MESSAGE,
            &forged,
            "R = r*B, s = r: would verify under a small-order key for any message",
        ));
    }
    // A mixed-order key A' = a*B + T: its holder signs with k over A' (s = r + k*a).
    let mixed = (EdwardsPoint::mul_base(&a) + EIGHT_TORSION[1])
        .compress()
        .to_bytes();
    let r_m = Scalar::from(777u64);
    cases.push(case(
        "mixed_order_key",
        &mixed,
        MESSAGE,
        &sign_raw(
            &a,
            &mixed,
            &r_m,
            (ED25519_BASEPOINT_POINT * r_m).compress().to_bytes(),
            MESSAGE,
        ),
        "key a*B + T (T of order 8): accepted, only small-order keys are refused",
    ));
    cases.push(case(
        "wrong_message",
        &public,
        b"another message",
        &sig,
        "signature of a different message",
    ));
    cases.push(case(
        "wrong_key",
        &SigningKey::from_bytes(&[7u8; 32])
            .verifying_key()
            .to_bytes(),
        MESSAGE,
        &sig,
        "signature by a different key",
    ));
    json!({
        "rule": "psephos Ed25519 (docs/spec.md section 7.4): canonical key, R and s; key not of small order; [8](s*B - R - k*A) = identity with k = SHA-512(R || A || M) mod l",
        "cases": cases,
    })
}

/// Rewrites tests/vectors/ed25519.json.
#[test]
#[ignore]
fn generate() {
    let text = serde_json::to_string_pretty(&generate_vectors()).unwrap() + "\n";
    std::fs::write(vectors_path(), text).unwrap();
}

#[test]
fn vectors_reproduce_and_verify() {
    let text = std::fs::read_to_string(vectors_path()).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        file,
        generate_vectors(),
        "regenerate with -- --ignored generate"
    );
    let cases = file["cases"].as_array().unwrap();
    let mut valid = 0;
    for c in cases {
        let key: [u8; 32] = hex::decode(c["public_key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let message = hex::decode(c["message"].as_str().unwrap()).unwrap();
        let sig: [u8; 64] = hex::decode(c["signature"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let verdict = verify(&key, &message, &sig);
        assert_eq!(
            verdict.is_ok(),
            c["valid"].as_bool().unwrap(),
            "{}",
            c["name"]
        );
        assert_eq!(
            verdict.err().map(error_code),
            c["error"].as_str(),
            "{}",
            c["name"]
        );
        if verdict.is_ok() {
            valid += 1;
            let pk = PublicKey::from_bytes(&key).unwrap();
            let item = BatchItem {
                key: &pk,
                message: &message,
                signature: &sig,
            };
            assert!(verify_batch(&[item]), "{}", c["name"]);
        }
    }
    assert!(valid >= 5 && valid < cases.len());
}
