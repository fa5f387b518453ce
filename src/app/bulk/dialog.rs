//! The marks' keys and the dialog of a bulk action: the refusals before it opens, the
//! question (`o on · f off`), the cost and `y/N`, and the start of the queue on `y`.

use std::fmt::Write as _;

use crossterm::event::{Event, KeyCode, KeyEvent};
use tui_input::backend::crossterm::EventHandler;

use super::plan::{Item, Kind, Plan, plan};
use super::start;
use crate::api::ServerKind;
use crate::app::errors::push_error;
use crate::app::{Command, Mode, State};
use crate::domain::Flow;

/// The dialog of a bulk action. It takes every key and keeps those it does not use, so that
/// keys typed ahead never reach the table behind it.
#[derive(Clone, Debug)]
pub enum Dialog {
    /// `Switch N flows: o on · f off`.
    Choose { refusal: Option<String> },
    /// The cost, and `y/N` (on production, a delete's number of flows typed).
    Confirm {
        plan: Box<Plan>,
        typed: tui_input::Input,
        refusal: Option<String>,
    },
}

/// `v`: marks or unmarks the selected flow.
pub fn on_mark(state: &mut State, out: &mut Vec<Command>) {
    let Some(flow) = state.selected_flow().cloned() else {
        state.toast("no flow selected".to_owned(), out);
        return;
    };
    if let Some(block) = flow.blocked {
        let text = format!("flow {} cannot be marked: {}", flow.id, block.reason());
        return push_error(state, text);
    }
    let word = if state.marks.flip(&flow) {
        "marked"
    } else {
        "unmarked"
    };
    let text = format!(
        "flow {} {word} · {} marked{}",
        flow.id,
        state.marks.len(),
        note(state)
    );
    state.toast(text, out);
}

/// `V`: marks every loaded flow the filter matches, and says how many are off screen.
pub fn on_mark_all(state: &mut State, out: &mut Vec<Command>) {
    let shown = state.table_offset..state.table_offset + state.visible_rows.max(1);
    let (mut marked, mut hidden, mut skipped) = (0, 0, 0);
    for (row, &i) in state.view.iter().enumerate() {
        let flow = &state.flows[i];
        if flow.blocked.is_some() {
            skipped += 1;
            continue;
        }
        marked += 1;
        if !shown.contains(&row) {
            hidden += 1;
        }
        state.marks.mark(flow);
    }
    if marked == 0 {
        let why = if skipped > 0 {
            "the ids of these rows are 0 or repeated"
        } else {
            "no flow is loaded here"
        };
        return state.toast(format!("nothing marked: {why}{}", note(state)), out);
    }
    let what = if state.filter.is_active() {
        "the filter matches"
    } else {
        "loaded"
    };
    let mut text = format!("marked {marked} flows {what} ({hidden} of them off screen)");
    if skipped > 0 {
        let _ = write!(text, " · {skipped} rows whose id is 0 or repeated left out");
    }
    let _ = write!(text, " · {} marked{}", state.marks.len(), note(state));
    state.toast(text, out);
}

/// On the shipped build, ids are device ids: the marks say so.
fn note(state: &State) -> &'static str {
    if state.server == ServerKind::Shipped {
        " · this server's ids are device ids: nothing marked can be changed here"
    } else {
        ""
    }
}

/// Why no bulk action can start now, if none can.
fn refusal(state: &State) -> Option<String> {
    if state.queue.is_some() {
        return Some("a bulk action is running: Esc stops it after the request in flight".into());
    }
    if let Some(r) = state.offline_refusal() {
        return Some(r.to_owned());
    }
    let any = Flow::bare(1, "");
    state
        .row_block_reason(&any)
        .map(|r| format!("nothing sent: {r}"))
}

/// Refuses with the reason when no bulk action can start; true when one can.
fn may_start(state: &mut State, out: &mut Vec<Command>) -> bool {
    match refusal(state) {
        Some(r) if state.queue.is_some() => {
            state.toast(r, out);
            false
        }
        Some(r) => {
            push_error(state, r);
            false
        }
        None => true,
    }
}

/// `space` with marks: asks on or off.
pub fn open_switch(state: &mut State, out: &mut Vec<Command>) {
    if may_start(state, out) {
        state.mode = Mode::Bulk(Box::new(Dialog::Choose { refusal: None }));
    }
}

/// `d` with marks: the cost of deleting them, and the question.
pub fn open_delete(state: &mut State, out: &mut Vec<Command>) {
    if may_start(state, out) {
        let items = marked(state, true);
        confirm(state, plan(state, Kind::Delete, items));
    }
}

/// `u`: the cost of undoing the last switch, and the question.
pub fn open_undo(state: &mut State, out: &mut Vec<Command>) {
    let Some(last) = state.undo.clone() else {
        let text = "nothing to undo: no flow was switched since flowdash started".to_owned();
        return state.toast(text, out);
    };
    if !may_start(state, out) {
        return;
    }
    // Each flow as the operator last saw it: the row when it is loaded, else the write's answer.
    let items: Vec<Item> = last
        .into_iter()
        .map(|it| Item {
            flow: latest(state, &it.flow),
            target: it.target,
        })
        .collect();
    let on = items.first().is_some_and(|it| it.target);
    confirm(state, plan(state, Kind::Switch { on, undo: true }, items));
}

fn latest(state: &State, flow: &Flow) -> Flow {
    state
        .flows
        .iter()
        .find(|f| f.id == flow.id && f.blocked.is_none())
        .cloned()
        .unwrap_or_else(|| flow.clone())
}

/// The marked flows, as last seen, to switch to `target`.
fn marked(state: &State, target: bool) -> Vec<Item> {
    state
        .marks
        .flows()
        .map(|f| Item {
            flow: latest(state, f),
            target,
        })
        .collect()
}

fn confirm(state: &mut State, plan: Plan) {
    state.mode = Mode::Bulk(Box::new(Dialog::Confirm {
        plan: Box::new(plan),
        typed: tui_input::Input::default(),
        refusal: None,
    }));
}

/// A key in a bulk dialog. Every key is taken: one the dialog cannot use keeps it open and
/// says why.
pub fn on_key(state: &mut State, dialog: Dialog, key: KeyEvent, out: &mut Vec<Command>) {
    match dialog {
        Dialog::Choose { .. } => match key.code {
            KeyCode::Char(c @ ('o' | 'O' | 'f' | 'F')) => {
                let on = c.eq_ignore_ascii_case(&'o');
                let items = marked(state, on);
                confirm(state, plan(state, Kind::Switch { on, undo: false }, items));
            }
            KeyCode::Esc | KeyCode::Char('n' | 'N') => {
                state.toast("nothing switched".to_owned(), out);
            }
            _ => {
                let refusal = Some("o switches them on, f off; Esc cancels".to_owned());
                state.mode = Mode::Bulk(Box::new(Dialog::Choose { refusal }));
            }
        },
        Dialog::Confirm {
            plan,
            mut typed,
            refusal: _,
        } => {
            let typing = plan.kind == Kind::Delete && state.ctx.production;
            let n = plan.items.len().to_string();
            let refusal = match key.code {
                KeyCode::Esc => return state.toast("nothing sent".to_owned(), out),
                KeyCode::Enter if typing && typed.value().trim() == n => {
                    return start(state, *plan, out);
                }
                KeyCode::Enter if typing => {
                    Some(format!("type the number of flows, {n}, then Enter; or Esc"))
                }
                _ if typing => {
                    typed.handle_event(&Event::Key(key));
                    None
                }
                KeyCode::Char('y' | 'Y') => return start(state, *plan, out),
                KeyCode::Char('n' | 'N') | KeyCode::Enter => {
                    return state.toast("nothing sent".to_owned(), out);
                }
                _ => Some("y starts; n or Esc cancels".to_owned()),
            };
            state.mode = Mode::Bulk(Box::new(Dialog::Confirm {
                plan,
                typed,
                refusal,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Context;
    use crate::app::bulk::plan::preview;
    use crate::domain::FlowId;

    fn loaded(flows: Vec<Flow>) -> State {
        let mut state = State::new(Context::default(), 20);
        state.server = ServerKind::Documented;
        state.flows = flows;
        state.loaded_at = Some(state.now);
        state.rebuild_view();
        state
    }

    /// The plan to switch off every loaded flow.
    fn switch_off_all(state: &State) -> Plan {
        let items = state
            .flows
            .iter()
            .map(|f| Item {
                flow: f.clone(),
                target: false,
            })
            .collect();
        plan(
            state,
            Kind::Switch {
                on: false,
                undo: false,
            },
            items,
        )
    }

    #[test]
    fn the_cost_is_a_list_read_and_a_write_a_flow_where_the_list_serves() {
        let off = Flow {
            enabled: false,
            ..Flow::bare(3, "c")
        };
        let mut state = loaded(vec![Flow::bare(1, "a"), Flow::bare(2, "b"), off]);
        let p = switch_off_all(&state);
        assert!(p.listed);
        assert_eq!((p.requests, p.already), (3, 1));
        let text = preview(&state, &p);
        assert!(
            text.starts_with("Switch off 3 flows: 3 requests (1 is already off) · "),
            "{text}"
        );
        assert!(text.ends_with("pending SMS are still sent · y/N"), "{text}");
        // A server whose lists lack fields: every flow is read on its own.
        state.server = ServerKind::SparseList;
        let p = switch_off_all(&state);
        assert_eq!((p.listed, p.requests), (false, 5));
    }

    #[test]
    fn on_production_a_bulk_delete_asks_for_the_number_of_flows() {
        use crossterm::event::KeyModifiers;
        let mut state = loaded(vec![Flow::bare(1, "a"), Flow::bare(2, "b")]);
        state.ctx.production = true;
        state.marks.flip(&Flow::bare(1, "a"));
        state.marks.flip(&Flow::bare(2, "b"));
        let mut out = Vec::new();
        open_delete(&mut state, &mut out);
        let press = |state: &mut State, code| {
            let Mode::Bulk(dialog) = std::mem::take(&mut state.mode) else {
                panic!("the dialog closed");
            };
            let mut out = Vec::new();
            on_key(
                state,
                *dialog,
                KeyEvent::new(code, KeyModifiers::NONE),
                &mut out,
            );
            out
        };
        // `y` is typed, not an answer; Enter refuses it and the dialog stays.
        for code in [KeyCode::Char('y'), KeyCode::Enter] {
            assert!(press(&mut state, code).is_empty());
        }
        let Mode::Bulk(dialog) = &state.mode else {
            panic!("the dialog closed");
        };
        assert!(
            matches!(&**dialog, Dialog::Confirm { refusal: Some(r), .. } if r.contains("type the number of flows, 2")),
            "{dialog:?}"
        );
        press(&mut state, KeyCode::Backspace);
        press(&mut state, KeyCode::Char('2'));
        let out = press(&mut state, KeyCode::Enter);
        assert!(
            matches!(out.as_slice(), [Command::Bulk(w)] if matches!(**w, Command::Delete { id: FlowId(1), .. })),
            "one flow at a time: {out:?}"
        );
    }

    #[test]
    fn a_read_only_profile_or_the_shipped_build_refuses_before_any_dialog_and_says_why() {
        for (read_only, server, why) in [
            (
                true,
                ServerKind::Documented,
                "read-only mode: flowdash does not write",
            ),
            (
                false,
                ServerKind::Shipped,
                "this server does not identify flows reliably; change flows in the web dashboard",
            ),
        ] {
            let mut state = loaded(vec![Flow::bare(1, "a")]);
            state.ctx.read_only = read_only;
            state.server = server;
            state.marks.flip(&Flow::bare(1, "a"));
            state.undo = Some(vec![Item {
                flow: Flow::bare(1, "a"),
                target: true,
            }]);
            let mut out = Vec::new();
            open_switch(&mut state, &mut out);
            open_delete(&mut state, &mut out);
            open_undo(&mut state, &mut out);
            assert!(matches!(state.mode, Mode::Browse));
            assert!(
                out.iter().all(|c| matches!(c, Command::ArmToast(_))),
                "{out:?}"
            );
            assert_eq!(
                state.errors.back().cloned(),
                Some(format!("nothing sent: {why}"))
            );
        }
    }
}
