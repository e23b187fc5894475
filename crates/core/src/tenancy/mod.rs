//! One schema and one role per workspace: the control plane's workspace rows and their
//! provisioning, the transaction that is the only door into a workspace ([`TenantTx`]), tenant
//! migrations, and the members of a workspace.

pub mod ids;
pub mod members;
pub mod tenant;
pub mod tenant_migrations;
pub mod workspaces;

pub use tenant::TenantTx;
