//! `GET /api/v1/workspaces/{ws}/events` over real HTTP: the Server-Sent Events framing (retry
//! hint, `id`/`event`/`data`), resuming with `Last-Event-ID` (header and query), a session and an
//! API token alike, and 404 for whoever may not see the workspace.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{spawn_app, Cast, TestApp};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Long enough for any healthy machine; reaching it is a failure, not a measurement.
const PATIENCE: Duration = Duration::from_secs(20);

/// The app on a real socket, as `serve` runs it.
async fn listen(app: &TestApp) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    addr
}

/// One HTTP/1.1 response read off the socket: its status and headers, then its chunked body
/// read as it comes.
struct Stream {
    status: u16,
    headers: Vec<(String, String)>,
    reader: BufReader<TcpStream>,
    /// Body text received and not yet split into frames.
    pending: String,
}

impl Stream {
    async fn open(addr: std::net::SocketAddr, path: &str, headers: &[(&str, &str)]) -> Stream {
        let mut socket = TcpStream::connect(addr).await.unwrap();
        let mut request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nConnection: close\r\n"
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut reader = BufReader::new(socket);
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        let status = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            reader.read_line(&mut line).await.unwrap();
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (name, value) = trimmed.split_once(':').unwrap();
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        Stream {
            status,
            headers,
            reader,
            pending: String::new(),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    /// The next chunk of the body, or `None` at its end.
    async fn chunk(&mut self) -> Option<String> {
        let mut size = String::new();
        if self.reader.read_line(&mut size).await.unwrap() == 0 {
            return None;
        }
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        let mut data = vec![0; size + 2];
        self.reader.read_exact(&mut data).await.unwrap();
        if size == 0 {
            return None;
        }
        data.truncate(size);
        Some(String::from_utf8(data).unwrap())
    }

    /// The next frame (the lines up to a blank line), keep-alive comments included; `None` when
    /// the stream ended.
    async fn frame(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let frame = self.pending[..end].to_owned();
                self.pending.drain(..end + 2);
                return Some(frame);
            }
            let chunk = tokio::time::timeout(PATIENCE, self.chunk())
                .await
                .expect("a frame within the patience")?;
            self.pending.push_str(&chunk);
        }
    }

    /// The next event frame as (id, event, data), skipping comments.
    async fn event(&mut self) -> (i64, String, serde_json::Value) {
        loop {
            let frame = self.frame().await.expect("the stream is open");
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}:")))
                    .map(|v| v.trim().to_owned())
            };
            if let (Some(id), Some(event), Some(data)) =
                (field("id"), field("event"), field("data"))
            {
                return (
                    id.parse().unwrap(),
                    event,
                    serde_json::from_str(&data).unwrap(),
                );
            }
        }
    }

    /// The whole (short) body of a refusal.
    async fn body(&mut self) -> String {
        let mut body = String::new();
        if self.header("transfer-encoding") == "chunked" {
            while let Some(chunk) = self.chunk().await {
                body.push_str(&chunk);
            }
        } else {
            self.reader.read_to_string(&mut body).await.unwrap();
        }
        body
    }
}

fn cookie(session: &str) -> (&'static str, &str) {
    ("Cookie", session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_stream_resume_after_last_event_id_and_stay_in_their_workspace() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let addr = listen(&app).await;
    let path = cast.api("/events");

    let mut member = Stream::open(addr, &path, &[cookie(&cast.member)]).await;
    assert_eq!(member.status, 200);
    assert!(member
        .header("content-type")
        .starts_with("text/event-stream"));
    assert_eq!(member.header("cache-control"), "no-cache");
    // The first frame asks for a reconnect after 3 s.
    let hello = member.frame().await.unwrap();
    assert!(hello.lines().any(|l| l == "retry: 3000"), "{hello:?}");

    let task = app.seed_task("acme", cast.admin_id, false).await;
    let (first, kind, data) = member.event().await;
    assert_eq!(kind, "task.created");
    assert_eq!(
        data,
        json!({"seq": first, "kind": "task.created", "id": task, "task_id": task})
    );
    drop(member);

    // While the member is away: a comment and a private task they cannot see.
    let answer = app
        .post_as(
            &cast.admin,
            &cast.api(&format!("/tasks/{task}/comments")),
            json!({"body": "Signed"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let comment = answer.json()["id"].as_str().unwrap().to_owned();
    app.seed_task("acme", cast.admin_id, true).await;
    let last = app.seed_task("acme", cast.admin_id, false).await;

    // Back with the header EventSource sends: exactly what was missed, in order.
    let since = first.to_string();
    let mut member = Stream::open(
        addr,
        &path,
        &[cookie(&cast.member), ("Last-Event-ID", &since)],
    )
    .await;
    assert_eq!(member.status, 200);
    let mut missed = Vec::new();
    loop {
        let (id, kind, data) = member.event().await;
        let done = kind == "task.created" && data["id"] == json!(last);
        missed.push((id, kind, data["id"].as_str().unwrap().to_owned()));
        if done {
            break;
        }
    }
    assert_eq!(
        missed
            .iter()
            .map(|(_, k, id)| (k.as_str(), id.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("comment.created", comment.as_str()),
            ("task.created", last.to_string().as_str())
        ]
    );
    assert!(missed.windows(2).all(|w| w[0].0 < w[1].0) && missed[0].0 > first);

    // The same through the query parameter, with an API token instead of the session.
    let answer = app
        .post_as(&cast.member, &cast.api("/tokens"), json!({"name": "live"}))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let bearer = format!("Bearer {}", answer.json()["token"].as_str().unwrap());
    let mut token = Stream::open(
        addr,
        &format!("{path}?last_event_id={first}"),
        &[("Authorization", &bearer)],
    )
    .await;
    assert_eq!(token.status, 200);
    let (id, kind, _) = token.event().await;
    assert_eq!((id, kind.as_str()), (missed[0].0, "comment.created"));

    // Whoever may not see the workspace gets the 404 of a workspace that does not exist.
    for who in [&cast.stranger, &cast.deactivated] {
        let mut refused = Stream::open(addr, &path, &[cookie(who)]).await;
        assert_eq!(refused.status, 404);
        assert!(refused.body().await.contains("not_found"));
    }
    let unknown = Stream::open(
        addr,
        "/api/v1/workspaces/nowhere/events",
        &[cookie(&cast.member)],
    )
    .await;
    assert_eq!(unknown.status, 404);
    let other = Stream::open(
        addr,
        &cast.api("/events").replace("acme", "globex"),
        &[("Authorization", &bearer)],
    )
    .await;
    assert_eq!(other.status, 404);
    // A Last-Event-ID that is not an event id is named.
    let mut bad = Stream::open(
        addr,
        &path,
        &[cookie(&cast.member), ("Last-Event-ID", "soon")],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body().await.contains("Last-Event-ID"));
}
