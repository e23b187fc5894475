//! Which language a request is answered in, and the form that changes it.
//!
//! The choice is the signed-in person's saved language (see `page_prefs` in the crate root),
//! else the `bastion_lang` cookie, else the best of `Accept-Language`, else English. The switcher
//! on every page posts here; the answer sets the cookie, saves the language on the account of
//! whoever is signed in, and sends the browser back to the page it came from.

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Form,
};
use bastion_core::{accounts, sessions};
use bastion_i18n::Locale;
use serde::Deserialize;

use crate::{auth, AppState};

tokio::task_local! {
    /// The language of the request being answered, for what is written without a page around
    /// it: REST error messages ([`crate::error::ApiError`]).
    static CURRENT: Locale;
}

/// Middleware: runs the rest of the request in the language it asks for ([`requested`]), so an
/// error answered by any layer inside, or by a handler, is written in it. The account's saved
/// language is not read here: that would cost every API request a query, and an integrator's
/// client says what it wants with `Accept-Language`.
pub async fn scope(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let locale = requested(request.headers());
    CURRENT.scope(locale, next.run(request)).await
}

/// The language of the request being answered; English outside one (a test, a job).
pub fn current() -> Locale {
    CURRENT.try_with(|locale| *locale).unwrap_or_default()
}

/// The cookie that keeps the language of a browser nobody is signed in on.
pub const COOKIE: &str = "bastion_lang";

/// The language a request asks for without looking at the account: the cookie, then the header.
pub fn requested(headers: &HeaderMap) -> Locale {
    cookie(headers)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default()
}

fn cookie(headers: &HeaderMap) -> Option<Locale> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| Locale::from_tag(value))
}

#[derive(Debug, Deserialize)]
pub struct Choice {
    locale: String,
    next: Option<String>,
}

/// The switcher's form: `locale` is one of the four tags, `next` the page to go back to (only a
/// path on this site). Not a REST operation: a browser form that works before the bundle loads;
/// integrators set the same thing with `PUT /api/v1/me/locale`.
pub async fn choose(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(choice): Form<Choice>,
) -> Response {
    let Some(locale) = Locale::from_tag(&choice.locale) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "The language must be one of en, nl-BE, fr-BE or de-BE.",
        )
            .into_response();
    };
    if let Some(token) = auth::session_cookie(&headers) {
        let saved = match sessions::resolve(&state.pool, &token).await {
            Ok(Some(session)) => accounts::set_locale(&state.pool, session.user_id, locale).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = saved {
            // The cookie still carries the choice for this browser; the account keeps its old
            // language until the next try.
            tracing::warn!(error = %e, "could not save the language on the account");
        }
    }
    let target = app::local_target(choice.next.as_deref()).unwrap_or_else(|| "/".to_owned());
    let secure = if state.config.serves_https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        locale.tag()
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&target) {
        headers.insert(header::LOCATION, location);
    }
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_cookie_wins_over_the_header_and_english_is_the_default() {
        assert_eq!(requested(&headers(&[])), Locale::En);
        assert_eq!(
            requested(&headers(&[("accept-language", "fr-BE,fr;q=0.9")])),
            Locale::Fr
        );
        assert_eq!(
            requested(&headers(&[
                ("accept-language", "fr-BE"),
                ("cookie", "bastion_session=x; bastion_lang=nl-BE"),
            ])),
            Locale::Nl
        );
        // A cookie naming no language of ours is ignored, not obeyed.
        assert_eq!(
            requested(&headers(&[
                ("accept-language", "de"),
                ("cookie", "bastion_lang=xx"),
            ])),
            Locale::De
        );
    }
}
