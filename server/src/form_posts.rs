//! Forms posted without script: a page before its WASM has loaded, or a browser without it.
//!
//! Such a post (`Accept: text/html`) reaches the server function like any other, and the server
//! function answers with a `Location`: the page it names on success, else the referring page,
//! with `__err` on a refusal. This layer makes that answer one a browser follows and brings what
//! the post did to the page it lands on ([`app::error::Flash`]).

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::Response,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

const COOKIE: &str = "bastion_flash";

/// Answers larger than this are not carried (a cookie holds about 4 KB); the page then shows
/// the change without saying it.
const MAX_ANSWER: usize = 3000;

/// `secure`: whether cookies get `Secure` (the server is reached over HTTPS).
pub async fn answer(State(secure): State<bool>, request: Request, next: Next) -> Response {
    if is_form_post(&request) {
        let path = request.uri().path().to_owned();
        let response = next.run(request).await;
        return after_post(response, &path, secure).await;
    }
    let flash = crate::is_page_request(&request)
        .then(|| flash_cookie(request.headers()))
        .flatten();
    let Some(flash) = flash else {
        return next.run(request).await;
    };
    let mut request = request;
    request.extensions_mut().insert(flash);
    let mut response = next.run(request).await;
    // Said once: the next page starts without it.
    let spent = format!(
        "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
        secure_attr(secure)
    );
    if let Ok(value) = HeaderValue::from_str(&spent) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The test server functions use to tell a plain form from their own client.
fn is_form_post(request: &Request) -> bool {
    request.method() == Method::POST
        && request.uri().path().starts_with("/api/fn/")
        && crate::asks_for_html(request.headers())
}

fn secure_attr(secure: bool) -> &'static str {
    if secure {
        "; Secure"
    } else {
        ""
    }
}

/// A refusal also sets the API's status (401, 403, 422) for the renderer, which replaces the
/// redirect's, and a browser follows no `Location` from a 4xx: it would show the error's JSON.
/// So every answer with a `Location` becomes a 303. A success's body is the server function's
/// answer, which goes to the next page in a cookie.
async fn after_post(response: Response, path: &str, secure: bool) -> Response {
    let Some(location) = response.headers().get(header::LOCATION).cloned() else {
        return response;
    };
    let refused = location
        .to_str()
        .map_or(true, |location| location.contains("__err="));
    let (mut parts, body) = response.into_parts();
    parts.status = StatusCode::SEE_OTHER;
    // server_fn takes an earlier `__err` off the page's address and leaves its `?` behind.
    if let Some(clean) = location
        .to_str()
        .ok()
        .and_then(|location| location.strip_suffix('?'))
        .and_then(|clean| HeaderValue::from_str(clean).ok())
    {
        parts.headers.insert(header::LOCATION, clean);
    }
    // The browser reads no body of a 303; what it said is either carried or dropped here.
    let answer = if refused {
        None
    } else {
        axum::body::to_bytes(body, MAX_ANSWER).await.ok()
    };
    if let Some(answer) = answer.filter(|answer| !answer.is_empty()) {
        let cookie = format!(
            "{COOKIE}={}.{}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax{}",
            URL_SAFE_NO_PAD.encode(path),
            URL_SAFE_NO_PAD.encode(&answer),
            secure_attr(secure)
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            parts.headers.append(header::SET_COOKIE, value);
        }
    }
    Response::from_parts(parts, Body::empty())
}

/// The flashed answer a page request carries, if it reads as one.
fn flash_cookie(headers: &axum::http::HeaderMap) -> Option<app::error::Flash> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))?;
    let (path, json) = value.split_once('.')?;
    let path = String::from_utf8(URL_SAFE_NO_PAD.decode(path).ok()?).ok()?;
    let json = String::from_utf8(URL_SAFE_NO_PAD.decode(json).ok()?).ok()?;
    path.starts_with("/api/fn/")
        .then_some(app::error::Flash { path, json })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_cookie_reads_back_and_a_forged_path_does_not() {
        let cookie = |path: &str, json: &str| {
            let mut headers = axum::http::HeaderMap::new();
            let value = format!(
                "other=1; {COOKIE}={}.{}",
                URL_SAFE_NO_PAD.encode(path),
                URL_SAFE_NO_PAD.encode(json)
            );
            headers.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
            headers
        };
        assert_eq!(
            flash_cookie(&cookie("/api/fn/create_project", "\"Done\"")),
            Some(app::error::Flash {
                path: "/api/fn/create_project".into(),
                json: "\"Done\"".into()
            })
        );
        assert_eq!(flash_cookie(&cookie("/elsewhere", "1")), None);
        let mut garbled = axum::http::HeaderMap::new();
        garbled.insert(
            header::COOKIE,
            HeaderValue::from_static("bastion_flash=%%%.!!"),
        );
        assert_eq!(flash_cookie(&garbled), None);
    }
}
