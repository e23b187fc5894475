//! The live-updates scenario: many open event streams (`GET …/events`) on the one server while
//! the task-list load runs, with a trickle of task creations so that the streams carry events
//! (each one re-checked for every stream of its workspace). Measures the list's p99 without and
//! with the streams, and the process's resident memory per open stream.
//!
//! The server runs in this process, and so do the streams' client ends, so the memory per stream
//! counts both ends (a tokio task, a socket and a 512-byte buffer on the client side): an upper
//! bound of the server's own cost.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::plans::Caller;

/// Open streams, each a task reading its body and counting the events in it.
pub(crate) struct Streams {
    handles: Vec<JoinHandle<()>>,
    pub events: Arc<AtomicU64>,
    /// Streams that ended before they were closed here (the server closed them).
    pub ended: Arc<AtomicU64>,
}

impl Streams {
    pub fn close(self) {
        for handle in self.handles {
            handle.abort();
        }
    }
}

/// Opens `n` streams spread over `callers` (each with its session), on the caller's runtime,
/// and returns once every one has its `200` head.
pub(crate) async fn open(
    addr: SocketAddr,
    callers: Arc<Vec<Caller>>,
    n: usize,
) -> Result<Streams, String> {
    let events = Arc::new(AtomicU64::new(0));
    let ended = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::with_capacity(n);
    // A few at a time: a burst of 1,000 connects would overflow the listen backlog.
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let mut opening = Vec::new();
        for &i in chunk {
            let caller = callers[i % callers.len()].clone();
            opening.push(tokio::spawn(connect(addr, caller)));
        }
        for opened in opening {
            let socket = opened.await.map_err(|e| e.to_string())??;
            let (events, ended) = (events.clone(), ended.clone());
            handles.push(tokio::spawn(read(socket, events, ended)));
        }
    }
    Ok(Streams {
        handles,
        events,
        ended,
    })
}

async fn connect(addr: SocketAddr, caller: Caller) -> Result<TcpStream, String> {
    let mut socket = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let request = format!(
        "GET /api/v1/workspaces/{}/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nCookie: {}\r\n\r\n",
        caller.ws.slug, caller.cookie
    );
    socket
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    // The head (and perhaps the first frame): enough to see the status.
    let mut head = [0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(30), socket.read(&mut head))
        .await
        .map_err(|_| "no answer within 30 s".to_owned())?
        .map_err(|e| format!("read: {e}"))?;
    let head = String::from_utf8_lossy(&head[..read]);
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "the stream answered {:?}",
            head.lines().next().unwrap_or_default()
        ));
    }
    Ok(socket)
}

async fn read(mut socket: TcpStream, events: Arc<AtomicU64>, ended: Arc<AtomicU64>) {
    let mut buffer = [0u8; 512];
    loop {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => {
                ended.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(n) => {
                // A frame split across reads is missed: the count is a sign of life, not a tally.
                let seen = buffer[..n]
                    .windows(7)
                    .filter(|w| w == b"\nevent:" || w == b"\revent:")
                    .count();
                events.fetch_add(seen as u64, Ordering::Relaxed);
            }
        }
    }
}

/// This process's resident set size, in bytes (Linux).
pub(crate) fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// One task created through the API every `every`, by the callers in turn, until `stop` is
/// cancelled: the events the streams carry. Returns how many were created.
pub(crate) async fn trickle(
    addr: SocketAddr,
    plan: crate::load::Plan,
    every: Duration,
    stop: tokio_util::sync::CancellationToken,
) -> u64 {
    use rand::SeedableRng;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(15);
    let mut created = 0;
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = stop.cancelled() => return created,
            _ = tick.tick() => {}
        }
        if let Ok((201, _)) = crate::load::once(addr, plan(0, &mut rng)).await {
            created += 1;
        }
    }
}
