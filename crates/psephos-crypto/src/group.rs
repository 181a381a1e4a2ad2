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
    lower_hex(text).ok_or(DecodeError::BadHex {
        expected: 64,
        bytes: 32,
    })
}

/// Decodes exactly `2·N` lowercase hex characters (`0-9`, `a-f`; nothing else) into `N` bytes.
///
/// Every point, scalar, hash and signature of the record goes through here, several per
/// ballot, so it uses a table instead of the general-purpose `hex` crate (about four times
/// faster).
pub fn lower_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    /// The value of each lowercase hex digit; `INVALID` for every other byte.
    const INVALID: u8 = 0xff;
    const DIGITS: [u8; 256] = {
        let mut t = [INVALID; 256];
        let mut c = 0;
        while c < 10 {
            t[b'0' as usize + c] = c as u8;
            c += 1;
        }
        let mut c = 0;
        while c < 6 {
            t[b'a' as usize + c] = 10 + c as u8;
            c += 1;
        }
        t
    };
    let text = text.as_bytes();
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let (hi, lo) = (DIGITS[pair[0] as usize], DIGITS[pair[1] as usize]);
        // An invalid digit has its high bit set, which no valid one has.
        invalid |= hi | lo;
        *byte = (hi << 4) | lo;
    }
    (invalid & 0x80 == 0).then_some(out)
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
        let point = match predecoded::take(bytes) {
            Some(point) => point,
            None => CompressedRistretto(*bytes)
                .decompress()
                .ok_or(DecodeError::NonCanonicalPoint)?,
        };
        Self::checked(point, bytes)
    }

    /// Strictly decodes many encodings at once: element `i` of the result is
    /// `Element::decode(&encodings[i])`, but the inverse square roots of decompression are
    /// taken up to twelve at a time (see `vendor/README.md`), which makes each point about
    /// three times as fast to decode. Variable time: for public encodings, as all of psephos's
    /// points are.
    pub fn decode_batch(encodings: &[[u8; 32]]) -> Vec<Result<Self, DecodeError>> {
        let compressed: Vec<CompressedRistretto> =
            encodings.iter().map(|e| CompressedRistretto(*e)).collect();
        CompressedRistretto::decompress_batch(&compressed)
            .into_iter()
            .zip(encodings)
            .map(|(point, bytes)| {
                Self::checked(point.ok_or(DecodeError::NonCanonicalPoint)?, bytes)
            })
            .collect()
    }

    /// The last step of strict decoding: `point` decompressed from `bytes`, not the identity.
    fn checked(point: RistrettoPoint, bytes: &[u8; 32]) -> Result<Self, DecodeError> {
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

/// Points decoded ahead of a parse, so that a parser that decodes one element at a time (serde)
/// still gets batched decompression.
pub mod predecoded {
    use core::cell::RefCell;

    use curve25519_dalek::ristretto::RistrettoPoint;

    use super::Element;

    /// Decoded elements in the order the parse will ask for them, and how many it has taken.
    #[derive(Default)]
    struct Queue {
        elements: Vec<Element>,
        next: usize,
    }

    std::thread_local! {
        static QUEUE: RefCell<Queue> = RefCell::new(Queue::default());
    }

    /// Runs `f` with `encodings` decoded ahead, in one batch: while `f` runs on this thread,
    /// [`Element::decode`] of the next of these encodings, in order, takes its decoded point
    /// instead of decompressing it again.
    ///
    /// Only an encoding that decodes is queued, and it is used only for exactly the same
    /// bytes, so the result of every decode is the same as without this; a guess that is
    /// wrong (bytes that are not decoded as an element, or not in this order) costs speed,
    /// not correctness. Invalid encodings are left for `Element::decode` to report.
    pub fn with<R>(encodings: &[[u8; 32]], f: impl FnOnce() -> R) -> R {
        let elements: Vec<Element> = Element::decode_batch(encodings)
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        let outer = QUEUE.with(|q| q.replace(Queue { elements, next: 0 }));
        // Restored even if `f` unwinds, so that a later parse on this thread is not offered
        // the points of this one.
        struct Restore(Option<Queue>);
        impl Drop for Restore {
            fn drop(&mut self) {
                if let Some(outer) = self.0.take() {
                    QUEUE.with(|q| q.replace(outer));
                }
            }
        }
        let _restore = Restore(Some(outer));
        f()
    }

    /// The encodings under the JSON keys `"a"` and `"b"` of `json`, in the order they appear:
    /// the points of [`crate::elgamal::Ciphertext`]s and of proof commitments, which is how
    /// this crate serialises them and the order in which serde will decode them. A guess for
    /// [`with`]: anything else it picks up is ignored there.
    pub fn scan_json(json: &[u8]) -> Vec<[u8; 32]> {
        memchr::memmem::find_iter(json, b"\":\"")
            .filter(|&i| i >= 2 && matches!(&json[i - 2..i], b"\"a" | b"\"b"))
            .filter_map(|i| json.get(i + 3..i + 3 + 64))
            .filter_map(|hex| core::str::from_utf8(hex).ok())
            .filter_map(super::lower_hex)
            .collect()
    }

    /// The queued point for `bytes`, if the next queued element has exactly these bytes.
    pub(super) fn take(bytes: &[u8; 32]) -> Option<RistrettoPoint> {
        QUEUE.with(|q| {
            let mut q = q.borrow_mut();
            let element = q.elements.get(q.next)?;
            if element.as_bytes() != bytes {
                return None;
            }
            let point = *element.point();
            q.next += 1;
            Some(point)
        })
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
    fn lower_hex_accepts_exactly_lowercase_hex() {
        let bytes: Vec<u8> = (0..=255).collect();
        for chunk in bytes.chunks(32) {
            let text = hex::encode(chunk);
            let expected: [u8; 32] = chunk.try_into().unwrap();
            assert_eq!(lower_hex::<32>(&text), Some(expected));
            assert_eq!(hex32(&text), Ok(expected));
        }
        for bad in 0..=255u8 {
            if bad.is_ascii_digit() || (b'a'..=b'f').contains(&bad) {
                continue;
            }
            for at in [0, 1, 63] {
                let mut text = "0f".repeat(32).into_bytes();
                text[at] = bad;
                let text = String::from_utf8_lossy(&text);
                assert_eq!(lower_hex::<32>(&text), None, "{bad:#04x} at {at}");
            }
        }
        assert_eq!(lower_hex::<2>("0a0B"), None);
        assert_eq!(lower_hex::<2>("0a0"), None);
        assert_eq!(lower_hex::<2>("0a0b0"), None);
        assert_eq!(lower_hex::<0>(""), Some([]));
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

    /// Encodings of every kind `decode` tells apart: valid points, the identity, non-canonical
    /// field elements, negative ones, the high bit, non-squares (random bytes), in an order
    /// that puts each kind in every position of a group of four.
    fn mixed_encodings() -> Vec<[u8; 32]> {
        let mut out = Vec::new();
        let mut seed = [7u8; 32];
        for i in 0..40u64 {
            let valid = mul_g(&Scalar::from(i * 7919 + 1)).compress().to_bytes();
            seed = *blake3::hash(&seed).as_bytes();
            match i % 6 {
                0 | 3 => out.push(valid),
                1 => out.push([0u8; 32]),
                2 => out.push(seed),
                4 => {
                    let mut high = valid;
                    high[31] |= 0x80;
                    out.push(high);
                }
                _ => {
                    let mut p = [0xffu8; 32];
                    p[0] = 0xed;
                    p[31] = 0x7f;
                    out.push(p);
                }
            }
            if i % 5 == 0 {
                let mut negative = valid;
                negative[0] |= 1;
                out.push(negative);
            }
        }
        out
    }

    #[test]
    fn batch_decode_is_decode() {
        let encodings = mixed_encodings();
        let single: Vec<_> = encodings.iter().map(Element::decode).collect();
        assert!(single.iter().any(Result::is_ok));
        assert!(single.iter().any(Result::is_err));
        // Every length, so that every short last group of four is exercised.
        for n in 0..=encodings.len() {
            assert_eq!(Element::decode_batch(&encodings[..n]), single[..n]);
        }
        // Many random valid points.
        let valid: Vec<[u8; 32]> = (0..257u64)
            .map(|i| {
                mul_g(&Scalar::from_bytes_mod_order(
                    *blake3::hash(&i.to_le_bytes()).as_bytes(),
                ))
                .compress()
                .to_bytes()
            })
            .collect();
        for (e, bytes) in Element::decode_batch(&valid).iter().zip(&valid) {
            assert_eq!(e.as_ref().map(Element::to_bytes), Ok(*bytes));
            assert_eq!(
                e.as_ref().map(|e| e.point().compress().to_bytes()),
                Ok(*bytes)
            );
        }
    }

    #[test]
    fn predecoded_points_are_used_only_for_their_own_bytes() {
        let encodings = mixed_encodings();
        let single: Vec<_> = encodings.iter().map(Element::decode).collect();
        // In order, out of order, and with bytes never queued: always what `decode` says.
        predecoded::with(&encodings, || {
            for (bytes, expected) in encodings.iter().zip(&single) {
                assert_eq!(&Element::decode(bytes), expected);
            }
        });
        predecoded::with(&encodings, || {
            for (bytes, expected) in encodings.iter().zip(&single).rev() {
                assert_eq!(&Element::decode(bytes), expected);
            }
            let other = mul_g(&Scalar::from(99u64)).compress().to_bytes();
            assert_eq!(Element::decode(&other).map(|e| e.to_bytes()), Ok(other));
        });
        // A queued point is taken once; the queue is gone after the parse.
        let g = G.compress().to_bytes();
        predecoded::with(&[g], || {
            assert_eq!(predecoded::take(&g), Some(G));
            assert_eq!(predecoded::take(&g), None);
        });
        predecoded::with(&[g], || ());
        assert_eq!(predecoded::take(&g), None);
    }

    #[test]
    fn scan_json_finds_the_points_of_a_serialised_ciphertext() {
        let a = mul_g(&Scalar::from(3u64)).compress().to_bytes();
        let b = mul_g(&Scalar::from(5u64)).compress().to_bytes();
        let ct = crate::elgamal::Ciphertext {
            a: Element::decode(&a).unwrap(),
            b: Element::decode(&b).unwrap(),
        };
        let json =
            serde_json::to_string(&serde_json::json!({"x": [ct], "ab": "00", "a": "zz"})).unwrap();
        assert_eq!(predecoded::scan_json(json.as_bytes()), vec![a, b]);
        let parsed: crate::elgamal::Ciphertext = predecoded::with(
            &predecoded::scan_json(serde_json::to_string(&ct).unwrap().as_bytes()),
            || serde_json::from_str(&serde_json::to_string(&ct).unwrap()).unwrap(),
        );
        assert_eq!(parsed, ct);
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
