//! The project folder and its git-ignored local state under `.loaf/`.

use anyhow::Context;
use rand::RngCore;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub struct Project {
    root: PathBuf,
}

impl Project {
    /// The nearest folder at or above the current one holding the
    /// workspace's `Cargo.toml`, else the current folder.
    pub fn locate() -> anyhow::Result<Self> {
        let cwd = std::env::current_dir().context("cannot read the current folder")?;
        let root = cwd
            .ancestors()
            .find(|dir| {
                fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|t| t.contains("[workspace]"))
            })
            .unwrap_or(&cwd)
            .to_path_buf();
        Ok(Project { root })
    }

    /// The project's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `.loaf/`, created on demand.
    pub fn state_dir(&self) -> anyhow::Result<PathBuf> {
        let dir = self.root.join(".loaf");
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(dir)
    }

    /// Holds `.loaf/serve.lock` for as long as the returned file lives, or
    /// says that another `loaf serve` holds it.
    pub fn lock_serve(&self) -> anyhow::Result<File> {
        let path = self.state_dir()?.join("serve.lock");
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0)?;
                write!(file, "{}", std::process::id())?;
                Ok(file)
            }
            Err(TryLockError::WouldBlock) => {
                let pid = fs::read_to_string(&path).unwrap_or_default();
                anyhow::bail!(
                    "another `loaf serve` is already running for this project (pid {}): stop it first",
                    pid.trim()
                )
            }
            Err(TryLockError::Error(e)) => Err(e).context("cannot lock .loaf/serve.lock"),
        }
    }

    /// A secret kept in `.loaf/NAME` (mode 0600), generated on first use so
    /// that tokens survive restarts.
    pub fn secret(&self, name: &str) -> anyhow::Result<String> {
        let path = self.state_dir()?.join(name);
        if let Ok(text) = fs::read_to_string(&path) {
            if !text.trim().is_empty() {
                return Ok(text.trim().to_string());
            }
        }
        let value = random_hex(32);
        write_private(&path, &value)?;
        Ok(value)
    }
}

/// `bytes` random bytes as hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    loaf_core::hex::encode(&buf)
}

/// Writes `text` to `path`, readable by the owner only.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
