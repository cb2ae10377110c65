//! Rampart's persistence on SurrealDB.
//!
//! One namespace (`rampart`), a `system` database (organisations, operators, API tokens) and one
//! database per organisation. Every change goes through [`Database::commit`], which writes the
//! change and its audit events in one transaction and extends the organisation's hash chain.

mod attachment_files;
mod connection;
mod database;
mod document_register;
mod error;
mod json;
mod migrations;
mod records;

pub mod assets;
pub mod audit;
pub mod bundle;
pub mod classification;
pub mod documents;
pub mod frameworks;
pub mod organisations;
pub mod policies;
pub mod registers;
pub mod risks;
pub mod tokens;
pub mod users;

pub use connection::{Store, StoreOptions};
pub use database::{Change, Database, Draft};
pub use error::StoreError;
/// A record's key from its id as SurrealDB renders it.
pub use json::record_key as json_record_key;
pub use migrations::SCHEMA_VERSION;

/// Current time as the fixed-width RFC 3339 text stored everywhere (UTC, microseconds), so that
/// stored times sort as text and hash identically after a round trip.
pub fn now() -> String {
    let t = rampart_domain::clock::now();
    format_time(t)
}

pub fn format_time(t: time::OffsetDateTime) -> String {
    rampart_domain::times::format(t)
}

/// A new record key: time-ordered (UUID v7) so keyset paging follows creation order.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
