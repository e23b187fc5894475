//! Who someone is: accounts, sessions, sign-up, passwords and resets, invitations, API tokens,
//! and the limits counted in PostgreSQL that guard them.

pub mod accounts;
pub mod api_tokens;
pub(crate) mod codes;
pub mod devices;
pub mod invitations;
pub mod limits;
pub mod passkeys;
pub mod passwords;
pub mod resets;
pub mod sessions;
pub mod signups;
pub mod sso;
pub mod two_factor;
