//! `rampart serve`: open the store, bootstrap, optionally load an example, serve until Ctrl-C.

use std::net::SocketAddr;

use anyhow::Context;
use rampart_engine::Engine;
use rampart_store::StoreOptions;

use crate::cli::ServeArgs;
use crate::config::{self, FileConfig};

pub async fn run(args: ServeArgs, file: &FileConfig) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RAMPART_LOG")
                .unwrap_or_else(|_| "warn,rampart=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let url = args
        .db
        .clone()
        .or(file.db.clone())
        .unwrap_or_else(|| config::DEFAULT_DB.into());
    let listen = args
        .listen
        .clone()
        .or(file.listen.clone())
        .unwrap_or_else(|| config::DEFAULT_LISTEN.into());
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen: '{listen}' is not an address like 127.0.0.1:50051"))?;
    let options = StoreOptions {
        url: url.clone(),
        username: args.db_user.clone().or(file.db_user.clone()),
        password: args.db_pass.clone().or(file.db_pass.clone()),
    };

    let mut engine = Engine::open(&options)
        .await
        .with_context(|| format!("cannot open the database at {url}"))?;
    engine = engine
        .with_max_attachment_bytes(args.max_attachment_mb.saturating_mul(1024 * 1024))
        .with_simulated_clock(args.simulated_clock);
    if args.simulated_clock {
        eprintln!(
            "warning: simulated clock: operators can move this server's time forward (tests and demonstrations only)"
        );
    }
    load_plugins(&mut engine, &args, file, &url)?;

    let supplied = match (&args.bootstrap_token, &args.bootstrap_token_file) {
        (Some(t), _) => Some(t.trim().to_string()),
        (None, Some(path)) => Some(
            std::fs::read_to_string(path)
                .with_context(|| {
                    format!("cannot read the bootstrap token file {}", path.display())
                })?
                .trim()
                .to_string(),
        ),
        (None, None) => None,
    };
    if let Some(b) = engine
        .bootstrap(supplied.as_deref())
        .await
        .context("cannot create the first operator")?
    {
        match b.generated_secret {
            Some(secret) => {
                println!(
                    "First start on an empty database: created operator '{}'.",
                    b.operator
                );
                println!("Operator token (shown once, store it now):\n{secret}");
            }
            None => println!(
                "First start on an empty database: created operator '{}' with the supplied token.",
                b.operator
            ),
        }
    }

    if let Some(dir) = &args.example {
        crate::example::load(&engine, dir, &args.example_tokens).await?;
    }

    let (listener, local) = rampart_server::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    // Tests and scripts read this line to find an ephemeral port.
    println!("rampart listening on {local} (database {url})");
    use std::io::Write as _;
    std::io::stdout().flush().ok();

    // What falls due (document reviews, risk reassessments, tasks passing their date) is
    // generated every interval; generating is idempotent, so several servers may run it.
    if args.task_interval_s > 0 {
        let engine = engine.clone();
        let every = std::time::Duration::from_secs(args.task_interval_s);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                engine.generate_due_everywhere().await;
            }
        });
    }

    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        eprintln!("shutting down");
    };
    rampart_server::serve(engine, listener, shutdown)
        .await
        .context("the server failed")?;
    Ok(())
}

/// Loads the shipped and installed plugins and prints one line per plugin (a plugin that fails
/// to load is reported and left out; the server starts anyway).
fn load_plugins(
    engine: &mut Engine,
    args: &ServeArgs,
    file: &FileConfig,
    url: &str,
) -> anyhow::Result<()> {
    let mut dirs = if args.plugins.is_empty() {
        file.plugins.clone().unwrap_or_default()
    } else {
        args.plugins.clone()
    };
    if dirs.is_empty() && std::path::Path::new("plugins").is_dir() {
        dirs.push("plugins".into());
    }
    let installed = args
        .installed_plugins
        .clone()
        .or(file.installed_plugins.clone())
        .or_else(|| {
            url.strip_prefix("surrealkv://").map(|path| {
                std::path::PathBuf::from(format!("{}-plugins", path.trim_end_matches('/')))
            })
        });
    let cache = args
        .plugin_cache
        .clone()
        .or(file.plugin_cache.clone())
        .unwrap_or_else(|| match &installed {
            Some(dir) => dir.join(".cache"),
            None => ".rampart/component-cache".into(),
        });
    let options = rampart_engine::PluginOptions {
        dirs,
        installed,
        cache: Some(cache),
        limits: rampart_engine::plugin_host::Limits {
            cpu: std::time::Duration::from_millis(args.plugin_cpu_ms.max(10)),
            ..Default::default()
        },
    };
    let started = std::time::Instant::now();
    let reports = engine
        .load_plugins(&options)
        .context("cannot set up the plugin host")?;
    for r in &reports {
        match &r.outcome {
            Ok(p) => println!(
                "plugin {} {} ({}, {}) loaded in {} ms",
                p.id,
                p.version,
                p.kind,
                p.runtime,
                p.load_time.as_millis()
            ),
            Err(e) => eprintln!("plugin in {} not loaded: {e}", r.dir.display()),
        }
    }
    if !reports.is_empty() {
        println!(
            "{} plugins loaded in {} ms",
            reports.iter().filter(|r| r.outcome.is_ok()).count(),
            started.elapsed().as_millis()
        );
    }
    Ok(())
}
