//! Logging (DESIGN §5): tracing into `$XDG_STATE_HOME/flowdash/flowdash.log`, at the level of
//! `RUST_LOG` (default `info`), never to the terminal the dashboard draws on.
//!
//! The file is the operator's alone (mode 0600), and every line passes through the redactor on
//! its way there, so a key that a server or a command repeated back never reaches it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::api::error::redact;

/// A writer that redacts secrets from what goes through it. The log worker hands it one whole
/// event at a time, so a key is never split between two writes.
struct Redacting<W>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        match redact(&text) {
            std::borrow::Cow::Borrowed(_) => self.0.write_all(buf)?,
            std::borrow::Cow::Owned(clean) => self.0.write_all(clean.as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Creates the log file readable by its owner only, and narrows an existing one: requests,
/// hosts and errors are nobody else's business.
fn open_private(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    options.open(path)?;
    Ok(())
}

/// Starts logging to the log file; the path and a guard that flushes the file when dropped.
/// When the file cannot be opened there is simply no log: nothing falls back to stderr.
pub fn init() -> (Option<PathBuf>, Option<WorkerGuard>) {
    let Some(path) = crate::config::log_path() else {
        return (None, None);
    };
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return (None, None);
    };
    if std::fs::create_dir_all(dir).is_err() {
        return (None, None);
    }
    // Opened here first so that an unwritable file means no log rather than a panic inside
    // the appender, and so that the appender finds it with its private mode.
    if open_private(&path).is_err() {
        return (None, None);
    }
    let (writer, guard) =
        tracing_appender::non_blocking(Redacting(tracing_appender::rolling::never(dir, name)));
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    if installed.is_err() {
        return (None, None);
    }
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "flowdash started");
    (Some(path), Some(guard))
}
