//! The engine's clock. Everything that asks "what time is it" asks here, so that a server started
//! with a simulated clock (`rampart serve --simulated-clock`) can be moved forward by tests and
//! demonstrations — review dates passing, recurring tasks across years — without sleeping.
//! The offset is process-wide: one server process is one clock.

use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// Microseconds added to the system clock; only ever grows, so time never runs backwards.
static OFFSET_MICROS: AtomicI64 = AtomicI64::new(0);

/// The current time: the system clock plus the simulated offset (zero unless advanced).
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc() + offset()
}

/// How far the clock has been moved ahead of the system clock.
pub fn offset() -> Duration {
    Duration::microseconds(OFFSET_MICROS.load(Ordering::SeqCst))
}

/// Moves the clock forward by `by` (a negative or zero amount is ignored: stored times must
/// keep their order). Returns the new offset.
pub fn advance(by: Duration) -> Duration {
    let micros = i64::try_from(by.whole_microseconds()).unwrap_or(i64::MAX);
    if micros > 0 {
        OFFSET_MICROS.fetch_add(micros, Ordering::SeqCst);
    }
    offset()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_only_moves_forward() {
        let before = now();
        advance(Duration::days(400));
        advance(Duration::days(-1000));
        let after = now();
        assert!(after - before >= Duration::days(400));
        assert!(offset() >= Duration::days(400));
    }
}
