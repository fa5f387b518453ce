//! Logging (DESIGN §5): tracing into `$XDG_STATE_HOME/flowdash/flowdash.log`, at the level of
//! `RUST_LOG` (default `info`), never to the terminal the dashboard draws on.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

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
    // the appender.
    if std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .is_err()
    {
        return (None, None);
    }
    let (writer, guard) =
        tracing_appender::non_blocking(tracing_appender::rolling::never(dir, name));
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
