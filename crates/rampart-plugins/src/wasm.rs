//! The WASM component runtime: wasmtime with the component model, WASI linked with nothing
//! granted, memory capped by a resource limiter, CPU capped by epoch interruption (or fuel),
//! compiled components cached on disk, and pre-instantiation so that a call only pays for a
//! fresh store and instance (a trap can never leave state behind for the next call).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Instance, InstancePre, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, Trap};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::limits::{CpuMeter, Limits};
use crate::risk::{self, Assessment, Input, Methodology, RiskMethodology};
use crate::{Broke, PluginFailure};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit",
        world: "risk-methodology",
    });
}

/// The functions of contracts 1.0 and 1.1 (without `assess-rows`), over the same types.
mod core_bindings {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit",
        world: "risk-methodology-core",
        with: {
            "rampart:plugin/risk-types": super::bindings::rampart::plugin::risk_types,
        },
    });
}

use bindings::rampart::plugin::risk_types as wit;
use core_bindings::{RiskMethodologyCore, RiskMethodologyCoreIndices};

/// How often the ticker advances the epoch: the granularity of the CPU budget.
const TICK: Duration = Duration::from_millis(10);

/// One wasmtime engine shared by every WASM plugin, with its epoch ticker and compiled cache.
pub struct WasmHost {
    engine: Engine,
    limits: Limits,
    cache_dir: Option<PathBuf>,
    stop: Arc<AtomicBool>,
}

impl Drop for WasmHost {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl WasmHost {
    /// `cache_dir`: where compiled components are kept between runs (None: compile every time).
    pub fn new(limits: Limits, cache_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut config = Config::new();
        match limits.meter {
            CpuMeter::Epoch => config.epoch_interruption(true),
            CpuMeter::Fuel => config.consume_fuel(true),
        };
        config.max_wasm_stack(limits.stack);
        // The default 4 GiB reservation per linear memory (virtual, on 64-bit hosts) lets
        // Cranelift drop bounds checks; the limiter, not the reservation, caps what a plugin gets.
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        if limits.meter == CpuMeter::Epoch {
            let (engine, stop) = (engine.clone(), stop.clone());
            std::thread::Builder::new()
                .name("rampart-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(TICK);
                        engine.increment_epoch();
                    }
                })
                .context("start the epoch ticker")?;
        }
        if let Some(dir) = &cache_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("create the component cache {}", dir.display()))?;
        }
        Ok(WasmHost {
            engine,
            limits,
            cache_dir,
            stop,
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Loads a component from the disk cache, or compiles it and fills the cache. Returns the
    /// component and whether it came from the cache.
    pub(crate) fn component(&self, bytes: &[u8]) -> anyhow::Result<(Component, bool)> {
        let Some(dir) = &self.cache_dir else {
            return Ok((
                Component::new(&self.engine, bytes).map_err(|e| anyhow::anyhow!("{e:?}"))?,
                false,
            ));
        };
        let mut compat = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut compat);
        let key = hex::encode(
            Sha256::new()
                .chain_update(bytes)
                .chain_update(compat.finish().to_le_bytes())
                .finalize(),
        );
        let path = dir.join(format!("{key}.cwasm"));
        // Read into memory rather than map the file: a mapped file truncated by someone else
        // would bring the whole server down (SIGBUS).
        if let Ok(cached) = std::fs::read(&path) {
            // SAFETY: files in the cache directory are written only by `precompile_component`
            // below, under a name derived from the source and the engine configuration; wasmtime
            // still checks the header and refuses an entry from another engine configuration.
            match unsafe { Component::deserialize(&self.engine, &cached) } {
                Ok(c) => return Ok((c, true)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "ignoring unusable cache entry: {e}")
                }
            }
        }
        let compiled = self
            .engine
            .precompile_component(bytes)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, &compiled)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .is_err()
        {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!(dir = %dir.display(), "could not write the component cache");
        }
        // SAFETY: `compiled` was produced by this engine a moment ago.
        let c = unsafe { Component::deserialize(&self.engine, &compiled) }
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok((c, false))
    }

    pub(crate) fn linker(&self) -> anyhow::Result<Linker<Sandbox>> {
        let mut linker = Linker::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(linker)
    }

    pub(crate) fn store(&self, budget: Duration) -> Store<Sandbox> {
        let mut store = Store::new(&self.engine, Sandbox::new(self.limits.memory));
        store.limiter(|s| &mut s.limiter);
        match self.limits.meter {
            CpuMeter::Epoch => {
                let ticks = (budget.as_millis() / TICK.as_millis()).max(1) as u64 + 1;
                store.set_epoch_deadline(ticks);
                store.epoch_deadline_trap();
            }
            CpuMeter::Fuel => {
                let scale = (budget.as_secs_f64() / self.limits.cpu.as_secs_f64()).max(1.0);
                let _ = store.set_fuel((self.limits.fuel as f64 * scale) as u64);
            }
        }
        store
    }

    /// Loads a risk methodology component: compiles (or takes from cache), type-checks its
    /// exports against the contract, pre-instantiates, and calls `describe` once. `rows`: the
    /// plugin was written for contract 1.2 or later, so it must export `assess-rows`.
    pub fn load_risk_methodology(
        self: &Arc<Self>,
        plugin: &str,
        path: &Path,
        rows: bool,
    ) -> Result<WasmRiskMethodology, PluginFailure> {
        let bytes = std::fs::read(path).map_err(|e| {
            PluginFailure::new(
                plugin,
                Broke::Contract,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let (component, _) = self.component(&bytes).map_err(|e| {
            PluginFailure::new(
                plugin,
                Broke::Contract,
                format!("not a valid WASM component: {e}"),
            )
        })?;
        let linker = self
            .linker()
            .map_err(|e| PluginFailure::new(plugin, Broke::Contract, e.to_string()))?;
        let world = |e: wasmtime::Error| {
            PluginFailure::new(
                plugin,
                Broke::Contract,
                format!("does not implement the risk-methodology world: {e:?}"),
            )
        };
        let pre = linker.instantiate_pre(&component).map_err(world)?;
        let core = RiskMethodologyCoreIndices::new(&pre).map_err(world)?;
        let rows = if rows {
            Some(bindings::RiskMethodologyIndices::new(&pre).map_err(|e| {
                PluginFailure::new(
                    plugin,
                    Broke::Contract,
                    format!(
                        "its manifest says contract 1.2 or later, which needs `assess-rows`: \
                         {e:?} (rebuild it with this version's rampart-sdk, or set `contract` \
                         in plugin.toml to the version it was built for)"
                    ),
                )
            })?)
        } else {
            None
        };
        let mut loaded = WasmRiskMethodology {
            plugin: plugin.to_string(),
            host: self.clone(),
            pre,
            core,
            rows,
            methodology: placeholder(),
        };
        let described = loaded.call_core(1, |r, s| r.call_describe(s))?;
        let methodology = Methodology::from(described);
        risk::check_methodology(&methodology)
            .map_err(|e| PluginFailure::new(plugin, Broke::Contract, e))?;
        loaded.methodology = methodology;
        Ok(loaded)
    }
}

fn placeholder() -> Methodology {
    Methodology {
        name: String::new(),
        version: String::new(),
        description: String::new(),
        inputs: vec![],
        levels: vec![],
        acceptance: String::new(),
    }
}

/// The state of one call's store: WASI with nothing granted, and the memory limiter.
pub(crate) struct Sandbox {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
}

impl Sandbox {
    fn new(memory: usize) -> Self {
        // Nothing granted: no files, no network, no environment, no arguments; stdio discarded;
        // clocks frozen at zero so results cannot depend on the time.
        let wasi = WasiCtx::builder()
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .build();
        Sandbox {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                max: memory,
                denied: false,
            },
        }
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

struct FrozenClock;

impl wasmtime_wasi::HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl wasmtime_wasi::HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Caps linear memory and remembers a refusal, so a trap after a failed allocation is reported
/// as a memory failure rather than a crash.
struct MemoryLimiter {
    max: usize,
    denied: bool,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.denied = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// A risk methodology running as a WASM component.
pub struct WasmRiskMethodology {
    plugin: String,
    host: Arc<WasmHost>,
    pre: InstancePre<Sandbox>,
    core: RiskMethodologyCoreIndices,
    /// Contract 1.2's exports, `assess-rows` among them (None for a plugin built for 1.0/1.1).
    rows: Option<bindings::RiskMethodologyIndices>,
    methodology: Methodology,
}

impl WasmRiskMethodology {
    /// One call on a fresh instance, with its failure classified.
    fn call<R>(
        &self,
        items: usize,
        f: impl FnOnce(&Instance, &mut Store<Sandbox>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginFailure> {
        let budget = self.host.limits.budget(items);
        let mut store = self.host.store(budget);
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| self.failure(&store, e, budget))?;
        f(&instance, &mut store).map_err(|e| self.failure(&store, e, budget))
    }

    /// A call of one of the functions every contract version has.
    fn call_core<R>(
        &self,
        items: usize,
        f: impl FnOnce(&RiskMethodologyCore, &mut Store<Sandbox>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginFailure> {
        self.call(items, |instance, store| {
            let exports = self.core.load(&mut *store, instance)?;
            f(&exports, store)
        })
    }

    /// A batch through `assess-rows`, when the plugin has it and every input is a number; None
    /// when it does not apply or the method declined.
    fn assess_rows(
        &self,
        batch: &[Vec<Input>],
    ) -> Result<Option<Vec<Result<Assessment, String>>>, PluginFailure> {
        let Some(indices) = &self.rows else {
            return Ok(None);
        };
        let Some((fields, values)) = columns(batch) else {
            return Ok(None);
        };
        let answer = self.call(batch.len(), |instance, store| {
            indices
                .load(&mut *store, instance)?
                .call_assess_rows(store, &fields, &values)
        })?;
        match answer {
            Some(answer) => self.rows_checked(answer, batch.len()).map(Some),
            None => Ok(None),
        }
    }

    /// Checks an `assess-rows` answer and turns it into assessments, as `assess` would give.
    fn rows_checked(
        &self,
        answer: wit::AssessedRows,
        rows: usize,
    ) -> Result<Vec<Result<Assessment, String>>, PluginFailure> {
        let broke = |broke, detail: String| PluginFailure::new(&self.plugin, broke, detail);
        if answer.results.len() != rows {
            return Err(broke(
                Broke::Contract,
                format!(
                    "assess-rows returned {} results for {rows} rows",
                    answer.results.len()
                ),
            ));
        }
        // A method may send its whole table of wordings; beyond that, one per row at most.
        if answer.explanations.len() > rows.max(MAX_ROW_EXPLANATIONS) {
            return Err(broke(
                Broke::Output,
                format!(
                    "assess-rows returned {} explanations for {rows} rows",
                    answer.explanations.len()
                ),
            ));
        }
        if let Some(e) = answer
            .explanations
            .iter()
            .find(|e| e.len() > risk::MAX_EXPLANATION_BYTES)
        {
            return Err(broke(
                Broke::Output,
                format!("assess-rows: an explanation of {} bytes", e.len()),
            ));
        }
        let levels = &self.methodology.levels;
        answer
            .results
            .into_iter()
            .map(|r| match r {
                Ok(r) => {
                    let level = levels.get(r.level as usize).ok_or_else(|| {
                        broke(
                            Broke::Contract,
                            format!(
                                "assess-rows: level {} is not one of the {} levels describe declared",
                                r.level,
                                levels.len()
                            ),
                        )
                    })?;
                    let explanation =
                        answer.explanations.get(r.explanation as usize).ok_or_else(|| {
                            broke(
                                Broke::Contract,
                                format!(
                                    "assess-rows: explanation {} is not one of the {} returned",
                                    r.explanation,
                                    answer.explanations.len()
                                ),
                            )
                        })?;
                    if !r.score.is_finite() {
                        return Err(broke(
                            Broke::Contract,
                            format!("assess-rows: score {} is not a finite number", r.score),
                        ));
                    }
                    Ok(Ok(Assessment {
                        score: r.score,
                        level: level.name.clone(),
                        acceptable: level.acceptable,
                        explanation: explanation.clone(),
                        metrics: vec![],
                        exceedance_curve: vec![],
                    }))
                }
                Err(message) => self.checked_error(message),
            })
            .collect()
    }

    fn failure(
        &self,
        store: &Store<Sandbox>,
        e: wasmtime::Error,
        budget: Duration,
    ) -> PluginFailure {
        failure(&self.plugin, self.host.limits(), store, e, budget)
    }

    fn checked(
        &self,
        r: Result<wit::Assessment, String>,
    ) -> Result<Result<Assessment, String>, PluginFailure> {
        match r {
            Ok(a) => {
                let a = Assessment::from(a);
                risk::check_assessment(&self.methodology, &a)
                    .map_err(|(broke, e)| PluginFailure::new(&self.plugin, broke, e))?;
                Ok(Ok(a))
            }
            Err(message) => self.checked_error(message),
        }
    }

    /// The method's own verdict on bad inputs, bounded like an explanation.
    fn checked_error(&self, message: String) -> Result<Result<Assessment, String>, PluginFailure> {
        if message.len() > risk::MAX_EXPLANATION_BYTES {
            return Err(PluginFailure::new(
                &self.plugin,
                Broke::Output,
                format!("an error message of {} bytes", message.len()),
            ));
        }
        Ok(Err(message))
    }
}

/// The most columns a row batch gets; a batch naming more fields goes through `assess-batch`.
const MAX_ROW_FIELDS: usize = 64;
/// The most explanations `assess-rows` may return for a small batch.
const MAX_ROW_EXPLANATIONS: usize = 1024;

/// A batch as `assess-rows` takes it: the field names in the order first seen, then the rows
/// with NaN for a field an item leaves out. None when an input is not a finite number or an item
/// names a field twice (so rows give exactly the inputs `assess` would see).
fn columns(batch: &[Vec<Input>]) -> Option<(Vec<String>, Vec<f64>)> {
    let mut fields: Vec<String> = Vec::new();
    for input in batch.iter().flatten() {
        match input.value {
            risk::InputValue::Number(n) if n.is_finite() => {}
            _ => return None,
        }
        if !fields.contains(&input.name) {
            if fields.len() == MAX_ROW_FIELDS {
                return None;
            }
            fields.push(input.name.clone());
        }
    }
    let width = fields.len();
    if width == 0 {
        return None;
    }
    let mut values = vec![f64::NAN; batch.len() * width];
    for (item, row) in batch.iter().zip(values.chunks_exact_mut(width)) {
        for input in item {
            let column = fields.iter().position(|f| *f == input.name)?;
            let risk::InputValue::Number(n) = input.value else {
                return None;
            };
            if !row[column].is_nan() {
                return None;
            }
            row[column] = n;
        }
    }
    Some((fields, values))
}

impl RiskMethodology for WasmRiskMethodology {
    fn methodology(&self) -> &Methodology {
        &self.methodology
    }

    fn assess(&self, inputs: &[Input]) -> Result<Result<Assessment, String>, PluginFailure> {
        let inputs: Vec<wit::Input> = inputs.iter().map(wit::Input::from).collect();
        let r = self.call_core(1, |r, s| r.call_assess(s, &inputs))?;
        self.checked(r)
    }

    fn assess_batch(
        &self,
        batch: &[Vec<Input>],
    ) -> Result<Vec<Result<Assessment, String>>, PluginFailure> {
        if let Some(results) = self.assess_rows(batch)? {
            return Ok(results);
        }
        let wit_batch: Vec<Vec<wit::Input>> = batch
            .iter()
            .map(|b| b.iter().map(wit::Input::from).collect())
            .collect();
        let results = self.call_core(batch.len(), |r, s| r.call_assess_batch(s, &wit_batch))?;
        if results.len() != batch.len() {
            return Err(PluginFailure::new(
                &self.plugin,
                Broke::Contract,
                format!(
                    "assess-batch returned {} results for {} items",
                    results.len(),
                    batch.len()
                ),
            ));
        }
        results.into_iter().map(|r| self.checked(r)).collect()
    }
}

impl From<&Input> for wit::Input {
    fn from(i: &Input) -> Self {
        wit::Input {
            name: i.name.clone(),
            value: match &i.value {
                risk::InputValue::Number(n) => wit::InputValue::Number(*n),
                risk::InputValue::Text(t) => wit::InputValue::Text(t.clone()),
                risk::InputValue::Estimate(e) => wit::InputValue::Estimate(wit::Estimate {
                    min: e.min,
                    mode: e.mode,
                    max: e.max,
                }),
            },
        }
    }
}

impl From<wit::Assessment> for Assessment {
    fn from(a: wit::Assessment) -> Self {
        Assessment {
            score: a.score,
            level: a.level,
            acceptable: a.acceptable,
            explanation: a.explanation,
            metrics: a
                .metrics
                .into_iter()
                .map(|m| risk::Metric {
                    name: m.name,
                    value: m.value,
                })
                .collect(),
            exceedance_curve: a
                .exceedance_curve
                .into_iter()
                .map(|p| risk::ExceedancePoint {
                    loss: p.loss,
                    probability: p.probability,
                })
                .collect(),
        }
    }
}

impl From<wit::Methodology> for Methodology {
    fn from(m: wit::Methodology) -> Self {
        let range = |r: wit::NumberRange| risk::NumberRange {
            min: r.min,
            max: r.max,
            unit: r.unit,
        };
        Methodology {
            name: m.name,
            version: m.version,
            description: m.description,
            inputs: m
                .inputs
                .into_iter()
                .map(|f| risk::InputField {
                    name: f.name,
                    label: f.label,
                    help: f.help,
                    optional: f.optional,
                    kind: match f.kind {
                        wit::FieldKind::Scale(steps) => risk::FieldKind::Scale(
                            steps
                                .into_iter()
                                .map(|s| risk::ScaleStep {
                                    value: s.value,
                                    name: s.name,
                                    description: s.description,
                                })
                                .collect(),
                        ),
                        wit::FieldKind::Number(r) => risk::FieldKind::Number(range(r)),
                        wit::FieldKind::Estimate(r) => risk::FieldKind::Estimate(range(r)),
                    },
                })
                .collect(),
            levels: m
                .levels
                .into_iter()
                .map(|l| risk::RiskLevel {
                    name: l.name,
                    colour: l.colour,
                    acceptable: l.acceptable,
                    description: l.description,
                })
                .collect(),
            acceptance: m.acceptance,
        }
    }
}

/// Classifies a failed call: which limit the plugin hit, or how it crashed.
pub(crate) fn failure(
    plugin: &str,
    limits: &Limits,
    store: &Store<Sandbox>,
    e: wasmtime::Error,
    budget: Duration,
) -> PluginFailure {
    let memory = || {
        (
            Broke::Memory,
            format!("asked for more than {} MiB of memory", limits.memory >> 20),
        )
    };
    let (broke, detail) = match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) | Some(Trap::OutOfFuel) => (
            Broke::CpuBudget,
            format!("stopped after {} ms", budget.as_millis()),
        ),
        Some(Trap::StackOverflow) => (Broke::Stack, "the WASM stack overflowed".to_string()),
        Some(_) if store.data().limiter.denied => memory(),
        Some(t) => (Broke::Crashed, format!("trapped: {t}")),
        None if store.data().limiter.denied => memory(),
        None => (Broke::Crashed, format!("{e:?}")),
    };
    PluginFailure::new(plugin, broke, detail)
}
