//! Alerts on the dashboard (DESIGN §14): the same rules as `watch`, run on the readings the
//! dashboard takes. After each list that loads, [`judge`] asks for them to be judged
//! (`Command::JudgeAlerts`); the history answers with the alerts of the account firing now and
//! the events of the last day (`Msg::Alerts`), whichever process fired them. Alerting rows
//! carry `!`, the header says `alerts N`, and `!` lists them.

use super::{Command, Mode, State};
use crate::api::ServerKind;
use crate::domain::Flow;
use crate::store::{AlertEvent, FlowKey};

/// What the history says of the account's alerts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Alerts {
    /// Firing now, oldest first; `at` is when each started.
    pub firing: Vec<AlertEvent>,
    /// Events of the last day, newest first.
    pub recent: Vec<AlertEvent>,
}

impl Alerts {
    /// Whether an alert fires for this flow.
    pub fn flags(&self, flow: &Flow, by_id: bool) -> bool {
        let key = FlowKey::of(flow, by_id);
        self.firing.iter().any(|e| e.flow.as_ref() == Some(&key))
    }
}

/// Flows are told apart by id, but on the shipped build (whose ids are device ids).
pub fn by_id(state: &State) -> bool {
    state.server != ServerKind::Shipped
}

/// After a list loaded: the rules judge what it shows. `whole`: every flow of the account, so
/// alerts of flows not in it resolve (they are gone).
pub fn judge(state: &State, flows: &[Flow], whole: bool, out: &mut Vec<Command>) {
    out.push(Command::JudgeAlerts {
        at: state.now,
        flows: flows.to_vec(),
        by_id: by_id(state),
        whole,
    });
}

/// The history's answer.
pub fn on_alerts(state: &mut State, firing: Vec<AlertEvent>, recent: Vec<AlertEvent>) {
    state.alerts = Alerts { firing, recent };
}

/// `!`: the list of alerts; it scrolls, and `q`, Esc or `!` close it.
pub fn on_key(state: &mut State, key: crossterm::event::KeyEvent, scroll: u16) {
    use crossterm::event::{KeyCode, KeyModifiers};
    let scroll = match key.code {
        KeyCode::Esc | KeyCode::Char('q' | '!') => return,
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            state.quit = true;
            return;
        }
        KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::Home | KeyCode::Char('g') => 0,
        _ => scroll,
    };
    state.mode = Mode::Alerts { scroll };
}
