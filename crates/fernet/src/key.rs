//! The 32-byte Fernet key: generation, base64url import/export, and keeping it out of logs
//! and out of memory once dropped.

use std::fmt;

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE as PADDED};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use zeroize::{Zeroize, Zeroizing};

use crate::KeyError;

// Keys travel through env vars and config files where a trailing `=` is easily lost, so key
// import tolerates missing padding; tokens stay strict (see token.rs).
const KEY_DECODER: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A Fernet key: 16 bytes of HMAC-SHA256 signing key followed by 16 bytes of AES-128 key.
#[derive(Clone)]
pub struct Key {
    signing: [u8; 16],
    encryption: [u8; 16],
}

impl Key {
    /// A fresh key from the operating system's CSPRNG.
    ///
    /// # Panics
    /// If the OS cannot provide randomness; continuing with a weak key would be worse.
    pub fn generate() -> Key {
        let mut bytes = Zeroizing::new([0u8; 32]);
        crate::token::fill_random(bytes.as_mut_slice());
        Key::from_array(&bytes)
    }

    /// Parses the base64url form used by every Fernet implementation (44 chars, `=` optional).
    pub fn from_base64(encoded: &str) -> Result<Key, KeyError> {
        let decoded = Zeroizing::new(
            KEY_DECODER
                .decode(encoded.as_bytes())
                .map_err(|_| KeyError::InvalidBase64)?,
        );
        let bytes: &[u8; 32] =
            decoded
                .as_slice()
                .try_into()
                .map_err(|_| KeyError::WrongLength {
                    decoded_len: decoded.len(),
                })?;
        Ok(Key::from_array(bytes))
    }

    /// The padded base64url form, readable by any Fernet implementation.
    ///
    /// Named for what it does so that exporting secret material is always a visible choice.
    pub fn to_base64(&self) -> String {
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes[..16].copy_from_slice(&self.signing);
        bytes[16..].copy_from_slice(&self.encryption);
        PADDED.encode(bytes.as_slice())
    }

    fn from_array(bytes: &[u8; 32]) -> Key {
        let mut key = Key {
            signing: [0; 16],
            encryption: [0; 16],
        };
        key.signing.copy_from_slice(&bytes[..16]);
        key.encryption.copy_from_slice(&bytes[16..]);
        key
    }

    pub(crate) fn signing(&self) -> &[u8; 16] {
        &self.signing
    }

    pub(crate) fn encryption(&self) -> &[u8; 16] {
        &self.encryption
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.signing.zeroize();
        self.encryption.zeroize();
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_roundtrip_and_padding_tolerance() {
        let key = Key::generate();
        let text = key.to_base64();
        assert_eq!(text.len(), 44);
        assert!(text.ends_with('='));
        assert_eq!(Key::from_base64(&text).unwrap().to_base64(), text);
        assert_eq!(
            Key::from_base64(text.trim_end_matches('='))
                .unwrap()
                .to_base64(),
            text
        );
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(Key::generate().to_base64(), Key::generate().to_base64());
    }

    #[test]
    fn rejects_bad_base64_and_wrong_length() {
        assert_eq!(
            Key::from_base64("not base64!").unwrap_err(),
            KeyError::InvalidBase64
        );
        // Standard (non-url) alphabet must not sneak in.
        assert_eq!(
            Key::from_base64("cw/0x689RpI+jtRR7oE8h/eQsKImvJapLeSbXpwF4e4=").unwrap_err(),
            KeyError::InvalidBase64
        );
        assert_eq!(
            Key::from_base64(&PADDED.encode([7u8; 16])).unwrap_err(),
            KeyError::WrongLength { decoded_len: 16 }
        );
        assert_eq!(
            Key::from_base64("").unwrap_err(),
            KeyError::WrongLength { decoded_len: 0 }
        );
    }

    #[test]
    fn debug_hides_key() {
        let key = Key::generate();
        let shown = format!("{key:?} {key:#?}");
        assert_eq!(format!("{key:?}"), "Key(***)");
        assert!(!shown.contains(&key.to_base64()));
        assert!(!shown.contains(key.to_base64().trim_end_matches('=')));
    }

    #[test]
    fn error_messages_do_not_echo_input() {
        let secret = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF"; // 30 bytes
        let msg = Key::from_base64(secret).unwrap_err().to_string();
        assert!(!msg.contains(secret), "{msg}");
        assert!(msg.contains("32 bytes"), "{msg}");
    }
}
