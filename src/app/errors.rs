//! The status line's errors: kept until dismissed, each shown once, and the loads of one refresh
//! that fail for one reason shown as one message.

use super::State;
use crate::api::ApiError;

/// The reads a refresh makes, in the order a message names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Load {
    Flows,
    EveryPage,
    Devices,
    Segments,
}

impl Load {
    fn word(self) -> &'static str {
        match self {
            Load::Flows => "flows",
            Load::EveryPage => "every page",
            Load::Devices => "devices",
            Load::Segments => "segments",
        }
    }
}

/// The latest failed load and its message, so the next load failing alike joins it.
#[derive(Clone, Debug)]
pub struct LoadFailure {
    loads: Vec<Load>,
    error: ApiError,
    text: String,
}

pub(super) fn push_error(state: &mut State, text: String) {
    // A failing poll would repeat the same error every few seconds: show it once.
    if state.errors.contains(&text) {
        return;
    }
    tracing::warn!(%text, "shown to the operator");
    state.error_log.push_back((state.now, text.clone()));
    while state.error_log.len() > super::ERROR_LOG {
        state.error_log.pop_front();
    }
    state.errors.push_back(text);
    // Keep the list bounded; the oldest are the least likely to matter now.
    while state.errors.len() > 20 {
        state.errors.pop_front();
    }
}

/// Two failures with one cause: the same kind of failure, though the details may differ a little
/// (a 429 and flowdash's own pause after it count down a second apart; two truncated answers
/// break off at different places).
fn same_cause(a: &ApiError, b: &ApiError) -> bool {
    use ApiError::{
        Network, RateLimited, Redirect, Server, Timeout, Timeouts, TooLarge, Undecodable,
    };
    match (a, b) {
        (Server { status: x, .. }, Server { status: y, .. }) => x == y,
        (RateLimited { .. }, RateLimited { .. })
        | (Undecodable { .. }, Undecodable { .. })
        | (Network { .. }, Network { .. })
        | (Timeout { .. } | Timeouts { .. }, Timeout { .. } | Timeouts { .. })
        | (TooLarge { .. }, TooLarge { .. })
        | (Redirect { .. }, Redirect { .. }) => true,
        _ => a == b,
    }
}

fn message(loads: &[Load], error: &ApiError) -> String {
    let words: Vec<&str> = loads.iter().map(|l| l.word()).collect();
    let list = match words.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    format!("loading {list}: {error}")
}

/// A refresh reads the flows, the devices and the segments; when the server fails, it fails
/// them all alike, and three messages would bury the one that matters. A load that fails like
/// the latest one, while its message is still shown, is named in that message instead.
pub(super) fn push_load_error(state: &mut State, load: Load, error: ApiError) {
    if let Some(last) = &mut state.load_failure
        && same_cause(&last.error, &error)
        && let Some(shown) = state.errors.iter_mut().find(|t| **t == last.text)
    {
        if !last.loads.contains(&load) {
            last.loads.push(load);
            last.loads.sort_unstable();
            // The message names the first load's own details (the flows' above all).
            if last.loads[0] == load {
                last.error = error;
            }
            last.text = message(&last.loads, &last.error);
            tracing::warn!(text = %last.text, "shown to the operator");
            if let Some(logged) = state.error_log.iter_mut().rev().find(|(_, t)| *t == *shown) {
                logged.1.clone_from(&last.text);
            }
            shown.clone_from(&last.text);
        }
        return;
    }
    let text = message(&[load], &error);
    push_error(state, text.clone());
    state.load_failure = Some(LoadFailure {
        loads: vec![load],
        error,
        text,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html502() -> ApiError {
        ApiError::Server {
            status: 502,
            html: true,
            excerpt: String::new(),
        }
    }

    #[test]
    fn loads_failing_alike_share_one_message() {
        let mut state = State::default();
        push_load_error(&mut state, Load::Devices, html502());
        push_load_error(&mut state, Load::Flows, html502());
        push_load_error(&mut state, Load::Segments, html502());
        assert_eq!(
            Vec::from(state.errors.clone()),
            vec![
                "loading flows, devices and segments: server error 502: the server answered an HTML page"
            ]
        );
        // Again, from a poll: nothing new.
        push_load_error(&mut state, Load::Flows, html502());
        assert_eq!(state.errors.len(), 1);
    }

    #[test]
    fn other_causes_and_dismissed_messages_stand_alone() {
        let mut state = State::default();
        push_load_error(&mut state, Load::Flows, html502());
        let timeout = ApiError::Timeout { secs: 1 };
        push_load_error(&mut state, Load::Devices, timeout.clone());
        assert_eq!(state.errors.len(), 2);
        assert_eq!(
            state.errors[1],
            "loading devices: no answer within 1 s (timed out)"
        );
        state.errors.clear();
        push_load_error(&mut state, Load::Segments, timeout);
        assert_eq!(
            Vec::from(state.errors.clone()),
            vec!["loading segments: no answer within 1 s (timed out)"]
        );
    }

    #[test]
    fn details_of_one_cause_may_differ() {
        let mut state = State::default();
        let cut = |detail: &str| ApiError::Undecodable {
            detail: detail.to_owned(),
            excerpt: String::new(),
        };
        push_load_error(&mut state, Load::Segments, cut("EOF at column 300"));
        push_load_error(&mut state, Load::Flows, cut("EOF at column 1234"));
        assert_eq!(
            Vec::from(state.errors.clone()),
            vec![
                "loading flows and segments: the server's answer could not be read: EOF at column 1234"
            ]
        );

        let mut state = State::default();
        let secs = |s| ApiError::RateLimited {
            retry_in: std::time::Duration::from_secs(s),
        };
        push_load_error(&mut state, Load::Flows, secs(59));
        push_load_error(&mut state, Load::Devices, secs(58));
        assert_eq!(state.errors.len(), 1);
        assert!(state.errors[0].starts_with("loading flows and devices: rate limited for 59 s"));
    }
}
