//! The sampler against the analytic PERT mean, and the simulation's determinism.

use rampart_sdk::risk::Estimate;
use risk_fair::pert::Pert;
use risk_fair::simulation::{Scenario, sample, simulate};

fn est(min: f64, mode: f64, max: f64) -> Estimate {
    Estimate { min, mode, max }
}

#[test]
fn table_sampling_matches_the_pert_mean() {
    for e in [est(0.0, 0.5, 1.0), est(1.0, 2.0, 10.0), est(1_000.0, 5_000.0, 100_000.0), est(0.0, 0.0, 1.0)] {
        let pert = Pert::new(e);
        let n = 200_000;
        let mean = (0..n).map(|i| pert.quantile((i as f64 + 0.5) / n as f64)).sum::<f64>() / n as f64;
        let expected = Pert::mean(e);
        assert!((mean - expected).abs() <= 0.002 * (e.max - e.min), "{e:?}: {mean} vs {expected}");
        assert!(pert.quantile(0.0) >= e.min && pert.quantile(0.999_999) <= e.max);
    }
}

#[test]
fn the_same_seed_gives_the_same_losses_and_another_seed_does_not() {
    let scenario = |seed| Scenario {
        tef: est(0.5, 2.0, 8.0),
        vulnerability: est(0.1, 0.3, 0.6),
        primary_loss: est(10_000.0, 50_000.0, 400_000.0),
        secondary_loss: Some(est(0.0, 20_000.0, 1_000_000.0)),
        secondary_probability: 0.3,
        iterations: 10_000,
        seed,
    };
    assert_eq!(sample(&scenario(7)).0, sample(&scenario(7)).0);
    assert_ne!(sample(&scenario(7)).0, sample(&scenario(8)).0);
    let s = simulate(&scenario(7));
    assert!(s.p10 <= s.p50 && s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max);
    // E[ALE] = E[TEF]·E[V]·E[LM] for independent draws.
    let expected = Pert::mean(est(0.5, 2.0, 8.0))
        * Pert::mean(est(0.1, 0.3, 0.6))
        * (Pert::mean(est(10_000.0, 50_000.0, 400_000.0)) + 0.3 * Pert::mean(est(0.0, 20_000.0, 1_000_000.0)));
    assert!((s.mean - expected).abs() / expected < 0.03, "{} vs {expected}", s.mean);
    assert_eq!(s.exceedance.first().map(|p| p.1), Some(1.0));
    assert!(s.exceedance.windows(2).all(|w| w[0].1 >= w[1].1));
}
