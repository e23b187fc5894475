//! Error types for keys, key rings and tokens; their messages name what was wrong,
//! never a key or token byte, so they are safe to log.

use std::fmt;

/// Why a base64url string is not a Fernet key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// Not padded base64url (`A-Z a-z 0-9 - _`, `=` padding).
    InvalidBase64,
    /// Decoded fine, but a Fernet key must be exactly 32 bytes.
    WrongLength { decoded_len: usize },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::InvalidBase64 => f.write_str("Fernet key is not valid base64url"),
            KeyError::WrongLength { decoded_len } => {
                write!(f, "Fernet key must decode to 32 bytes, got {decoded_len}")
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// Why a key ring could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRingError {
    /// A ring needs at least the primary key.
    Empty,
    /// The key at `position` (1-based, as an operator counts in a comma list) is unusable.
    InvalidKey { position: usize, error: KeyError },
}

impl fmt::Display for KeyRingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRingError::Empty => {
                f.write_str("Fernet key ring is empty: at least one key is required")
            }
            KeyRingError::InvalidKey { position, error } => {
                write!(f, "Fernet key #{position} in the list is invalid: {error}")
            }
        }
    }
}

impl std::error::Error for KeyRingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyRingError::Empty => None,
            KeyRingError::InvalidKey { error, .. } => Some(error),
        }
    }
}

/// Why a token was rejected.
///
/// Variants exist for logging and metrics; callers should treat them all as "invalid token".
/// Only `Malformed` and `UnsupportedVersion` can be reported before the MAC is checked, so the
/// variants reveal nothing an attacker could use as a padding or decryption oracle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// Not base64url, or too short to hold version, timestamp, IV and MAC.
    Malformed,
    /// First byte is not the Fernet version 0x80.
    UnsupportedVersion,
    /// MAC did not verify under any key tried: tampered, or made with another key.
    InvalidSignature,
    /// Older than the TTL allows.
    Expired,
    /// Timestamp is further in the future than the allowed clock skew.
    FromTheFuture,
    /// Authentic, but the ciphertext is not whole AES blocks or its padding is wrong.
    InvalidCiphertext,
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self {
            DecryptError::Malformed => "malformed",
            DecryptError::UnsupportedVersion => "unsupported version",
            DecryptError::InvalidSignature => "signature mismatch",
            DecryptError::Expired => "expired",
            DecryptError::FromTheFuture => "timestamp too far in the future",
            DecryptError::InvalidCiphertext => "invalid ciphertext",
        };
        write!(f, "invalid Fernet token: {why}")
    }
}

impl std::error::Error for DecryptError {}
