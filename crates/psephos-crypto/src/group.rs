//! The group Ristretto255 and the strict encodings of its elements and scalars.
//!
//! A point travels as 32 bytes (the canonical Ristretto encoding, RFC 9496 §4.3.2), written in
//! JSON as 64 lowercase hex characters. A scalar travels as its 32-byte little-endian canonical
//! encoding (value < ℓ = 2^252 + 27742317777372353535851937790883648493), also as hex.
//!
//! Decoding is the only way from bytes to a checked value and it is strict: a non-canonical
//! point, a non-canonical scalar and the identity point are each a distinct [`DecodeError`].
//! The identity is never a valid decoded point in psephos: an honest party produces it only
//! with negligible probability, and a public key equal to it would be catastrophic.

use core::fmt;

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::error::DecodeError;

/// The fixed generator G of Ristretto255 (RFC 9496 §4.4).
pub const G: RistrettoPoint = RISTRETTO_BASEPOINT_POINT;

/// `x·G` through the precomputed table: constant time in `x`.
#[inline]
pub fn mul_g(x: &Scalar) -> RistrettoPoint {
    RISTRETTO_BASEPOINT_TABLE * x
}

/// Decodes 64 lowercase hex characters into 32 bytes.
pub fn hex32(text: &str) -> Result<[u8; 32], DecodeError> {
    let bad = DecodeError::BadHex {
        expected: 64,
        bytes: 32,
    };
    if text.len() != 64 || text.bytes().any(|c| c.is_ascii_uppercase()) {
        return Err(bad);
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(|_| bad)?;
    Ok(out)
}

/// A checked group element: a point together with its canonical encoding.
///
/// Keeping the encoding avoids re-compressing (about 3 µs each) when the point is hashed into a
/// transcript, which every verification does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Element {
    point: RistrettoPoint,
    encoded: [u8; 32],
}

impl Element {
    /// Wraps a point computed locally. Panics never; the identity is allowed here because the
    /// caller computed it (e.g. a homomorphic sum), not a peer.
    pub fn from_point(point: RistrettoPoint) -> Self {
        Self {
            point,
            encoded: point.compress().to_bytes(),
        }
    }

    /// Wraps a point whose encoding is already known (e.g. from a batch compression).
    pub(crate) fn from_parts(point: RistrettoPoint, encoded: CompressedRistretto) -> Self {
        Self {
            point,
            encoded: encoded.to_bytes(),
        }
    }

    /// Strictly decodes 32 bytes: canonical, and not the identity.
    pub fn decode(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let point = CompressedRistretto(*bytes)
            .decompress()
            .ok_or(DecodeError::NonCanonicalPoint)?;
        if point.is_identity() {
            return Err(DecodeError::IdentityPoint);
        }
        Ok(Self {
            point,
            encoded: *bytes,
        })
    }

    /// Strictly decodes hex text (64 lowercase hex characters).
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        Self::decode(&hex32(text)?)
    }

    /// The point.
    #[inline]
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The canonical 32-byte encoding.
    #[inline]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.encoded
    }

    /// The canonical encoding as a byte slice.
    #[inline]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.encoded
    }

    /// Lowercase hex of the encoding.
    pub fn to_hex(&self) -> String {
        hex::encode(self.encoded)
    }
}

impl fmt::Debug for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Element({})", self.to_hex())
    }
}

impl Serialize for Element {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Element::from_hex(&text).map_err(de::Error::custom)
    }
}

/// Encodes many points at once, sharing one field inversion (dalek's
/// `double_and_compress_batch` applied to halves: compress(2·(P/2)) = compress(P)).
///
/// The caller passes `P/2`, which it gets for free by multiplying with halved scalars.
pub(crate) fn elements_from_halves(halves: &[RistrettoPoint]) -> Vec<Element> {
    let encoded = RistrettoPoint::double_and_compress_batch(halves);
    halves
        .iter()
        .zip(encoded)
        .map(|(half, enc)| Element::from_parts(half + half, enc))
        .collect()
}

/// 1/2 mod ℓ = (ℓ + 1)/2, little-endian.
const HALF: [u8; 32] = [
    0xf7, 0xe9, 0x7a, 0x2e, 0x8d, 0x31, 0x09, 0x2c, 0x6b, 0xce, 0x7b, 0x51, 0xef, 0x7c, 0x6f, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
];

/// 1/2 mod ℓ (a constant: inverting 2 each time would cost a scalar inversion, about as much as
/// a fixed-base multiplication, per call).
#[inline]
pub(crate) fn half() -> Scalar {
    Scalar::from_bytes_mod_order(HALF)
}

/// G/2, computed once.
pub(crate) fn g_half() -> RistrettoPoint {
    static G_HALF: std::sync::OnceLock<RistrettoPoint> = std::sync::OnceLock::new();
    *G_HALF.get_or_init(|| mul_g(&half()))
}

/// A strictly decoded scalar, serialised as 64 hex characters of its little-endian encoding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ScalarValue(pub Scalar);

impl ScalarValue {
    /// Strictly decodes 32 bytes: must be below the group order.
    pub fn decode(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        Option::<Scalar>::from(Scalar::from_canonical_bytes(*bytes))
            .map(ScalarValue)
            .ok_or(DecodeError::NonCanonicalScalar)
    }

    /// Strictly decodes hex text.
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        Self::decode(&hex32(text)?)
    }

    /// Lowercase hex of the encoding.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }
}

impl fmt::Debug for ScalarValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scalar({})", self.to_hex())
    }
}

impl Serialize for ScalarValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ScalarValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ScalarValue::from_hex(&text).map_err(de::Error::custom)
    }
}

/// A public key with its precomputed multiplication table, so that `x·K` costs what `x·G` does.
///
/// Building the table costs about as much as 10 multiplications; build it once per election.
pub struct FixedBase {
    element: Element,
    table: RistrettoBasepointTable,
}

impl FixedBase {
    /// Precomputes the table for `element`.
    pub fn new(element: Element) -> Self {
        Self {
            table: RistrettoBasepointTable::create(element.point()),
            element,
        }
    }

    /// The base.
    pub fn element(&self) -> &Element {
        &self.element
    }

    /// `x·K`, constant time in `x`.
    #[inline]
    pub fn mul(&self, x: &Scalar) -> RistrettoPoint {
        &self.table * x
    }
}

impl fmt::Debug for FixedBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FixedBase({})", self.element.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_round_trip() {
        let e = Element::from_point(mul_g(&Scalar::from(7u64)));
        assert_eq!(Element::decode(&e.to_bytes()).unwrap(), e);
        assert_eq!(Element::from_hex(&e.to_hex()).unwrap(), e);
    }

    #[test]
    fn identity_rejected() {
        assert_eq!(Element::decode(&[0u8; 32]), Err(DecodeError::IdentityPoint));
    }

    #[test]
    fn non_canonical_point_rejected() {
        // Field element p = 2^255 - 19 is a non-canonical encoding of 0.
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert_eq!(Element::decode(&p), Err(DecodeError::NonCanonicalPoint));
        // Negative field elements (low bit set) are non-canonical in Ristretto.
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(Element::decode(&one), Err(DecodeError::NonCanonicalPoint));
        // High bit set.
        let mut g = G.compress().to_bytes();
        g[31] |= 0x80;
        assert_eq!(Element::decode(&g), Err(DecodeError::NonCanonicalPoint));
    }

    #[test]
    fn non_canonical_scalar_rejected() {
        // ℓ itself is not canonical.
        let ell = (Scalar::ZERO - Scalar::ONE).to_bytes();
        let mut l = ell;
        l[0] = l[0].wrapping_add(1);
        assert_eq!(
            ScalarValue::decode(&l),
            Err(DecodeError::NonCanonicalScalar)
        );
        assert_eq!(
            ScalarValue::decode(&[0xff; 32]),
            Err(DecodeError::NonCanonicalScalar)
        );
        assert!(ScalarValue::decode(&ell).is_ok());
    }

    #[test]
    fn hex_is_strict() {
        let e = Element::from_point(G);
        assert!(Element::from_hex(&e.to_hex().to_uppercase()).is_err());
        assert!(Element::from_hex(&e.to_hex()[..62]).is_err());
        assert!(Element::from_hex(&format!("{}00", e.to_hex())).is_err());
        assert!(serde_json::from_str::<Element>("12").is_err());
    }

    #[test]
    fn half_is_one_half() {
        assert_eq!(half() * Scalar::from(2u64), Scalar::ONE);
        assert_eq!(half(), Scalar::from(2u64).invert());
        assert_eq!(g_half() + g_half(), G);
    }

    #[test]
    fn batch_encoding_matches_compress() {
        let pts: Vec<RistrettoPoint> = (1..6u64).map(|i| mul_g(&Scalar::from(i))).collect();
        let halves: Vec<RistrettoPoint> = pts.iter().map(|p| p * half()).collect();
        for (e, p) in elements_from_halves(&halves).iter().zip(&pts) {
            assert_eq!(e.point(), p);
            assert_eq!(e.to_bytes(), p.compress().to_bytes());
        }
    }
}
