//! The Rhai runtime: one sandboxed engine per plugin. No `eval`, no printing, imports only
//! from the modules in the plugin's own directory (resolved at load, never from the host file
//! system at call time), limits on operations, call depth, expression depth and data sizes, and
//! a wall-clock budget checked from the progress callback. The script is compiled once.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rhai::module_resolvers::StaticModuleResolver;
use rhai::{AST, CallFnOptions, Dynamic, Engine, EvalAltResult, Module, Scope};
use serde::de::DeserializeOwned;

use crate::limits::Limits;
use crate::risk::{self, Assessment, Input, InputValue, Methodology, RiskMethodology};
use crate::{Broke, PluginFailure};

thread_local! {
    /// The deadline of the Rhai call running on this thread (a script runs on its caller's
    /// thread, so the progress callback reads it from here).
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Marker value the progress callback stops a script with.
const OUT_OF_TIME: &str = "rampart:cpu-budget";

/// A compiled Rhai plugin and the sandboxed engine that runs it.
pub struct RhaiScript {
    plugin: String,
    engine: Engine,
    ast: AST,
    limits: Limits,
}

impl RhaiScript {
    /// Compiles `entry` and every other `*.rhai` file under `dir` (as importable modules, by
    /// their path relative to `dir` without the extension).
    pub fn load(
        plugin: &str,
        dir: &Path,
        entry: &Path,
        limits: &Limits,
    ) -> Result<Self, PluginFailure> {
        let fail = |e: String| PluginFailure::new(plugin, Broke::Contract, e);
        let mut engine = sandboxed_engine(limits);
        let mut modules = StaticModuleResolver::new();
        for path in
            rhai_files(dir).map_err(|e| fail(format!("cannot list {}: {e}", dir.display())))?
        {
            if path == entry {
                continue;
            }
            let name = path.strip_prefix(dir).unwrap_or(&path).with_extension("");
            let name = name.to_string_lossy().replace('\\', "/");
            let source = std::fs::read_to_string(&path)
                .map_err(|e| fail(format!("{}: {e}", path.display())))?;
            let ast = engine
                .compile(&source)
                .map_err(|e| fail(format!("module {name}: {e}")))?;
            let module = Module::eval_ast_as_new(Scope::new(), &ast, &engine)
                .map_err(|e| fail(format!("module {name}: {e}")))?;
            modules.insert(name, module);
        }
        engine.set_module_resolver(modules);
        let source = std::fs::read_to_string(entry)
            .map_err(|e| fail(format!("cannot read {}: {e}", entry.display())))?;
        let ast = engine
            .compile(&source)
            .map_err(|e| fail(format!("{}: {e}", entry.display())))?;
        let script = RhaiScript {
            plugin: plugin.to_string(),
            engine,
            ast,
            limits: limits.clone(),
        };
        // Top-level statements (constants, imports) run once here so that a script that fails
        // there is refused at load.
        let mut globals = Scope::new();
        DEADLINE.with(|d| d.set(Some(Instant::now() + script.limits.cpu)));
        let ran = script.engine.run_ast_with_scope(&mut globals, &script.ast);
        DEADLINE.with(|d| d.set(None));
        if let Err(e) = ran {
            let message = script
                .classify(*e, script.limits.cpu)
                .err()
                .map(|f| f.detail)
                .unwrap_or_else(|| "threw".into());
            return Err(PluginFailure::new(
                plugin,
                Broke::Crashed,
                format!("top-level statements: {message}"),
            ));
        }
        Ok(script)
    }

    pub fn has_function(&self, name: &str) -> bool {
        self.ast.iter_functions().any(|f| f.name == name)
    }

    /// Fails unless the script defines every function its contract requires.
    pub fn require(&self, functions: &[&str]) -> Result<(), PluginFailure> {
        match functions.iter().find(|f| !self.has_function(f)) {
            Some(f) => Err(PluginFailure::new(
                &self.plugin,
                Broke::Contract,
                format!("the script defines no `{f}` function"),
            )),
            None => Ok(()),
        }
    }

    /// A call where a script's `throw` is the plugin failing, not a verdict on inputs
    /// (`describe`, `catalog`, a pack's calls, a batch as a whole).
    pub fn call_or_fail(
        &self,
        items: usize,
        function: &str,
        args: Vec<Dynamic>,
    ) -> Result<Dynamic, PluginFailure> {
        self.call(items, function, args)?.map_err(|message| {
            PluginFailure::new(
                &self.plugin,
                Broke::Crashed,
                format!("{function} threw: {message}"),
            )
        })
    }

    /// Calls a script function under the CPU budget. A script's own `throw` comes back as
    /// `Ok(Err(message))`; every other error is the plugin failing.
    pub fn call(
        &self,
        items: usize,
        function: &str,
        args: Vec<Dynamic>,
    ) -> Result<Result<Dynamic, String>, PluginFailure> {
        let budget = self.limits.budget(items);
        DEADLINE.with(|d| d.set(Some(Instant::now() + budget)));
        // The top-level statements run before every call: that is what makes global constants
        // and imports visible inside functions (a few microseconds for a typical script).
        let mut scope = Scope::new();
        let options = CallFnOptions::new().eval_ast(true).rewind_scope(true);
        let result = self
            .engine
            .call_fn_with_options::<Dynamic>(options, &mut scope, &self.ast, function, args);
        DEADLINE.with(|d| d.set(None));
        match result {
            Ok(v) => Ok(Ok(v)),
            Err(e) => self.classify(*e, budget).map(Err),
        }
    }

    fn classify(
        &self,
        e: EvalAltResult,
        budget: std::time::Duration,
    ) -> Result<String, PluginFailure> {
        let inner = innermost(&e);
        let broke = match inner {
            EvalAltResult::ErrorRuntime(value, _) => {
                let message = value.to_string();
                if message.len() > risk::MAX_EXPLANATION_BYTES {
                    return Err(PluginFailure::new(
                        &self.plugin,
                        Broke::Output,
                        format!("threw a message of {} bytes", message.len()),
                    ));
                }
                return Ok(message);
            }
            EvalAltResult::ErrorTerminated(..) | EvalAltResult::ErrorTooManyOperations(..) => {
                return Err(PluginFailure::new(
                    &self.plugin,
                    Broke::CpuBudget,
                    format!(
                        "stopped after {} ms or {} operations",
                        budget.as_millis(),
                        self.limits.operations
                    ),
                ));
            }
            EvalAltResult::ErrorStackOverflow(..) => Broke::Stack,
            EvalAltResult::ErrorDataTooLarge(..) => Broke::Memory,
            EvalAltResult::ErrorMismatchOutputType(..)
            | EvalAltResult::ErrorFunctionNotFound(..) => Broke::Contract,
            _ => Broke::Crashed,
        };
        Err(PluginFailure::new(&self.plugin, broke, e.to_string()))
    }

    pub fn from_dynamic<T: DeserializeOwned>(
        &self,
        what: &str,
        value: &Dynamic,
    ) -> Result<T, PluginFailure> {
        rhai::serde::from_dynamic(value).map_err(|e| {
            PluginFailure::new(
                &self.plugin,
                Broke::Contract,
                format!("{what} returned the wrong shape: {e}"),
            )
        })
    }

    pub fn plugin(&self) -> &str {
        &self.plugin
    }
}

fn innermost(e: &EvalAltResult) -> &EvalAltResult {
    match e {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => innermost(inner),
        other => other,
    }
}

fn sandboxed_engine(limits: &Limits) -> Engine {
    // `new_raw` has no file module resolver and no print/debug output; add only the standard
    // library (maths, strings, arrays, maps).
    let mut engine = Engine::new_raw();
    engine.register_global_module(rhai::packages::Package::as_shared_module(
        &rhai::packages::StandardPackage::new(),
    ));
    engine.disable_symbol("eval");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine.set_max_operations(limits.operations);
    engine.set_max_call_levels(limits.call_depth);
    engine.set_max_expr_depths(128, 64);
    engine.set_max_string_size(limits.string_size);
    engine.set_max_array_size(limits.array_size);
    engine.set_max_map_size(limits.map_size);
    engine.set_max_modules(32);
    engine.set_max_variables(10_000);
    engine.on_progress(|ops| {
        // Reading the clock on every operation would cost more than the operation.
        if ops % 4096 != 0 {
            return None;
        }
        let late = DEADLINE
            .with(|d| d.get())
            .is_some_and(|deadline| Instant::now() > deadline);
        late.then(|| Dynamic::from(OUT_OF_TIME))
    });
    engine.register_fn("by_name", by_name);
    engine
}

/// `by_name(inputs)`: the inputs as a map from field name to value, for scripts that would
/// rather not search the array.
fn by_name(inputs: rhai::Array) -> rhai::Map {
    let mut map = rhai::Map::new();
    for item in inputs {
        if let Some(m) = item.try_cast::<rhai::Map>()
            && let (Some(name), Some(value)) = (m.get("name"), m.get("value"))
        {
            map.insert(name.to_string().into(), value.clone());
        }
    }
    map
}

fn rhai_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') || name == "target" {
                continue;
            }
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rhai") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Inputs as the script sees them: an array of `#{name, value}` maps, whole numbers as
/// integers (so they can index arrays), estimates as `#{min, mode, max}`.
fn inputs_to_dynamic(inputs: &[Input]) -> Dynamic {
    let array: rhai::Array = inputs
        .iter()
        .map(|i| {
            let mut m = rhai::Map::new();
            m.insert("name".into(), i.name.clone().into());
            let value = match &i.value {
                InputValue::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                    Dynamic::from_int(*n as i64)
                }
                InputValue::Number(n) => Dynamic::from_float(*n),
                InputValue::Text(t) => t.clone().into(),
                InputValue::Estimate(e) => {
                    let mut em = rhai::Map::new();
                    em.insert("min".into(), Dynamic::from_float(e.min));
                    em.insert("mode".into(), Dynamic::from_float(e.mode));
                    em.insert("max".into(), Dynamic::from_float(e.max));
                    em.into()
                }
            };
            m.insert("value".into(), value);
            m.into()
        })
        .collect();
    array.into()
}

/// A risk methodology written in Rhai: `describe()`, `assess(inputs)` and, optionally,
/// `assess_batch(batch)` (without it the host calls `assess` per item).
pub struct RhaiRiskMethodology {
    script: RhaiScript,
    methodology: Methodology,
    has_batch: bool,
}

impl RhaiRiskMethodology {
    pub fn load(
        plugin: &str,
        dir: &Path,
        entry: &Path,
        limits: &Limits,
    ) -> Result<Self, PluginFailure> {
        let script = RhaiScript::load(plugin, dir, entry, limits)?;
        script.require(&["describe", "assess"])?;
        let described = script.call_or_fail(1, "describe", vec![])?;
        let methodology: Methodology = script.from_dynamic("describe", &described)?;
        risk::check_methodology(&methodology)
            .map_err(|e| PluginFailure::new(plugin, Broke::Contract, e))?;
        let has_batch = script.has_function("assess_batch");
        Ok(RhaiRiskMethodology {
            script,
            methodology,
            has_batch,
        })
    }

    fn assessment(&self, value: &Dynamic) -> Result<Assessment, PluginFailure> {
        let a: Assessment = self.script.from_dynamic("assess", value)?;
        risk::check_assessment(&self.methodology, &a)
            .map_err(|(broke, e)| PluginFailure::new(self.script.plugin(), broke, e))?;
        Ok(a)
    }
}

impl RiskMethodology for RhaiRiskMethodology {
    fn methodology(&self) -> &Methodology {
        &self.methodology
    }

    fn assess(&self, inputs: &[Input]) -> Result<Result<Assessment, String>, PluginFailure> {
        match self
            .script
            .call(1, "assess", vec![inputs_to_dynamic(inputs)])?
        {
            Ok(v) => self.assessment(&v).map(Ok),
            Err(message) => Ok(Err(message)),
        }
    }

    fn assess_batch(
        &self,
        batch: &[Vec<Input>],
    ) -> Result<Vec<Result<Assessment, String>>, PluginFailure> {
        if !self.has_batch {
            return batch.iter().map(|inputs| self.assess(inputs)).collect();
        }
        let arg: rhai::Array = batch.iter().map(|b| inputs_to_dynamic(b)).collect();
        let value = self
            .script
            .call_or_fail(batch.len(), "assess_batch", vec![arg.into()])?;
        let Some(items) = value.try_cast::<rhai::Array>() else {
            return Err(PluginFailure::new(
                self.script.plugin(),
                Broke::Contract,
                "assess_batch did not return an array",
            ));
        };
        if items.len() != batch.len() {
            return Err(PluginFailure::new(
                self.script.plugin(),
                Broke::Contract,
                format!(
                    "assess_batch returned {} results for {} items",
                    items.len(),
                    batch.len()
                ),
            ));
        }
        // An item is an assessment map, or a string: the method's message about that item's inputs.
        // Only a message is cloned to read it: cloning every assessment map cost 5 % of a batch.
        items
            .iter()
            .map(|item| {
                if item.is_string() {
                    Ok(Err(item.to_string()))
                } else {
                    self.assessment(item).map(Ok)
                }
            })
            .collect()
    }
}

/// A framework pack written in Rhai: `catalog()`, `suggest_controls(context)` and
/// `check(snapshot)` over maps with the WIT records' field names.
pub struct RhaiFrameworkPack {
    script: RhaiScript,
    catalog: crate::pack::Catalog,
}

impl RhaiFrameworkPack {
    pub fn load(
        plugin: &str,
        dir: &Path,
        entry: &Path,
        limits: &Limits,
    ) -> Result<Self, PluginFailure> {
        let script = RhaiScript::load(plugin, dir, entry, limits)?;
        script.require(&["catalog", "suggest_controls", "check"])?;
        let value = script.call_or_fail(1, "catalog", vec![])?;
        let catalog: crate::pack::Catalog = script.from_dynamic("catalog", &value)?;
        crate::pack::check_catalog(&catalog)
            .map_err(|(broke, e)| PluginFailure::new(plugin, broke, e))?;
        Ok(RhaiFrameworkPack { script, catalog })
    }

    fn run<T: DeserializeOwned>(&self, function: &str, arg: Dynamic) -> Result<T, PluginFailure> {
        let value = self.script.call_or_fail(1, function, vec![arg])?;
        self.script.from_dynamic(function, &value)
    }

    fn argument<T: serde::Serialize>(&self, value: &T) -> Result<Dynamic, PluginFailure> {
        rhai::serde::to_dynamic(value).map_err(|e| {
            PluginFailure::new(
                self.script.plugin(),
                Broke::Crashed,
                format!("cannot pass the argument: {e}"),
            )
        })
    }
}

impl crate::pack::FrameworkPack for RhaiFrameworkPack {
    fn catalog(&self) -> &crate::pack::Catalog {
        &self.catalog
    }

    fn suggest_controls(
        &self,
        context: &crate::pack::RiskContext,
    ) -> Result<Vec<crate::pack::ControlSuggestion>, PluginFailure> {
        let out: Vec<crate::pack::ControlSuggestion> =
            self.run("suggest_controls", self.argument(context)?)?;
        crate::pack::check_suggestions(&self.catalog, &out)
            .map_err(|(broke, e)| PluginFailure::new(self.script.plugin(), broke, e))?;
        Ok(out)
    }

    fn check(
        &self,
        snapshot: &crate::pack::Snapshot,
    ) -> Result<Vec<crate::pack::Finding>, PluginFailure> {
        let out: Vec<crate::pack::Finding> = self.run("check", self.argument(snapshot)?)?;
        crate::pack::check_findings(&self.catalog, &out)
            .map_err(|(broke, e)| PluginFailure::new(self.script.plugin(), broke, e))?;
        Ok(out)
    }
}
