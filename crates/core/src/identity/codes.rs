//! The 6-digit codes sent by email (password resets, signup confirmation) and the random tokens
//! of links (invitations): only salted digests are stored, and compared in constant time.

use rand::Rng;
use sha2::{Digest, Sha256};

/// A fresh 6-digit code and the salt its digest is stored with.
pub(crate) fn new_code() -> (String, [u8; 16]) {
    let mut rng = rand::rng();
    let code = format!("{:06}", rng.random_range(0..1_000_000u32));
    (code, rng.random())
}

pub(crate) fn code_hash(code: &str, salt: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(code.trim().as_bytes());
    h.finalize().to_vec()
}

/// A link token: 32 random bytes, URL-safe, and the SHA-256 under which it is stored. The token
/// carries enough entropy that no salt is needed, and lookups by digest stay one index probe.
pub(crate) fn new_link_token() -> (String, Vec<u8>) {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let bytes: [u8; 32] = rand::random();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let digest = token_digest(&token);
    (token, digest)
}

pub(crate) fn token_digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

/// Constant-time equality of two digests.
pub(crate) fn same_digest(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
