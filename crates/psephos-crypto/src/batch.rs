//! Batch verification of group equations by a random linear combination.
//!
//! Each proof contributes equations of the form `Σ sᵢ·Pᵢ = 0`. The batch multiplies every
//! equation by an independent random 128-bit weight and checks the sum with one vartime
//! multiscalar multiplication (Pippenger for large batches). If any equation fails, the sum is
//! non-zero except with probability about 2⁻¹²⁸ (Bellare–Garay–Rabin, "Fast batch verification
//! for modular exponentiation and digital signatures", Eurocrypt 1998, small-exponent test).
//!
//! The weights come from a BLAKE3 XOF keyed with fresh OS randomness, so a prover cannot know
//! them when building its proofs.
//!
//! Each proof writes its equations as `commitment + c·(statement point) − z·(base) = 0`, so
//! that the commitment's coefficient is the bare weight, below 2¹²⁸. The multiscalar
//! multiplication (dalek's Pippenger, radix 2⁸) skips zero digits, so those terms, about
//! two thirds of a contest's, cost half as much as terms with full-size coefficients.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{OsRng, RngCore};

use crate::group::G;

/// Identifies a base shared by many equations (such as the joint key K), whose coefficients
/// are summed so that it costs one multiscalar term in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseId(usize);

/// Accumulates weighted group equations and checks them all at once.
pub struct BatchVerifier {
    weights: blake3::OutputReader,
    g_coefficient: Scalar,
    shared: Vec<(RistrettoPoint, Scalar)>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
}

impl Default for BatchVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchVerifier {
    /// A batch with weights from fresh OS randomness.
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self::with_weight_key(key)
    }

    /// A batch whose weights come from `key` (tests only: a prover who knows it can cheat).
    pub fn with_weight_key(key: [u8; 32]) -> Self {
        Self {
            weights: blake3::Hasher::new_keyed(&key)
                .update(b"psephos batch weights")
                .finalize_xof(),
            g_coefficient: Scalar::ZERO,
            shared: Vec::new(),
            scalars: Vec::new(),
            points: Vec::new(),
        }
    }

    /// Reserves room for `terms` variable-base terms.
    pub fn reserve(&mut self, terms: usize) {
        self.scalars.reserve(terms);
        self.points.reserve(terms);
    }

    /// Registers a base shared by many equations.
    ///
    /// Registering a point that is already registered returns its existing id, so code that
    /// queues one item at a time may call this for every item (e.g. the joint key K of each
    /// contest) and still pay for K once per batch.
    pub fn shared_base(&mut self, base: RistrettoPoint) -> BaseId {
        if let Some(i) = self.shared.iter().position(|(p, _)| *p == base) {
            return BaseId(i);
        }
        self.shared.push((base, Scalar::ZERO));
        BaseId(self.shared.len() - 1)
    }

    /// A fresh random weight below 2¹²⁸.
    pub fn weight(&mut self) -> Scalar {
        let mut bytes = [0u8; 16];
        self.weights.fill(&mut bytes);
        // Below 2¹²⁸ < ℓ: already reduced, so no reduction to pay for.
        Scalar::from(u128::from_le_bytes(bytes))
    }

    /// Adds `s·G`.
    #[inline]
    pub fn add_g(&mut self, s: Scalar) {
        self.g_coefficient += s;
    }

    /// Adds `s·B` for a shared base `B`.
    #[inline]
    pub fn add_shared(&mut self, base: BaseId, s: Scalar) {
        self.shared[base.0].1 += s;
    }

    /// Adds `s·P` for a variable point `P`.
    #[inline]
    pub fn add(&mut self, s: Scalar, p: RistrettoPoint) {
        self.scalars.push(s);
        self.points.push(p);
    }

    /// Number of multiscalar terms queued.
    pub fn len(&self) -> usize {
        self.points.len() + self.shared.len() + 1
    }

    /// Whether nothing but the G term is queued.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty() && self.shared.is_empty()
    }

    /// Checks that the weighted sum of all queued equations is the identity.
    pub fn verify(self) -> bool {
        let scalars = core::iter::once(self.g_coefficient)
            .chain(self.shared.iter().map(|(_, s)| *s))
            .chain(self.scalars);
        let points = core::iter::once(G)
            .chain(self.shared.iter().map(|(p, _)| *p))
            .chain(self.points);
        RistrettoPoint::vartime_multiscalar_mul(scalars, points).is_identity()
    }
}

/// A good number of items per batch for [`verify_all`]: large enough that the multiscalar
/// multiplication of a chunk runs at Pippenger's per-term cost, small enough that a failing
/// chunk is cheap to re-check item by item.
pub const DEFAULT_CHUNK: usize = 1024;

/// Verifies many items in batches and, if any fails, names the first failing one.
///
/// `items` is cut into chunks of `chunk` items (at least 1; [`DEFAULT_CHUNK`] is a good
/// choice: 1,000 or more items per multiscalar multiplication). Each chunk gets a fresh
/// [`BatchVerifier`]; `queue` checks an item's Fiat–Shamir challenges and queues its group
/// equations. If a chunk does not verify, its items are re-verified one at a time with
/// `single`, in order, and the index (into `items`) and error of the first failure are
/// returned.
///
/// With the `rayon` feature (not on wasm32) the chunks are verified in parallel on the current
/// rayon pool; without it, one after another. Either way the result is the same: `Ok(())` if
/// every item verifies, otherwise the error of the failing item with the smallest index.
///
/// `batch_failed` is the error reported, at the chunk's first index, in the one case where a
/// chunk's batch fails and yet every item of it verifies on its own. With honest `queue` and
/// `single` that means `queue` and `single` disagree, which is a bug to report, not to hide.
///
/// `queue` is called on a fresh batch per chunk, so a base shared by all items (such as the
/// joint key) is registered from inside it with [`BatchVerifier::shared_base`], which returns
/// the same id for the same point.
pub fn verify_all<T: Sync, E: Send>(
    items: &[T],
    chunk: usize,
    queue: impl Fn(&T, &mut BatchVerifier) -> Result<(), E> + Sync,
    single: impl Fn(&T) -> Result<(), E> + Sync,
    batch_failed: impl Fn() -> E + Sync,
) -> Result<(), (usize, E)> {
    let chunk = chunk.max(1);
    let check =
        |(k, part): (usize, &[T])| verify_chunk(k * chunk, part, &queue, &single, &batch_failed);
    #[cfg(all(feature = "rayon", not(target_arch = "wasm32")))]
    {
        use rayon::prelude::*;
        items
            .par_chunks(chunk)
            .enumerate()
            .map(check)
            .find_first(Result::is_err)
            .unwrap_or(Ok(()))
    }
    #[cfg(not(all(feature = "rayon", not(target_arch = "wasm32"))))]
    {
        items.chunks(chunk).enumerate().try_for_each(check)
    }
}

/// The most multiscalar terms [`verify_all`] reserves ahead for one chunk (about 200 MB).
const MAX_RESERVE: usize = 1 << 20;

/// One chunk of [`verify_all`]; `offset` is the index of its first item.
fn verify_chunk<T, E>(
    offset: usize,
    items: &[T],
    queue: &impl Fn(&T, &mut BatchVerifier) -> Result<(), E>,
    single: &impl Fn(&T) -> Result<(), E>,
    batch_failed: &impl Fn() -> E,
) -> Result<(), (usize, E)> {
    let mut batch = BatchVerifier::new();
    for (i, item) in items.iter().enumerate() {
        let before = batch.len();
        let queued = queue(item, &mut batch);
        if i == 0 && queued.is_ok() {
            // Items of one chunk are usually alike: room for all of them at once saves
            // re-allocating (and copying) the term vectors as they grow. Capped, so that one
            // oversized first item cannot make the chunk reserve a multiple of its size.
            let per_item = batch.len().saturating_sub(before);
            batch.reserve(per_item.saturating_mul(items.len() - 1).min(MAX_RESERVE));
        }
        if let Err(e) = queued {
            // Item i fails already while queueing (a challenge mismatch, a malformed proof).
            // An earlier item can still fail its equations, so the items before it are
            // checked again in a fresh batch, free of item i's partial equations. Queueing
            // is deterministic, so this recursion goes one level deep.
            verify_chunk(offset, &items[..i], queue, single, batch_failed)?;
            return Err((offset + i, e));
        }
    }
    if batch.verify() {
        return Ok(());
    }
    for (i, item) in items.iter().enumerate() {
        single(item).map_err(|e| (offset + i, e))?;
    }
    Err((offset, batch_failed()))
}
