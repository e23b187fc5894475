//! Single sign-on with OpenID Connect, per workspace and on every plan (issue 17;
//! docs/architecture.md, "Single sign-on").
//!
//! An admin gives the provider's issuer, a client id and secret, and the email domains whose
//! people sign in through it. Sign-in is the authorization code flow with PKCE (S256), a `state`
//! bound to the browser by a cookie, and a `nonce` in the ID token; the ID token's signature is
//! checked against the provider's published keys (RS256 or ES256, with ring). People are matched
//! by a *verified* email at one of the workspace's domains, never by an unverified claim and
//! never at another domain: a workspace's provider speaks for its own domains only, since an
//! account is global and a session opens every workspace the account belongs to.
//!
//! Every call to a provider goes through the same guard as webhooks (no private, loopback or
//! link-local address unless the operator allows it, addresses pinned, no redirects, a time
//! limit), because the issuer is typed by a workspace admin and the other addresses come from
//! the provider's own discovery document.

use std::{net::IpAddr, time::Duration};

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value as JsonValue;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use time::OffsetDateTime;
use url::Url;
use uuid::Uuid;

use crate::{
    devices,
    error::ensure,
    keys::MasterKeyRing,
    limits,
    secrets::{webhooks::target, SecretString},
    sessions::{self, Factor, SessionInfo, SessionToken},
    workspaces::Workspace,
    Actor, CoreError, CoreResult, TenantTx, Viewer,
};

/// How long a sign-in sent to a provider may take to come back.
const SIGN_IN_LIFETIME: time::Duration = time::Duration::minutes(10);
/// How long one call to a provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read from a provider (discovery, keys, tokens).
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// Clock skew tolerated between us and the provider for `exp` and `iat`.
const SKEW: i64 = 60;
pub const MAX_DOMAINS: usize = 20;
/// The cookie holding the `state` of a sign-in in progress (set by the start, read by the
/// callback, both at `/api/v1/auth/sso`).
pub const STATE_COOKIE: &str = "bastion_sso";

/// Mail providers whose addresses belong to anyone: no workspace may claim them, or its
/// provider would speak for every account at them.
const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "yahoo.fr",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
    "telenet.be",
    "skynet.be",
    "proximus.be",
    "hotmail.be",
    "outlook.be",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "t-online.de",
    "zoho.com",
    "yandex.com",
    "tutanota.com",
];

/// The operator's choice (`BASTION_SSO_ALLOW_PRIVATE_ISSUERS`): providers on private, loopback
/// or link-local addresses (a provider on the company network; the tests' provider), and plain
/// `http` issuers with them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SsoNetwork {
    pub allow_private_issuers: bool,
}

impl SsoNetwork {
    const POLICY: &'static str = "identity providers are reached at public addresses only (the \
        operator may allow private ones with BASTION_SSO_ALLOW_PRIVATE_ISSUERS)";
}

/// A workspace's single sign-on settings as admins see them: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettings {
    pub configured: bool,
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    /// Whether a client secret is stored (it is never shown again).
    pub client_secret_set: bool,
    pub email_domains: Vec<String>,
    pub allow_join: bool,
    pub sso_only: bool,
    pub break_glass_user_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
}

impl SsoSettings {
    fn unconfigured() -> Self {
        Self {
            configured: false,
            enabled: false,
            issuer: String::new(),
            client_id: String::new(),
            client_secret_set: false,
            email_domains: Vec::new(),
            allow_join: false,
            sso_only: false,
            break_glass_user_id: None,
            updated_at: None,
        }
    }
}

/// What an admin saves. `client_secret` may be left out to keep the stored one.
#[derive(Debug, Clone)]
pub struct SsoChange {
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub email_domains: Vec<String>,
    pub allow_join: bool,
    pub sso_only: bool,
    pub break_glass_user_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct Row {
    enabled: bool,
    issuer: String,
    client_id: String,
    client_secret_sealed: String,
    client_secret_version: i32,
    email_domains: Vec<String>,
    allow_join: bool,
    sso_only: bool,
    break_glass_user_id: Option<Uuid>,
    updated_at: OffsetDateTime,
}

const ROW: &str = "enabled, issuer, client_id, client_secret_sealed, client_secret_version, \
    email_domains, allow_join, sso_only, break_glass_user_id, updated_at";

impl Row {
    fn settings(&self) -> SsoSettings {
        SsoSettings {
            configured: true,
            enabled: self.enabled,
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            client_secret_set: true,
            email_domains: self.email_domains.clone(),
            allow_join: self.allow_join,
            sso_only: self.sso_only,
            break_glass_user_id: self.break_glass_user_id,
            updated_at: Some(self.updated_at),
        }
    }

    /// What the workspace's history records (the recorder checks it against the row).
    fn summary(&self) -> JsonValue {
        serde_json::json!({
            "enabled": self.enabled,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret_version": self.client_secret_version,
            "email_domains": self.email_domains,
            "allow_join": self.allow_join,
            "sso_only": self.sso_only,
            "break_glass_user_id": self.break_glass_user_id,
        })
    }
}

async fn row(db: impl sqlx::PgExecutor<'_>, workspace: Uuid) -> CoreResult<Option<Row>> {
    Ok(sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "SELECT {ROW} FROM workspace_sso WHERE workspace_id = $1"
    )))
    .bind(workspace)
    .fetch_optional(db)
    .await?)
}

const ADMINS_ONLY: &str = "Only admins can see or change single sign-on.";

/// The workspace's settings, for its admins.
pub async fn settings(pool: &PgPool, viewer: Viewer, ws: &Workspace) -> CoreResult<SsoSettings> {
    ensure(
        bastion_policy::can_manage_workspace(viewer.role),
        ADMINS_ONLY,
    )?;
    Ok(row(pool, ws.id.0)
        .await?
        .map(|r| r.settings())
        .unwrap_or_else(SsoSettings::unconfigured))
}

/// Saves the workspace's single sign-on settings; every field is checked (and, when it is on,
/// the provider's discovery document read) before anything changes, and the change is an event
/// of the workspace's history in the same transaction.
pub async fn configure(
    pool: &PgPool,
    master: &MasterKeyRing,
    network: SsoNetwork,
    viewer: Viewer,
    ws: &Workspace,
    change: &SsoChange,
) -> CoreResult<SsoSettings> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    ensure(
        bastion_policy::can_manage_workspace(viewer.role),
        ADMINS_ONLY,
    )?;
    let issuer = parse_issuer(&change.issuer, network)?;
    let client_id = change.client_id.trim();
    if client_id.is_empty()
        || client_id.chars().count() > 500
        || client_id.contains(char::is_control)
    {
        return Err(CoreError::invalid(
            "client_id",
            "must be 1 to 500 characters, as the provider shows it",
        ));
    }
    if let Some(secret) = &change.client_secret {
        let s = secret.expose();
        if s.trim().is_empty() || s.chars().count() > 2000 || s.contains(char::is_control) {
            return Err(CoreError::invalid(
                "client_secret",
                "must be 1 to 2000 characters, as the provider shows it",
            ));
        }
    }
    let domains = parse_domains(&change.email_domains)?;
    if change.enabled && domains.is_empty() {
        return Err(CoreError::invalid(
            "email_domains",
            "name at least one domain whose people sign in through this provider",
        ));
    }
    if change.sso_only && !change.enabled {
        return Err(CoreError::invalid(
            "sso_only",
            "single sign-on must be on before it can be the only way in",
        ));
    }
    let admins = active_admins(pool, ws).await?;
    let admin_domains: Vec<&str> = admins
        .iter()
        .filter_map(|(_, email)| email.rsplit_once('@').map(|(_, d)| d))
        .collect();
    if let Some(unowned) = domains
        .iter()
        .find(|d| !admin_domains.contains(&d.as_str()))
    {
        return Err(CoreError::invalid(
            "email_domains",
            format!(
                "{unowned}: an admin of this workspace must have an address at a domain before \
                 it can be claimed"
            ),
        ));
    }
    // Whenever one is named it must be an active admin (not only with "single sign-on only"):
    // the setting is kept for when that is turned on.
    let break_glass_ok = match change.break_glass_user_id {
        Some(id) => admins.iter().any(|(admin, _)| *admin == id),
        None => !change.sso_only,
    };
    if !break_glass_ok {
        return Err(CoreError::invalid(
            "break_glass_user_id",
            "choose an active admin who may still sign in with a password when single sign-on \
             is the only way in",
        ));
    }
    if change.enabled {
        // The provider must answer before sign-in depends on it: a wrong issuer is said now,
        // naming the field, not at the next person's sign-in.
        discover(network, &issuer).await?;
    }

    let mut tx = pool.begin().await?;
    // One configuration at a time across workspaces: a domain is claimed by one workspace.
    sqlx::query("LOCK TABLE workspace_sso IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    if let Some(taken) = sqlx::query_scalar::<_, String>(
        "SELECT d FROM workspace_sso s, unnest(s.email_domains) d
          WHERE s.workspace_id <> $1 AND d = ANY($2) ORDER BY d LIMIT 1",
    )
    .bind(ws.id.0)
    .bind(&domains)
    .fetch_optional(&mut *tx)
    .await?
    {
        return Err(CoreError::invalid(
            "email_domains",
            format!("{taken} is already claimed by another workspace"),
        ));
    }
    let before = row(&mut *tx, ws.id.0).await?;
    let sealed = match (&change.client_secret, &before) {
        (Some(secret), _) => master.wrap(secret.expose().as_bytes()),
        (None, Some(before)) => before.client_secret_sealed.clone(),
        (None, None) => {
            return Err(CoreError::invalid(
                "client_secret",
                "must be given the first time (the provider shows it with the client id)",
            ))
        }
    };
    let after = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO workspace_sso (workspace_id, enabled, issuer, client_id, client_secret_sealed,
                                    email_domains, allow_join, sso_only, break_glass_user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (workspace_id) DO UPDATE SET
             enabled = EXCLUDED.enabled, issuer = EXCLUDED.issuer,
             client_id = EXCLUDED.client_id, client_secret_sealed = EXCLUDED.client_secret_sealed,
             client_secret_version = workspace_sso.client_secret_version + $10,
             email_domains = EXCLUDED.email_domains, allow_join = EXCLUDED.allow_join,
             sso_only = EXCLUDED.sso_only, break_glass_user_id = EXCLUDED.break_glass_user_id,
             updated_at = now()
         RETURNING {ROW}"
    )))
    .bind(ws.id.0)
    .bind(change.enabled)
    .bind(issuer.as_str().trim_end_matches('/'))
    .bind(client_id)
    .bind(&sealed)
    .bind(&domains)
    .bind(change.allow_join)
    .bind(change.sso_only)
    .bind(change.break_glass_user_id)
    .bind(i32::from(change.client_secret.is_some()))
    .fetch_one(&mut *tx)
    .await?;
    let before_summary = before.as_ref().map(Row::summary);
    if before_summary.as_ref() != Some(&after.summary()) {
        let changes =
            serde_json::json!({ "sso": { "before": before_summary, "after": after.summary() } });
        let mut tenant = TenantTx::enter(tx, &ws.schema(), Actor::User(viewer.user_id)).await?;
        crate::audit::record_workspace_update(&mut tenant, ws.id, &changes).await?;
        tenant.commit().await?;
    } else {
        tx.commit().await?;
    }
    Ok(after.settings())
}

/// Who may be the break-glass admin: the workspace's active admins (id, name, address), for
/// its admins.
pub async fn break_glass_choices(
    pool: &PgPool,
    viewer: Viewer,
    ws: &Workspace,
) -> CoreResult<Vec<(Uuid, String, String)>> {
    ensure(
        bastion_policy::can_manage_workspace(viewer.role),
        ADMINS_ONLY,
    )?;
    let admins = active_admins(pool, ws).await?;
    let names: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM users WHERE id = ANY($1)")
            .bind(admins.iter().map(|(id, _)| *id).collect::<Vec<_>>())
            .fetch_all(pool)
            .await?;
    Ok(admins
        .into_iter()
        .map(|(id, email)| {
            let name = names
                .iter()
                .find(|(n, _)| *n == id)
                .map(|(_, name)| name.clone())
                .unwrap_or_default();
            (id, name, email)
        })
        .collect())
}

/// The workspace's active admins and their addresses.
async fn active_admins(pool: &PgPool, ws: &Workspace) -> CoreResult<Vec<(Uuid, String)>> {
    let mut tenant = TenantTx::begin(pool, &ws.schema(), Actor::System).await?;
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT user_id FROM members WHERE role = 'admin' AND active")
            .fetch_all(tenant.conn())
            .await?;
    tenant.commit().await?;
    Ok(
        sqlx::query_as("SELECT id, email FROM users WHERE id = ANY($1) ORDER BY email")
            .bind(&ids)
            .fetch_all(pool)
            .await?,
    )
}

fn parse_issuer(input: &str, network: SsoNetwork) -> CoreResult<Url> {
    let input = input.trim();
    let url = Url::parse(input).map_err(|_| {
        CoreError::invalid("issuer", "must be the provider's issuer URL, https://…")
    })?;
    let scheme_ok =
        url.scheme() == "https" || (network.allow_private_issuers && url.scheme() == "http");
    if !scheme_ok {
        return Err(CoreError::invalid("issuer", "must use https"));
    }
    if input.chars().count() > 2000
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(CoreError::invalid(
            "issuer",
            "must be an https URL with a host and no query, fragment or credentials",
        ));
    }
    Ok(url)
}

/// Lower-cased, deduplicated and sorted; each a domain name with a dot, not a public mail
/// provider's.
pub fn parse_domains(input: &[String]) -> CoreResult<Vec<String>> {
    let mut domains: Vec<String> = input
        .iter()
        .flat_map(|d| d.split([',', ' ', '\n']))
        .map(|d| d.trim().trim_start_matches('@').to_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    domains.sort();
    domains.dedup();
    if domains.len() > MAX_DOMAINS {
        return Err(CoreError::invalid(
            "email_domains",
            format!("at most {MAX_DOMAINS} domains"),
        ));
    }
    for d in &domains {
        let labels_ok = d.len() <= 253
            && d.contains('.')
            && d.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !labels_ok {
            return Err(CoreError::invalid(
                "email_domains",
                format!("{d}: must be a domain name such as example.be"),
            ));
        }
        if PUBLIC_MAIL_DOMAINS.contains(&d.as_str()) {
            return Err(CoreError::invalid(
                "email_domains",
                format!("{d}: addresses there belong to anyone; it cannot be claimed"),
            ));
        }
    }
    Ok(domains)
}

/// Where a sign-in starts: the email typed on the sign-in page (its domain finds the
/// workspace), or a workspace's own link.
#[derive(Debug, Clone)]
pub enum StartBy {
    Email(String),
    Workspace(String),
}

/// A sign-in sent on its way: the browser goes to `authorization_url` and keeps `state` in the
/// [`STATE_COOKIE`].
#[derive(Debug)]
pub struct Started {
    pub authorization_url: String,
    pub state: SecretString,
}

/// Why a sign-in did not start or did not finish; each is a sentence on the sign-in page
/// (`code` is stable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoRefused {
    /// No workspace signs in this email's domain (or this link) with single sign-on.
    NotConfigured,
    /// The sign-in is unknown, used, older than ten minutes, or was started in another browser.
    Expired,
    /// The provider said no (the person cancelled, or it refused them).
    Denied,
    /// The provider could not be reached, or answered something we cannot accept.
    Provider,
    /// The provider did not say the address is verified.
    UnverifiedEmail,
    /// The address is not at one of the workspace's domains.
    OtherDomain,
    /// The person is not (or no longer) a member, and the workspace does not let people join.
    NotMember,
    /// Too many sign-in attempts from this address.
    TooManyAttempts(time::Duration),
}

impl SsoRefused {
    pub fn code(&self) -> &'static str {
        match self {
            SsoRefused::NotConfigured => "not_configured",
            SsoRefused::Expired => "expired",
            SsoRefused::Denied => "denied",
            SsoRefused::Provider => "provider",
            SsoRefused::UnverifiedEmail => "unverified_email",
            SsoRefused::OtherDomain => "other_domain",
            SsoRefused::NotMember => "not_member",
            SsoRefused::TooManyAttempts(_) => "too_many_attempts",
        }
    }
}

/// Starts a sign-in: finds the workspace, reads its provider's discovery document and stores
/// the sign-in's state, nonce and PKCE verifier. Counted against the per-address sign-in limit.
pub async fn start(
    pool: &PgPool,
    network: SsoNetwork,
    by: &StartBy,
    redirect_uri: &str,
    client_ip: Option<IpAddr>,
) -> CoreResult<Result<Started, SsoRefused>> {
    if let Some(ip) = client_ip {
        if let Err(wait) = limits::hit(
            pool,
            &format!("login-ip:{ip}"),
            limits::login_attempts_per_ip(),
            limits::LOCKOUT_WINDOW,
        )
        .await?
        {
            return Ok(Err(SsoRefused::TooManyAttempts(wait)));
        }
    }
    let found: Option<(Uuid, String, String)> = match by {
        StartBy::Email(email) => {
            let email = crate::accounts::parse_email(email)?;
            let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
            sqlx::query_as(
                "SELECT workspace_id, issuer, client_id FROM workspace_sso
                  WHERE enabled AND $1 = ANY(email_domains)",
            )
            .bind(domain)
            .fetch_optional(pool)
            .await?
        }
        StartBy::Workspace(slug) => {
            sqlx::query_as(
                "SELECT s.workspace_id, s.issuer, s.client_id
                   FROM workspace_sso s JOIN workspaces w ON w.id = s.workspace_id
                  WHERE s.enabled AND w.slug = $1",
            )
            .bind(slug)
            .fetch_optional(pool)
            .await?
        }
    };
    let Some((workspace, issuer, client_id)) = found else {
        return Ok(Err(SsoRefused::NotConfigured));
    };
    let discovery = match discover(network, &issuer_url(&issuer)?).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(%workspace, error = %e, "single sign-on: discovery failed");
            return Ok(Err(SsoRefused::Provider));
        }
    };
    let state = random_token(32);
    let nonce = random_token(16);
    let verifier = random_token(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    sqlx::query("DELETE FROM sso_sign_ins WHERE expires_at < now()")
        .execute(pool)
        .await?;
    sqlx::query(
        "INSERT INTO sso_sign_ins (state_hash, workspace_id, nonce, code_verifier, redirect_uri,
                                   expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + $6)",
    )
    .bind(Sha256::digest(state.as_bytes()).to_vec())
    .bind(workspace)
    .bind(&nonce)
    .bind(&verifier)
    .bind(redirect_uri)
    .bind(SIGN_IN_LIFETIME)
    .execute(pool)
    .await?;
    let mut url = discovery.authorization_endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if let StartBy::Email(email) = by {
            query.append_pair("login_hint", email.trim());
        }
    }
    Ok(Ok(Started {
        authorization_url: url.to_string(),
        state: SecretString::new(state),
    }))
}

/// What the provider sent the browser back with, and the state cookie the browser holds.
#[derive(Debug, Default)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub cookie_state: Option<String>,
}

/// A finished sign-in: the session, and the workspace to land in.
#[derive(Debug)]
pub struct SignedIn {
    pub token: SessionToken,
    pub session: SessionInfo,
    pub workspace_slug: String,
}

/// Finishes a sign-in: the state (once, in the browser that started it), the code exchanged
/// with PKCE and the client secret, the ID token's signature, issuer, audience, time and nonce,
/// then the person: a verified address at one of the workspace's domains, a member (or one who
/// may join). Starts the session.
pub async fn finish(
    pool: &PgPool,
    master: &MasterKeyRing,
    network: SsoNetwork,
    callback: &Callback,
    from: devices::SignInFrom<'_>,
) -> CoreResult<Result<SignedIn, SsoRefused>> {
    let (Some(state), Some(cookie)) = (&callback.state, &callback.cookie_state) else {
        return Ok(Err(SsoRefused::Expired));
    };
    // The browser that comes back must be the one that started: without this, anyone could
    // send a victim a link finishing *their own* sign-in (login CSRF).
    let state_hash = Sha256::digest(state.as_bytes()).to_vec();
    let cookie_hash = Sha256::digest(cookie.as_bytes()).to_vec();
    if !bool::from(subtle_eq(&state_hash, &cookie_hash)) {
        return Ok(Err(SsoRefused::Expired));
    }
    let pending: Option<(Uuid, String, String, String)> = sqlx::query_as(
        "DELETE FROM sso_sign_ins WHERE state_hash = $1 AND expires_at > now()
         RETURNING workspace_id, nonce, code_verifier, redirect_uri",
    )
    .bind(&state_hash)
    .fetch_optional(pool)
    .await?;
    let Some((workspace_id, nonce, verifier, redirect_uri)) = pending else {
        return Ok(Err(SsoRefused::Expired));
    };
    if callback.error.is_some() {
        return Ok(Err(SsoRefused::Denied));
    }
    let Some(code) = &callback.code else {
        return Ok(Err(SsoRefused::Denied));
    };
    let Some(config) = row(pool, workspace_id).await?.filter(|r| r.enabled) else {
        return Ok(Err(SsoRefused::NotConfigured));
    };
    let secret = master
        .unwrap(&config.client_secret_sealed)
        .map_err(|_| CoreError::Internal("the SSO client secret cannot be unsealed".into()))?;
    let secret = SecretString::new(
        String::from_utf8(secret.to_vec())
            .map_err(|_| CoreError::Internal("the SSO client secret is not UTF-8".into()))?,
    );
    let claims = match exchange(
        network,
        &config,
        &secret,
        code,
        &verifier,
        &redirect_uri,
        &nonce,
    )
    .await
    {
        Ok(claims) => claims,
        Err(e) => {
            tracing::warn!(workspace = %workspace_id, error = %e, "single sign-on refused");
            return Ok(Err(SsoRefused::Provider));
        }
    };
    let Some(email) = claims.email.as_deref().map(|e| e.trim().to_lowercase()) else {
        return Ok(Err(SsoRefused::UnverifiedEmail));
    };
    if !claims.email_verified {
        return Ok(Err(SsoRefused::UnverifiedEmail));
    }
    let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    if !config.email_domains.iter().any(|d| d == domain) {
        return Ok(Err(SsoRefused::OtherDomain));
    }
    let Some(ws) = crate::workspaces::find_by_id(pool, crate::WorkspaceId(workspace_id)).await?
    else {
        return Ok(Err(SsoRefused::NotConfigured));
    };
    let user = match crate::accounts::find_user_by_email(pool, &email).await? {
        Some(user) => user,
        None if config.allow_join => {
            // An account without a usable password: a random one nobody is told. A password
            // reset gives the person one later, if the workspace allows passwords at all.
            let name = claims
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| email.split('@').next().unwrap_or("member"));
            let name: String = name.chars().take(100).collect();
            crate::accounts::create_user(pool, &email, &name, &random_token(32)).await?
        }
        None => return Ok(Err(SsoRefused::NotMember)),
    };
    let mut tenant = TenantTx::begin(pool, &ws.schema(), Actor::System).await?;
    let membership: Option<bool> =
        sqlx::query_scalar("SELECT active FROM members WHERE user_id = $1")
            .bind(user.id)
            .fetch_optional(tenant.conn())
            .await?;
    tenant.commit().await?;
    match membership {
        Some(true) => {}
        Some(false) => return Ok(Err(SsoRefused::NotMember)),
        None if config.allow_join => {
            crate::accounts::add_member(pool, &ws, user.id, "member", Actor::System).await?;
        }
        None => return Ok(Err(SsoRefused::NotMember)),
    }
    let (token, session) = sessions::start(pool, master, user.id, from, Factor::Sso).await?;
    Ok(Ok(SignedIn {
        token,
        session,
        workspace_slug: ws.slug,
    }))
}

/// The workspace whose "single sign-on only" keeps this account from signing in with a
/// password or a passkey (its name and slug), unless the account is that workspace's
/// break-glass admin. Read from the directory, so a deactivated member of such a workspace is
/// refused too until removed.
pub async fn password_refused_by(
    pool: &PgPool,
    user_id: Uuid,
) -> CoreResult<Option<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT w.name, w.slug
           FROM workspace_sso s
           JOIN workspaces w ON w.id = s.workspace_id
           JOIN workspace_directory d ON d.workspace_id = s.workspace_id AND d.user_id = $1
          WHERE s.enabled AND s.sso_only AND s.break_glass_user_id IS DISTINCT FROM $1
          ORDER BY w.name LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?)
}

/// Refuses a sign-in with a password or a passkey when [`password_refused_by`] names a
/// workspace (`CoreError::SsoRequired`).
pub async fn refuse_password_sign_in(pool: &PgPool, user_id: Uuid) -> CoreResult<()> {
    match password_refused_by(pool, user_id).await? {
        Some((workspace, slug)) => Err(CoreError::SsoRequired { workspace, slug }),
        None => Ok(()),
    }
}

/// `bastion keys rotate`: client secrets sealed under the master ring, re-sealed under its
/// primary key.
pub(crate) async fn reseal_secrets(pool: &PgPool, master: &MasterKeyRing) -> CoreResult<usize> {
    crate::secrets::rewrap_rows(
        pool,
        master,
        "SELECT workspace_id, client_secret_sealed FROM workspace_sso",
        "UPDATE workspace_sso SET client_secret_sealed = $2
          WHERE workspace_id = $1 AND client_secret_sealed = $3",
    )
    .await
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

fn subtle_eq(a: &[u8], b: &[u8]) -> SubtleBool {
    SubtleBool(a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0)
}

/// Both sides were hashed first, so the comparison's time says nothing of the state.
struct SubtleBool(bool);

impl From<SubtleBool> for bool {
    fn from(b: SubtleBool) -> bool {
        b.0
    }
}

fn issuer_url(issuer: &str) -> CoreResult<Url> {
    Url::parse(issuer).map_err(|_| CoreError::Internal("stored issuer is not a URL".into()))
}

/// A provider's discovery document: what we use of it.
#[derive(Debug, Clone)]
struct Discovery {
    issuer: String,
    authorization_endpoint: Url,
    token_endpoint: Url,
    jwks_uri: Url,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ProviderError(String);

async fn discover(network: SsoNetwork, issuer: &Url) -> CoreResult<Discovery> {
    let base = issuer.as_str().trim_end_matches('/');
    let url = format!("{base}/.well-known/openid-configuration");
    let bad = |why: String| CoreError::invalid("issuer", format!("discovery at {url}: {why}"));
    let doc = get_json(network, "issuer", &url)
        .await
        .map_err(|e| match e {
            FetchError::Refused(e) => e,
            FetchError::Failed(why) => bad(why),
        })?;
    let field = |name: &str| -> CoreResult<String> {
        doc.get(name)
            .and_then(JsonValue::as_str)
            .map(str::to_owned)
            .ok_or_else(|| bad(format!("no {name}")))
    };
    let found_issuer = field("issuer")?;
    if found_issuer.trim_end_matches('/') != base {
        return Err(bad(format!(
            "names issuer {found_issuer}, not {base} (OpenID Connect Discovery §4.3)"
        )));
    }
    let endpoint = |name: &str| -> CoreResult<Url> {
        let value = field(name)?;
        let url = Url::parse(&value).map_err(|_| bad(format!("{name} is not a URL")))?;
        if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
            return Err(bad(format!("{name} is not an http(s) URL")));
        }
        if url.scheme() == "http" && !network.allow_private_issuers {
            return Err(bad(format!("{name} does not use https")));
        }
        Ok(url)
    };
    Ok(Discovery {
        issuer: found_issuer.clone(),
        authorization_endpoint: endpoint("authorization_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
        jwks_uri: endpoint("jwks_uri")?,
    })
}

enum FetchError {
    /// The address itself is refused (SSRF guard): a configuration error naming the field.
    Refused(CoreError),
    Failed(String),
}

async fn client_for(
    network: SsoNetwork,
    field: &'static str,
    url: &str,
) -> Result<(reqwest::Client, Url), FetchError> {
    let parsed = Url::parse(url).map_err(|_| FetchError::Failed(format!("{url} is not a URL")))?;
    let target = target::resolve_url(
        parsed,
        field,
        network.allow_private_issuers,
        SsoNetwork::POLICY,
    )
    .await
    .map_err(FetchError::Refused)?;
    let client = target
        .client(
            PROVIDER_TIMEOUT,
            concat!("Bastion/", env!("CARGO_PKG_VERSION")),
        )
        .map_err(|e| FetchError::Failed(format!("client: {e}")))?;
    Ok((client, target.url))
}

async fn read_json(response: reqwest::Response) -> Result<JsonValue, FetchError> {
    let status = response.status();
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Failed(format!("reading the answer: {e}")))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER_BYTES {
            return Err(FetchError::Failed("the answer is too large".into()));
        }
    }
    if !status.is_success() {
        let excerpt: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        return Err(FetchError::Failed(format!("answered {status}: {excerpt}")));
    }
    serde_json::from_slice(&body).map_err(|_| FetchError::Failed("the answer is not JSON".into()))
}

async fn get_json(
    network: SsoNetwork,
    field: &'static str,
    url: &str,
) -> Result<JsonValue, FetchError> {
    let (client, url) = client_for(network, field, url).await?;
    let response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| FetchError::Failed(format!("unreachable: {e}")))?;
    read_json(response).await
}

/// The claims we use from a verified ID token.
#[derive(Debug)]
struct Claims {
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
}

/// The code for tokens (client_secret_basic, PKCE), and the ID token checked.
async fn exchange(
    network: SsoNetwork,
    config: &Row,
    secret: &SecretString,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
    nonce: &str,
) -> Result<Claims, ProviderError> {
    let fail = |e: FetchError| match e {
        FetchError::Refused(e) => ProviderError(e.to_string()),
        FetchError::Failed(why) => ProviderError(why),
    };
    let issuer = issuer_url(&config.issuer).map_err(|e| ProviderError(e.to_string()))?;
    let discovery = discover(network, &issuer)
        .await
        .map_err(|e| ProviderError(e.to_string()))?;
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_verifier", verifier)
        .finish();
    // RFC 6749 §2.3.1: both halves form-encoded before the Basic encoding.
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let basic = STANDARD.encode(format!(
        "{}:{}",
        enc(&config.client_id),
        enc(secret.expose())
    ));
    let (client, url) = client_for(network, "issuer", discovery.token_endpoint.as_str())
        .await
        .map_err(fail)?;
    let response = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("authorization", format!("Basic {basic}"))
        .body(form)
        .send()
        .await
        .map_err(|e| ProviderError(format!("token endpoint unreachable: {e}")))?;
    let tokens = read_json(response).await.map_err(fail)?;
    let id_token = tokens
        .get("id_token")
        .and_then(JsonValue::as_str)
        .ok_or_else(|| ProviderError("the token answer has no id_token".into()))?;
    let keys = get_json(network, "issuer", discovery.jwks_uri.as_str())
        .await
        .map_err(fail)?;
    let payload = verify_jwt(id_token, &keys)?;
    check_claims(
        &payload,
        &discovery.issuer,
        &config.client_id,
        nonce,
        OffsetDateTime::now_utc().unix_timestamp(),
    )
}

/// Checks a compact JWS against a JWK set and returns its payload. RS256 and ES256 only: `none`
/// and the HMAC algorithms (which a public key would turn into a shared secret) never pass.
fn verify_jwt(token: &str, jwks: &JsonValue) -> Result<JsonValue, ProviderError> {
    let bad = |why: &str| ProviderError(format!("ID token: {why}"));
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not a compact JWS"));
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| bad("not base64url"))
    };
    let header: JsonValue =
        serde_json::from_slice(&decode(h)?).map_err(|_| bad("header is not JSON"))?;
    let alg = header.get("alg").and_then(JsonValue::as_str).unwrap_or("");
    let kid = header.get("kid").and_then(JsonValue::as_str);
    let kty = match alg {
        "RS256" => "RSA",
        "ES256" => "EC",
        _ => return Err(bad(&format!("algorithm {alg:?} is not accepted"))),
    };
    let keys = jwks
        .get("keys")
        .and_then(JsonValue::as_array)
        .ok_or_else(|| bad("the provider's key set has no keys"))?;
    let candidates: Vec<&JsonValue> = keys
        .iter()
        .filter(|k| k.get("kty").and_then(JsonValue::as_str) == Some(kty))
        .filter(|k| {
            k.get("use")
                .and_then(JsonValue::as_str)
                .is_none_or(|u| u == "sig")
        })
        .filter(|k| match kid {
            Some(kid) => k.get("kid").and_then(JsonValue::as_str) == Some(kid),
            None => true,
        })
        .collect();
    let message = format!("{h}.{p}");
    let signature = decode(s)?;
    let key_part = |k: &JsonValue, name: &str| -> Result<Vec<u8>, ProviderError> {
        k.get(name)
            .and_then(JsonValue::as_str)
            .ok_or_else(|| bad("a key lacks a part"))
            .and_then(&decode)
    };
    let verified = candidates.iter().any(|k| {
        let result = match kty {
            "RSA" => (|| {
                let key = ring::signature::RsaPublicKeyComponents {
                    n: key_part(k, "n")?,
                    e: key_part(k, "e")?,
                };
                Ok::<_, ProviderError>(
                    key.verify(
                        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                        message.as_bytes(),
                        &signature,
                    )
                    .is_ok(),
                )
            })(),
            _ => (|| {
                if k.get("crv").and_then(JsonValue::as_str) != Some("P-256") {
                    return Ok(false);
                }
                let mut point = vec![4u8];
                point.extend(key_part(k, "x")?);
                point.extend(key_part(k, "y")?);
                Ok::<_, ProviderError>(
                    ring::signature::UnparsedPublicKey::new(
                        &ring::signature::ECDSA_P256_SHA256_FIXED,
                        &point,
                    )
                    .verify(message.as_bytes(), &signature)
                    .is_ok(),
                )
            })(),
        };
        result.unwrap_or(false)
    });
    if !verified {
        return Err(bad(
            "the signature does not verify with the provider's keys",
        ));
    }
    serde_json::from_slice(&decode(p)?).map_err(|_| bad("payload is not JSON"))
}

/// OpenID Connect Core §3.1.3.7: issuer, audience (and `azp` when there are several), expiry,
/// issue time, nonce.
fn check_claims(
    claims: &JsonValue,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<Claims, ProviderError> {
    let bad = |why: String| ProviderError(format!("ID token: {why}"));
    let text = |name: &str| claims.get(name).and_then(JsonValue::as_str);
    if text("iss") != Some(issuer) {
        return Err(bad(format!("issuer {:?} is not {issuer}", text("iss"))));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(JsonValue::String(a)) => vec![a.as_str()],
        Some(JsonValue::Array(list)) => list.iter().filter_map(JsonValue::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&client_id) {
        return Err(bad("it is not meant for this client".into()));
    }
    if (audiences.len() > 1 || text("azp").is_some()) && text("azp") != Some(client_id) {
        return Err(bad("its authorized party is another client".into()));
    }
    let number = |name: &str| claims.get(name).and_then(JsonValue::as_i64);
    match number("exp") {
        Some(exp) if exp + SKEW > now => {}
        _ => return Err(bad("expired".into())),
    }
    match number("iat") {
        Some(iat) if iat - SKEW <= now => {}
        _ => return Err(bad("issued in the future, or no issue time".into())),
    }
    if text("nonce") != Some(nonce) {
        return Err(bad("the nonce is not this sign-in's".into()));
    }
    // Some providers send the flag as a string.
    let email_verified = match claims.get("email_verified") {
        Some(JsonValue::Bool(b)) => *b,
        Some(JsonValue::String(s)) => s == "true",
        _ => false,
    };
    Ok(Claims {
        email: text("email").map(str::to_owned),
        email_verified,
        name: text("name").map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_and_public_mail_refused() {
        let parsed = parse_domains(&["Acme.BE, @acme.eu".into(), " acme.be".into()]).unwrap();
        assert_eq!(parsed, vec!["acme.be", "acme.eu"]);
        for bad in ["gmail.com", "localhost", "-a.be", "a..be", "ac me.be"] {
            let err = parse_domains(&[bad.to_owned()]);
            assert!(
                matches!(
                    err,
                    Err(CoreError::Invalid {
                        field: "email_domains",
                        ..
                    })
                ),
                "{bad}: {err:?}"
            );
        }
        let many: Vec<String> = (0..21).map(|i| format!("d{i}.be")).collect();
        assert!(parse_domains(&many).is_err());
    }

    #[test]
    fn issuers_must_be_https_unless_private_ones_are_allowed() {
        let strict = SsoNetwork::default();
        assert!(parse_issuer("https://id.acme.be/realms/acme", strict).is_ok());
        for bad in [
            "http://id.acme.be",
            "id.acme.be",
            "https://id.acme.be/?x=1",
            "https://u:p@id.acme.be",
            "https://id.acme.be/#f",
        ] {
            let err = parse_issuer(bad, strict).unwrap_err().to_string();
            assert!(err.starts_with("issuer: "), "{bad}: {err}");
        }
        let open = SsoNetwork {
            allow_private_issuers: true,
        };
        assert!(parse_issuer("http://127.0.0.1:4000", open).is_ok());
    }

    fn claims(overrides: JsonValue) -> JsonValue {
        let mut base = serde_json::json!({
            "iss": "https://id.acme.be", "aud": "bastion", "exp": 2_000, "iat": 1_000,
            "nonce": "n-1", "email": "ada@acme.be", "email_verified": true, "name": "Ada",
        });
        for (k, v) in overrides.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        base
    }

    #[test]
    fn id_token_claims_are_checked_one_by_one() {
        let check = |c: JsonValue| check_claims(&c, "https://id.acme.be", "bastion", "n-1", 1_500);
        let ok = check(claims(serde_json::json!({}))).unwrap();
        assert_eq!(ok.email.as_deref(), Some("ada@acme.be"));
        assert!(ok.email_verified);
        for (why, bad) in [
            ("issuer", serde_json::json!({"iss": "https://evil.example"})),
            ("audience", serde_json::json!({"aud": "other"})),
            (
                "azp",
                serde_json::json!({"aud": ["bastion", "other"], "azp": "other"}),
            ),
            ("expired", serde_json::json!({"exp": 1_400})),
            ("future", serde_json::json!({"iat": 1_600})),
            ("nonce", serde_json::json!({"nonce": "n-2"})),
            ("no nonce", serde_json::json!({"nonce": null})),
        ] {
            assert!(check(claims(bad)).is_err(), "{why} passed");
        }
        assert!(check(claims(
            serde_json::json!({"aud": ["bastion", "x"], "azp": "bastion"})
        ))
        .is_ok());
        let unverified = check(claims(serde_json::json!({"email_verified": false}))).unwrap();
        assert!(!unverified.email_verified);
        let missing = check(claims(serde_json::json!({"email_verified": null}))).unwrap();
        assert!(
            !missing.email_verified,
            "a missing flag is not a verified address"
        );
    }

    #[test]
    fn tokens_verify_only_with_the_providers_key_and_an_accepted_algorithm() {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let point = pair.public_key().as_ref();
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        }]});
        let sign = |header: JsonValue, payload: JsonValue| {
            let m = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(payload.to_string())
            );
            let sig = pair.sign(&rng, m.as_bytes()).unwrap();
            format!("{m}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
        };
        let payload = serde_json::json!({"sub": "1"});
        let good = sign(
            serde_json::json!({"alg": "ES256", "kid": "k1"}),
            payload.clone(),
        );
        assert_eq!(verify_jwt(&good, &jwks).unwrap(), payload);
        // Another key id, a tampered payload, `none` and HS256 are all refused.
        let other_kid = sign(
            serde_json::json!({"alg": "ES256", "kid": "k2"}),
            payload.clone(),
        );
        assert!(verify_jwt(&other_kid, &jwks).is_err());
        let mut parts: Vec<&str> = good.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"sub":"2"}"#);
        parts[1] = &forged;
        assert!(verify_jwt(&parts.join("."), &jwks).is_err());
        for alg in ["none", "HS256"] {
            let t = sign(
                serde_json::json!({"alg": alg, "kid": "k1"}),
                payload.clone(),
            );
            assert!(verify_jwt(&t, &jwks).is_err(), "{alg} accepted");
        }
    }
}
