//! Known-answer test vectors: tests/vectors/*.json at the workspace root (docs/spec.md
//! Appendix A lists them).
//!
//! `cargo test -p psephos-crypto --test vectors` checks that the code reproduces every committed
//! file exactly, that every proof in the files verifies, and that the transcripts and key
//! derivations described in docs/spec.md give the challenges and keys recorded there.
//!
//! `cargo test -p psephos-crypto --test vectors -- --ignored generate` rewrites the files.
//! A changed file is a changed protocol: review it as a change of docs/spec.md.

use std::path::PathBuf;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use merlin::Transcript;
use psephos_crypto::contest::{ContestBinding, ContestLimits, EncryptedContest};
use psephos_crypto::dkg::{
    coefficient_binding, joint_key, share_binding, verification_key, CoefficientCommitments,
    Complaint, ComplaintVerdict, EncryptedShare, KeyShare, Polynomial, TrusteePublicKey,
    TrusteeSecretKey,
};
use psephos_crypto::dlog::DiscreteLog;
use psephos_crypto::elgamal::{Ciphertext, CiphertextSum};
use psephos_crypto::error::DecodeError;
use psephos_crypto::group::{mul_g, Element, FixedBase, ScalarValue, G};
use psephos_crypto::nonce::{labels, BallotSeed};
use psephos_crypto::proofs::dleq::DleqStatement;
use psephos_crypto::proofs::range::RangeStatement;
use psephos_crypto::proofs::schnorr::SchnorrProof;
use psephos_crypto::proofs::{DleqProof, RangeProof};
use psephos_crypto::threshold::{
    combine, decrypt, decryption_binding, lagrange_at_zero, DecryptionShare,
};
use psephos_crypto::transcript::{Domain, ProofContext, PROTOCOL_VERSION};
use psephos_crypto::{RistrettoPoint, Scalar};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

const RNG_NOTE: &str = "Inputs are listed in hex and need no random generator. Where a case \
has an rng_seed, the prover drew its randomness from rand_chacha 0.3's \
ChaCha20Rng::seed_from_u64(rng_seed), each random scalar being curve25519-dalek 4's \
Scalar::random (64 bytes of the stream reduced mod l), so the outputs depend on that stream; \
the nonces so drawn are listed too, so that an implementation can check the outputs from them \
without ChaCha20.";

const ALL_DOMAINS: [Domain; 7] = [
    Domain::CoefficientProof,
    Domain::TrusteeKeyProof,
    Domain::SelectionProof,
    Domain::SumProof,
    Domain::DecryptionProof,
    Domain::KeyRevealProof,
    Domain::EphemeralKeyProof,
];

// ---------------------------------------------------------------------------------------------
// Helpers

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn hs(s: &Scalar) -> String {
    hex::encode(s.to_bytes())
}

fn hp(p: &RistrettoPoint) -> String {
    hex::encode(p.compress().as_bytes())
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn from_value<T: DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"))
}

fn scalar(v: &Value) -> Scalar {
    ScalarValue::from_hex(v.as_str().unwrap()).unwrap().0
}

fn element(v: &Value) -> Element {
    Element::from_hex(v.as_str().unwrap()).unwrap()
}

fn bytes<const N: usize>(v: &Value) -> [u8; N] {
    let mut out = [0u8; N];
    hex::decode_to_slice(v.as_str().unwrap(), &mut out).unwrap();
    out
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

fn u32_of(v: &Value) -> u32 {
    u32::try_from(u64_of(v)).unwrap()
}

fn domain(v: &Value) -> Domain {
    let label = v.as_str().unwrap().as_bytes();
    ALL_DOMAINS
        .into_iter()
        .find(|d| d.label() == label)
        .unwrap_or_else(|| panic!("unknown domain {v}"))
}

fn domain_name(d: Domain) -> &'static str {
    std::str::from_utf8(d.label()).unwrap()
}

/// The `k`-th scalar `Scalar::random` draws from `ChaCha20Rng::seed_from_u64(seed)`.
fn draws(seed: u64, k: usize) -> Vec<Scalar> {
    let mut r = rng(seed);
    (0..k).map(|_| Scalar::random(&mut r)).collect()
}

/// The common transcript prefix of docs/spec.md §4.3, driven through merlin directly.
fn transcript(domain: Domain, election: &[u8; 32], binding: &[u8]) -> Transcript {
    let mut t = Transcript::new(b"psephos");
    t.append_message(b"dom-sep", domain.label());
    t.append_u64(b"version", PROTOCOL_VERSION);
    t.append_message(b"election", election);
    t.append_message(b"context", binding);
    t
}

fn challenge(t: &mut Transcript) -> Scalar {
    let mut wide = [0u8; 64];
    t.challenge_bytes(b"challenge", &mut wide);
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// The range-proof challenge of docs/spec.md §5.4, from the spec's description.
#[allow(clippy::too_many_arguments)]
fn range_challenge(
    domain: Domain,
    election: &[u8; 32],
    binding: &[u8],
    key: &Element,
    cts: &[Ciphertext],
    min: u64,
    max: u64,
    proof: &RangeProof,
) -> Scalar {
    let mut t = transcript(domain, election, binding);
    t.append_message(b"K", key.as_bytes());
    t.append_u64(b"n", cts.len() as u64);
    for ct in cts {
        t.append_message(b"A", ct.a.as_bytes());
        t.append_message(b"B", ct.b.as_bytes());
    }
    t.append_u64(b"min", min);
    t.append_u64(b"max", max);
    for br in &proof.branches {
        t.append_message(b"a", br.a.as_bytes());
        t.append_message(b"b", br.b.as_bytes());
    }
    challenge(&mut t)
}

/// The share-transport key of docs/spec.md §3.2 and §6, from the spec's description.
fn transport_key(
    base: &[u8; 32],
    from: u32,
    to: u32,
    e: &Element,
    d: &Element,
    s: &RistrettoPoint,
) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key("psephos v1 share transport");
    h.update(base);
    h.update(&from.to_le_bytes());
    h.update(&to.to_le_bytes());
    h.update(e.as_bytes());
    h.update(d.as_bytes());
    h.update(s.compress().as_bytes());
    *h.finalize().as_bytes()
}

fn share_aad(base: &[u8; 32], from: u32, to: u32) -> Vec<u8> {
    let mut aad = base.to_vec();
    aad.extend_from_slice(&from.to_le_bytes());
    aad.extend_from_slice(&to.to_le_bytes());
    aad
}

fn header(description: &str, spec: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("description".into(), json!(description));
    m.insert("spec".into(), json!(spec));
    m.insert("protocol_version".into(), json!(PROTOCOL_VERSION));
    m.insert("rng".into(), json!(RNG_NOTE));
    m
}

fn with(mut m: serde_json::Map<String, Value>, rest: Value) -> Value {
    if let Value::Object(rest) = rest {
        m.extend(rest);
    }
    Value::Object(m)
}

// ---------------------------------------------------------------------------------------------
// Generators: each builds one file from fixed seeds.

fn gen_encodings() -> Value {
    let multiples: Vec<Value> = (0u64..=4)
        .map(|k| json!({ "k": k, "encoding": hp(&(G * Scalar::from(k))) }))
        .collect();
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let mut p_plus_1 = p;
    p_plus_1[0] = 0xee;
    let mut negative_one = [0u8; 32];
    negative_one[0] = 1;
    let mut g_high = G.compress().to_bytes();
    g_high[31] |= 0x80;
    // The first even s below 2^8 whose encoding is canonical but not a point.
    let not_a_point = (2u8..=254)
        .step_by(2)
        .map(|s| {
            let mut b = [0u8; 32];
            b[0] = s;
            b
        })
        .find(|b| Element::decode(b) == Err(DecodeError::NonCanonicalPoint))
        .unwrap();
    let bad_points = [
        ("identity", [0u8; 32].to_vec()),
        ("field element p = 2^255 - 19 (non-canonical)", p.to_vec()),
        ("field element p + 1 (non-canonical)", p_plus_1.to_vec()),
        (
            "s = 1, a negative (odd) field element",
            negative_one.to_vec(),
        ),
        ("encoding of G with the high bit set", g_high.to_vec()),
        (
            "canonical, non-negative s that decodes to no point",
            not_a_point.to_vec(),
        ),
    ];
    let bad_points: Vec<Value> = bad_points
        .iter()
        .map(|(why, b)| {
            let arr: [u8; 32] = b.as_slice().try_into().unwrap();
            json!({
                "encoding": hex::encode(b),
                "why": why,
                "error": decode_error_name(Element::decode(&arr).unwrap_err()),
            })
        })
        .collect();
    let ell_minus_1 = Scalar::ZERO - Scalar::ONE;
    let ell = {
        let mut b = ell_minus_1.to_bytes();
        b[0] += 1;
        b
    };
    let ell_plus_1 = {
        let mut b = ell;
        b[0] += 1;
        b
    };
    let good_scalars = [Scalar::ZERO, Scalar::ONE, ell_minus_1]
        .iter()
        .map(hs)
        .collect::<Vec<_>>();
    let bad_scalars = [
        ("l (the group order)", ell),
        ("l + 1", ell_plus_1),
        ("2^256 - 1", [0xff; 32]),
    ]
    .iter()
    .map(|(why, b)| {
        json!({
            "encoding": hex::encode(b),
            "why": why,
            "error": decode_error_name(ScalarValue::decode(b).unwrap_err()),
        })
    })
    .collect::<Vec<_>>();
    let g = hp(&G);
    let bad_hex = [
        ("uppercase", g.to_uppercase()),
        ("62 characters", g[..62].to_string()),
        ("66 characters", format!("{g}00")),
        ("not hex", format!("{}zz", &g[..62])),
        ("0x prefix", format!("0x{}", &g[..62])),
    ]
    .iter()
    .map(|(why, text)| {
        json!({
            "text": text,
            "why": why,
            "error": decode_error_name(Element::from_hex(text).unwrap_err()),
        })
    })
    .collect::<Vec<_>>();
    with(
        header(
            "Strict encodings: k·G for small k (RFC 9496 Appendix A.1 lists the same), point \
             and scalar encodings a decoder must reject, and hex text it must reject.",
            "docs/spec.md §1, §2",
        ),
        json!({
            "generator_multiples": multiples,
            "invalid_points": bad_points,
            "valid_scalars": good_scalars,
            "invalid_scalars": bad_scalars,
            "invalid_hex": bad_hex,
            "u32_le": { "value": 0x0403_0201u32, "encoding": "01020304" },
            "u64_le": { "value": 0x0807_0605_0403_0201u64, "encoding": "0102030405060708" },
        }),
    )
}

fn decode_error_name(e: DecodeError) -> &'static str {
    match e {
        DecodeError::BadHex { .. } => "BadHex",
        DecodeError::NonCanonicalPoint => "NonCanonicalPoint",
        DecodeError::IdentityPoint => "IdentityPoint",
        DecodeError::NonCanonicalScalar => "NonCanonicalScalar",
    }
}

fn gen_elgamal() -> Value {
    let mut input = rng(0x0e16);
    let s = Scalar::random(&mut input);
    let key = FixedBase::new(Element::from_point(mul_g(&s)));
    let mut cts = Vec::new();
    let cases: Vec<Value> = [0u64, 1, 2, 42, 1_000_000]
        .iter()
        .map(|&m| {
            let r = Scalar::random(&mut input);
            let ct = Ciphertext::encrypt(&key, m, &r);
            cts.push(ct);
            json!({
                "m": m,
                "r": hs(&r),
                "ciphertext": to_value(&ct),
                "m_g": hp(&(ct.b.point() - ct.a.point() * s)),
            })
        })
        .collect();
    let sum = CiphertextSum::of(&cts);
    with(
        header(
            "Exponential ElGamal: K = s·G, Enc(m; r) = (r·G, m·G + r·K); m_g = B − s·A = m·G \
             (the identity for m = 0, all-zero encoding). The sum is the component-wise sum \
             of all the cases' ciphertexts and encrypts the sum of their m.",
            "docs/spec.md §5.1",
        ),
        json!({
            "secret_key": hs(&s),
            "public_key": to_value(key.element()),
            "cases": cases,
            "sum": { "a": hp(&sum.a), "b": hp(&sum.b), "m": 1_000_045u64 },
        }),
    )
}

fn gen_schnorr() -> Value {
    let election = [0x5c; 32];
    let cases: Vec<Value> = [
        (
            Domain::CoefficientProof,
            coefficient_binding(1, 0).to_vec(),
            11u64,
        ),
        (
            Domain::CoefficientProof,
            coefficient_binding(3, 2).to_vec(),
            12,
        ),
        (Domain::TrusteeKeyProof, 2u32.to_le_bytes().to_vec(), 13),
        (Domain::EphemeralKeyProof, share_binding(1, 3).to_vec(), 14),
    ]
    .into_iter()
    .map(|(domain, binding, seed)| {
        let x = draws(seed + 1000, 1)[0];
        let public = Element::from_point(mul_g(&x));
        let ctx = ProofContext {
            election_hash: &election,
            binding: &binding,
        };
        let proof = SchnorrProof::prove(domain, &ctx, &x, &public, &mut rng(seed));
        let u = draws(seed, 1)[0];
        let c = (proof.response.0 - u) * x.invert();
        json!({
            "domain": domain_name(domain),
            "election_hash": hex::encode(election),
            "binding": hex::encode(&binding),
            "secret": hs(&x),
            "public": to_value(&public),
            "rng_seed": seed,
            "nonce": hs(&u),
            "challenge": hs(&c),
            "proof": to_value(&proof),
        })
    })
    .collect();
    with(
        header(
            "Schnorr proofs of knowledge of x with X = x·G: R = u·G, c from the transcript \
             (X, R), z = u + c·x.",
            "docs/spec.md §5.2.1",
        ),
        json!({ "cases": cases }),
    )
}

fn gen_dleq() -> Value {
    let election = [0xd1; 32];
    let mut key_reveal_binding = 3u32.to_le_bytes().to_vec();
    key_reveal_binding.extend_from_slice(&1u32.to_le_bytes());
    let cases: Vec<Value> = [
        (
            Domain::DecryptionProof,
            decryption_binding(1, 2, 3).to_vec(),
            21u64,
        ),
        (Domain::KeyRevealProof, key_reveal_binding, 22),
    ]
    .into_iter()
    .map(|(domain, binding, seed)| {
        let inputs = draws(seed + 1000, 2);
        let (x, h) = (inputs[0], inputs[1]);
        let base = Element::from_point(mul_g(&h));
        let x_g = Element::from_point(mul_g(&x));
        let x_h = Element::from_point(base.point() * x);
        let ctx = ProofContext {
            election_hash: &election,
            binding: &binding,
        };
        let st = DleqStatement {
            base: &base,
            x_g: &x_g,
            x_h: &x_h,
        };
        let proof = DleqProof::prove(domain, &ctx, &x, &st, &mut rng(seed));
        let u = draws(seed, 1)[0];
        let c = (proof.response.0 - u) * x.invert();
        json!({
            "domain": domain_name(domain),
            "election_hash": hex::encode(election),
            "binding": hex::encode(&binding),
            "secret": hs(&x),
            "base_log": hs(&h),
            "base": to_value(&base),
            "X": to_value(&x_g),
            "Y": to_value(&x_h),
            "rng_seed": seed,
            "nonce": hs(&u),
            "challenge": hs(&c),
            "proof": to_value(&proof),
        })
    })
    .collect();
    with(
        header(
            "Chaum–Pedersen proofs that log_G X = log_H Y: a = u·G, b = u·H, c from the \
             transcript (H, X, Y, a, b), z = u + c·x. The base H is base_log·G.",
            "docs/spec.md §5.2.2",
        ),
        json!({ "cases": cases }),
    )
}

fn gen_range() -> Value {
    let election = [0x7a; 32];
    let cases: Vec<Value> = [
        (Domain::SelectionProof, 0u64, 0u64, 1u64, 31u64),
        (Domain::SelectionProof, 1, 0, 1, 32),
        (Domain::SumProof, 2, 1, 3, 33),
    ]
    .into_iter()
    .map(|(domain, m, min, max, seed)| {
        let inputs = draws(seed + 1000, 2);
        let (s, r) = (inputs[0], inputs[1]);
        let key = FixedBase::new(Element::from_point(mul_g(&s)));
        let ct = Ciphertext::encrypt(&key, m, &r);
        let binding = format!("range vector {seed}").into_bytes();
        let ctx = ProofContext {
            election_hash: &election,
            binding: &binding,
        };
        let proof =
            RangeProof::prove(domain, &ctx, &key, &ct, m, &r, min, max, &mut rng(seed)).unwrap();
        let n = (max - min + 1) as usize;
        let nonces = draws(seed, 1 + 2 * n);
        let c: Scalar = proof.branches.iter().map(|b| b.challenge.0).sum();
        json!({
            "domain": domain_name(domain),
            "election_hash": hex::encode(election),
            "binding": hex::encode(&binding),
            "key_secret": hs(&s),
            "key": to_value(key.element()),
            "m": m,
            "r": hs(&r),
            "ciphertext": to_value(&ct),
            "min": min,
            "max": max,
            "rng_seed": seed,
            "nonces": {
                "u": hs(&nonces[0]),
                "simulated_challenges": nonces[1..=n].iter().map(hs).collect::<Vec<_>>(),
                "simulated_responses": nonces[n + 1..].iter().map(hs).collect::<Vec<_>>(),
            },
            "challenge": hs(&c),
            "proof": to_value(&proof),
        })
    })
    .collect();
    with(
        header(
            "Disjunctive Chaum–Pedersen range proofs that a ciphertext encrypts m in \
             min..=max, one branch per value. The prover draws u, then one simulated \
             challenge and one simulated response per branch in order (the real branch's \
             are drawn and ignored). challenge is the transcript's c = sum of the branch \
             challenges.",
            "docs/spec.md §5.4",
        ),
        json!({ "cases": cases }),
    )
}

fn gen_contest() -> Value {
    let election = [0xc0; 32];
    let cases: Vec<Value> = [
        (
            ContestLimits {
                options: 3,
                min_selections: 1,
                max_selections: 1,
            },
            vec![0u64, 1, 0],
            0u32,
            41u64,
        ),
        (
            ContestLimits {
                options: 4,
                min_selections: 0,
                max_selections: 2,
            },
            vec![1, 0, 1, 0],
            7,
            42,
        ),
    ]
    .into_iter()
    .map(|(limits, choices, question, seed)| {
        let inputs = draws(seed + 1000, 1);
        let s = inputs[0];
        let key = FixedBase::new(Element::from_point(mul_g(&s)));
        let mut credential = [0u8; 32];
        let mut ballot_id = [0u8; 16];
        let mut seed_bytes = [0u8; 32];
        let mut r = rng(seed + 2000);
        rand_chacha::rand_core::RngCore::fill_bytes(&mut r, &mut credential);
        rand_chacha::rand_core::RngCore::fill_bytes(&mut r, &mut ballot_id);
        rand_chacha::rand_core::RngCore::fill_bytes(&mut r, &mut seed_bytes);
        let ballot_seed = BallotSeed::from_bytes(seed_bytes);
        let binding = ContestBinding {
            election_hash: &election,
            credential: &credential,
            ballot_id: &ballot_id,
            question,
        };
        let contest =
            EncryptedContest::encrypt(&key, &binding, &limits, &choices, &ballot_seed).unwrap();
        let q = u64::from(question);
        let sum_branches = limits.max_selections - limits.min_selections + 1;
        let options: Vec<Value> = (0..u64::from(limits.options))
            .map(|o| {
                let sel = &contest.selections[o as usize];
                json!({
                    "binding": hex::encode(binding.selection_binding(o as u32)),
                    "encryption_nonce": hs(&ballot_seed.derive(labels::ENCRYPTION, &[q, o])),
                    "selection_u": hs(&ballot_seed.derive(labels::SELECTION_U, &[q, o])),
                    "selection_c": (0..2)
                        .map(|j| hs(&ballot_seed.derive(labels::SELECTION_C, &[q, o, j])))
                        .collect::<Vec<_>>(),
                    "selection_z": (0..2)
                        .map(|j| hs(&ballot_seed.derive(labels::SELECTION_Z, &[q, o, j])))
                        .collect::<Vec<_>>(),
                    "challenge": hs(&sel.proof.branches.iter().map(|b| b.challenge.0).sum()),
                })
            })
            .collect();
        let sum = json!({
            "binding": hex::encode(binding.sum_binding()),
            "sum_u": hs(&ballot_seed.derive(labels::SUM_U, &[q])),
            "sum_c": (0..sum_branches)
                .map(|j| hs(&ballot_seed.derive(labels::SUM_C, &[q, j])))
                .collect::<Vec<_>>(),
            "sum_z": (0..sum_branches)
                .map(|j| hs(&ballot_seed.derive(labels::SUM_Z, &[q, j])))
                .collect::<Vec<_>>(),
            "challenge": hs(&contest.sum_proof.branches.iter().map(|b| b.challenge.0).sum()),
        });
        json!({
            "election_hash": hex::encode(election),
            "credential": hex::encode(credential),
            "ballot_id": hex::encode(ballot_id),
            "question": question,
            "limits": {
                "options": limits.options,
                "min_selections": limits.min_selections,
                "max_selections": limits.max_selections,
            },
            "choices": choices,
            "key_secret": hs(&s),
            "key": to_value(key.element()),
            "ballot_seed": ballot_seed.to_hex(),
            "derived": { "options": options, "sum": sum },
            "contest": to_value(&contest),
            "contest_json": serde_json::to_string(&contest).unwrap(),
        })
    })
    .collect();
    with(
        header(
            "Encrypted contests from a fixed ballot seed: every nonce is derived from the seed \
             (listed under derived, with the bindings and each proof's challenge), so the \
             contest is fully determined by the inputs and contest_json is the exact wire \
             text. No random generator is involved.",
            "docs/spec.md §5.5, §5.3, §3.1",
        ),
        json!({ "cases": cases }),
    )
}

fn gen_ceremony() -> Value {
    let (t, n) = (2u32, 3u32);
    let base = [0xba; 32];
    let election = [0xe7; 32];
    let mut trustees = Vec::new();
    let mut secrets = Vec::new();
    let mut public_keys = Vec::new();
    let mut polynomials = Vec::new();
    let mut all_commitments = Vec::new();
    for i in 1..=n {
        let inputs = draws(u64::from(1000 + i), 1 + t as usize);
        let d = TrusteeSecretKey::from_bytes(&inputs[0].to_bytes()).unwrap();
        let coefficients = inputs[1..].to_vec();
        let key_seed = u64::from(1200 + i);
        let pk = d.public_key(i, &base, &mut rng(key_seed));
        let poly = Polynomial::from_coefficients(coefficients.clone());
        let commit_seed = u64::from(1300 + i);
        let commitments = poly.commit(i, &base, &mut rng(commit_seed));
        trustees.push(json!({
            "index": i,
            "transport_secret": hs(&inputs[0]),
            "transport_key_rng_seed": key_seed,
            "transport_key": to_value(&pk),
            "coefficients": coefficients.iter().map(hs).collect::<Vec<_>>(),
            "commitments_rng_seed": commit_seed,
            "commitments": to_value(&commitments),
        }));
        secrets.push(d);
        public_keys.push(pk);
        polynomials.push(poly);
        all_commitments.push(commitments);
    }
    let mut shares = Vec::new();
    let mut received = vec![Vec::new(); n as usize];
    for i in 1..=n {
        for l in 1..=n {
            let value = polynomials[(i - 1) as usize].evaluate(l);
            received[(l - 1) as usize].push(value);
            if i == l {
                continue;
            }
            let seed = u64::from(1400 + 10 * i + l);
            let recipient = &public_keys[(l - 1) as usize].key;
            let sealed = EncryptedShare::seal(&base, i, l, recipient, &value, &mut rng(seed));
            let drawn = draws(seed, 2);
            let (e, u) = (drawn[0], drawn[1]);
            let c = (sealed.ephemeral_proof.response.0 - u) * e.invert();
            let dh = recipient.point() * e;
            let k = transport_key(&base, i, l, &sealed.ephemeral, recipient, &dh);
            shares.push(json!({
                "from": i,
                "to": l,
                "value": hs(&value),
                "rng_seed": seed,
                "ephemeral_secret": hs(&e),
                "ephemeral_proof_nonce": hs(&u),
                "ephemeral_proof_challenge": hs(&c),
                "dh_point": hp(&dh),
                "transport_key": hex::encode(k),
                "aad": hex::encode(share_aad(&base, i, l)),
                "sealed": to_value(&sealed),
            }));
        }
    }
    let key_shares: Vec<KeyShare> = (1..=n)
        .map(|l| KeyShare::from_received(l, &received[(l - 1) as usize]))
        .collect();
    let joint = joint_key(&all_commitments);
    let vks: Vec<Element> = (1..=n)
        .map(|l| verification_key(&all_commitments, l))
        .collect();

    // A decryption: the ciphertext of m, and each trustee's share.
    let m = 37u64;
    let r = draws(1700, 1)[0];
    let ct = Ciphertext::encrypt(&FixedBase::new(joint), m, &r);
    let (question, option) = (1u32, 2u32);
    let dec_shares: Vec<(u64, DecryptionShare)> = key_shares
        .iter()
        .map(|k| {
            let seed = u64::from(1500 + k.index());
            let s = DecryptionShare::compute(k, &election, question, option, &ct, &mut rng(seed));
            (seed, s)
        })
        .collect();
    let dlog = DiscreteLog::new(1000);
    let mut combinations = Vec::new();
    for set in [vec![1u32, 2], vec![1, 3], vec![2, 3], vec![1, 2, 3]] {
        let chosen: Vec<&DecryptionShare> = set
            .iter()
            .map(|&l| &dec_shares[(l - 1) as usize].1)
            .collect();
        combinations.push(json!({
            "trustees": set,
            "lagrange": set
                .iter()
                .map(|&l| hs(&lagrange_at_zero(&set, l).unwrap()))
                .collect::<Vec<_>>(),
            "combined": hp(&combine(&chosen, t, n).unwrap()),
            "m": decrypt(&ct, &chosen, t, n, &dlog).unwrap(),
        }));
    }

    // Complaints: trustee 1 seals a wrong share to trustee 3, who complains; trustee 1
    // complains falsely about trustee 2's honest share.
    let wrong_value = polynomials[0].evaluate(3) + Scalar::ONE;
    let bad_seed = 1600u64;
    let bad = EncryptedShare::seal(
        &base,
        1,
        3,
        &public_keys[2].key,
        &wrong_value,
        &mut rng(bad_seed),
    );
    let complaint_seed = 1601u64;
    let complaint = Complaint::make(&base, &bad, &secrets[2], &mut rng(complaint_seed)).unwrap();
    let verdict = complaint
        .adjudicate(&base, &bad, &public_keys[2], &all_commitments[0])
        .unwrap();
    let honest: EncryptedShare = from_value(&shares[2]["sealed"]);
    assert_eq!((honest.from, honest.to), (2, 1));
    let false_seed = 1602u64;
    let false_complaint =
        Complaint::make(&base, &honest, &secrets[0], &mut rng(false_seed)).unwrap();
    let false_verdict = false_complaint
        .adjudicate(&base, &honest, &public_keys[0], &all_commitments[1])
        .unwrap();

    with(
        header(
            "A 2-of-3 key ceremony and one threshold decryption. Each trustee's transport \
             secret and polynomial coefficients (constant term first) are inputs; the proofs, \
             the sealed shares and the decryption shares come from the listed rng seeds (the \
             ephemeral secret of each sealed share is the first scalar drawn, the nonce of its \
             ephemeral-key proof the second). key_shares are \
             the trustees' secret shares z_l (listed for testing only).",
            "docs/spec.md §6",
        ),
        json!({
            "threshold": t,
            "trustee_count": n,
            "base_hash": hex::encode(base),
            "election_hash": hex::encode(election),
            "trustees": trustees,
            "shares": shares,
            "joint_key": to_value(&joint),
            "key_shares": key_shares.iter().map(|k| hex::encode(*k.to_bytes())).collect::<Vec<_>>(),
            "verification_keys": to_value(&vks),
            "decryption": {
                "m": m,
                "r": hs(&r),
                "ciphertext": to_value(&ct),
                "question": question,
                "option": option,
                "shares": dec_shares
                    .iter()
                    .map(|(seed, s)| json!({ "rng_seed": seed, "share": to_value(s) }))
                    .collect::<Vec<_>>(),
                "combinations": combinations,
            },
            "complaints": [
                {
                    "share_rng_seed": bad_seed,
                    "share_value": hs(&wrong_value),
                    "share": to_value(&bad),
                    "complaint_rng_seed": complaint_seed,
                    "complaint": to_value(&complaint),
                    "verdict": to_value(&verdict),
                },
                {
                    "share": to_value(&honest),
                    "complaint_rng_seed": false_seed,
                    "complaint": to_value(&false_complaint),
                    "verdict": to_value(&false_verdict),
                },
            ],
        }),
    )
}

fn generated() -> Vec<(&'static str, Value)> {
    vec![
        ("encodings.json", gen_encodings()),
        ("elgamal.json", gen_elgamal()),
        ("schnorr.json", gen_schnorr()),
        ("dleq.json", gen_dleq()),
        ("range.json", gen_range()),
        ("contest.json", gen_contest()),
        ("ceremony-2-of-3.json", gen_ceremony()),
    ]
}

fn read(name: &str) -> Value {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `cargo test -p psephos-crypto --test vectors -- --ignored generate`",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

/// The path of the first difference between two JSON values.
fn first_difference(a: &Value, b: &Value, path: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                match (x.get(key), y.get(key)) {
                    (Some(u), Some(v)) => {
                        if let Some(p) = first_difference(u, v, format!("{path}.{key}")) {
                            return Some(p);
                        }
                    }
                    _ => return Some(format!("{path}.{key} (missing on one side)")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(u, v, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} != {b}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
#[ignore = "rewrites tests/vectors/*.json; run on purpose"]
fn generate() {
    std::fs::create_dir_all(dir()).unwrap();
    for (name, value) in generated() {
        let mut text = serde_json::to_string_pretty(&value).unwrap();
        text.push('\n');
        std::fs::write(dir().join(name), text).unwrap();
    }
}

#[test]
fn code_reproduces_every_file() {
    for (name, value) in generated() {
        let file = read(name);
        if let Some(diff) = first_difference(&file, &value, name.to_string()) {
            panic!("{name} is not reproduced: {diff}");
        }
    }
}

#[test]
fn encodings_are_decoded_as_recorded() {
    let v = read("encodings.json");
    // RFC 9496 Appendix A.1: the encoding of the generator.
    assert_eq!(
        v["generator_multiples"][1]["encoding"],
        "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
    );
    for (k, case) in v["generator_multiples"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let b: [u8; 32] = bytes(&case["encoding"]);
        if k == 0 {
            assert_eq!(Element::decode(&b), Err(DecodeError::IdentityPoint));
        } else {
            assert_eq!(
                *Element::decode(&b).unwrap().point(),
                mul_g(&Scalar::from(k as u64))
            );
        }
    }
    for case in v["invalid_points"].as_array().unwrap() {
        let b: [u8; 32] = bytes(&case["encoding"]);
        let err = Element::decode(&b).unwrap_err();
        assert_eq!(decode_error_name(err), case["error"], "{case}");
        assert_ne!(case["error"], "BadHex");
    }
    for case in v["valid_scalars"].as_array().unwrap() {
        assert!(ScalarValue::from_hex(case.as_str().unwrap()).is_ok());
    }
    for case in v["invalid_scalars"].as_array().unwrap() {
        let err = ScalarValue::from_hex(case["encoding"].as_str().unwrap()).unwrap_err();
        assert_eq!(decode_error_name(err), case["error"]);
    }
    for case in v["invalid_hex"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        assert!(Element::from_hex(text).is_err());
        assert!(ScalarValue::from_hex(text).is_err());
        assert!(serde_json::from_value::<Element>(case["text"].clone()).is_err());
    }
}

#[test]
fn elgamal_vectors_hold() {
    let v = read("elgamal.json");
    let s = scalar(&v["secret_key"]);
    let key = element(&v["public_key"]);
    assert_eq!(*key.point(), mul_g(&s));
    let mut cts = Vec::new();
    for case in v["cases"].as_array().unwrap() {
        let ct: Ciphertext = from_value(&case["ciphertext"]);
        let r = scalar(&case["r"]);
        let m = u64_of(&case["m"]);
        assert_eq!(*ct.a.point(), mul_g(&r));
        assert_eq!(
            *ct.b.point(),
            mul_g(&Scalar::from(m)) + key.point() * r,
            "m = {m}"
        );
        assert_eq!(hp(&(ct.b.point() - ct.a.point() * s)), case["m_g"]);
        cts.push(ct);
    }
    let sum = CiphertextSum::of(&cts);
    assert_eq!(hp(&sum.a), v["sum"]["a"]);
    assert_eq!(hp(&sum.b), v["sum"]["b"]);
    let dlog = DiscreteLog::new(2_000_000);
    assert_eq!(
        dlog.solve(&(sum.b - sum.a * s)),
        Some(u64_of(&v["sum"]["m"]))
    );
}

#[test]
fn schnorr_vectors_verify() {
    let v = read("schnorr.json");
    for case in v["cases"].as_array().unwrap() {
        let d = domain(&case["domain"]);
        let election: [u8; 32] = bytes(&case["election_hash"]);
        let binding = hex::decode(case["binding"].as_str().unwrap()).unwrap();
        let public = element(&case["public"]);
        let proof: SchnorrProof = from_value(&case["proof"]);
        let ctx = ProofContext {
            election_hash: &election,
            binding: &binding,
        };
        proof.verify(d, &ctx, &public).unwrap();
        // The spec's transcript gives the recorded challenge, and the proof opens with the
        // recorded nonce.
        let mut t = transcript(d, &election, &binding);
        t.append_message(b"X", public.as_bytes());
        t.append_message(b"R", proof.commitment.as_bytes());
        let c = challenge(&mut t);
        assert_eq!(hs(&c), case["challenge"]);
        let (x, u) = (scalar(&case["secret"]), scalar(&case["nonce"]));
        assert_eq!(*public.point(), mul_g(&x));
        assert_eq!(*proof.commitment.point(), mul_g(&u));
        assert_eq!(proof.response.0, u + c * x);
        assert_eq!(draws(u64_of(&case["rng_seed"]), 1)[0], u);
    }
}

#[test]
fn dleq_vectors_verify() {
    let v = read("dleq.json");
    for case in v["cases"].as_array().unwrap() {
        let d = domain(&case["domain"]);
        let election: [u8; 32] = bytes(&case["election_hash"]);
        let binding = hex::decode(case["binding"].as_str().unwrap()).unwrap();
        let (base, x_g, x_h) = (
            element(&case["base"]),
            element(&case["X"]),
            element(&case["Y"]),
        );
        let proof: DleqProof = from_value(&case["proof"]);
        let ctx = ProofContext {
            election_hash: &election,
            binding: &binding,
        };
        let st = DleqStatement {
            base: &base,
            x_g: &x_g,
            x_h: &x_h,
        };
        proof.verify(d, &ctx, &st).unwrap();
        let mut t = transcript(d, &election, &binding);
        t.append_message(b"base", base.as_bytes());
        t.append_message(b"X", x_g.as_bytes());
        t.append_message(b"Y", x_h.as_bytes());
        t.append_message(b"a", proof.a.as_bytes());
        t.append_message(b"b", proof.b.as_bytes());
        let c = challenge(&mut t);
        assert_eq!(hs(&c), case["challenge"]);
        let (x, u) = (scalar(&case["secret"]), scalar(&case["nonce"]));
        assert_eq!(*proof.a.point(), mul_g(&u));
        assert_eq!(*proof.b.point(), base.point() * u);
        assert_eq!(proof.response.0, u + c * x);
        assert_eq!(*base.point(), mul_g(&scalar(&case["base_log"])));
    }
}

#[test]
fn range_vectors_verify() {
    let v = read("range.json");
    for case in v["cases"].as_array().unwrap() {
        let d = domain(&case["domain"]);
        let election: [u8; 32] = bytes(&case["election_hash"]);
        let binding = hex::decode(case["binding"].as_str().unwrap()).unwrap();
        let key = element(&case["key"]);
        let ct: Ciphertext = from_value(&case["ciphertext"]);
        let proof: RangeProof = from_value(&case["proof"]);
        let (min, max) = (u64_of(&case["min"]), u64_of(&case["max"]));
        let ctx = ProofContext {
            election_hash: &election,
            binding: &binding,
        };
        let st = RangeStatement {
            key: &key,
            ciphertexts: core::slice::from_ref(&ct),
            min,
            max,
        };
        proof.verify(d, &ctx, &st).unwrap();
        let c = range_challenge(
            d,
            &election,
            &binding,
            &key,
            core::slice::from_ref(&ct),
            min,
            max,
            &proof,
        );
        assert_eq!(hs(&c), case["challenge"]);
        // Every branch satisfies both verification equations of the spec.
        for (br, value) in proof.branches.iter().zip(min..=max) {
            let (cj, zj) = (br.challenge.0, br.response.0);
            assert_eq!(mul_g(&zj), br.a.point() + ct.a.point() * cj);
            assert_eq!(
                key.point() * zj,
                br.b.point() + (ct.b.point() - mul_g(&Scalar::from(value))) * cj
            );
        }
        // The simulated branches carry the drawn challenge and response; the real one has
        // z = u + c_real·r.
        let m = u64_of(&case["m"]);
        let nonces = &case["nonces"];
        for (j, br) in proof.branches.iter().enumerate() {
            if min + j as u64 == m {
                assert_eq!(
                    br.response.0,
                    scalar(&nonces["u"]) + br.challenge.0 * scalar(&case["r"])
                );
            } else {
                assert_eq!(br.challenge.0, scalar(&nonces["simulated_challenges"][j]));
                assert_eq!(br.response.0, scalar(&nonces["simulated_responses"][j]));
            }
        }
    }
}

#[test]
fn contest_vectors_verify() {
    let v = read("contest.json");
    for case in v["cases"].as_array().unwrap() {
        let election: [u8; 32] = bytes(&case["election_hash"]);
        let credential: [u8; 32] = bytes(&case["credential"]);
        let ballot_id: [u8; 16] = bytes(&case["ballot_id"]);
        let question = u32_of(&case["question"]);
        let limits = ContestLimits {
            options: u32_of(&case["limits"]["options"]),
            min_selections: u64_of(&case["limits"]["min_selections"]),
            max_selections: u64_of(&case["limits"]["max_selections"]),
        };
        let binding = ContestBinding {
            election_hash: &election,
            credential: &credential,
            ballot_id: &ballot_id,
            question,
        };
        let key = element(&case["key"]);
        let text = case["contest_json"].as_str().unwrap();
        let contest: EncryptedContest = serde_json::from_str(text).unwrap();
        assert_eq!(to_value(&contest), case["contest"]);
        contest.verify(&key, &binding, &limits).unwrap();
        // The Benaloh check: the revealed seed re-creates the wire text byte for byte.
        let seed = BallotSeed::from_hex(case["ballot_seed"].as_str().unwrap()).unwrap();
        let choices: Vec<u64> = case["choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(u64_of)
            .collect();
        let again =
            EncryptedContest::encrypt(&FixedBase::new(key), &binding, &limits, &choices, &seed)
                .unwrap();
        assert_eq!(serde_json::to_string(&again).unwrap(), text);
        // Ciphertexts from the derived nonces, and the spec's transcripts.
        let cts = contest.ciphertexts();
        for (o, (sel, d)) in contest
            .selections
            .iter()
            .zip(case["derived"]["options"].as_array().unwrap())
            .enumerate()
        {
            let r = scalar(&d["encryption_nonce"]);
            assert_eq!(*sel.ciphertext.a.point(), mul_g(&r));
            assert_eq!(
                *sel.ciphertext.b.point(),
                mul_g(&Scalar::from(choices[o])) + key.point() * r
            );
            let selection_binding = bytes::<56>(&d["binding"]);
            assert_eq!(selection_binding, binding.selection_binding(o as u32));
            let c = range_challenge(
                Domain::SelectionProof,
                &election,
                &selection_binding,
                &key,
                core::slice::from_ref(&sel.ciphertext),
                0,
                1,
                &sel.proof,
            );
            assert_eq!(hs(&c), d["challenge"]);
        }
        let sum = &case["derived"]["sum"];
        assert_eq!(bytes::<52>(&sum["binding"]), binding.sum_binding());
        let c = range_challenge(
            Domain::SumProof,
            &election,
            &binding.sum_binding(),
            &key,
            &cts,
            limits.min_selections,
            limits.max_selections,
            &contest.sum_proof,
        );
        assert_eq!(hs(&c), sum["challenge"]);
    }
}

#[test]
fn ceremony_vectors_verify() {
    let v = read("ceremony-2-of-3.json");
    let (t, n) = (u32_of(&v["threshold"]), u32_of(&v["trustee_count"]));
    let base: [u8; 32] = bytes(&v["base_hash"]);
    let election: [u8; 32] = bytes(&v["election_hash"]);
    let mut commitments = Vec::new();
    let mut keys = Vec::new();
    for tr in v["trustees"].as_array().unwrap() {
        let pk: TrusteePublicKey = from_value(&tr["transport_key"]);
        pk.verify(&base).unwrap();
        assert_eq!(*pk.key.point(), mul_g(&scalar(&tr["transport_secret"])));
        let c: CoefficientCommitments = from_value(&tr["commitments"]);
        c.verify(t, &base).unwrap();
        for (k, a) in c
            .commitments
            .iter()
            .zip(tr["coefficients"].as_array().unwrap())
        {
            assert_eq!(*k.point(), mul_g(&scalar(a)));
        }
        commitments.push(c);
        keys.push(pk);
    }
    // Every sealed share opens, per the spec's KDF and AEAD, to its value, which matches the
    // sender's commitments.
    for sh in v["shares"].as_array().unwrap() {
        let sealed: EncryptedShare = from_value(&sh["sealed"]);
        let (from, to) = (sealed.from, sealed.to);
        let recipient = &keys[(to - 1) as usize];
        let e = scalar(&sh["ephemeral_secret"]);
        assert_eq!(*sealed.ephemeral.point(), mul_g(&e));
        // The ephemeral-key proof: Schnorr, domain EphemeralKeyProof, H_B, LE32(from) ‖
        // LE32(to), statement E, through merlin directly.
        sealed.verify_ephemeral(&base).unwrap();
        let binding = share_binding(from, to);
        assert_eq!(binding[..4], from.to_le_bytes());
        assert_eq!(binding[4..], to.to_le_bytes());
        let mut tr = transcript(Domain::EphemeralKeyProof, &base, &binding);
        tr.append_message(b"X", sealed.ephemeral.as_bytes());
        tr.append_message(b"R", sealed.ephemeral_proof.commitment.as_bytes());
        let c = challenge(&mut tr);
        assert_eq!(hs(&c), sh["ephemeral_proof_challenge"]);
        let u = scalar(&sh["ephemeral_proof_nonce"]);
        assert_eq!(*sealed.ephemeral_proof.commitment.point(), mul_g(&u));
        assert_eq!(sealed.ephemeral_proof.response.0, u + c * e);
        let dh = recipient.key.point() * e;
        assert_eq!(hp(&dh), sh["dh_point"]);
        let k = transport_key(&base, from, to, &sealed.ephemeral, &recipient.key, &dh);
        assert_eq!(hex::encode(k), sh["transport_key"]);
        let aad = share_aad(&base, from, to);
        assert_eq!(hex::encode(&aad), sh["aad"]);
        let plain = ChaCha20Poly1305::new(Key::from_slice(&k))
            .decrypt(
                Nonce::from_slice(&[0u8; 12]),
                Payload {
                    msg: &hex::decode(&sealed.ciphertext).unwrap(),
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(hex::encode(&plain), sh["value"]);
        let value = scalar(&sh["value"]);
        assert_eq!(
            mul_g(&value),
            commitments[(from - 1) as usize].evaluate_in_exponent(to)
        );
    }
    let joint = element(&v["joint_key"]);
    assert_eq!(joint_key(&commitments), joint);
    let vks: Vec<Element> = from_value(&v["verification_keys"]);
    for (l, (vk, z)) in (1..=n).zip(vks.iter().zip(v["key_shares"].as_array().unwrap())) {
        assert_eq!(verification_key(&commitments, l), *vk);
        assert_eq!(*vk.point(), mul_g(&scalar(z)));
    }
    // The decryption.
    let dec = &v["decryption"];
    let ct: Ciphertext = from_value(&dec["ciphertext"]);
    let (q, o) = (u32_of(&dec["question"]), u32_of(&dec["option"]));
    let r = scalar(&dec["r"]);
    assert_eq!(
        *ct.b.point(),
        mul_g(&Scalar::from(u64_of(&dec["m"]))) + joint.point() * r
    );
    let shares: Vec<DecryptionShare> = dec["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| from_value(&s["share"]))
        .collect();
    for s in &shares {
        s.verify(&vks[(s.trustee - 1) as usize], &election, q, o, &ct)
            .unwrap();
        let mut tr = transcript(
            Domain::DecryptionProof,
            &election,
            &decryption_binding(s.trustee, q, o),
        );
        tr.append_message(b"base", ct.a.as_bytes());
        tr.append_message(b"X", vks[(s.trustee - 1) as usize].as_bytes());
        tr.append_message(b"Y", s.share.as_bytes());
        tr.append_message(b"a", s.proof.a.as_bytes());
        tr.append_message(b"b", s.proof.b.as_bytes());
        let c = challenge(&mut tr);
        assert_eq!(
            mul_g(&s.proof.response.0),
            s.proof.a.point() + vks[(s.trustee - 1) as usize].point() * c
        );
    }
    let dlog = DiscreteLog::new(1000);
    for comb in dec["combinations"].as_array().unwrap() {
        let set: Vec<u32> = comb["trustees"]
            .as_array()
            .unwrap()
            .iter()
            .map(u32_of)
            .collect();
        let lambdas: Vec<Scalar> = comb["lagrange"]
            .as_array()
            .unwrap()
            .iter()
            .map(scalar)
            .collect();
        let combined: RistrettoPoint = set
            .iter()
            .zip(&lambdas)
            .map(|(&l, lambda)| shares[(l - 1) as usize].share.point() * lambda)
            .sum();
        assert_eq!(hp(&combined), comb["combined"]);
        let chosen: Vec<&DecryptionShare> =
            set.iter().map(|&l| &shares[(l - 1) as usize]).collect();
        assert_eq!(decrypt(&ct, &chosen, t, n, &dlog), Ok(u64_of(&comb["m"])));
        assert_eq!(u64_of(&comb["m"]), u64_of(&dec["m"]));
    }
    // Complaints.
    for c in v["complaints"].as_array().unwrap() {
        let share: EncryptedShare = from_value(&c["share"]);
        let complaint: Complaint = from_value(&c["complaint"]);
        let verdict: ComplaintVerdict = from_value(&c["verdict"]);
        assert_eq!(
            complaint.adjudicate(
                &base,
                &share,
                &keys[(complaint.by - 1) as usize],
                &commitments[(complaint.against - 1) as usize]
            ),
            Ok(verdict)
        );
        // The key-reveal proof's binding is LE32(by) ‖ LE32(against).
        let binding = coefficient_binding(complaint.by, complaint.against);
        let ctx = ProofContext {
            election_hash: &base,
            binding: &binding,
        };
        let st = DleqStatement {
            base: &share.ephemeral,
            x_g: &keys[(complaint.by - 1) as usize].key,
            x_h: &complaint.revealed,
        };
        complaint
            .proof
            .verify(Domain::KeyRevealProof, &ctx, &st)
            .unwrap();
    }
    assert_eq!(v["complaints"][0]["verdict"], "sender_cheated");
    assert_eq!(v["complaints"][1]["verdict"], "complainer_lied");
}
