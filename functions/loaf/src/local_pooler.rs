//! A PgBouncer in front of a local cluster: the closest real stand-in for
//! RDS Proxy that runs here, so what the proxy refuses fails a test here
//! before it fails in AWS.
//!
//! Like the proxy, PgBouncer refuses startup parameters it does not know
//! (`options` above all: "unsupported startup parameter"), and it hands
//! server connections from one client to the next. It runs in **session
//! mode**: RDS Proxy carries protocol-level prepared statements across its
//! multiplexing (since 2023) and PgBouncer 1.18's transaction mode does not,
//! so session mode is the faithful stand-in for everything sqlx does; that
//! no session-level `SET` outlives its transaction (what would pin the
//! proxy) is checked by a test of its own.
//!
//! The pooler is shared like the test cluster: the first test process
//! starts it, later ones find it running; `.ci/run` stops it at the end.

use anyhow::{bail, Context};
use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::process::Command;

/// The unprivileged account PgBouncer runs as when we are root (it refuses
/// to run as root).
const SERVER_USER: &str = "postgres";

/// Roles the pooler lets in; the cluster itself trusts them on loopback.
const USERS: [&str; 2] = ["loaf", "loaf_app"];

/// A PgBouncer living in `dir` (`pgbouncer.ini`, `users.txt`, its log, pid
/// file and port), forwarding every database to `server_port`.
pub struct Pooler {
    dir: PathBuf,
}

impl Pooler {
    /// Starts the pooler unless it already runs for `server_port`; several
    /// processes may call this at once (they take turns on a lock file).
    pub async fn start(dir: &Path, server_port: u16) -> anyhow::Result<Self> {
        let binary = find_binary()?;
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the pooler folder {}", dir.display()))?;
        let pooler = Pooler {
            dir: dir.to_path_buf(),
        };
        let lock = File::create(dir.join(".lock"))?;
        lock.lock().context("cannot lock the pooler's folder")?;
        let config = pooler.config(server_port);
        let same_config =
            fs::read_to_string(dir.join("pgbouncer.ini")).is_ok_and(|text| text == config);
        if same_config && pooler.is_running() && pooler.answers() {
            return Ok(pooler);
        }
        pooler.stop();
        let port = free_port()?;
        fs::write(dir.join("port"), port.to_string())?;
        fs::write(dir.join("pgbouncer.ini"), pooler.config(server_port))?;
        let users: String = USERS.iter().map(|u| format!("\"{u}\" \"\"\n")).collect();
        fs::write(dir.join("users.txt"), users)?;
        let _ = fs::remove_file(dir.join("pgbouncer.log"));
        // SAFETY: geteuid has no preconditions and cannot fail.
        let as_root = unsafe { libc::geteuid() } == 0;
        let mut cmd = if as_root {
            let status = Command::new("chown")
                .args(["-R", &format!("{SERVER_USER}:{SERVER_USER}")])
                .arg(dir)
                .status()
                .await?;
            if !status.success() {
                bail!("cannot give {} to the {SERVER_USER} user", dir.display());
            }
            let mut c = Command::new("runuser");
            c.args(["-u", SERVER_USER, "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        let out = cmd
            .arg("-d")
            .arg(dir.join("pgbouncer.ini"))
            .output()
            .await
            .context("cannot run pgbouncer")?;
        if !out.status.success() {
            bail!(
                "pgbouncer did not start: {} {}",
                String::from_utf8_lossy(&out.stderr).trim(),
                fs::read_to_string(dir.join("pgbouncer.log")).unwrap_or_default()
            );
        }
        for _ in 0..100 {
            if pooler.answers() {
                return Ok(pooler);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "pgbouncer started but does not listen on port {port}; its log says: {}",
            fs::read_to_string(dir.join("pgbouncer.log")).unwrap_or_default()
        )
    }

    /// The port it listens on.
    pub fn port(&self) -> anyhow::Result<u16> {
        let text = fs::read_to_string(self.dir.join("port")).context("the pooler has no port")?;
        text.trim()
            .parse()
            .context("the pooler's port file is corrupt")
    }

    /// `postgres://USER@127.0.0.1:PORT/DATABASE` through the pooler.
    pub fn url_as(&self, user: &str, database: &str) -> anyhow::Result<String> {
        Ok(format!(
            "postgres://{user}@127.0.0.1:{}/{database}",
            self.port()?
        ))
    }

    fn config(&self, server_port: u16) -> String {
        let dir = self.dir.display();
        // Every database of the cluster, as whichever listed user asks.
        // No `ignore_startup_parameters`: an unknown one must fail, as it
        // does at RDS Proxy.
        format!(
            "[databases]\n\
             * = host=127.0.0.1 port={server_port}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {dir}/users.txt\n\
             pool_mode = session\n\
             server_reset_query = DISCARD ALL\n\
             server_idle_timeout = 10\n\
             max_client_conn = 1000\n\
             default_pool_size = 100\n\
             logfile = {dir}/pgbouncer.log\n\
             pidfile = {dir}/pgbouncer.pid\n",
            port = self.port().unwrap_or(0)
        )
    }

    fn pid(&self) -> Option<i32> {
        fs::read_to_string(self.dir.join("pgbouncer.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn is_running(&self) -> bool {
        // SAFETY: signal 0 only checks that the process exists.
        self.pid()
            .is_some_and(|pid| unsafe { libc::kill(pid, 0) } == 0)
    }

    fn answers(&self) -> bool {
        self.port()
            .is_ok_and(|port| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok())
    }

    /// Stops the pooler if it runs.
    pub fn stop(&self) {
        if let Some(pid) = self.pid().filter(|_| self.is_running()) {
            // SAFETY: SIGTERM to the pooler's own process.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            for _ in 0..100 {
                if !self.is_running() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// `pgbouncer` on PATH or where Debian puts it.
fn find_binary() -> anyhow::Result<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("pgbouncer"))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "pgbouncer not found: the tests run through it as the stand-in for RDS Proxy; \
                 install it (apt-get install pgbouncer)"
            )
        })
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}
