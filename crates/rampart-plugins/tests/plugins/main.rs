//! The plugin host's tests through its public surface, in one binary: each test binary links
//! wasmtime and Rhai (about 90 MB in a debug build), and CI's disk is not unlimited.

mod hostile;
mod methodologies;
mod packs;
mod standards;
