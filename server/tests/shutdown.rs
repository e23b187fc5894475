//! The real `bastion serve` process stopped with SIGTERM while clients keep sending requests: no
//! accepted request fails, new connections are refused, a request in flight is answered in full,
//! the process exits 0 and the embedded PostgreSQL is stopped.

mod process;

use std::{
    io::{ErrorKind, Read, Write},
    net::{SocketAddr, TcpStream},
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use process::free_addr;

const EMAIL: &str = "drain@example.eu";
const PASSWORD: &str = "a long and careful passphrase";
/// Far longer than the test needs: a shutdown that waits it out shows up in the log.
const GRACE_SECS: u64 = 20;

fn bastion(data: &Path, addr: SocketAddr) -> Command {
    let mut cmd = process::bastion(data, addr);
    cmd.env("BASTION_SHUTDOWN_GRACE_SECS", GRACE_SECS.to_string());
    cmd
}

/// How one request went.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// A complete response: its status and body.
    Answered(u16, String),
    /// The connection was refused, or closed before a single byte of response.
    NotServed,
    /// Anything else: a response cut short, a reset mid-way, garbage.
    Broken(String),
}

/// Splits a complete HTTP/1.1 response with a `Content-Length` into status and body; `None` when
/// it is incomplete.
fn parse(raw: &[u8]) -> Option<(u16, String)> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    (body.len() == length).then(|| (status, body.to_owned()))
}

fn read_response(stream: &mut TcpStream) -> Outcome {
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) if raw.is_empty() => Outcome::NotServed,
        Err(e) if raw.is_empty() && e.kind() == ErrorKind::ConnectionReset => Outcome::NotServed,
        Ok(_) => match parse(&raw) {
            Some((status, body)) => Outcome::Answered(status, body),
            None => Outcome::Broken(format!("incomplete: {}", String::from_utf8_lossy(&raw))),
        },
        Err(e) => Outcome::Broken(format!("{e} after {} bytes", raw.len())),
    }
}

fn get(addr: SocketAddr, path: &str) -> Outcome {
    let mut stream = match TcpStream::connect(addr) {
        Ok(s) => s,
        // Refused, or reset in the handshake: the listener closed with the connection still in
        // its backlog (the kernel resets those). Either way the server never took the request.
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
            ) =>
        {
            return Outcome::NotServed
        }
        Err(e) => return Outcome::Broken(format!("connect: {e}")),
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if let Err(e) = stream.write_all(request.as_bytes()) {
        // The server reset a connection it never served: as good as refused.
        return match e.kind() {
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe => Outcome::NotServed,
            _ => Outcome::Broken(format!("write: {e}")),
        };
    }
    read_response(&mut stream)
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn sigterm_under_load_fails_no_accepted_request_and_stops_postgres() {
    let data = tempfile::tempdir().unwrap();
    // The embedded PostgreSQL runs as the `postgres` user when we are root: it must enter here.
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let addr = free_addr();
    let created = bastion(data.path(), addr)
        .args(["user", "create", EMAIL, "--name", "Drain"])
        .env("BASTION_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "user create: {}",
        String::from_utf8_lossy(&created.stderr)
    );

    let log_path = data.path().join("serve.log");
    let mut server = bastion(data.path(), addr)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let start = Instant::now();
    while get(addr, "/readyz")
        != Outcome::Answered(
            200,
            r#"{"status":"ready","tenant_role":"irrevocable"}"#.into(),
        )
    {
        assert!(
            server.try_wait().unwrap().is_none(),
            "serve exited:\n{}",
            log()
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never ready:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Clients in a loop, a fresh connection per request, until connections are refused.
    let terminated = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let terminated = terminated.clone();
            std::thread::spawn(move || {
                let (mut answered, mut failures) = (0, Vec::new());
                loop {
                    let outcome = get(addr, "/readyz");
                    let after_sigterm = terminated.load(Ordering::SeqCst);
                    match outcome {
                        Outcome::Answered(200, _) => answered += 1,
                        Outcome::NotServed if after_sigterm => break,
                        other => {
                            failures.push(format!("{other:?} (after SIGTERM: {after_sigterm})"))
                        }
                    }
                    if failures.len() > 10 {
                        break;
                    }
                }
                (answered, failures)
            })
        })
        .collect();

    // A sign-in in flight: `Expect: 100-continue` makes the server say when the handler has
    // started reading the body, which we then hold back until shutdown is under way.
    let body = format!(r#"{{"email":"{EMAIL}","password":"{PASSWORD}"}}"#);
    let mut in_flight = TcpStream::connect(addr).unwrap();
    in_flight
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        in_flight,
        "POST /api/v1/auth/sign-in HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let mut interim = [0u8; 25];
    in_flight.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");

    std::thread::sleep(Duration::from_millis(300));
    terminated.store(true, Ordering::SeqCst);
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    // While the sign-in is still waiting for its body, the listener is gone.
    let start = Instant::now();
    while TcpStream::connect(addr).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still accepting connections after SIGTERM:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    in_flight.write_all(body.as_bytes()).unwrap();
    match read_response(&mut in_flight) {
        Outcome::Answered(200, user) => assert!(user.contains(EMAIL), "{user}"),
        other => panic!("the in-flight sign-in: {other:?}\n{}", log()),
    }

    let status = wait_exit(&mut server, Duration::from_secs(GRACE_SECS + 15));
    let log = log();
    let Some(status) = status else {
        server.kill().unwrap();
        panic!("serve did not exit after SIGTERM:\n{log}");
    };
    assert!(status.success(), "serve exited with {status}:\n{log}");
    let mut answered = 0;
    for client in clients {
        let (n, failures) = client.join().unwrap();
        assert!(failures.is_empty(), "{failures:#?}\n{log}");
        answered += n;
    }
    assert!(answered > 0, "no request was answered:\n{log}");

    for step in [
        "shutting down: no new connections",
        "shutdown: in-flight requests finished",
        "shutdown: mail sender stopped between batches",
        "shutdown: job runner stopped",
        "shutdown: closing the database connections",
        "embedded PostgreSQL stopped",
        "shutdown complete",
    ] {
        assert_eq!(log.matches(step).count(), 1, "{step:?} logged once:\n{log}");
    }
    assert!(!log.contains("grace period over"), "{log}");
    let pid_file = data.path().join("postgres/cluster/postmaster.pid");
    assert!(!pid_file.exists(), "PostgreSQL still running:\n{log}");
}
