//! The modified PERT distribution (λ = 4) as a quantile table for inverse-CDF sampling.

use rampart_sdk::risk::Estimate;

/// Points of the grid the density is integrated on.
const GRID: usize = 4096;
/// Quantiles kept for sampling; a draw interpolates linearly between neighbours.
const TABLE: usize = 1024;

/// A PERT distribution ready to sample: `TABLE + 1` quantiles from 0 to 1.
pub struct Pert {
    quantiles: Vec<f64>,
}

impl Pert {
    pub fn new(e: Estimate) -> Pert {
        let span = e.max - e.min;
        if span <= 0.0 || !span.is_finite() {
            return Pert { quantiles: vec![e.min; TABLE + 1] };
        }
        let lambda = 4.0;
        let alpha = 1.0 + lambda * (e.mode - e.min) / span;
        let beta = 1.0 + lambda * (e.max - e.mode) / span;
        // Cumulative distribution of Beta(alpha, beta) on a uniform grid over [0, 1], by the
        // trapezoid rule on the unnormalised density.
        let mut cdf = vec![0.0f64; GRID + 1];
        let density = |x: f64| {
            if x <= 0.0 {
                return if alpha == 1.0 { 1.0 } else { 0.0 };
            }
            if x >= 1.0 {
                return if beta == 1.0 { 1.0 } else { 0.0 };
            }
            ((alpha - 1.0) * x.ln() + (beta - 1.0) * (1.0 - x).ln()).exp()
        };
        let mut previous = density(0.0);
        for (i, slot) in cdf.iter_mut().enumerate().skip(1) {
            let d = density(i as f64 / GRID as f64);
            *slot = (previous + d) * 0.5;
            previous = d;
        }
        for i in 1..=GRID {
            cdf[i] += cdf[i - 1];
        }
        let total = cdf[GRID];
        // Invert: for each probability p = k / TABLE, the x where the CDF reaches p.
        let mut quantiles = Vec::with_capacity(TABLE + 1);
        let mut j = 0;
        for k in 0..=TABLE {
            let p = k as f64 / TABLE as f64 * total;
            while j < GRID && cdf[j + 1] < p {
                j += 1;
            }
            let x = if j >= GRID {
                1.0
            } else {
                let (lo, hi) = (cdf[j], cdf[j + 1]);
                let t = if hi > lo { ((p - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.0 };
                (j as f64 + t) / GRID as f64
            };
            quantiles.push(e.min + x * span);
        }
        Pert { quantiles }
    }

    /// The value at probability `u` in [0, 1).
    #[inline(always)]
    pub fn quantile(&self, u: f64) -> f64 {
        let pos = u * TABLE as f64;
        let i = (pos as usize).min(TABLE - 1);
        let t = pos - i as f64;
        let (a, b) = (self.quantiles[i], self.quantiles[i + 1]);
        a + (b - a) * t
    }

    /// The analytic mean, (min + 4·mode + max) / 6.
    pub fn mean(e: Estimate) -> f64 {
        (e.min + 4.0 * e.mode + e.max) / 6.0
    }
}
