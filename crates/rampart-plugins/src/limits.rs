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
    /// A batch call may run `cpu` plus this much per item.
    pub cpu_per_batch_item: Duration,
    /// Fuel per call when `meter` is `Fuel` (about one unit per WASM instruction).
    pub fuel: u64,
    pub meter: CpuMeter,
    /// Linear memory of a WASM instance, in bytes.
    pub memory: usize,
    /// The WASM stack, in bytes.
    pub stack: usize,
    /// Rhai: operations per call, call depth, and sizes of strings, arrays and maps. Rhai checks
    /// the sizes of a value as a whole (all strings and elements nested in it), so a batch's
    /// result counts all its explanations together.
    pub operations: u64,
    pub call_depth: usize,
    pub string_size: usize,
    pub array_size: usize,
    pub map_size: usize,
}

impl Limits {
    /// The CPU budget of one call over `items` risks (1 for a single assessment).
    pub fn budget(&self, items: usize) -> Duration {
        if items <= 1 {
            return self.cpu;
        }
        self.cpu + self.cpu_per_batch_item * items.min(u32::MAX as usize) as u32
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu: Duration::from_secs(2),
            cpu_per_batch_item: Duration::from_millis(2),
            fuel: 2_000_000_000,
            meter: CpuMeter::Epoch,
            memory: 64 * 1024 * 1024,
            stack: 512 * 1024,
            operations: 500_000_000,
            // Rhai frames are large in debug builds: 24 levels fit the 2 MiB stack of a test or
            // tokio blocking thread with room to spare, and risk methods do not recurse deeply.
            call_depth: 24,
            string_size: 8 * 1024 * 1024,
            array_size: 1_000_000,
            map_size: 1_000_000,
        }
    }
}
