//! Users (global) and their membership of workspaces (decided inside each workspace's schema).

use std::collections::HashMap;

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    limits,
    passwords::{self, Password},
    tenant::{Actor, TenantTx},
    workspaces::Workspace,
    CoreError, CoreResult,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub locale: String,
}

/// A checked email address: trimmed, lower-cased, one `@` with text on both sides, a dot in the
/// domain, at most 254 characters.
pub fn parse_email(input: &str) -> CoreResult<String> {
    let email = input.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split('@').count() == 2
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(CoreError::invalid("email", "is not a valid email address"))
    }
}

pub fn parse_person_name(input: &str) -> CoreResult<String> {
    let name = input.trim();
    match name.chars().count() {
        0 => Err(CoreError::invalid("name", "must not be empty")),
        n if n > 100 => Err(CoreError::invalid("name", "must be at most 100 characters")),
        _ => Ok(name.to_owned()),
    }
}

pub async fn create_user(
    pool: &PgPool,
    email: &str,
    name: &str,
    password: &str,
) -> CoreResult<User> {
    let email = parse_email(email)?;
    let name = parse_person_name(name)?;
    let hash = passwords::hash(Password::parse_new(password)?).await?;
    let inserted = sqlx::query_as::<_, User>(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)
         RETURNING id, email, name, locale",
    )
    .bind(Uuid::new_v4())
    .bind(&email)
    .bind(&name)
    .bind(&hash)
    .fetch_one(pool)
    .await;
    match inserted {
        Ok(user) => Ok(user),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(CoreError::conflict(
            "an account with this email already exists",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Checks an email and password. Unknown email and wrong password give the same answer (`None`)
/// after the same work.
/// The password only: doors sign people in with [`sign_in`], which also asks for the second
/// factor where the account has one.
pub async fn authenticate(pool: &PgPool, email: &str, password: &str) -> CoreResult<Option<User>> {
    let email = email.trim().to_lowercase();
    let row: Option<(Uuid, String, String, String, String)> =
        sqlx::query_as("SELECT id, email, name, locale, password_hash FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(pool)
            .await?;
    let stored = row.as_ref().map(|r| r.4.clone());
    let ok = passwords::verify(Password::offered(password), stored).await?;
    Ok(match (ok, row) {
        (true, Some((id, email, name, locale, _))) => Some(User {
            id,
            email,
            name,
            locale,
        }),
        _ => None,
    })
}

pub async fn find_user(db: impl sqlx::PgExecutor<'_>, id: Uuid) -> CoreResult<Option<User>> {
    Ok(
        sqlx::query_as::<_, User>("SELECT id, email, name, locale FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// The names of these users, for showing people in lists; unknown ids are left out.
pub async fn names_of(pool: &PgPool, ids: &[Uuid]) -> CoreResult<HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, name FROM users WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn find_user_by_email(pool: &PgPool, email: &str) -> CoreResult<Option<User>> {
    Ok(
        sqlx::query_as::<_, User>("SELECT id, email, name, locale FROM users WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(pool)
            .await?,
    )
}

/// The workspaces a user may switch to (directory only; the workspace decides the role).
pub async fn workspaces_of(pool: &PgPool, user_id: Uuid) -> CoreResult<Vec<Workspace>> {
    Ok(sqlx::query_as::<_, Workspace>(
        "SELECT w.id, w.slug, w.name, w.plan, w.schema_version, w.created_at, w.require_two_factor
         FROM workspaces w JOIN workspace_directory d ON d.workspace_id = w.id
         WHERE d.user_id = $1 ORDER BY w.name",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?)
}

/// Adds `user_id` to the workspace with `role`, in the directory and in the workspace's own
/// `members` table, in one transaction.
pub async fn add_member(
    pool: &PgPool,
    workspace: &Workspace,
    user_id: Uuid,
    role: &str,
    actor: Actor,
) -> CoreResult<()> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    // The same stale-membership refusal `TenantTx::begin_on` retries (see there): here the
    // role is entered inside a control-plane transaction, so the whole (idempotent) addition is
    // tried again; the refused connection is closed on release, being mid-transaction.
    let mut attempt = 1;
    loop {
        let tx = pool.begin().await?;
        match add_member_once(tx, workspace, user_id, role, actor).await {
            Err(CoreError::Database(e))
                if attempt < 3 && crate::tenant::is_stale_role_membership(&e) =>
            {
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// One attempt of [`add_member`], in `tx`, which it commits.
async fn add_member_once(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    workspace: &Workspace,
    user_id: Uuid,
    role: &str,
    actor: Actor,
) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO workspace_directory (workspace_id, user_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
    )
    .bind(workspace.id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    let mut tenant = TenantTx::enter(tx, &workspace.schema(), actor).await?;
    crate::members::put_member(&mut tenant, user_id, role).await?;
    tenant.commit().await
}

/// The caller's role in the workspace whose transaction this is, if an active member. Read on
/// every request, never cached: a role change applies to the very next request.
pub async fn active_role(tx: &mut TenantTx, user_id: Uuid) -> CoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT role FROM members WHERE user_id = $1 AND active")
            .bind(user_id)
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// Checks that `password` is the user's current one before a change that needs it; a wrong one
/// is a refusal of `field`.
async fn confirm_password(
    pool: &PgPool,
    user_id: Uuid,
    password: &str,
    field: &'static str,
) -> CoreResult<()> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    if stored.is_none() {
        return Err(CoreError::NotFound("user"));
    }
    if passwords::verify(Password::offered(password), stored).await? {
        Ok(())
    } else {
        Err(CoreError::invalid(field, "is not your current password"))
    }
}

/// Changes a password after checking the current one, and ends every other session of the
/// user: whoever knew the old password is signed out everywhere but here.
pub async fn change_password(
    pool: &PgPool,
    user_id: Uuid,
    current: &str,
    new: &str,
    keep_session: Uuid,
) -> CoreResult<()> {
    confirm_password(pool, user_id, current, "current_password").await?;
    let new = Password::parse_new(new).map_err(|e| match e {
        CoreError::Invalid { message, .. } => CoreError::invalid("new_password", message),
        other => other,
    })?;
    let hash = passwords::hash(new).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user_id)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep_session)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The colour scheme a person chose: the device's own (`System`), or always light or dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    /// `system`, `light` or `dark`, as stored and as sent over REST and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The stored or typed name; anything else is refused, naming the `theme` field.
    pub fn parse(input: &str) -> CoreResult<Theme> {
        Theme::ALL
            .into_iter()
            .find(|t| t.as_str() == input.trim())
            .ok_or_else(|| {
                CoreError::invalid("theme", "The colour scheme must be system, light or dark.")
            })
    }
}

/// The colour scheme the user chose.
pub async fn theme(db: impl sqlx::PgExecutor<'_>, user_id: Uuid) -> CoreResult<Theme> {
    let stored: Option<String> = sqlx::query_scalar("SELECT theme FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    stored.map_or(Err(CoreError::NotFound("No such account.")), |t| {
        Theme::parse(&t)
    })
}

/// Saves the user's colour scheme. Their own account's setting: anyone signed in may change it
/// for themselves, and nobody for another.
pub async fn set_theme(pool: &PgPool, user_id: Uuid, theme: Theme) -> CoreResult<()> {
    let done = sqlx::query("UPDATE users SET theme = $2 WHERE id = $1")
        .bind(user_id)
        .bind(theme.as_str())
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(CoreError::NotFound("No such account."));
    }
    Ok(())
}

/// Saves the user's language; like the colour scheme, only their own.
pub async fn set_locale(
    pool: &PgPool,
    user_id: Uuid,
    locale: bastion_i18n::Locale,
) -> CoreResult<()> {
    let done = sqlx::query("UPDATE users SET locale = $2 WHERE id = $1")
        .bind(user_id)
        .bind(locale.tag())
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(CoreError::NotFound("No such account."));
    }
    Ok(())
}

/// A typed language tag as one of the four; anything else is refused, naming the `locale` field.
pub fn parse_locale(input: &str) -> CoreResult<bastion_i18n::Locale> {
    bastion_i18n::Locale::from_tag(input)
        .ok_or_else(|| CoreError::invalid("locale", "must be one of en, nl-BE, fr-BE or de-BE"))
}

/// Said when the last active admin of a workspace tries to delete their account.
pub const LAST_ADMIN_ACCOUNT: &str = "You are the last active admin of a workspace. Make another \
member an admin there (or erase the workspace) before deleting your account.";

/// Deletes the user's account after checking their password: their membership in every
/// workspace, their directory entries, sessions and pending codes, and the user row, all in one
/// transaction. Refused with a `last_admin` conflict saying [`LAST_ADMIN_ACCOUNT`] (and nothing
/// changed) when they are the last active admin of any workspace: that workspace would be left
/// without anyone to run it.
pub async fn delete_account(pool: &PgPool, user_id: Uuid, password: &str) -> CoreResult<()> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    confirm_password(pool, user_id, password, "password").await?;
    let mut tx = pool.begin().await?;
    let schemas: Vec<crate::WorkspaceId> = sqlx::query_scalar(
        "SELECT workspace_id FROM workspace_directory WHERE user_id = $1 ORDER BY workspace_id FOR UPDATE",
    )
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await?;
    for workspace in schemas {
        let schema = crate::TenantSchema::for_workspace(workspace);
        // One transaction across workspaces: as the owner of every workspace's tables (the
        // provisioning login is no member of workspace roles) and back, so a refusal in the
        // last workspace undoes the removals in the earlier ones. Names come from typed ids,
        // never from input.
        sqlx::query("SELECT set_config('role', 'bastion_tenant_owner', true)")
            .execute(&mut *tx)
            .await?;
        let q = schema.quoted();
        let admins: Vec<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT user_id FROM {q}.members WHERE role = 'admin' AND active ORDER BY user_id FOR UPDATE"
        )))
        .fetch_all(&mut *tx)
        .await?;
        if admins == [user_id] {
            return Err(CoreError::Conflict {
                code: "last_admin",
                message: LAST_ADMIN_ACCOUNT.to_owned(),
            });
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {q}.members WHERE user_id = $1"
        )))
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("SELECT set_config('role', 'none', true)")
            .execute(&mut *tx)
            .await?;
    }
    // Directory rows, sessions and reset codes go with the user (ON DELETE CASCADE).
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(parse_email("  Ada@Example.EU ").unwrap(), "ada@example.eu");
        for bad in [
            "",
            "ada",
            "@example.eu",
            "ada@",
            "ada@example",
            "a b@example.eu",
            "a@b@c.eu",
        ] {
            let err = parse_email(bad).unwrap_err().to_string();
            assert!(err.starts_with("email: "), "{bad:?}: {err}");
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefused {
    /// Wrong email or wrong password: one answer for both.
    InvalidCredentials,
    /// The account is locked, or this address tried too often: retry after this long.
    TooManyAttempts(time::Duration),
}

/// Where a right password leads.
#[derive(Debug)]
pub enum SignInStep {
    /// Signed in: the caller may start a session (proved by the password alone).
    Done(User),
    /// The account has two-factor sign-in (an app, a passkey or both): no session yet. The
    /// client sends this challenge with a code to `two_factor::finish_sign_in`, or answers a
    /// passkey ceremony with it (`passkeys::begin_second_factor`).
    SecondFactor(crate::two_factor::Challenge),
}

/// The whole sign-in decision, shared by the REST API and the sign-in page: per-address
/// throttle, account lock, password check (constant work for unknown emails), failure count.
/// An account with two-factor sign-in gets a challenge instead of a user, and its failures are
/// forgotten only once the code is right too (otherwise a right password would reset the count
/// of wrong codes).
pub async fn sign_in(
    pool: &PgPool,
    email: &str,
    password: &str,
    client_ip: Option<std::net::IpAddr>,
) -> CoreResult<Result<SignInStep, SignInRefused>> {
    if let Some(ip) = client_ip {
        if let Err(wait) = limits::hit(
            pool,
            &format!("login-ip:{ip}"),
            limits::login_attempts_per_ip(),
            limits::LOCKOUT_WINDOW,
        )
        .await?
        {
            return Ok(Err(SignInRefused::TooManyAttempts(wait)));
        }
    }
    let email = email.trim().to_lowercase();
    if let Some(wait) = limits::account_locked_for(pool, &email).await? {
        return Ok(Err(SignInRefused::TooManyAttempts(wait)));
    }
    let user = authenticate(pool, &email, password).await?;
    if let Some(user) = &user {
        // Checked after the password, so that the refusal tells nothing to someone without it.
        crate::sso::refuse_password_sign_in(pool, user.id).await?;
    }
    match user {
        Some(user) if crate::two_factor::has_second_factor(pool, user.id).await? => Ok(Ok(
            SignInStep::SecondFactor(crate::two_factor::start_challenge(pool, user.id).await?),
        )),
        Some(user) => {
            limits::clear_login_failures(pool, &email).await?;
            Ok(Ok(SignInStep::Done(user)))
        }
        None => {
            limits::record_login_failure(pool, &email).await?;
            Ok(Err(SignInRefused::InvalidCredentials))
        }
    }
}
