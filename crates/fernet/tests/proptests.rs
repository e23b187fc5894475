//! Property tests standing in for fuzzing: hostile tokens must be refused without panicking,
//! and every plaintext must survive a round trip.

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use bastion_fernet::{Fernet, Key, MultiFernet};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::Sha256;

const KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
const NOW: u64 = 1_700_000_000;

fn fernet() -> Fernet {
    Fernet::new(Key::from_base64(KEY).unwrap())
}

fn ring() -> MultiFernet {
    MultiFernet::new(vec![Key::generate(), Key::from_base64(KEY).unwrap()]).unwrap()
}

/// Every decrypting entry point must return Err for `token` (and must not panic).
fn assert_rejected(f: &Fernet, ring: &MultiFernet, token: &str) -> Result<(), TestCaseError> {
    prop_assert!(f.decrypt(token).is_err());
    prop_assert!(f.decrypt_with_ttl(token, u64::MAX, NOW).is_err());
    prop_assert!(f.decrypt_with_ttl(token, 0, 0).is_err());
    prop_assert!(f.timestamp(token).is_err());
    prop_assert!(ring.decrypt(token).is_err());
    prop_assert!(ring.decrypt_with_ttl(token, 60, NOW).is_err());
    prop_assert!(ring.rotate(token).is_err());
    Ok(())
}

/// Bytes shaped like a token: version 0x80 first, lengths clustered around the 57-byte
/// structural minimum and the 73-byte smallest real token.
fn token_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    (0usize..=120, any::<bool>()).prop_flat_map(|(len, versioned)| {
        prop::collection::vec(any::<u8>(), len).prop_map(move |mut bytes| {
            if versioned {
                if let Some(first) = bytes.first_mut() {
                    *first = 0x80;
                }
            }
            bytes
        })
    })
}

fn sign(raw_without_mac: &[u8]) -> Vec<u8> {
    let key = URL_SAFE.decode(KEY).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key[..16]).unwrap();
    mac.update(raw_without_mac);
    let mut out = raw_without_mac.to_vec();
    out.extend_from_slice(&mac.finalize().into_bytes());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_are_rejected(token in any::<String>()) {
        assert_rejected(&fernet(), &ring(), &token)?;
    }

    #[test]
    fn base64_of_arbitrary_bytes_is_rejected(bytes in token_like_bytes()) {
        let (f, r) = (fernet(), ring());
        assert_rejected(&f, &r, &URL_SAFE.encode(&bytes))?;
        // Unpadded and standard-alphabet spellings too.
        let unpadded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        assert_rejected(&f, &r, &unpadded)?;
        let standard = base64::engine::general_purpose::STANDARD.encode(&bytes);
        assert_rejected(&f, &r, &standard)?;
    }

    /// Correctly signed but structurally arbitrary tokens get past the MAC, so they exercise the
    /// block-size and padding checks: no panic, and partial blocks never decrypt.
    #[test]
    fn authentic_tokens_with_arbitrary_ciphertext_never_panic(
        ts in any::<u64>(),
        iv in any::<[u8; 16]>(),
        ciphertext in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let mut raw = vec![0x80];
        raw.extend_from_slice(&ts.to_be_bytes());
        raw.extend_from_slice(&iv);
        raw.extend_from_slice(&ciphertext);
        let token = URL_SAFE.encode(sign(&raw));
        let f = fernet();
        let result = f.decrypt(&token);
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
            prop_assert!(result.is_err());
        }
        prop_assert_eq!(f.timestamp(&token).ok(), Some(ts));
        let _ = f.decrypt_with_ttl(&token, 60, NOW);
        let _ = ring().rotate(&token);
    }

    #[test]
    fn single_byte_corruption_is_rejected(
        plaintext in prop::collection::vec(any::<u8>(), 0..64),
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let f = fernet();
        let mut raw = URL_SAFE.decode(f.encrypt(&plaintext)).unwrap();
        let i = index.index(raw.len());
        raw[i] ^= flip;
        assert_rejected(&f, &ring(), &URL_SAFE.encode(&raw))?;
    }

    #[test]
    fn roundtrip_arbitrary_plaintext(
        plaintext in prop::collection::vec(any::<u8>(), 0..300),
        ts in any::<u64>(),
        iv in any::<[u8; 16]>(),
    ) {
        let f = fernet();
        prop_assert_eq!(f.decrypt(&f.encrypt(&plaintext)).unwrap(), plaintext.clone());
        let token = f.encrypt_at(&plaintext, ts, iv);
        prop_assert_eq!(f.decrypt(&token).unwrap(), plaintext.clone());
        prop_assert_eq!(f.decrypt_with_ttl(&token, 0, ts).unwrap(), plaintext.clone());
        let r = ring();
        let rotated = r.rotate(&token).unwrap();
        prop_assert_eq!(r.decrypt(&rotated).unwrap(), plaintext);
        prop_assert!(f.decrypt(&rotated).is_err());
    }
}
