//! Every setting of the config file, as one table: `flowdash config init` writes the file from
//! it, and the tests hold it to the parser's own fields, so that neither can drift from the other.

use std::fmt::Write as _;

use crate::api::DEFAULT_PAGE_SIZE;
use crate::app::keymap::{BINDINGS, Key};

use super::{DEFAULT_BASE_URL, DEFAULT_BUDGET, DEFAULT_RESERVE, DEFAULT_TIMEOUT_SECS};

/// Where a setting is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// At the top of the file.
    Top,
    /// In a `[profiles.NAME]` table.
    Profile,
    /// In an `[[alerts]]` table.
    Alert,
}

/// One setting: where it goes, its name, its value by default as TOML (`None`: unset by
/// default, and `example` shows a value), and what it does.
#[derive(Clone, Debug)]
pub struct Setting {
    pub scope: Scope,
    pub name: &'static str,
    pub default: Option<String>,
    pub example: &'static str,
    pub doc: &'static str,
}

fn set(scope: Scope, name: &'static str, default: Option<String>, doc: &'static str) -> Setting {
    Setting {
        scope,
        name,
        default,
        example: "",
        doc,
    }
}

fn unset(scope: Scope, name: &'static str, example: &'static str, doc: &'static str) -> Setting {
    Setting {
        scope,
        name,
        default: None,
        example,
        doc,
    }
}

/// Every setting, in the order the file lists them (the `[keys]` table comes from the keymap).
#[rustfmt::skip]
pub fn settings() -> Vec<Setting> {
    use Scope::{Alert, Profile, Top};
    let on = |b: bool| Some(b.to_string());
    vec![
        set(Top, "default_profile", Some("\"default\"".to_owned()), "The profile used when neither --profile nor FLOWDASH_PROFILE names one (unset: no profile, the built-in defaults)."),
        set(Top, "builtin_alerts", on(true), "The built-in alert rules (a failing share, stuck pending, silent and switched-off flows); false turns them off."),
        unset(Top, "theme", "\"dark\"", "Colours: dark (the default), light, high-contrast or mono; or a [theme] table with `name` and single roles (header, selection, enabled, disabled, failed, delta, warning, production, ...) as colour names, 0-255 or #rrggbb. NO_COLOR or --color never draw none."),
        unset(Top, "columns", "[\"status\", \"id\", \"name\", \"sent\", \"pending\", \"failed\", \"failed%\"]", "The table's columns, in order, from: status id name wait sent pending failed failed% rate today last device segment (status and id are always shown; unset: as many as the terminal's width allows)."),
        set(Profile, "base_url", Some(format!("\"{DEFAULT_BASE_URL}\"")), "The API's base URL."),
        unset(Profile, "api_key_command", "\"pass show sms/prod\"", "Run with `sh -c` (api_key_command_timeout limits it); the first line it prints is the key. Its output is never shown."),
        set(Profile, "api_key_command_timeout", Some(super::KEY_COMMAND_LIMIT.as_secs().to_string()), "Seconds api_key_command may take, at most 120; in the dashboard's profile switch (P) it has the terminal, to ask for a passphrase."),
        unset(Profile, "api_key", "\"...\"", "The key itself: allowed, but flowdash warns while the file is readable by group or others. Keep one of api_key and api_key_command."),
        set(Profile, "budget", Some(DEFAULT_BUDGET.to_string()), "Requests a minute for flowdash (the API allows 60 a key, shared with the phones)."),
        set(Profile, "reserve", Some(DEFAULT_RESERVE.to_string()), "Of those, kept for what you do (writes, refresh, paging); less than the budget."),
        set(Profile, "page_size", Some(DEFAULT_PAGE_SIZE.to_string()), "Flows a page: 10, 25, 50, 100, 250, 500 or 1000."),
        set(Profile, "timeout_secs", Some(DEFAULT_TIMEOUT_SECS.to_string()), "Seconds a request may take, whole."),
        set(Profile, "read_only", on(false), "true: refuse every write."),
        set(Profile, "production", on(false), "true: the header says so, and deletes ask for the flow's name (--confirm NAME on the command line)."),
        set(Profile, "trust_ids", on(false), "Only for a server known to name flows correctly (DESIGN §8)."),
        unset(Profile, "history", "\"/path/to/history.sqlite3\"", "The history file (default: in the state directory; --history and --no-history win)."),
        unset(Profile, "theme", "\"light\"", "This profile's colours, over the top-level theme."),
        unset(Profile, "columns", "[\"status\", \"id\", \"name\", \"sent\", \"failed\"]", "This profile's columns, over the top-level list."),
        unset(Alert, "name", "\"failing\"", "Unique; a rule named like a built-in one replaces it."),
        unset(Alert, "rule", "\"failed_share\"", "failed_share | pending_stuck | silent | switched_off"),
        unset(Alert, "above", "\"5%\"", "failed_share only (\"5%\" or 0.05)."),
        unset(Alert, "for", "\"15m\"", "The window (failed_share) or how long (pending_stuck, silent): 90s, 15m, 1h, 2d."),
        unset(Alert, "min_messages", "20", "failed_share only."),
        unset(Alert, "match", "\"Welcome\"", "Flows whose name contains this (any case); or flows; neither: every flow."),
        unset(Alert, "flows", "[12, 14]", "Flows by id."),
        unset(Alert, "notify", "[\"bell\", \"desktop\", \"command\"]", "How the alert is told, beyond the status line and `!` (none by default)."),
        unset(Alert, "command", "'notify-send flowdash \"$FLOWDASH_ALERT_TEXT\"'", "Run with `sh -c` (5 s limit) when notify has \"command\"."),
    ]
}

/// `# ` before each line of `text`, wrapped at about 96 columns.
fn comment(text: &str, out: &mut String) {
    let mut line = String::from("#");
    for word in text.split(' ') {
        if line.len() + 1 + word.len() > 96 && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

fn write_scope(scope: Scope, out: &mut String) {
    for s in settings().into_iter().filter(|s| s.scope == scope) {
        comment(s.doc, out);
        let _ = match &s.default {
            Some(v) => write!(out, "{} = {v}\n\n", s.name),
            None => write!(out, "# {} = {}\n\n", s.name, s.example),
        };
    }
}

/// The whole file `flowdash config init` writes: every setting, with its default in force and
/// the others commented out with an example.
pub fn template() -> String {
    let mut out = String::new();
    comment(
        "flowdash configuration, with every setting and its default. A line starting with # is not read.",
        &mut out,
    );
    comment(
        "Precedence: a flag, then the environment (FLOWDASH_BASE_URL, FLOWDASH_API_KEY, FLOWDASH_PROFILE, FLOWDASH_BUDGET), then the chosen profile (--profile / FLOWDASH_PROFILE, or default_profile), then the built-in defaults. Profiles are not mixed: a value missing from the chosen profile takes the built-in default, never another profile's value. `flowdash config check` reads the file and names every problem.",
        &mut out,
    );
    out.push('\n');
    write_scope(Scope::Top, &mut out);
    comment(
        "One table a profile; copy it for another account ([profiles.staging], ...).",
        &mut out,
    );
    out.push_str("[profiles.default]\n");
    write_scope(Scope::Profile, &mut out);
    comment(
        "The keys of the flow list, by action: a key or a list of keys. A key is one character (t, G, /), ctrl-X, or one of space enter esc tab backspace delete insert home end pgup pgdn up down left right f1-f12. The keys of the views, the form and the dialogs are fixed.",
        &mut out,
    );
    out.push_str("[keys]\n");
    for b in BINDINGS {
        let keys: Vec<String> = b
            .keys
            .iter()
            .map(|k| format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        debug_assert!(b.keys.iter().all(|k| Key::parse(k).is_some()));
        let _ = writeln!(out, "{} = [{}]  # {}", b.name, keys.join(", "), b.help);
    }
    out.push('\n');
    comment(
        "Alert rules of your own (DESIGN §14), as many [[alerts]] tables as you like:",
        &mut out,
    );
    out.push_str("# [[alerts]]\n");
    write_scope(Scope::Alert, &mut out);
    out
}
