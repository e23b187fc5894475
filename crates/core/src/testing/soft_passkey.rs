//! A software authenticator for tests: P-256 credentials with user verification and "none"
//! attestation, answering `navigator.credentials.create` and `.get` as JSON the way
//! `public/passkeys.js` sends a browser's answers (binary fields in base64url). Built from the
//! WebAuthn and CTAP2 formats (authenticator data, COSE keys, a little CBOR), so the passkey
//! tests exercise `webauthn-rs` with real signatures, counters and origins.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use ring::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING},
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Where the tests' pages are (the relying party of a local server on port 3000).
pub const ORIGIN: &str = "http://localhost:3000";

/// One credential of a software authenticator: it verifies its user (flag UV) and counts
/// signatures from `counter`.
pub struct SoftPasskey {
    key: EcdsaKeyPair,
    /// The credential id.
    pub id: Vec<u8>,
    /// The account id the relying party gave it, as it answers it (tests may lie here).
    pub user_handle: Vec<u8>,
    /// The signature count of its last answer.
    pub counter: u32,
    /// The origin its answers say they come from (tests may lie here too).
    pub origin: String,
}

/// CBOR's head of a byte string (major type 2) of `len` bytes.
fn cbor_bytes(len: usize) -> Vec<u8> {
    match len {
        0..=23 => vec![0x40 | len as u8],
        24..=255 => vec![0x58, len as u8],
        _ => vec![0x59, (len >> 8) as u8, len as u8],
    }
}

fn cbor_text(text: &str) -> Vec<u8> {
    assert!(text.len() <= 23);
    let mut out = vec![0x60 | text.len() as u8];
    out.extend_from_slice(text.as_bytes());
    out
}

pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

impl SoftPasskey {
    /// Answers `navigator.credentials.create` for these options with a new credential.
    pub fn create(options: &Value) -> (Self, Value) {
        let public = &options["publicKey"];
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let id: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
        let user_handle = B64.decode(public["user"]["id"].as_str().unwrap()).unwrap();
        assert_eq!(
            public["authenticatorSelection"]["residentKey"], "required",
            "a passkey is discoverable"
        );
        let passkey = Self {
            key,
            id,
            user_handle,
            counter: 0,
            origin: ORIGIN.into(),
        };
        let answer = passkey.attest(options);
        (passkey, answer)
    }

    /// Answers `navigator.credentials.create` with this credential (as an authenticator that
    /// ignored the exclusion list would).
    pub fn attest(&self, options: &Value) -> Value {
        let public = &options["publicKey"];
        let rp_id = public["rp"]["id"].as_str().unwrap();
        let passkey = self;
        let point = passkey.key.public_key().as_ref();
        let (x, y) = (&point[1..33], &point[33..65]);
        // COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y.
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        cose.extend_from_slice(x);
        cose.extend_from_slice(&[0x22, 0x58, 0x20]);
        cose.extend_from_slice(y);
        // Authenticator data: RP id hash, flags UP | UV | AT, counter, attested credential.
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(0x45);
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&(passkey.id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&passkey.id);
        auth_data.extend_from_slice(&cose);
        // {"fmt": "none", "attStmt": {}, "authData": …}
        let mut attestation = vec![0xa3];
        attestation.extend(cbor_text("fmt"));
        attestation.extend(cbor_text("none"));
        attestation.extend(cbor_text("attStmt"));
        attestation.push(0xa0);
        attestation.extend(cbor_text("authData"));
        attestation.extend(cbor_bytes(auth_data.len()));
        attestation.extend(auth_data);
        let client_data = json!({
            "type": "webauthn.create",
            "challenge": public["challenge"],
            "origin": passkey.origin,
            "crossOrigin": false,
        })
        .to_string();
        json!({
            "id": b64(&passkey.id),
            "rawId": b64(&passkey.id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(client_data.as_bytes()),
            },
            "extensions": {},
        })
    }

    /// Answers `navigator.credentials.get` for these options with the counter advanced.
    pub fn get(&mut self, options: &Value) -> Value {
        self.counter += 1;
        let counter = self.counter;
        self.sign(options, counter)
    }

    /// Answers with `counter` as the signature count, as a cloned authenticator would.
    pub fn sign(&self, options: &Value, counter: u32) -> Value {
        let public = &options["publicKey"];
        let rp_id = public["rpId"].as_str().unwrap();
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(0x05);
        auth_data.extend_from_slice(&counter.to_be_bytes());
        let client_data = json!({
            "type": "webauthn.get",
            "challenge": public["challenge"],
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string();
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let signature = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(client_data.as_bytes()),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&self.user_handle),
            },
            "extensions": {},
        })
    }
}
