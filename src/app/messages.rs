//! `m`: the messages of the selected flow, and `F`: the latest failures of every flow (DESIGN
//! §16). Both read the newest pages of `/api/sms` off the UI task as one operator request batch;
//! the failures are grouped by error (and, for `F`, by flow), `Enter` shows one message whole.

use crossterm::event::{KeyCode, KeyEvent};

use super::req::ReqId;
use super::{Command, Mode, State};
use crate::api::{ApiError, FlowMessages};
use crate::domain::FlowId;
use crate::domain::message::{Message, SmsStatus, failures_by_error};

/// Whose messages a view reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    /// `m`: one flow's, every status.
    Flow { id: FlowId, name: String },
    /// `F`: every flow's failed ones, with the names of the flows loaded (cleaned), by id.
    Every { names: Vec<(FlowId, String)> },
}

impl Scope {
    /// The flow the read keeps (`None`: every flow).
    pub fn flow(&self) -> Option<FlowId> {
        match self {
            Scope::Flow { id, .. } => Some(*id),
            Scope::Every { .. } => None,
        }
    }

    /// The name of flow `id` where it is loaded.
    pub fn name_of(&self, id: u64) -> Option<&str> {
        match self {
            Scope::Flow { id: f, name } => (f.0 == id).then_some(name.as_str()),
            Scope::Every { names } => names
                .iter()
                .find(|(f, _)| f.0 == id)
                .map(|(_, n)| n.as_str()),
        }
    }
}

/// The view's state: what is being read, and what was.
#[derive(Clone, Debug, PartialEq)]
pub struct MessagesView {
    pub scope: Scope,
    pub req: ReqId,
    /// `None` while the read runs.
    pub read: Option<FlowMessages>,
    pub error: Option<String>,
    /// The message under the cursor, in `read.messages`.
    pub cursor: usize,
    /// Showing the message under the cursor whole.
    pub open: bool,
}

/// Opens `m` on the selected flow (`every`: `F` on every flow) and asks for the read.
pub(super) fn open(state: &mut State, every: bool, out: &mut Vec<Command>) {
    let scope = if every {
        let names = state.flows.iter().map(|f| (f.id, f.name.clone())).collect();
        Scope::Every { names }
    } else {
        let Some(flow) = state.selected_flow() else {
            return;
        };
        Scope::Flow {
            id: flow.id,
            name: flow.name.clone(),
        }
    };
    let req = state.next_req();
    let flow = scope.flow();
    state.mode = Mode::Messages(Box::new(MessagesView::new(scope, req)));
    out.push(Command::LoadMessages { req, flow });
}

/// The answer to the read of request `req`, for the view if it is still open.
pub(super) fn loaded(state: &mut State, req: ReqId, result: Result<FlowMessages, ApiError>) {
    if let Mode::Messages(view) = &mut state.mode {
        view.loaded(req, result);
    }
}

/// What a key did to the view.
#[derive(Debug, PartialEq, Eq)]
pub enum ViewKey {
    Stay,
    Close,
}

impl MessagesView {
    pub fn new(scope: Scope, req: ReqId) -> MessagesView {
        MessagesView {
            scope,
            req,
            read: None,
            error: None,
            cursor: 0,
            open: false,
        }
    }

    /// The answer to request `req`; an older one is dropped.
    pub fn loaded(&mut self, req: ReqId, result: Result<FlowMessages, ApiError>) {
        if req != self.req {
            return;
        }
        match result {
            Ok(mut read) => {
                if matches!(self.scope, Scope::Every { .. }) {
                    // `F` is about what failed: the rest only counts as read.
                    read.messages.retain(|m| m.status == SmsStatus::Failed);
                }
                self.read = Some(read);
            }
            Err(e) => self.error = Some(crate::domain::clean::one_line(&e.to_string())),
        }
    }

    pub fn messages(&self) -> &[Message] {
        self.read.as_ref().map_or(&[], |r| r.messages.as_slice())
    }

    pub fn failures(&self) -> Vec<(String, usize)> {
        failures_by_error(self.messages())
    }

    /// The failed messages by flow, the most first (ties by id).
    pub fn failures_by_flow(&self) -> Vec<(u64, usize)> {
        let mut groups: Vec<(u64, usize)> = Vec::new();
        for m in self
            .messages()
            .iter()
            .filter(|m| m.status == SmsStatus::Failed)
        {
            match groups.iter_mut().find(|(f, _)| *f == m.flow_id) {
                Some(group) => group.1 += 1,
                None => groups.push((m.flow_id, 1)),
            }
        }
        groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        groups
    }

    pub fn selected(&self) -> Option<&Message> {
        self.messages().get(self.cursor)
    }

    pub fn key(&mut self, key: &KeyEvent) -> ViewKey {
        let last = self.messages().len().saturating_sub(1);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') if self.open => self.open = false,
            KeyCode::Esc | KeyCode::Char('q') => return ViewKey::Close,
            KeyCode::Char('m') if matches!(self.scope, Scope::Flow { .. }) => {
                return ViewKey::Close;
            }
            KeyCode::Char('F') if matches!(self.scope, Scope::Every { .. }) => {
                return ViewKey::Close;
            }
            KeyCode::Enter => self.open = !self.open && self.selected().is_some(),
            code => self.cursor = super::geometry::cursor_after(code, self.cursor, last),
        }
        ViewKey::Stay
    }
}
