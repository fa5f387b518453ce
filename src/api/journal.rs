//! The log of writes (DESIGN §5, issue 11): one `info` line for every write that reached an
//! end the operator relies on — written, unchanged, landed late, stored otherwise, deleted,
//! created — with the flow, the fields sent (names and values; content cut to an excerpt) and
//! the result. The dashboard and the CLI both write through the client, so this is the one
//! place. The key is never a field of a write; the log writer redacts it all the same.

use super::outcome::DeleteOutcome;
use super::verify::{Stored, excerpt};
use super::{ApiError, WithJson};
use crate::domain::FlowId;
use crate::domain::clean::{multi_line, one_line};

/// How much of a content goes into the log: enough to recognise it, not the whole message.
const CONTENT_EXCERPT: usize = 24;

/// `name="Spring promo" content="Hello {{NAME}}, spring i…" is_enabled=0`, or `nothing` for
/// an empty form.
pub(super) fn fields(form: &[(&'static str, String)]) -> String {
    if form.is_empty() {
        return "nothing".to_owned();
    }
    let parts: Vec<String> = form
        .iter()
        .map(|(name, value)| match *name {
            "content" => format!("content={}", excerpt(&multi_line(value), CONTENT_EXCERPT)),
            // Only text fields can hold spaces or controls; numbers and words go as they are.
            "name" => format!("name=\"{}\"", one_line(value)),
            _ => format!("{name}={}", one_line(value)),
        })
        .collect();
    parts.join(" ")
}

/// Logs one write to `flow` (`flow 12`, `flow 41 (new)`) with what was sent and how it ended:
/// `write to flow 12: sent is_enabled=0; written`.
pub(super) fn log(flow: &str, form: &[(&'static str, String)], result: &str) {
    tracing::info!("write to {flow}: sent {}; {result}", fields(form));
}

/// A write to flow `id` that needed no sending: the server already had `form`.
pub(super) fn unchanged(id: FlowId, form: &[(&'static str, String)]) {
    log(
        &format!("flow {id}"),
        form,
        "unchanged: the server already had it, nothing sent",
    );
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

/// Logs a write to flow `id` when its result is one to log, and hands the result on. Failures
/// that changed nothing are the error's own business; a value stored otherwise is logged.
pub(super) fn logged<T: Logged>(
    id: FlowId,
    form: &[(&'static str, String)],
    result: Result<T, ApiError>,
) -> Result<T, ApiError> {
    let words = match &result {
        Ok(end) => end.words(),
        Err(ApiError::StoredOtherwise { what, .. }) => Some(format!("stored otherwise: {what}")),
        Err(_) => None,
    };
    if let Some(words) = words {
        log(&format!("flow {id}"), form, &words);
    }
    result
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
        assert_eq!(fields(&[]), "nothing");
    }
}
