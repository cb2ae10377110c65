//! `rampart`: the engine's server (`rampart serve`) and a client for every API area.

mod cli;
mod client;
mod commands;
mod config;
mod documents;
mod example;
mod output;
mod plugins;
mod serve;

use clap::Parser;

#[tokio::main]
async fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = commands::run(args).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
