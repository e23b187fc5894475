//! A real `bastion` process for the tests that need one (shutdown, two servers): the built
//! binary in `data`, listening on `addr`, with nothing of the caller's environment that would
//! point it elsewhere.

use std::{
    net::{SocketAddr, TcpListener},
    path::Path,
    process::Command,
};

pub fn bastion(data: &Path, addr: SocketAddr) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bastion"));
    cmd.current_dir(data)
        .env_remove("DATABASE_URL")
        .env_remove("BASTION_MASTER_KEYS")
        .env_remove("BASTION_MASTER_KEY_FILE")
        .env_remove("BASTION_SMTP_URL")
        .env("BASTION_DATA_DIR", data)
        .env("BASTION_ADDR", addr.to_string())
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1");
    cmd
}

pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}
