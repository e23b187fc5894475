//! Two-factor sign-in over REST: the second step of a sign-in, and the caller's own enrolment,
//! recovery codes and removal (session only: a token cannot change how its user signs in).

use axum::{extract::State, http::HeaderMap, http::StatusCode, response::Response, Json};
use bastion_core::{secrets::SecretString, two_factor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    auth::{ClientIp, CurrentUser},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactor {
    /// The challenge from the 202 answer of `POST /api/v1/auth/sign-in`.
    #[schema(value_type = String)]
    pub challenge: SecretString,
    /// A 6-digit code from the authenticator app, or an unused recovery code.
    #[schema(value_type = String, example = "492039")]
    pub code: SecretString,
}

/// The second step of a sign-in: the challenge and a code from the authenticator app (or a
/// recovery code). Starts the session. A wrong code changes nothing and counts toward the
/// account lockout; a challenge takes five codes within five minutes.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-in/second-factor",
    operation_id = "sign_in_second_factor",
    request_body = SecondFactor,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = super::auth::UserView),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "`code` is wrong or was used already, or `challenge` is \
unknown, expired or out of attempts (sign in again with the password).", body = ErrorBody),
        (status = 429, description = "The account is locked (10 failures, passwords and codes \
together, within 15 minutes), or this address tried too often. See `Retry-After`.", body = ErrorBody),
    )
)]
pub async fn finish_sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SecondFactor>,
) -> Result<Response, ApiError> {
    let (user, factor) = two_factor::finish_sign_in(
        &state.pool,
        &state.keys,
        body.challenge.expose(),
        body.code.expose(),
        ip,
    )
    .await?;
    super::auth::start_session(&state, (&headers, ip), user, factor).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountEventView {
    /// `two_factor_enabled`, `two_factor_disabled`, `recovery_code_used` or
    /// `recovery_codes_regenerated`.
    #[schema(example = "two_factor_enabled")]
    pub kind: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorStatus {
    /// Sign-in asks for a code.
    pub enabled: bool,
    /// Enrolment was started and waits for its first code.
    pub pending: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// The account's newest security events, newest first.
    pub events: Vec<AccountEventView>,
}

/// Whether the caller signs in with a second factor, and their account's security record.
#[utoipa::path(
    get,
    path = "/api/v1/me/two-factor",
    responses((status = 200, description = "The caller's two-factor state.", body = TwoFactorStatus)),
    security(("session_cookie" = []))
)]
pub async fn get_two_factor(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<TwoFactorStatus>, ApiError> {
    let status = two_factor::status(&state.pool, current.user.id).await?;
    let events = two_factor::events(&state.pool, current.user.id, 20)
        .await?
        .into_iter()
        .map(|e| AccountEventView {
            kind: e.kind,
            at: e
                .at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        })
        .collect();
    Ok(Json(TwoFactorStatus {
        enabled: status.enabled,
        pending: status.pending,
        recovery_codes_left: status.recovery_codes_left,
        events,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    /// The secret in base32, to type into an authenticator app.
    #[schema(value_type = String, example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: SecretString,
    /// The same as an `otpauth://` link (what the account page's QR code holds).
    #[schema(value_type = String)]
    pub otpauth_uri: SecretString,
}

/// Start (or start over) setting up two-factor sign-in: a fresh secret, not asked at sign-in
/// until confirmed with a first code.
#[utoipa::path(
    post,
    path = "/api/v1/me/two-factor/enrolment",
    responses(
        (status = 201, description = "The secret to add to an authenticator app.", body = EnrolmentView),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 409, description = "`two_factor_on`: two-factor sign-in is already on.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn start_enrolment(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<(StatusCode, Json<EnrolmentView>), ApiError> {
    let enrolment = two_factor::begin_enrolment(&state.pool, &state.keys, &current.user).await?;
    Ok((
        StatusCode::CREATED,
        Json(EnrolmentView {
            secret: enrolment.secret,
            otpauth_uri: enrolment.otpauth_uri,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeOnly {
    /// The current 6-digit code from the authenticator app.
    #[schema(value_type = String, example = "492039")]
    pub code: SecretString,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesView {
    /// Ten single-use codes, shown this once: each signs in instead of an app code.
    #[schema(value_type = Vec<String>)]
    pub recovery_codes: Vec<SecretString>,
}

/// Confirm enrolment with the first code from the app: from now on sign-in asks for a code.
/// Answers ten recovery codes, shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/me/two-factor/enrolment/confirm",
    request_body = CodeOnly,
    responses(
        (status = 200, description = "On; keep the recovery codes somewhere safe.", body = RecoveryCodesView),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 409, description = "`not_started`: no enrolment waits; `two_factor_on`: already on.", body = ErrorBody),
        (status = 422, description = "`code` is wrong (nothing changed; counted toward the lockout).", body = ErrorBody),
        (status = 429, description = "The account is locked; see `Retry-After`.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn confirm_enrolment(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<CodeOnly>,
) -> Result<Json<RecoveryCodesView>, ApiError> {
    let codes =
        two_factor::confirm_enrolment(&state.pool, &state.keys, &current.user, body.code.expose())
            .await?;
    Ok(Json(RecoveryCodesView {
        recovery_codes: codes.0,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordAndCode {
    #[schema(value_type = String)]
    pub password: SecretString,
    /// A code from the authenticator app, or an unused recovery code.
    #[schema(value_type = String, example = "492039")]
    pub code: SecretString,
}

/// Make ten new recovery codes (the old ones stop working), after the password and a current
/// code.
#[utoipa::path(
    post,
    path = "/api/v1/me/two-factor/recovery-codes",
    operation_id = "create_recovery_codes",
    request_body = PasswordAndCode,
    responses(
        (status = 200, description = "The new codes, shown this once.", body = RecoveryCodesView),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 409, description = "`two_factor_off`: two-factor sign-in is not on.", body = ErrorBody),
        (status = 422, description = "`password` or `code` is wrong (nothing changed).", body = ErrorBody),
        (status = 429, description = "The account is locked; see `Retry-After`.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<PasswordAndCode>,
) -> Result<Json<RecoveryCodesView>, ApiError> {
    let codes = two_factor::regenerate_recovery_codes(
        &state.pool,
        &state.keys,
        &current.user,
        body.password.expose(),
        body.code.expose(),
    )
    .await?;
    Ok(Json(RecoveryCodesView {
        recovery_codes: codes.0,
    }))
}

/// Turn two-factor sign-in off, after the password and a current code (or a recovery code).
#[utoipa::path(
    delete,
    path = "/api/v1/me/two-factor",
    operation_id = "delete_two_factor",
    request_body = PasswordAndCode,
    responses(
        (status = 204, description = "Off: the secret and the recovery codes are deleted."),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 409, description = "`two_factor_off`: two-factor sign-in is not on.", body = ErrorBody),
        (status = 422, description = "`password` or `code` is wrong (nothing changed).", body = ErrorBody),
        (status = 429, description = "The account is locked; see `Retry-After`.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn disable_two_factor(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<PasswordAndCode>,
) -> Result<StatusCode, ApiError> {
    two_factor::disable(
        &state.pool,
        &state.keys,
        &current.user,
        body.password.expose(),
        body.code.expose(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(finish_sign_in))
        .routes(utoipa_axum::routes!(get_two_factor, disable_two_factor))
        .routes(utoipa_axum::routes!(start_enrolment))
        .routes(utoipa_axum::routes!(confirm_enrolment))
        .routes(utoipa_axum::routes!(regenerate_recovery_codes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers_with_secrets_never_print_them() {
        let body: PasswordAndCode = serde_json::from_value(serde_json::json!({
            "password": "hunter2 horse battery",
            "code": "492039",
        }))
        .unwrap();
        let printed = format!("{body:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("492039"));
        let answer = RecoveryCodesView {
            recovery_codes: vec!["abcd-efgh-ijkl-mnop".into()],
        };
        assert!(!format!("{answer:?}").contains("abcd"));
        assert!(serde_json::to_string(&answer)
            .unwrap()
            .contains("abcd-efgh"));
    }
}
