//! `rampart`: the engine's server (`rampart serve`) and a client for every API area.

mod audits;
mod cli;
mod client;
mod commands;
mod config;
mod documents;
mod example;
mod example_operations;
mod example_risks;
mod frameworks;
mod operations;
mod output;
mod plugins;
mod policies;
mod responsibilities;
mod risks;
mod serve;
mod training;

use clap::Parser;

// glibc's malloc spent about a third of the server's CPU under concurrent document writes
// (perf: `_int_malloc`, `malloc_consolidate`, `unlink_chunk`); jemalloc is also what SurrealDB
// builds its own server with on Linux. docs/benchmarks.md has the figures.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() {
    // `rampart document list | head`: Rust ignores SIGPIPE, so printing to a closed pipe panics.
    // End quietly instead, with the status a process killed by SIGPIPE has.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default_hook(info);
    }));
    let args = cli::Cli::parse();
    if let Err(e) = commands::run(args).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
