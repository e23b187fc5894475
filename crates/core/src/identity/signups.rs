//! Signing up: the form is checked, the password hashed, and everything kept as one encrypted
//! payload until the person types the 6-digit code we emailed; then the user, their workspace
//! (row, role, schema, data key) and their admin membership are created in one transaction.
//!
//! Starting a signup for an address that already has an account answers exactly as for a new
//! address (no account oracle); that address gets a note pointing to sign-in and password reset
//! instead of a code.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use time::Duration;
use uuid::Uuid;
use zeroize::Zeroizing;

use bastion_i18n::Locale;

use crate::{
    accounts::{self, User},
    codes::{code_hash, new_code, same_digest},
    keys::MasterKeyRing,
    limits, mail,
    passwords::{self, Password},
    workspaces::{self, Workspace},
    CoreError, CoreResult,
};

pub const CODE_LIFETIME: Duration = Duration::minutes(15);
pub const MAX_ATTEMPTS: i32 = 5;

/// How many signups may start per client address and per email domain in `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignupLimits {
    pub per_ip: i32,
    pub per_domain: i32,
    pub window: Duration,
}

impl Default for SignupLimits {
    fn default() -> Self {
        Self {
            per_ip: 10,
            per_domain: 50,
            window: Duration::hours(1),
        }
    }
}

#[derive(Clone)]
pub struct SignupForm<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub workspace_name: &'a str,
    /// The language the form was shown in: the account keeps it, and the code is sent in it.
    pub locale: Locale,
    /// Our origin (`https://bastion.example`), for the confirmation link in the email.
    pub origin: &'a str,
}

impl std::fmt::Debug for SignupForm<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupForm")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("workspace_name", &self.workspace_name)
            .finish_non_exhaustive()
    }
}

/// What waits, encrypted, for the code.
#[derive(Serialize, Deserialize)]
struct Payload {
    email: String,
    name: String,
    password_hash: String,
    workspace_name: String,
    /// Absent in signups started before languages existed: English, as they were.
    #[serde(default)]
    locale: Option<String>,
}

fn email_digest(email: &str) -> Vec<u8> {
    Sha256::digest(email.as_bytes()).to_vec()
}

/// Checks the form, counts it against the limits (`RateLimited` past them), and emails a code.
/// Returns the id the confirmation refers to; it is returned (and looks the same) also when the
/// address already has an account, in which case no code exists and confirmation can only fail.
pub async fn start(
    pool: &PgPool,
    master: &MasterKeyRing,
    form: SignupForm<'_>,
    client_ip: Option<std::net::IpAddr>,
    limits: SignupLimits,
) -> CoreResult<Uuid> {
    let email = accounts::parse_email(form.email)?;
    let name = accounts::parse_person_name(form.name)?;
    let workspace_name = workspaces::parse_name(form.workspace_name)
        .map_err(|e| rename_field(e, "workspace_name"))?;
    let password = Password::parse_new(form.password)?;

    if let Some(ip) = client_ip {
        limits::enforce(
            pool,
            &format!("signup-ip:{ip}"),
            limits.per_ip,
            limits.window,
        )
        .await?;
    }
    let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    limits::enforce(
        pool,
        &format!("signup-domain:{domain}"),
        limits.per_domain,
        limits.window,
    )
    .await?;

    // Hash before looking the address up, so both answers take the same time.
    let password_hash = passwords::hash(password).await?;
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    if let Some(existing) = accounts::find_user_by_email(pool, &email).await? {
        // The account's own language: the person it belongs to chose it.
        let t = Locale::from_tag(&existing.locale).unwrap_or_default().t();
        mail::enqueue(
            &mut tx,
            master,
            &email,
            t.mail_signup_exists_subject(),
            t.mail_signup_exists_body(),
        )
        .await?;
        tx.commit().await?;
        return Ok(id);
    }
    let payload = Zeroizing::new(
        serde_json::to_vec(&Payload {
            email: email.clone(),
            name: name.clone(),
            password_hash,
            workspace_name,
            locale: Some(form.locale.tag().to_owned()),
        })
        .map_err(|e| CoreError::Internal(e.to_string()))?,
    );
    let (code, salt) = new_code();
    sqlx::query(
        "INSERT INTO pending_signups (id, email_digest, payload, code_hash, salt, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + $6)
         ON CONFLICT (email_digest) DO UPDATE SET id = EXCLUDED.id, payload = EXCLUDED.payload,
             code_hash = EXCLUDED.code_hash, salt = EXCLUDED.salt, attempts = 0, used = false,
             expires_at = EXCLUDED.expires_at, created_at = now()",
    )
    .bind(id)
    .bind(email_digest(&email))
    .bind(master.wrap(&payload))
    .bind(code_hash(&code, &salt))
    .bind(&salt[..])
    .bind(CODE_LIFETIME)
    .execute(&mut *tx)
    .await?;
    let t = form.locale.t();
    mail::enqueue(
        &mut tx,
        master,
        &email,
        t.mail_signup_code_subject(),
        &t.mail_signup_code_body(
            &name,
            &*code,
            // The code rides in the link so that any browser can finish (the page shows it in
            // the form and waits for a click: a mail scanner opening the link confirms nothing).
            Zeroizing::new(format!(
                "{}/sign-up/confirm?id={id}&code={}",
                form.origin.trim_end_matches('/'),
                &*code
            ))
            .as_str(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn rename_field(err: CoreError, field: &'static str) -> CoreError {
    match err {
        CoreError::Invalid { message, .. } => CoreError::invalid(field, message),
        other => other,
    }
}

/// Creates the account and its workspace if `code` is the live code of signup `id`. Every
/// failure is the same `Invalid { field: "code" }`; each try counts, atomically, so parallel
/// guesses cannot evaluate more than [`MAX_ATTEMPTS`].
pub async fn confirm(
    pool: &PgPool,
    master: &MasterKeyRing,
    id: Uuid,
    code: &str,
) -> CoreResult<(User, Workspace)> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    let wrong = || {
        CoreError::invalid(
            "code",
            "is wrong or has expired; check the email and try again (five tries), or sign up again for a new code",
        )
    };
    let attempt: Option<(Vec<u8>, Vec<u8>)> = sqlx::query_as(
        "UPDATE pending_signups SET attempts = attempts + 1
         WHERE id = $1 AND NOT used AND expires_at > now() AND attempts < $2
         RETURNING code_hash, salt",
    )
    .bind(id)
    .bind(MAX_ATTEMPTS)
    .fetch_optional(pool)
    .await?;
    let Some((stored, salt)) = attempt else {
        return Err(wrong());
    };
    if !same_digest(&code_hash(code, &salt), &stored) {
        return Err(wrong());
    }

    let mut tx = pool.begin().await?;
    // Single use, also against a parallel request with the same code; the row goes, and with it
    // the encrypted payload.
    let payload: Option<String> = sqlx::query_scalar(
        "DELETE FROM pending_signups WHERE id = $1 AND NOT used RETURNING payload",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let payload = payload.ok_or_else(wrong)?;
    let plain = master.unwrap(&payload).map_err(|_| {
        CoreError::Internal(
            "a pending signup cannot be decrypted with any configured master key".into(),
        )
    })?;
    let payload: Payload =
        serde_json::from_slice(&plain).map_err(|e| CoreError::Internal(e.to_string()))?;

    let user = sqlx::query_as::<_, User>(
        "INSERT INTO users (id, email, name, password_hash, locale) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, email, name, locale",
    )
    .bind(Uuid::new_v4())
    .bind(&payload.email)
    .bind(&payload.name)
    .bind(&payload.password_hash)
    .bind(
        payload
            .locale
            .as_deref()
            .and_then(Locale::from_tag)
            .unwrap_or_default()
            .tag(),
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            CoreError::conflict("an account with this email already exists; sign in instead")
        }
        other => other.into(),
    })?;
    let slug = workspaces::free_slug_for(pool, &payload.workspace_name).await?;
    let workspace =
        workspaces::create_workspace_in(&mut tx, master, &slug, &payload.workspace_name).await?;
    workspaces::commit_with_admin(tx, &workspace, user.id).await?;
    Ok((user, workspace))
}

/// [`confirm`] for whoever has the code but not the link (another browser, a closed tab): the
/// signup is found by its address. The same five tries per code, the same one answer for every
/// failure, so the address's having a signup is not revealed.
pub async fn confirm_by_email(
    pool: &PgPool,
    master: &MasterKeyRing,
    email: &str,
    code: &str,
) -> CoreResult<(User, Workspace)> {
    let email = accounts::parse_email(email)?;
    let id: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM pending_signups WHERE email_digest = $1")
            .bind(email_digest(&email))
            .fetch_optional(pool)
            .await?;
    // An unknown address costs a try of nothing: the same refusal as a wrong code.
    confirm(pool, master, id.unwrap_or_else(Uuid::new_v4), code).await
}

/// Re-encrypts pending signups under the primary master key (part of master-key rotation).
/// Returns how many changed.
pub(crate) async fn rewrap_pending(pool: &PgPool, master: &MasterKeyRing) -> CoreResult<usize> {
    // An unreadable payload cannot be confirmed anyway; it expires with its code.
    crate::secrets::rewrap_rows(
        pool,
        master,
        "SELECT id, payload FROM pending_signups",
        "UPDATE pending_signups SET payload = $2 WHERE id = $1 AND payload = $3",
    )
    .await
}

/// Expired signups hold an encrypted password hash for nothing: delete them.
pub async fn delete_expired(pool: &PgPool) -> CoreResult<u64> {
    Ok(
        sqlx::query("DELETE FROM pending_signups WHERE expires_at < now() OR used")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
