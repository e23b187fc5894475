use super::*;

#[test]
fn secrets_and_keys_never_print() {
    let secret = SecretString::from("hunter2-token");
    assert_eq!(format!("{secret:?}"), "[redacted]");
    let master = MasterKeyRing::generate();
    let key = DataKey::unwrap(
        &master,
        WorkspaceId::new(),
        &wrap_new_key(&master),
        Some(&wrap_new_key(&master)),
    )
    .unwrap();
    assert_eq!(format!("{key:?}"), "DataKey { keys: 2, .. }");
    let token = key.encrypt_secret(secret.expose());
    assert_eq!(
        key.decrypt_secret(&token).unwrap().expose(),
        "hunter2-token"
    );
}

#[test]
fn next_key_encrypts_and_both_decrypt() {
    let master = MasterKeyRing::generate();
    let ws = WorkspaceId::new();
    let (current, next) = (wrap_new_key(&master), wrap_new_key(&master));
    let old = DataKey::unwrap(&master, ws, &current, None).unwrap();
    let both = DataKey::unwrap(&master, ws, &current, Some(&next)).unwrap();
    let fresh = DataKey::unwrap(&master, ws, &next, None).unwrap();
    let before = old.encrypt_secret("before");
    let during = both.encrypt_secret("during");
    assert_eq!(both.decrypt_secret(&before).unwrap().expose(), "before");
    assert_eq!(fresh.decrypt_secret(&during).unwrap().expose(), "during");
    assert!(old.decrypt_secret(&during).is_err());

    let err = DataKey::unwrap(&MasterKeyRing::generate(), ws, &current, None).unwrap_err();
    assert!(err.to_string().contains(&ws.to_string()), "{err}");
}
