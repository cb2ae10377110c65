//! The sandbox limits every plugin call runs under.

use std::time::Duration;

/// How the CPU budget of a WASM call is enforced (see docs/plugins.md for the measurements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuMeter {
    /// Epoch interruption: a ticker thread advances the engine's epoch; cheap, wall-clock based.
    Epoch,
    /// Fuel: deterministic instruction counting; dearer per instruction.
    Fuel,
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock budget of one call (one `assess`, or one whole `assess-batch`).
    pub cpu: Duration,
    /// Fuel per call when `meter` is `Fuel` (about one unit per WASM instruction).
    pub fuel: u64,
    pub meter: CpuMeter,
    /// Linear memory of a WASM instance, in bytes.
    pub memory: usize,
    /// The WASM stack, in bytes.
    pub stack: usize,
    /// Rhai: operations per call, call depth, and sizes of strings, arrays and maps.
    pub operations: u64,
    pub call_depth: usize,
    pub string_size: usize,
    pub array_size: usize,
    pub map_size: usize,
    /// The largest batch one `assess-batch` call takes.
    pub batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu: Duration::from_secs(2),
            fuel: 2_000_000_000,
            meter: CpuMeter::Epoch,
            memory: 64 * 1024 * 1024,
            stack: 512 * 1024,
            operations: 50_000_000,
            // Rhai frames are large in debug builds: 24 levels fit the 2 MiB stack of a test or
            // tokio blocking thread with room to spare, and risk methods do not recurse deeply.
            call_depth: 24,
            string_size: 64 * 1024,
            array_size: 200_000,
            map_size: 10_000,
            batch: 100_000,
        }
    }
}
