//! Two real `bastion serve` processes on one embedded cluster (one data directory) and one S3
//! bucket, requests alternating between them: sessions, the token rate limit, the account
//! lockout, the job queue and attachments are shared, because none of them lives in a process.

mod process;
mod s3_server;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use process::free_addr;
use s3_server::S3Server;

const EMAIL: &str = "ada@example.eu";
const PASSWORD: &str = "a long and careful passphrase";
const TOKEN_LIMIT: usize = 6;

fn bastion(data: &Path, addr: SocketAddr, s3: &S3Server) -> Command {
    let mut cmd = process::bastion(data, addr);
    cmd.env("BASTION_TOKEN_RATE_LIMIT", TOKEN_LIMIT.to_string())
        .env("BASTION_SHUTDOWN_GRACE_SECS", "5");
    for (k, v) in s3.vars("shared") {
        cmd.env(k, v);
    }
    cmd
}

/// One `bastion serve`; stopped with SIGTERM when dropped, and its cluster with it if the test
/// failed before a clean stop.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: std::path::PathBuf,
    data: std::path::PathBuf,
}

impl Server {
    fn start(data: &Path, name: &str, s3: &S3Server) -> Server {
        let addr = free_addr();
        let log = data.join(format!("{name}.log"));
        let child = bastion(data, addr, s3)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            addr,
            log,
            data: data.to_path_buf(),
        };
        let start = Instant::now();
        while request(addr, "GET", "/readyz", &[], b"").0 != 200 {
            assert!(
                server.child.try_wait().unwrap().is_none(),
                "{name} exited:\n{}",
                server.log()
            );
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{name} never ready:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A request as a browser on this server's origin sends it.
    fn call(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        json: Option<serde_json::Value>,
    ) -> (u16, String, Vec<u8>) {
        let origin = self.origin();
        let mut headers = vec![("Origin", origin.as_str())];
        if let Some(cookie) = cookie {
            headers.push(("Cookie", cookie));
        }
        let body = json.map(|j| j.to_string()).unwrap_or_default();
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        request(self.addr, method, path, &headers, body.as_bytes())
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if self.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.stop();
            bastion_core::embedded::stop_cluster_in(&self.data, "immediate");
        }
    }
}

/// One HTTP/1.1 request on its own connection: the status, the head, the body.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return (0, String::new(), Vec::new());
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw.get(split + 4..).unwrap_or_default().to_vec();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head, body)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

fn cli(data: &Path, s3: &S3Server, args: &[&str]) -> String {
    let out = bastion(data, free_addr(), s3)
        .args(args)
        .env("BASTION_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bastion {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn two_servers_share_sessions_limits_lockouts_jobs_and_files() {
    let s3 = S3Server::start();
    let data = tempfile::tempdir().unwrap();
    // The embedded PostgreSQL runs as the `postgres` user when we are root: it must enter here.
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = data.path();

    // The first server starts the cluster; the operator's commands and the second server use it.
    let mut a = Server::start(dir, "a", &s3);
    cli(dir, &s3, &["user", "create", EMAIL, "--name", "Ada"]);
    cli(
        dir,
        &s3,
        &["user", "create", "bob@example.eu", "--name", "Bob"],
    );
    cli(dir, &s3, &["workspace", "create", "acme", "--name", "Acme"]);
    cli(
        dir,
        &s3,
        &["workspace", "add-member", "acme", EMAIL, "--role", "admin"],
    );
    let token = cli(
        dir,
        &s3,
        &["token", "create", "acme", EMAIL, "--name", "ci"],
    );
    let mut b = Server::start(dir, "b", &s3);
    let servers = [&a, &b];

    // A session made on one server works on the other, and signing out on it ends it on both.
    let (status, head, body) = a.call(
        "POST",
        "/api/v1/auth/sign-in",
        None,
        Some(serde_json::json!({"email": EMAIL, "password": PASSWORD})),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let cookie = header(&head, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, me) = b.call("GET", "/api/v1/me", Some(&cookie), None);
    assert_eq!(status, 200);
    assert_eq!(json(&me)["user"]["email"], EMAIL);

    // The token's rate limit counts every request, whichever server takes it.
    let bearer = format!("Bearer {token}");
    for i in 0..TOKEN_LIMIT {
        let (status, ..) = request(
            servers[i % 2].addr,
            "GET",
            "/api/v1/workspaces/acme/projects",
            &[("Authorization", &bearer)],
            b"",
        );
        assert_eq!(status, 200, "request {i}");
    }
    for server in servers {
        let (status, head, _) = request(
            server.addr,
            "GET",
            "/api/v1/workspaces/acme/projects",
            &[("Authorization", &bearer)],
            b"",
        );
        assert_eq!(status, 429, "the limit is shared: {head}");
        assert!(header(&head, "retry-after").is_some());
    }

    // Failed sign-ins lock the account after 10, counted across both servers: then even the
    // right password is refused, on either.
    let wrong = serde_json::json!({"email": "bob@example.eu", "password": "not the password"});
    for i in 0..10 {
        let (status, ..) =
            servers[i % 2].call("POST", "/api/v1/auth/sign-in", None, Some(wrong.clone()));
        assert_eq!(status, 401, "failure {i}");
    }
    let right = serde_json::json!({"email": "bob@example.eu", "password": PASSWORD});
    for server in servers {
        let (status, head, _) =
            server.call("POST", "/api/v1/auth/sign-in", None, Some(right.clone()));
        assert_eq!(status, 429, "locked everywhere: {head}");
    }

    // An attachment uploaded to one server downloads, whole and in part, from the other.
    let (status, _, project) = a.call(
        "POST",
        "/api/v1/workspaces/acme/projects",
        Some(&cookie),
        Some(serde_json::json!({"name": "Shared"})),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&project));
    let (status, _, task) = b.call(
        "POST",
        "/api/v1/workspaces/acme/tasks",
        Some(&cookie),
        Some(serde_json::json!({"project_id": json(&project)["id"], "title": "Both"})),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&task));
    let task_id = json(&task)["id"].as_str().unwrap().to_owned();
    let file: Vec<u8> = (0..100_000u32).map(|i| (i % 241) as u8).collect();
    let boundary = "two-servers-boundary";
    let mut multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"both.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    multipart.extend_from_slice(&file);
    multipart.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let origin = a.origin();
    let (status, _, uploaded) = request(
        a.addr,
        "POST",
        &format!("/api/v1/workspaces/acme/tasks/{task_id}/attachments"),
        &[
            ("Origin", &origin),
            ("Cookie", &cookie),
            ("Content-Type", &content_type),
        ],
        &multipart,
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&uploaded));
    let attachment = json(&uploaded)["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/workspaces/acme/attachments/{attachment}");
    let (status, _, downloaded) = b.call("GET", &path, Some(&cookie), None);
    assert_eq!(status, 200);
    assert_eq!(downloaded, file);
    let (status, head, part) = request(
        b.addr,
        "GET",
        &path,
        &[("Cookie", &cookie), ("Range", "bytes=50000-50009")],
        b"",
    );
    assert_eq!(status, 206);
    assert_eq!(
        header(&head, "content-range"),
        Some("bytes 50000-50009/100000")
    );
    assert_eq!(part, &file[50_000..50_010]);

    // An export asked of one server is built by whichever runner leases it and downloads
    // from the other: the queue and the archive are shared.
    let (status, _, started) = a.call(
        "POST",
        "/api/v1/workspaces/acme/export",
        Some(&cookie),
        None,
    );
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&started));
    let export = json(&started)["id"].as_str().unwrap().to_owned();
    let status_path = format!("/api/v1/workspaces/acme/export/{export}");
    let start = Instant::now();
    loop {
        let (status, _, seen) = b.call("GET", &status_path, Some(&cookie), None);
        assert_eq!(status, 200);
        if json(&seen)["state"] == "done" {
            break;
        }
        assert_ne!(json(&seen)["state"], "failed", "{}\n{}", a.log(), b.log());
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the export never finished:\n{}\n{}",
            a.log(),
            b.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, head, archive) = b.call(
        "GET",
        &format!("{status_path}/download"),
        Some(&cookie),
        None,
    );
    assert_eq!(status, 200, "{head}");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let mut inside = Vec::new();
    zip.by_name(&format!("files/{attachment}/both.bin"))
        .unwrap()
        .read_to_end(&mut inside)
        .unwrap();
    assert_eq!(inside, file);

    // Signing out on one server ends the session on both.
    let (status, ..) = b.call("POST", "/api/v1/auth/sign-out", Some(&cookie), None);
    assert!(status == 204 || status == 200, "{status}");
    let (status, ..) = a.call("GET", "/api/v1/me", Some(&cookie), None);
    assert_eq!(status, 401);

    // Neither server logged the S3 secret.
    b.stop();
    a.stop();
    for log in [a.log(), b.log()] {
        assert!(!log.contains(s3_server::SECRET_KEY));
        assert!(log.contains("attachments and exports"), "{log}");
    }
}
