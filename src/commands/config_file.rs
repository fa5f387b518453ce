//! `flowdash config path | check | init`: where the config file is, what is wrong in it, and a
//! first one written with every setting and its default.

use std::io::Write as _;
use std::path::Path;

use super::{Failure, say, warn};
use crate::cli::{ConfigCommand, Global};
use crate::config::{self, settings};

pub fn run(global: &Global, cmd: ConfigCommand) -> Result<(), Failure> {
    let path = config::config_path(global)?;
    match cmd {
        ConfigCommand::Path => say(&path.display().to_string()),
        ConfigCommand::Check => check(global, &path)?,
        ConfigCommand::Init => {
            init(&path)?;
            say(&path.display().to_string());
        }
    }
    Ok(())
}

/// Reads the config as the dashboard would; every problem is an `error:` line on stderr and
/// exit status 1, the file's name on stdout when there is none.
fn check(global: &Global, path: &Path) -> Result<(), Failure> {
    let settings = config::load(global)?;
    for w in &settings.warnings {
        warn(&format!("warning: {w}"));
    }
    if !settings.key_problems.is_empty() {
        for p in &settings.key_problems {
            warn(&format!("error: {}", crate::api::error::redact(p)));
        }
        return Err(Failure::Reported);
    }
    match settings.config_file {
        Some(_) => say(&format!("{}: no problems found", path.display())),
        None => say(&format!(
            "no config file at {}: the built-in defaults are in force",
            path.display()
        )),
    }
    Ok(())
}

/// Writes the commented config file, readable by its owner alone; an existing file is left as
/// it is.
fn init(path: &Path) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::msg(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Failure::msg(format!(
                "{} exists already: config init never overwrites a file (edit it, or move it away first; `flowdash config check` reads it)",
                path.display()
            )));
        }
        Err(e) => return Err(fail(e)),
    };
    file.write_all(settings::template().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(fail)
}
