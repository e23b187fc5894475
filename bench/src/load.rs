//! The load generator: a fixed number of virtual users, each with one keep-alive HTTP/1.1
//! connection (hyper's client), sending requests back to back for a fixed time, with latencies
//! recorded in an HDR histogram (microseconds). It runs on a tokio runtime of its own, so its
//! work is not scheduled among the server's tasks.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::{client::conn::http1, Method, Request};
use hyper_util::rt::TokioIo;

/// One request to send.
pub struct Call {
    pub method: Method,
    pub path: String,
    pub cookie: Option<String>,
    /// An API token, sent as `Authorization: Bearer …` (instead of a cookie).
    pub bearer: Option<String>,
    pub json: Option<String>,
    /// `X-Forwarded-For`, to play many clients behind a trusted proxy.
    pub forwarded_for: Option<String>,
}

impl Call {
    pub fn get(path: String, cookie: Option<String>) -> Self {
        Self {
            method: Method::GET,
            path,
            cookie,
            bearer: None,
            json: None,
            forwarded_for: None,
        }
    }
}

/// Makes the next request for virtual user `vu` from its own random generator.
pub type Plan = Arc<dyn Fn(usize, &mut rand::rngs::SmallRng) -> Call + Send + Sync>;

#[derive(Clone)]
pub struct Outcome {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub histogram: Histogram<u64>,
    /// The first unexpected answer, to say what went wrong.
    pub first_error: Option<String>,
}

impl Outcome {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
    pub fn p50_ms(&self) -> f64 {
        self.histogram.value_at_quantile(0.50) as f64 / 1000.0
    }
    pub fn p99_ms(&self) -> f64 {
        self.histogram.value_at_quantile(0.99) as f64 / 1000.0
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds")
}

/// Runs `concurrency` virtual users against `addr` for `warmup + duration`; only requests that
/// start after the warm-up are counted. A status outside 2xx counts as an error.
pub async fn run(
    addr: SocketAddr,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    plan: Plan,
) -> Outcome {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut handles = Vec::new();
    for vu in 0..concurrency {
        let plan = plan.clone();
        handles.push(tokio::spawn(async move {
            virtual_user(addr, vu, measure_from, end, plan).await
        }));
    }
    let mut total = Outcome {
        requests: 0,
        errors: 0,
        elapsed: duration,
        histogram: histogram(),
        first_error: None,
    };
    for handle in handles {
        match handle.await {
            Ok(o) => {
                total.requests += o.requests;
                total.errors += o.errors;
                total.histogram.add(&o.histogram).ok();
                if total.first_error.is_none() {
                    total.first_error = o.first_error;
                }
            }
            Err(e) => {
                total.errors += 1;
                total
                    .first_error
                    .get_or_insert(format!("virtual user died: {e}"));
            }
        }
    }
    total.elapsed = Instant::now()
        .saturating_duration_since(measure_from)
        .min(duration.max(Duration::from_millis(1)));
    total
}

async fn connect(addr: SocketAddr) -> Result<http1::SendRequest<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).ok();
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn virtual_user(
    addr: SocketAddr,
    vu: usize,
    measure_from: Instant,
    end: Instant,
    plan: Plan,
) -> Outcome {
    use rand::SeedableRng;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x5eed ^ vu as u64);
    let mut out = Outcome {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        histogram: histogram(),
        first_error: None,
    };
    let mut sender = None;
    while Instant::now() < end {
        let s = match sender.as_mut() {
            Some(s) => s,
            None => match connect(addr).await {
                Ok(s) => sender.insert(s),
                Err(e) => {
                    out.errors += 1;
                    out.first_error.get_or_insert(e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let call = plan(vu, &mut rng);
        let mut request = Request::builder()
            .method(call.method)
            .uri(&call.path)
            .header(hyper::header::HOST, addr.to_string());
        if let Some(cookie) = &call.cookie {
            request = request.header(hyper::header::COOKIE, cookie);
        }
        if let Some(token) = &call.bearer {
            request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(ip) = &call.forwarded_for {
            request = request.header("x-forwarded-for", ip);
        }
        let body = match call.json {
            Some(json) => {
                request = request.header(hyper::header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(json))
            }
            None => Full::new(Bytes::new()),
        };
        let request = request.body(body).expect("a valid request");
        let sent = Instant::now();
        let result = async {
            s.ready().await.map_err(|e| e.to_string())?;
            let response = s.send_request(request).await.map_err(|e| e.to_string())?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, bytes))
        }
        .await;
        let took = sent.elapsed();
        if sent < measure_from {
            if result.is_err() {
                sender = None;
            }
            continue;
        }
        out.requests += 1;
        out.histogram.record((took.as_micros() as u64).max(1)).ok();
        match result {
            Ok((status, _)) if status.is_success() => {}
            Ok((status, body)) => {
                out.errors += 1;
                out.first_error.get_or_insert_with(|| {
                    format!(
                        "{status} for {}: {}",
                        call.path,
                        String::from_utf8_lossy(&body[..body.len().min(200)])
                    )
                });
            }
            Err(e) => {
                out.errors += 1;
                out.first_error.get_or_insert(e);
                sender = None;
            }
        }
    }
    out
}

/// Sends one request and returns its status and body (set-up and probes, not measured).
pub async fn once(addr: SocketAddr, call: Call) -> Result<(u16, String), String> {
    let mut sender = connect(addr).await?;
    let mut request = Request::builder()
        .method(call.method)
        .uri(&call.path)
        .header(hyper::header::HOST, addr.to_string());
    if let Some(cookie) = &call.cookie {
        request = request.header(hyper::header::COOKIE, cookie);
    }
    if let Some(token) = &call.bearer {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match call.json {
        Some(json) => {
            request = request.header(hyper::header::CONTENT_TYPE, "application/json");
            Full::new(Bytes::from(json))
        }
        None => Full::new(Bytes::new()),
    };
    let response = sender
        .send_request(request.body(body).map_err(|e| e.to_string())?)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

/// Zipf-distributed ranks `0..n` (exponent `s`): rank 0 is the busiest workspace.
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for k in 1..=n {
            sum += 1.0 / (k as f64).powf(s);
            cdf.push(sum);
        }
        for c in &mut cdf {
            *c /= sum;
        }
        Self { cdf }
    }

    pub fn sample(&self, rng: &mut impl rand::Rng) -> usize {
        let u: f64 = rng.random();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}
