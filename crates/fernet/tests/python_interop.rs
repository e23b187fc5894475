//! Cross-checks against Python's `cryptography.fernet`, the reference most Fernet users have:
//! tokens must travel both ways, including key rotation. Fails without Python and `cryptography`
//! (see [`FIX`]): the cross-check is the evidence for PRODUCT.md §5's byte compatibility.

use std::io::Write;
use std::process::{Command, Stdio};

use bastion_fernet::{Fernet, Key, MultiFernet};
use serde_json::{json, Value};

/// Reads a JSON array of requests on stdin, answers a JSON array of {"ok": ...} / {"err": ...}.
const PY_SERVER: &str = r#"
import json, sys
from cryptography.fernet import Fernet, MultiFernet, InvalidToken

def ring(keys):
    return MultiFernet([Fernet(k) for k in keys.split(",")])

def run(r):
    op = r["op"]
    if op == "generate_key":
        return Fernet.generate_key().decode()
    if op == "decrypt":
        return Fernet(r["key"]).decrypt(r["token"]).hex()
    if op == "encrypt":
        return Fernet(r["key"]).encrypt(bytes.fromhex(r["hex"])).decode()
    if op == "encrypt_at":
        f = Fernet(r["key"])
        if not hasattr(f, "_encrypt_from_parts"):
            return None
        return f._encrypt_from_parts(bytes.fromhex(r["hex"]), r["time"], bytes.fromhex(r["iv"])).decode()
    if op == "timestamp":
        return Fernet(r["key"]).extract_timestamp(r["token"])
    if op == "multi_decrypt":
        return ring(r["keys"]).decrypt(r["token"]).hex()
    if op == "multi_encrypt":
        return ring(r["keys"]).encrypt(bytes.fromhex(r["hex"])).decode()
    if op == "rotate":
        return ring(r["keys"]).rotate(r["token"]).decode()
    raise ValueError(op)

out = []
for r in json.load(sys.stdin):
    try:
        out.append({"ok": run(r)})
    except InvalidToken:
        out.append({"err": "InvalidToken"})
json.dump(out, sys.stdout)
"#;

/// The interpreter to cross-check with: `BASTION_PYTHON` (`./x test` points it at `.venv`, where
/// it installs `cryptography`), else `python3`.
fn interpreter() -> String {
    std::env::var("BASTION_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// How to get a Python this test can use, for the failure message.
const FIX: &str = "run `./x test` (it installs cryptography into .venv), or set BASTION_PYTHON \
                   to a Python that has it: `python3 -m venv /tmp/venv && /tmp/venv/bin/pip \
                   install cryptography && BASTION_PYTHON=/tmp/venv/bin/python cargo test …`";

/// Fails, rather than skips, when the reference is missing: a skipped cross-check reads as a
/// passed one in every summary, and the byte-compatibility promise would go untested.
fn require_python() {
    let python = interpreter();
    let outcome = Command::new(&python)
        .args(["-c", "import cryptography.fernet"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match outcome {
        Err(e) => panic!("cannot run {python}: {e}; {FIX}"),
        Ok(out) if !out.status.success() => panic!(
            "{python} cannot import cryptography.fernet ({}); {FIX}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .trim()
        ),
        Ok(_) => {}
    }
}

fn python(requests: &[Value]) -> Vec<Value> {
    let mut child = Command::new(interpreter())
        .args(["-c", PY_SERVER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}; {FIX}", interpreter()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::from(requests.to_vec()).to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answers.len(), requests.len());
    answers
}

fn ok(answer: &Value) -> &Value {
    answer
        .get("ok")
        .unwrap_or_else(|| panic!("python refused: {answer}"))
}

fn ok_str(answer: &Value) -> &str {
    ok(answer).as_str().unwrap()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn interoperates_with_python_cryptography() {
    require_python();

    let plaintexts: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"hello".to_vec(),
        b"exactly sixteen!".to_vec(),
        "ünïcödé 🔐".as_bytes().to_vec(),
        (0..=255u8).cycle().take(1000).collect(),
    ];
    let (old, new) = (Key::generate(), Key::generate());
    let (old_b64, new_b64) = (old.to_base64(), new.to_base64());
    let ring_b64 = format!("{new_b64},{old_b64}");
    let old_f = Fernet::new(old.clone());
    let new_f = Fernet::new(new.clone());
    let ring = MultiFernet::new(vec![new, old]).unwrap();
    let iv: [u8; 16] = *b"0123456789abcdef";
    let ts = 1_600_000_000u64;

    // Round 1: Python reads Rust tokens and makes its own.
    let mut requests = vec![json!({ "op": "generate_key" })];
    let mut expected_tokens = Vec::new();
    for p in &plaintexts {
        let hex = to_hex(p);
        let rust_token = old_f.encrypt(p);
        let rust_fixed = old_f.encrypt_at(p, ts, iv);
        let mut tampered = rust_token.clone().into_bytes();
        tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        requests.extend([
            json!({ "op": "decrypt", "key": old_b64, "token": rust_token }),
            json!({ "op": "encrypt", "key": old_b64, "hex": hex }),
            json!({ "op": "encrypt_at", "key": old_b64, "hex": hex, "time": ts, "iv": to_hex(&iv) }),
            json!({ "op": "timestamp", "key": old_b64, "token": rust_fixed }),
            json!({ "op": "decrypt", "key": new_b64, "token": rust_token }),
            json!({ "op": "decrypt", "key": old_b64, "token": tampered }),
            json!({ "op": "multi_decrypt", "keys": ring_b64, "token": rust_token }),
            json!({ "op": "multi_decrypt", "keys": ring_b64, "token": ring.encrypt(p) }),
            json!({ "op": "multi_encrypt", "keys": ring_b64, "hex": hex }),
            json!({ "op": "rotate", "keys": ring_b64, "token": rust_fixed }),
        ]);
        expected_tokens.push(rust_fixed);
    }
    let answers = python(&requests);

    let py_key = Key::from_base64(ok_str(&answers[0])).expect("Python key parses in Rust");
    assert_eq!(py_key.to_base64(), ok_str(&answers[0]));

    let mut round2 = Vec::new();
    let mut round2_expect = Vec::new();
    let mut byte_identical = 0;
    for ((p, chunk), rust_fixed) in plaintexts
        .iter()
        .zip(answers[1..].chunks(10))
        .zip(&expected_tokens)
    {
        let hex = to_hex(p);
        // (a) Rust -> Python.
        assert_eq!(ok_str(&chunk[0]), hex, "Python decrypt of Rust token");
        // (b) Python -> Rust.
        let py_token = ok_str(&chunk[1]);
        assert_eq!(
            &old_f.decrypt(py_token).unwrap(),
            p,
            "Rust decrypt of Python token"
        );
        assert_eq!(&ring.decrypt(py_token).unwrap(), p);
        assert!(new_f.decrypt(py_token).is_err());
        // Same key, time and IV: both implementations must emit the identical token.
        if let Some(py_fixed) = ok(&chunk[2]).as_str() {
            assert_eq!(py_fixed, rust_fixed, "byte-for-byte token mismatch");
            byte_identical += 1;
        }
        assert_eq!(
            ok(&chunk[3]).as_u64(),
            Some(ts),
            "Python sees Rust timestamp"
        );
        assert_eq!(
            chunk[4]["err"], "InvalidToken",
            "Python must reject wrong key"
        );
        assert_eq!(
            chunk[5]["err"], "InvalidToken",
            "Python must reject tampering"
        );
        assert_eq!(
            ok_str(&chunk[6]),
            hex,
            "Python MultiFernet reads old-key Rust token"
        );
        assert_eq!(
            ok_str(&chunk[7]),
            hex,
            "Python MultiFernet reads Rust ring token"
        );
        // Python ring output is under the primary (new) key.
        let py_ring_token = ok_str(&chunk[8]);
        assert_eq!(&new_f.decrypt(py_ring_token).unwrap(), p);
        // Python's rotate of a Rust token keeps the timestamp; Rust reads it under the new key.
        let py_rotated = ok_str(&chunk[9]);
        assert_eq!(&new_f.decrypt(py_rotated).unwrap(), p);
        assert_eq!(new_f.timestamp(py_rotated).unwrap(), ts);

        // Rust rotation of a Python old-key token must satisfy Python the same way.
        let rust_rotated = ring.rotate(py_token).unwrap();
        let py_ts = old_f.timestamp(py_token).unwrap();
        round2.extend([
            json!({ "op": "decrypt", "key": new_b64, "token": rust_rotated }),
            json!({ "op": "timestamp", "key": new_b64, "token": rust_rotated }),
            json!({ "op": "decrypt", "key": old_b64, "token": rust_rotated }),
        ]);
        round2_expect.push((hex, py_ts));
    }

    let answers = python(&round2);
    for (chunk, (hex, py_ts)) in answers.chunks(3).zip(&round2_expect) {
        assert_eq!(ok_str(&chunk[0]), hex, "Python reads Rust-rotated token");
        assert_eq!(
            ok(&chunk[1]).as_u64(),
            Some(*py_ts),
            "Rust rotate kept timestamp"
        );
        assert_eq!(
            chunk[2]["err"], "InvalidToken",
            "rotated token left the old key"
        );
    }

    println!(
        "python interop: {} plaintexts both ways, {byte_identical} byte-identical fixed-IV tokens",
        plaintexts.len()
    );
}
