//! Configuration (DESIGN §5): the TOML file with its profiles, the precedence of flags,
//! environment, profile and built-in defaults, where the API key comes from, and the paths of
//! the config and log files.
//!
//! A value given as a flag or in the environment (clap reads both) wins; then the chosen profile
//! (`--profile` / `FLOWDASH_PROFILE`), or `default_profile` when none is chosen; then the
//! built-in defaults. Profiles are not layered on one another: a staging profile without a key
//! must never borrow the production key and send it to the staging host.

mod alerts;
pub mod settings;
mod theme;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::api::error::{REDACTED, redact, register_secret};
use crate::api::{ApiKey, DEFAULT_PAGE_SIZE, PAGE_SIZES};
use crate::app::keymap::Keymap;
use crate::budget::BudgetConfig;
use crate::cli::Global;
use crate::domain::clean;

pub const DEFAULT_BASE_URL: &str = "https://sms.sociostacks.com/api";
pub const DEFAULT_TIMEOUT_SECS: u64 = 20;
/// Requests a minute for flowdash, and of those the ones kept for the operator.
pub const DEFAULT_BUDGET: u32 = 30;
pub const DEFAULT_RESERVE: u32 = 10;
/// What the server allows a key in a minute (CONTRACT §3); a larger budget is allowed, with a
/// warning, as some plans may have no limit.
pub const SERVER_RATE_LIMIT: u32 = 60;
/// How long `api_key_command` may take, unless `api_key_command_timeout` says otherwise.
pub const KEY_COMMAND_LIMIT: Duration = Duration::from_secs(5);
/// The most `api_key_command_timeout` may be: a passphrase typed, not a process left hanging.
pub const KEY_COMMAND_MAX_SECS: u64 = 120;

/// The config file as written.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
    /// The built-in alert rules (DESIGN §14); on unless `false`.
    builtin_alerts: Option<bool>,
    #[serde(default)]
    alerts: Vec<toml::Spanned<alerts::RawRule>>,
    /// `[keys]`: an action's name and its keys (DESIGN §17).
    #[serde(default)]
    keys: BTreeMap<String, toml::Value>,
    /// The colours (DESIGN §17), unless the profile has its own.
    theme: Option<toml::Spanned<theme::RawTheme>>,
    /// The table's columns, unless the profile has its own.
    columns: Option<toml::Spanned<Vec<String>>>,
}

/// One `[profiles.NAME]` table. No `Debug`: it may hold a key.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    base_url: Option<String>,
    api_key_command: Option<String>,
    api_key_command_timeout: Option<u64>,
    api_key: Option<String>,
    budget: Option<u32>,
    reserve: Option<u32>,
    page_size: Option<u32>,
    timeout_secs: Option<u64>,
    read_only: Option<bool>,
    production: Option<bool>,
    trust_ids: Option<bool>,
    history: Option<PathBuf>,
    theme: Option<toml::Spanned<theme::RawTheme>>,
    columns: Option<toml::Spanned<Vec<String>>>,
}

/// Where the API key will come from. Resolving it may run a command, so it is done only when a
/// key is needed (not for `--demo`).
#[derive(Clone, Debug)]
pub enum KeySource {
    None,
    /// `--api-key` or `FLOWDASH_API_KEY`.
    Given(ApiKey),
    /// A profile's `api_key_command`, and how long it may take.
    Command {
        profile: String,
        command: String,
        limit: Duration,
    },
    /// A profile's `api_key`.
    File(ApiKey),
}

/// Everything resolved, ready to connect.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The config file that was read, if there was one.
    pub config_file: Option<PathBuf>,
    pub profile: Option<String>,
    pub base_url: String,
    pub key: KeySource,
    pub read_only: bool,
    pub production: bool,
    pub trust_ids: bool,
    pub budget: BudgetConfig,
    pub page_size: u32,
    pub timeout: Duration,
    /// The history file (DESIGN §13): `--history`, the profile's `history`, or the default;
    /// `None` with `--no-history` or when no data directory can be found.
    pub history: Option<PathBuf>,
    /// The alert rules in force: the built-in ones (unless `builtin_alerts = false`) and the
    /// config's `[[alerts]]`.
    pub alerts: Vec<crate::domain::alerts::Rule>,
    /// The keys of the flow list: the defaults with `[keys]` over them.
    pub keys: Keymap,
    /// What is wrong in `[keys]` (an unknown action or key, two actions on one key): the
    /// dashboard shows it at start and `flowdash config check` fails on it.
    pub key_problems: Vec<String>,
    /// The colours of the config (`theme`, `[theme]`); `--color` and `NO_COLOR` may still turn
    /// colour off.
    pub theme: crate::ui::theme::Theme,
    /// The table's columns (`columns`); `None`: as many as the terminal's width allows.
    pub columns: Option<Vec<crate::app::columns::Column>>,
    /// For stderr, printed by the caller (a loose file mode, ...).
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// No config path could be found (no home directory).
    NoPath,
    Read {
        path: PathBuf,
        detail: String,
    },
    /// The file is not valid TOML or has keys or values flowdash does not know.
    Syntax {
        path: PathBuf,
        line: Option<usize>,
        detail: String,
    },
    NoProfile {
        name: String,
        path: Option<PathBuf>,
        known: Vec<String>,
    },
    /// A value that is out of range, naming where it came from.
    Invalid(String),
    KeyCommand {
        profile: String,
        detail: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The parser quotes values of the file, and a key command's stderr is its own words.
        f.write_str(&redact(&Unredacted(self).to_string()))
    }
}

/// The message before redaction.
struct Unredacted<'a>(&'a ConfigError);

impl fmt::Display for Unredacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ConfigError::NoPath => write!(
                f,
                "cannot tell where the config file is (no home directory): pass --config PATH"
            ),
            ConfigError::Read { path, detail } => {
                write!(f, "cannot read config file {}: {detail}", path.display())
            }
            ConfigError::Syntax { path, line, detail } => {
                write!(f, "config file {}", path.display())?;
                if let Some(line) = line {
                    write!(f, ", line {line}")?;
                }
                write!(f, ": {detail}")
            }
            ConfigError::NoProfile { name, path, known } => {
                write!(f, "no profile `{name}`")?;
                match path {
                    Some(p) => write!(f, " in {}", p.display())?,
                    None => write!(f, ": there is no config file")?,
                }
                if !known.is_empty() {
                    write!(f, " (profiles: {})", known.join(", "))?;
                }
                Ok(())
            }
            ConfigError::Invalid(detail) => f.write_str(detail),
            ConfigError::KeyCommand { profile, detail } => {
                write!(f, "api_key_command of profile `{profile}` {detail}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// An absolute directory from an XDG variable; relative values are ignored, as the spec says.
fn xdg_dir(var: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os(var)?);
    dir.is_absolute().then_some(dir)
}

/// `$XDG_CONFIG_HOME/flowdash/config.toml`, or the platform's config directory.
pub fn default_config_path() -> Option<PathBuf> {
    let dir = xdg_dir("XDG_CONFIG_HOME")
        .or_else(|| directories::BaseDirs::new().map(|d| d.config_dir().to_path_buf()))?;
    Some(dir.join("flowdash").join("config.toml"))
}

/// `$XDG_STATE_HOME/flowdash`, or the platform's state (or local data) directory.
fn state_dir() -> Option<PathBuf> {
    let dir = xdg_dir("XDG_STATE_HOME").or_else(|| {
        directories::BaseDirs::new().map(|d| {
            d.state_dir()
                .unwrap_or_else(|| d.data_local_dir())
                .to_path_buf()
        })
    })?;
    Some(dir.join("flowdash"))
}

/// `$XDG_STATE_HOME/flowdash/flowdash.log`, or the platform's state (or local data) directory.
pub fn log_path() -> Option<PathBuf> {
    Some(state_dir()?.join("flowdash.log"))
}

/// The file every flowdash process on this machine counts its requests in (DESIGN §14):
/// `$XDG_RUNTIME_DIR/flowdash/budget.sqlite3`, or the state directory.
pub fn budget_file_path() -> Option<PathBuf> {
    crate::budget::shared::default_path(state_dir().as_deref())
}

/// Where the drafts of open forms are kept: `$XDG_STATE_HOME/flowdash/drafts`.
pub fn drafts_dir() -> Option<PathBuf> {
    Some(state_dir()?.join("drafts"))
}

/// The config file `--config` / `FLOWDASH_CONFIG` names, or the default one.
pub fn config_path(global: &Global) -> Result<PathBuf, ConfigError> {
    match &global.config {
        Some(p) => Ok(p.clone()),
        None => default_config_path().ok_or(ConfigError::NoPath),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// Registers every `api_key` of the file as a secret, read loosely first: a file the typed read
/// refuses may quote one of its values in the error (`budget = "<the key>"`, pasted in the wrong
/// place), and that key must not show either.
fn register_file_keys(text: &str) {
    let Ok(table) = text.parse::<toml::Table>() else {
        return;
    };
    let profiles = table.get("profiles").and_then(toml::Value::as_table);
    for profile in profiles.into_iter().flat_map(toml::Table::values) {
        if let Some(key) = profile.get("api_key").and_then(toml::Value::as_str) {
            register_secret(key);
        }
    }
}

fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    register_file_keys(text);
    toml::from_str(text).map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        line: e.span().map(|s| line_of(text, s.start)),
        detail: clean::one_line(e.message().trim()),
    })
}

/// Reads the file; a missing file is an empty config unless it was named explicitly.
fn read_file(path: &Path, explicit: bool) -> Result<Option<(FileConfig, String)>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some((parse(path, &text)?, text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(None),
        Err(e) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }),
    }
}

/// A warning when the file holds a key and others than the owner may read it.
#[cfg(unix)]
fn mode_warning(path: &Path, file: &FileConfig) -> Option<String> {
    use std::os::unix::fs::PermissionsExt as _;
    if !file.profiles.values().any(|p| p.api_key.is_some()) {
        return None;
    }
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o044 != 0).then(|| {
        format!(
            "{} holds an API key and is readable by group or others (mode {:o}): run chmod 600 {}, or use api_key_command",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn mode_warning(_path: &Path, _file: &FileConfig) -> Option<String> {
    None
}

fn non_empty(s: Option<&String>) -> Option<&str> {
    s.map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// The key given as a flag or in the environment, else the profile's command or key.
fn key_source(
    global: &Global,
    profile: &Profile,
    name: Option<&str>,
) -> Result<KeySource, ConfigError> {
    if let Some(k) = non_empty(global.api_key.as_ref()) {
        return Ok(KeySource::Given(ApiKey::new(k)));
    }
    let name = name.unwrap_or_default();
    Ok(
        match (
            non_empty(profile.api_key_command.as_ref()),
            non_empty(profile.api_key.as_ref()),
        ) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid(format!(
                    "profile `{name}` sets both api_key and api_key_command: keep one"
                )));
            }
            (Some(command), None) => KeySource::Command {
                profile: name.to_owned(),
                command: command.to_owned(),
                limit: key_command_limit(profile.api_key_command_timeout, name)?,
            },
            (None, Some(k)) => KeySource::File(ApiKey::new(k)),
            (None, None) => KeySource::None,
        },
    )
}

/// `api_key_command_timeout`: 5 s unset, at least 1 s and at most 120 s.
fn key_command_limit(secs: Option<u64>, profile: &str) -> Result<Duration, ConfigError> {
    match secs {
        None => Ok(KEY_COMMAND_LIMIT),
        Some(s) if (1..=KEY_COMMAND_MAX_SECS).contains(&s) => Ok(Duration::from_secs(s)),
        Some(s) => Err(ConfigError::Invalid(format!(
            "`api_key_command_timeout` of profile `{profile}` is {s}: give 1 to {KEY_COMMAND_MAX_SECS} seconds"
        ))),
    }
}

/// Why a base URL cannot be used, for the checks that need to name the setting. Never quotes
/// the URL: it may hold a password.
fn url_problem(url: &str) -> Option<&'static str> {
    if url.trim().is_empty() {
        return Some("is empty: give the API's URL, or leave it unset for the default");
    }
    // A URL that does not parse is refused, with the parser's reason, when the client is made.
    let parsed = url::Url::parse(url.trim()).ok()?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Some(
            "holds a user name or password (user:password@): flowdash would send those as Basic credentials instead of the key; remove them",
        );
    }
    if parsed.query().is_some() {
        return Some("has a query string (?…): give the API's base URL without one");
    }
    if parsed.fragment().is_some() {
        return Some("has a fragment (#…): give the API's base URL without one");
    }
    None
}

/// The base URL from the flag or environment, else the profile, else production. A value that
/// is set but empty is an error: it must not quietly mean production.
fn base_url(
    global: &Global,
    profile: &Profile,
    source: &dyn Fn(&str) -> String,
) -> Result<String, ConfigError> {
    let (url, setting) = match (&global.base_url, &profile.base_url) {
        (Some(url), _) => (url, "--base-url / FLOWDASH_BASE_URL".to_owned()),
        (None, Some(url)) => (url, source("base_url")),
        (None, None) => return Ok(DEFAULT_BASE_URL.to_owned()),
    };
    match url_problem(url) {
        Some(problem) => Err(ConfigError::Invalid(format!("{setting} {problem}"))),
        None => Ok(url.trim().to_owned()),
    }
}

/// Resolves flags, environment, config file and defaults into [`Settings`]. Runs nothing.
/// The budget and its reserve, checked: at least one request, a reserve below the budget, and a
/// warning for a budget above what the server allows a key.
fn budget_and_reserve(
    global: &Global,
    profile: &Profile,
    source: &dyn Fn(&str) -> String,
    warnings: &mut Vec<String>,
) -> Result<(u32, u32), ConfigError> {
    let budget = global.budget.or(profile.budget).unwrap_or(DEFAULT_BUDGET);
    if budget == 0 {
        return Err(ConfigError::Invalid(format!(
            "{} must be at least 1 request a minute",
            if global.budget.is_some() {
                "--budget".to_owned()
            } else {
                source("budget")
            }
        )));
    }
    let reserve = match global.reserve.or(profile.reserve) {
        Some(r) if r >= budget => {
            return Err(ConfigError::Invalid(format!(
                "the reserve ({r}) must be less than the budget ({budget})"
            )));
        }
        Some(r) => r,
        // Not set anywhere: the default 10, but always leaving some for polling.
        None => DEFAULT_RESERVE.min(budget - 1),
    };
    if budget > SERVER_RATE_LIMIT {
        warnings.push(format!(
            "{} is {budget} requests a minute, above the {SERVER_RATE_LIMIT} the server allows a key: unless this key's plan has no limit, requests will be refused and the phones sharing the key held up",
            if global.budget.is_some() {
                "--budget / FLOWDASH_BUDGET".to_owned()
            } else {
                source("budget")
            }
        ));
    }

    Ok((budget, reserve))
}

pub fn load(global: &Global) -> Result<Settings, ConfigError> {
    // Before anything can fail: any message may quote a value the key was pasted into.
    if let Some(key) = &global.api_key {
        register_secret(key);
    }
    let path = config_path(global)?;
    let file = read_file(&path, global.config.is_some())?;
    let mut warnings = Vec::new();
    let (mut file, config_file, text) = match file {
        Some((f, text)) => {
            warnings.extend(mode_warning(&path, &f));
            (f, Some(path.clone()), text)
        }
        None => (FileConfig::default(), None, String::new()),
    };
    let alerts = alerts::rules(
        &path,
        &text,
        file.builtin_alerts.unwrap_or(true),
        std::mem::take(&mut file.alerts),
    )?;

    let (keys, key_problems) = keymap(&file.keys);

    let chosen = non_empty(global.profile.as_ref()).map(str::to_owned);
    let name = chosen.or_else(|| non_empty(file.default_profile.as_ref()).map(str::to_owned));
    let profile = match &name {
        None => Profile::default(),
        Some(n) => file
            .profiles
            .get(n)
            .cloned()
            .ok_or_else(|| ConfigError::NoProfile {
                name: n.clone(),
                path: config_file.clone(),
                known: file.profiles.keys().cloned().collect(),
            })?,
    };
    let source = |key: &str| match &name {
        Some(n) => format!("`{key}` of profile `{n}`"),
        None => format!("--{key}"),
    };

    let theme = theme::theme(&path, &text, profile.theme.as_ref().or(file.theme.as_ref()))?;
    let columns = theme::columns(
        &path,
        &text,
        profile.columns.as_ref().or(file.columns.as_ref()),
    )?;
    let key = key_source(global, &profile, name.as_deref())?;
    let (budget, reserve) = budget_and_reserve(global, &profile, &source, &mut warnings)?;
    let page_size = profile.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !PAGE_SIZES.contains(&page_size) {
        return Err(ConfigError::Invalid(format!(
            "{} is {page_size}: use one of 10, 25, 50, 100, 250, 500, 1000",
            source("page_size")
        )));
    }
    let timeout = global
        .timeout
        .or(profile.timeout_secs)
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    if timeout == 0 {
        return Err(ConfigError::Invalid(format!(
            "{} must be at least 1 second",
            source("timeout_secs")
        )));
    }

    Ok(Settings {
        config_file,
        base_url: base_url(global, &profile, &source)?,
        profile: name,
        key,
        read_only: global.read_only || profile.read_only.unwrap_or(false),
        production: profile.production.unwrap_or(false),
        trust_ids: profile.trust_ids.unwrap_or(false),
        budget: BudgetConfig { budget, reserve },
        page_size,
        timeout: Duration::from_secs(timeout),
        history: if global.no_history {
            None
        } else {
            global
                .history
                .clone()
                .or(profile.history)
                .or_else(crate::store::default_path)
        },
        alerts,
        keys,
        key_problems,
        theme,
        columns,
        warnings,
    })
}

/// The names of the config file's profiles, in order (none without a file or one that reads).
pub fn profile_names(global: &Global) -> Vec<String> {
    let Ok(path) = config_path(global) else {
        return Vec::new();
    };
    match read_file(&path, global.config.is_some()) {
        Ok(Some((file, _))) => file.profiles.into_keys().collect(),
        _ => Vec::new(),
    }
}

/// The keymap of `[keys]`, and its problems: a value that is neither a key nor a list of keys
/// among them.
fn keymap(table: &BTreeMap<String, toml::Value>) -> (Keymap, Vec<String>) {
    let mut problems = Vec::new();
    let mut overrides = Vec::new();
    for (action, value) in table {
        let keys = match value {
            toml::Value::String(k) => Some(vec![k.clone()]),
            toml::Value::Array(list) => list
                .iter()
                .map(|k| k.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>(),
            _ => None,
        };
        match keys {
            Some(keys) => overrides.push((action.clone(), keys)),
            None => problems.push(format!(
                "[keys] {}: give a key (\"t\") or a list of keys ([\"space\", \"t\"])",
                clean::one_line(action)
            )),
        }
    }
    let (map, more) = Keymap::with_overrides(&overrides);
    problems.extend(more);
    (map, problems)
}

impl Settings {
    /// The key, running `api_key_command` if that is where it comes from.
    pub async fn api_key(&self) -> Result<Option<ApiKey>, ConfigError> {
        self.key_from(false).await
    }

    /// Whether the key comes from a command (which may ask for a passphrase).
    pub fn key_runs_a_command(&self) -> bool {
        matches!(self.key, KeySource::Command { .. })
    }

    /// The key, with `api_key_command` on the terminal: its stdin and stderr are the
    /// terminal's, so that it can ask for a passphrase (the caller has given the terminal up).
    pub async fn api_key_on_terminal(&self) -> Result<Option<ApiKey>, ConfigError> {
        self.key_from(true).await
    }

    async fn key_from(&self, terminal: bool) -> Result<Option<ApiKey>, ConfigError> {
        match &self.key {
            KeySource::None => Ok(None),
            KeySource::Given(k) | KeySource::File(k) => Ok(Some(k.clone())),
            KeySource::Command {
                profile,
                command,
                limit,
            } => run_key_command_in(command, *limit, terminal)
                .await
                .map(Some)
                .map_err(|detail| ConfigError::KeyCommand {
                    profile: profile.clone(),
                    detail,
                }),
        }
    }
}

/// The most `api_key_command` may print on stdout: a key is a line, and a command that prints
/// more than this (`yes`) is not printing a key.
pub const KEY_OUTPUT_LIMIT: usize = 64 * 1024;
/// How much of its stderr is kept for the error; the rest is read and dropped.
const KEY_STDERR_KEPT: usize = 4096;

/// A short, cleaned excerpt of a command's stderr. Its stdout is never shown: it is the key, and
/// it is redacted from the stderr too, before the excerpt is cut.
fn stderr_excerpt(stderr: &[u8], stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = match first_line(stdout) {
        Some(key) if !key.is_empty() => text.replace(key.as_str(), REDACTED),
        _ => text.into_owned(),
    };
    let text = clean::one_line(&redact(&text));
    let squeezed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = squeezed.chars().take(200).collect();
    if squeezed.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// The first non-empty line, trimmed (what `pass show` prints first is the secret; later lines
/// are notes).
fn first_line(stdout: &[u8]) -> Option<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

/// Reads all of `from`, failing once it holds more than `limit` bytes.
async fn read_capped(
    from: Option<impl tokio::io::AsyncRead + Unpin>,
    limit: usize,
) -> Result<Vec<u8>, String> {
    use tokio::io::AsyncReadExt as _;
    let mut out = Vec::new();
    if let Some(from) = from {
        let cap = u64::try_from(limit).unwrap_or(u64::MAX) + 1;
        from.take(cap)
            .read_to_end(&mut out)
            .await
            .map_err(|e| format!("could not be read: {e}"))?;
    }
    if out.len() > limit {
        return Err(format!(
            "printed more than {} KB: that is not a key",
            limit / 1024
        ));
    }
    Ok(out)
}

/// Reads all of `from` and keeps the first `keep` bytes.
async fn read_kept(from: Option<impl tokio::io::AsyncRead + Unpin>, keep: usize) -> Vec<u8> {
    use tokio::io::AsyncReadExt as _;
    let mut out = Vec::new();
    let Some(mut from) = from else {
        return out;
    };
    let mut buf = [0u8; 4096];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = keep.saturating_sub(out.len()).min(n);
        out.extend_from_slice(&buf[..room]);
    }
    out
}

/// Kills every process of the group `pgid` (the command and whatever it started), with the
/// shell's `kill`: sending a signal to a group needs no `unsafe` that way.
pub(crate) fn kill_group(pgid: Option<u32>) {
    let Some(pgid) = pgid else {
        return;
    };
    let killed = std::process::Command::new("sh")
        .arg("-c")
        .arg("kill -s KILL -- \"-$1\" 2>/dev/null")
        .arg("flowdash")
        .arg(pgid.to_string())
        .stdin(std::process::Stdio::null())
        .status();
    if let Err(e) = killed {
        tracing::warn!(error = %e, "could not stop api_key_command");
    }
}

/// Runs `command` with `sh -c` and takes the first non-empty line of its output, trimmed. The
/// error says what went wrong without the output. The command runs in a process group of its
/// own, so that at the time limit, or when it prints too much, everything it started is killed,
/// not only the shell. Being outside the terminal's foreground group, a command that reads the
/// terminal itself is stopped there and killed at the limit; agents (gpg-agent's pinentry) that
/// ask for a passphrase run in their own session and are not affected.
pub async fn run_key_command(command: &str, limit: Duration) -> Result<ApiKey, String> {
    run_key_command_in(command, limit, false).await
}

/// [`run_key_command`], or with `terminal` in the terminal's foreground (its stdin and stderr
/// the terminal's, to ask for a passphrase; at the limit the shell is killed).
async fn run_key_command_in(
    command: &str,
    limit: Duration,
    terminal: bool,
) -> Result<ApiKey, String> {
    use std::process::Stdio;
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    if terminal {
        cmd.stdin(Stdio::inherit()).stderr(Stdio::inherit());
    } else {
        cmd.stdin(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not be started: {e}"))?;
    // The shell leads the group, so its pid is the group's id. It is not reaped before the
    // group is killed (the child is dropped after), so the id cannot have been reused.
    let pgid = child.id().filter(|_| !terminal);
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let run = async {
        let (out, err) = tokio::try_join!(read_capped(stdout, KEY_OUTPUT_LIMIT), async {
            Ok(read_kept(stderr, KEY_STDERR_KEPT).await)
        })?;
        let status = child.wait().await.map_err(|e| format!("failed: {e}"))?;
        Ok::<_, String>((status, out, err))
    };
    let (status, out, err) = match tokio::time::timeout(limit, run).await {
        Err(_) => {
            kill_group(pgid);
            return Err(format!("did not finish within {} s", limit.as_secs_f64()));
        }
        Ok(Err(e)) => {
            kill_group(pgid);
            return Err(e);
        }
        Ok(Ok(done)) => done,
    };
    if !status.success() {
        let status = status.code().map_or_else(
            || "killed by a signal".to_owned(),
            |c| format!("exit status {c}"),
        );
        let stderr = stderr_excerpt(&err, &out);
        return Err(if stderr.is_empty() {
            format!("failed ({status})")
        } else {
            format!("failed ({status}): {stderr}")
        });
    }
    match first_line(&out) {
        Some(key) => Ok(ApiKey::new(key)),
        None => Err("printed no key".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_the_line() {
        let text = "default_profile = \"a\"\n\n[profiles.a]\nbudget = = 3\n";
        let e = parse(Path::new("/x/config.toml"), text).err().unwrap();
        let msg = e.to_string();
        assert!(
            msg.starts_with("config file /x/config.toml, line 4: "),
            "{msg}"
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let text = "[profiles.a]\nbase_url = \"https://h/api\"\nbudgte = 3\n";
        let msg = parse(Path::new("c.toml"), text).err().unwrap().to_string();
        assert!(msg.contains("line 3") && msg.contains("budgte"), "{msg}");
    }

    #[test]
    fn the_example_config_is_valid() {
        let text = include_str!("../assets/config.example.toml");
        let file = parse(Path::new("config.example.toml"), text).unwrap();
        assert_eq!(file.default_profile.as_deref(), Some("prod"));
        assert_eq!(file.profiles.len(), 2);
    }

    /// The fields the parser knows where `probe` sits, from its refusal of an unknown one.
    fn fields_known(probe: &str) -> Vec<String> {
        let msg = parse(Path::new("c.toml"), probe).err().unwrap().to_string();
        let list = msg
            .split("expected one of ")
            .nth(1)
            .unwrap_or_else(|| panic!("{msg}"));
        let mut fields: Vec<String> = list
            .split(", ")
            .map(|f| f.trim().trim_matches('`').to_owned())
            .collect();
        fields.sort();
        fields
    }

    fn table_names(scope: settings::Scope) -> Vec<String> {
        let mut names: Vec<String> = settings::settings()
            .into_iter()
            .filter(|s| s.scope == scope)
            .map(|s| s.name.to_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_table_of_settings_is_every_field_the_parser_knows() {
        use settings::Scope;
        let mut top = table_names(Scope::Top);
        top.extend(["alerts", "keys", "profiles"].map(str::to_owned));
        top.sort();
        assert_eq!(fields_known("zzz = 1\n"), top);
        assert_eq!(
            fields_known("[profiles.a]\nzzz = 1\n"),
            table_names(Scope::Profile)
        );
        assert_eq!(
            fields_known("[[alerts]]\nrule = \"silent\"\nzzz = 1\n"),
            table_names(Scope::Alert)
        );
    }

    #[test]
    fn config_init_writes_every_setting_and_every_action_and_reads_back_as_the_defaults() {
        let text = settings::template();
        let file = parse(Path::new("init.toml"), &text).unwrap();
        for s in settings::settings() {
            let line = format!("\n{} = ", s.name);
            let commented = format!("\n# {} = ", s.name);
            assert!(
                text.contains(&line) || text.contains(&commented),
                "{} is missing",
                s.name
            );
        }
        for b in crate::app::keymap::BINDINGS {
            assert!(
                file.keys.contains_key(b.name),
                "[keys] {} is missing",
                b.name
            );
        }
        let (keys, problems) = keymap(&file.keys);
        assert_eq!(problems, Vec::<String>::new());
        let space = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(' '));
        assert_eq!(keys.action(&space), Some(crate::app::Action::Toggle));
        // The values in force are the built-in defaults.
        let p = &file.profiles["default"];
        assert_eq!(p.budget, Some(DEFAULT_BUDGET));
        assert_eq!(p.reserve, Some(DEFAULT_RESERVE));
        assert_eq!(p.page_size, Some(DEFAULT_PAGE_SIZE));
        assert_eq!(p.timeout_secs, Some(DEFAULT_TIMEOUT_SECS));
        assert_eq!(p.base_url.as_deref(), Some(DEFAULT_BASE_URL));
        // The examples commented out are values the parser takes, once uncommented (but the
        // key: one of api_key and api_key_command).
        let open: String = text
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") && !rest.starts_with("api_key =") => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let file = parse(Path::new("open.toml"), &open).unwrap();
        assert!(file.profiles["default"].api_key_command.is_some());
    }

    /// The limit of `api_key_command` in a profile whose table is `table`.
    fn limit_of(table: &str) -> Result<Duration, String> {
        let text = format!("[profiles.a]\napi_key_command = \"echo k\"\n{table}");
        let file = parse(Path::new("c.toml"), &text).unwrap();
        match key_source(&Global::default(), &file.profiles["a"], Some("a")) {
            Ok(KeySource::Command { limit, .. }) => Ok(limit),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn api_key_command_timeout_is_five_seconds_unset_and_at_most_two_minutes() {
        assert_eq!(limit_of(""), Ok(Duration::from_secs(5)));
        assert_eq!(
            limit_of("api_key_command_timeout = 60\n"),
            Ok(Duration::from_secs(60))
        );
        assert_eq!(
            limit_of("api_key_command_timeout = 120\n"),
            Ok(Duration::from_secs(120))
        );
        assert_eq!(
            limit_of("api_key_command_timeout = 121\n"),
            Err(
                "`api_key_command_timeout` of profile `a` is 121: give 1 to 120 seconds".to_owned()
            )
        );
        assert!(limit_of("api_key_command_timeout = 0\n").is_err());
    }

    #[tokio::test]
    async fn key_command_output_and_failures() {
        let key = run_key_command("printf '  s3cret \\nnotes\\n'", KEY_COMMAND_LIMIT).await;
        assert_eq!(format!("{:?}", key.unwrap()), "ApiKey(<hidden>)");
        let e = run_key_command("echo leaked; echo nope >&2; exit 3", KEY_COMMAND_LIMIT)
            .await
            .unwrap_err();
        assert_eq!(e, "failed (exit status 3): nope");
        let e = run_key_command("true", KEY_COMMAND_LIMIT)
            .await
            .unwrap_err();
        assert_eq!(e, "printed no key");
        let e = run_key_command("sleep 5", Duration::from_millis(100))
            .await
            .unwrap_err();
        assert_eq!(e, "did not finish within 0.1 s");
    }

    /// The state and process group of a live process; `None` when it is gone or a zombie (dead,
    /// only not yet waited for).
    fn live_group(pid: &str) -> Option<String> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let mut fields = stat.rsplit(')').next()?.split_whitespace();
        let state = fields.next()?;
        let group = fields.nth(1)?;
        (state != "Z").then(|| group.to_owned())
    }

    /// Every live process of group `pgid`.
    fn group_members(pgid: &str) -> Vec<String> {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
            .filter(|pid| live_group(pid).as_deref() == Some(pgid))
            .collect()
    }

    #[tokio::test]
    async fn a_time_out_kills_everything_the_command_started() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pids");
        let command = format!(
            "sleep 30 & echo $! > {f}; echo $$ >> {f}; sleep 30",
            f = file.display()
        );
        let e = run_key_command(&command, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert_eq!(e, "did not finish within 0.3 s");
        let text = std::fs::read_to_string(&file).unwrap();
        let pids: Vec<&str> = text.split_whitespace().collect();
        let [background, shell] = pids[..] else {
            panic!("two pids: {text}")
        };
        // The shell leads a group of its own, which held both sleeps.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left: Vec<String> = [background, shell]
                .iter()
                .filter(|p| live_group(p).is_some())
                .map(|p| (*p).to_owned())
                .chain(group_members(shell))
                .collect();
            if left.is_empty() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still running after the time-out: {left:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn a_failed_command_shows_its_stderr_without_the_key_it_printed() {
        let e = run_key_command(
            "echo K-stdout-9f3e2a; echo 'rejected K-stdout-9f3e2a' >&2; exit 2",
            KEY_COMMAND_LIMIT,
        )
        .await
        .unwrap_err();
        assert_eq!(e, "failed (exit status 2): rejected <redacted>");
    }
}
