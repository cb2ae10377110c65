//! `cargo xtask bench`: starts the real `rampart` server (same build profile) with the example
//! organisation on the embedded default (surrealkv in a temporary directory), then measures over
//! gRPC on loopback:
//!
//! - authenticated `GetAsset` requests per second with 8 concurrent clients (one HTTP/2
//!   connection each), and their latency;
//! - `ListAssets` latency for a page of 1,000 assets;
//! - the server's peak resident memory (VmHWM), before and after the load.
//!
//! Every loop is bounded in count and time and talks only to 127.0.0.1. `rampart-bench plugins`
//! `rampart-bench server`, `rampart-bench documents` or `rampart-bench frameworks` runs one part; with no argument all run
//! (see plugins.rs and documents.rs).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod decisions;
mod documents;
mod frameworks;
mod plugins;
mod risks;

use anyhow::{Context, bail};
use rampart_proto::v1 as pb;
use rampart_proto::v1::asset_service_client::AssetServiceClient;
use tonic::Request;
use tonic::transport::Channel;

// The parts measured in this process (decisions, plugins, frameworks) run inside the server
// there, which allocates with jemalloc (crates/rampart/src/main.rs): so does this process.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const CLIENTS: usize = 8;
const GET_SECONDS: u64 = 10;
const LIST_RUNS: usize = 30;
const ASSETS: usize = 1000;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

pub(crate) fn peak_rss_mib(pid: u32) -> anyhow::Result<f64> {
    status_mib(pid, "VmHWM:")
}

/// The server's resident memory now (VmRSS).
pub(crate) fn rss_mib(pid: u32) -> anyhow::Result<f64> {
    status_mib(pid, "VmRSS:")
}

/// Resets the server's peak RSS to its current RSS (Linux `clear_refs` 5), so that the next
/// [`peak_rss_mib`] is the peak of what follows, not of an earlier phase.
pub(crate) fn reset_peak_rss(pid: u32) -> anyhow::Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").context("reset the peak RSS")
}

/// CPU seconds a process has used so far, user and system (`/proc/PID/stat`, in the kernel's
/// fixed 100 ticks per second): a figure that varies less between runs than a rate does, on a
/// machine whose two cores the server shares with the load generator.
pub(crate) fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces: count from the parenthesis that closes it.
    let after = stat
        .rsplit_once(')')
        .context("no command name in /proc/PID/stat")?
        .1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15; `after` starts at field 3.
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i - 3)
            .context("a short /proc/PID/stat")?
            .parse::<f64>()?)
    };
    Ok((ticks(14)? + ticks(15)?) / 100.0)
}

fn status_mib(pid: u32, field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .with_context(|| format!("no {field} in /proc"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kb / 1024.0)
}

/// Under callgrind (see `RAMPART_BENCH_SERVER_WRAPPER`), switches the server's instruction
/// counting on or off, so that a profile holds only the phase measured; otherwise nothing.
pub(crate) fn profile(pid: u32, on: bool) -> anyhow::Result<()> {
    let wrapper = std::env::var("RAMPART_BENCH_SERVER_WRAPPER").unwrap_or_default();
    if !wrapper.contains("callgrind") {
        return Ok(());
    }
    // Off also writes the profile out: the server is killed, not stopped, at the end.
    let steps: &[&str] = if on {
        &["--instr=on"]
    } else {
        &["--instr=off", "--dump"]
    };
    for step in steps {
        let status = Command::new("callgrind_control")
            .args([*step, &pid.to_string()])
            .stdout(Stdio::null())
            .status()
            .context("run callgrind_control")?;
        if !status.success() {
            bail!("callgrind_control {step} {pid} failed");
        }
    }
    Ok(())
}

pub(crate) fn req<T>(msg: T, token: &str) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii token"),
    );
    r
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let what = std::env::args().nth(1).unwrap_or_default();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    if what.is_empty() || what == "plugins" {
        let root = root.clone();
        tokio::task::spawn_blocking(move || plugins::run(&root)).await??;
    }
    if what.is_empty() || what == "decisions" {
        decisions::run()?;
    }
    if what.is_empty() || what == "server" {
        server().await?;
    }
    if what.is_empty() || what == "documents" {
        documents::run(std::env::args().nth(2).as_deref() == Some("writes")).await?;
    }
    if what.is_empty() || what == "frameworks" {
        frameworks::run(&root).await?;
    }
    if what.is_empty() || what == "risks" {
        risks::run().await?;
    }
    Ok(())
}

/// The first operator's token on the servers the benchmarks start.
pub(crate) const OPERATOR_TOKEN: &str =
    "bench-operator-0000000000000000000000000000000000000000000000000000";

/// A running server with the example organisation, and the example's tokens.
pub(crate) struct Running {
    _server: Server,
    _dir: tempfile::TempDir,
    pub pid: u32,
    pub url: String,
    tokens: PathBuf,
}

impl Running {
    pub fn token(&self, user: &str) -> anyhow::Result<String> {
        Ok(
            std::fs::read_to_string(self.tokens.join(format!("acme-{user}.token")))?
                .trim()
                .to_string(),
        )
    }
}

/// Starts the optimised `rampart serve` next to this binary on surrealkv in a temporary directory.
pub(crate) fn start() -> anyhow::Result<Running> {
    start_in(tempfile::tempdir()?)
}

impl Running {
    /// Stops the server and starts it again on the same database (the example is not loaded
    /// again; the tokens stay valid).
    pub fn restart(self) -> anyhow::Result<Running> {
        let Running { _server, _dir, .. } = self;
        drop(_server);
        start_in(_dir)
    }
}

fn start_in(dir: tempfile::TempDir) -> anyhow::Result<Running> {
    let exe = std::env::current_exe()?;
    let bin: PathBuf = exe.with_file_name("rampart");
    if !bin.exists() {
        bail!(
            "{} is missing: run `cargo xtask bench`, which builds it",
            bin.display()
        );
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tokens = dir.path().join("tokens");
    let db = format!("surrealkv://{}", dir.path().join("data").display());
    // RAMPART_BENCH_SERVER_WRAPPER runs the server under a profiler, e.g.
    // "valgrind --tool=callgrind --instr-atstart=no" (docs/benchmarks.md#profiling).
    let wrapper = std::env::var("RAMPART_BENCH_SERVER_WRAPPER").unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &db, "--example"])
        .arg(root.join("examples/acme"))
        .arg("--example-tokens")
        .arg(&tokens)
        .env(
            "RAMPART_LOG",
            std::env::var("RAMPART_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .env("RAMPART_BOOTSTRAP_TOKEN", OPERATOR_TOKEN)
        .stdout(Stdio::piped())
        // RAMPART_BENCH_SERVER_LOG=rampart_engine=debug shows the server's phase timings.
        .stderr(if std::env::var_os("RAMPART_BENCH_SERVER_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .context("start rampart serve")?;
    let stdout = child.stdout.take().expect("piped");
    let pid = child.id();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().context("server exited before listening")??;
        if let Some(rest) = line.strip_prefix("rampart listening on ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok(Running {
        _server: server,
        _dir: dir,
        pid,
        url: format!("http://{addr}"),
        tokens,
    })
}

async fn server() -> anyhow::Result<()> {
    let running = start()?;
    let pid = running.pid;
    let rss_idle = peak_rss_mib(pid)?;
    let token = running.token("maria")?;
    let url = running.url.clone();

    // Fill the register up to ASSETS assets (the example has 31).
    let channel = Channel::from_shared(url.clone())?.connect().await?;
    let mut assets = AssetServiceClient::new(channel.clone());
    let list = |size: u32| pb::ListAssetsRequest {
        page_size: size,
        ..Default::default()
    };
    let existing = assets
        .list_assets(req(list(1000), &token))
        .await?
        .into_inner()
        .assets
        .len();
    let fill_started = Instant::now();
    let mut fills = Vec::new();
    for w in 0..CLIENTS {
        let mut c = AssetServiceClient::new(Channel::from_shared(url.clone())?.connect().await?);
        let token = token.clone();
        let n = (ASSETS - existing) / CLIENTS + usize::from(w < (ASSETS - existing) % CLIENTS);
        fills.push(tokio::spawn(async move {
            for i in 0..n {
                let a = pb::CreateAssetRequest {
                    name: format!("Bench asset {w}-{i}"),
                    asset_type: "electronic-document".into(),
                    owner: "maria".into(),
                    location: "bench".into(),
                    description: String::new(),
                    cia: Some(pb::Cia {
                        confidentiality: 2,
                        integrity: 2,
                        availability: 2,
                    }),
                    lifecycle: String::new(),
                };
                c.create_asset(req(a, &token)).await?;
            }
            Ok::<_, tonic::Status>(n)
        }));
    }
    let mut created = 0;
    for f in fills {
        created += f.await??;
    }
    let fill_time = fill_started.elapsed();

    // ListAssets of 1,000.
    let mut list_times = Vec::with_capacity(LIST_RUNS);
    let mut ids = Vec::new();
    for _ in 0..LIST_RUNS {
        let t = Instant::now();
        let r = assets
            .list_assets(req(list(1000), &token))
            .await?
            .into_inner();
        list_times.push(t.elapsed());
        if r.assets.len() != ASSETS {
            bail!("expected {ASSETS} assets, listed {}", r.assets.len());
        }
        ids = r.assets.into_iter().map(|a| a.id).collect();
    }
    list_times.sort();

    // GetAsset with CLIENTS concurrent clients for GET_SECONDS.
    let deadline = Instant::now() + Duration::from_secs(GET_SECONDS);
    let mut workers = Vec::new();
    for w in 0..CLIENTS {
        let mut c = AssetServiceClient::new(Channel::from_shared(url.clone())?.connect().await?);
        let token = token.clone();
        let ids = ids.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            let mut i = w * 7;
            while Instant::now() < deadline && latencies.len() < 5_000_000 {
                let id = ids[i % ids.len()].clone();
                i += 1;
                let t = Instant::now();
                match c.get_asset(req(pb::GetAssetRequest { id }, &token)).await {
                    Ok(_) => latencies.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let rss_peak = peak_rss_mib(pid)?;
    drop(running);

    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| GetAsset, {CLIENTS} concurrent clients, {GET_SECONDS} s | {rate:.0} requests/s ({} ok, {errors} errors) |",
        latencies.len()
    );
    println!(
        "| GetAsset latency p50 / p99 | {} / {} |",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99))
    );
    println!(
        "| ListAssets of {ASSETS} (page_size 1000), {LIST_RUNS} runs: min / p50 / p95 | {} / {} / {} |",
        ms(list_times[0]),
        ms(percentile(&list_times, 0.50)),
        ms(percentile(&list_times, 0.95))
    );
    println!(
        "| CreateAsset, {CLIENTS} concurrent clients (durable commits) | {:.0} assets/s ({created} in {:.1} s) |",
        created as f64 / fill_time.as_secs_f64(),
        fill_time.as_secs_f64()
    );
    println!("| server peak RSS after loading the example organisation | {rss_idle:.1} MiB |");
    println!("| server peak RSS after the whole run | {rss_peak:.1} MiB |");
    Ok(())
}
