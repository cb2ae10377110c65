//! End-to-end tests: each starts the real `rampart` binary on an ephemeral port (over `mem://` or
//! `surrealkv://` in a temporary directory) and speaks gRPC to it.

mod harness;

mod access;
mod assets;
mod audit;
mod bundles;
mod documents;
mod durability;
mod example;
mod frameworks;
mod operations;
mod plugins;
mod risks;
mod scale_out;
mod tenancy;
