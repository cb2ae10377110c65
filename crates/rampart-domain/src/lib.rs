//! The Rampart model: organisations, users, the asset register and the classification process
//! (inventory → classification → labeling → handling), controlled documents, and the audit
//! trail's hash chain.
//!
//! Pure types and rules: no I/O, no async. Everything that can be decided without the database is
//! decided here, so the rules are unit-tested once and shared by every caller.

pub mod asset;
pub mod audit;
pub mod audit_programme;
pub mod bundle;
pub mod classification;
pub mod clock;
pub mod document;
pub mod document_advisor;
pub mod document_templates;
pub mod estimate;
pub mod framework;
pub mod interested_party;
pub mod internal_audit;
pub mod invalid;
pub mod management_review;
pub mod nonconformity;
pub mod objective;
pub mod organisation;
pub mod responsibility;
pub mod risk;
pub mod rtp;
pub mod soa;
pub mod task;
pub mod times;
pub mod training;
pub mod user;

pub use invalid::Invalid;
