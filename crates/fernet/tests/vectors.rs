//! Runs the Fernet spec's own conformance vectors (tests/vectors, copied from
//! github.com/fernet/spec) against this crate; passing them is what "byte-for-byte Fernet" means.

use std::path::PathBuf;

use bastion_fernet::{DecryptError, Fernet, Key};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/"))
}

fn load(name: &str) -> Option<Vec<Value>> {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).ok()?;
    let value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()));
    let cases = value
        .as_array()
        .unwrap_or_else(|| panic!("{} is not a JSON array", path.display()))
        .clone();
    assert!(!cases.is_empty(), "{} has no vectors", path.display());
    Some(cases)
}

fn load_required(name: &str) -> Vec<Value> {
    load(name).unwrap_or_else(|| {
        panic!(
            "missing conformance vectors {}",
            vectors_dir().join(name).display()
        )
    })
}

fn str_field<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("vector lacks string field {field:?}: {case}"))
}

fn u64_field(case: &Value, field: &str) -> u64 {
    case[field]
        .as_u64()
        .unwrap_or_else(|| panic!("vector lacks integer field {field:?}: {case}"))
}

fn unix_time(case: &Value) -> u64 {
    let text = str_field(case, "now");
    let seconds = OffsetDateTime::parse(text, &Rfc3339)
        .unwrap_or_else(|e| panic!("bad RFC 3339 time {text:?}: {e}"))
        .unix_timestamp();
    u64::try_from(seconds).expect("vector time before 1970")
}

fn iv(case: &Value) -> [u8; 16] {
    let bytes: Vec<u8> = case["iv"]
        .as_array()
        .expect("vector lacks iv array")
        .iter()
        .map(|b| u8::try_from(b.as_u64().expect("iv byte")).expect("iv byte > 255"))
        .collect();
    bytes.try_into().expect("iv must be 16 bytes")
}

fn fernet(case: &Value) -> Fernet {
    Fernet::new(Key::from_base64(str_field(case, "secret")).expect("vector secret"))
}

#[test]
fn rfc3339_offsets_are_honoured() {
    // 01:20 at UTC-7 is 08:20 UTC; a parser that dropped the offset would be 7 h off.
    let case = serde_json::json!({ "now": "1985-10-26T01:20:00-07:00" });
    assert_eq!(unix_time(&case), 499_162_800);
}

#[test]
fn generate_vectors_match_exactly() {
    let cases = load_required("generate.json");
    for case in &cases {
        let f = fernet(case);
        let src = str_field(case, "src");
        let token = f.encrypt_at(src.as_bytes(), unix_time(case), iv(case));
        assert_eq!(token, str_field(case, "token"), "generate vector {case}");
        assert_eq!(f.decrypt(&token).unwrap(), src.as_bytes());
        assert_eq!(f.timestamp(&token).unwrap(), unix_time(case));
    }
    println!("generate.json: {} vectors matched", cases.len());
}

#[test]
fn verify_vectors_decrypt() {
    let cases = load_required("verify.json");
    for case in &cases {
        let plaintext = fernet(case)
            .decrypt_with_ttl(
                str_field(case, "token"),
                u64_field(case, "ttl_sec"),
                unix_time(case),
            )
            .unwrap_or_else(|e| panic!("verify vector failed ({e}): {case}"));
        assert_eq!(plaintext, str_field(case, "src").as_bytes(), "{case}");
    }
    let checked = cases.len();
    println!("verify: {checked} vectors decrypted");
}

/// The reason each known `desc` must be rejected for, so a vector cannot pass by failing early
/// for an unrelated reason; a `desc` not listed here only has to be rejected.
fn expected_error(desc: &str) -> Option<DecryptError> {
    let expected = match desc {
        "incorrect mac" => DecryptError::InvalidSignature,
        "too short" | "invalid base64" => DecryptError::Malformed,
        "payload size not multiple of block size"
        | "payload padding error"
        | "incorrect IV (causes padding error)" => DecryptError::InvalidCiphertext,
        "far-future TS (unacceptable clock skew)" => DecryptError::FromTheFuture,
        "expired TTL" => DecryptError::Expired,
        _ => return None,
    };
    Some(expected)
}

#[test]
fn invalid_vectors_are_rejected() {
    let cases = load_required("invalid.json");
    for case in &cases {
        let result = fernet(case).decrypt_with_ttl(
            str_field(case, "token"),
            u64_field(case, "ttl_sec"),
            unix_time(case),
        );
        let desc = str_field(case, "desc");
        match result {
            Ok(plaintext) => panic!("accepted invalid vector {desc:?}: {plaintext:?}"),
            Err(e) => {
                println!("rejected {desc:?}: {e}");
                if let Some(expected) = expected_error(desc) {
                    assert_eq!(e, expected, "rejected {desc:?} for the wrong reason");
                }
            }
        }
    }
    println!("invalid.json: {} vectors rejected", cases.len());
}
