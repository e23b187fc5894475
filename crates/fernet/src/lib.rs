//! Fernet tokens exactly as the spec defines them, so Python's `cryptography` and other
//! implementations can read what Bastion writes and vice versa; also owns key handling and rotation.
#![forbid(unsafe_code)]

mod error;
mod key;
mod ring;
mod token;

pub use error::{DecryptError, KeyError, KeyRingError};
pub use key::Key;
pub use ring::{parse_key_list, MultiFernet};
pub use token::Fernet;
