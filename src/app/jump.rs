//! `/#42` (DESIGN §3): the filter line takes a flow's id and goes to it. A loaded flow is
//! selected at once; another is read first (a single read, through the budget), then looked
//! for on the pages where the server's order most likely puts it, like a created flow.

use super::errors::push_error;
use super::{Command, ReqId, State};
use crate::api::ApiError;
use crate::domain::{Flow, FlowId};

/// The flow `#42` names: `#` and a whole number from 1, nothing else.
pub(super) fn target(text: &str) -> Option<FlowId> {
    let digits = text.trim().strip_prefix('#')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n| n > 0).map(FlowId)
}

/// Goes to flow `id`: selects it when it is loaded, else reads it.
pub(super) fn start(state: &mut State, id: FlowId, out: &mut Vec<Command>) {
    state.filter.input.reset();
    state.filter.applied.clear();
    state.rebuild_view();
    if let Some(row) = state.view.iter().position(|&i| state.flows[i].id == id) {
        state.select_row(row, out);
        return;
    }
    let req = state.next_req();
    state.jump = Some((req, id));
    state.busy += 1;
    state.toast(format!("flow {id} is not loaded: reading it…"), out);
    out.push(Command::LoadDetail { req, id });
}

/// The read of a flow gone to; false when the answer is not one (a detail of the pane).
pub(super) fn on_read(
    state: &mut State,
    req: ReqId,
    result: &Result<Flow, ApiError>,
    out: &mut Vec<Command>,
) -> bool {
    let Some((_, id)) = state.jump.filter(|(r, _)| *r == req) else {
        return false;
    };
    state.jump = None;
    state.busy = state.busy.saturating_sub(1);
    let flow = match result {
        Ok(f) if f.id == id => f,
        Ok(_) => {
            push_error(
                state,
                format!("flow {id}: the server answered another flow"),
            );
            return true;
        }
        Err(e) => {
            push_error(state, format!("flow {id}: {e}"));
            return true;
        }
    };
    state.details.insert(id, flow.clone());
    let key = flow.row_key();
    if state.all_loaded {
        // Every flow was loaded before it existed: add it, the next refresh puts it in place.
        state.flows.push(flow.clone());
        state.selected = Some(key);
        state.rebuild_view();
        return true;
    }
    state.toast(
        format!("flow {id} ({}): looking for its page…", flow.name),
        out,
    );
    let here = state.page;
    let page = likely_page(state, id);
    let tried = if page == here { Vec::new() } else { vec![here] };
    state.seek_from(page, flow, tried, true, out);
    true
}

/// The page that most likely holds `id`, from the ids of the page on screen: when they rise or
/// fall steadily, as many pages before or after as the distance in ids fills; else page 1.
fn likely_page(state: &State, id: FlowId) -> u32 {
    let ids: Vec<u64> = state.flows.iter().map(|f| f.id.0).collect();
    let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else {
        return 1;
    };
    let size = u64::from(state.page_size.max(1));
    let rising = ids.len() >= 2 && ids.windows(2).all(|w| w[0] < w[1]);
    let falling = ids.len() >= 2 && ids.windows(2).all(|w| w[0] > w[1]);
    let page = i64::from(state.page);
    let pages_off = |gap: u64| i64::try_from(gap.div_ceil(size)).unwrap_or(i64::MAX);
    let guess = match (rising, falling) {
        (true, _) if id.0 < first => page - pages_off(first - id.0),
        (true, _) if id.0 > last => page.saturating_add(pages_off(id.0 - last)),
        (_, true) if id.0 > first => page - pages_off(id.0 - first),
        (_, true) if id.0 < last => page.saturating_add(pages_off(last - id.0)),
        _ => 1,
    };
    let pages = i64::from(state.pages().unwrap_or(1).max(1));
    u32::try_from(guess.clamp(1, pages)).unwrap_or(1)
}
