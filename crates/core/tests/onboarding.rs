//! Coming in: signup with an encrypted pending payload and an emailed code, and invitations by
//! link. Codes and links are read from the real outbox.

mod common;

use bastion_core::{
    accounts,
    invitations::{self, Acceptor},
    keys::MasterKeyRing,
    members, secrets, sessions,
    signups::{self, SignupForm, SignupLimits},
    testing::{master_keys, TestDb},
    workspaces, CoreError, Role, Viewer,
};
use bastion_fernet::Key;
use bastion_i18n::Locale;
use common::{join, session_count, user, workspace, PASSWORD};
use sqlx::PgPool;
use time::Duration;

fn form<'a>(email: &'a str, workspace_name: &'a str) -> SignupForm<'a> {
    SignupForm {
        email,
        name: "Ada Lovelace",
        password: PASSWORD,
        workspace_name,
        locale: Locale::En,
        origin: "http://127.0.0.1:3000",
    }
}

async fn last_mail(pool: &PgPool, to: &str) -> String {
    bastion_core::testing::newest_mail(pool, to).await
}

/// The first run of six digits in the newest message to `to`.
async fn code_for(pool: &PgPool, to: &str) -> String {
    six_digits(last_mail(pool, to).await)
}

fn six_digits(body: String) -> String {
    let bytes = body.as_bytes();
    (0..bytes.len().saturating_sub(5))
        .find(|&i| bytes[i..i + 6].iter().all(u8::is_ascii_digit))
        .map(|i| body[i..i + 6].to_owned())
        .unwrap_or_else(|| panic!("no code in {body}"))
}

async fn start(db: &TestDb, email: &str) -> uuid::Uuid {
    signups::start(
        &db.pool,
        master_keys(),
        form(email, "Acme Research"),
        None,
        SignupLimits::default(),
    )
    .await
    .unwrap()
}

fn is_wrong_code(err: CoreError) -> bool {
    matches!(err, CoreError::Invalid { field: "code", .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signup_in_french_is_mailed_in_french_and_the_account_keeps_french() {
    let db = TestDb::new().await;
    let id = signups::start(
        &db.pool,
        master_keys(),
        SignupForm {
            locale: Locale::Fr,
            ..form("chloe@example.eu", "Atelier Chloé")
        },
        None,
        SignupLimits::default(),
    )
    .await
    .unwrap();
    let mail = last_mail(&db.pool, "chloe@example.eu").await;
    assert!(mail.contains("Votre code"), "{mail}");
    assert!(!mail.contains("Your code"), "{mail}");
    let code = code_for(&db.pool, "chloe@example.eu").await;
    let (user, _) = signups::confirm(&db.pool, master_keys(), id, &code)
        .await
        .unwrap();
    assert_eq!(user.locale, "fr-BE");

    // The next email follows the saved language once it changes.
    accounts::set_locale(&db.pool, user.id, Locale::Nl)
        .await
        .unwrap();
    bastion_core::resets::request_reset(&db.pool, master_keys(), "chloe@example.eu", None)
        .await
        .unwrap();
    let mail = last_mail(&db.pool, "chloe@example.eu").await;
    assert!(mail.contains("Uw code"), "{mail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_signup_creates_the_user_the_workspace_and_the_admin_membership() {
    let db = TestDb::new().await;
    let id = start(&db, "Ada@Example.eu").await;
    assert!(
        accounts::find_user_by_email(&db.pool, "ada@example.eu")
            .await
            .unwrap()
            .is_none(),
        "nothing exists before the code is confirmed"
    );
    let code = code_for(&db.pool, "ada@example.eu").await;
    let (user, workspace) = signups::confirm(&db.pool, master_keys(), id, &code)
        .await
        .unwrap();

    assert_eq!(user.email, "ada@example.eu");
    assert_eq!(
        (workspace.name.as_str(), workspace.slug.as_str()),
        ("Acme Research", "acme-research")
    );
    let (_, role, tx) = members::open_as_member(&db.pool, user.id, &workspace.slug)
        .await
        .unwrap()
        .expect("the new user is a member");
    tx.rollback().await.unwrap();
    assert_eq!(role, "admin");
    assert!(accounts::authenticate(&db.pool, "ada@example.eu", PASSWORD)
        .await
        .unwrap()
        .is_some());
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pending_signups")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the encrypted payload is gone once used");
    // Single use.
    let again = signups::confirm(&db.pool, master_keys(), id, &code)
        .await
        .unwrap_err();
    assert!(is_wrong_code(again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pending_payload_is_ciphertext_that_the_master_key_opens() {
    let db = TestDb::new().await;
    start(&db, "grace@example.eu").await;
    let (payload, digest): (String, Vec<u8>) =
        sqlx::query_as("SELECT payload, email_digest FROM pending_signups")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(payload.starts_with("gAAAAA"), "a Fernet token: {payload}");
    for plaintext in ["grace", "Ada Lovelace", "Acme", "argon2id"] {
        assert!(!payload.contains(plaintext), "{plaintext} leaks");
    }
    assert!(!String::from_utf8_lossy(&digest).contains("grace"));
    // The outbox holds the address, and the code sealed under the master key until the message
    // is sent (then the body goes); the password hash is nowhere in plaintext.
    let dump = db.pg_dump();
    assert!(!dump.contains("$argon2id$"), "no password hash in a dump");
    assert!(
        dump.contains("grace@example.eu"),
        "the outbox names the recipient"
    );
    assert!(
        !dump.contains("confirm your Bastion account"),
        "no mail body in a dump"
    );
    assert!(
        bastion_core::testing::newest_mail(&db.pool, "grace@example.eu")
            .await
            .contains("confirm your Bastion account")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_wrong_codes_evaluate_at_most_five_then_the_code_is_dead() {
    let db = TestDb::new().await;
    let id = start(&db, "eve@example.eu").await;
    let code = code_for(&db.pool, "eve@example.eu").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let guesses = (0..50).map(|_| {
        let pool = db.pool.clone();
        tokio::spawn(async move { signups::confirm(&pool, master_keys(), id, wrong).await })
    });
    for guess in futures::future::join_all(guesses).await {
        assert!(is_wrong_code(guess.unwrap().unwrap_err()));
    }
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM pending_signups WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(attempts, signups::MAX_ATTEMPTS);
    let late = signups::confirm(&db.pool, master_keys(), id, &code)
        .await
        .unwrap_err();
    assert!(
        is_wrong_code(late),
        "the right code no longer works after 5 attempts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_lives_fifteen_minutes_and_a_newer_signup_replaces_it() {
    let db = TestDb::new().await;
    let first = start(&db, "lin@example.eu").await;
    let first_code = code_for(&db.pool, "lin@example.eu").await;
    let second = start(&db, "lin@example.eu").await;
    let second_code = code_for(&db.pool, "lin@example.eu").await;
    assert!(is_wrong_code(
        signups::confirm(&db.pool, master_keys(), first, &first_code)
            .await
            .unwrap_err()
    ));
    let expires: time::OffsetDateTime =
        sqlx::query_scalar("SELECT expires_at - interval '1 second' FROM pending_signups")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let lifetime = expires - time::OffsetDateTime::now_utc();
    assert!(
        lifetime > Duration::minutes(14) && lifetime < Duration::minutes(15),
        "{lifetime}"
    );
    sqlx::query("UPDATE pending_signups SET expires_at = now() - interval '1 second'")
        .execute(&db.pool)
        .await
        .unwrap();
    assert!(is_wrong_code(
        signups::confirm(&db.pool, master_keys(), second, &second_code)
            .await
            .unwrap_err()
    ));
    assert_eq!(signups::delete_expired(&db.pool).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_up_with_a_taken_address_looks_the_same_and_creates_nothing() {
    let db = TestDb::new().await;
    accounts::create_user(&db.pool, "taken@example.eu", "Taken", PASSWORD)
        .await
        .unwrap();
    let id = start(&db, "taken@example.eu").await;
    let note = last_mail(&db.pool, "taken@example.eu").await;
    assert!(note.contains("already has an account"), "{note}");
    for code in ["000000", "123456"] {
        assert!(is_wrong_code(
            signups::confirm(&db.pool, master_keys(), id, code)
                .await
                .unwrap_err()
        ));
    }
    assert!(workspaces::list_workspaces(&db.pool)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signup_fields_are_named_and_nothing_is_sent() {
    let db = TestDb::new().await;
    let cases = [
        (
            SignupForm {
                email: "nope",
                ..form("x@example.eu", "W")
            },
            "email",
        ),
        (
            SignupForm {
                name: " ",
                ..form("x@example.eu", "W")
            },
            "name",
        ),
        (
            SignupForm {
                password: "short",
                ..form("x@example.eu", "W")
            },
            "password",
        ),
        (form("x@example.eu", "   "), "workspace_name"),
    ];
    for (form, field) in cases {
        let err = signups::start(&db.pool, master_keys(), form, None, SignupLimits::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, CoreError::Invalid { field: f, .. } if f == field),
            "{field}: {err}"
        );
    }
    let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(sent, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signups_are_limited_per_address_and_per_domain() {
    let db = TestDb::new().await;
    let limits = SignupLimits {
        per_ip: 3,
        per_domain: 2,
        window: Duration::hours(1),
    };
    let ip: std::net::IpAddr = "192.0.2.7".parse().unwrap();
    let mut outcomes = Vec::new();
    for n in 0..3 {
        let email = format!("p{n}@same.example");
        let outcome =
            signups::start(&db.pool, master_keys(), form(&email, "W"), None, limits).await;
        assert!(
            matches!(outcome, Ok(_) | Err(CoreError::RateLimited { .. })),
            "{outcome:?}"
        );
        outcomes.push(outcome.is_ok());
    }
    assert_eq!(
        outcomes,
        [true, true, false],
        "the third signup for one domain is refused"
    );
    let mut from_ip = Vec::new();
    for n in 0..4 {
        let email = format!("q@domain{n}.example");
        let outcome =
            signups::start(&db.pool, master_keys(), form(&email, "W"), Some(ip), limits).await;
        from_ip.push(match outcome {
            Ok(_) => None,
            Err(CoreError::RateLimited { retry_after_secs }) => {
                Some(Duration::seconds(retry_after_secs as i64))
            }
            Err(other) => panic!("{other}"),
        });
    }
    assert!(from_ip[..3].iter().all(Option::is_none));
    let wait = from_ip[3].expect("the fourth signup from one address is refused");
    assert!(
        wait > Duration::minutes(59) && wait <= Duration::hours(1),
        "{wait}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_key_rotation_re_encrypts_pending_signups() {
    let db = TestDb::new().await;
    let (old, new) = (Key::generate(), Key::generate());
    let old_ring = MasterKeyRing::new(vec![old.clone()]).unwrap();
    let id = signups::start(
        &db.pool,
        &old_ring,
        form("rot@example.eu", "Rotated"),
        None,
        SignupLimits::default(),
    )
    .await
    .unwrap();
    let code = six_digits(
        bastion_core::testing::newest_mail_under(&db.pool, &old_ring, "rot@example.eu").await,
    );
    let both = MasterKeyRing::new(vec![new.clone(), old]).unwrap();
    let report =
        secrets::rotate_master_keys(&db.pool, &both, |_| std::ops::ControlFlow::Continue(()))
            .await
            .unwrap();
    assert_eq!(report.signups_rewrapped, 1);
    assert_eq!(report.mail_resealed, 1, "the unsent code's message");
    let new_only = MasterKeyRing::new(vec![new]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sent = bastion_core::mail::deliver_to_folder(&db.pool, &new_only, dir.path(), 10)
        .await
        .unwrap();
    assert_eq!(sent, 1, "the old key is no longer needed to send it");
    let (user, _) = signups::confirm(&db.pool, &new_only, id, &code)
        .await
        .unwrap();
    assert_eq!(user.email, "rot@example.eu");
}

async fn workspace_with_admin(db: &TestDb) -> (workspaces::Workspace, accounts::User) {
    let ws = workspace(&db.pool, "acme").await;
    let admin = user(&db.pool, "admin@example.eu", "Admin").await;
    join(&db.pool, &ws, admin.id, "admin").await;
    (ws, admin)
}

/// The workspace's admin as core actions take the caller.
fn admin_of(admin: &accounts::User) -> Viewer {
    Viewer::new(admin.id, Role::Admin)
}

/// Where invitation links point.
const BASE: &str = "https://bastion.example";

/// The workspace's admin invites `email` as `role`, panicking with the reason if refused.
async fn invite(
    db: &TestDb,
    ws: &workspaces::Workspace,
    admin: &accounts::User,
    email: &str,
    role: &str,
) -> invitations::Invitation {
    invitations::invite(
        &db.pool,
        master_keys(),
        ws,
        admin_of(admin),
        admin,
        invitations::Invitee { email, role },
        BASE,
    )
    .await
    .unwrap_or_else(|e| panic!("invite {email}: {e}"))
}

/// Whether the invitation link with `token` still opens.
async fn link_opens(db: &TestDb, token: &str) -> bool {
    invitations::open(&db.pool, token)
        .await
        .expect("open invitation")
        .is_some()
}

fn token_in(body: &str) -> String {
    let at = body.find("/invite/").expect("a link") + "/invite/".len();
    body[at..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_newcomer_accepts_once_with_the_invited_role() {
    let db = TestDb::new().await;
    let (ws, admin) = workspace_with_admin(&db).await;
    invite(&db, &ws, &admin, "New@Example.eu", "guest").await;
    let body = last_mail(&db.pool, "new@example.eu").await;
    assert!(body.contains("https://bastion.example/invite/"), "{body}");
    let token = token_in(&body);
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM invitations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_ne!(stored, token.as_bytes(), "only a digest is stored");

    let open = invitations::open(&db.pool, &token)
        .await
        .unwrap()
        .expect("open");
    assert_eq!(
        (
            open.workspace.slug.as_str(),
            open.invitation.role.as_str(),
            open.has_account
        ),
        ("acme", "guest", false)
    );
    let weak = invitations::accept(
        &db.pool,
        &token,
        Acceptor::Newcomer {
            name: "New",
            password: "short",
            locale: Locale::En,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(
        weak,
        CoreError::Invalid {
            field: "password",
            ..
        }
    ));
    let (user, joined) = invitations::accept(
        &db.pool,
        &token,
        Acceptor::Newcomer {
            name: "New Person",
            password: PASSWORD,
            locale: Locale::Fr,
        },
    )
    .await
    .unwrap();
    assert_eq!(joined.id, ws.id);
    assert_eq!(
        user.locale, "fr-BE",
        "the account keeps the page's language"
    );
    let (_, role, tx) = members::open_as_member(&db.pool, user.id, "acme")
        .await
        .unwrap()
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(role, "guest");
    assert!(!link_opens(&db, &token).await, "used links are dead");
    let twice = invitations::accept(&db.pool, &token, Acceptor::SignedIn(&user))
        .await
        .unwrap_err();
    assert!(matches!(twice, CoreError::NotFound(_)));
}

/// An invitation sent before its invitee became the workspace's last admin cannot demote them:
/// accepting it is refused with `last_admin`, their role stays, and the link stays open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_an_invitation_cannot_demote_the_last_admin() {
    let db = TestDb::new().await;
    let (ws, admin) = workspace_with_admin(&db).await;
    invite(&db, &ws, &admin, "bob@example.eu", "member").await;
    let token = token_in(&last_mail(&db.pool, "bob@example.eu").await);
    let bob = user(&db.pool, "bob@example.eu", "Bob").await;
    // Meanwhile Bob was made an admin by the operator, and the first admin stepped down.
    join(&db.pool, &ws, bob.id, "admin").await;
    join(&db.pool, &ws, admin.id, "member").await;

    let refused = invitations::accept(&db.pool, &token, Acceptor::SignedIn(&bob))
        .await
        .unwrap_err();
    assert!(matches!(refused, CoreError::LastAdmin), "{refused}");
    let (_, role, tx) = members::open_as_member(&db.pool, bob.id, "acme")
        .await
        .unwrap()
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(role, "admin");
    assert!(
        link_opens(&db, &token).await,
        "a refused acceptance uses nothing up"
    );

    // With another admin beside him, the same link now works and makes him a member.
    join(&db.pool, &ws, admin.id, "admin").await;
    invitations::accept(&db.pool, &token, Acceptor::SignedIn(&bob))
        .await
        .unwrap();
    let (_, role, tx) = members::open_as_member(&db.pool, bob.id, "acme")
        .await
        .unwrap()
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(role, "member");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_expire_are_replaced_and_revoked_and_bind_to_their_address() {
    let db = TestDb::new().await;
    let (ws, admin) = workspace_with_admin(&db).await;
    invite(&db, &ws, &admin, "bob@example.eu", "member").await;
    let first = token_in(&last_mail(&db.pool, "bob@example.eu").await);
    let replaced = invite(&db, &ws, &admin, "bob@example.eu", "member").await;
    let second = token_in(&last_mail(&db.pool, "bob@example.eu").await);
    assert!(
        !link_opens(&db, &first).await,
        "the older link stops working"
    );
    assert_eq!(
        invitations::list_open(&db.pool, &ws, admin_of(&admin))
            .await
            .unwrap(),
        vec![replaced.clone()]
    );

    // Signed in as someone else: refused, and the link still works for Bob.
    let carol = user(&db.pool, "carol@example.eu", "Carol").await;
    let wrong = invitations::accept(&db.pool, &second, Acceptor::SignedIn(&carol))
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, CoreError::Conflict { message: ref m, .. } if m.contains("bob@example.eu")),
        "{wrong}"
    );
    assert!(link_opens(&db, &second).await);

    sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(replaced.id)
        .execute(&db.pool)
        .await
        .unwrap();
    assert!(!link_opens(&db, &second).await, "expired");

    let third = invite(&db, &ws, &admin, "bob@example.eu", "member").await;
    invitations::revoke(&db.pool, &ws, admin_of(&admin), third.id)
        .await
        .unwrap();
    let revoked = token_in(&last_mail(&db.pool, "bob@example.eu").await);
    assert!(!link_opens(&db, &revoked).await, "revoked");
    assert!(matches!(
        invitations::revoke(&db.pool, &ws, admin_of(&admin), third.id).await,
        Err(CoreError::NotFound(_))
    ));

    // Existing members need no invitation.
    let already = invitations::invite(
        &db.pool,
        master_keys(),
        &ws,
        admin_of(&admin),
        &admin,
        invitations::Invitee {
            email: "admin@example.eu",
            role: "member",
        },
        BASE,
    )
    .await
    .unwrap_err();
    assert!(matches!(already, CoreError::Conflict { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_only_workspace_ends_the_sessions() {
    let db = TestDb::new().await;
    let (ws, admin) = workspace_with_admin(&db).await;
    let other = workspace(&db.pool, "other").await;
    let solo = user(&db.pool, "solo@example.eu", "Solo").await;
    let multi = user(&db.pool, "multi@example.eu", "Multi").await;
    for user in [&solo, &multi] {
        join(&db.pool, &ws, user.id, "member").await;
        sessions::create(&db.pool, user.id, None).await.unwrap();
    }
    join(&db.pool, &other, multi.id, "member").await;
    for user in [&solo, &multi] {
        members::remove_member(&db.pool, &ws, admin_of(&admin), user.id)
            .await
            .unwrap();
    }
    assert_eq!(session_count(&db.pool, solo.id).await, 0);
    assert_eq!(session_count(&db.pool, multi.id).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_message_loses_its_body_and_a_failed_one_stays_queued() {
    let db = TestDb::new().await;
    start(&db, "mail@example.eu").await;
    let failed = bastion_core::mail::deliver(&db.pool, master_keys(), 10, |_| async {
        Err("relay down".to_owned())
    })
    .await;
    assert!(failed.is_err());
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        bastion_core::mail::deliver_to_folder(&db.pool, master_keys(), dir.path(), 10)
            .await
            .unwrap(),
        1
    );
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(file).unwrap();
    assert!(
        text.starts_with("To: mail@example.eu\r\n")
            && text.contains("confirm your Bastion account")
    );
    let (body, sent): (String, bool) =
        sqlx::query_as("SELECT body, sent_at IS NOT NULL FROM outbox")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((body.as_str(), sent), ("", true));
    assert_eq!(
        bastion_core::mail::deliver_to_folder(&db.pool, master_keys(), dir.path(), 10)
            .await
            .unwrap(),
        0,
        "sent once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_arrives_with_a_link_and_confirms_by_address_from_any_browser() {
    let db = TestDb::new().await;
    let id = start(&db, "lin@example.eu").await;
    let mail = last_mail(&db.pool, "lin@example.eu").await;
    let code = six_digits(mail.clone());
    assert!(
        mail.contains(&format!(
            "http://127.0.0.1:3000/sign-up/confirm?id={id}&code={code}"
        )),
        "the link carries the signup and its code: {mail}"
    );
    // By address: an unknown address and a wrong code are the same refusal, and a wrong code
    // leaves the right one working.
    let unknown = signups::confirm_by_email(&db.pool, master_keys(), "nobody@example.eu", &code)
        .await
        .unwrap_err();
    assert!(is_wrong_code(unknown));
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let err = signups::confirm_by_email(&db.pool, master_keys(), "Lin@Example.eu", wrong)
        .await
        .unwrap_err();
    assert!(is_wrong_code(err));
    let (user, workspace) =
        signups::confirm_by_email(&db.pool, master_keys(), "Lin@Example.eu", &code)
            .await
            .unwrap();
    assert_eq!(user.email, "lin@example.eu");
    assert_eq!(workspace.slug, "acme-research");
    // And then the link's id is spent too.
    let again = signups::confirm(&db.pool, master_keys(), id, &code)
        .await
        .unwrap_err();
    assert!(is_wrong_code(again));
}
