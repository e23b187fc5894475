//! Single sign-on with OpenID Connect over REST: admins read and save a workspace's provider
//! (`/api/v1/workspaces/{ws}/sso`), and the two browser steps of a sign-in (`/api/v1/auth/sso/…`):
//! the start sends the browser to the provider, the callback brings it back with a session.
//! Both browser steps answer 303 only; a refusal goes to the sign-in page with
//! `?sso_error=<code>`, which says it in the reader's language. The logic is in
//! `bastion_core::sso`.

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use bastion_core::{
    secrets::SecretString,
    sessions,
    sso::{self, Callback, SsoChange, SsoRefused, StartBy, STATE_COOKIE},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::{self, ClientIp, Member},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    query::ApiQuery,
    AppState,
};

/// A workspace's single sign-on settings; the client secret is never returned.
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoView {
    /// Whether settings were ever saved.
    pub configured: bool,
    /// Whether members can sign in through the provider.
    pub enabled: bool,
    #[schema(example = "https://id.acme.be/realms/acme")]
    pub issuer: String,
    #[schema(example = "bastion")]
    pub client_id: String,
    /// Whether a client secret is stored.
    pub client_secret_set: bool,
    /// Addresses at these domains sign in through the provider.
    #[schema(example = json!(["acme.be"]))]
    pub email_domains: Vec<String>,
    /// A verified address at one of the domains, without a membership, joins as a member.
    pub allow_join: bool,
    /// Members may not sign in with a password or a passkey (except the break-glass admin).
    pub sso_only: bool,
    /// The admin who may still sign in with a password when `sso_only` is on.
    pub break_glass_user_id: Option<Uuid>,
    /// Register this at the provider as the client's redirect URI.
    #[schema(example = "https://bastion.example/api/v1/auth/sso/callback")]
    pub redirect_uri: String,
    /// A link that starts a sign-in to this workspace (for an intranet or a bookmark).
    #[schema(example = "https://bastion.example/api/v1/auth/sso/start?workspace=acme")]
    pub sign_in_url: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<String>,
}

impl SsoView {
    pub fn new(state: &AppState, slug: &str, s: sso::SsoSettings) -> Self {
        Self {
            configured: s.configured,
            enabled: s.enabled,
            issuer: s.issuer,
            client_id: s.client_id,
            client_secret_set: s.client_secret_set,
            email_domains: s.email_domains,
            allow_join: s.allow_join,
            sso_only: s.sso_only,
            break_glass_user_id: s.break_glass_user_id,
            redirect_uri: state.config.sso_redirect_uri(),
            sign_in_url: format!(
                "{}/api/v1/auth/sso/start?workspace={}",
                state.config.origin(),
                slug
            ),
            updated_at: s.updated_at.and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        }
    }
}

/// What an admin saves. Leave `client_secret` out to keep the stored one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoInput {
    pub enabled: bool,
    #[schema(example = "https://id.acme.be/realms/acme", max_length = 2000)]
    pub issuer: String,
    #[schema(example = "bastion", min_length = 1, max_length = 500)]
    pub client_id: String,
    #[schema(value_type = Option<String>, min_length = 1, max_length = 2000)]
    pub client_secret: Option<SecretString>,
    #[schema(example = json!(["acme.be"]), max_items = 20)]
    pub email_domains: Vec<String>,
    #[serde(default)]
    pub allow_join: bool,
    #[serde(default)]
    pub sso_only: bool,
    #[serde(default)]
    pub break_glass_user_id: Option<Uuid>,
}

/// The workspace's single sign-on settings. Admins only.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/sso",
    responses(
        (status = 200, description = "The settings (`configured: false` before the first save).", body = SsoView),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
    ),
)]
pub async fn get_sso(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<SsoView>, ApiError> {
    let viewer = member.viewer();
    let Member { tx, workspace, .. } = member;
    // The settings live in the control plane; the tenant transaction only proved membership.
    tx.rollback().await?;
    let settings = sso::settings(&state.pool, viewer, &workspace).await?;
    Ok(Json(SsoView::new(&state, &workspace.slug, settings)))
}

/// Save the workspace's single sign-on settings. When `enabled`, the provider's discovery
/// document is read first, so a wrong issuer is refused now. Each domain must be one where an
/// admin of the workspace has an address, and no other workspace's. A change is an event of the
/// workspace's history (never the secret). Admins only.
#[utoipa::path(
    put,
    path = "/api/v1/workspaces/{ws}/sso",
    request_body = SsoInput,
    responses(
        (status = 200, description = "Saved.", body = SsoView),
        (status = 403, description = "Not an admin, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A field is invalid, or the provider did not answer; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_sso(
    State(state): State<AppState>,
    member: Member,
    ApiJson(input): ApiJson<SsoInput>,
) -> Result<Json<SsoView>, ApiError> {
    let viewer = member.viewer();
    let Member { tx, workspace, .. } = member;
    tx.rollback().await?;
    let change = SsoChange {
        enabled: input.enabled,
        issuer: input.issuer,
        client_id: input.client_id,
        client_secret: input.client_secret,
        email_domains: input.email_domains,
        allow_join: input.allow_join,
        sso_only: input.sso_only,
        break_glass_user_id: input.break_glass_user_id,
    };
    let saved = sso::configure(
        &state.pool,
        &state.keys,
        state.config.sso(),
        viewer,
        &workspace,
        &change,
    )
    .await?;
    Ok(Json(SsoView::new(&state, &workspace.slug, saved)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// The person's address: its domain finds the workspace.
    #[param(example = "ada@acme.be", format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Or the workspace's slug (its sign-in link).
    #[param(example = "acme", max_length = 63)]
    pub workspace: Option<String>,
}

/// Where a refused browser step sends the person: the sign-in page, which says why.
fn to_sign_in(refused: &SsoRefused) -> Response {
    see_other(&format!("/sign-in?sso_error={}", refused.code()))
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn state_cookie(state: &AppState, value: Option<&str>) -> HeaderValue {
    let secure = if state.config.serves_https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = match value {
        Some(v) => format!(
            "{STATE_COOKIE}={v}; Path=/api/v1/auth/sso; HttpOnly; SameSite=Lax; Max-Age=600{secure}"
        ),
        None => format!(
            "{STATE_COOKIE}=; Path=/api/v1/auth/sso; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
        ),
    };
    HeaderValue::from_str(&cookie).expect("base64url is a valid header value")
}

/// Start a single sign-on sign-in (a browser step): by the person's email or the workspace's
/// link. Answers a page that goes on to the provider at once (a meta refresh and a link: a
/// redirect would be refused to the sign-in form by the pages' `form-action 'self'`), with a
/// ten-minute `bastion_sso` cookie that the callback must see; or 303 to
/// `/sign-in?sso_error=not_configured|provider|too_many_attempts`. Counts against the
/// per-address sign-in limit.
#[utoipa::path(
    get,
    path = "/api/v1/auth/sso/start",
    params(StartQuery),
    responses(
        (status = 200, description = "A page going on to the provider's sign-in.", content_type = "text/html", body = String),
        (status = 303, description = "Back to the sign-in page with `sso_error`.",
         headers(("Location" = String, description = "Where to go next"))),
        (status = 422, description = "Neither `email` nor `workspace`, a malformed email, or a parameter longer than documented; it is named.", body = ErrorBody),
    ),
)]
pub async fn start_sso_sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiQuery(query): ApiQuery<StartQuery>,
) -> Result<Response, ApiError> {
    at_most("email", query.email.as_deref(), 254)?;
    at_most("workspace", query.workspace.as_deref(), 63)?;
    let by = match (query.email, query.workspace) {
        (Some(email), _) if !email.trim().is_empty() => StartBy::Email(email),
        (_, Some(slug)) if !slug.trim().is_empty() => StartBy::Workspace(slug.trim().to_owned()),
        _ => {
            return Err(ApiError::Invalid {
                field: "email".into(),
                message: "give your email address (or the workspace's sign-in link)".into(),
            })
        }
    };
    let started = sso::start(
        &state.pool,
        state.config.sso(),
        &by,
        &state.config.sso_redirect_uri(),
        ip,
    )
    .await?;
    Ok(match started {
        Ok(started) => {
            let mut response = onward_page(&started.authorization_url);
            response.headers_mut().insert(
                header::SET_COOKIE,
                state_cookie(&state, Some(started.state.expose())),
            );
            response
        }
        Err(refused) => to_sign_in(&refused),
    })
}

/// A page that goes on to the provider at once (a meta refresh, and a link for whoever has
/// refreshes turned off). Not a redirect: the sign-in form posts here, and the pages' CSP
/// (`form-action 'self'`) makes browsers refuse a form's redirect to another origin; a refresh is
/// a navigation of its own.
fn onward_page(url: &str) -> Response {
    let locale = crate::language::current();
    let t = locale.t();
    let url = escape(url);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <meta http-equiv=\"refresh\" content=\"0; url={url}\">\
         <title>{title}</title></head>\n<body><main>\n<p><a href=\"{url}\">{link}</a></p>\n\
         </main></body></html>\n",
        lang = locale.tag(),
        title = escape(t.sso_continuing()),
        link = escape(t.sso_continue_link()),
    );
    let mut response = (StatusCode::OK, axum::response::Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A query parameter longer than the document allows is malformed, not a sign-in to refuse
/// politely: no provider sends one, nor does any link Bastion makes.
fn at_most(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    match value {
        Some(value) if value.chars().count() > max => Err(ApiError::Invalid {
            field: field.into(),
            message: format!("must be at most {max} characters"),
        }),
        _ => Ok(()),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    #[param(max_length = 4096)]
    pub code: Option<String>,
    /// The sign-in's state, as sent to the provider.
    #[param(max_length = 512)]
    pub state: Option<String>,
    /// The provider's refusal (`access_denied`, …).
    #[param(max_length = 512)]
    pub error: Option<String>,
}

/// Finish a single sign-on sign-in (a browser step, where the provider sends the person back).
/// Answers 303 to the workspace with a new session cookie; or 303 to `/sign-in?sso_error=…`
/// (`expired`, `denied`, `provider`, `unverified_email`, `other_domain`, `not_member`,
/// `not_configured`).
#[utoipa::path(
    get,
    path = "/api/v1/auth/sso/callback",
    params(CallbackQuery),
    responses(
        (status = 303, description = "To the workspace, signed in; or back to the sign-in page with `sso_error`.",
         headers(("Location" = String, description = "Where to go next"),
                 ("Set-Cookie" = String, description = "The session, when signed in"))),
        (status = 422, description = "A parameter longer than documented; it is named.", body = ErrorBody),
    ),
)]
pub async fn confirm_sso_sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Result<Response, ApiError> {
    at_most("code", query.code.as_deref(), 4096)?;
    at_most("state", query.state.as_deref(), 512)?;
    at_most("error", query.error.as_deref(), 512)?;
    let cookie_state = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == STATE_COOKIE)
        .map(|(_, value)| value.to_owned());
    let callback = Callback {
        state: query.state,
        code: query.code,
        error: query.error,
        cookie_state,
    };
    let from = bastion_core::devices::SignInFrom {
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
        address: ip,
    };
    let finished = sso::finish(
        &state.pool,
        &state.keys,
        state.config.sso(),
        &callback,
        from,
    )
    .await?;
    let mut response = match finished {
        Ok(signed_in) => {
            // A session the browser already had ends: no fixation, one person per browser.
            if let Some(old) = auth::session_cookie(&headers) {
                sessions::end(&state.pool, &old).await?;
            }
            let mut response = see_other(&format!("/w/{}", signed_in.workspace_slug));
            response.headers_mut().append(
                header::SET_COOKIE,
                auth::session_set_cookie(&state, &signed_in.token),
            );
            response
        }
        Err(refused) => to_sign_in(&refused),
    };
    response
        .headers_mut()
        .append(header::SET_COOKIE, state_cookie(&state, None));
    Ok(response)
}

pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(start_sso_sign_in))
        .routes(utoipa_axum::routes!(confirm_sso_sign_in))
}

pub fn workspace_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(get_sso, update_sso))
}
