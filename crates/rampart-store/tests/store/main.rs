//! The store's tests through its public surface. One binary for all of them: each test binary
//! links SurrealDB (about 160 MB in a debug build), and CI's disk is not unlimited.

mod common;

mod audit_chain;
mod bundle;
mod document_storage;
mod read_cache;
mod risk_register;
mod schema;
