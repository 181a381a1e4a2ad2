//! The threshold key ceremony: a Pedersen distributed key generation (Pedersen, "A threshold
//! cryptosystem without a trusted party", Eurocrypt 1991), as in ElectionGuard 2.1 §3.2.
//!
//! Each trustee `i ∈ 1..=n` picks a random polynomial `Pᵢ(x) = Σ_{j<t} aᵢⱼ·xʲ`, publishes the
//! commitments `Kᵢⱼ = aᵢⱼ·G` each with a Schnorr proof of knowledge (bound to H_B, `i` and
//! `j`), and sends `Pᵢ(ℓ)` to every other trustee `ℓ`, encrypted to `ℓ`'s transport key
//! `D_ℓ = d_ℓ·G`. Trustee `ℓ` checks `Pᵢ(ℓ)·G = Σⱼ ℓʲ·Kᵢⱼ`.
//!
//! The joint key is `K = Σᵢ Kᵢ₀`; trustee `ℓ`'s key share is `z_ℓ = Σᵢ Pᵢ(ℓ)` and its public
//! verification key `K_ℓ = z_ℓ·G = Σᵢ Σⱼ ℓʲ·Kᵢⱼ`, which anyone computes from the commitments.
//! The secret `Σᵢ aᵢ₀` is never assembled anywhere.
//!
//! Share transport: an ephemeral `e`, `E = e·G`, the Diffie–Hellman point `S = e·D_ℓ`, a key
//! `k = BLAKE3-derive-key("psephos v1 share transport", H_B ‖ LE32(i) ‖ LE32(ℓ) ‖ E ‖ D_ℓ ‖ S)`,
//! and ChaCha20-Poly1305 (RFC 8439) under `k` with the all-zero nonce (each key encrypts one
//! message) and associated data `H_B ‖ LE32(i) ‖ LE32(ℓ)`. The share carries a Schnorr proof
//! of knowledge of `e` bound to H_B, `i` and `ℓ`: without it the sender could pick any `E'`
//! (another share's ephemeral point, another trustee's key) and an honest recipient's
//! complaint would reveal `d_ℓ·E'` for it, a Diffie–Hellman oracle. A share whose proof fails
//! is the sender's fault and is never opened or complained about.
//!
//! A complaint: trustee `ℓ` reveals `S = d_ℓ·E` with a Chaum–Pedersen proof that
//! `log_G D_ℓ = log_E S`. Anyone then re-derives `k`, decrypts the share and checks it against
//! the commitments, which shows whether the sender or the complainer lied, with no secret of
//! either revealed beyond that one share (which was the complainer's to know).
//!
//! Why not `frost-ristretto255`'s `keys::dkg`: see docs/spec.md §6.1.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::CeremonyError;
use crate::group::{mul_g, Element, ScalarValue};
use crate::proofs::dleq::{DleqProof, DleqStatement};
use crate::proofs::schnorr::SchnorrProof;
use crate::transcript::{Domain, ProofContext};

/// Checks `1 ≤ t ≤ n ≤ 255`.
pub fn check_threshold(t: u32, n: u32) -> Result<(), CeremonyError> {
    if t == 0 || t > n || n > 255 {
        return Err(CeremonyError::InvalidThreshold { t, n });
    }
    Ok(())
}

/// Binding of a coefficient proof: `LE32(trustee) ‖ LE32(coefficient)`.
pub fn coefficient_binding(trustee: u32, coefficient: u32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&trustee.to_le_bytes());
    b[4..].copy_from_slice(&coefficient.to_le_bytes());
    b
}

/// A trustee's secret transport key `d`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TrusteeSecretKey(Scalar);

/// A trustee's published transport key `D = d·G` with a Schnorr proof bound to H_B and the
/// trustee's index (binding `LE32(index)`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteePublicKey {
    /// The trustee's index, 1..=n.
    pub index: u32,
    /// D = d·G.
    pub key: Element,
    /// Proof of knowledge of d.
    pub proof: SchnorrProof,
}

impl TrusteeSecretKey {
    /// A fresh key.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        TrusteeSecretKey(Scalar::random(rng))
    }

    /// Restores a stored key; fails on a non-canonical or zero scalar.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CeremonyError> {
        let s = ScalarValue::decode(bytes)?.0;
        if s == Scalar::ZERO {
            return Err(CeremonyError::Decode(
                crate::error::DecodeError::NonCanonicalScalar,
            ));
        }
        Ok(TrusteeSecretKey(s))
    }

    /// The secret's bytes, for encrypted storage only.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key D.
    pub fn public_element(&self) -> Element {
        Element::from_point(mul_g(&self.0))
    }

    /// The published key with its proof.
    pub fn public_key<R: RngCore + CryptoRng>(
        &self,
        index: u32,
        base_hash: &[u8; 32],
        rng: &mut R,
    ) -> TrusteePublicKey {
        let key = self.public_element();
        let binding = index.to_le_bytes();
        let ctx = ProofContext {
            election_hash: base_hash,
            binding: &binding,
        };
        let proof = SchnorrProof::prove(Domain::TrusteeKeyProof, &ctx, &self.0, &key, rng);
        TrusteePublicKey { index, key, proof }
    }
}

impl TrusteePublicKey {
    /// Verifies the proof of knowledge.
    pub fn verify(&self, base_hash: &[u8; 32]) -> Result<(), CeremonyError> {
        let binding = self.index.to_le_bytes();
        let ctx = ProofContext {
            election_hash: base_hash,
            binding: &binding,
        };
        self.proof
            .verify(Domain::TrusteeKeyProof, &ctx, &self.key)
            .map_err(|_| CeremonyError::BadTrusteeKeyProof {
                trustee: self.index,
            })
    }
}

/// A trustee's secret polynomial `Pᵢ` of degree `t − 1`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Polynomial {
    coefficients: Vec<Scalar>,
}

impl Polynomial {
    /// A random polynomial with `threshold` coefficients.
    pub fn random<R: RngCore + CryptoRng>(threshold: u32, rng: &mut R) -> Self {
        Polynomial {
            coefficients: (0..threshold).map(|_| Scalar::random(rng)).collect(),
        }
    }

    /// The polynomial with the given coefficients `a₀, a₁, …` (constant term first): for
    /// known-answer test vectors (tests/vectors/ceremony-*.json) and for restoring a stored
    /// polynomial. A ceremony uses [`Polynomial::random`].
    pub fn from_coefficients(coefficients: Vec<Scalar>) -> Self {
        Polynomial { coefficients }
    }

    /// The coefficients' encodings, constant term first (32 bytes each), for encrypted storage
    /// only: a trustee keeps its polynomial sealed so that an interrupted ceremony can resume.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(32 * self.coefficients.len()));
        for a in &self.coefficients {
            out.extend_from_slice(&a.to_bytes());
        }
        out
    }

    /// Restores what [`Polynomial::to_bytes`] wrote; `None` for a length that is not a
    /// positive multiple of 32 or a non-canonical scalar.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() || !bytes.len().is_multiple_of(32) {
            return None;
        }
        let coefficients = bytes
            .chunks_exact(32)
            .map(|c| {
                let mut arr = Zeroizing::new([0u8; 32]);
                arr.copy_from_slice(c);
                Option::from(Scalar::from_canonical_bytes(*arr))
            })
            .collect::<Option<Vec<Scalar>>>()?;
        Some(Polynomial { coefficients })
    }

    /// The number of coefficients (the threshold t).
    pub fn len(&self) -> usize {
        self.coefficients.len()
    }

    /// Whether the polynomial has no coefficients (never, for one made by `random`).
    pub fn is_empty(&self) -> bool {
        self.coefficients.is_empty()
    }

    /// `P(x)` by Horner's rule.
    pub fn evaluate(&self, x: u32) -> Scalar {
        let x = Scalar::from(x);
        self.coefficients
            .iter()
            .rev()
            .fold(Scalar::ZERO, |acc, a| acc * x + a)
    }

    /// Commitments `aⱼ·G` with their proofs, bound to H_B and the trustee index.
    pub fn commit<R: RngCore + CryptoRng>(
        &self,
        trustee: u32,
        base_hash: &[u8; 32],
        rng: &mut R,
    ) -> CoefficientCommitments {
        let mut commitments = Vec::with_capacity(self.coefficients.len());
        let mut proofs = Vec::with_capacity(self.coefficients.len());
        for (j, a) in self.coefficients.iter().enumerate() {
            let k = Element::from_point(mul_g(a));
            let binding = coefficient_binding(trustee, j as u32);
            let ctx = ProofContext {
                election_hash: base_hash,
                binding: &binding,
            };
            proofs.push(SchnorrProof::prove(
                Domain::CoefficientProof,
                &ctx,
                a,
                &k,
                rng,
            ));
            commitments.push(k);
        }
        CoefficientCommitments {
            trustee,
            commitments,
            proofs,
        }
    }
}

/// A trustee's published commitments `Kᵢⱼ = aᵢⱼ·G`, `j < t`, each with its proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoefficientCommitments {
    /// The trustee i.
    pub trustee: u32,
    /// Kᵢ₀ … Kᵢ,ₜ₋₁.
    pub commitments: Vec<Element>,
    /// Schnorr proof for each commitment.
    pub proofs: Vec<SchnorrProof>,
}

impl CoefficientCommitments {
    /// Checks the count and every proof.
    pub fn verify(&self, threshold: u32, base_hash: &[u8; 32]) -> Result<(), CeremonyError> {
        let t = threshold as usize;
        if self.commitments.len() != t || self.proofs.len() != t {
            return Err(CeremonyError::WrongCommitmentCount {
                trustee: self.trustee,
                expected: t,
                found: self.commitments.len().min(self.proofs.len()),
            });
        }
        for (j, (k, proof)) in self.commitments.iter().zip(&self.proofs).enumerate() {
            let binding = coefficient_binding(self.trustee, j as u32);
            let ctx = ProofContext {
                election_hash: base_hash,
                binding: &binding,
            };
            proof
                .verify(Domain::CoefficientProof, &ctx, k)
                .map_err(|_| CeremonyError::BadCoefficientProof {
                    trustee: self.trustee,
                    coefficient: j as u32,
                })?;
        }
        Ok(())
    }

    /// `Σⱼ ℓʲ·Kᵢⱼ`, which must equal `Pᵢ(ℓ)·G`.
    pub fn evaluate_in_exponent(&self, recipient: u32) -> RistrettoPoint {
        let x = Scalar::from(recipient);
        let mut power = Scalar::ONE;
        let mut scalars = Vec::with_capacity(self.commitments.len());
        for _ in &self.commitments {
            scalars.push(power);
            power *= x;
        }
        RistrettoPoint::vartime_multiscalar_mul(
            scalars,
            self.commitments.iter().map(|k| *k.point()),
        )
    }
}

/// The joint key `K = Σᵢ Kᵢ₀`.
pub fn joint_key(all: &[CoefficientCommitments]) -> Element {
    let sum = all
        .iter()
        .filter_map(|c| c.commitments.first())
        .fold(RistrettoPoint::identity(), |acc, k| acc + k.point());
    Element::from_point(sum)
}

/// Trustee `ℓ`'s verification key `K_ℓ = Σᵢ Σⱼ ℓʲ·Kᵢⱼ`.
pub fn verification_key(all: &[CoefficientCommitments], trustee: u32) -> Element {
    let sum = all.iter().fold(RistrettoPoint::identity(), |acc, c| {
        acc + c.evaluate_in_exponent(trustee)
    });
    Element::from_point(sum)
}

/// Trustee ℓ's secret key share `z_ℓ = Σᵢ Pᵢ(ℓ)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyShare {
    #[zeroize(skip)]
    index: u32,
    secret: Scalar,
}

impl KeyShare {
    /// Sums verified shares received from every trustee (its own included).
    pub fn from_received(index: u32, shares: &[Scalar]) -> Self {
        KeyShare {
            index,
            secret: shares.iter().sum(),
        }
    }

    /// Restores a stored share.
    pub fn from_bytes(index: u32, bytes: &[u8; 32]) -> Result<Self, CeremonyError> {
        Ok(KeyShare {
            index,
            secret: ScalarValue::decode(bytes)?.0,
        })
    }

    /// The share's bytes, for encrypted storage only.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret.to_bytes())
    }

    /// The trustee index ℓ.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The verification key `z_ℓ·G`.
    pub fn verification_key(&self) -> Element {
        Element::from_point(mul_g(&self.secret))
    }

    pub(crate) fn secret(&self) -> &Scalar {
        &self.secret
    }
}

/// A share `Pᵢ(ℓ)` encrypted from trustee `i` to trustee `ℓ`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedShare {
    /// Sender i.
    pub from: u32,
    /// Recipient ℓ.
    pub to: u32,
    /// E = e·G.
    pub ephemeral: Element,
    /// Schnorr proof of knowledge of e (domain EphemeralKeyProof, H_B, binding
    /// `LE32(i) ‖ LE32(ℓ)`).
    pub ephemeral_proof: SchnorrProof,
    /// ChaCha20-Poly1305 ciphertext of the 32-byte share and its tag, hex.
    pub ciphertext: String,
}

/// Binding of an encrypted share's ephemeral-key proof: `LE32(from) ‖ LE32(to)`.
pub fn share_binding(from: u32, to: u32) -> [u8; 8] {
    coefficient_binding(from, to)
}

fn transport_key(
    base_hash: &[u8; 32],
    from: u32,
    to: u32,
    e: &Element,
    d: &Element,
    s: &RistrettoPoint,
) -> Zeroizing<[u8; 32]> {
    let mut h = blake3::Hasher::new_derive_key("psephos v1 share transport");
    h.update(base_hash);
    h.update(&from.to_le_bytes());
    h.update(&to.to_le_bytes());
    h.update(e.as_bytes());
    h.update(d.as_bytes());
    h.update(s.compress().as_bytes());
    Zeroizing::new(*h.finalize().as_bytes())
}

fn share_aad(base_hash: &[u8; 32], from: u32, to: u32) -> [u8; 40] {
    let mut aad = [0u8; 40];
    aad[..32].copy_from_slice(base_hash);
    aad[32..36].copy_from_slice(&from.to_le_bytes());
    aad[36..].copy_from_slice(&to.to_le_bytes());
    aad
}

fn open_with_key(
    key: &[u8; 32],
    base_hash: &[u8; 32],
    from: u32,
    to: u32,
    ciphertext: &str,
) -> Option<Scalar> {
    let bytes = hex::decode(ciphertext).ok()?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    let aad = share_aad(base_hash, from, to);
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                Nonce::from_slice(&[0u8; 12]),
                Payload {
                    msg: &bytes,
                    aad: &aad,
                },
            )
            .ok()?,
    );
    let arr: [u8; 32] = plain.as_slice().try_into().ok()?;
    Option::from(Scalar::from_canonical_bytes(arr))
}

impl EncryptedShare {
    /// Encrypts `share` from trustee `from` to trustee `to` (transport key `recipient`).
    pub fn seal<R: RngCore + CryptoRng>(
        base_hash: &[u8; 32],
        from: u32,
        to: u32,
        recipient: &Element,
        share: &Scalar,
        rng: &mut R,
    ) -> Self {
        let e = Zeroizing::new(Scalar::random(rng));
        let ephemeral = Element::from_point(mul_g(&e));
        let binding = share_binding(from, to);
        let ctx = ProofContext {
            election_hash: base_hash,
            binding: &binding,
        };
        let ephemeral_proof =
            SchnorrProof::prove(Domain::EphemeralKeyProof, &ctx, &e, &ephemeral, rng);
        let s = recipient.point() * *e;
        let key = transport_key(base_hash, from, to, &ephemeral, recipient, &s);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&*key));
        let aad = share_aad(base_hash, from, to);
        let plain = Zeroizing::new(share.to_bytes());
        // Encryption with a fresh key cannot fail for a 32-byte message.
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&[0u8; 12]),
                Payload {
                    msg: plain.as_slice(),
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        EncryptedShare {
            from,
            to,
            ephemeral,
            ephemeral_proof,
            ciphertext: hex::encode(sealed),
        }
    }

    /// Checks the proof of knowledge of the ephemeral secret, bound to H_B, the sender and the
    /// recipient. Everyone who handles a share (recipient, board, verifier, adjudicator) checks
    /// this first: a share that fails it is the sender's fault (`BadEphemeralProof`).
    pub fn verify_ephemeral(&self, base_hash: &[u8; 32]) -> Result<(), CeremonyError> {
        let binding = share_binding(self.from, self.to);
        let ctx = ProofContext {
            election_hash: base_hash,
            binding: &binding,
        };
        self.ephemeral_proof
            .verify(Domain::EphemeralKeyProof, &ctx, &self.ephemeral)
            .map_err(|_| CeremonyError::BadEphemeralProof {
                from: self.from,
                to: self.to,
            })
    }

    /// Decrypts with the recipient's secret key, after checking the ephemeral-key proof.
    pub fn open(
        &self,
        base_hash: &[u8; 32],
        recipient: &TrusteeSecretKey,
    ) -> Result<Scalar, CeremonyError> {
        self.verify_ephemeral(base_hash)?;
        let s = self.ephemeral.point() * recipient.0;
        let key = transport_key(
            base_hash,
            self.from,
            self.to,
            &self.ephemeral,
            &recipient.public_element(),
            &s,
        );
        open_with_key(&key, base_hash, self.from, self.to, &self.ciphertext).ok_or(
            CeremonyError::ShareDecryption {
                from: self.from,
                to: self.to,
            },
        )
    }

    /// Decrypts and checks the share against the sender's commitments.
    pub fn open_and_check(
        &self,
        base_hash: &[u8; 32],
        recipient: &TrusteeSecretKey,
        sender: &CoefficientCommitments,
    ) -> Result<Scalar, CeremonyError> {
        let share = self.open(base_hash, recipient)?;
        if mul_g(&share) != sender.evaluate_in_exponent(self.to) {
            return Err(CeremonyError::ShareMismatch {
                from: self.from,
                to: self.to,
            });
        }
        Ok(share)
    }
}

/// A public complaint by trustee `by` against the share sent by trustee `against`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The complaining recipient ℓ.
    pub by: u32,
    /// The accused sender i.
    pub against: u32,
    /// S = d_ℓ·E, the Diffie–Hellman point of that one share.
    pub revealed: Element,
    /// Proof that log_G D_ℓ = log_E S (binding `LE32(by) ‖ LE32(against)`).
    pub proof: DleqProof,
}

/// Who the evidence of a complaint blames.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintVerdict {
    /// The share has no valid ephemeral-key proof, cannot be decrypted or does not match the
    /// commitments: the sender cheated.
    SenderCheated,
    /// The share is valid: the complaint was false.
    ComplainerLied,
}

impl Complaint {
    /// Trustee `recipient` complains about `share`.
    ///
    /// Refuses (`BadEphemeralProof`) a share whose ephemeral-key proof fails: revealing
    /// `d_ℓ·E` for an `E` the sender cannot account for would hand the sender a
    /// Diffie–Hellman oracle. Such a share is publicly the sender's fault without a complaint.
    pub fn make<R: RngCore + CryptoRng>(
        base_hash: &[u8; 32],
        share: &EncryptedShare,
        recipient: &TrusteeSecretKey,
        rng: &mut R,
    ) -> Result<Self, CeremonyError> {
        share.verify_ephemeral(base_hash)?;
        let revealed = Element::from_point(share.ephemeral.point() * recipient.0);
        let d = recipient.public_element();
        let binding = coefficient_binding(share.to, share.from);
        let ctx = ProofContext {
            election_hash: base_hash,
            binding: &binding,
        };
        let st = DleqStatement {
            base: &share.ephemeral,
            x_g: &d,
            x_h: &revealed,
        };
        let proof = DleqProof::prove(Domain::KeyRevealProof, &ctx, &recipient.0, &st, rng);
        Ok(Complaint {
            by: share.to,
            against: share.from,
            revealed,
            proof,
        })
    }

    /// Decides the complaint from public data alone (docs/spec.md §6, adjudication): the
    /// complaint must name this share, complainer and sender (`BadComplaintProof` otherwise);
    /// a share without a valid ephemeral-key proof is the sender's fault whatever the
    /// complaint reveals; then the key-reveal proof, the decryption and the commitment check.
    pub fn adjudicate(
        &self,
        base_hash: &[u8; 32],
        share: &EncryptedShare,
        complainer: &TrusteePublicKey,
        sender: &CoefficientCommitments,
    ) -> Result<ComplaintVerdict, CeremonyError> {
        let bad = CeremonyError::BadComplaintProof {
            by: self.by,
            against: self.against,
        };
        if share.from != self.against
            || share.to != self.by
            || complainer.index != self.by
            || sender.trustee != self.against
        {
            return Err(bad);
        }
        if share.verify_ephemeral(base_hash).is_err() {
            return Ok(ComplaintVerdict::SenderCheated);
        }
        let binding = coefficient_binding(self.by, self.against);
        let ctx = ProofContext {
            election_hash: base_hash,
            binding: &binding,
        };
        let st = DleqStatement {
            base: &share.ephemeral,
            x_g: &complainer.key,
            x_h: &self.revealed,
        };
        self.proof
            .verify(Domain::KeyRevealProof, &ctx, &st)
            .map_err(|_| bad)?;
        let key = transport_key(
            base_hash,
            share.from,
            share.to,
            &share.ephemeral,
            &complainer.key,
            self.revealed.point(),
        );
        match open_with_key(&key, base_hash, share.from, share.to, &share.ciphertext) {
            Some(value) if mul_g(&value) == sender.evaluate_in_exponent(share.to) => {
                Ok(ComplaintVerdict::ComplainerLied)
            }
            _ => Ok(ComplaintVerdict::SenderCheated),
        }
    }
}
