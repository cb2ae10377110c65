//! The Monte Carlo loop and the statistics of its result.

use rampart_sdk::risk::Estimate;

use crate::pert::Pert;

pub struct Scenario {
    pub tef: Estimate,
    pub vulnerability: Estimate,
    pub primary_loss: Estimate,
    pub secondary_loss: Option<Estimate>,
    pub secondary_probability: f64,
    pub iterations: u32,
    pub seed: u64,
}

pub struct Summary {
    pub mean: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub lef_mean: f64,
    pub lm_mean: f64,
    /// (loss, probability that the annual loss exceeds it), from 0 to the maximum.
    pub exceedance: Vec<(f64, f64)>,
}

const CURVE_POINTS: usize = 50;

/// Annualised loss exposure of every iteration.
pub fn sample(s: &Scenario) -> (Vec<f64>, f64, f64) {
    let tef = Pert::new(s.tef);
    let vulnerability = Pert::new(s.vulnerability);
    let primary = Pert::new(s.primary_loss);
    let secondary = s.secondary_loss.map(Pert::new);
    let mut rng = fastrand::Rng::with_seed(s.seed);
    let n = s.iterations as usize;
    let mut ale = Vec::with_capacity(n);
    let (mut lef_sum, mut lm_sum) = (0.0, 0.0);
    for _ in 0..n {
        let lef = tef.quantile(rng.f64()) * vulnerability.quantile(rng.f64());
        let mut lm = primary.quantile(rng.f64());
        if let Some(secondary) = &secondary {
            lm += s.secondary_probability * secondary.quantile(rng.f64());
        }
        lef_sum += lef;
        lm_sum += lm;
        ale.push(lef * lm);
    }
    (ale, lef_sum / n as f64, lm_sum / n as f64)
}

pub fn simulate(s: &Scenario) -> Summary {
    let (mut ale, lef_mean, lm_mean) = sample(s);
    let n = ale.len();
    let mean = ale.iter().sum::<f64>() / n as f64;
    let max = ale.iter().copied().fold(0.0, f64::max);
    // Percentiles by successive selection (linear time) instead of a full sort.
    let rank = |p: f64| ((p * (n - 1) as f64).round() as usize).min(n - 1);
    let mut pick = |p: f64, from: usize| -> f64 {
        let k = rank(p);
        let (_, v, _) = ale[from..].select_nth_unstable_by(k - from, f64::total_cmp);
        *v
    };
    let p10 = pick(0.10, 0);
    let p50 = pick(0.50, rank(0.10));
    let p90 = pick(0.90, rank(0.50));
    let p99 = pick(0.99, rank(0.90));
    // Loss-exceedance curve: the share of iterations above each of evenly spaced losses.
    let mut counts = [0u32; CURVE_POINTS];
    let step = if max > 0.0 { max / CURVE_POINTS as f64 } else { 1.0 };
    for &x in &ale {
        let bucket = ((x / step) as usize).min(CURVE_POINTS - 1);
        counts[bucket] += 1;
    }
    let mut above = n as u32;
    let mut exceedance = Vec::with_capacity(CURVE_POINTS);
    for (i, c) in counts.iter().enumerate() {
        // Values in bucket i are in [i*step, (i+1)*step): those above i*step are all later ones
        // (approximately; the curve is a picture, the percentiles are exact).
        exceedance.push((i as f64 * step, above as f64 / n as f64));
        above -= c;
    }
    Summary { mean, p10, p50, p90, p99, max, lef_mean, lm_mean, exceedance }
}
