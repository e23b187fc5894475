//! The one error type of server functions, shared by the server (which answers it with the same
//! HTTP status as the REST API) and the browser (which shows its sentence as given).
//!
//! Core errors become a `UiError` in one place (`From<CoreError>`, server only); nothing else maps
//! them and no page takes a message apart.

use leptos::prelude::*;
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

use crate::i18n::T;

/// What went wrong, with a sentence for people. `Display` is that sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum UiError {
    /// 404: missing, or not the caller's to see (the same answer: no existence oracle).
    #[error("{0}")]
    NotFound(String),
    /// 401: no valid session.
    #[error("Sign in first.")]
    Unauthenticated,
    /// 403: seen, but the caller's role may not do this; the sentence says what.
    #[error("{0}")]
    Forbidden(String),
    /// 403 `two_factor_required`: the workspace requires two-factor sign-in and the caller has
    /// none; pages send them to the account page's enrolment.
    #[serde(rename = "two_factor_required")]
    #[error("This workspace requires two-factor sign-in. Turn it on on your account page, then try again.")]
    TwoFactorRequired,
    /// 422: the named field is wrong; `message` is a whole sentence naming it.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// 409: a clash with the current state; `code` is the REST API's code (`last_admin`, …).
    #[error("{message}")]
    Conflict { code: String, message: String },
    /// 429: an action's limit was reached.
    #[error("Too many attempts. Try again in {}.", wait_text(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    /// 503: the request or one of its statements ran out of time; nothing was changed.
    #[error("That took longer than the server allows, so nothing was changed. Try again, or ask for less at once.")]
    Timeout,
    /// 503: the database cannot be reached just now (down, restarting, out of connections);
    /// nothing was changed. Answered with a `Retry-After`.
    #[error("Bastion cannot reach its database just now, so nothing was changed. Try again in a few seconds.")]
    Unavailable,
    /// 500: logged on the server with its cause; people learn only that it failed.
    #[error("Something went wrong on our side; it has been logged.")]
    Internal,
    /// The call itself failed (network, an answer that does not decode).
    #[error("Bastion could not be reached ({0}). Check your connection and try again.")]
    Transport(String),
}

/// The sentence in the reader's language. The refusals the browser can name by itself are
/// translated here; the others carry the sentence the server wrote for the request.
impl UiError {
    pub fn message(&self, t: T) -> String {
        match self {
            UiError::Unauthenticated => t.error_unauthenticated().to_owned(),
            UiError::RateLimited { retry_after_secs } => {
                t.error_rate_limited(wait_words(t, *retry_after_secs))
            }
            UiError::Timeout => t.error_timeout().to_owned(),
            UiError::Unavailable => t.error_unavailable().to_owned(),
            UiError::Internal => t.error_internal().to_owned(),
            UiError::TwoFactorRequired => t.error_two_factor_required().to_owned(),
            UiError::Transport(cause) => t.error_transport(cause),
            other => other.to_string(),
        }
    }
}

fn wait_words(t: T, secs: u64) -> String {
    match secs {
        0..=59 => t.wait_seconds(secs.max(1)),
        60..=119 => t.wait_a_minute().to_owned(),
        _ => t.wait_minutes(secs.div_ceil(60)),
    }
}

fn wait_text(secs: u64) -> String {
    match secs {
        0..=59 => format!("{} seconds", secs.max(1)),
        60..=119 => "a minute".to_owned(),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

impl UiError {
    /// The HTTP status, the same as the REST API's for the same refusal.
    pub fn status(&self) -> u16 {
        match self {
            UiError::NotFound(_) => 404,
            UiError::Unauthenticated => 401,
            UiError::Forbidden(_) | UiError::TwoFactorRequired => 403,
            UiError::Invalid { .. } => 422,
            UiError::Conflict { .. } => 409,
            UiError::RateLimited { .. } => 429,
            UiError::Timeout | UiError::Unavailable => 503,
            UiError::Internal | UiError::Transport(_) => 500,
        }
    }

    /// The form field this error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            UiError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into()).answered()
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into()).answered()
    }

    /// `message` is the whole sentence people read ("The due date must be a date like …").
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
        .answered()
    }

    pub fn unauthenticated() -> Self {
        Self::Unauthenticated.answered()
    }

    /// Logs the cause; people only learn that something failed on our side.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        #[cfg(feature = "ssr")]
        tracing::error!(error = %cause, "server function failed");
        #[cfg(not(feature = "ssr"))]
        let _ = cause;
        Self::Internal.answered()
    }

    /// On the server, makes this error's status the response's (server function calls and the
    /// page being rendered alike), with a `Retry-After` where waiting helps, as the REST API
    /// answers. In the browser it does nothing.
    pub fn answered(self) -> Self {
        #[cfg(feature = "ssr")]
        if let (Some(response), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(self.status()),
        ) {
            response.set_status(status);
            let retry_after = match &self {
                UiError::Unavailable => Some(bastion_core::UNAVAILABLE_RETRY_AFTER_SECS),
                UiError::RateLimited { retry_after_secs } => Some((*retry_after_secs).max(1)),
                _ => None,
            };
            if let Some(secs) = retry_after {
                response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
        }
        self
    }
}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        UiError::Transport(value.to_string())
    }
}

/// A server action's last failure as the sentence to show beside its form; `None` while it has
/// not run or after it worked.
pub fn action_error<S>(action: ServerAction<S>) -> impl Fn() -> Option<String> + Copy + Send + Sync
where
    S: leptos::server_fn::ServerFn<Error = UiError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    let t = crate::use_t();
    move || {
        action.value().with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err())
                .map(|e| e.message(t))
        })
    }
}

/// What a form posted without script did, brought to the page it came back to: the server
/// function's path and its answer as JSON. The server reads it from a cookie that lives for
/// that one page (`server/src/form_posts.rs`) and writes it on `<html data-flash-path
/// data-flash>` (the shell), where hydration reads the same answer back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub path: String,
    pub json: String,
}

/// The page's server action for `S`. A form posted before the script ran (or without it) reloads
/// the page; when that post was to `S` and worked, the action starts with its answer, so the
/// page says what was done (its notice, its form's outcome, a result to read once) as it does
/// after a post from the script. A refusal comes back the same way through `__err`
/// (`ServerAction::new`).
pub fn server_action<S>() -> ServerAction<S>
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: for<'de> Deserialize<'de> + Send + Sync + 'static,
    S::Error: FromServerFnError + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    if let Some(answer) = flash_for(S::PATH).and_then(|json| serde_json::from_str(&json).ok()) {
        action.value().set(Some(Ok(answer)));
    }
    action
}

/// The flashed answer when it is `path`'s.
fn flash_for(path: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use_context::<Flash>()
            .filter(|flash| flash.path == path)
            .map(|flash| flash.json)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let root = document().document_element()?;
        (root.get_attribute("data-flash-path").as_deref() == Some(path))
            .then(|| root.get_attribute("data-flash"))
            .flatten()
    }
}

/// The flash for the shell's `<html>`: path and answer, or nothing.
pub fn flash_attributes() -> (Option<String>, Option<String>) {
    #[cfg(feature = "ssr")]
    if let Some(flash) = use_context::<Flash>() {
        return (Some(flash.path), Some(flash.json));
    }
    (None, None)
}

/// A form's last answer, for a server action that says what it did: `Ok` with its sentence,
/// `Err` with the refusal's; `None` while it has not run.
pub fn action_outcome<S>(
    action: ServerAction<S>,
) -> impl Fn() -> Option<Result<String, String>> + Copy + Send + Sync
where
    S: leptos::server_fn::ServerFn<Error = UiError, Output = String>
        + Clone
        + Send
        + Sync
        + 'static,
{
    let t = crate::use_t();
    move || {
        action
            .value()
            .get()
            .map(|answer| answer.map_err(|e| e.message(t)))
    }
}

/// Shows a form's last answer: a refusal as an alert, what was done as a status (in `ok_class`
/// where the page styles it).
#[component]
pub fn FormOutcome<F>(outcome: F, #[prop(optional)] ok_class: Option<&'static str>) -> impl IntoView
where
    F: Fn() -> Option<Result<String, String>> + Send + Sync + 'static,
{
    move || {
        outcome().map(|answer| match answer {
            Ok(text) => view! { <p class=ok_class role="status">{text}</p> }.into_any(),
            Err(text) => view! { <p class="form-error" role="alert">{text}</p> }.into_any(),
        })
    }
}

/// Shown beside the form whose action failed, from [`action_error`].
#[component]
pub fn FormError<F>(error: F) -> impl IntoView
where
    F: Fn() -> Option<String> + Send + Sync + Copy + 'static,
{
    view! {
        <Show when=move || error().is_some()>
            <p class="form-error" role="alert">{error}</p>
        </Show>
    }
}

/// A workspace page whose data loads after the page starts: a line saying so while it loads, the
/// page's title and the error when the load fails, else what `page` makes of the data.
#[component]
pub fn LoadedPage<T, P, V>(
    title: &'static str,
    loading: &'static str,
    data: Resource<Result<T, UiError>>,
    page: P,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + for<'de> Deserialize<'de> + 'static,
    P: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let t = crate::use_t();
    view! {
        <Suspense fallback=move || view! { <p>{loading}</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match data.await {
                        Err(e) => view! {
                            <section class="card narrow">
                                <h1>{title}</h1>
                                <p class="form-error" role="alert">{e.message(t)}</p>
                                {(e == UiError::TwoFactorRequired).then(|| view! {
                                    <p><a class="button" href="/account#two-factor-title">{t.error_two_factor_set_up()}</a></p>
                                })}
                            </section>
                        }.into_any(),
                        Ok(loaded) => page(loaded).into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[cfg(feature = "ssr")]
pub(crate) use from_core::{field_refusal, invalid_sentence};

#[cfg(feature = "ssr")]
mod from_core {
    use super::UiError;
    use crate::i18n::{Locale, T};
    use bastion_core::CoreError;

    impl From<CoreError> for UiError {
        fn from(err: CoreError) -> Self {
            if err.is_timeout() {
                tracing::warn!(error = %err, "statement timed out");
                return UiError::Timeout.answered();
            }
            if err.is_unavailable() {
                tracing::warn!(error = %err, "database unavailable");
                return UiError::Unavailable.answered();
            }
            let t = crate::use_t();
            match err {
                // Core names the thing in English; other languages say it without the noun.
                CoreError::NotFound(what) => UiError::not_found(match t.0 {
                    crate::i18n::Locale::En => {
                        format!("This {what} does not exist, or you may not see it.")
                    }
                    _ => t.error_not_found().to_owned(),
                }),
                CoreError::Forbidden(message) => UiError::forbidden(message),
                CoreError::TwoFactorRequired => UiError::TwoFactorRequired.answered(),
                CoreError::SsoRequired { workspace, .. } => {
                    UiError::forbidden(t.sso_required_sign_in(workspace))
                }
                CoreError::Invalid { field, message } => {
                    UiError::invalid(field, invalid_sentence(t, field, &message, field_label))
                }
                CoreError::Conflict { code, message } => UiError::Conflict {
                    code: code.to_owned(),
                    message: sentence(message),
                }
                .answered(),
                CoreError::LastAdmin => UiError::Conflict {
                    code: "last_admin".to_owned(),
                    message: t.error_last_admin().to_owned(),
                }
                .answered(),
                CoreError::RateLimited { retry_after_secs } => {
                    UiError::RateLimited { retry_after_secs }.answered()
                }
                other => UiError::internal(other),
            }
        }
    }

    impl From<sqlx::Error> for UiError {
        fn from(err: sqlx::Error) -> Self {
            CoreError::from(err).into()
        }
    }

    /// A core message as a sentence: capital first letter, a full stop at the end.
    fn sentence(message: String) -> String {
        let mut text = message;
        if let Some(first) = text.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        if !text.ends_with(['.', '!', '?']) {
            text.push('.');
        }
        text
    }

    /// A form field the page's own parsing refuses (`english` as core would write it, "is not
    /// one of the choices"), as one sentence in the reader's language.
    pub(crate) fn field_refusal(field: &str, english: &str) -> UiError {
        UiError::invalid(
            field,
            invalid_sentence(crate::use_t(), field, english, field_label),
        )
    }

    /// Field names as the forms label them.
    fn field_label(t: T, field: &str) -> Option<&'static str> {
        Some(match field {
            "project_id" => t.label_project(),
            "assignee_id" => t.label_assignee(),
            "due_on" => t.label_due_date(),
            "due_before" => t.label_due_before(),
            "tag_id" => t.label_tag(),
            "user_id" => t.label_person(),
            "q" => t.label_search(),
            "body" => t.label_comment(),
            "minutes" => t.label_minutes(),
            "rate_cents" => t.label_rate(),
            "started_at" => t.label_start(),
            "note" => t.label_note(),
            "email" => t.label_email(),
            "name" => t.label_name(),
            "password" | "new_password" => t.label_password(),
            "workspace_name" => t.label_workspace_name(),
            "slug" => t.label_address(),
            "code" => t.label_code(),
            "role" => t.label_role(),
            "confirm" => t.label_confirmation(),
            "locale" => t.label_language(),
            "require_two_factor" => t.label_require_two_factor(),
            "priority" => t.label_priority(),
            "status" => t.label_status(),
            "title" => t.label_title(),
            "description" => t.label_description(),
            "colour" => t.label_colour(),
            "organisation" => t.label_organisation(),
            "message" => t.label_message(),
            _ => return None,
        })
    }

    /// A refused field as one sentence: "The due date must be …". In the reader's language when
    /// both the field's label and core's words have a translation, else wholly in English (half a
    /// sentence in each would be worse). A message that is a sentence of its own is said alone.
    pub(crate) fn invalid_sentence(
        t: T,
        field: &str,
        message: &str,
        labels: fn(T, &str) -> Option<&'static str>,
    ) -> String {
        if message.starts_with(char::is_uppercase) {
            return t.core_text(message).unwrap_or(message).to_owned();
        }
        if let (Some(label), Some(text)) = (labels(t, field), t.core_text(message)) {
            return format!("{label} {text}.");
        }
        let english = Locale::En.t();
        let label = labels(english, field)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("The {}", field.replace('_', " ")));
        format!("{label} {message}.")
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn core_refusals_keep_their_status_and_sentence() {
            let cases: Vec<(CoreError, u16, &str)> = vec![
                (
                    CoreError::NotFound("task"),
                    404,
                    "This task does not exist, or you may not see it.",
                ),
                (
                    CoreError::forbidden("Guests cannot edit tasks."),
                    403,
                    "Guests cannot edit tasks.",
                ),
                (
                    CoreError::invalid("due_on", "must be a date like 2026-12-31"),
                    422,
                    "The due date must be a date like 2026-12-31.",
                ),
                (
                    CoreError::conflict("a tag named \"x\" already exists"),
                    409,
                    "A tag named \"x\" already exists.",
                ),
                (
                    CoreError::RateLimited {
                        retry_after_secs: 600,
                    },
                    429,
                    "Too many attempts. Try again in 10 minutes.",
                ),
            ];
            for (core, status, text) in cases {
                let ui = UiError::from(core);
                assert_eq!(ui.status(), status, "{ui:?}");
                assert_eq!(ui.to_string(), text);
            }
        }

        #[test]
        fn a_refused_field_is_one_sentence_in_one_language() {
            let fr = Locale::Fr.t();
            assert_eq!(
                invalid_sentence(fr, "email", "is not a valid email address", field_label),
                "L’adresse e-mail n’est pas une adresse e-mail valide."
            );
            // Core words with no translation yet: English throughout, never half and half.
            assert_eq!(
                invalid_sentence(fr, "email", "is on fire", field_label),
                "The email is on fire."
            );
            assert_eq!(
                invalid_sentence(
                    Locale::De.t(),
                    "odd_field",
                    "must not be empty",
                    field_label
                ),
                "The odd field must not be empty."
            );
            assert_eq!(
                invalid_sentence(Locale::Nl.t(), "name", "must not be empty", field_label),
                "De naam mag niet leeg zijn."
            );
        }

        #[test]
        fn an_unreachable_database_is_unavailable_not_internal() {
            let ui = UiError::from(CoreError::Database(sqlx::Error::PoolTimedOut));
            assert_eq!((ui.status(), &ui), (503, &UiError::Unavailable));
            let gone = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
            assert_eq!(
                UiError::from(CoreError::Database(sqlx::Error::Io(gone))),
                UiError::Unavailable
            );
            assert_eq!(
                UiError::from(CoreError::Database(sqlx::Error::RowNotFound)),
                UiError::Internal
            );
        }

        #[test]
        fn internal_errors_say_nothing_of_their_cause() {
            let ui = UiError::from(CoreError::Internal("password=hunter2 ws_123".into()));
            assert_eq!(ui, UiError::Internal);
            assert!(!ui.to_string().contains("hunter2"));
        }
    }
}
