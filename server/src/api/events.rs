//! Live updates as Server-Sent Events. The stream carries ids only (`{kind, id, task_id, seq}`);
//! clients fetch what changed through the ordinary endpoints, where visibility applies. Who is
//! told what, replay and the LISTEN fan-out: `bastion_core::live` and docs/architecture.md
//! ("Live updates").

use std::convert::Infallible;
use std::time::Duration;

use axum::{
    extract::State,
    http::HeaderMap,
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use bastion_core::live::{Delivery, End, Subscription};
use futures::stream::{self, Stream};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use utoipa::IntoParams;

use crate::query::ApiQuery;
use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    AppState,
};

/// What a client waits before reconnecting (the stream's `retry:`).
const RETRY: Duration = Duration::from_secs(3);
/// How often a comment line keeps an idle stream (and the proxies on its way) alive.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Where to continue from, for clients that cannot send the `Last-Event-ID` header; the
    /// header wins when both are given.
    pub last_event_id: Option<i64>,
}

/// The workspace's live events, as Server-Sent Events (`text/event-stream`). Each event has the
/// `id` to resume from, an `event` name (its kind: `task.created`, `task.updated`, `task.moved`,
/// `task.deleted`, `comment.created`, `comment.updated`, `comment.deleted`,
/// `notification.created`, `notification.read`, `member.added`, `member.updated`,
/// `member.removed`) and `data` holding only ids: `{"seq", "kind", "id", "task_id"}`. Every
/// event is checked against the caller's membership and what they see at the moment it is sent:
/// a task they cannot see is never mentioned, a notice goes to its recipient only, and a
/// deactivated member's stream ends at the next event. Reconnecting with `Last-Event-ID` (or
/// `?last_event_id=`) replays every event missed, once each and in order; `event: reset` says
/// the events since are no longer all on record (kept a day): reload what you show. Comments
/// keep the stream alive every 15 s; `retry:` asks for a reconnect after 3 s.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/events",
    params(
        EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received, to continue after it (sent by `EventSource` on its own)."),
    ),
    responses(
        (status = 200, description = "The event stream, open until the client leaves, the caller stops being a member, or the server shuts down.", content_type = "text/event-stream", body = String),
        (status = 404, description = "Not a member.", body = ErrorBody),
        (status = 422, description = "`Last-Event-ID` or `last_event_id` is not an event id; it is named.", body = ErrorBody),
    ),
)]
pub async fn get_event_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    mut member: Member,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Response, ApiError> {
    let last_event_id = match headers.get("last-event-id") {
        Some(value) => Some(parse_event_id(value.to_str().ok(), "Last-Event-ID")?),
        None => match query.last_event_id {
            Some(id) if id < 0 => return Err(not_an_event_id("last_event_id")),
            other => other,
        },
    };
    let viewer = member.viewer();
    let subscription = state
        .live
        .subscribe(&mut member.tx, &viewer, last_event_id)
        .await?;
    member.tx.commit().await?;
    let mut response = Sse::new(events(subscription, state.shutting_down.clone()))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
        .into_response();
    // A buffering proxy (nginx) would hold the events back.
    response
        .headers_mut()
        .insert("x-accel-buffering", "no".parse().expect("a header value"));
    Ok(response)
}

fn parse_event_id(value: Option<&str>, field: &'static str) -> Result<i64, ApiError> {
    value
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|id| *id >= 0)
        .ok_or_else(|| not_an_event_id(field))
}

fn not_an_event_id(field: &'static str) -> ApiError {
    ApiError::Invalid {
        field: field.to_owned(),
        message: "must be the id of an event (a whole number)".to_owned(),
    }
}

enum Step {
    Start(Subscription),
    Open(Subscription),
    Done,
}

/// The stream: first the retry hint, then each delivery, until the subscription ends or the
/// server shuts down (then the client reconnects, to whichever server is up, after the hint).
fn events(
    subscription: Subscription,
    shutting_down: CancellationToken,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(Step::Start(subscription), move |step| {
        let shutting_down = shutting_down.clone();
        async move {
            let mut subscription = match step {
                Step::Start(subscription) => {
                    let hello = Event::default().retry(RETRY).comment("bastion live events");
                    return Some((Ok(hello), Step::Open(subscription)));
                }
                Step::Open(subscription) => subscription,
                Step::Done => return None,
            };
            let next = tokio::select! {
                () = shutting_down.cancelled() => return None,
                next = subscription.next() => next,
            };
            match next {
                Ok(Delivery::Event(event)) => {
                    let sse = Event::default()
                        .id(event.seq.to_string())
                        .event(event.kind.as_str())
                        .json_data(&event)
                        .expect("ids serialise");
                    Some((Ok(sse), Step::Open(subscription)))
                }
                Ok(Delivery::Reset(seq)) => {
                    let sse = Event::default()
                        .id(seq.to_string())
                        .event("reset")
                        .data("{}");
                    Some((Ok(sse), Step::Open(subscription)))
                }
                // Said once, so a client can tell a closed stream from a dropped connection;
                // its reconnect then meets the 404 every non-member gets.
                Err(End::NotAMember) | Ok(Delivery::Closed) => {
                    Some((Ok(Event::default().event("closed").data("{}")), Step::Done))
                }
                Err(End::Lagged) => None,
            }
        }
    })
}

/// The live events' one operation.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(get_event_stream))
}
