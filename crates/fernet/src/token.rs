//! One-key Fernet: builds and opens tokens byte-for-byte per the spec
//! (0x80 | timestamp | IV | AES-128-CBC ciphertext | HMAC-SHA256, base64url padded).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{DecryptError, Key};

type HmacSha256 = Hmac<Sha256>;
type Aes128CbcEnc = cbc::Encryptor<aes::Aes128>;
type Aes128CbcDec = cbc::Decryptor<aes::Aes128>;

const VERSION: u8 = 0x80;
const TIMESTAMP_LEN: usize = 8;
const IV_LEN: usize = 16;
const MAC_LEN: usize = 32;
const BLOCK_LEN: usize = 16;
/// Same limit as the spec and Python's `_MAX_CLOCK_SKEW`.
const MAX_CLOCK_SKEW_SECS: u64 = 60;

/// Encrypts and decrypts Fernet tokens under a single key.
#[derive(Clone)]
pub struct Fernet {
    key: Key,
}

/// A decoded token whose layout is checked but whose MAC is not (yet).
pub(crate) struct Unverified<'a> {
    signed: &'a [u8],
    mac: &'a [u8; MAC_LEN],
    pub(crate) timestamp: u64,
    iv: &'a [u8; IV_LEN],
    ciphertext: &'a [u8],
}

impl Fernet {
    pub fn new(key: Key) -> Fernet {
        Fernet { key }
    }

    /// Encrypts with the current time and a fresh random IV.
    ///
    /// # Panics
    /// If the OS cannot provide randomness; reusing or guessing an IV would be worse.
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        self.encrypt_at(plaintext, now_unix(), random_iv())
    }

    /// Encrypts with a caller-chosen time and IV. Only for test vectors and reproducible
    /// fixtures: a repeated IV under one key leaks plaintext equality.
    pub fn encrypt_at(&self, plaintext: &[u8], unix_time: u64, iv: [u8; IV_LEN]) -> String {
        let ciphertext = Aes128CbcEnc::new(self.key.encryption().into(), (&iv).into())
            .encrypt_padded_vec_mut::<Pkcs7>(plaintext);

        let mut token = Vec::with_capacity(1 + TIMESTAMP_LEN + IV_LEN + ciphertext.len() + MAC_LEN);
        token.push(VERSION);
        token.extend_from_slice(&unix_time.to_be_bytes());
        token.extend_from_slice(&iv);
        token.extend_from_slice(&ciphertext);
        let mac = self.mac().chain_update(&token).finalize().into_bytes();
        token.extend_from_slice(&mac);
        URL_SAFE.encode(token)
    }

    /// Decrypts an authentic token of any age, as Python's `Fernet.decrypt(token)` without a TTL.
    pub fn decrypt(&self, token: &str) -> Result<Vec<u8>, DecryptError> {
        let data = decode(token)?;
        let parts = parse(&data)?;
        self.verify(&parts)?;
        self.open(&parts)
    }

    /// Decrypts a token that is authentic, at most `ttl_secs` old at `now_unix`, and not more
    /// than 60 s in the future (tolerating clock skew between issuer and verifier).
    pub fn decrypt_with_ttl(
        &self,
        token: &str,
        ttl_secs: u64,
        now_unix: u64,
    ) -> Result<Vec<u8>, DecryptError> {
        let data = decode(token)?;
        let parts = parse(&data)?;
        self.verify(&parts)?;
        check_age(parts.timestamp, ttl_secs, now_unix)?;
        self.open(&parts)
    }

    /// The creation time of an authentic token; like Python's `extract_timestamp`, it refuses
    /// to report a time nobody vouched for, so the MAC is checked first.
    pub fn timestamp(&self, token: &str) -> Result<u64, DecryptError> {
        let data = decode(token)?;
        let parts = parse(&data)?;
        self.verify(&parts)?;
        Ok(parts.timestamp)
    }

    pub(crate) fn verify(&self, parts: &Unverified<'_>) -> Result<(), DecryptError> {
        // verify_slice compares in constant time.
        self.mac()
            .chain_update(parts.signed)
            .verify_slice(parts.mac)
            .map_err(|_| DecryptError::InvalidSignature)
    }

    /// Decrypts a token whose MAC `verify` has accepted.
    pub(crate) fn open(&self, parts: &Unverified<'_>) -> Result<Vec<u8>, DecryptError> {
        if parts.ciphertext.is_empty() || !parts.ciphertext.len().is_multiple_of(BLOCK_LEN) {
            return Err(DecryptError::InvalidCiphertext);
        }
        Aes128CbcDec::new(self.key.encryption().into(), parts.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(parts.ciphertext)
            .map_err(|_| DecryptError::InvalidCiphertext)
    }

    fn mac(&self) -> HmacSha256 {
        // Infallible: HMAC takes keys of any length, and ours is always 16 bytes.
        HmacSha256::new_from_slice(self.key.signing()).expect("HMAC accepts any key length")
    }
}

impl fmt::Debug for Fernet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fernet").field("key", &self.key).finish()
    }
}

/// Tokens are decoded strictly (canonical padded base64url) so each token has exactly one
/// spelling, matching what every other implementation emits.
pub(crate) fn decode(token: &str) -> Result<Vec<u8>, DecryptError> {
    URL_SAFE
        .decode(token.as_bytes())
        .map_err(|_| DecryptError::Malformed)
}

/// Splits a decoded token without trusting any length in it.
pub(crate) fn parse(data: &[u8]) -> Result<Unverified<'_>, DecryptError> {
    let (signed, mac) = data
        .split_last_chunk::<MAC_LEN>()
        .ok_or(DecryptError::Malformed)?;
    let (version, rest) = signed.split_first().ok_or(DecryptError::Malformed)?;
    if *version != VERSION {
        return Err(DecryptError::UnsupportedVersion);
    }
    let (timestamp, rest) = rest
        .split_first_chunk::<TIMESTAMP_LEN>()
        .ok_or(DecryptError::Malformed)?;
    let (iv, ciphertext) = rest
        .split_first_chunk::<IV_LEN>()
        .ok_or(DecryptError::Malformed)?;
    Ok(Unverified {
        signed,
        mac,
        timestamp: u64::from_be_bytes(*timestamp),
        iv,
        ciphertext,
    })
}

pub(crate) fn check_age(timestamp: u64, ttl_secs: u64, now_unix: u64) -> Result<(), DecryptError> {
    // Saturating: a huge TTL or timestamp means "never expires", not a wrapped-around "expired".
    if timestamp.saturating_add(ttl_secs) < now_unix {
        return Err(DecryptError::Expired);
    }
    if timestamp > now_unix.saturating_add(MAX_CLOCK_SKEW_SECS) {
        return Err(DecryptError::FromTheFuture);
    }
    Ok(())
}

pub(crate) fn now_unix() -> u64 {
    // A clock before 1970 is broken; 0 makes such tokens look old rather than failing.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub(crate) fn random_iv() -> [u8; IV_LEN] {
    let mut iv = [0u8; IV_LEN];
    fill_random(&mut iv);
    iv
}

pub(crate) fn fill_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("operating system random number generator failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_700_000_000;

    fn fernet() -> Fernet {
        Fernet::new(Key::generate())
    }

    #[test]
    fn roundtrip_including_empty_and_block_multiples() {
        let f = fernet();
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 1000] {
            let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let token = f.encrypt(&plaintext);
            assert_eq!(f.decrypt(&token).unwrap(), plaintext);
            // Version byte 0x80 always encodes as a leading "gAAAAA" for realistic timestamps.
            assert!(token.starts_with("gAAAAA"), "{token}");
        }
    }

    #[test]
    fn encrypt_uses_fresh_iv_and_current_time() {
        let f = fernet();
        let before = now_unix();
        let (a, b) = (f.encrypt(b"same"), f.encrypt(b"same"));
        assert_ne!(a, b);
        let ts = f.timestamp(&a).unwrap();
        assert!(ts >= before && ts <= now_unix());
    }

    #[test]
    fn encrypt_at_is_deterministic_and_layout_is_spec() {
        let f = fernet();
        let iv = [9u8; 16];
        let token = f.encrypt_at(b"hello", T, iv);
        assert_eq!(token, f.encrypt_at(b"hello", T, iv));
        let raw = URL_SAFE.decode(&token).unwrap();
        assert_eq!(raw.len(), 1 + 8 + 16 + 16 + 32);
        assert_eq!(raw[0], 0x80);
        assert_eq!(raw[1..9], T.to_be_bytes());
        assert_eq!(raw[9..25], iv);
        assert_eq!(f.timestamp(&token).unwrap(), T);
    }

    #[test]
    fn tampering_any_byte_is_rejected() {
        let f = fernet();
        let token = f.encrypt_at(b"attack at dawn, bring snacks", T, [3; 16]);
        let raw = URL_SAFE.decode(&token).unwrap();
        for i in 0..raw.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bad = raw.clone();
                bad[i] ^= flip;
                let bad = URL_SAFE.encode(&bad);
                let err = f.decrypt(&bad).unwrap_err();
                let expected = if i == 0 {
                    DecryptError::UnsupportedVersion
                } else {
                    DecryptError::InvalidSignature
                };
                assert_eq!(err, expected, "byte {i} flip {flip:#x}");
                assert!(f.decrypt_with_ttl(&bad, u64::MAX, T).is_err());
            }
        }
        // Truncation and extension are tampering too.
        for cut in 1..raw.len() {
            assert!(
                f.decrypt(&URL_SAFE.encode(&raw[..cut])).is_err(),
                "cut {cut}"
            );
        }
        let mut longer = raw.clone();
        longer.push(0);
        assert!(f.decrypt(&URL_SAFE.encode(&longer)).is_err());
    }

    #[test]
    fn tampering_any_character_is_rejected() {
        let f = fernet();
        let token = f.encrypt_at(b"x", T, [1; 16]);
        for (i, original) in token.char_indices() {
            for replacement in ['A', 'z', '-', '_', '=', '+', '/'] {
                if replacement == original {
                    continue;
                }
                let mut bad = token.clone();
                bad.replace_range(i..i + 1, &replacement.to_string());
                assert!(f.decrypt(&bad).is_err(), "pos {i} -> {replacement}");
            }
        }
    }

    #[test]
    fn wrong_key_is_rejected() {
        let token = fernet().encrypt(b"secret");
        assert_eq!(
            fernet().decrypt(&token).unwrap_err(),
            DecryptError::InvalidSignature
        );
    }

    #[test]
    fn signing_key_alone_does_not_decrypt() {
        // Same signing half, different encryption half: the MAC passes, so only the
        // ciphertext checks stand between the holder and garbage output.
        let raw = [7u8; 32];
        let mut other = raw;
        other[31] ^= 1;
        let key = |bytes: &[u8; 32]| Key::from_base64(&URL_SAFE.encode(bytes)).unwrap();
        let token = Fernet::new(key(&raw)).encrypt_at(b"plaintext", T, [0; 16]);
        match Fernet::new(key(&other)).decrypt(&token) {
            Err(e) => assert_eq!(e, DecryptError::InvalidCiphertext),
            Ok(p) => assert_ne!(p, b"plaintext"),
        }
    }

    #[test]
    fn ttl_and_clock_skew_boundaries() {
        let f = fernet();
        let token = f.encrypt_at(b"t", T, [0; 16]);
        assert!(f.decrypt_with_ttl(&token, 60, T + 60).is_ok());
        assert_eq!(
            f.decrypt_with_ttl(&token, 60, T + 61).unwrap_err(),
            DecryptError::Expired
        );
        assert!(f.decrypt_with_ttl(&token, 60, T - 60).is_ok());
        assert_eq!(
            f.decrypt_with_ttl(&token, 60, T - 61).unwrap_err(),
            DecryptError::FromTheFuture
        );
        // No TTL means no time checks at all, as in Python.
        assert!(f.decrypt(&token).is_ok());
        // Extremes must not overflow.
        let far = f.encrypt_at(b"t", u64::MAX, [0; 16]);
        assert!(f.decrypt_with_ttl(&far, u64::MAX, u64::MAX).is_ok());
        assert_eq!(
            f.decrypt_with_ttl(&far, 0, 0).unwrap_err(),
            DecryptError::FromTheFuture
        );
        let ancient = f.encrypt_at(b"t", 0, [0; 16]);
        assert_eq!(
            f.decrypt_with_ttl(&ancient, 0, u64::MAX).unwrap_err(),
            DecryptError::Expired
        );
    }

    #[test]
    fn mac_is_checked_before_time() {
        // An expired forgery must read as a forgery, not reveal that its timestamp was old.
        let token = fernet().encrypt_at(b"t", 0, [0; 16]);
        assert_eq!(
            fernet().decrypt_with_ttl(&token, 1, T).unwrap_err(),
            DecryptError::InvalidSignature
        );
    }

    #[test]
    fn strict_token_base64() {
        let f = fernet();
        let token = f.encrypt(b"pad me");
        assert!(token.ends_with('='));
        assert_eq!(
            f.decrypt(token.trim_end_matches('=')).unwrap_err(),
            DecryptError::Malformed
        );
        let standard = token.replace('-', "+").replace('_', "/");
        if standard != token {
            assert_eq!(f.decrypt(&standard).unwrap_err(), DecryptError::Malformed);
        }
        assert_eq!(f.decrypt("").unwrap_err(), DecryptError::Malformed);
    }

    #[test]
    fn errors_and_debug_do_not_leak_key() {
        let key = Key::generate();
        let encoded = key.to_base64();
        let f = Fernet::new(key);
        assert!(!format!("{f:?}").contains(&encoded));
        assert_eq!(format!("{f:?}"), "Fernet { key: Key(***) }");
        let err = f
            .decrypt(&Fernet::new(Key::generate()).encrypt(b"x"))
            .unwrap_err();
        assert_eq!(err.to_string(), "invalid Fernet token: signature mismatch");
    }
}
