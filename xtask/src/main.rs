//! `cargo xtask …`: the project's own commands (the matklad xtask pattern).
//!
//! - `demo`  runs the engine on the embedded default (surrealkv://rampart-data) with the example
//!   organisation, in the foreground.
//! - `test`  runs everything CI runs: formatting, clippy, the unit and end-to-end tests, and the
//!   Python client example against a live server.
//! - `bench` builds optimised and measures the server over real gRPC on loopback.

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
        _ => {
            eprintln!("usage: cargo xtask <demo|test|bench>");
            eprintln!(
                "  demo   serve the example organisation on the embedded database (./rampart-data)"
            );
            eprintln!("  test   run everything CI runs");
            eprintln!("  bench  measure the server over gRPC on loopback (optimised build)");
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

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
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
    run(cargo().args(["test", "--workspace", "--all-targets"]))?;
    if !quick {
        python_client()?;
    }
    Ok(())
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
