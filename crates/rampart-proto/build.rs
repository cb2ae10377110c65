//! Compiles `proto/rampart/v1/*.proto` with protox (pure Rust, no protoc) and generates the tonic
//! client and server code. The encoded descriptor set also feeds gRPC reflection.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let dir = root.join("rampart/v1");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "proto"))
        .collect();
    files.sort();
    println!("cargo:rerun-if-changed={}", dir.display());
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let fds = protox::compile(&files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("rampart_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        // Messages serialise to JSON for the CLI's `--json` output.
        .type_attribute(".rampart.v1", "#[derive(serde::Serialize)]")
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
