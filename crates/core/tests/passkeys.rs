//! Passkeys against a software authenticator (`testing::soft_passkey`: P-256, "none"
//! attestation, real signatures and counters): adding, signing in without a password, the second step after a
//! password, and the refusals: a replayed or foreign challenge, another account's credential, a
//! removed credential, a signature counter going backwards, a locked account.

mod common;

use bastion_core::{
    accounts::{self, SignInStep, User},
    limits,
    passkeys::{self, RelyingParty, Started},
    sessions::Factor,
    testing::{
        master_keys, newest_mail,
        soft_passkey::{SoftPasskey, ORIGIN},
        TestDb,
    },
    two_factor, CoreError,
};
use common::{user, PASSWORD};
use sqlx::PgPool;

fn rp() -> RelyingParty {
    RelyingParty::for_origin("http://127.0.0.1:3000", true).unwrap()
}

/// Adds a passkey to `user` and answers it.
async fn add_passkey(pool: &PgPool, user: &User, name: &str) -> SoftPasskey {
    let started = passkeys::begin_registration(pool, &rp(), user)
        .await
        .unwrap();
    let (passkey, answer) = SoftPasskey::create(&started.options);
    passkeys::finish_registration(
        pool,
        master_keys(),
        &rp(),
        user,
        started.ceremony.expose(),
        &answer,
        name,
    )
    .await
    .unwrap();
    passkey
}

async fn begin_sign_in(pool: &PgPool) -> Started {
    passkeys::begin_sign_in(pool, &rp(), None).await.unwrap()
}

fn is_refused<T: std::fmt::Debug>(result: Result<T, CoreError>, field: &str) {
    match result {
        Err(CoreError::Invalid { field: f, .. }) if f == field => {}
        other => panic!("expected a refusal of {field}, got {other:?}"),
    }
}

async fn events(pool: &PgPool, user: &User) -> Vec<String> {
    two_factor::events(pool, user.id, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_is_added_listed_signs_in_without_a_password_and_is_removed() {
    let db = TestDb::new().await;
    let ada = user(&db.pool, "ada.passkey@example.eu", "Ada").await;
    assert!(passkeys::list(&db.pool, ada.id).await.unwrap().is_empty());

    let mut passkey = add_passkey(&db.pool, &ada, "  Laptop ").await;
    let listed = passkeys::list(&db.pool, ada.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "Laptop");
    assert!(listed[0].last_used_at.is_none());
    assert_eq!(events(&db.pool, &ada).await, ["passkey_added"]);
    // The owner is told, since a session alone may add one.
    let mail = newest_mail(&db.pool, "ada.passkey@example.eu").await;
    assert!(mail.contains("“Laptop” was added"), "{mail}");

    // No email, no password: the passkey says whose it is.
    let started = begin_sign_in(&db.pool).await;
    assert!(
        started.options["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "{}",
        started.options
    );
    let answer = passkey.get(&started.options);
    let (signed_in, factor) =
        passkeys::finish_sign_in(&db.pool, &rp(), started.ceremony.expose(), &answer, None)
            .await
            .unwrap();
    assert_eq!(signed_in.id, ada.id);
    assert_eq!(factor, Factor::Passkey);
    let listed = passkeys::list(&db.pool, ada.id).await.unwrap();
    assert!(listed[0].last_used_at.is_some());

    // The same answer again: the ceremony was spent.
    is_refused(
        passkeys::finish_sign_in(&db.pool, &rp(), started.ceremony.expose(), &answer, None).await,
        "ceremony",
    );

    // Removed: it signs in no more, and another account cannot remove what is not theirs.
    let bo = user(&db.pool, "bo.passkey@example.eu", "Bo").await;
    assert!(matches!(
        passkeys::remove(&db.pool, master_keys(), &bo, listed[0].id).await,
        Err(CoreError::NotFound(_))
    ));
    passkeys::remove(&db.pool, master_keys(), &ada, listed[0].id)
        .await
        .unwrap();
    assert_eq!(
        events(&db.pool, &ada).await,
        ["passkey_removed", "passkey_added"]
    );
    let mail = newest_mail(&db.pool, "ada.passkey@example.eu").await;
    assert!(mail.contains("“Laptop” was removed"), "{mail}");
    let started = begin_sign_in(&db.pool).await;
    let answer = passkey.get(&started.options);
    is_refused(
        passkeys::finish_sign_in(&db.pool, &rp(), started.ceremony.expose(), &answer, None).await,
        "credential",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_challenges_foreign_credentials_and_backward_counters_are_refused() {
    let db = TestDb::new().await;
    let ada = user(&db.pool, "ada.refusals@example.eu", "Ada").await;
    let bo = user(&db.pool, "bo.refusals@example.eu", "Bo").await;
    let mut ada_key = add_passkey(&db.pool, &ada, "Ada's").await;
    let mut bo_key = add_passkey(&db.pool, &bo, "Bo's").await;

    // An answer signed over another ceremony's challenge.
    let first = begin_sign_in(&db.pool).await;
    let second = begin_sign_in(&db.pool).await;
    let answer = ada_key.get(&first.options);
    is_refused(
        passkeys::finish_sign_in(&db.pool, &rp(), second.ceremony.expose(), &answer, None).await,
        "credential",
    );
    // An unknown ceremony id.
    is_refused(
        passkeys::finish_sign_in(&db.pool, &rp(), "no-such-ceremony", &answer, None).await,
        "ceremony",
    );
    // An answer from another origin (a phishing site relaying the challenge).
    let started = begin_sign_in(&db.pool).await;
    ada_key.origin = "http://localhost:4000".into();
    let phished = ada_key.get(&started.options);
    ada_key.origin = ORIGIN.into();
    is_refused(
        passkeys::finish_sign_in(&db.pool, &rp(), started.ceremony.expose(), &phished, None).await,
        "credential",
    );

    // Bo's credential claiming to be Ada's account (the user handle says Ada).
    let started = begin_sign_in(&db.pool).await;
    let handle = bo_key.user_handle.clone();
    bo_key.user_handle = ada_key.user_handle.clone();
    let claimed = bo_key.get(&started.options);
    bo_key.user_handle = handle;
    is_refused(
        passkeys::finish_sign_in(&db.pool, &rp(), started.ceremony.expose(), &claimed, None).await,
        "credential",
    );

    // The signature counter: 1 was used above; 5 now, then 3 (a clone) is refused, and so is
    // 5 again.
    let started = begin_sign_in(&db.pool).await;
    let ahead = ada_key.sign(&started.options, 5);
    passkeys::finish_sign_in(&db.pool, &rp(), started.ceremony.expose(), &ahead, None)
        .await
        .unwrap();
    for count in [3, 5] {
        let started = begin_sign_in(&db.pool).await;
        let behind = ada_key.sign(&started.options, count);
        is_refused(
            passkeys::finish_sign_in(&db.pool, &rp(), started.ceremony.expose(), &behind, None)
                .await,
            "credential",
        );
    }
    let started = begin_sign_in(&db.pool).await;
    let onward = ada_key.sign(&started.options, 6);
    passkeys::finish_sign_in(&db.pool, &rp(), started.ceremony.expose(), &onward, None)
        .await
        .unwrap();

    // One authenticator credential belongs to one account: Bo cannot register Ada's again.
    let started = passkeys::begin_registration(&db.pool, &rp(), &bo)
        .await
        .unwrap();
    let answer = ada_key.attest(&started.options);
    match passkeys::finish_registration(
        &db.pool,
        master_keys(),
        &rp(),
        &bo,
        started.ceremony.expose(),
        &answer,
        "",
    )
    .await
    {
        Err(CoreError::Conflict {
            code: "passkey_registered",
            ..
        }) => {}
        other => panic!("expected passkey_registered, got {other:?}"),
    }
    // A registration answered for another account's ceremony is refused.
    let started = passkeys::begin_registration(&db.pool, &rp(), &ada)
        .await
        .unwrap();
    let (_, answer) = SoftPasskey::create(&started.options);
    is_refused(
        passkeys::finish_registration(
            &db.pool,
            master_keys(),
            &rp(),
            &bo,
            started.ceremony.expose(),
            &answer,
            "",
        )
        .await,
        "ceremony",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_account_is_refused_however_right_the_passkey() {
    let db = TestDb::new().await;
    let ada = user(&db.pool, "ada.locked@example.eu", "Ada").await;
    let mut passkey = add_passkey(&db.pool, &ada, "").await;
    for _ in 0..limits::LOCKOUT_FAILURES {
        limits::record_login_failure(&db.pool, &ada.email)
            .await
            .unwrap();
    }
    let started = begin_sign_in(&db.pool).await;
    let answer = passkey.get(&started.options);
    match passkeys::finish_sign_in(&db.pool, &rp(), started.ceremony.expose(), &answer, None).await
    {
        Err(CoreError::RateLimited { .. }) => {}
        other => panic!("expected the lock, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_passkey_a_password_alone_no_longer_signs_in_and_the_passkey_finishes_it() {
    let db = TestDb::new().await;
    let ada = user(&db.pool, "ada.second@example.eu", "Ada").await;
    let bo = user(&db.pool, "bo.second@example.eu", "Bo").await;
    let mut passkey = add_passkey(&db.pool, &ada, "Phone").await;
    let mut bo_key = add_passkey(&db.pool, &bo, "Bo's").await;
    assert!(two_factor::has_second_factor(&db.pool, ada.id)
        .await
        .unwrap());
    assert!(!two_factor::enabled(&db.pool, ada.id).await.unwrap());

    let challenge = match accounts::sign_in(&db.pool, &ada.email, PASSWORD, None)
        .await
        .unwrap()
    {
        Ok(SignInStep::SecondFactor(challenge)) => challenge,
        other => panic!("expected a second step, got {other:?}"),
    };
    let choices = two_factor::challenge_factors(&db.pool, challenge.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(choices.passkey && !choices.code);

    // Bo's passkey does not finish Ada's sign-in.
    let started = passkeys::begin_second_factor(&db.pool, &rp(), challenge.expose())
        .await
        .unwrap();
    let foreign = bo_key.get(&started.options);
    is_refused(
        passkeys::finish_second_factor(
            &db.pool,
            &rp(),
            challenge.expose(),
            started.ceremony.expose(),
            &foreign,
            None,
        )
        .await,
        "credential",
    );

    // Ada's does, once.
    let started = passkeys::begin_second_factor(&db.pool, &rp(), challenge.expose())
        .await
        .unwrap();
    let answer = passkey.get(&started.options);
    let (signed_in, factor) = passkeys::finish_second_factor(
        &db.pool,
        &rp(),
        challenge.expose(),
        started.ceremony.expose(),
        &answer,
        None,
    )
    .await
    .unwrap();
    assert_eq!((signed_in.id, factor), (ada.id, Factor::PasswordPasskey));
    assert_eq!(events(&db.pool, &ada).await[0], "passkey_used");
    // The challenge is spent with it.
    is_refused(
        passkeys::begin_second_factor(&db.pool, &rp(), challenge.expose()).await,
        "challenge",
    );
    // A ceremony of the second step is not a passwordless sign-in.
    let challenge = match accounts::sign_in(&db.pool, &ada.email, PASSWORD, None)
        .await
        .unwrap()
    {
        Ok(SignInStep::SecondFactor(challenge)) => challenge,
        other => panic!("expected a second step, got {other:?}"),
    };
    let started = passkeys::begin_second_factor(&db.pool, &rp(), challenge.expose())
        .await
        .unwrap();
    let answer = passkey.get(&started.options);
    is_refused(
        passkeys::finish_sign_in(&db.pool, &rp(), started.ceremony.expose(), &answer, None).await,
        "ceremony",
    );
}
