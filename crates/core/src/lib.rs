//! Bastion's core: every action's rules and data, grouped by capability.
//!
//! - [`tenancy`]: the control plane's workspaces, schema-per-workspace isolation enforced by
//!   PostgreSQL roles ([`TenantTx`]), tenant migrations and members.
//! - [`identity`]: accounts, sessions, sign-up, passwords and resets, invitations, API tokens and
//!   the rate limits that guard them.
//! - [`secrets`]: keys outside the database, data keys per workspace, encrypted integrations.
//! - [`work`]: projects, tasks, tags, comments, time entries and attachments.
//! - [`privacy`]: the audit history, exports, erasure and privacy requests.
//! - [`platform`]: the database pool, the embedded PostgreSQL, background jobs, mail, the clock.
//!
//! Each action is one function that takes the caller ([`Viewer`]), loads what it acts on, asks
//! `bastion_policy` whether the caller may act, changes it and writes history in the same
//! transaction. REST handlers and server functions only parse, call and shape the answer.

pub mod identity;
pub mod platform;
pub mod privacy;
pub mod secrets;
pub mod storage;
pub mod tenancy;
pub mod work;

mod error;
mod viewer;

// The modules by their short names: callers write `bastion_core::sessions`, the files live in
// their capability's folder.
pub use identity::{
    accounts, api_tokens, devices, invitations, limits, passkeys, passwords, resets, sessions,
    signups, sso, two_factor,
};
pub use platform::{clock, db, embedded, jobs, live, mail};
pub use privacy::{actor_claim, audit, exports, requests as privacy_requests};
pub use secrets::{chat, integrations, keys, webhooks};
pub use tenancy::{ids, members, tenant, tenant_migrations, workspaces};
pub use work::{attachments, time_entries};

pub use bastion_policy::{Plan, Role};
pub use error::{
    ensure, is_database_unavailable, is_statement_timeout, CoreError, CoreResult,
    TWO_FACTOR_REQUIRED, UNAVAILABLE_RETRY_AFTER_SECS,
};
pub(crate) use identity::codes;
pub use ids::{Slug, TenantSchema, WorkspaceId};
pub use tenant::{Actor, TenantTx};
pub use viewer::Viewer;
#[cfg(feature = "testing")]
pub mod testing;
