//! The request ledger (DESIGN §16): the last [`LEDGER_CALLS`] API calls of this process, as the
//! one function every request goes through records them. Clones of the client share it. A call
//! keeps the method, the path with the API's own query fields, the form's field names and values
//! (never the key: it travels in a header, and a field named like it is dropped), the status,
//! the time it took, its lane, the bytes of the answer and the budget left after it.
//!
//! The same line serves the `L` view and `--verbose` on stderr; [`curl`] writes a call as a
//! command to run again, the key as `"$FLOWDASH_API_KEY"`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::error::redact;
use crate::budget::Priority;

/// Calls the ledger keeps: the oldest goes when one more comes.
pub const LEDGER_CALLS: usize = 500;

/// Form or query fields that never enter the ledger: the key's names.
const SECRET_FIELDS: [&str; 4] = ["key", "api_key", "apikey", "token"];

/// Whose request a call was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Something the operator asked for.
    Operator,
    /// The dashboard's live updates.
    Live,
    /// A run over many flows, paced under the budget.
    Bulk,
    /// `flowdash watch`.
    Watch,
}

impl Lane {
    /// The lane of a request in `priority`, when the client names none.
    pub fn of(priority: Priority) -> Lane {
        match priority {
            Priority::Operator => Lane::Operator,
            Priority::Poll => Lane::Live,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Lane::Operator => "operator",
            Lane::Live => "live",
            Lane::Bulk => "bulk",
            Lane::Watch => "watch",
        }
    }
}

/// One API call as the ledger keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub at: Timestamp,
    pub method: String,
    /// The whole URL asked for (base, path and query; the base URL never holds credentials).
    pub url: String,
    /// The URL's path and query, as the line shows it.
    pub path: String,
    /// The form's fields in the order sent, the key's names left out.
    pub form: Vec<(String, String)>,
    /// The answer's status; `None` when no answer came.
    pub status: Option<u16>,
    pub took: Duration,
    pub lane: Lane,
    /// Bytes of the answer's body.
    pub bytes: usize,
    /// The budget left after the call, and the share (`28`, `30`).
    pub budget: (u32, u32),
}

/// `1.2 kB`, `830 B`
fn size(bytes: usize) -> String {
    if bytes < 1000 {
        format!("{bytes} B")
    } else {
        #[expect(clippy::cast_precision_loss, reason = "a size to read, not to count")]
        let kb = bytes as f64 / 1000.0;
        format!("{kb:.1} kB")
    }
}

impl Call {
    /// `14:03:07  GET    /api/flows?page=1  200  12 ms  live      3.4 kB  budget 28/30`
    pub fn line(&self, tz: &TimeZone) -> String {
        let time = self.at.to_zoned(tz.clone()).strftime("%H:%M:%S");
        let status = self
            .status
            .map_or_else(|| "---".to_owned(), |s| s.to_string());
        let line = format!(
            "{time}  {:<6} {}  {status}  {} ms  {:<8}  {}  budget {}/{}",
            self.method,
            self.path,
            self.took.as_millis(),
            self.lane.word(),
            size(self.bytes),
            self.budget.0,
            self.budget.1,
        );
        crate::domain::clean::one_line(&redact(&line))
    }
}

/// `s` quoted for a POSIX shell: inside single quotes nothing is special (`$`, backticks, `\`,
/// newlines); a single quote itself is closed, escaped and reopened.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The call as a `curl` command: the key as `"$FLOWDASH_API_KEY"`, every other word quoted.
pub fn curl(call: &Call) -> String {
    let mut cmd = String::from("curl");
    // A form is posted without being told; any other method is named.
    let implied = if call.form.is_empty() { "GET" } else { "POST" };
    if call.method != implied {
        cmd.push_str(" -X ");
        cmd.push_str(&shell_quote(&call.method));
    }
    cmd.push(' ');
    cmd.push_str(&shell_quote(&redact(&call.url)));
    cmd.push_str(" -H \"Authorization: Bearer $FLOWDASH_API_KEY\"");
    for (name, value) in &call.form {
        cmd.push_str(" --data-urlencode ");
        cmd.push_str(&shell_quote(&redact(&format!("{name}={value}"))));
    }
    cmd
}

/// The fields of a query or form that the ledger keeps: the key's names dropped.
pub(super) fn fields(pairs: &[(&'static str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|(name, _)| !SECRET_FIELDS.contains(&name.to_ascii_lowercase().as_str()))
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect()
}

/// The last calls of this process; clones share them.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    calls: Arc<Mutex<VecDeque<Call>>>,
    /// Every call's line goes to stderr as well (`--verbose`, CLI commands only).
    verbose: Arc<AtomicBool>,
}

impl Ledger {
    /// Writes each call's line to stderr from now on (never while the dashboard draws).
    pub fn set_verbose(&self, on: bool) {
        self.verbose.store(on, Ordering::Relaxed);
    }

    pub(super) fn record(&self, call: Call) {
        if self.verbose.load(Ordering::Relaxed) {
            let line = call.line(&TimeZone::system());
            eprintln!("{line}");
        }
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        if calls.len() == LEDGER_CALLS {
            calls.pop_front();
        }
        calls.push_back(call);
    }

    /// The calls kept, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(form: Vec<(String, String)>) -> Call {
        Call {
            at: Timestamp::UNIX_EPOCH,
            method: "POST".to_owned(),
            url: "http://127.0.0.1:8787/api/flows/3".to_owned(),
            path: "/api/flows/3".to_owned(),
            form,
            status: Some(200),
            took: Duration::from_millis(12),
            lane: Lane::Operator,
            bytes: 3400,
            budget: (28, 30),
        }
    }

    /// What `sh` makes of a word: the test runs the quoted text through a real shell.
    fn sh_echo(word: &str) -> String {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s' {word}"))
            .env("HOME", "/nonexistent")
            .output()
            .expect("sh runs");
        String::from_utf8(out.stdout).expect("utf-8")
    }

    #[test]
    fn quoting_keeps_quotes_dollars_backticks_and_newlines_as_they_are() {
        for hostile in [
            "plain",
            "it's",
            "'",
            "''",
            "$HOME and ${HOME}",
            "`id` $(id)",
            "line one\nline two\n",
            "back\\slash \"double\" ; rm -rf / &",
            "",
        ] {
            let quoted = shell_quote(hostile);
            assert_eq!(sh_echo(&quoted), hostile, "{quoted}");
        }
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn curl_names_the_key_by_its_variable_and_quotes_every_field() {
        let c = call(vec![
            ("name".to_owned(), "Spring $ale `now`".to_owned()),
            ("content".to_owned(), "Hi 'you'\nbye".to_owned()),
        ]);
        assert_eq!(
            curl(&c),
            "curl 'http://127.0.0.1:8787/api/flows/3' \
             -H \"Authorization: Bearer $FLOWDASH_API_KEY\" \
             --data-urlencode 'name=Spring $ale `now`' \
             --data-urlencode 'content=Hi '\\''you'\\''\nbye'"
        );
        let get = Call {
            method: "GET".to_owned(),
            form: Vec::new(),
            ..c.clone()
        };
        assert_eq!(
            curl(&get),
            "curl 'http://127.0.0.1:8787/api/flows/3' -H \"Authorization: Bearer $FLOWDASH_API_KEY\""
        );
        let delete = Call {
            method: "DELETE".to_owned(),
            form: Vec::new(),
            ..c
        };
        assert!(curl(&delete).starts_with("curl -X 'DELETE' 'http://"));
    }

    #[test]
    fn fields_named_like_the_key_never_enter_the_ledger() {
        let kept = fields(&[
            ("name", "a".to_owned()),
            ("key", "secret".to_owned()),
            ("api_key", "secret".to_owned()),
        ]);
        assert_eq!(kept, vec![("name".to_owned(), "a".to_owned())]);
    }

    #[test]
    fn the_ring_keeps_the_last_500_and_clones_share_it() {
        let ledger = Ledger::default();
        let other = ledger.clone();
        for i in 0..(LEDGER_CALLS + 3) {
            other.record(Call {
                bytes: i,
                ..call(Vec::new())
            });
        }
        let calls = ledger.calls();
        assert_eq!(calls.len(), LEDGER_CALLS);
        assert_eq!(calls[0].bytes, 3);
        assert_eq!(calls[LEDGER_CALLS - 1].bytes, LEDGER_CALLS + 2);
    }

    #[test]
    fn a_line_says_what_was_asked_how_it_ended_and_what_is_left() {
        let line = call(Vec::new()).line(&TimeZone::UTC);
        assert_eq!(
            line,
            "00:00:00  POST   /api/flows/3  200  12 ms  operator  3.4 kB  budget 28/30"
        );
        let lost = Call {
            status: None,
            bytes: 0,
            lane: Lane::Live,
            ..call(Vec::new())
        };
        assert!(lost.line(&TimeZone::UTC).contains("  ---  "), "{lost:?}");
    }
}
