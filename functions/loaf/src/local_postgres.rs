//! A private PostgreSQL cluster run from the machine's own server binaries
//! (initdb, pg_ctl): what `loaf serve` uses when no `DATABASE_URL` is given,
//! and what the tests run against.
//!
//! PostgreSQL refuses to run as root, so when this process is root the
//! cluster's folder is given to the `postgres` user and every server command
//! runs as that user (`runuser`).

use anyhow::{bail, Context};
use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use tokio::process::Command;

/// The unprivileged account the server runs as when we are root.
const SERVER_USER: &str = "postgres";
/// The cluster's superuser; local connections are trusted (127.0.0.1 only).
pub const SUPERUSER: &str = "loaf";

/// Who may connect, and how: loopback only; the owner and the application
/// role are trusted (development and tests have no secrets to keep), every
/// other role gives its password, as in AWS (the rotation test's roles).
const HBA: &str = "# Written by loaf: loopback only.\n\
host all loaf 127.0.0.1/32 trust\n\
host all loaf_app 127.0.0.1/32 trust\n\
host all all 127.0.0.1/32 scram-sha-256\n";

/// How the cluster trades durability for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Development data: a crash loses at most the last commits, never the cluster.
    Safe,
    /// Test data, thrown away anyway: no fsync at all.
    Throwaway,
}

/// A cluster living in `dir`: `data/` (PGDATA), `port`, `server.log`.
pub struct Cluster {
    dir: PathBuf,
    bin_dir: PathBuf,
    durability: Durability,
    as_server_user: bool,
}

impl Cluster {
    /// Finds the server binaries and prepares `dir`. Nothing starts yet.
    pub fn new(dir: &Path, durability: Durability) -> anyhow::Result<Self> {
        let bin_dir = find_binaries()?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let as_server_user = unsafe { libc::geteuid() } == 0;
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
        Ok(Cluster {
            dir: dir.to_path_buf(),
            bin_dir,
            durability,
            as_server_user,
        })
    }

    /// The cluster's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The port the cluster listens on (chosen when it first starts).
    pub fn port(&self) -> anyhow::Result<u16> {
        let text = fs::read_to_string(self.dir.join("port"))
            .context("the local cluster has not been started yet")?;
        text.trim()
            .parse()
            .context("the local cluster's port file is corrupt")
    }

    /// `postgres://loaf@127.0.0.1:PORT/DATABASE`: the owner.
    pub fn url(&self, database: &str) -> anyhow::Result<String> {
        self.url_as(SUPERUSER, database)
    }

    /// `postgres://USER@127.0.0.1:PORT/DATABASE`.
    pub fn url_as(&self, user: &str, database: &str) -> anyhow::Result<String> {
        Ok(format!(
            "postgres://{user}@127.0.0.1:{}/{database}",
            self.port()?
        ))
    }

    /// Initialises the cluster on first use and starts it unless it already
    /// runs. Safe to call from several processes at once: they take turns
    /// on a lock file, and the later ones find it running.
    pub async fn start(&self) -> anyhow::Result<()> {
        let lock = File::create(self.dir.join(".lock"))?;
        lock.lock()
            .context("cannot lock the local cluster's folder")?;
        if !self.data_dir().join("PG_VERSION").exists() {
            self.init().await?;
        }
        let hba_changed = self.write_hba()?;
        if self.is_running().await? {
            if hba_changed {
                self.reload().await?;
            }
            return Ok(());
        }
        let port = match self.port() {
            Ok(port) if port_is_free(port) => port,
            _ => free_port()?,
        };
        fs::write(self.dir.join("port"), port.to_string())?;
        let out = self
            .server_cmd("pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .args(["-w", "-t", "60", "-o", &format!("-p {port}")])
            .output()
            .await
            .context("cannot run pg_ctl")?;
        if !out.status.success() {
            bail!(
                "the local PostgreSQL did not start ({}); its log {} ends with: {}",
                first_line(&out),
                self.log_file().display(),
                tail(&self.log_file(), 3)
            );
        }
        Ok(())
    }

    /// Writes `pg_hba.conf` unless it already says what [`HBA`] says (a
    /// cluster made by an older version trusted everyone); `true` if it did.
    fn write_hba(&self) -> anyhow::Result<bool> {
        let path = self.data_dir().join("pg_hba.conf");
        if fs::read_to_string(&path).is_ok_and(|text| text == HBA) {
            return Ok(false);
        }
        fs::write(&path, HBA)?;
        Ok(true)
    }

    async fn reload(&self) -> anyhow::Result<()> {
        let out = self
            .server_cmd("pg_ctl")
            .arg("reload")
            .arg("-D")
            .arg(self.data_dir())
            .output()
            .await?;
        if !out.status.success() {
            bail!("pg_ctl reload failed: {}", first_line(&out));
        }
        Ok(())
    }

    /// Stops the cluster (fast shutdown: open sessions are ended cleanly).
    pub async fn stop(&self) -> anyhow::Result<()> {
        if !self.is_running().await? {
            return Ok(());
        }
        let out = self
            .server_cmd("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "fast", "-w"])
            .output()
            .await?;
        if !out.status.success() {
            bail!("pg_ctl stop failed: {}", first_line(&out));
        }
        Ok(())
    }

    async fn is_running(&self) -> anyhow::Result<bool> {
        if !self.data_dir().join("PG_VERSION").exists() {
            return Ok(false);
        }
        let out = self
            .server_cmd("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(self.data_dir())
            .output()
            .await?;
        Ok(out.status.success())
    }

    async fn init(&self) -> anyhow::Result<()> {
        if self.as_server_user {
            self.hand_over_to_server_user().await?;
        }
        let out = self
            .server_cmd("initdb")
            .arg("-D")
            .arg(self.data_dir())
            .args([
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ])
            .output()
            .await
            .context("cannot run initdb")?;
        if !out.status.success() {
            bail!("initdb failed: {}", first_line(&out));
        }
        let mut conf = String::from(
            "\n# Added by loaf: loopback only, no Unix socket (the folder may not suit one).\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = ''\n\
             max_connections = 200\n\
             synchronous_commit = off\n",
        );
        if self.durability == Durability::Throwaway {
            conf.push_str("fsync = off\nfull_page_writes = off\n");
        }
        let path = self.data_dir().join("postgresql.conf");
        let mut text = fs::read_to_string(&path)?;
        text.push_str(&conf);
        fs::write(&path, text)?;
        Ok(())
    }

    /// Gives the cluster folder to the server user, after checking that the
    /// user can reach it at all (a checkout under /root cannot be reached).
    async fn hand_over_to_server_user(&self) -> anyhow::Result<()> {
        if !server_can_reach(&self.dir) {
            bail!(
                "the {SERVER_USER} user cannot reach {} (PostgreSQL refuses to run as root): \
                 use a folder it can reach, or set DATABASE_URL",
                self.dir.display()
            );
        }
        let status = Command::new("chown")
            .args(["-R", &format!("{SERVER_USER}:{SERVER_USER}")])
            .arg(&self.dir)
            .status()
            .await?;
        if !status.success() {
            bail!(
                "cannot give {} to the {SERVER_USER} user",
                self.dir.display()
            );
        }
        Ok(())
    }

    fn server_cmd(&self, program: &str) -> Command {
        let path = self.bin_dir.join(program);
        let mut cmd = if self.as_server_user {
            let mut c = Command::new("runuser");
            c.args(["-u", SERVER_USER, "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        cmd.env("LC_ALL", "C.UTF-8").kill_on_drop(false);
        cmd
    }
}

/// `true` unless we are root and the `postgres` user, which the server will
/// run as, cannot enter `dir` (for example a checkout under /root).
pub fn server_can_reach(dir: &Path) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return true;
    }
    std::process::Command::new("runuser")
        .args(["-u", SERVER_USER, "--", "test", "-x"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success())
}

/// Where initdb and pg_ctl are: on PATH, else the newest
/// `/usr/lib/postgresql/N/bin` (Debian keeps them off PATH).
fn find_binaries() -> anyhow::Result<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    debian.sort();
    on_path
        .into_iter()
        .chain(debian.into_iter().rev().map(|(_, p)| p))
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
        .map(|dir| dir.canonicalize().unwrap_or(dir))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in \
                 /usr/lib/postgresql: install them (apt-get install postgresql) or set DATABASE_URL"
            )
        })
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

fn first_line(out: &Output) -> String {
    let text = String::from_utf8_lossy(if out.stderr.is_empty() {
        &out.stdout
    } else {
        &out.stderr
    })
    .trim()
    .to_string();
    text.lines().last().unwrap_or("no output").to_string()
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join(" | ")
}

/// Creates `name` on the cluster at `admin_url` unless it exists; several
/// processes may race to do it.
/// Whether database `name` exists on the server at `admin_url`.
pub async fn database_exists(admin_url: &str, name: &str) -> anyhow::Result<bool> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("cannot connect to {admin_url}"))?;
    let exists = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS \"n!\"",
        name,
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(exists)
}

pub async fn ensure_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    if !database_exists(admin_url, name).await? {
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .with_context(|| format!("cannot connect to {admin_url}"))?;
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        match sqlx::query(&sql).execute(&mut conn).await {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e.into()),
        }
        conn.close().await?;
    }
    Ok(())
}
