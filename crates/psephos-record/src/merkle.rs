//! Merkle tree of the bulletin-board log, in the style of RFC 9162
//! (Certificate Transparency version 2.0) §2.1, with BLAKE3 in place of
//! SHA-256.
//!
//! * Leaf hash (RFC 9162 §2.1.1): `BLAKE3(0x00 || data)`.
//! * Interior node hash (RFC 9162 §2.1.1): `BLAKE3(0x01 || left || right)`.
//! * Root of the empty tree (RFC 9162 §2.1.1): `BLAKE3("")`.
//! * The tree shape is the RFC one: for `n > 1` leaves, with `k` the largest
//!   power of two strictly smaller than `n`, `MTH(D[n]) =
//!   node(MTH(D[0:k]), MTH(D[k:n]))`.
//!
//! Three things live here:
//!
//! * [`MerkleTree`] keeps every leaf hash plus the hashes of all completed
//!   perfect subtrees, so that [`MerkleTree::root`],
//!   [`MerkleTree::inclusion_proof`] and [`MerkleTree::consistency_proof`]
//!   cost `O(log² n)` hash look-ups and at most `O(log n)` hash
//!   computations for any prefix of the log. This is what the board uses.
//! * [`verify_inclusion`] (RFC 9162 §2.1.3.2) and [`verify_consistency`]
//!   (RFC 9162 §2.1.4.2), which need no tree at all.
//! * [`RootAccumulator`], a compact frontier of `O(log n)` hashes that
//!   computes the root of a stream of leaf hashes without storing them (the
//!   verifier streams the whole log through one).

use thiserror::Error;

/// Length in bytes of every hash in the tree.
pub const HASH_LEN: usize = 32;

/// Domain-separation prefix of a leaf hash (RFC 9162 §2.1.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash (RFC 9162 §2.1.1).
const NODE_PREFIX: u8 = 0x01;

/// Everything that can go wrong when building or checking Merkle proofs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MerkleError {
    /// A leaf index was not below the tree size it was checked against.
    #[error("leaf index {index} is out of range for a tree of size {tree_size}")]
    IndexOutOfRange {
        /// The offending leaf index.
        index: u64,
        /// The tree size the index was checked against.
        tree_size: u64,
    },
    /// A tree size larger than the number of leaves the tree holds was asked for.
    #[error("tree size {requested} exceeds the {available} leaves held")]
    SizeOutOfRange {
        /// The requested tree size.
        requested: u64,
        /// How many leaves the tree actually holds.
        available: u64,
    },
    /// A consistency proof was requested or checked from a larger to a smaller tree.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeExceedsNewSize {
        /// The claimed old (earlier) tree size.
        old_size: u64,
        /// The claimed new (later) tree size.
        new_size: u64,
    },
    /// A consistency proof between two different non-empty sizes was empty
    /// (RFC 9162 §2.1.4.2 step 1).
    #[error("consistency proof is empty but the tree sizes differ")]
    EmptyProof,
    /// The proof has more hashes than the tree sizes allow.
    #[error("proof has more hashes than the tree size allows")]
    ProofTooLong,
    /// The proof has fewer hashes than the tree sizes require.
    #[error("proof has fewer hashes than the tree size requires")]
    ProofTooShort,
    /// The root recomputed from an inclusion proof differs from the expected root.
    #[error("recomputed root does not match the expected root")]
    RootMismatch,
    /// The old root recomputed from a consistency proof differs from the given old root.
    #[error("recomputed old root does not match the given old root")]
    OldRootMismatch,
    /// The new root recomputed from a consistency proof differs from the given new root.
    #[error("recomputed new root does not match the given new root")]
    NewRootMismatch,
}

/// Hash of one log entry as a Merkle leaf: `BLAKE3(0x00 || data)`
/// (RFC 9162 §2.1.1).
pub fn leaf_hash(data: &[u8]) -> [u8; HASH_LEN] {
    let mut h = blake3::Hasher::new();
    h.update(&[LEAF_PREFIX]);
    h.update(data);
    *h.finalize().as_bytes()
}

/// Hash of an interior node: `BLAKE3(0x01 || left || right)` (RFC 9162 §2.1.1).
pub fn node_hash(left: &[u8; HASH_LEN], right: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    let mut h = blake3::Hasher::new();
    h.update(&[NODE_PREFIX]);
    h.update(left);
    h.update(right);
    *h.finalize().as_bytes()
}

/// Root of the empty tree: `BLAKE3("")` (RFC 9162 §2.1.1).
pub fn empty_root() -> [u8; HASH_LEN] {
    *blake3::hash(b"").as_bytes()
}

/// The largest power of two strictly smaller than `n`; `n` must be at least 2
/// (the `k` of RFC 9162 §2.1.1).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Folds perfect-subtree hashes listed from left to right (largest first)
/// into the hash of their concatenation, right to left, as the RFC 9162
/// §2.1.1 recursion does.
fn fold_right<'a, I>(hashes: I) -> Option<[u8; HASH_LEN]>
where
    I: DoubleEndedIterator<Item = &'a [u8; HASH_LEN]>,
{
    let mut iter = hashes.rev();
    let mut acc = *iter.next()?;
    for h in iter {
        acc = node_hash(h, &acc);
    }
    Some(acc)
}

/// An append-only Merkle tree (RFC 9162 §2.1) over leaf hashes, with the
/// hashes of all completed perfect subtrees cached.
///
/// `levels[j][i]` is the hash of the perfect subtree over leaves
/// `[i·2^j, (i+1)·2^j)`; `levels[0]` holds the leaf hashes themselves. The
/// cache costs about one extra hash per leaf and makes every root, inclusion
/// proof and consistency proof, for any prefix of the tree, cost
/// `O(log² n)` look-ups and `O(log n)` hash computations.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    levels: Vec<Vec<[u8; HASH_LEN]>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree holding the given leaf hashes, in order.
    pub fn from_leaf_hashes<I: IntoIterator<Item = [u8; HASH_LEN]>>(leaves: I) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.append(leaf);
        }
        tree
    }

    /// Number of leaves in the tree.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The leaf hash at `index`, if the tree has that many leaves.
    pub fn leaf(&self, index: u64) -> Option<[u8; HASH_LEN]> {
        let index = usize::try_from(index).ok()?;
        self.levels.first()?.get(index).copied()
    }

    /// Appends one leaf hash (as computed by [`leaf_hash`]) and returns its
    /// index. Amortised `O(1)` hash computations.
    pub fn append(&mut self, leaf: [u8; HASH_LEN]) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let index = self.levels[0].len() as u64 - 1;
        // Complete every perfect subtree that this leaf closes.
        let mut level = 0;
        while self.levels[level].len() & 1 == 0 {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
        index
    }

    fn check_size(&self, size: u64) -> Result<(), MerkleError> {
        let available = self.len();
        if size > available {
            return Err(MerkleError::SizeOutOfRange {
                requested: size,
                available,
            });
        }
        Ok(())
    }

    /// `MTH(D[start : start + n])` for `n >= 1`, where the range is one that
    /// the RFC 9162 recursion produces: `start` is a multiple of the smallest
    /// power of two `>= n`, and `start + n <= len()`. Such a range is the
    /// concatenation of the perfect subtrees given by the binary digits of
    /// `n`, all of them already cached.
    fn subtree(&self, start: u64, n: u64) -> [u8; HASH_LEN] {
        debug_assert!(n >= 1 && start + n <= self.len());
        let mut parts = [[0u8; HASH_LEN]; 64];
        let mut count = 0;
        let mut pos = start;
        for bit in (0..64u32).rev() {
            let width = 1u64 << bit;
            if n & width != 0 {
                debug_assert!(pos & (width - 1) == 0);
                parts[count] = self.levels[bit as usize][(pos >> bit) as usize];
                count += 1;
                pos += width;
            }
        }
        // `n >= 1`, so at least one part exists.
        fold_right(parts[..count].iter()).unwrap_or_else(empty_root)
    }

    /// The root `MTH(D[0:size])` of the first `size` leaves
    /// (RFC 9162 §2.1.1); the empty root when `size` is 0.
    pub fn root(&self, size: u64) -> Result<[u8; HASH_LEN], MerkleError> {
        self.check_size(size)?;
        if size == 0 {
            return Ok(empty_root());
        }
        Ok(self.subtree(0, size))
    }

    /// The inclusion proof `PATH(index, D[0:tree_size])` of RFC 9162
    /// §2.1.3.1: sibling hashes from the leaf up to the root.
    pub fn inclusion_proof(
        &self,
        index: u64,
        tree_size: u64,
    ) -> Result<Vec<[u8; HASH_LEN]>, MerkleError> {
        self.check_size(tree_size)?;
        if index >= tree_size {
            return Err(MerkleError::IndexOutOfRange { index, tree_size });
        }
        // Walk down from the root, collecting siblings top-down, then
        // reverse: PATH lists them bottom-up.
        let mut path = Vec::new();
        let (mut start, mut n, mut m) = (0u64, tree_size, index);
        while n > 1 {
            let k = split_point(n);
            if m < k {
                path.push(self.subtree(start + k, n - k));
                n = k;
            } else {
                path.push(self.subtree(start, k));
                start += k;
                m -= k;
                n -= k;
            }
        }
        path.reverse();
        Ok(path)
    }

    /// The consistency proof `PROOF(old_size, D[0:new_size])` of RFC 9162
    /// §2.1.4.1 (built with SUBPROOF). It is empty when `old_size` is 0 or
    /// equals `new_size`.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<[u8; HASH_LEN]>, MerkleError> {
        if old_size > new_size {
            return Err(MerkleError::OldSizeExceedsNewSize { old_size, new_size });
        }
        self.check_size(new_size)?;
        if old_size == 0 || old_size == new_size {
            return Ok(Vec::new());
        }
        // Iterative SUBPROOF(m, D[start : start + n], b), collecting the
        // appended hashes top-down and reversing at the end.
        let mut proof = Vec::new();
        let (mut start, mut n, mut m, mut b) = (0u64, new_size, old_size, true);
        loop {
            if m == n {
                if !b {
                    proof.push(self.subtree(start, n));
                }
                break;
            }
            let k = split_point(n);
            if m <= k {
                proof.push(self.subtree(start + k, n - k));
                n = k;
            } else {
                proof.push(self.subtree(start, k));
                start += k;
                m -= k;
                n -= k;
                b = false;
            }
        }
        proof.reverse();
        Ok(proof)
    }
}

/// Checks an inclusion proof with the algorithm of RFC 9162 §2.1.3.2: that
/// the leaf with hash `leaf` sits at `index` in the tree of size `tree_size`
/// whose root is `root`.
pub fn verify_inclusion(
    leaf: &[u8; HASH_LEN],
    index: u64,
    tree_size: u64,
    proof: &[[u8; HASH_LEN]],
    root: &[u8; HASH_LEN],
) -> Result<(), MerkleError> {
    // Step 1.
    if index >= tree_size {
        return Err(MerkleError::IndexOutOfRange { index, tree_size });
    }
    // Steps 2 and 3.
    let mut fnode = index;
    let mut snode = tree_size - 1;
    let mut r = *leaf;
    // Step 4.
    for p in proof {
        if snode == 0 {
            return Err(MerkleError::ProofTooLong);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 5.
    if snode != 0 {
        return Err(MerkleError::ProofTooShort);
    }
    if r != *root {
        return Err(MerkleError::RootMismatch);
    }
    Ok(())
}

/// Checks a consistency proof with the algorithm of RFC 9162 §2.1.4.2: that
/// the tree of size `old_size` with root `old_root` is a prefix of the tree of
/// size `new_size` with root `new_root`.
///
/// Cases outside the RFC's `0 < old_size < new_size`: when the sizes are
/// equal the proof must be empty and the roots equal; when `old_size` is 0 the
/// proof must be empty and `old_root` must be the empty root.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &[u8; HASH_LEN],
    new_root: &[u8; HASH_LEN],
    proof: &[[u8; HASH_LEN]],
) -> Result<(), MerkleError> {
    if old_size > new_size {
        return Err(MerkleError::OldSizeExceedsNewSize { old_size, new_size });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(MerkleError::ProofTooLong);
        }
        if old_root != new_root {
            return Err(MerkleError::NewRootMismatch);
        }
        return Ok(());
    }
    if old_size == 0 {
        if !proof.is_empty() {
            return Err(MerkleError::ProofTooLong);
        }
        if *old_root != empty_root() {
            return Err(MerkleError::OldRootMismatch);
        }
        return Ok(());
    }
    // Step 1.
    let Some((first, rest)) = proof.split_first() else {
        return Err(MerkleError::EmptyProof);
    };
    // Step 2: if old_size is a power of two, the old root is a node of the
    // new tree and is not sent; prepend it.
    let (seed, rest): (&[u8; HASH_LEN], &[[u8; HASH_LEN]]) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        (first, rest)
    };
    // Steps 3 and 4.
    let mut fnode = old_size - 1;
    let mut snode = new_size - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 5.
    let mut fr = *seed;
    let mut sr = *seed;
    // Step 6.
    for c in rest {
        if snode == 0 {
            return Err(MerkleError::ProofTooLong);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 7.
    if snode != 0 {
        return Err(MerkleError::ProofTooShort);
    }
    if fr != *old_root {
        return Err(MerkleError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(MerkleError::NewRootMismatch);
    }
    Ok(())
}

/// Streaming root computation over leaf hashes, keeping only the compact
/// frontier: the roots of the perfect subtrees given by the binary digits of
/// the leaf count (at most 64 hashes).
///
/// After appending leaf hashes `D[0..n]`, [`RootAccumulator::root`] equals
/// `MTH(D[0:n])` of RFC 9162 §2.1.1.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootAccumulator {
    size: u64,
    /// Perfect-subtree roots, largest (leftmost) first; one per set bit of `size`.
    frontier: Vec<[u8; HASH_LEN]>,
}

impl RootAccumulator {
    /// An accumulator over zero leaves.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The frontier: roots of the perfect subtrees that make up the tree so
    /// far, largest (leftmost) first.
    pub fn frontier(&self) -> &[[u8; HASH_LEN]] {
        &self.frontier
    }

    /// Appends one leaf hash (as computed by [`leaf_hash`]). Amortised
    /// `O(1)` hash computations.
    pub fn append(&mut self, leaf: [u8; HASH_LEN]) {
        let mut carry = leaf;
        let mut size = self.size;
        // Each trailing one bit of the old size is a perfect subtree of the
        // same height as `carry`: merge them.
        while size & 1 == 1 {
            match self.frontier.pop() {
                Some(left) => carry = node_hash(&left, &carry),
                None => break,
            }
            size >>= 1;
        }
        self.frontier.push(carry);
        self.size += 1;
    }

    /// The root `MTH(D[0:size])` of everything appended so far; the empty
    /// root when nothing was appended. `O(log n)` hash computations.
    pub fn root(&self) -> [u8; HASH_LEN] {
        fold_right(self.frontier.iter()).unwrap_or_else(empty_root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type H = [u8; HASH_LEN];

    fn leaves(n: u64) -> Vec<H> {
        (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect()
    }

    /// MTH, written straight from RFC 9162 §2.1.1.
    fn naive_mth(d: &[H]) -> H {
        match d.len() {
            0 => empty_root(),
            1 => d[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&naive_mth(&d[..k]), &naive_mth(&d[k..]))
            }
        }
    }

    /// PATH, written straight from RFC 9162 §2.1.3.1.
    fn naive_path(m: usize, d: &[H]) -> Vec<H> {
        let n = d.len();
        if n == 1 {
            return Vec::new();
        }
        let k = split_point(n as u64) as usize;
        if m < k {
            let mut p = naive_path(m, &d[..k]);
            p.push(naive_mth(&d[k..]));
            p
        } else {
            let mut p = naive_path(m - k, &d[k..]);
            p.push(naive_mth(&d[..k]));
            p
        }
    }

    /// SUBPROOF, written straight from RFC 9162 §2.1.4.1.
    fn naive_subproof(m: usize, d: &[H], b: bool) -> Vec<H> {
        let n = d.len();
        if m == n {
            return if b { Vec::new() } else { vec![naive_mth(d)] };
        }
        let k = split_point(n as u64) as usize;
        if m <= k {
            let mut p = naive_subproof(m, &d[..k], b);
            p.push(naive_mth(&d[k..]));
            p
        } else {
            let mut p = naive_subproof(m - k, &d[k..], false);
            p.push(naive_mth(&d[..k]));
            p
        }
    }

    /// Which side each sibling of `PATH(m, D[n])` is on (true: left),
    /// bottom-up; this is all that the verifier's computation depends on.
    fn path_shape(m: u64, n: u64) -> Vec<bool> {
        if n == 1 {
            return Vec::new();
        }
        let k = split_point(n);
        let mut s = if m < k {
            path_shape(m, k)
        } else {
            path_shape(m - k, n - k)
        };
        s.push(m >= k);
        s
    }

    /// The kind of each hash of `PROOF(m, D[n])` (0: the old root's own
    /// seed, 1: a left sibling inside the old tree, 2: a right sibling
    /// outside it), plus whether the old root itself is the seed.
    fn subproof_shape(m: u64, n: u64) -> (bool, Vec<u8>) {
        fn sub(m: u64, n: u64, b: bool, out: &mut Vec<u8>) {
            if m == n {
                if !b {
                    out.push(0);
                }
                return;
            }
            let k = split_point(n);
            if m <= k {
                sub(m, k, b, out);
                out.push(2);
            } else {
                sub(m - k, n - k, false, out);
                out.push(1);
            }
        }
        let mut out = Vec::new();
        sub(m, n, true, &mut out);
        (m.is_power_of_two(), out)
    }

    #[test]
    fn hash_definitions() {
        let mut pre = vec![0u8];
        pre.extend_from_slice(b"abc");
        assert_eq!(leaf_hash(b"abc"), *blake3::hash(&pre).as_bytes());
        let (l, r) = ([1u8; 32], [2u8; 32]);
        let mut pre = vec![1u8];
        pre.extend_from_slice(&l);
        pre.extend_from_slice(&r);
        assert_eq!(node_hash(&l, &r), *blake3::hash(&pre).as_bytes());
        assert_eq!(empty_root(), *blake3::hash(b"").as_bytes());
        assert_ne!(leaf_hash(b""), empty_root());
    }

    #[test]
    fn split_point_is_largest_power_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn roots_match_naive_for_all_sizes_up_to_70() {
        let d = leaves(70);
        let tree = MerkleTree::from_leaf_hashes(d.iter().copied());
        let mut acc = RootAccumulator::new();
        assert_eq!(acc.root(), empty_root());
        for n in 0..=70usize {
            let expected = naive_mth(&d[..n]);
            assert_eq!(tree.root(n as u64), Ok(expected), "tree root, size {n}");
            // A tree built to exactly n leaves agrees with the prefix root.
            let exact = MerkleTree::from_leaf_hashes(d[..n].iter().copied());
            assert_eq!(exact.root(n as u64), Ok(expected), "exact tree, size {n}");
            assert_eq!(acc.size(), n as u64);
            assert_eq!(acc.root(), expected, "accumulator, size {n}");
            assert_eq!(acc.frontier().len(), (n as u64).count_ones() as usize);
            if n < 70 {
                acc.append(d[n]);
            }
        }
        assert_eq!(tree.len(), 70);
        assert_eq!(tree.leaf(3), Some(d[3]));
        assert_eq!(tree.leaf(70), None);
        assert!(MerkleTree::new().is_empty());
        assert_eq!(
            tree.root(71),
            Err(MerkleError::SizeOutOfRange {
                requested: 71,
                available: 70
            })
        );
    }

    #[test]
    fn inclusion_every_index_of_many_sizes() {
        let d = leaves(70);
        let tree = MerkleTree::from_leaf_hashes(d.iter().copied());
        for n in 1..=70u64 {
            let root = naive_mth(&d[..n as usize]);
            for m in 0..n {
                let proof = tree.inclusion_proof(m, n).expect("proof");
                assert_eq!(
                    proof,
                    naive_path(m as usize, &d[..n as usize]),
                    "m={m} n={n}"
                );
                assert_eq!(
                    verify_inclusion(&d[m as usize], m, n, &proof, &root),
                    Ok(())
                );
            }
        }
    }

    #[test]
    fn consistency_all_pairs_up_to_40() {
        let d = leaves(40);
        let tree = MerkleTree::from_leaf_hashes(d.iter().copied());
        for new in 0..=40u64 {
            let new_root = naive_mth(&d[..new as usize]);
            for old in 0..=new {
                let old_root = naive_mth(&d[..old as usize]);
                let proof = tree.consistency_proof(old, new).expect("proof");
                if old > 0 && old < new {
                    assert_eq!(
                        proof,
                        naive_subproof(old as usize, &d[..new as usize], true),
                        "old={old} new={new}"
                    );
                } else {
                    assert!(proof.is_empty());
                }
                assert_eq!(
                    verify_consistency(old, new, &old_root, &new_root, &proof),
                    Ok(()),
                    "old={old} new={new}"
                );
            }
        }
    }

    #[test]
    fn inclusion_negative() {
        let d = leaves(40);
        let tree = MerkleTree::from_leaf_hashes(d.iter().copied());
        for n in 1..=40u64 {
            let root = tree.root(n).expect("root");
            for m in 0..n {
                let leaf = d[m as usize];
                let proof = tree.inclusion_proof(m, n).expect("proof");
                // Wrong index.
                for wrong in [m + 1, m.wrapping_sub(1), m ^ 1, m + n] {
                    if wrong != m {
                        assert!(verify_inclusion(&leaf, wrong, n, &proof, &root).is_err());
                    }
                }
                // Wrong size (bigger or smaller). The proof authenticates the
                // root, not the size: a size whose tree has the same path
                // shape is accepted (as in RFC 9162), every other is not.
                for wrong in [n + 1, n - 1, 2 * n, n / 2] {
                    if wrong == n || wrong <= m {
                        continue;
                    }
                    let same_shape = path_shape(m, wrong) == path_shape(m, n);
                    assert_eq!(
                        verify_inclusion(&leaf, m, wrong, &proof, &root).is_ok(),
                        same_shape,
                        "m={m} n={n} wrong size {wrong}"
                    );
                }
                // Wrong leaf, wrong root.
                let other = leaf_hash(b"not in the tree");
                assert_eq!(
                    verify_inclusion(&other, m, n, &proof, &root),
                    Err(MerkleError::RootMismatch)
                );
                let mut bad_root = root;
                bad_root[5] ^= 0x80;
                assert!(verify_inclusion(&leaf, m, n, &proof, &bad_root).is_err());
                // Every flipped byte of the proof.
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i][i % HASH_LEN] ^= 1;
                    assert_eq!(
                        verify_inclusion(&leaf, m, n, &bad, &root),
                        Err(MerkleError::RootMismatch)
                    );
                }
                // Truncated.
                if !proof.is_empty() {
                    let short = &proof[..proof.len() - 1];
                    assert_eq!(
                        verify_inclusion(&leaf, m, n, short, &root),
                        Err(MerkleError::ProofTooShort)
                    );
                }
                // Extended.
                let mut long = proof.clone();
                long.push([7u8; 32]);
                assert_eq!(
                    verify_inclusion(&leaf, m, n, &long, &root),
                    Err(MerkleError::ProofTooLong)
                );
            }
        }
        // Index out of range, at generation and at verification.
        assert_eq!(
            tree.inclusion_proof(5, 5),
            Err(MerkleError::IndexOutOfRange {
                index: 5,
                tree_size: 5
            })
        );
        assert_eq!(
            tree.inclusion_proof(0, 41),
            Err(MerkleError::SizeOutOfRange {
                requested: 41,
                available: 40
            })
        );
        assert_eq!(
            verify_inclusion(&d[0], 0, 0, &[], &empty_root()),
            Err(MerkleError::IndexOutOfRange {
                index: 0,
                tree_size: 0
            })
        );
    }

    #[test]
    fn consistency_negative() {
        let d = leaves(40);
        let tree = MerkleTree::from_leaf_hashes(d.iter().copied());
        let roots: Vec<H> = (0..=40).map(|n| tree.root(n).expect("root")).collect();
        for new in 1..=40u64 {
            for old in 1..new {
                let (or, nr) = (roots[old as usize], roots[new as usize]);
                let proof = tree.consistency_proof(old, new).expect("proof");
                assert!(!proof.is_empty());
                // Swapped roots / wrong roots.
                assert!(verify_consistency(old, new, &nr, &or, &proof).is_err());
                let mut bad = or;
                bad[0] ^= 1;
                assert!(verify_consistency(old, new, &bad, &nr, &proof).is_err());
                let mut bad = nr;
                bad[31] ^= 1;
                assert!(verify_consistency(old, new, &or, &bad, &proof).is_err());
                // Wrong sizes: accepted exactly when the proof has the same
                // shape for them (the proof authenticates roots, not sizes).
                for (o, n) in [
                    (old + 1, new),
                    (old - 1, new),
                    (old, new + 1),
                    (old, new - 1),
                    (old, 2 * new),
                ] {
                    if (o, n) == (old, new) || o == 0 || o >= n {
                        continue;
                    }
                    let same_shape = subproof_shape(o, n) == subproof_shape(old, new);
                    assert_eq!(
                        verify_consistency(o, n, &or, &nr, &proof).is_ok(),
                        same_shape,
                        "sizes {o},{n} with proof of {old},{new}"
                    );
                }
                if new < 40 {
                    let next = roots[new as usize + 1];
                    assert!(verify_consistency(old, new + 1, &or, &next, &proof).is_err());
                }
                // Every flipped proof hash.
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i][(i * 7) % HASH_LEN] ^= 0x10;
                    assert!(verify_consistency(old, new, &or, &nr, &bad).is_err());
                }
                // Truncated and extended.
                let short = &proof[..proof.len() - 1];
                assert!(verify_consistency(old, new, &or, &nr, short).is_err());
                let mut long = proof.clone();
                long.push([9u8; 32]);
                assert!(verify_consistency(old, new, &or, &nr, &long).is_err());
                // Old size greater than new size.
                assert_eq!(
                    verify_consistency(new, old, &nr, &or, &proof),
                    Err(MerkleError::OldSizeExceedsNewSize {
                        old_size: new,
                        new_size: old
                    })
                );
            }
        }
        assert_eq!(
            tree.consistency_proof(5, 4),
            Err(MerkleError::OldSizeExceedsNewSize {
                old_size: 5,
                new_size: 4
            })
        );
        assert_eq!(
            tree.consistency_proof(5, 41),
            Err(MerkleError::SizeOutOfRange {
                requested: 41,
                available: 40
            })
        );
        // Empty proof between different non-empty sizes.
        assert_eq!(
            verify_consistency(3, 7, &roots[3], &roots[7], &[]),
            Err(MerkleError::EmptyProof)
        );
        // Equal sizes: empty proof, equal roots.
        assert_eq!(verify_consistency(7, 7, &roots[7], &roots[7], &[]), Ok(()));
        assert!(verify_consistency(7, 7, &roots[7], &roots[8], &[]).is_err());
        assert!(verify_consistency(7, 7, &roots[7], &roots[7], &[roots[1]]).is_err());
        // From the empty tree.
        assert_eq!(
            verify_consistency(0, 7, &empty_root(), &roots[7], &[]),
            Ok(())
        );
        assert!(verify_consistency(0, 7, &roots[1], &roots[7], &[]).is_err());
        assert!(verify_consistency(0, 7, &empty_root(), &roots[7], &[roots[1]]).is_err());
    }

    #[test]
    fn large_tree_spot_checks() {
        // A size with many set bits, to exercise deep caches.
        let n: u64 = (1 << 12) + (1 << 9) + (1 << 4) + 3;
        let d = leaves(n);
        let tree = MerkleTree::from_leaf_hashes(d.iter().copied());
        let mut acc = RootAccumulator::new();
        for h in &d {
            acc.append(*h);
        }
        let root = naive_mth(&d);
        assert_eq!(tree.root(n), Ok(root));
        assert_eq!(acc.root(), root);
        for m in [0, 1, 4095, 4096, 4607, 4608, n - 1] {
            let proof = tree.inclusion_proof(m, n).expect("proof");
            assert_eq!(
                verify_inclusion(&d[m as usize], m, n, &proof, &root),
                Ok(())
            );
        }
        for old in [1, 2, 3, 1024, 4095, 4096, 4097, n - 1] {
            let old_root = tree.root(old).expect("root");
            let proof = tree.consistency_proof(old, n).expect("proof");
            assert_eq!(verify_consistency(old, n, &old_root, &root, &proof), Ok(()));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn prop_inclusion_and_consistency(
            new in 1u64..600,
            a in any::<u64>(),
            b in any::<u64>(),
        ) {
            let d = leaves(new);
            let tree = MerkleTree::from_leaf_hashes(d.iter().copied());
            let root = naive_mth(&d);
            prop_assert_eq!(tree.root(new), Ok(root));

            let m = a % new;
            let proof = tree.inclusion_proof(m, new).expect("proof");
            prop_assert_eq!(verify_inclusion(&d[m as usize], m, new, &proof, &root), Ok(()));
            prop_assert!(verify_inclusion(&d[m as usize], (m + 1) % new, new, &proof, &root).is_err() || new == 1);

            let old = b % (new + 1);
            let old_root = tree.root(old).expect("root");
            let proof = tree.consistency_proof(old, new).expect("proof");
            prop_assert_eq!(verify_consistency(old, new, &old_root, &root, &proof), Ok(()));
            if old > 0 && old < new {
                prop_assert_eq!(proof, naive_subproof(old as usize, &d, true));
            }
        }
    }
}
