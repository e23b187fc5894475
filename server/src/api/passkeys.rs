//! Passkeys over REST: the caller's own passkeys (session only, like two-factor sign-in: a token
//! cannot change how its user signs in), a sign-in with a passkey alone, and a passkey as the
//! second step of a password sign-in. Each ceremony is two calls: options, then the answer of
//! `navigator.credentials.create` / `.get` with the ceremony id.

use axum::{extract::State, http::HeaderMap, http::StatusCode, response::Response, Json};
use bastion_core::{passkeys, secrets::SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{ClientIp, CurrentUser},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyView {
    pub id: Uuid,
    #[schema(example = "Laptop")]
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// When it last signed in; null if never.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<String>,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl From<passkeys::PasskeyInfo> for PasskeyView {
    fn from(p: passkeys::PasskeyInfo) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: rfc3339(p.created_at),
            last_used_at: p.last_used_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyList {
    pub items: Vec<PasskeyView>,
}

/// A ceremony started: hand `options.publicKey` (binary fields in base64url) to
/// `navigator.credentials.create` or `.get`, then send the answer with `ceremony`. Five minutes,
/// one answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CeremonyView {
    #[schema(value_type = String)]
    pub ceremony: SecretString,
    /// WebAuthn options: `{"publicKey": …}`.
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
    #[schema(example = 300)]
    pub expires_in_secs: i64,
}

impl From<passkeys::Started> for CeremonyView {
    fn from(started: passkeys::Started) -> Self {
        Self {
            ceremony: started.ceremony.expose().to_owned().into(),
            options: started.options,
            expires_in_secs: passkeys::CEREMONY_LIFETIME.whole_seconds(),
        }
    }
}

fn relying_party(state: &AppState) -> Result<passkeys::RelyingParty, ApiError> {
    Ok(state.config.relying_party()?)
}

/// The caller's passkeys, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/me/passkeys",
    responses((status = 200, description = "The caller's passkeys.", body = PasskeyList)),
    security(("session_cookie" = []))
)]
pub async fn list_passkeys(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<PasskeyList>, ApiError> {
    let items = passkeys::list(&state.pool, current.user.id)
        .await?
        .into_iter()
        .map(PasskeyView::from)
        .collect();
    Ok(Json(PasskeyList { items }))
}

/// Start adding a passkey: the options for `navigator.credentials.create` (a discoverable
/// credential with user verification; the caller's passkeys excluded).
#[utoipa::path(
    post,
    path = "/api/v1/me/passkeys/registration",
    operation_id = "start_passkey_registration",
    responses(
        (status = 200, description = "The ceremony and its options.", body = CeremonyView),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 409, description = "`too_many_passkeys`: the account holds 20.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn start_registration(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<CeremonyView>, ApiError> {
    let rp = relying_party(&state)?;
    let started = passkeys::begin_registration(&state.pool, &rp, &current.user).await?;
    Ok(Json(started.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPasskey {
    /// From `POST /api/v1/me/passkeys/registration`.
    #[schema(value_type = String)]
    pub ceremony: SecretString,
    /// The `PublicKeyCredential` that `navigator.credentials.create` answered, as JSON with
    /// its binary fields in base64url (`id`, `rawId`, `type`, `response.attestationObject`,
    /// `response.clientDataJSON`).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// How the account page names it; at most 60 characters, "Passkey" when empty.
    #[serde(default)]
    #[schema(example = "Laptop")]
    pub name: String,
}

/// Finish adding a passkey with the browser's answer. Recorded as an account event.
#[utoipa::path(
    post,
    path = "/api/v1/me/passkeys",
    operation_id = "create_passkey",
    request_body = NewPasskey,
    responses(
        (status = 201, description = "Added; it signs in from now on.", body = PasskeyView),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 409, description = "`passkey_registered`: this credential is registered already.", body = ErrorBody),
        (status = 422, description = "`ceremony` is unknown, expired or answered already; \
`credential` was not accepted; `name` is too long.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn create_passkey(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<NewPasskey>,
) -> Result<(StatusCode, Json<PasskeyView>), ApiError> {
    let rp = relying_party(&state)?;
    let added = passkeys::finish_registration(
        &state.pool,
        &state.keys,
        &rp,
        &current.user,
        body.ceremony.expose(),
        &body.credential,
        &body.name,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(added.into())))
}

/// Remove one of the caller's passkeys. Recorded as an account event.
#[utoipa::path(
    delete,
    path = "/api/v1/me/passkeys/{id}",
    operation_id = "delete_passkey",
    params(("id" = Uuid, Path, description = "Passkey id")),
    responses(
        (status = 204, description = "Removed; it signs in no more."),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 404, description = "No such passkey of the caller's.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn delete_passkey(
    State(state): State<AppState>,
    current: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    passkeys::remove(&state.pool, &state.keys, &current.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start a sign-in with a passkey alone (no email, no password): options for
/// `navigator.credentials.get` with no allowed credentials (the authenticator offers its
/// passkeys for this site).
#[utoipa::path(
    post,
    path = "/api/v1/auth/passkey/options",
    operation_id = "start_passkey_sign_in",
    responses(
        (status = 200, description = "The ceremony and its options.", body = CeremonyView),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 429, description = "This address tried too often; see `Retry-After`.", body = ErrorBody),
    )
)]
pub async fn start_sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
) -> Result<Json<CeremonyView>, ApiError> {
    let rp = relying_party(&state)?;
    Ok(Json(
        passkeys::begin_sign_in(&state.pool, &rp, ip).await?.into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyAnswer {
    /// From the options call.
    #[schema(value_type = String)]
    pub ceremony: SecretString,
    /// The `PublicKeyCredential` that `navigator.credentials.get` answered, as JSON with its
    /// binary fields in base64url (`response.authenticatorData`, `clientDataJSON`,
    /// `signature`, `userHandle`).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// Sign in with a passkey: the ceremony and the browser's answer. Starts a session (factor
/// `passkey`: the authenticator verified its user). A refused answer of a known passkey counts
/// toward its account's lockout.
#[utoipa::path(
    post,
    path = "/api/v1/auth/passkey",
    operation_id = "sign_in_with_passkey",
    request_body = PasskeyAnswer,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = super::auth::UserView),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "`ceremony` is unknown, expired or answered already, or \
`credential` was not accepted.", body = ErrorBody),
        (status = 429, description = "The account is locked, or this address tried too often; \
see `Retry-After`.", body = ErrorBody),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasskeyAnswer>,
) -> Result<Response, ApiError> {
    let rp = relying_party(&state)?;
    let (user, factor) = passkeys::finish_sign_in(
        &state.pool,
        &rp,
        body.ceremony.expose(),
        &body.credential,
        ip,
    )
    .await?;
    super::auth::start_session(&state, (&headers, ip), user, factor).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeOnly {
    /// The challenge from the 202 answer of `POST /api/v1/auth/sign-in`.
    #[schema(value_type = String)]
    pub challenge: SecretString,
}

/// Start the second step of a password sign-in with a passkey: options for
/// `navigator.credentials.get` allowing the account's passkeys. Counts as one of the
/// challenge's five attempts.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-in/second-factor/passkey/options",
    operation_id = "start_passkey_second_factor",
    request_body = ChallengeOnly,
    responses(
        (status = 200, description = "The ceremony and its options.", body = CeremonyView),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 409, description = "`no_passkey`: the account has no passkey (use a code).", body = ErrorBody),
        (status = 422, description = "`challenge` is unknown, expired or out of attempts.", body = ErrorBody),
        (status = 429, description = "The account is locked; see `Retry-After`.", body = ErrorBody),
    )
)]
pub async fn start_second_factor(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ChallengeOnly>,
) -> Result<Json<CeremonyView>, ApiError> {
    let rp = relying_party(&state)?;
    let started = passkeys::begin_second_factor(&state.pool, &rp, body.challenge.expose()).await?;
    Ok(Json(started.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorPasskey {
    #[schema(value_type = String)]
    pub challenge: SecretString,
    #[schema(value_type = String)]
    pub ceremony: SecretString,
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// Finish a password sign-in with a passkey. Starts the session (factor `password_passkey`);
/// recorded as an account event. A refused answer counts toward the lockout.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-in/second-factor/passkey",
    operation_id = "sign_in_second_factor_passkey",
    request_body = SecondFactorPasskey,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = super::auth::UserView),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "`challenge` or `ceremony` is unknown, expired or used up, \
or `credential` was not accepted.", body = ErrorBody),
        (status = 429, description = "The account is locked, or this address tried too often; \
see `Retry-After`.", body = ErrorBody),
    )
)]
pub async fn finish_second_factor(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SecondFactorPasskey>,
) -> Result<Response, ApiError> {
    let rp = relying_party(&state)?;
    let (user, factor) = passkeys::finish_second_factor(
        &state.pool,
        &rp,
        body.challenge.expose(),
        body.ceremony.expose(),
        &body.credential,
        ip,
    )
    .await?;
    super::auth::start_session(&state, (&headers, ip), user, factor).await
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_passkeys, create_passkey))
        .routes(utoipa_axum::routes!(start_registration))
        .routes(utoipa_axum::routes!(delete_passkey))
        .routes(utoipa_axum::routes!(start_sign_in))
        .routes(utoipa_axum::routes!(sign_in))
        .routes(utoipa_axum::routes!(start_second_factor))
        .routes(utoipa_axum::routes!(finish_second_factor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceremony_ids_and_challenges_never_print() {
        let body: SecondFactorPasskey = serde_json::from_value(serde_json::json!({
            "challenge": "the-challenge-secret",
            "ceremony": "the-ceremony-secret",
            "credential": {},
        }))
        .unwrap();
        let printed = format!("{body:?}");
        assert!(!printed.contains("challenge-secret") && !printed.contains("ceremony-secret"));
    }
}
