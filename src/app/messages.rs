//! `m`: the messages of the selected flow (DESIGN §16), read off the UI task as one operator
//! request batch; the failures grouped by error, `Enter` shows one message whole.

use crossterm::event::{KeyCode, KeyEvent};

use super::req::ReqId;
use crate::api::{ApiError, FlowMessages};
use crate::domain::FlowId;
use crate::domain::message::{Message, failures_by_error};

/// The view's state: what is being read, and what was.
#[derive(Clone, Debug, PartialEq)]
pub struct MessagesView {
    pub flow: FlowId,
    /// The flow's name as the table shows it (cleaned).
    pub name: String,
    pub req: ReqId,
    /// `None` while the read runs.
    pub read: Option<FlowMessages>,
    pub error: Option<String>,
    /// The message under the cursor, in `read.messages`.
    pub cursor: usize,
    /// Showing the message under the cursor whole.
    pub open: bool,
}

/// What a key did to the view.
#[derive(Debug, PartialEq, Eq)]
pub enum ViewKey {
    Stay,
    Close,
}

impl MessagesView {
    pub fn new(flow: FlowId, name: String, req: ReqId) -> MessagesView {
        MessagesView {
            flow,
            name,
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
            Ok(read) => self.read = Some(read),
            Err(e) => self.error = Some(crate::domain::clean::one_line(&e.to_string())),
        }
    }

    pub fn messages(&self) -> &[Message] {
        self.read.as_ref().map_or(&[], |r| r.messages.as_slice())
    }

    pub fn failures(&self) -> Vec<(String, usize)> {
        failures_by_error(self.messages())
    }

    pub fn selected(&self) -> Option<&Message> {
        self.messages().get(self.cursor)
    }

    pub fn key(&mut self, key: &KeyEvent) -> ViewKey {
        let last = self.messages().len().saturating_sub(1);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') if self.open => self.open = false,
            KeyCode::Esc | KeyCode::Char('q' | 'm') => return ViewKey::Close,
            KeyCode::Enter => self.open = !self.open && self.selected().is_some(),
            KeyCode::Down | KeyCode::Char('j') => self.cursor = (self.cursor + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::PageDown => self.cursor = (self.cursor + 10).min(last),
            KeyCode::PageUp => self.cursor = self.cursor.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => self.cursor = 0,
            KeyCode::End | KeyCode::Char('G') => self.cursor = last,
            _ => {}
        }
        ViewKey::Stay
    }
}
