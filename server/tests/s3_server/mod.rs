//! A real S3-compatible server for the tests, no mock: the `s3s-fs` binary from crates.io
//! (version pinned here and in `./x`, which installs it), started on a free port over a
//! temporary directory, with fixed credentials.

#![allow(dead_code)]

use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use bastion_core::storage::{Objects, S3Location};

/// Must equal `S3S_FS_VERSION` in `./x`.
pub const S3S_FS_VERSION: &str = "0.14.1";
pub const ACCESS_KEY: &str = "bastion-test-access";
pub const SECRET_KEY: &str = "bastion-test-secret-key-0123456789";
/// An EU region, as the configuration demands; s3s-fs accepts any.
pub const REGION: &str = "eu-west-3";
pub const BUCKET: &str = "bastion-test";

pub struct S3Server {
    child: Child,
    pub endpoint: String,
    root: tempfile::TempDir,
}

/// The binary: `BASTION_S3S_FS` if set, else `s3s-fs` on `PATH`, else cargo's bin directory.
/// Missing, the test fails saying how to install it: a skipped storage test proves nothing.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("BASTION_S3S_FS") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("s3s-fs"));
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin").join("s3s-fs"));
    on_path
        .chain(cargo_bin)
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the S3-compatible test server `s3s-fs` is not installed: `./x test` installs \
                 it, or run `cargo install s3s-fs --version {S3S_FS_VERSION} --features binary \
                 --locked` (or point BASTION_S3S_FS at the binary)"
            )
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl S3Server {
    /// Starts the server with the bucket [`BUCKET`] in place.
    pub fn start() -> Self {
        let binary = binary();
        let version = Command::new(&binary)
            .arg("--version")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
        let version = String::from_utf8_lossy(&version.stdout).into_owned();
        assert!(
            version.contains(S3S_FS_VERSION),
            "{} is {version:?}, the tests expect s3s-fs {S3S_FS_VERSION} (`./x test` installs it)",
            binary.display()
        );
        let root = tempfile::tempdir().unwrap();
        // s3s-fs keeps one directory per bucket under its root; creating the bucket is making
        // that directory (what its CreateBucket does), since object_store has no bucket API.
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        // The port is chosen free and then handed over, so another process may take it in
        // between: try again on another port then.
        for _ in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(root.path().join("s3s-fs.log")).unwrap();
            let mut child = Command::new(&binary)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(root.path())
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if TcpStream::connect(addr).is_ok() {
                    return Self {
                        child,
                        endpoint: format!("http://{addr}"),
                        root,
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!(
            "s3s-fs did not start:\n{}",
            std::fs::read_to_string(root.path().join("s3s-fs.log")).unwrap_or_default()
        );
    }

    /// Bastion's settings for this server, keys under `prefix` in the bucket.
    pub fn vars(&self, prefix: &str) -> Vec<(&'static str, String)> {
        vec![
            (
                "BASTION_OBJECT_STORE_URL",
                format!("s3://{BUCKET}/{prefix}"),
            ),
            ("BASTION_OBJECT_STORE_ENDPOINT", self.endpoint.clone()),
            ("BASTION_OBJECT_STORE_REGION", REGION.into()),
            ("BASTION_OBJECT_STORE_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("BASTION_OBJECT_STORE_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ]
    }

    /// The whole bucket, seen directly over S3 (not through Bastion's prefix).
    pub fn bucket(&self) -> Objects {
        Objects::s3(&S3Location {
            bucket: BUCKET.into(),
            prefix: String::new(),
            region: REGION.into(),
            endpoint: Some(self.endpoint.clone()),
            access_key_id: Some(ACCESS_KEY.into()),
            secret_access_key: Some(SECRET_KEY.into()),
        })
        .unwrap()
    }

    /// Every key in the bucket under `prefix`, sorted.
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let mut keys = self.bucket().list(prefix).await.unwrap();
        keys.sort();
        keys
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
