//! The edit and new-flow form: its fields, keys, and the draft it produces.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::ReqId;
use crate::domain::validate::{self, Field, Problem};
use crate::domain::{Device, Flow, FlowDraft, FlowId, FlowPatch, Segment, SegmentRef, WaitUnit};

/// The fields in Tab order.
pub const FIELDS: [Field; 8] = [
    Field::Name,
    Field::Content,
    Field::Device,
    Field::Sim,
    Field::WaitTime,
    Field::WaitUnit,
    Field::Segment,
    Field::Enabled,
];

pub fn field_label(f: Field) -> &'static str {
    match f {
        Field::Name => "name",
        Field::Content => "content",
        Field::Device => "device",
        Field::Sim => "SIM",
        Field::WaitTime => "wait time",
        Field::WaitUnit => "unit",
        Field::Segment => "segment",
        Field::Enabled => "enabled",
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum FormKind {
    New,
    Edit { id: FlowId, seen: Box<Flow> },
}

/// What a key did to the form.
#[derive(Debug, PartialEq, Eq)]
pub enum FormEvent {
    None,
    Save,
    /// Closed without saving (nothing changed, or the discard was confirmed).
    Close,
}

#[derive(Debug)]
pub struct FormState {
    pub kind: FormKind,
    pub name: Input,
    pub content: TextArea<'static>,
    pub device: Option<u64>,
    pub sim: Option<u64>,
    pub wait: Input,
    pub unit: WaitUnit,
    pub segment: SegmentRef,
    pub enabled: bool,
    pub focus: Field,
    /// Problems found at the last save attempt (and kept up to date after it).
    pub problems: Vec<Problem>,
    pub checked: bool,
    /// The server's message after a failed save.
    pub server_error: Option<String>,
    pub saving: Option<ReqId>,
    pub confirm_discard: bool,
    /// The draft the form opened with, to see what changed.
    pub initial: FlowDraft,
    /// The wait time's text as the form opened: a wait no draft can hold (zero, negative, too
    /// big) shows as the server sent it, and typing over it counts as a change.
    initial_wait: String,
}

fn content_area(text: &str) -> TextArea<'static> {
    let mut t = TextArea::new(text.split('\n').map(str::to_owned).collect());
    t.move_cursor(ratatui_textarea::CursorMove::Bottom);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

impl FormState {
    /// A new flow: the first device, its first SIM, 1 day, all contacts, switched off.
    pub fn new_flow(devices: &[Device]) -> FormState {
        let device = devices.first();
        let draft = FlowDraft {
            device_id: device.map(|d| d.id),
            sim_subscription_id: device.and_then(first_sim),
            ..FlowDraft::default()
        };
        FormState::from_draft(FormKind::New, draft)
    }

    /// A duplicate of `flow` (DESIGN §15): the new-flow form filled from it, named `Copy of
    /// NAME` cut to fit, switched off. Its device and SIM when the account has them (a flow
    /// whose device the server dropped or does not list gets the first device and SIM).
    pub fn duplicate(flow: &Flow, devices: &[Device]) -> FormState {
        let mut draft = flow.to_draft();
        draft.name = validate::copy_name(&flow.name);
        draft.enabled = false;
        let own = flow
            .device_id
            .and_then(|id| devices.iter().find(|d| d.id == id));
        if let Some(device) = own {
            let on_device = |s: &u64| {
                device
                    .sims
                    .iter()
                    .flatten()
                    .any(|x| x.subscription_id == *s)
            };
            let kept = draft.sim_subscription_id.filter(on_device);
            draft.sim_subscription_id = kept.or_else(|| first_sim(device));
        } else {
            let device = devices.first();
            draft.device_id = device.map(|d| d.id);
            draft.sim_subscription_id = device.and_then(first_sim);
        }
        FormState::from_draft(FormKind::New, draft)
    }

    pub fn edit(flow: &Flow) -> FormState {
        let mut form = FormState::from_draft(
            FormKind::Edit {
                id: flow.id,
                seen: Box::new(flow.clone()),
            },
            flow.to_draft(),
        );
        if let Some(w) = flow.wait_time {
            form.initial_wait = w.to_string();
            form.wait = Input::new(form.initial_wait.clone());
        }
        form
    }

    fn from_draft(kind: FormKind, draft: FlowDraft) -> FormState {
        FormState {
            kind,
            name: Input::new(draft.name.clone()),
            content: content_area(&draft.content),
            device: draft.device_id,
            sim: draft.sim_subscription_id,
            wait: Input::new(draft.wait_time.to_string()),
            unit: draft.wait_unit,
            segment: draft.segment,
            enabled: draft.enabled,
            focus: Field::Name,
            problems: Vec::new(),
            checked: false,
            server_error: None,
            saving: None,
            confirm_discard: false,
            initial_wait: draft.wait_time.to_string(),
            initial: draft,
        }
    }

    /// A form reopened from a kept draft: it opened on `initial` (so the changes, and for an edit
    /// the patch, are the same as before) and holds the text typed then.
    pub fn restored(kind: FormKind, initial: FlowDraft, current: &FlowDraft) -> FormState {
        let mut form = FormState::from_draft(kind, initial);
        form.name = Input::new(current.name.clone());
        form.content = content_area(&current.content);
        form.device = current.device_id;
        form.sim = current.sim_subscription_id;
        form.wait = Input::new(current.wait_time.to_string());
        form.unit = current.wait_unit;
        form.segment = current.segment;
        form.enabled = current.enabled;
        form
    }

    /// Loads another version of the flow into the form (take theirs), keeping nothing typed.
    pub fn reload(&mut self, theirs: &Flow) {
        let focus = self.focus;
        *self = FormState::edit(theirs);
        self.focus = focus;
    }

    pub fn title(&self) -> String {
        match &self.kind {
            FormKind::New => "New flow".to_owned(),
            FormKind::Edit { id, .. } => format!("Edit flow {id}"),
        }
    }

    pub fn content_text(&self) -> String {
        self.content.lines().join("\n")
    }

    /// The form as a draft. An unreadable wait time becomes 0, which the checks refuse.
    pub fn draft(&self) -> FlowDraft {
        FlowDraft {
            name: self.name.value().to_owned(),
            content: self.content_text(),
            device_id: self.device,
            sim_subscription_id: self.sim,
            wait_time: self.wait.value().trim().parse().unwrap_or(0),
            wait_unit: self.unit,
            segment: self.segment,
            enabled: self.enabled,
        }
    }

    pub fn is_changed(&self) -> bool {
        self.draft() != self.initial || self.wait_typed()
    }

    /// The wait time's text differs from what the form opened with.
    fn wait_typed(&self) -> bool {
        self.wait.value().trim() != self.initial_wait
    }

    /// The changed fields, for an update.
    pub fn patch(&self) -> FlowPatch {
        FlowPatch::between(&self.initial, &self.draft())
    }

    /// The problems that apply: all of them for a new flow; for an edit, only those of fields
    /// the operator changed (the server requires nothing on update).
    pub fn check(&self) -> Vec<Problem> {
        let draft = self.draft();
        let all = validate::check(&draft);
        match self.kind {
            FormKind::New => all,
            FormKind::Edit { .. } => {
                let patch = self.patch();
                all.into_iter()
                    .filter(|p| match p.field {
                        Field::Name => patch.name.is_some(),
                        Field::Content => patch.content.is_some(),
                        Field::Device => patch.device_id.is_some(),
                        Field::Sim => {
                            patch.sim_subscription_id.is_some() || patch.device_id.is_some()
                        }
                        Field::WaitTime | Field::WaitUnit => {
                            patch.wait_time.is_some()
                                || patch.wait_unit.is_some()
                                || self.wait_typed()
                        }
                        Field::Segment | Field::Enabled => true,
                    })
                    .collect()
            }
        }
    }

    pub fn problems_of(&self, field: Field) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.field == field)
    }

    fn move_focus(&mut self, forward: bool) {
        let i = FIELDS.iter().position(|&f| f == self.focus).unwrap_or(0);
        let n = FIELDS.len();
        self.focus = FIELDS[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// Handles one key. Ctrl-S saves from any field; Esc asks before discarding changes.
    pub fn key(&mut self, key: KeyEvent, devices: &[Device], segments: &[Segment]) -> FormEvent {
        if self.confirm_discard {
            // Only an answer closes the question; any other key is ignored, so that text typed
            // on without reading it neither discards the form nor edits it.
            match key.code {
                KeyCode::Char('y' | 'Y') => return FormEvent::Close,
                KeyCode::Char('n' | 'N') | KeyCode::Esc => self.confirm_discard = false,
                _ => {}
            }
            return FormEvent::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('s') if ctrl => return FormEvent::Save,
            KeyCode::Esc => {
                if self.is_changed() {
                    self.confirm_discard = true;
                    return FormEvent::None;
                }
                return FormEvent::Close;
            }
            KeyCode::Tab => self.move_focus(true),
            KeyCode::BackTab => self.move_focus(false),
            _ => self.field_key(key, devices, segments),
        }
        if self.checked {
            self.problems = self.check();
        }
        FormEvent::None
    }

    fn field_key(&mut self, key: KeyEvent, devices: &[Device], segments: &[Segment]) {
        let code = key.code;
        let step = match code {
            KeyCode::Left => Some(false),
            KeyCode::Right | KeyCode::Char(' ') => Some(true),
            _ => None,
        };
        match self.focus {
            Field::Content => {
                self.content.input(key);
            }
            Field::Name | Field::WaitTime => match code {
                KeyCode::Enter | KeyCode::Down => self.move_focus(true),
                KeyCode::Up => self.move_focus(false),
                KeyCode::Char(c) if self.focus == Field::WaitTime && !c.is_ascii_digit() => {}
                _ => {
                    let input = if self.focus == Field::Name {
                        &mut self.name
                    } else {
                        &mut self.wait
                    };
                    input.handle_event(&Event::Key(key));
                }
            },
            _ => match (code, step) {
                (KeyCode::Enter | KeyCode::Down, _) => self.move_focus(true),
                (KeyCode::Up, _) => self.move_focus(false),
                (_, Some(fwd)) => self.change_choice(fwd, devices, segments),
                _ => {}
            },
        }
    }

    fn change_choice(&mut self, forward: bool, devices: &[Device], segments: &[Segment]) {
        match self.focus {
            Field::Device => {
                let ids: Vec<u64> = devices.iter().map(|d| d.id).collect();
                self.device = cycle(&ids, self.device, forward);
                self.sim = self
                    .device
                    .and_then(|id| devices.iter().find(|d| d.id == id))
                    .and_then(first_sim);
            }
            Field::Sim => {
                let sims: Vec<u64> = self
                    .device
                    .and_then(|id| devices.iter().find(|d| d.id == id))
                    .and_then(|d| d.sims.as_ref())
                    .map(|s| s.iter().map(|s| s.subscription_id).collect())
                    .unwrap_or_default();
                self.sim = cycle(&sims, self.sim, forward);
            }
            Field::WaitUnit => {
                let units = WaitUnit::ALL;
                let i = units.iter().position(|&u| u == self.unit).unwrap_or(0);
                self.unit = units[if forward { (i + 1) % 3 } else { (i + 2) % 3 }];
            }
            Field::Segment => {
                let choices: Vec<SegmentRef> = std::iter::once(SegmentRef::All)
                    .chain(segments.iter().map(|s| SegmentRef::Saved(s.id)))
                    .collect();
                let i = choices.iter().position(|&s| s == self.segment);
                let n = choices.len();
                self.segment = match i {
                    None => SegmentRef::All,
                    Some(i) => {
                        choices[if forward {
                            (i + 1) % n
                        } else {
                            (i + n - 1) % n
                        }]
                    }
                };
            }
            Field::Enabled => self.enabled = !self.enabled,
            _ => {}
        }
    }

    /// Inserts pasted text into the focused text field.
    pub fn paste(&mut self, text: &str) {
        match self.focus {
            Field::Name => {
                let one = crate::domain::clean::one_line(text);
                for c in one.chars() {
                    self.name.handle(tui_input::InputRequest::InsertChar(c));
                }
            }
            Field::Content => {
                self.content
                    .insert_str(crate::domain::clean::multi_line(text));
            }
            _ => {}
        }
    }
}

fn first_sim(d: &Device) -> Option<u64> {
    d.sims.as_ref()?.first().map(|s| s.subscription_id)
}

fn cycle(ids: &[u64], current: Option<u64>, forward: bool) -> Option<u64> {
    if ids.is_empty() {
        return current;
    }
    let n = ids.len();
    let next = match current.and_then(|c| ids.iter().position(|&i| i == c)) {
        None => 0,
        Some(i) if forward => (i + 1) % n,
        Some(i) => (i + n - 1) % n,
    };
    Some(ids[next])
}
