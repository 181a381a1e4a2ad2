//! The key ceremony and threshold decryption end to end (docs/spec.md §6), with the failures a
//! trustee or verifier must detect.

mod common;

use common::{subsets, Ceremony, BASE_HASH, ELECTION_HASH};
use psephos_crypto::batch::BatchVerifier;
use psephos_crypto::dkg::{
    check_threshold, joint_key, verification_key, CoefficientCommitments, Complaint,
    ComplaintVerdict, EncryptedShare, KeyShare, Polynomial, TrusteeSecretKey,
};
use psephos_crypto::dlog::DiscreteLog;
use psephos_crypto::elgamal::{Ciphertext, CiphertextSum};
use psephos_crypto::error::CeremonyError;
use psephos_crypto::group::{mul_g, Element, FixedBase, G};
use psephos_crypto::threshold::{combine, decrypt, lagrange_at_zero, DecryptionShare};
use psephos_crypto::Scalar;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn shares_for(
    c: &Ceremony,
    ct: &Ciphertext,
    question: u32,
    option: u32,
    rng: &mut ChaCha20Rng,
) -> Vec<DecryptionShare> {
    c.key_shares
        .iter()
        .map(|k| DecryptionShare::compute(k, &ELECTION_HASH, question, option, ct, rng))
        .collect()
}

fn end_to_end(t: u32, n: u32, seed: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let c = Ceremony::run(t, n, &mut rng);

    // The joint key is the sum of the constant terms; every verification key computed from the
    // public commitments matches the trustee's own share.
    assert_eq!(*c.joint_key.point(), mul_g(&c.joint_secret()));
    for (k, vk) in c.key_shares.iter().zip(&c.verification_keys) {
        assert_eq!(k.verification_key(), *vk, "trustee {}", k.index());
    }
    // Any t key shares interpolate to the joint secret; the shares are points of one polynomial.
    for set in subsets(n, t as usize) {
        let secret: Scalar = set
            .iter()
            .map(|&l| {
                let z = Scalar::from_canonical_bytes(*c.key_shares[(l - 1) as usize].to_bytes())
                    .unwrap();
                lagrange_at_zero(&set, l).unwrap() * z
            })
            .sum();
        assert_eq!(secret, c.joint_secret(), "subset {set:?}");
    }

    // Encrypt a tally-sized value as the sum of several ciphertexts, then decrypt it.
    let key = FixedBase::new(c.joint_key);
    let parts = [3u64, 0, 17, 22];
    let cts: Vec<Ciphertext> = parts
        .iter()
        .map(|&m| Ciphertext::encrypt(&key, m, &Scalar::random(&mut rng)))
        .collect();
    let (a, b) = CiphertextSum::of(&cts).to_elements();
    let total = Ciphertext { a, b };
    let (question, option) = (2, 1);
    let shares = shares_for(&c, &total, question, option, &mut rng);
    for (s, vk) in shares.iter().zip(&c.verification_keys) {
        s.verify(vk, &ELECTION_HASH, question, option, &total)
            .unwrap();
    }
    // All proofs again in one batch.
    let mut batch = BatchVerifier::new();
    for (s, vk) in shares.iter().zip(&c.verification_keys) {
        s.queue(vk, &ELECTION_HASH, question, option, &total, &mut batch);
    }
    assert!(batch.verify());

    let dlog = DiscreteLog::new(1000);
    for k in t as usize..=n as usize {
        for set in subsets(n, k) {
            let chosen: Vec<&DecryptionShare> =
                set.iter().map(|&l| &shares[(l - 1) as usize]).collect();
            assert_eq!(
                decrypt(&total, &chosen, t, n, &dlog),
                Ok(42),
                "t={t} n={n} subset {set:?}"
            );
            // The combination is s·A whatever the subset (and whatever the order).
            let mut reversed = chosen.clone();
            reversed.reverse();
            assert_eq!(
                combine(&reversed, t, n).unwrap(),
                total.a.point() * c.joint_secret()
            );
        }
    }
    // Fewer than t shares are refused.
    if t > 1 {
        for set in subsets(n, t as usize - 1) {
            let chosen: Vec<&DecryptionShare> =
                set.iter().map(|&l| &shares[(l - 1) as usize]).collect();
            assert_eq!(
                decrypt(&total, &chosen, t, n, &dlog),
                Err(CeremonyError::NotEnoughShares {
                    needed: t as usize,
                    have: t as usize - 1
                })
            );
        }
    }
}

#[test]
fn two_of_three_end_to_end() {
    end_to_end(2, 3, 23);
}

#[test]
fn three_of_five_end_to_end() {
    end_to_end(3, 5, 35);
}

#[test]
fn one_of_one_and_three_of_three() {
    end_to_end(1, 1, 11);
    end_to_end(3, 3, 33);
}

#[test]
fn invalid_thresholds_are_rejected() {
    for (t, n) in [(0, 3), (4, 3), (1, 256), (0, 0)] {
        assert_eq!(
            check_threshold(t, n),
            Err(CeremonyError::InvalidThreshold { t, n })
        );
    }
    assert!(check_threshold(255, 255).is_ok());
}

#[test]
fn mislabelled_share_gives_wrong_result_or_error() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let c = Ceremony::run(2, 3, &mut rng);
    let key = FixedBase::new(c.joint_key);
    let ct = Ciphertext::encrypt(&key, 5, &Scalar::random(&mut rng));
    let shares = shares_for(&c, &ct, 0, 0, &mut rng);
    let dlog = DiscreteLog::new(1000);
    // Trustee 2's share presented as trustee 3's, combined with trustee 1's.
    let mut relabelled = shares[1].clone();
    relabelled.trustee = 3;
    let chosen = [&shares[0], &relabelled];
    assert_ne!(decrypt(&ct, &chosen, 2, 3, &dlog), Ok(5));
    assert_ne!(
        combine(&chosen, 2, 3).unwrap(),
        ct.a.point() * c.joint_secret()
    );
    // And its proof does not verify for trustee 3 (nor, relabelled, for trustee 2).
    assert_eq!(
        relabelled.verify(&c.verification_keys[2], &ELECTION_HASH, 0, 0, &ct),
        Err(CeremonyError::BadDecryptionProof(3))
    );
    assert_eq!(
        relabelled.verify(&c.verification_keys[1], &ELECTION_HASH, 0, 0, &ct),
        Err(CeremonyError::BadDecryptionProof(3))
    );
    // Repeated and out-of-range indices are errors, not wrong answers.
    let twice = [&shares[0], &shares[0]];
    assert_eq!(
        decrypt(&ct, &twice, 2, 3, &dlog),
        Err(CeremonyError::BadTrusteeIndex(1))
    );
    let mut outside = shares[2].clone();
    outside.trustee = 4;
    assert_eq!(
        decrypt(&ct, &[&shares[0], &outside], 2, 3, &dlog),
        Err(CeremonyError::BadTrusteeIndex(4))
    );
    let mut zero = shares[2].clone();
    zero.trustee = 0;
    assert_eq!(
        decrypt(&ct, &[&shares[0], &zero], 2, 3, &dlog),
        Err(CeremonyError::BadTrusteeIndex(0))
    );
}

#[test]
fn value_beyond_dlog_bound_is_an_error() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let c = Ceremony::run(2, 3, &mut rng);
    let key = FixedBase::new(c.joint_key);
    let ct = Ciphertext::encrypt(&key, 1001, &Scalar::random(&mut rng));
    let shares = shares_for(&c, &ct, 0, 0, &mut rng);
    assert_eq!(
        decrypt(
            &ct,
            &[&shares[0], &shares[2]],
            2,
            3,
            &DiscreteLog::new(1000)
        ),
        Err(CeremonyError::DiscreteLogOutOfRange(1000))
    );
}

#[test]
fn decryption_proof_negative_cases() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let c = Ceremony::run(2, 3, &mut rng);
    let key = FixedBase::new(c.joint_key);
    let ct = Ciphertext::encrypt(&key, 1, &Scalar::random(&mut rng));
    let other_ct = Ciphertext::encrypt(&key, 1, &Scalar::random(&mut rng));
    let (q, o) = (4, 2);
    let share = DecryptionShare::compute(&c.key_shares[0], &ELECTION_HASH, q, o, &ct, &mut rng);
    let vk = &c.verification_keys[0];
    let bad = Err(CeremonyError::BadDecryptionProof(1));
    let check = |s: &DecryptionShare,
                 vk: &Element,
                 h: &[u8; 32],
                 q: u32,
                 o: u32,
                 ct: &Ciphertext|
     -> Result<(), CeremonyError> {
        let single = s.verify(vk, h, q, o, ct);
        let mut batch = BatchVerifier::new();
        s.queue(vk, h, q, o, ct, &mut batch);
        assert_eq!(single.is_ok(), batch.verify(), "batch and single disagree");
        single
    };
    assert_eq!(check(&share, vk, &ELECTION_HASH, q, o, &ct), Ok(()));
    // Wrong ciphertext (another A), wrong verification key, wrong question, wrong option,
    // wrong election.
    assert_eq!(check(&share, vk, &ELECTION_HASH, q, o, &other_ct), bad);
    assert_eq!(
        check(&share, &c.verification_keys[1], &ELECTION_HASH, q, o, &ct),
        bad
    );
    assert_eq!(check(&share, vk, &ELECTION_HASH, q + 1, o, &ct), bad);
    assert_eq!(check(&share, vk, &ELECTION_HASH, q, o + 1, &ct), bad);
    assert_eq!(check(&share, vk, &ELECTION_HASH, o, q, &ct), bad);
    assert_eq!(check(&share, vk, &[0xe2; 32], q, o, &ct), bad);
    // The B half of the ciphertext is not part of the statement (a partial decryption only
    // involves A), so changing only B does not matter.
    let mut b_changed = ct;
    b_changed.b = other_ct.b;
    assert_eq!(check(&share, vk, &ELECTION_HASH, q, o, &b_changed), Ok(()));
    // Tampered share M, tampered proof parts.
    let mut s = share.clone();
    s.share = Element::from_point(s.share.point() + G);
    assert_eq!(check(&s, vk, &ELECTION_HASH, q, o, &ct), bad);
    let mut s = share.clone();
    s.proof.a = Element::from_point(s.proof.a.point() + G);
    assert_eq!(check(&s, vk, &ELECTION_HASH, q, o, &ct), bad);
    let mut s = share.clone();
    s.proof.b = Element::from_point(s.proof.b.point() + G);
    assert_eq!(check(&s, vk, &ELECTION_HASH, q, o, &ct), bad);
    let mut s = share.clone();
    s.proof.response.0 += Scalar::ONE;
    assert_eq!(check(&s, vk, &ELECTION_HASH, q, o, &ct), bad);
    // A share computed honestly by a trustee whose key share is not the one published.
    let rogue = KeyShare::from_received(1, &[Scalar::from(12345u64)]);
    let s = DecryptionShare::compute(&rogue, &ELECTION_HASH, q, o, &ct, &mut rng);
    assert_eq!(check(&s, vk, &ELECTION_HASH, q, o, &ct), bad);
    // Decryption shares survive a JSON round trip and reject unknown fields.
    let json = serde_json::to_value(&share).unwrap();
    assert_eq!(
        serde_json::from_value::<DecryptionShare>(json.clone()).unwrap(),
        share
    );
    let mut extra = json;
    extra["note"] = serde_json::Value::Null;
    assert!(serde_json::from_value::<DecryptionShare>(extra).is_err());
}

#[test]
fn coefficient_commitments_negative_cases() {
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let p = Polynomial::random(3, &mut rng);
    let good = p.commit(2, &BASE_HASH, &mut rng);
    assert_eq!(good.verify(3, &BASE_HASH), Ok(()));
    // A wrong threshold, a wrong H_B, another trustee's index.
    assert_eq!(
        good.verify(2, &BASE_HASH),
        Err(CeremonyError::WrongCommitmentCount {
            trustee: 2,
            expected: 2,
            found: 3
        })
    );
    assert_eq!(
        good.verify(3, &[0xb1; 32]),
        Err(CeremonyError::BadCoefficientProof {
            trustee: 2,
            coefficient: 0
        })
    );
    let mut moved = good.clone();
    moved.trustee = 3;
    assert_eq!(
        moved.verify(3, &BASE_HASH),
        Err(CeremonyError::BadCoefficientProof {
            trustee: 3,
            coefficient: 0
        })
    );
    // Proofs swapped between coefficients (each is bound to its coefficient index).
    let mut swapped = good.clone();
    swapped.commitments.swap(1, 2);
    swapped.proofs.swap(1, 2);
    assert_eq!(
        swapped.verify(3, &BASE_HASH),
        Err(CeremonyError::BadCoefficientProof {
            trustee: 2,
            coefficient: 1
        })
    );
    // A tampered commitment.
    let mut tampered = good.clone();
    tampered.commitments[2] = Element::from_point(tampered.commitments[2].point() + G);
    assert_eq!(
        tampered.verify(3, &BASE_HASH),
        Err(CeremonyError::BadCoefficientProof {
            trustee: 2,
            coefficient: 2
        })
    );
    // A missing proof.
    let mut short = good.clone();
    short.proofs.pop();
    assert!(matches!(
        short.verify(3, &BASE_HASH),
        Err(CeremonyError::WrongCommitmentCount { .. })
    ));
    // Evaluation in the exponent matches the secret polynomial.
    for l in 1..=5 {
        assert_eq!(good.evaluate_in_exponent(l), mul_g(&p.evaluate(l)));
    }
}

#[test]
fn trustee_key_proof_is_bound_to_index_and_base_hash() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let d = TrusteeSecretKey::random(&mut rng);
    let pk = d.public_key(2, &BASE_HASH, &mut rng);
    assert!(pk.verify(&BASE_HASH).is_ok());
    assert_eq!(
        pk.verify(&[0; 32]),
        Err(CeremonyError::BadTrusteeKeyProof { trustee: 2 })
    );
    let mut moved = pk.clone();
    moved.index = 1;
    assert_eq!(
        moved.verify(&BASE_HASH),
        Err(CeremonyError::BadTrusteeKeyProof { trustee: 1 })
    );
    // Restoring the secret key from bytes gives the same public key; zero is refused.
    let restored = TrusteeSecretKey::from_bytes(&d.to_bytes()).unwrap();
    assert_eq!(restored.public_element(), pk.key);
    assert!(TrusteeSecretKey::from_bytes(&[0; 32]).is_err());
    assert!(TrusteeSecretKey::from_bytes(&[0xff; 32]).is_err());
}

#[test]
fn joint_key_and_verification_keys_depend_on_every_trustee() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let c = Ceremony::run(2, 3, &mut rng);
    let fewer = &c.commitments[..2];
    assert_ne!(joint_key(fewer), c.joint_key);
    assert_ne!(verification_key(fewer, 1), c.verification_keys[0]);
    // Restoring a key share from bytes keeps index and verification key.
    let restored = KeyShare::from_bytes(2, &c.key_shares[1].to_bytes()).unwrap();
    assert_eq!(restored.index(), 2);
    assert_eq!(restored.verification_key(), c.verification_keys[1]);
}

/// Trustee 1 sends trustee 3 a share that does not match its commitments.
#[test]
fn cheating_sender_is_blamed() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let c = Ceremony::run(2, 3, &mut rng);
    let (from, to) = (1u32, 3u32);
    let recipient_key = &c.transport_keys[(to - 1) as usize];
    let recipient_secret = &c.transport_secrets[(to - 1) as usize];
    let sender = &c.commitments[(from - 1) as usize];
    let wrong = c.polynomials[0].evaluate(to) + Scalar::ONE;
    let bad = EncryptedShare::seal(&BASE_HASH, from, to, &recipient_key.key, &wrong, &mut rng);
    // The recipient can decrypt it but sees the mismatch.
    assert_eq!(bad.open(&BASE_HASH, recipient_secret), Ok(wrong));
    assert_eq!(
        bad.open_and_check(&BASE_HASH, recipient_secret, sender),
        Err(CeremonyError::ShareMismatch { from, to })
    );
    let complaint = Complaint::make(&BASE_HASH, &bad, recipient_secret, &mut rng).unwrap();
    assert_eq!((complaint.by, complaint.against), (to, from));
    assert_eq!(
        complaint.adjudicate(&BASE_HASH, &bad, recipient_key, sender),
        Ok(ComplaintVerdict::SenderCheated)
    );

    // A share sealed to the wrong transport key cannot be decrypted: also the sender's fault.
    let misdirected = EncryptedShare::seal(
        &BASE_HASH,
        from,
        to,
        &c.transport_keys[1].key,
        &c.polynomials[0].evaluate(to),
        &mut rng,
    );
    assert_eq!(
        misdirected.open(&BASE_HASH, recipient_secret),
        Err(CeremonyError::ShareDecryption { from, to })
    );
    let complaint = Complaint::make(&BASE_HASH, &misdirected, recipient_secret, &mut rng).unwrap();
    assert_eq!(
        complaint.adjudicate(&BASE_HASH, &misdirected, recipient_key, sender),
        Ok(ComplaintVerdict::SenderCheated)
    );

    // So is a garbled ciphertext.
    let mut garbled = c.sealed[0][2].clone().unwrap();
    garbled.ciphertext.replace_range(0..2, "00");
    if garbled.ciphertext == c.sealed[0][2].as_ref().unwrap().ciphertext {
        garbled.ciphertext.replace_range(0..2, "01");
    }
    let complaint = Complaint::make(&BASE_HASH, &garbled, recipient_secret, &mut rng).unwrap();
    assert_eq!(
        complaint.adjudicate(&BASE_HASH, &garbled, recipient_key, sender),
        Ok(ComplaintVerdict::SenderCheated)
    );
}

/// Trustee 3 complains about an honest share from trustee 2.
#[test]
fn false_complaint_is_blamed_on_complainer() {
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let c = Ceremony::run(2, 3, &mut rng);
    let share = c.sealed[1][2].clone().unwrap();
    let complaint = Complaint::make(&BASE_HASH, &share, &c.transport_secrets[2], &mut rng).unwrap();
    assert_eq!(
        complaint.adjudicate(&BASE_HASH, &share, &c.transport_keys[2], &c.commitments[1]),
        Ok(ComplaintVerdict::ComplainerLied)
    );
}

#[test]
fn complaint_with_tampered_evidence_is_rejected() {
    let mut rng = ChaCha20Rng::seed_from_u64(15);
    let c = Ceremony::run(2, 3, &mut rng);
    let (from, to) = (2u32, 1u32);
    let share = c.sealed[1][0].clone().unwrap();
    let complainer = &c.transport_keys[0];
    let sender = &c.commitments[1];
    let complaint = Complaint::make(&BASE_HASH, &share, &c.transport_secrets[0], &mut rng).unwrap();
    assert_eq!(
        complaint.adjudicate(&BASE_HASH, &share, complainer, sender),
        Ok(ComplaintVerdict::ComplainerLied)
    );
    let bad = Err(CeremonyError::BadComplaintProof {
        by: to,
        against: from,
    });
    // A revealed point that is not d·E (which would make an honest share look broken).
    let mut tampered = complaint.clone();
    tampered.revealed = Element::from_point(tampered.revealed.point() + G);
    assert_eq!(
        tampered.adjudicate(&BASE_HASH, &share, complainer, sender),
        bad
    );
    // A tampered proof.
    let mut tampered = complaint.clone();
    tampered.proof.response.0 += Scalar::ONE;
    assert_eq!(
        tampered.adjudicate(&BASE_HASH, &share, complainer, sender),
        bad
    );
    // Under another H_B the share itself is not valid (its ephemeral-key proof binds H_B, and
    // is checked before the complaint's evidence).
    assert_eq!(
        complaint.adjudicate(&[0xb1; 32], &share, complainer, sender),
        Ok(ComplaintVerdict::SenderCheated)
    );
    // Evidence presented against the wrong share, complainer or sender.
    let other_share = c.sealed[2][0].clone().unwrap();
    assert_eq!(
        complaint.adjudicate(&BASE_HASH, &other_share, complainer, sender),
        bad
    );
    assert_eq!(
        complaint.adjudicate(&BASE_HASH, &share, &c.transport_keys[2], sender),
        bad
    );
    assert_eq!(
        complaint.adjudicate(&BASE_HASH, &share, complainer, &c.commitments[2]),
        bad
    );
    // A complaint made with another trustee's transport key.
    let forged = Complaint::make(&BASE_HASH, &share, &c.transport_secrets[2], &mut rng).unwrap();
    assert_eq!(
        forged.adjudicate(&BASE_HASH, &share, complainer, sender),
        bad
    );
    // A complaint relabelled to come from someone else.
    let mut relabelled = complaint.clone();
    relabelled.by = 3;
    assert_eq!(
        relabelled.adjudicate(&BASE_HASH, &share, complainer, sender),
        Err(CeremonyError::BadComplaintProof {
            by: 3,
            against: from
        })
    );
}

#[test]
fn encrypted_share_is_bound_to_sender_recipient_and_base_hash() {
    let mut rng = ChaCha20Rng::seed_from_u64(16);
    let c = Ceremony::run(2, 3, &mut rng);
    let share = c.sealed[0][1].clone().unwrap();
    let d2 = &c.transport_secrets[1];
    assert!(share.open(&BASE_HASH, d2).is_ok());
    assert!(share.open(&[0xb1; 32], d2).is_err());
    // Relabelling the sender breaks the ephemeral-key proof first (it binds sender and
    // recipient), before anything is decrypted.
    let mut relabelled = share.clone();
    relabelled.from = 3;
    assert_eq!(
        relabelled.open(&BASE_HASH, d2),
        Err(CeremonyError::BadEphemeralProof { from: 3, to: 2 })
    );
    assert_eq!(
        share.open(&[0xb1; 32], d2),
        Err(CeremonyError::BadEphemeralProof { from: 1, to: 2 })
    );
    // With a valid proof for the relabelled pair, the AEAD binding still refuses it.
    let mut resealed = c.sealed[0][1].clone().unwrap();
    let other = c.sealed[2][1].clone().unwrap();
    resealed.from = 3;
    resealed.ephemeral = other.ephemeral;
    resealed.ephemeral_proof = other.ephemeral_proof;
    assert_eq!(
        resealed.open(&BASE_HASH, d2),
        Err(CeremonyError::ShareDecryption { from: 3, to: 2 })
    );
    let mut relabelled = share.clone();
    relabelled.to = 3;
    assert!(relabelled.open(&BASE_HASH, d2).is_err());
    // Not hex, truncated, or empty.
    for text in ["zz", "", &share.ciphertext[..share.ciphertext.len() - 2]] {
        let mut broken = share.clone();
        broken.ciphertext = text.to_string();
        assert!(broken.open(&BASE_HASH, d2).is_err());
    }
    // 32-byte share plus a 16-byte tag.
    assert_eq!(share.ciphertext.len(), 2 * 48);
    // Round trip through JSON.
    let json = serde_json::to_string(&share).unwrap();
    assert_eq!(
        serde_json::from_str::<EncryptedShare>(&json).unwrap(),
        share
    );
    let commitments: CoefficientCommitments =
        serde_json::from_str(&serde_json::to_string(&c.commitments[0]).unwrap()).unwrap();
    assert_eq!(commitments, c.commitments[0]);
}

/// The complaint as a Diffie–Hellman oracle (issue 11, item 4). Without a proof of knowledge
/// of the ephemeral secret, cheating trustee 1 could send trustee 3 a "share" whose ephemeral
/// point E' is the ephemeral point of trustee 2's share to trustee 3. Trustee 3 cannot decrypt
/// it (the key binds the sender), complains, and the complaint reveals S' = d₃·E', which is
/// exactly the Diffie–Hellman point of trustee 2's share: anyone then reads P₂(3). With t = 2,
/// trustee 1 also holds P₂(1) and so learns trustee 2's whole polynomial.
///
/// The proof closes this: the forged share is refused, as the sender's fault, before the
/// recipient decrypts or reveals anything, and `Complaint::make` refuses to reveal d₃·E'.
#[test]
fn complaint_oracle_is_closed_by_the_ephemeral_proof() {
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    let c = Ceremony::run(2, 3, &mut rng);
    let victim = c.sealed[1][2].clone().unwrap(); // 2 → 3
    let d3 = &c.transport_secrets[2];

    // What the oracle would leak: d₃·E' for E' = E₂→₃ is the point that opens P₂(3). An
    // honest complaint about the victim's share reveals that very point, and with it anyone
    // decrypts the share (the adjudication succeeds in decrypting: ComplainerLied).
    let leak = Complaint::make(&BASE_HASH, &victim, d3, &mut rng).unwrap();
    assert_eq!(
        leak.adjudicate(&BASE_HASH, &victim, &c.transport_keys[2], &c.commitments[1]),
        Ok(ComplaintVerdict::ComplainerLied)
    );

    let blame = CeremonyError::BadEphemeralProof { from: 1, to: 3 };
    let refused: Result<(), CeremonyError> = Err(blame.clone());
    // Forgery 1: trustee 2's ephemeral point with trustee 2's proof, relabelled as 1 → 3.
    let mut forged = victim.clone();
    forged.from = 1;
    assert_eq!(forged.verify_ephemeral(&BASE_HASH), refused);
    assert_eq!(forged.open(&BASE_HASH, d3), Err(blame.clone()));
    assert_eq!(
        forged.open_and_check(&BASE_HASH, d3, &c.commitments[0]),
        Err(blame.clone())
    );
    assert_eq!(
        Complaint::make(&BASE_HASH, &forged, d3, &mut rng).map(|c| c.revealed),
        Err(blame.clone())
    );
    // Even evidence that would decrypt does not clear the sender: the share is its fault.
    let mut replayed = leak.clone();
    replayed.against = 1;
    assert_eq!(
        replayed.adjudicate(&BASE_HASH, &forged, &c.transport_keys[2], &c.commitments[0]),
        Ok(ComplaintVerdict::SenderCheated)
    );

    // Forgery 2: an attacker-chosen point, another trustee's transport key D₂, with the proof
    // of D₂ from trustee 2's key message (another domain and binding).
    let mut forged = c.sealed[0][2].clone().unwrap();
    forged.ephemeral = c.transport_keys[1].key;
    forged.ephemeral_proof = c.transport_keys[1].proof;
    assert_eq!(forged.verify_ephemeral(&BASE_HASH), refused);
    assert_eq!(
        Complaint::make(&BASE_HASH, &forged, d3, &mut rng).err(),
        Some(blame.clone())
    );

    // Forgery 3: a random point with a made-up proof.
    let mut forged = c.sealed[0][2].clone().unwrap();
    forged.ephemeral = Element::from_point(G * Scalar::random(&mut rng));
    assert_eq!(forged.verify_ephemeral(&BASE_HASH), refused);

    // The only points a complaint can now reveal d₃·E for are those whose e the sender
    // proved it knows: then S = e·D₃, which the sender could compute itself.
    // (`seal` draws e first, so a clone of the generator shows it.)
    let e = Scalar::random(&mut rng.clone());
    let proven = EncryptedShare::seal(
        &BASE_HASH,
        1,
        3,
        &c.transport_keys[2].key,
        &(c.polynomials[0].evaluate(3) + Scalar::ONE),
        &mut rng,
    );
    assert_eq!(*proven.ephemeral.point(), mul_g(&e));
    proven.verify_ephemeral(&BASE_HASH).unwrap();
    let complaint = Complaint::make(&BASE_HASH, &proven, d3, &mut rng).unwrap();
    assert_eq!(
        *complaint.revealed.point(),
        c.transport_keys[2].key.point() * e
    );
    assert_eq!(
        complaint.adjudicate(&BASE_HASH, &proven, &c.transport_keys[2], &c.commitments[0]),
        Ok(ComplaintVerdict::SenderCheated)
    );
}

/// The ephemeral-key proof is bound to H_B, the sender and the recipient, and its encodings
/// are strict.
#[test]
fn ephemeral_proof_binding_and_encoding() {
    let mut rng = ChaCha20Rng::seed_from_u64(18);
    let c = Ceremony::run(2, 3, &mut rng);
    let share = c.sealed[0][1].clone().unwrap(); // 1 → 2
    share.verify_ephemeral(&BASE_HASH).unwrap();
    assert_eq!(
        share.verify_ephemeral(&[0xb1; 32]),
        Err(CeremonyError::BadEphemeralProof { from: 1, to: 2 })
    );
    let mut other = share.clone();
    other.to = 3;
    assert_eq!(
        other.verify_ephemeral(&BASE_HASH),
        Err(CeremonyError::BadEphemeralProof { from: 1, to: 3 })
    );
    let mut tampered = share.clone();
    tampered.ephemeral_proof.response.0 += Scalar::ONE;
    assert!(tampered.verify_ephemeral(&BASE_HASH).is_err());
    let mut tampered = share.clone();
    tampered.ephemeral_proof.commitment =
        Element::from_point(tampered.ephemeral_proof.commitment.point() + G);
    assert!(tampered.verify_ephemeral(&BASE_HASH).is_err());
    // Identity or non-canonical encodings, a missing proof, an extra field: refused on decode.
    let json = serde_json::to_value(&share).unwrap();
    for (field, value) in [
        ("ephemeral", serde_json::json!("00".repeat(32))),
        ("ephemeral", serde_json::json!("ff".repeat(32))),
    ] {
        let mut bad = json.clone();
        bad[field] = value;
        assert!(serde_json::from_value::<EncryptedShare>(bad).is_err());
    }
    let mut bad = json.clone();
    bad["ephemeral_proof"]["response"] = serde_json::json!("ff".repeat(32));
    assert!(serde_json::from_value::<EncryptedShare>(bad).is_err());
    let mut bad = json.clone();
    bad.as_object_mut().unwrap().remove("ephemeral_proof");
    assert!(serde_json::from_value::<EncryptedShare>(bad).is_err());
}
