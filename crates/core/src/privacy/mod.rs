//! Evidence and data-subject rights: the hash-chained audit history, workspace exports and
//! erasure receipts, and requests for the DPA or the security pack.

pub mod actor_claim;
pub mod audit;
pub mod exports;
pub mod requests;
