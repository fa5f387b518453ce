//! The offer of a draft kept from an earlier run: "a draft of flow 12 from 10:42 was kept:
//! Enter restores, x drops".
//!
//! The offer opens by itself, so a key the operator typed for the table before it was drawn must
//! not answer it: like every dialog that opens by itself, it takes keys only once the [`Gate`]
//! has opened (drawn, then settled).
//!
//! [`Gate`]: super::Gate

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::errors::push_error;
use super::form::{FormKind, FormState};
use super::{Command, Mode, State};
use crate::drafts::Draft;

/// The offer on screen.
#[derive(Debug)]
pub struct DraftOffer {
    pub draft: Draft,
}

impl DraftOffer {
    /// `a draft of flow 12 from 10:42 was kept`.
    pub fn text(&self, state: &State) -> String {
        let saved = self.draft.saved_at.to_zoned(state.ctx.tz.clone());
        let today = state.now.to_zoned(state.ctx.tz.clone()).date() == saved.date();
        let when = if today {
            saved.strftime("%H:%M").to_string()
        } else {
            saved.strftime("%Y-%m-%d %H:%M").to_string()
        };
        format!("a draft of {} from {when} was kept", self.draft.what())
    }
}

/// The form a draft was typed in, to follow for autosave: the open form, or the one behind the
/// conflict dialog.
pub fn open_form(state: &State) -> Option<&FormState> {
    match &state.mode {
        Mode::Form(form) | Mode::Conflict { form, .. } => Some(form),
        _ => None,
    }
}

/// Opens the next offer when nothing else is on screen. Not before the first page has loaded:
/// only then is it known whether this server names flows reliably, which a restored edit needs.
/// A read-only session offers nothing (the drafts stay for a session that can save them).
pub fn offer_next(state: &mut State) {
    if !matches!(state.mode, Mode::Browse)
        || state.first_load
        || state.ctx.read_only
        || state.draft_offers.is_empty()
    {
        return;
    }
    // The newest first. It opens by itself: the gate holds keys until it has been seen.
    if let Some(draft) = state.draft_offers.pop() {
        state.open_by_itself(Mode::DraftOffer(Box::new(DraftOffer { draft })));
    }
}

/// Says on screen that the draft of the open form could not be written.
pub fn store_failed(state: &mut State, text: String) {
    push_error(state, text);
}

pub(super) fn on_key(
    state: &mut State,
    offer: Box<DraftOffer>,
    key: KeyEvent,
    out: &mut Vec<Command>,
) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        // Quitting keeps the draft for the next start.
        KeyCode::Char('c') if ctrl => state.quit = true,
        KeyCode::Enter => restore(state, offer.draft),
        KeyCode::Char('x' | 'X') => {
            state.toast(format!("dropped the draft of {}", offer.draft.what()), out);
            out.push(Command::DropDraft(offer.draft.flow));
        }
        _ => state.mode = Mode::DraftOffer(offer),
    }
}

/// Reopens the form with the draft's text. An existing flow opens as an edit of the version the
/// operator saw, so saving re-reads it and any change on the server since is a conflict.
fn restore(state: &mut State, draft: Draft) {
    let kind = match (draft.flow, draft.seen) {
        (Some(id), Some(seen)) => {
            if !state.can_write_existing() {
                // Kept on disk for a session that can save it.
                push_error(
                    state,
                    format!(
                        "the draft of flow {id} is kept but cannot be restored here: {}",
                        state
                            .row_block_reason(&seen)
                            .unwrap_or("this flow cannot be changed")
                    ),
                );
                return;
            }
            FormKind::Edit {
                id,
                seen: Box::new(seen),
            }
        }
        (None, _) => FormKind::New,
        (Some(id), None) => {
            // The store never yields this; an edit without the version it started from could
            // not be checked for conflicts, so it is not restored.
            push_error(
                state,
                format!("the draft of flow {id} is incomplete; not restored"),
            );
            return;
        }
    };
    state.mode = Mode::Form(Box::new(FormState::restored(
        kind,
        draft.initial,
        &draft.current,
    )));
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::app::{Context, Msg, update};
    use crate::domain::{Flow, FlowDraft, FlowId};

    fn key(c: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn kept_edit() -> Draft {
        let seen = Flow {
            content: Some("Hello".to_owned()),
            device_id: Some(1),
            sim_subscription_id: Some(11),
            wait_time: Some(1),
            ..Flow::bare(12, "Welcome")
        };
        let initial = seen.to_draft();
        Draft {
            account: "http://127.0.0.1:1/api".to_owned(),
            flow: Some(FlowId(12)),
            current: FlowDraft {
                name: "Welcome v2".to_owned(),
                ..initial.clone()
            },
            initial,
            seen: Some(seen),
            saved_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    /// The runner's part once the offer is on screen: the frame that shows it; returns the
    /// settle time's number (`Command::Settle`).
    fn drawn(state: &mut State) -> u64 {
        let out = update(
            state,
            Msg::Drawn {
                width: 80,
                height: 24,
            },
        );
        out.iter()
            .find_map(|c| match c {
                Command::Settle(n) => Some(*n),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no settle time asked for: {out:?}"))
    }

    /// Drawn, and the settle time over: keys now answer the offer.
    fn seen(state: &mut State) {
        let n = drawn(state);
        update(state, Msg::Settled(n));
    }

    fn loaded_state() -> State {
        let mut state = State::new(Context::default(), 25);
        state.first_load = false;
        state.draft_offers.push(kept_edit());
        state
    }

    #[test]
    fn the_offer_waits_for_the_first_page() {
        let mut state = loaded_state();
        state.first_load = true;
        offer_next(&mut state);
        assert!(matches!(state.mode, Mode::Browse));
        state.first_load = false;
        offer_next(&mut state);
        assert!(matches!(state.mode, Mode::DraftOffer(_)));
    }

    #[test]
    fn keys_typed_ahead_of_the_offer_do_not_answer_it() {
        let mut state = loaded_state();
        offer_next(&mut state);
        // Typed for the table (`x` dismisses an error there), read before the offer was drawn.
        let out = update(&mut state, key(KeyCode::Char('x')));
        assert!(out.is_empty(), "{out:?}");
        let out = update(&mut state, key(KeyCode::Enter));
        assert!(out.is_empty(), "{out:?}");
        assert!(matches!(state.mode, Mode::DraftOffer(_)), "still offered");
        // Drawn, but keys already on their way (read within the settle time) are dropped too.
        let n = drawn(&mut state);
        let out = update(&mut state, key(KeyCode::Char('x')));
        assert!(out.is_empty(), "{out:?}");
        update(&mut state, key(KeyCode::Enter));
        assert!(matches!(state.mode, Mode::DraftOffer(_)), "still offered");
        update(&mut state, Msg::Settled(n));
        let out = update(&mut state, key(KeyCode::Char('x')));
        assert!(
            out.contains(&Command::DropDraft(Some(FlowId(12)))),
            "{out:?}"
        );
        assert!(matches!(state.mode, Mode::Browse));
    }

    #[test]
    fn enter_reopens_the_edit_with_the_kept_text() {
        let mut state = loaded_state();
        offer_next(&mut state);
        seen(&mut state);
        update(&mut state, key(KeyCode::Enter));
        let Mode::Form(form) = &state.mode else {
            panic!("the form is open: {:?}", state.mode);
        };
        assert_eq!(form.title(), "Edit flow 12");
        assert_eq!(form.name.value(), "Welcome v2");
        assert_eq!(form.patch().name.as_deref(), Some("Welcome v2"));
        assert!(matches!(&form.kind, FormKind::Edit { seen, .. } if seen.name == "Welcome"));
    }
}
