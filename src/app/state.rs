//! The state's own operations: what both the keys and the task results do to it (select a row,
//! rebuild the view, load a page, say something on the status line). Nothing here knows of keys
//! or messages, so `update` and `keys` both depend on it and not on each other.

use jiff::Timestamp;

use super::geometry;
use super::{CHUNK, Command, Context, Gate, Mode, ReqId, Seek, State, Toast};
use crate::api::ServerKind;
use crate::budget::Priority;
use crate::domain::{Device, Flow, FlowId, Segment};

/// The 1000-page (from 1) that holds `flows[index]` of a list loaded whole.
fn chunk_of(index: usize) -> u32 {
    u32::try_from(index / CHUNK + 1).unwrap_or(u32::MAX)
}

impl State {
    pub fn new(ctx: Context, page_size: u32) -> State {
        State {
            ctx,
            page: 1,
            page_size: crate::api::allowed_page_size(page_size),
            first_load: true,
            visible_rows: 20,
            size: (80, 24),
            now: Timestamp::UNIX_EPOCH,
            ..State::default()
        }
    }

    pub fn next_req(&mut self) -> ReqId {
        self.next_id += 1;
        ReqId(self.next_id)
    }

    /// The selected flow: the row under the cursor.
    pub fn selected_flow(&self) -> Option<&Flow> {
        self.selected.as_ref()?;
        self.view.get(self.cursor).map(|&i| &self.flows[i])
    }

    /// The id of the selected flow.
    pub fn selected_id(&self) -> Option<FlowId> {
        self.selected.as_ref().map(|k| k.id)
    }

    /// The flow with the extra fields of its single read, when there is one.
    pub fn detailed(&self, flow: &Flow) -> Flow {
        match self.details.get(&flow.id) {
            Some(d) => {
                let mut f = flow.clone();
                f.content = f.content.or_else(|| d.content.clone());
                f.device_id = f.device_id.or(d.device_id);
                f.sim_subscription_id = f.sim_subscription_id.or(d.sim_subscription_id);
                f
            }
            None => flow.clone(),
        }
    }

    /// Existing flows can be changed: not read-only, the server names flows reliably, and the
    /// rows are the server's, not the history's snapshot.
    pub fn can_write_existing(&self) -> bool {
        !self.ctx.read_only && self.server != ServerKind::Shipped && self.snapshot_at.is_none()
    }

    /// Why no write can be sent now: the rows are the history's snapshot, and the server has
    /// not answered (yet, or it cannot be reached).
    pub fn offline_refusal(&self) -> Option<&'static str> {
        self.snapshot_at?;
        Some(if self.link == super::Link::Offline {
            "not connected: the server cannot be reached; the rows are the last snapshot and stay read-only"
        } else {
            "not connected yet: the rows are the last snapshot; writes wait until the server has answered and its build is recognised"
        })
    }

    /// Why a row cannot be changed, if it cannot.
    pub fn row_block_reason(&self, flow: &Flow) -> Option<&'static str> {
        if self.snapshot_at.is_some() {
            Some(
                "offline: this row is the last snapshot; it can be changed once the server has answered",
            )
        } else if self.ctx.read_only {
            Some("read-only mode: flowdash does not write")
        } else if self.server == ServerKind::Shipped {
            Some("this server does not identify flows reliably; change flows in the web dashboard")
        } else {
            flow.blocked.map(crate::domain::RowBlock::reason)
        }
    }

    pub fn device(&self, id: u64) -> Option<&Device> {
        self.devices.iter().find(|d| d.id == id)
    }

    pub fn segment(&self, id: u64) -> Option<&Segment> {
        self.segments.iter().find(|s| s.id == id)
    }

    pub fn is_busy(&self) -> bool {
        self.busy > 0
    }

    /// Every flow is loaded and they fit in one request of 1000: live updates reload them all.
    pub fn live_all(&self) -> bool {
        self.all_loaded && self.flows.len() <= CHUNK
    }

    /// The 1000-pages that hold the rows on screen, in order (with more than 1000 flows loaded).
    pub fn visible_chunks(&self) -> Vec<u32> {
        let end = (self.table_offset + self.visible_rows.max(1)).min(self.view.len());
        let mut pages: Vec<u32> = self.view[self.table_offset.min(end)..end]
            .iter()
            .map(|&i| chunk_of(i))
            .collect();
        pages.sort_unstable();
        pages.dedup();
        pages
    }

    /// When the data of the row at `flows[index]` was read.
    pub fn row_read_at(&self, index: usize) -> Option<Timestamp> {
        if self.all_loaded && !self.live_all() {
            self.chunk_at.get(&chunk_of(index)).copied()
        } else {
            self.loaded_at
        }
    }

    /// Shows a dialog that opened by itself, not at the operator's key: it takes keys only
    /// once it has been drawn and has settled (see [`Gate`]).
    pub fn open_by_itself(&mut self, mode: Mode) {
        self.mode = mode;
        self.gate = Gate::Undrawn;
    }

    /// A dialog waits for the runner to report that it is on screen (`Msg::Drawn`).
    pub fn awaits_draw(&self) -> bool {
        self.gate == Gate::Undrawn
    }

    /// The terminal is big enough to draw the dashboard.
    pub fn fits(&self) -> bool {
        geometry::fits(self.size.0, self.size.1)
    }

    /// Keys, pastes and clicks can act: nothing waits to be seen, and the screen shows more
    /// than the size warning.
    pub fn takes_input(&self) -> bool {
        self.gate == Gate::Open && self.fits()
    }

    /// The number of pages, when known.
    pub fn pages(&self) -> Option<u32> {
        crate::api::wire::pages(self.total_pages, self.total, self.page_size)
    }

    pub(super) fn toast(&mut self, text: String, out: &mut Vec<Command>) {
        let seq = self.toast.as_ref().map_or(1, |t| t.seq + 1);
        self.toast = Some(Toast { text, seq });
        out.push(Command::ArmToast(seq));
    }

    /// A new list read: its id, now the one whose answer the rows take, with the rows loading.
    pub(super) fn list_read(&mut self) -> ReqId {
        let req = self.next_req();
        self.list_req = req;
        self.loading = true;
        self.busy += 1;
        req
    }

    pub(super) fn load_page(&mut self, priority: Priority, out: &mut Vec<Command>) {
        let req = self.list_read();
        out.push(Command::LoadPage {
            req,
            page: self.page,
            per_page: self.page_size,
            priority,
        });
    }

    /// Starts looking for `flow` on the pages (see `Seek`): reads `page` first, keeping the
    /// row selected there; `tried` are the pages already known not to hold it.
    pub(super) fn seek_from(
        &mut self,
        page: u32,
        flow: &Flow,
        tried: Vec<u32>,
        jump: bool,
        out: &mut Vec<Command>,
    ) {
        self.page = page;
        self.seek = Some(Seek {
            key: flow.row_key(),
            namesake: (flow.name.clone(), flow.created),
            tried,
            jump,
        });
        self.top_on_load = false;
        self.load_page(Priority::Operator, out);
    }

    /// Reads every flow in one list read.
    pub(super) fn load_all(&mut self, priority: Priority, out: &mut Vec<Command>) {
        let req = self.list_read();
        out.push(Command::LoadAll { req, priority });
    }

    pub(super) fn needs_detail(&self, id: FlowId) -> bool {
        self.server == ServerKind::SparseList && !self.details.contains_key(&id)
    }

    /// Rebuilds the filtered, sorted view and keeps the selection on the same flow id; when that
    /// flow left, the row at the same position is selected.
    pub(super) fn rebuild_view(&mut self) {
        self.marks.seen_in(&self.flows);
        self.view = super::columns::view(self);
        if self.view.is_empty() {
            self.cursor = 0;
            self.selected = None;
            self.table_offset = 0;
            return;
        }
        let found = self.selected.as_ref().and_then(|key| {
            self.view
                .iter()
                .position(|&i| self.flows[i].row_key() == *key)
        });
        self.cursor = found.unwrap_or_else(|| self.cursor.min(self.view.len() - 1));
        self.selected = Some(self.flows[self.view[self.cursor]].row_key());
        self.keep_cursor_visible();
    }

    pub(super) fn keep_cursor_visible(&mut self) {
        let rows = self.visible_rows.max(1);
        if self.cursor < self.table_offset {
            self.table_offset = self.cursor;
        } else if self.cursor >= self.table_offset + rows {
            self.table_offset = self.cursor + 1 - rows;
        }
        let max_offset = self.view.len().saturating_sub(rows);
        self.table_offset = self.table_offset.min(max_offset);
    }

    pub(super) fn select_row(&mut self, row: usize, out: &mut Vec<Command>) {
        if self.view.is_empty() {
            return;
        }
        self.cursor = row.min(self.view.len() - 1);
        let key = self.flows[self.view[self.cursor]].row_key();
        let id = key.id;
        let changed = self.selected.as_ref() != Some(&key);
        self.selected = Some(key);
        self.keep_cursor_visible();
        if changed && self.needs_detail(id) {
            out.push(Command::ArmDetail(id));
        }
    }

    pub(super) fn replace_flow(&mut self, id: FlowId, f: &Flow) {
        if let Some(slot) = self.flows.iter_mut().find(|o| o.id == id) {
            // The write answer may lack fields the list had (or the other way round): keep the
            // row's, and take the rest from the answer.
            let mut merged = f.clone();
            merged.id = id;
            merged.blocked = slot.blocked;
            if merged.content.is_none() {
                merged.content.clone_from(&slot.content);
            }
            *slot = merged;
        }
        self.details.remove(&id);
        self.rebuild_view();
    }
}
