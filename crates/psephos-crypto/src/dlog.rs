//! Discrete logarithm of a small tally by baby-step giant-step (Shanks 1971).
//!
//! With `m = ⌈√(bound+1)⌉`, the table holds `j·G` for `j < m` (keyed by encoding); the search
//! walks `P − i·m·G` for `i ≤ m` until it hits the table. For a bound of 10⁷ that is 3,163
//! table entries and at most 3,163 steps: a few milliseconds.

use std::collections::HashMap;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;

use crate::group::{half, mul_g, G};

/// A baby-step table for values in `0..=bound`.
pub struct DiscreteLog {
    bound: u64,
    step: u64,
    table: HashMap<[u8; 32], u64>,
    giant: RistrettoPoint,
}

impl DiscreteLog {
    /// Builds the table for `0..=bound`.
    pub fn new(bound: u64) -> Self {
        let step = ((bound as f64 + 1.0).sqrt().ceil() as u64).max(1);
        // j·G/2 for j < step, so that one batched double-and-compress encodes j·G.
        let g_half = mul_g(&half());
        let mut halves = Vec::with_capacity(step as usize);
        let mut acc = RistrettoPoint::identity();
        for _ in 0..step {
            halves.push(acc);
            acc += g_half;
        }
        let encoded = RistrettoPoint::double_and_compress_batch(&halves);
        let table = encoded
            .into_iter()
            .enumerate()
            .map(|(j, e)| (e.to_bytes(), j as u64))
            .collect();
        DiscreteLog {
            bound,
            step,
            table,
            giant: mul_g(&Scalar::from(step)),
        }
    }

    /// The largest value found.
    pub fn bound(&self) -> u64 {
        self.bound
    }

    /// `x` with `x·G = target` and `x ≤ bound`, if there is one.
    pub fn solve(&self, target: &RistrettoPoint) -> Option<u64> {
        let mut point = *target;
        for i in 0..=self.step {
            if let Some(j) = self.table.get(point.compress().as_bytes()) {
                let x = i * self.step + j;
                return (x <= self.bound).then_some(x);
            }
            point -= self.giant;
        }
        None
    }
}

impl core::fmt::Debug for DiscreteLog {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "DiscreteLog(0..={})", self.bound)
    }
}

/// `x·G` for a small `x` (test helper, also for Benaloh checks).
pub fn small_multiple(x: u64) -> RistrettoPoint {
    if x == 0 {
        RistrettoPoint::identity()
    } else {
        G * Scalar::from(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_across_the_range() {
        let d = DiscreteLog::new(100_000);
        for x in [0u64, 1, 2, 316, 317, 318, 99_999, 100_000, 31_622, 54_321] {
            assert_eq!(d.solve(&mul_g(&Scalar::from(x))), Some(x), "x = {x}");
        }
        assert_eq!(d.solve(&mul_g(&Scalar::from(100_001u64))), None);
        assert_eq!(
            d.solve(&(mul_g(&Scalar::from(5u64)) + mul_g(&Scalar::from(u64::MAX)))),
            None
        );
    }

    #[test]
    fn ten_million() {
        let d = DiscreteLog::new(10_000_000);
        assert_eq!(
            d.solve(&mul_g(&Scalar::from(9_876_543u64))),
            Some(9_876_543)
        );
        assert_eq!(
            d.solve(&mul_g(&Scalar::from(10_000_000u64))),
            Some(10_000_000)
        );
    }
}
