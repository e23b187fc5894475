//! Two-factor sign-in: enrolment, the second step, replay, recovery codes, the lockout, key
//! rotation, and what a database dump holds afterwards.

mod common;

use bastion_core::{
    accounts::{self, SignInStep, User},
    keys::{Key, MasterKeyRing},
    secrets,
    sessions::Factor,
    testing::{master_keys, newest_mail, TestDb},
    two_factor::{self, code_at_step, step_at, TotpSecret},
    CoreError,
};
use common::{user, PASSWORD};
use sqlx::PgPool;

fn now_step() -> i64 {
    step_at(time::OffsetDateTime::now_utc().unix_timestamp())
}

fn secret_of(enrolment: &two_factor::Enrolment) -> TotpSecret {
    TotpSecret::from_base32(enrolment.secret.expose()).expect("base32")
}

/// Enrols `user` and answers the secret and the recovery codes.
async fn enrol(pool: &PgPool, user: &User) -> (TotpSecret, Vec<String>) {
    let enrolment = two_factor::begin_enrolment(pool, master_keys(), user)
        .await
        .unwrap();
    let secret = secret_of(&enrolment);
    let codes = two_factor::confirm_enrolment(
        pool,
        master_keys(),
        user,
        &code_at_step(secret.bytes(), now_step() - 1),
    )
    .await
    .unwrap();
    let codes = codes.0.iter().map(|c| c.expose().to_owned()).collect();
    (secret, codes)
}

async fn challenge(pool: &PgPool, email: &str) -> two_factor::Challenge {
    match accounts::sign_in(pool, email, PASSWORD, None)
        .await
        .unwrap()
    {
        Ok(SignInStep::SecondFactor(challenge)) => challenge,
        other => panic!("expected a second step, got {other:?}"),
    }
}

fn is_wrong_code(result: Result<impl std::fmt::Debug, CoreError>) {
    match result {
        Err(CoreError::Invalid { field: "code", .. }) => {}
        other => panic!("expected a wrong-code refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_needs_a_right_first_code_and_then_sign_in_needs_one_each_time() {
    let db = TestDb::new().await;
    let ada = user(&db.pool, "ada.totp@example.eu", "Ada").await;

    let enrolment = two_factor::begin_enrolment(&db.pool, master_keys(), &ada)
        .await
        .unwrap();
    let secret = secret_of(&enrolment);
    let s = now_step();
    // Shown again on reload, the same secret.
    let again = two_factor::pending_enrolment(&db.pool, master_keys(), &ada)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.secret, enrolment.secret);
    // A wrong first code changes nothing: sign-in still needs the password only.
    is_wrong_code(two_factor::confirm_enrolment(&db.pool, master_keys(), &ada, "000000").await);
    is_wrong_code(two_factor::confirm_enrolment(&db.pool, master_keys(), &ada, "not a code").await);
    assert!(!two_factor::enabled(&db.pool, ada.id).await.unwrap());
    assert!(matches!(
        accounts::sign_in(&db.pool, &ada.email, PASSWORD, None)
            .await
            .unwrap(),
        Ok(SignInStep::Done(_))
    ));

    let codes = two_factor::confirm_enrolment(
        &db.pool,
        master_keys(),
        &ada,
        &code_at_step(secret.bytes(), s),
    )
    .await
    .unwrap();
    assert_eq!(codes.0.len(), 10);
    let status = two_factor::status(&db.pool, ada.id).await.unwrap();
    assert!(status.enabled && !status.pending);
    assert_eq!(status.recovery_codes_left, 10);
    // Enrolling again is refused while it is on.
    assert!(matches!(
        two_factor::begin_enrolment(&db.pool, master_keys(), &ada).await,
        Err(CoreError::Conflict {
            code: "two_factor_on",
            ..
        })
    ));

    // The password alone now opens no session: a challenge, then the code.
    let first = challenge(&db.pool, &ada.email).await;
    // The code that confirmed enrolment was used: refused.
    is_wrong_code(
        two_factor::finish_sign_in(
            &db.pool,
            master_keys(),
            first.expose(),
            &code_at_step(secret.bytes(), s),
            None,
        )
        .await,
    );
    let next = code_at_step(secret.bytes(), s + 1);
    let (signed_in, factor) =
        two_factor::finish_sign_in(&db.pool, master_keys(), first.expose(), &next, None)
            .await
            .unwrap();
    assert_eq!((signed_in.id, factor), (ada.id, Factor::Totp));
    // The challenge is spent, and the code is not accepted again with a new one.
    assert!(matches!(
        two_factor::finish_sign_in(&db.pool, master_keys(), first.expose(), &next, None).await,
        Err(CoreError::Invalid {
            field: "challenge",
            ..
        })
    ));
    let second = challenge(&db.pool, &ada.email).await;
    is_wrong_code(
        two_factor::finish_sign_in(&db.pool, master_keys(), second.expose(), &next, None).await,
    );
    // Nor is an older code not yet used: steps only move forward.
    is_wrong_code(
        two_factor::finish_sign_in(
            &db.pool,
            master_keys(),
            second.expose(),
            &code_at_step(secret.bytes(), s - 1),
            None,
        )
        .await,
    );

    let events: Vec<String> = two_factor::events(&db.pool, ada.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(events, ["two_factor_enabled"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_code_works_once_is_recorded_and_mailed() {
    let db = TestDb::new().await;
    let bo = user(&db.pool, "bo.totp@example.eu", "Bo").await;
    let (_, codes) = enrol(&db.pool, &bo).await;

    let first = challenge(&db.pool, &bo.email).await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    let (_, factor) =
        two_factor::finish_sign_in(&db.pool, master_keys(), first.expose(), &typed, None)
            .await
            .unwrap();
    assert_eq!(factor, Factor::RecoveryCode);
    let mail = newest_mail(&db.pool, &bo.email).await;
    assert!(mail.contains("recovery codes was just used"), "{mail}");
    assert!(mail.contains("9 unused codes are left"), "{mail}");
    assert_eq!(
        two_factor::status(&db.pool, bo.id)
            .await
            .unwrap()
            .recovery_codes_left,
        9
    );

    let second = challenge(&db.pool, &bo.email).await;
    is_wrong_code(
        two_factor::finish_sign_in(&db.pool, master_keys(), second.expose(), &codes[3], None).await,
    );
    let kinds: Vec<String> = two_factor::events(&db.pool, bo.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.contains(&"recovery_code_used".to_owned()),
        "{kinds:?}"
    );

    // New codes need the password and a code; the old ones then stop working.
    assert!(matches!(
        two_factor::regenerate_recovery_codes(
            &db.pool,
            master_keys(),
            &bo,
            "not the password",
            &codes[4]
        )
        .await,
        Err(CoreError::Invalid {
            field: "password",
            ..
        })
    ));
    let fresh =
        two_factor::regenerate_recovery_codes(&db.pool, master_keys(), &bo, PASSWORD, &codes[4])
            .await
            .unwrap();
    assert_eq!(fresh.0.len(), 10);
    let third = challenge(&db.pool, &bo.email).await;
    is_wrong_code(
        two_factor::finish_sign_in(&db.pool, master_keys(), third.expose(), &codes[5], None).await,
    );

    // Turning it off needs the password and a code too; then the password alone signs in.
    is_wrong_code(two_factor::disable(&db.pool, master_keys(), &bo, PASSWORD, "123456").await);
    assert!(two_factor::enabled(&db.pool, bo.id).await.unwrap());
    two_factor::disable(&db.pool, master_keys(), &bo, PASSWORD, fresh.0[0].expose())
        .await
        .unwrap();
    assert!(matches!(
        accounts::sign_in(&db.pool, &bo.email, PASSWORD, None)
            .await
            .unwrap(),
        Ok(SignInStep::Done(_))
    ));
    let kinds: Vec<String> = two_factor::events(&db.pool, bo.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds[0], "two_factor_disabled", "{kinds:?}");
    assert!(kinds.contains(&"recovery_codes_regenerated".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_count_toward_the_account_lockout() {
    let db = TestDb::new().await;
    let cy = user(&db.pool, "cy.totp@example.eu", "Cy").await;
    let (secret, _) = enrol(&db.pool, &cy).await;
    // Each challenge allows five codes; the account locks at the tenth failure whatever the
    // challenge, and a right password does not reset the count while a code is owed.
    for _ in 0..2 {
        let c = challenge(&db.pool, &cy.email).await;
        for _ in 0..5 {
            is_wrong_code(
                two_factor::finish_sign_in(&db.pool, master_keys(), c.expose(), "000000", None)
                    .await,
            );
        }
        assert!(matches!(
            two_factor::finish_sign_in(&db.pool, master_keys(), c.expose(), "000000", None).await,
            Err(CoreError::Invalid {
                field: "challenge",
                ..
            })
        ));
    }
    match accounts::sign_in(&db.pool, &cy.email, PASSWORD, None)
        .await
        .unwrap()
    {
        Err(accounts::SignInRefused::TooManyAttempts(_)) => {}
        other => panic!("expected the lock, got {other:?}"),
    }
    // Locked: even the right code is refused now, with the time to wait.
    assert!(
        bastion_core::limits::account_locked_for(&db.pool, &cy.email)
            .await
            .unwrap()
            .is_some()
    );
    let owed = {
        // A challenge made before the lock would still be refused; none can be made during it.
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pending_sign_ins WHERE attempts < 5")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    assert_eq!(owed, 0);
    assert!(matches!(
        two_factor::disable(
            &db.pool,
            master_keys(),
            &cy,
            PASSWORD,
            &code_at_step(secret.bytes(), now_step() + 1)
        )
        .await,
        Err(CoreError::RateLimited { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_rotation_reseals_secrets_and_a_dump_holds_no_secret_or_code() {
    let db = TestDb::new().await;
    let (old, new) = (Key::generate(), Key::generate());
    let old_ring = MasterKeyRing::new(vec![old.clone()]).unwrap();
    let di = user(&db.pool, "di.totp@example.eu", "Di").await;
    let enrolment = two_factor::begin_enrolment(&db.pool, &old_ring, &di)
        .await
        .unwrap();
    let secret = secret_of(&enrolment);
    let codes = two_factor::confirm_enrolment(
        &db.pool,
        &old_ring,
        &di,
        &code_at_step(secret.bytes(), now_step()),
    )
    .await
    .unwrap();

    let both = MasterKeyRing::new(vec![new.clone(), old]).unwrap();
    let report =
        secrets::rotate_master_keys(&db.pool, &both, |_| std::ops::ControlFlow::Continue(()))
            .await
            .unwrap();
    assert_eq!(report.totp_resealed, 1);
    // Only the new key is needed now: the secret still checks codes.
    let new_only = MasterKeyRing::new(vec![new]).unwrap();
    let c = challenge(&db.pool, &di.email).await;
    two_factor::finish_sign_in(
        &db.pool,
        &new_only,
        c.expose(),
        &code_at_step(secret.bytes(), now_step() + 1),
        None,
    )
    .await
    .unwrap();

    let dump = db.pg_dump();
    assert!(dump.contains("user_totp") && dump.contains("recovery_codes"));
    let sealed: String =
        sqlx::query_scalar("SELECT secret_sealed FROM user_totp WHERE user_id = $1")
            .bind(di.id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(dump.contains(&sealed), "the sealed secret is in the dump");
    use base64::Engine;
    let b32 = enrolment.secret.expose().to_owned();
    let mut forbidden = vec![
        b32.clone(),
        b32.to_lowercase(),
        b32[..16].to_owned(),
        secret.bytes().iter().map(|b| format!("{b:02x}")).collect(),
        base64::engine::general_purpose::STANDARD.encode(secret.bytes()),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret.bytes()),
    ];
    for code in &codes.0 {
        let code = code.expose();
        forbidden.push(code.to_owned());
        forbidden.push(code.replace('-', ""));
        forbidden.push(code.to_uppercase());
        forbidden.push(code.replace('-', "").to_uppercase());
        forbidden.push(code.bytes().map(|b| format!("{b:02x}")).collect());
    }
    for needle in &forbidden {
        assert!(
            !dump.to_lowercase().contains(&needle.to_lowercase()),
            "the dump contains {needle}"
        );
    }
}
