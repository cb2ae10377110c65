//! `cargo xtask …`: the project's own commands (the matklad xtask pattern).
//!
//! - `demo`  runs the engine on the embedded default (surrealkv://rampart-data) with the example
//!   organisation, in the foreground.
//! - `test`  runs everything CI runs: formatting, clippy, the unit and end-to-end tests, and the
//!   Python client example against a live server.
//! - `bench` builds optimised and measures the server over real gRPC on loopback.
//! - `build-plugins` builds every WASM plugin (a directory with `plugin.toml` and `Cargo.toml`
//!   under plugins/, examples/ or tests/plugins/) for wasm32-wasip2 and puts the component where
//!   its manifest's `entry` says.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("build-plugins") => build_plugins(),
        _ => {
            eprintln!("usage: cargo xtask <demo|test|bench|build-plugins>");
            eprintln!(
                "  demo   serve the example organisation on the embedded database (./rampart-data)"
            );
            eprintln!("  test   run everything CI runs");
            eprintln!("  bench  measure the server over gRPC on loopback (optimised build)");
            eprintln!("  build-plugins  build the WASM plugins for wasm32-wasip2");
            std::process::exit(2);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// A cargo command with the environment a user's own `cargo` would have. `cargo run` gives xtask
/// variables (CARGO_PKG_*, CARGO_MANIFEST_*, a library path into target/, …) that make build
/// scripts think the environment changed, and then half the dependency tree is rebuilt for
/// nothing; they are removed here.
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    const KEEP: [&str; 9] = [
        "CARGO_HOME",
        "CARGO_INCREMENTAL",
        "CARGO_PROFILE_",
        "CARGO_TARGET_DIR",
        "CARGO_TERM_",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_BUILD_",
    ];
    for (key, value) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("CARGO") && !KEEP.iter().any(|k| key.starts_with(k)) {
            cmd.env_remove(key);
        }
        if key == "LD_LIBRARY_PATH" || key == "DYLD_FALLBACK_LIBRARY_PATH" {
            let kept: Vec<PathBuf> = std::env::split_paths(&value)
                .filter(|p| !p.starts_with(root().join("target")))
                .collect();
            match std::env::join_paths(kept) {
                Ok(v) if !v.is_empty() => cmd.env(key, v),
                _ => cmd.env_remove(key),
            };
        }
    }
    cmd
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    eprintln!("$ {}", format_command(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {}", format_command(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", format_command(cmd));
    }
    Ok(())
}

fn format_command(cmd: &Command) -> String {
    std::iter::once(cmd.get_program().to_string_lossy().to_string())
        .chain(cmd.get_args().map(|a| a.to_string_lossy().to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn demo(extra: &[String]) -> anyhow::Result<()> {
    build_plugins()?;
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--package",
        "rampart",
        "--",
        "serve",
        "--example",
        "examples/acme",
    ]);
    cmd.args(extra);
    run(&mut cmd)
}

fn test(extra: &[String]) -> anyhow::Result<()> {
    let quick = extra.iter().any(|a| a == "--quick");
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    cedar_validate()?;
    build_plugins()?;
    // WASM plugins with tests of their own (the FAIR sampler) run them natively.
    for dir in wasm_plugin_dirs()? {
        if dir.join("tests").is_dir() {
            run(cargo()
                .args(["test", "--quiet", "--manifest-path"])
                .arg(dir.join("Cargo.toml"))
                .arg("--target-dir")
                .arg(root().join("target/wasm-native")))?;
        }
    }
    // The scale-out test runs two Rampart servers against a real SurrealDB server, built from
    // the surrealdb-server crate in its own workspace and target directory.
    let surreal = surreal_server()?;
    python_readers()?;
    run(cargo()
        .args([
            "test",
            "--workspace",
            "--all-targets",
            "--",
            "--include-ignored",
        ])
        .env("RAMPART_SURREAL_BIN", surreal))?;
    // The default policy tests through the CLI, as an organisation runs its own.
    run(cargo().args([
        "run",
        "--quiet",
        "--package",
        "rampart",
        "--",
        "policy",
        "test",
        "policies",
    ]))?;
    if !quick {
        python_client()?;
    }
    Ok(())
}

/// The schema and the shipped policies (platform's and default set) must validate with the
/// official Cedar CLI (`cargo install cedar-policy-cli`), not only with our own loader.
fn cedar_validate() -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["policies/platform", "policies"] {
        for entry in std::fs::read_dir(root().join(dir))? {
            let path = entry?.path();
            if path.extension().is_some_and(|x| x == "cedar") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut all = String::new();
    for f in &files {
        all.push_str(&std::fs::read_to_string(f)?);
        all.push('\n');
    }
    let combined = root().join("target/all-policies.cedar");
    std::fs::create_dir_all(root().join("target"))?;
    std::fs::write(&combined, all)?;
    let status = Command::new("cedar")
        .args([
            "validate",
            "--schema",
            "policies/rampart.cedarschema",
            "--policies",
        ])
        .arg(&combined)
        .current_dir(root())
        .status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => anyhow::bail!(
            "cedar validate failed ({s}) on {} policy files",
            files.len()
        ),
        Err(e) => anyhow::bail!(
            "the official Cedar CLI is needed to validate the policies ({e}): cargo install cedar-policy-cli --version 4.14.1 --locked"
        ),
    }
}

fn surreal_server() -> anyhow::Result<PathBuf> {
    let target = root().join("target/surreal-server");
    run(cargo()
        .args([
            "build",
            "--quiet",
            "--manifest-path",
            "tests/surreal-server/Cargo.toml",
            "--target-dir",
        ])
        .arg(&target))?;
    Ok(target.join("debug/surreal"))
}

/// The integrator's view: the Python example generates stubs from proto/ and talks to a live server.
fn python_client() -> anyhow::Result<()> {
    let script = Path::new("examples/clients/python/run.sh");
    if !script.exists() {
        bail!("{} is missing", script.display());
    }
    run(Command::new("bash").arg(script))
}

fn bench(extra: &[String]) -> anyhow::Result<()> {
    build_plugins()?;
    run(cargo()
        .args([
            "run",
            "--profile",
            "bench-fast",
            "--package",
            "rampart-bench",
            "--",
        ])
        .args(extra))
}

/// The e2e tests read exported spreadsheets with openpyxl (a real reader, not ours), from the
/// Python environment the client example also uses.
fn python_readers() -> anyhow::Result<()> {
    let venv = std::env::var_os("RAMPART_PY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/python-venv"));
    if !venv.join("bin/python").exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "openpyxl==3.1.5",
    ]))
}

/// Every WASM plugin source: a directory with both `plugin.toml` and `Cargo.toml`.
fn wasm_plugin_dirs() -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for parent in ["plugins", "examples", "tests/plugins"] {
        let Ok(entries) = std::fs::read_dir(root().join(parent)) else {
            continue;
        };
        for entry in entries {
            let dir = entry?.path();
            if dir.join("plugin.toml").is_file() && dir.join("Cargo.toml").is_file() {
                dirs.push(dir);
            }
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// A `key = "value"` line of a TOML file (plugin manifests and package names are that simple).
fn toml_string(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Builds each WASM plugin in its own workspace (a build script or a nested cargo on the host
/// workspace's target directory would deadlock on its lock), all sharing `target/wasm`.
fn build_plugins() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-wasip2"))
        .unwrap_or(true);
    if !installed {
        bail!("the wasm32-wasip2 target is missing: run `rustup target add wasm32-wasip2`");
    }
    let target = root().join("target/wasm");
    for dir in wasm_plugin_dirs()? {
        let manifest = std::fs::read_to_string(dir.join("plugin.toml"))?;
        let package = std::fs::read_to_string(dir.join("Cargo.toml"))?;
        let entry = toml_string(&manifest, "entry")
            .with_context(|| format!("{}: plugin.toml has no entry", dir.display()))?;
        let name = toml_string(&package, "name")
            .with_context(|| format!("{}: Cargo.toml has no package name", dir.display()))?;
        run(cargo()
            .args([
                "build",
                "--quiet",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--manifest-path",
            ])
            .arg(dir.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target))?;
        let built = target
            .join("wasm32-wasip2/release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        std::fs::copy(&built, dir.join(&entry)).with_context(|| {
            format!("copy {} to {}", built.display(), dir.join(&entry).display())
        })?;
    }
    Ok(())
}
