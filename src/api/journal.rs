//! The log of writes (DESIGN §5, issue 11): one `info` line for every write that reached an
//! end the operator relies on — written, unchanged, landed late, stored otherwise, deleted,
//! created — with the flow, the fields sent (names and values; content cut to an excerpt) and
//! the result. The dashboard and the CLI both write through the client, so this is the one
//! place. The key is never a field of a write; the log writer redacts it all the same.
//!
//! Each entry also goes to the client's [`AuditSink`], when one is set: the history's audit
//! (DESIGN §15), which `flowdash audit` lists and the `switched_off` alert reads. A write that
//! was sent and failed is logged and audited too; a refusal before sending is not a write.

use jiff::Timestamp;

use super::error::redact;
use super::outcome::DeleteOutcome;
use super::verify::{Stored, excerpt};
use super::{ApiError, Client, WithJson};
use crate::domain::clean::{multi_line, one_line};
use crate::domain::{Flow, FlowId};

/// How much of a content goes into the log: enough to recognise it, not the whole message.
const CONTENT_EXCERPT: usize = 24;

/// `name="Spring promo" content="Hello {{NAME}}, spring i…" is_enabled=0`, or `nothing` for
/// an empty form.
pub fn fields<N: AsRef<str>>(form: &[(N, String)]) -> String {
    if form.is_empty() {
        return "nothing".to_owned();
    }
    let parts: Vec<String> = form
        .iter()
        .map(|(name, value)| match name.as_ref() {
            "content" => format!("content={}", excerpt(&multi_line(value), CONTENT_EXCERPT)),
            // Only text fields can hold spaces or controls; numbers and words go as they are.
            "name" => format!("name=\"{}\"", one_line(value)),
            name => format!("{name}={}", one_line(value)),
        })
        .collect();
    parts.join(" ")
}

/// One write as the audit keeps it (DESIGN §15): what the log line says, in parts. Texts are
/// cleaned and have the key redacted before they get here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteRecord {
    pub at: Timestamp,
    pub flow: FlowId,
    /// The flow was created by this write.
    pub created: bool,
    /// The account the flow belongs to, when the server said.
    pub user_id: Option<u64>,
    pub flow_name: Option<String>,
    /// The fields sent (asked for, when nothing was sent), with their values.
    pub fields: Vec<(String, String)>,
    /// How it ended, in the log's words: `written`, `unchanged: …`, `deleted`, `failed: …`.
    pub result: String,
}

/// Where the client hands every write it logs, besides the log: the history's audit for the
/// dashboard and the CLI. Called on the task that made the write; it must not wait.
pub trait AuditSink: Send + Sync {
    fn record(&self, write: WriteRecord);
}

/// The values of a form as the audit keeps them: cleaned, the content whole.
fn cleaned(form: &[(&'static str, String)]) -> Vec<(String, String)> {
    form.iter()
        .map(|(name, value)| {
            let value = if *name == "content" {
                multi_line(value)
            } else {
                one_line(value)
            };
            ((*name).to_owned(), redact(&value).into_owned())
        })
        .collect()
}

/// A write's end, in the words of the log.
pub(super) trait Logged {
    /// `None`: nothing to log (a conflict, which sent nothing).
    fn words(&self) -> Option<String>;
}

impl Logged for Stored {
    fn words(&self) -> Option<String> {
        Some(match &self.lost_answer {
            None => "written".to_owned(),
            Some(answer) => format!("landed late ({answer}; a re-read shows it stored)"),
        })
    }
}

impl Logged for DeleteOutcome {
    fn words(&self) -> Option<String> {
        match self {
            DeleteOutcome::Deleted => Some("deleted".to_owned()),
            DeleteOutcome::DeletedLate { answer } => {
                Some(format!("deleted late ({answer}; a re-read shows it gone)"))
            }
            DeleteOutcome::Conflict(_) => None,
        }
    }
}

impl<T: Logged> Logged for WithJson<T> {
    fn words(&self) -> Option<String> {
        self.value.words()
    }
}

/// A failed write in words, or `None` when flowdash refused it before sending anything.
fn failure_words(e: &ApiError) -> Option<String> {
    let text = one_line(&redact(&e.to_string()));
    match e {
        ApiError::Refusal(_) => None,
        ApiError::StoredOtherwise { what, .. } => Some(format!("stored otherwise: {what}")),
        ApiError::LandingUnknown { .. } => Some(format!("{UNKNOWN}: {text}")),
        _ => Some(format!("{FAILED}: {text}")),
    }
}

/// The first word of a failed write's result: the server did not store it.
pub const FAILED: &str = "failed";
/// The first word of a write whose fate is unknown: it may have been stored.
pub const UNKNOWN: &str = "unknown";
/// The first word of a write that needed no sending.
pub const UNCHANGED: &str = "unchanged";

impl Client {
    /// Logs one write to `flow` with what was sent and how it ended, and hands it to the
    /// audit: `write to flow 12: sent is_enabled=0; written`.
    pub(super) fn journal(
        &self,
        flow: &Flow,
        created: bool,
        form: &[(&'static str, String)],
        result: &str,
    ) {
        let new = if created { " (new)" } else { "" };
        tracing::info!(
            "write to flow {}{new}: sent {}; {result}",
            flow.id,
            fields(form)
        );
        if let Some(sink) = self.audit_sink() {
            sink.record(WriteRecord {
                at: Timestamp::now(),
                flow: flow.id,
                created,
                user_id: flow.user_id,
                flow_name: Some(flow.name.clone()),
                fields: cleaned(form),
                result: one_line(&redact(result)),
            });
        }
    }

    /// A create that failed (or whose lost answer left no flow to find): the audit names it by
    /// the name sent, with no id (`flow 0`). A refusal before sending is not a write.
    pub(super) fn create_failed(&self, name: &str, form: &[(&'static str, String)], e: &ApiError) {
        if let Some(words) = failure_words(e) {
            self.journal(&Flow::bare(0, name), true, form, &words);
        }
    }

    /// A write to `flow` that needed no sending: the server already had `form`.
    pub(super) fn unchanged(&self, flow: &Flow, form: &[(&'static str, String)]) {
        self.journal(
            flow,
            false,
            form,
            &format!("{UNCHANGED}: the server already had it, nothing sent"),
        );
    }

    /// Logs a write to `flow` when its result is one to log, and hands the result on. A
    /// refusal before sending and a conflict sent nothing and are not writes.
    pub(super) fn logged<T: Logged>(
        &self,
        flow: &Flow,
        form: &[(&'static str, String)],
        result: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let words = match &result {
            Ok(end) => end.words(),
            Err(e) => failure_words(e),
        };
        if let Some(words) = words {
            self.journal(flow, false, form, &words);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_cut_and_names_are_quoted() {
        let form = vec![
            ("name", "Spring\tpromo".to_owned()),
            (
                "content",
                "Hello {{NAME}}, spring is here at last\nsee you".to_owned(),
            ),
            ("is_enabled", "0".to_owned()),
        ];
        assert_eq!(
            fields(&form),
            "name=\"Spring promo\" content=\"Hello {{NAME}}, spring i…\" is_enabled=0"
        );
        assert_eq!(fields::<&str>(&[]), "nothing");
    }
}
