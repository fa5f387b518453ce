//! `P` (DESIGN §17): the config's profiles, and a switch to another without restarting. The
//! runner loads the chosen profile and connects; this side opens the list, asks for the switch
//! and, once connected, starts the new account's list afresh.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::errors::push_error;
use super::{Command, Mode, State};
use crate::domain::clean;

/// `P`: the list of profiles, the one in use under the cursor. Refused while a bulk queue runs
/// (its writes belong to this account); a form is never open here, as `P` is a key of the list.
pub(super) fn open(state: &mut State, out: &mut Vec<Command>) {
    if state.queue.is_some() {
        state.toast(
            "a bulk action is running: let it finish or stop it (Esc) before switching profile"
                .to_owned(),
            out,
        );
        return;
    }
    match state.profiles.len() {
        0 => state.toast(
            "no profiles: the dashboard started without a config file that names any".to_owned(),
            out,
        ),
        1 => state.toast(
            format!(
                "the config has one profile (`{}`): nothing to switch to",
                clean::one_line(&state.profiles[0])
            ),
            out,
        ),
        _ => {
            let cursor = state
                .profiles
                .iter()
                .position(|p| Some(p) == state.ctx.profile.as_ref())
                .unwrap_or(0);
            state.mode = Mode::Profiles { cursor };
        }
    }
}

/// The list's keys: ↑/↓ (j/k) move, Enter switches, q or Esc close, Ctrl-C quits; every other
/// key is ignored.
pub(super) fn on_key(state: &mut State, key: KeyEvent, cursor: usize, out: &mut Vec<Command>) {
    let last = state.profiles.len().saturating_sub(1);
    let cursor = match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return,
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            state.quit = true;
            return;
        }
        KeyCode::Down | KeyCode::Char('j') => (cursor + 1).min(last),
        KeyCode::Up | KeyCode::Char('k') => cursor.saturating_sub(1),
        KeyCode::Enter => {
            let Some(name) = state.profiles.get(cursor).cloned() else {
                return;
            };
            if Some(&name) == state.ctx.profile.as_ref() {
                state.toast(
                    format!("already on profile `{}`", clean::one_line(&name)),
                    out,
                );
            } else {
                state.toast(
                    format!("switching to profile `{}`…", clean::one_line(&name)),
                    out,
                );
                out.push(Command::SwitchProfile(name));
            }
            return;
        }
        _ => cursor,
    };
    state.mode = Mode::Profiles { cursor };
}

/// The switch failed (the config, the key, the server): the profile in use stays, and says why.
pub(super) fn refused(state: &mut State, name: &str, why: &str) {
    push_error(
        state,
        format!(
            "profile `{}` not switched to: {}",
            clean::one_line(name),
            clean::one_line(why)
        ),
    );
}

/// The state of a new account after a switch: `fresh` (made from the new profile's context)
/// takes the list of profiles and the mouse from `old`; the flows, page, marks, undo and filter
/// start empty. Returns the toast's commands.
pub fn switched(fresh: &mut State, old: &State) -> Vec<Command> {
    fresh.profiles.clone_from(&old.profiles);
    fresh.mouse = old.mouse;
    let mut out = Vec::new();
    let name = fresh.ctx.profile.clone().unwrap_or_default();
    let text = format!(
        "profile `{}`: {}",
        clean::one_line(&name),
        clean::one_line(&fresh.ctx.host)
    );
    fresh.toast(text, &mut out);
    out
}
