//! The log of writes (DESIGN §5, issue 11): one `info` line for every write that reached an
//! end the operator relies on — written, unchanged, landed late, stored otherwise, deleted,
//! created — with the flow, the fields sent (names and values; content cut to an excerpt) and
//! the result. The dashboard and the CLI both write through the client, so this is the one
//! place. The key is never a field of a write; the log writer redacts it all the same.

use super::verify::excerpt;
use super::{ApiError, WithJson, WriteOutcome};
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

/// The result of a write to an existing flow, in words, when it is one to log; failures that
/// changed nothing are the error's own business.
pub(super) fn outcome(result: Result<&WriteOutcome, &ApiError>) -> Option<String> {
    match result {
        Ok(WriteOutcome::Written(_)) => Some("written".to_owned()),
        Ok(WriteOutcome::Unchanged(_)) => {
            Some("unchanged: the server already had it, nothing sent".to_owned())
        }
        Ok(WriteOutcome::WrittenLate { answer, .. }) => {
            Some(format!("landed late ({answer}; a re-read shows it stored)"))
        }
        Ok(WriteOutcome::Deleted) => Some("deleted".to_owned()),
        Ok(WriteOutcome::DeletedLate { answer }) => {
            Some(format!("deleted late ({answer}; a re-read shows it gone)"))
        }
        Err(ApiError::StoredOtherwise { what, .. }) => Some(format!("stored otherwise: {what}")),
        Ok(WriteOutcome::Conflict(_)) | Err(_) => None,
    }
}

/// Logs a write to flow `id` when its result is one to log, and hands the result on.
pub(super) fn logged<T>(
    id: crate::domain::FlowId,
    form: &[(&'static str, String)],
    result: Result<T, ApiError>,
    outcome_of: impl Fn(&T) -> &WriteOutcome,
) -> Result<T, ApiError> {
    if let Some(words) = outcome(result.as_ref().map(outcome_of)) {
        log(&format!("flow {id}"), form, &words);
    }
    result
}

/// [`logged`] for a result that carries the server's JSON.
pub(super) fn logged_json(
    id: crate::domain::FlowId,
    form: &[(&'static str, String)],
    result: Result<WithJson<WriteOutcome>, ApiError>,
) -> Result<WithJson<WriteOutcome>, ApiError> {
    logged(id, form, result, |w| &w.value)
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
