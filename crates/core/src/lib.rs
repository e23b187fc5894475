//! Bastion's data layer: the control plane, schema-per-workspace tenancy enforced by PostgreSQL
//! roles, tenant migrations, and the embedded PostgreSQL used for local runs and tests.

pub mod accounts;
pub mod api_tokens;
pub mod attachments;
pub mod audit;
pub mod clock;
mod codes;
pub mod db;
pub mod embedded;
mod error;
pub mod exports;
pub mod ids;
pub mod integrations;
pub mod invitations;
pub mod jobs;
pub mod keys;
pub mod limits;
pub mod mail;
pub mod members;
pub mod passwords;
pub mod privacy_requests;
pub mod resets;
pub mod secrets;
pub mod sessions;
pub mod signups;
pub mod tenant;
pub mod tenant_migrations;
pub mod time_entries;
mod viewer;
pub mod work;
pub mod workspaces;

pub use error::{CoreError, CoreResult};
pub use ids::{Slug, TenantSchema, WorkspaceId};
pub use tenant::{Actor, TenantTx};
pub use viewer::Viewer;
#[cfg(feature = "testing")]
pub mod testing;
