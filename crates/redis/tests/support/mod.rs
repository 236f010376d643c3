//! A real redis-server for the acord-redis integration tests.
//!
//! Each test starts its own server on a free loopback port in a temporary
//! directory and stops it by its process id when the handle drops.
//!
//! When `redis-server` is not installed, [`RedisServer::start`] prints one
//! line saying what to install and returns `None`, and the test returns
//! without asserting, so `cargo test --workspace` passes on a fresh
//! machine. With `ACORD_REQUIRE_REDIS=1` (set by `.ci/run`) a missing
//! binary fails the test instead.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use acord_redis::ConnectionManager;

/// Held by the tests that assert on timing (spacing of grants, wall time
/// against one process, 429s after a restart), so that the other tests of
/// the same binary do not run beside them on a 2-core machine.
pub static TIMED: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The variable that makes a missing redis-server a failure.
pub const REQUIRE_VAR: &str = "ACORD_REQUIRE_REDIS";

/// A redis-server child process, killed when dropped.
pub struct RedisServer {
    child: Child,
    /// `redis://127.0.0.1:<port>`.
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RedisServer {
    /// Starts a server on a free port; `None` (after one line on stderr)
    /// when redis-server is not installed and [`REQUIRE_VAR`] is unset.
    pub fn start() -> Option<Self> {
        Self::start_on(free_port())
    }

    /// Starts a server on `port` (to restart one on the same address).
    pub fn start_on(port: u16) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!(
            "acord-redis-{}-{port}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                let required = std::env::var_os(REQUIRE_VAR).is_some_and(|v| v != "0");
                assert!(
                    !required,
                    "could not start redis-server ({e}) and {REQUIRE_VAR} is set: \
                     install it with `apt-get install redis-server`"
                );
                eprintln!(
                    "skipped: this test needs redis-server on PATH ({e}); \
                     install it with `apt-get install redis-server`"
                );
                return None;
            }
        };
        let server = Self {
            child,
            url: format!("redis://127.0.0.1:{port}"),
            port,
            _dir: TempDir(dir),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }

    /// A connection manager to this server.
    pub async fn conn(&self) -> ConnectionManager {
        acord_redis::connect(&self.url).await.unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
