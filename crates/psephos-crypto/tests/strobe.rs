//! An implementation of docs/spec.md §4.1 (STROBE-128 and merlin) written from the spec alone,
//! with its own Keccak-f[1600] (FIPS 202), checked against merlin and against the challenges
//! recorded in tests/vectors/. If this test fails, either the spec's description of the
//! transcript bytes is wrong or the implementation changed.

use merlin::Transcript;
use psephos_crypto::Scalar;

const R: usize = 166;
const FLAG_I: u8 = 0x01;
const FLAG_A: u8 = 0x02;
const FLAG_C: u8 = 0x04;
const FLAG_M: u8 = 0x10;
const FLAG_K: u8 = 0x20;

const RC: [u64; 24] = [
    0x0000000000000001,
    0x0000000000008082,
    0x800000000000808a,
    0x8000000080008000,
    0x000000000000808b,
    0x0000000080000001,
    0x8000000080008081,
    0x8000000000008009,
    0x000000000000008a,
    0x0000000000000088,
    0x0000000080008009,
    0x000000008000000a,
    0x000000008000808b,
    0x800000000000008b,
    0x8000000000008089,
    0x8000000000008003,
    0x8000000000008002,
    0x8000000000000080,
    0x000000000000800a,
    0x800000008000000a,
    0x8000000080008081,
    0x8000000000008080,
    0x0000000080000001,
    0x8000000080008008,
];

/// Rotation offsets r[x + 5y].
const ROT: [u32; 25] = [
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
];

/// Keccak-f[1600] on 200 bytes, lanes little-endian, lane (x, y) at index x + 5y.
fn keccak_f(st: &mut [u8; 200]) {
    let mut a = [0u64; 25];
    for (i, lane) in a.iter_mut().enumerate() {
        *lane = u64::from_le_bytes(st[8 * i..8 * i + 8].try_into().unwrap());
    }
    for rc in RC {
        // θ
        let c: Vec<u64> = (0..5)
            .map(|x| a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20])
            .collect();
        for x in 0..5 {
            let d = c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1);
            for y in 0..5 {
                a[x + 5 * y] ^= d;
            }
        }
        // ρ and π: B[y, 2x + 3y] = rot(A[x, y], r[x, y])
        let mut b = [0u64; 25];
        for x in 0..5 {
            for y in 0..5 {
                b[y + 5 * ((2 * x + 3 * y) % 5)] = a[x + 5 * y].rotate_left(ROT[x + 5 * y]);
            }
        }
        // χ
        for x in 0..5 {
            for y in 0..5 {
                a[x + 5 * y] = b[x + 5 * y] ^ (!b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
            }
        }
        // ι
        a[0] ^= rc;
    }
    for (i, lane) in a.iter().enumerate() {
        st[8 * i..8 * i + 8].copy_from_slice(&lane.to_le_bytes());
    }
}

/// STROBE-128 as docs/spec.md §4.1 describes it.
struct Strobe {
    st: [u8; 200],
    pos: usize,
    pos_begin: u8,
    cur_flags: u8,
}

impl Strobe {
    fn new(label: &[u8]) -> Strobe {
        let mut st = [0u8; 200];
        st[..6].copy_from_slice(&[0x01, (R + 2) as u8, 0x01, 0x00, 0x01, 0x60]);
        st[6..18].copy_from_slice(b"STROBEv1.0.2");
        keccak_f(&mut st);
        let mut s = Strobe {
            st,
            pos: 0,
            pos_begin: 0,
            cur_flags: 0,
        };
        s.meta_ad(label, false);
        s
    }

    fn run_f(&mut self) {
        self.st[self.pos] ^= self.pos_begin;
        self.st[self.pos + 1] ^= 0x04;
        self.st[R + 1] ^= 0x80;
        keccak_f(&mut self.st);
        self.pos = 0;
        self.pos_begin = 0;
    }

    fn absorb(&mut self, data: &[u8]) {
        for &b in data {
            self.st[self.pos] ^= b;
            self.pos += 1;
            if self.pos == R {
                self.run_f();
            }
        }
    }

    fn squeeze(&mut self, out: &mut [u8]) {
        for o in out {
            *o = self.st[self.pos];
            self.st[self.pos] = 0;
            self.pos += 1;
            if self.pos == R {
                self.run_f();
            }
        }
    }

    fn begin_op(&mut self, flags: u8, more: bool) {
        if more {
            assert_eq!(self.cur_flags, flags);
            return;
        }
        let old = self.pos_begin;
        self.pos_begin = (self.pos + 1) as u8;
        self.cur_flags = flags;
        self.absorb(&[old, flags]);
        if flags & (FLAG_C | FLAG_K) != 0 && self.pos != 0 {
            self.run_f();
        }
    }

    fn meta_ad(&mut self, data: &[u8], more: bool) {
        self.begin_op(FLAG_M | FLAG_A, more);
        self.absorb(data);
    }

    fn ad(&mut self, data: &[u8], more: bool) {
        self.begin_op(FLAG_A, more);
        self.absorb(data);
    }

    fn prf(&mut self, out: &mut [u8], more: bool) {
        self.begin_op(FLAG_I | FLAG_A | FLAG_C, more);
        self.squeeze(out);
    }
}

/// merlin as docs/spec.md §4.1 describes it.
struct SpecTranscript(Strobe);

impl SpecTranscript {
    fn new(label: &[u8]) -> Self {
        let mut t = SpecTranscript(Strobe::new(b"Merlin v1.0"));
        t.append_message(b"dom-sep", label);
        t
    }

    fn append_message(&mut self, label: &[u8], message: &[u8]) {
        self.0.meta_ad(label, false);
        self.0.meta_ad(&(message.len() as u32).to_le_bytes(), true);
        self.0.ad(message, false);
    }

    fn append_u64(&mut self, label: &[u8], x: u64) {
        self.append_message(label, &x.to_le_bytes());
    }

    fn challenge_bytes(&mut self, label: &[u8], out: &mut [u8]) {
        self.0.meta_ad(label, false);
        self.0.meta_ad(&(out.len() as u32).to_le_bytes(), true);
        self.0.prf(out, false);
    }

    /// The psephos prefix of docs/spec.md §4.3, steps 1–5.
    fn psephos(domain: &str, election: &[u8], binding: &[u8]) -> Self {
        let mut t = SpecTranscript::new(b"psephos");
        t.append_message(b"dom-sep", domain.as_bytes());
        t.append_u64(b"version", 1);
        t.append_message(b"election", election);
        t.append_message(b"context", binding);
        t
    }

    fn challenge(&mut self) -> Scalar {
        let mut wide = [0u8; 64];
        self.challenge_bytes(b"challenge", &mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }
}

fn vectors(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unhex(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn keccak_f_known_answer() {
    // Keccak-f[1600] applied to the all-zero state: the first lane of the well-known result.
    let mut st = [0u8; 200];
    keccak_f(&mut st);
    assert_eq!(
        u64::from_le_bytes(st[..8].try_into().unwrap()),
        0xf1258f7940e1dde7
    );
}

#[test]
fn spec_transcript_equals_merlin() {
    // Messages of many lengths, so that absorption crosses the rate boundary at every offset.
    let mut ours = SpecTranscript::new(b"psephos test");
    let mut theirs = Transcript::new(b"psephos test");
    for len in 0..400usize {
        let msg: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
        ours.append_message(b"m", &msg);
        theirs.append_message(b"m", &msg);
        if len % 37 == 0 {
            ours.append_u64(b"n", len as u64);
            theirs.append_u64(b"n", len as u64);
            let (mut a, mut b) = (vec![0u8; len % 300], vec![0u8; len % 300]);
            ours.challenge_bytes(b"c", &mut a);
            theirs.challenge_bytes(b"c", &mut b);
            assert_eq!(a, b, "challenge after {len}");
        }
    }
    let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
    ours.challenge_bytes(b"challenge", &mut a);
    theirs.challenge_bytes(b"challenge", &mut b);
    assert_eq!(a, b);
}

#[test]
fn spec_transcript_reproduces_vector_challenges() {
    // Schnorr (§5.2.1): statement X, commitment R.
    for case in vectors("schnorr.json")["cases"].as_array().unwrap() {
        let mut t = SpecTranscript::psephos(
            case["domain"].as_str().unwrap(),
            &unhex(&case["election_hash"]),
            &unhex(&case["binding"]),
        );
        t.append_message(b"X", &unhex(&case["public"]));
        t.append_message(b"R", &unhex(&case["proof"]["commitment"]));
        assert_eq!(hex::encode(t.challenge().to_bytes()), case["challenge"]);
    }
    // Chaum–Pedersen (§5.2.2): base, X, Y, then a, b.
    for case in vectors("dleq.json")["cases"].as_array().unwrap() {
        let mut t = SpecTranscript::psephos(
            case["domain"].as_str().unwrap(),
            &unhex(&case["election_hash"]),
            &unhex(&case["binding"]),
        );
        for (label, v) in [
            (&b"base"[..], &case["base"]),
            (b"X", &case["X"]),
            (b"Y", &case["Y"]),
            (b"a", &case["proof"]["a"]),
            (b"b", &case["proof"]["b"]),
        ] {
            t.append_message(label, &unhex(v));
        }
        assert_eq!(hex::encode(t.challenge().to_bytes()), case["challenge"]);
    }
    // Range proofs (§5.4) and the proofs of a contest (§5.5).
    let range = |domain: &str,
                 election: &[u8],
                 binding: &[u8],
                 key: &serde_json::Value,
                 cts: &[&serde_json::Value],
                 min: u64,
                 max: u64,
                 proof: &serde_json::Value| {
        let mut t = SpecTranscript::psephos(domain, election, binding);
        t.append_message(b"K", &unhex(key));
        t.append_u64(b"n", cts.len() as u64);
        for ct in cts {
            t.append_message(b"A", &unhex(&ct["a"]));
            t.append_message(b"B", &unhex(&ct["b"]));
        }
        t.append_u64(b"min", min);
        t.append_u64(b"max", max);
        for br in proof["branches"].as_array().unwrap() {
            t.append_message(b"a", &unhex(&br["a"]));
            t.append_message(b"b", &unhex(&br["b"]));
        }
        hex::encode(t.challenge().to_bytes())
    };
    for case in vectors("range.json")["cases"].as_array().unwrap() {
        let c = range(
            case["domain"].as_str().unwrap(),
            &unhex(&case["election_hash"]),
            &unhex(&case["binding"]),
            &case["key"],
            &[&case["ciphertext"]],
            case["min"].as_u64().unwrap(),
            case["max"].as_u64().unwrap(),
            &case["proof"],
        );
        assert_eq!(c, case["challenge"]);
    }
    for case in vectors("contest.json")["cases"].as_array().unwrap() {
        let election = unhex(&case["election_hash"]);
        let selections = case["contest"]["selections"].as_array().unwrap();
        for (sel, d) in selections
            .iter()
            .zip(case["derived"]["options"].as_array().unwrap())
        {
            let c = range(
                "psephos/selection-proof",
                &election,
                &unhex(&d["binding"]),
                &case["key"],
                &[&sel["ciphertext"]],
                0,
                1,
                &sel["proof"],
            );
            assert_eq!(c, d["challenge"]);
        }
        let cts: Vec<&serde_json::Value> = selections.iter().map(|s| &s["ciphertext"]).collect();
        let c = range(
            "psephos/sum-proof",
            &election,
            &unhex(&case["derived"]["sum"]["binding"]),
            &case["key"],
            &cts,
            case["limits"]["min_selections"].as_u64().unwrap(),
            case["limits"]["max_selections"].as_u64().unwrap(),
            &case["contest"]["sum_proof"],
        );
        assert_eq!(c, case["derived"]["sum"]["challenge"]);
    }
}

#[test]
fn spec_nonce_derivation_reproduces_contest_vectors() {
    // §3.1: BLAKE3 keyed with ξ over LE64(|label|) ‖ label ‖ LE64(indices…), 64 bytes, mod ℓ.
    let derive = |seed: &[u8], label: &str, indices: &[u64]| {
        let key: [u8; 32] = seed.try_into().unwrap();
        let mut h = blake3::Hasher::new_keyed(&key);
        h.update(&(label.len() as u64).to_le_bytes());
        h.update(label.as_bytes());
        for i in indices {
            h.update(&i.to_le_bytes());
        }
        let mut wide = [0u8; 64];
        h.finalize_xof().fill(&mut wide);
        hex::encode(Scalar::from_bytes_mod_order_wide(&wide).to_bytes())
    };
    for case in vectors("contest.json")["cases"].as_array().unwrap() {
        let seed = unhex(&case["ballot_seed"]);
        let q = case["question"].as_u64().unwrap();
        for (o, d) in case["derived"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let o = o as u64;
            assert_eq!(
                derive(&seed, "psephos/encryption-nonce", &[q, o]),
                d["encryption_nonce"]
            );
            assert_eq!(
                derive(&seed, "psephos/selection-u", &[q, o]),
                d["selection_u"]
            );
            for j in 0..2u64 {
                assert_eq!(
                    derive(&seed, "psephos/selection-c", &[q, o, j]),
                    d["selection_c"][j as usize]
                );
                assert_eq!(
                    derive(&seed, "psephos/selection-z", &[q, o, j]),
                    d["selection_z"][j as usize]
                );
            }
        }
        let sum = &case["derived"]["sum"];
        assert_eq!(derive(&seed, "psephos/sum-u", &[q]), sum["sum_u"]);
        for (j, c) in sum["sum_c"].as_array().unwrap().iter().enumerate() {
            assert_eq!(&derive(&seed, "psephos/sum-c", &[q, j as u64]), c);
            assert_eq!(
                &derive(&seed, "psephos/sum-z", &[q, j as u64]),
                &sum["sum_z"][j]
            );
        }
    }
}
