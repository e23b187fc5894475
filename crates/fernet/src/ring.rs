//! Key rotation: a ring whose first key writes and whose every key reads, plus parsing the
//! comma-separated key lists operators put in configuration.

use std::fmt;

use crate::token::{check_age, decode, parse, random_iv, Unverified};
use crate::{DecryptError, Fernet, Key, KeyRingError};

/// Several keys: the first (primary) encrypts, any of them decrypts, so a new key can be put
/// first while tokens made under older keys keep working until they are rotated.
#[derive(Clone)]
pub struct MultiFernet {
    // Never empty: `new` is the only constructor.
    primary: Fernet,
    older: Vec<Fernet>,
}

impl MultiFernet {
    /// Builds a ring from keys in priority order; the first becomes the primary.
    pub fn new(keys: Vec<Key>) -> Result<MultiFernet, KeyRingError> {
        let mut fernets = keys.into_iter().map(Fernet::new);
        let primary = fernets.next().ok_or(KeyRingError::Empty)?;
        Ok(MultiFernet {
            primary,
            older: fernets.collect(),
        })
    }

    /// Shorthand for `parse_key_list` followed by `new`.
    pub fn from_key_list(list: &str) -> Result<MultiFernet, KeyRingError> {
        MultiFernet::new(parse_key_list(list)?)
    }

    /// Encrypts under the primary key with the current time and a random IV.
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        self.primary.encrypt(plaintext)
    }

    /// Encrypts under the primary key with a caller-chosen time and IV (tests and fixtures only).
    pub fn encrypt_at(&self, plaintext: &[u8], unix_time: u64, iv: [u8; 16]) -> String {
        self.primary.encrypt_at(plaintext, unix_time, iv)
    }

    /// Decrypts an authentic token of any age made under any key in the ring.
    pub fn decrypt(&self, token: &str) -> Result<Vec<u8>, DecryptError> {
        let data = decode(token)?;
        let parts = parse(&data)?;
        let fernet = self.signer(&parts)?;
        fernet.open(&parts)
    }

    /// As [`Fernet::decrypt_with_ttl`], trying every key in the ring.
    pub fn decrypt_with_ttl(
        &self,
        token: &str,
        ttl_secs: u64,
        now_unix: u64,
    ) -> Result<Vec<u8>, DecryptError> {
        let data = decode(token)?;
        let parts = parse(&data)?;
        let fernet = self.signer(&parts)?;
        check_age(parts.timestamp, ttl_secs, now_unix)?;
        fernet.open(&parts)
    }

    /// Re-encrypts a token under the primary key with a fresh IV, keeping its original
    /// timestamp (as Python's `MultiFernet.rotate` does) so rotation never extends a token's life.
    /// No TTL is applied: rotating old tokens is the point.
    pub fn rotate(&self, token: &str) -> Result<String, DecryptError> {
        let data = decode(token)?;
        let parts = parse(&data)?;
        let plaintext = zeroize::Zeroizing::new(self.signer(&parts)?.open(&parts)?);
        Ok(self
            .primary
            .encrypt_at(&plaintext, parts.timestamp, random_iv()))
    }

    /// Number of keys, primary included.
    pub fn len(&self) -> usize {
        1 + self.older.len()
    }

    /// Always false: `new` refuses an empty ring.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The first key whose MAC accepts the token. Trying every key leaks only which key slot
    /// matched (via timing), never key bytes.
    fn signer(&self, parts: &Unverified<'_>) -> Result<&Fernet, DecryptError> {
        std::iter::once(&self.primary)
            .chain(&self.older)
            .find(|fernet| fernet.verify(parts).is_ok())
            .ok_or(DecryptError::InvalidSignature)
    }
}

impl fmt::Debug for MultiFernet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiFernet")
            .field("keys", &self.len())
            .finish_non_exhaustive()
    }
}

/// Parses `"k1,k2,..."` (primary first) as found in configuration. Whitespace around each key
/// is ignored; errors give the 1-based position of the bad key and never its text.
pub fn parse_key_list(list: &str) -> Result<Vec<Key>, KeyRingError> {
    if list.trim().is_empty() {
        return Err(KeyRingError::Empty);
    }
    list.split(',')
        .enumerate()
        .map(|(index, item)| {
            Key::from_base64(item.trim()).map_err(|error| KeyRingError::InvalidKey {
                position: index + 1,
                error,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyError;

    #[test]
    fn empty_ring_is_an_error() {
        assert_eq!(MultiFernet::new(vec![]).unwrap_err(), KeyRingError::Empty);
        assert_eq!(parse_key_list("").unwrap_err(), KeyRingError::Empty);
        assert_eq!(parse_key_list("  ").unwrap_err(), KeyRingError::Empty);
    }

    #[test]
    fn primary_encrypts_and_old_keys_still_decrypt() {
        let (old, new) = (Key::generate(), Key::generate());
        let old_token = Fernet::new(old.clone()).encrypt(b"legacy");
        let ring = MultiFernet::new(vec![new.clone(), old.clone()]).unwrap();
        assert_eq!(ring.len(), 2);
        assert_eq!(ring.decrypt(&old_token).unwrap(), b"legacy");

        let fresh = ring.encrypt(b"fresh");
        assert_eq!(Fernet::new(new).decrypt(&fresh).unwrap(), b"fresh");
        assert_eq!(
            Fernet::new(old).decrypt(&fresh).unwrap_err(),
            DecryptError::InvalidSignature
        );
        assert_eq!(
            ring.decrypt(&Fernet::new(Key::generate()).encrypt(b"x"))
                .unwrap_err(),
            DecryptError::InvalidSignature
        );
    }

    #[test]
    fn ttl_applies_to_whichever_key_matched() {
        let (old, new) = (Key::generate(), Key::generate());
        let token = Fernet::new(old.clone()).encrypt_at(b"t", 1000, [0; 16]);
        let ring = MultiFernet::new(vec![new, old]).unwrap();
        assert_eq!(ring.decrypt_with_ttl(&token, 10, 1010).unwrap(), b"t");
        assert_eq!(
            ring.decrypt_with_ttl(&token, 10, 1011).unwrap_err(),
            DecryptError::Expired
        );
        assert_eq!(
            ring.decrypt_with_ttl(&token, 10, 939).unwrap_err(),
            DecryptError::FromTheFuture
        );
    }

    #[test]
    fn rotate_moves_token_to_primary_and_keeps_timestamp() {
        let (old, new) = (Key::generate(), Key::generate());
        let old_fernet = Fernet::new(old.clone());
        let token = old_fernet.encrypt_at(b"rotate me", 1234, [5; 16]);
        let ring = MultiFernet::new(vec![new.clone(), old]).unwrap();

        let rotated = ring.rotate(&token).unwrap();
        let new_fernet = Fernet::new(new.clone());
        assert_eq!(new_fernet.decrypt(&rotated).unwrap(), b"rotate me");
        assert_eq!(new_fernet.timestamp(&rotated).unwrap(), 1234);
        assert!(old_fernet.decrypt(&rotated).is_err());
        // Fresh IV: rotating twice gives different tokens with the same content.
        let again = ring.rotate(&rotated).unwrap();
        assert_ne!(again, rotated);
        assert_eq!(
            MultiFernet::new(vec![new])
                .unwrap()
                .decrypt(&again)
                .unwrap(),
            b"rotate me"
        );

        assert_eq!(
            ring.rotate(&Fernet::new(Key::generate()).encrypt(b"x"))
                .unwrap_err(),
            DecryptError::InvalidSignature
        );
        assert_eq!(ring.rotate("garbage").unwrap_err(), DecryptError::Malformed);
    }

    #[test]
    fn parse_key_list_reports_position_without_key() {
        let (a, b) = (Key::generate().to_base64(), Key::generate().to_base64());
        let keys = parse_key_list(&format!(" {a} ,{b}\n")).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].to_base64(), a);
        assert_eq!(keys[1].to_base64(), b);

        let short = &b[..20];
        let err = parse_key_list(&format!("{a},{short}")).unwrap_err();
        assert_eq!(
            err,
            KeyRingError::InvalidKey {
                position: 2,
                error: KeyError::WrongLength { decoded_len: 15 }
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("#2"), "{msg}");
        assert!(!msg.contains(short) && !msg.contains(&a), "{msg}");

        let err = parse_key_list(&format!("{a},{b},")).unwrap_err();
        assert!(matches!(err, KeyRingError::InvalidKey { position: 3, .. }));
        let err = parse_key_list(&format!("%%,{a}")).unwrap_err();
        assert_eq!(
            err,
            KeyRingError::InvalidKey {
                position: 1,
                error: KeyError::InvalidBase64
            }
        );

        let ring = MultiFernet::from_key_list(&format!("{a},{b}")).unwrap();
        assert_eq!(ring.len(), 2);
    }

    #[test]
    fn debug_hides_keys() {
        let key = Key::generate();
        let encoded = key.to_base64();
        let ring = MultiFernet::new(vec![key, Key::generate()]).unwrap();
        let shown = format!("{ring:?} {ring:#?}");
        assert!(!shown.contains(&encoded), "{shown}");
        assert_eq!(format!("{ring:?}"), "MultiFernet { keys: 2, .. }");
    }
}
