//! What server functions get from the server process: the pool and cookie settings, put in
//! context by the router for every request.

use bastion_core::sessions::SessionToken;
use leptos::prelude::*;
use sqlx::PgPool;

use crate::UiError;

#[derive(Clone)]
pub struct ServerContext {
    pub pool: PgPool,
    pub secure_cookies: bool,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// For what is encrypted under the master key itself (pending signups) and for creating
    /// workspaces (their data keys are wrapped under it).
    pub keys: std::sync::Arc<bastion_core::keys::MasterKeyRing>,
    pub signup_limits: bastion_core::signups::SignupLimits,
    /// Our public origin, for links in emails.
    pub origin: String,
    /// Who passkeys are for; `None` when the public URL names an address rather than a domain
    /// (passkeys are then unavailable).
    pub relying_party: Option<bastion_core::passkeys::RelyingParty>,
    /// Where DPA and security-pack requests go (`BASTION_SECURITY_CONTACT`).
    pub security_contact: String,
    /// Where attachments and export archives live (S3 or `$BASTION_DATA_DIR/objects`), the
    /// same handle the REST API uses.
    pub objects: bastion_core::storage::Objects,
    /// The operator's single sign-on settings (`BASTION_SSO_ALLOW_PRIVATE_ISSUERS`).
    pub sso: bastion_core::sso::SsoNetwork,
    /// Where outgoing webhooks may go (`BASTION_WEBHOOKS_ALLOW_PRIVATE_TARGETS`).
    pub webhooks: bastion_core::webhooks::WebhookSettings,
}

pub fn context() -> Result<ServerContext, UiError> {
    use_context::<ServerContext>().ok_or_else(|| UiError::internal("server context missing"))
}

/// The cookie naming the workspace this browser last had a page of (set by the server on every
/// workspace page it answers), where a sign-in without a `next` lands.
pub const LAST_WORKSPACE_COOKIE: &str = "bastion_last_workspace";

/// Whether the browser asked for the workspace navigation folded away on a wide screen (the
/// `bastion_sidebar` cookie its script sets; a preference of this browser, not of the account).
pub fn sidebar_collapsed() -> bool {
    request_cookie("bastion_sidebar").as_deref() == Some("collapsed")
}

/// The slug in [`LAST_WORKSPACE_COOKIE`], if it looks like one.
pub fn last_workspace() -> Option<String> {
    request_cookie(LAST_WORKSPACE_COOKIE).filter(|slug| {
        !slug.is_empty()
            && slug.len() <= 63
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

/// The value of the request's cookie `name`, if it sent one.
fn request_cookie(name: &str) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

pub fn current_token() -> Option<SessionToken> {
    let parts = use_context::<http::request::Parts>()?;
    bastion_core::sessions::token_from_cookie_header(
        parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

/// The cookie that carries a sign-in's two-factor challenge from the password form to the code
/// form: HttpOnly, five minutes, no session.
pub const CHALLENGE_COOKIE: &str = "bastion_sign_in";

/// `Set-Cookie` for the challenge (`Some`) or for forgetting it (`None`).
pub fn challenge_cookie(challenge: Option<&str>, secure: bool) -> String {
    let max_age = match challenge {
        Some(_) => bastion_core::two_factor::CHALLENGE_LIFETIME.whole_seconds(),
        None => 0,
    };
    format!(
        "{CHALLENGE_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        challenge.unwrap_or_default(),
        if secure { "; Secure" } else { "" }
    )
}

/// The challenge cookie's value, if the browser sent one.
pub fn current_challenge() -> Option<bastion_core::secrets::SecretString> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == CHALLENGE_COOKIE)
        .map(|(_, value)| value.to_owned().into())
}

pub fn set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
}

pub fn client_ip() -> Option<std::net::IpAddr> {
    let parts = use_context::<http::request::Parts>()?;
    let ctx = use_context::<ServerContext>()?;
    client_ip_of(&parts, &ctx.trusted_proxies)
}

/// The client's address for a request: shared by server functions and the REST extractor.
pub fn client_ip_of(
    parts: &http::request::Parts,
    trusted_proxies: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    bastion_core::limits::client_ip(peer, forwarded, trusted_proxies)
}

pub fn user_agent() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub fn set_status(status: http::StatusCode) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

/// A fresh session for someone who just proved who they are (signed in, confirmed a signup,
/// joined by invitation); any session the browser had ends first (no fixation).
pub async fn start_session(user_id: uuid::Uuid) -> Result<(), UiError> {
    start_session_with(user_id, bastion_core::sessions::Factor::Password).await
}

/// [`start_session`], recording the factor that proved it.
pub async fn start_session_with(
    user_id: uuid::Uuid,
    factor: bastion_core::sessions::Factor,
) -> Result<(), UiError> {
    let ctx = context()?;
    if let Some(old) = current_token() {
        bastion_core::sessions::end(&ctx.pool, &old).await?;
    }
    let agent = user_agent();
    let from = bastion_core::devices::SignInFrom {
        user_agent: agent.as_deref(),
        address: client_ip(),
    };
    let (token, _) =
        bastion_core::sessions::start(&ctx.pool, &ctx.keys, user_id, from, factor).await?;
    set_cookie(&bastion_core::sessions::set_cookie_value(
        &token,
        ctx.secure_cookies,
    ));
    Ok(())
}

type SignedIn = (
    bastion_core::accounts::User,
    bastion_core::sessions::SessionInfo,
);

/// The signed-in user and their session, or `None` for a visitor (no cookie, or a session that
/// ended).
pub async fn signed_in() -> Result<Option<SignedIn>, UiError> {
    let ctx = context()?;
    let Some(token) = current_token() else {
        return Ok(None);
    };
    let mut conn = ctx.pool.acquire().await?;
    let caller = bastion_core::sessions::resolve_user(&mut conn, &token).await?;
    Ok(caller.map(|(session, user)| (user, session)))
}

/// The signed-in user and their session, or 401.
pub async fn current_user() -> Result<SignedIn, UiError> {
    signed_in().await?.ok_or_else(UiError::unauthenticated)
}

/// The workspaces the user may switch to, as (slug, name).
pub async fn workspace_links(user_id: uuid::Uuid) -> Result<Vec<(String, String)>, UiError> {
    let ctx = context()?;
    let workspaces = bastion_core::accounts::workspaces_of(&ctx.pool, user_id).await?;
    Ok(workspaces.into_iter().map(|w| (w.slug, w.name)).collect())
}

/// The caller in an opened workspace, as core actions take them.
pub struct Opened {
    pub user: bastion_core::accounts::User,
    pub workspace: bastion_core::workspaces::Workspace,
    pub viewer: bastion_core::Viewer,
    pub tx: bastion_core::TenantTx,
}

/// A workspace as the signed-in caller sees it: who they are, the workspace, their role, and a
/// tenant transaction opened as them. Anyone who is not an active member of it (signed out,
/// deactivated, another workspace's member) gets the same 404 as for a workspace that does not
/// exist: no existence oracle.
pub async fn open_workspace(
    slug: &str,
) -> Result<
    (
        bastion_core::accounts::User,
        bastion_core::workspaces::Workspace,
        crate::policy::Role,
        bastion_core::TenantTx,
    ),
    UiError,
> {
    let ctx = context()?;
    let not_found = || UiError::not_found(crate::use_t().workspace_not_found());
    let token = current_token().ok_or_else(not_found)?;
    // A page load (and a server function called with GET) only reads: it enters as the REST
    // API's GETs do, without a transaction, and PostgreSQL refuses any write it attempted. A
    // server function's POST may write.
    let access = use_context::<http::request::Parts>()
        .map_or(bastion_core::members::Access::ReadWrite, |parts| {
            bastion_core::members::Access::for_method(parts.method.as_str())
        });
    // One connection for the session, the workspace and the tenant transaction: every checkout
    // costs two round trips when it goes back to the pool.
    let conn = ctx.pool.acquire().await?;
    let bastion_core::members::SessionEntry::Member {
        user,
        workspace,
        role,
        tx,
        ..
    } = bastion_core::members::enter_by_session(&ctx.pool, conn, &token, slug, access).await?
    else {
        return Err(not_found());
    };
    let role = crate::policy::Role::parse(&role).ok_or_else(not_found)?;
    // Remembered for where this browser's next sign-in lands (`account::landing`): every
    // workspace page, loaded whole or navigated to, reads its data through here.
    let secure = if ctx.secure_cookies { "; Secure" } else { "" };
    set_cookie(&format!(
        "{LAST_WORKSPACE_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}",
        workspace.slug
    ));
    Ok((user, workspace, role, tx))
}

/// [`open_workspace`] with the caller as the [`bastion_core::Viewer`] that core actions take.
pub async fn open(slug: &str) -> Result<Opened, UiError> {
    let (user, workspace, role, tx) = open_workspace(slug).await?;
    let viewer = bastion_core::Viewer::new(user.id, role);
    Ok(Opened {
        user,
        workspace,
        viewer,
        tx,
    })
}
