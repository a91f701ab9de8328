//! What the tests of the `loaf` binary share: the binary with none of the
//! variables that would bypass its defaults, an empty project folder, and a
//! running `loaf serve` read through its banner. Each test binary uses a
//! part of it; the rest is unused there, not dead.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const LOAF: &str = env!("CARGO_BIN_EXE_loaf");

/// A command with none of the variables that would bypass the defaults.
pub fn loaf(dir: &Path) -> Command {
    let mut cmd = Command::new(LOAF);
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("S3_BUCKET")
        .env_remove("JWT_SECRET")
        .env_remove("PORT")
        .env_remove("ADMIN_EMAIL")
        .env_remove("ADMIN_PASSWORD");
    cmd
}

/// An empty project folder, removed when dropped.
pub struct TempProject(pub PathBuf);

impl std::ops::Deref for TempProject {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempProject {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_project() -> TempProject {
    let dir = std::env::temp_dir().join(format!(
        "loaf-cli-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempProject(dir)
}

/// A running `loaf serve`; killed if the test fails half-way.
pub struct Server {
    child: Child,
    banner: Vec<String>,
    lines: mpsc::Receiver<String>,
}

impl Server {
    pub fn start(dir: &Path) -> Server {
        Self::start_with(dir, &[])
    }

    /// `loaf serve` with `env` set too.
    pub fn start_with(dir: &Path, env: &[(&str, &Path)]) -> Server {
        let mut cmd = loaf(dir);
        for (var, value) in env {
            cmd.env(var, value);
        }
        let mut child = cmd
            .args(["serve", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut banner = Vec::new();
        while !banner.iter().any(|l: &String| l.starts_with("Ctrl-C")) {
            let line = rx
                .recv_timeout(Duration::from_secs(120))
                .expect("serve prints its banner");
            banner.push(line);
        }
        Server {
            child,
            banner,
            lines: rx,
        }
    }

    /// The next printed line containing `needle`.
    pub fn wait_for(&self, needle: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("serve prints a line with {needle}"));
            if line.contains(needle) {
                return line;
            }
        }
    }

    pub fn field(&self, prefix: &str) -> String {
        self.banner
            .iter()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {:?}", self.banner))
            .trim()
            .to_string()
    }

    pub fn url(&self) -> String {
        // The web app's build, when serve runs it, prints before the banner.
        let ready = self
            .banner
            .iter()
            .find(|l| l.starts_with("LOAF API ready on "))
            .unwrap_or_else(|| panic!("no ready line in {:?}", self.banner));
        let start = ready.find("http://").unwrap();
        ready[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    }

    pub fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
