//! One-click unsubscribe (RFC 8058) from notification emails: `/unsubscribe?t=<token>`, the
//! address every notification email names in `List-Unsubscribe`.
//!
//! `POST` turns the kinds the token names off and answers 200; that is what a mail provider's
//! one-click button sends (`List-Unsubscribe=One-Click`), with no session and no CSRF token: the
//! token is the credential and can do nothing else, so the origin check lets exactly this path
//! through (`auth::refuse_cross_origin`). `GET` changes nothing: it shows what the link would
//! stop and a button that posts, so a link scanner following the address unsubscribes nobody.
//! A forged, altered or stale token gets 404 and changes nothing. The pages are plain HTML in the
//! recipient's language (their saved one; the request's for a bad token), outside the app.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    Extension,
};
use bastion_core::{
    work::{notification_mail, notifications::Kind},
    CoreError,
};
use bastion_i18n::{Locale, T};
use serde::Deserialize;

use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    t: Option<String>,
}

/// The confirmation page.
pub async fn confirm(
    State(state): State<AppState>,
    locale: Option<Extension<Locale>>,
    Query(query): Query<TokenQuery>,
) -> Response {
    let token = query.t.unwrap_or_default();
    match notification_mail::read_unsubscribe(&state.pool, &state.keys, &token).await {
        Ok((_, found)) => {
            let t = locale_of(&found.locale).t();
            let text = t.unsubscribe_explained(
                kinds_words(t, &found.kinds),
                &found.workspace_name,
                &found.email,
            );
            let action = format!("/unsubscribe?t={}", token.replace('=', "%3D"));
            let body = format!(
                "<h1>{}</h1>\n<p>{}</p>\n<form method=\"post\" action=\"{}\">\
                 <button type=\"submit\">{}</button></form>",
                escape(t.unsubscribe_heading()),
                escape(&text),
                escape(&action),
                escape(t.unsubscribe_button()),
            );
            page(StatusCode::OK, locale_of(&found.locale), &body)
        }
        Err(e) => refused(e, request_locale(locale)),
    }
}

/// The one-click `POST`.
pub async fn apply(
    State(state): State<AppState>,
    locale: Option<Extension<Locale>>,
    Query(query): Query<TokenQuery>,
) -> Response {
    let token = query.t.unwrap_or_default();
    match notification_mail::unsubscribe(&state.pool, &state.keys, &token).await {
        Ok(found) => {
            let locale = locale_of(&found.locale);
            let t = locale.t();
            let body = format!(
                "<h1>{}</h1>\n<p role=\"status\">{}</p>",
                escape(t.unsubscribe_heading()),
                escape(&t.unsubscribe_done(&found.email, &found.workspace_name)),
            );
            page(StatusCode::OK, locale, &body)
        }
        Err(e) => refused(e, request_locale(locale)),
    }
}

fn refused(e: CoreError, locale: Locale) -> Response {
    match e {
        CoreError::NotFound(_) => {
            let t = locale.t();
            let body = format!(
                "<h1>{}</h1>\n<p role=\"alert\">{}</p>",
                escape(t.unsubscribe_heading()),
                escape(t.unsubscribe_invalid())
            );
            page(StatusCode::NOT_FOUND, locale, &body)
        }
        other => crate::error::ApiError::from(other).into_response(),
    }
}

fn request_locale(locale: Option<Extension<Locale>>) -> Locale {
    locale.map(|Extension(l)| l).unwrap_or_default()
}

fn locale_of(tag: &str) -> Locale {
    Locale::from_tag(tag).unwrap_or_default()
}

fn kinds_words(t: T, kinds: &[Kind]) -> String {
    kinds
        .iter()
        .map(|k| match k {
            Kind::Assigned => t.notification_kind_assigned(),
            Kind::Mentioned => t.notification_kind_mentioned(),
            Kind::Commented => t.notification_kind_commented(),
            Kind::StatusChanged => t.notification_kind_status_changed(),
            Kind::DueTomorrow => t.notification_kind_due_tomorrow(),
            Kind::Invited => t.notification_kind_invited(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn page(status: StatusCode, locale: Locale, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{}</title></head>\n<body><main>\n{body}\n</main></body></html>\n",
        locale.tag(),
        escape(locale.t().unsubscribe_title()),
    );
    (status, Html(html)).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
