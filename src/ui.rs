//! Drawing. Every function here reads `&State` and changes nothing; one file per part of the
//! screen.

mod alerts;
mod bulk;
mod chart;
mod copied;
mod detail;
mod dialog;
mod errors;
mod form;
mod header;
mod history;
mod ledger;
mod messages;
mod profiles;
mod status;
mod table;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};

use theme::{Role, Theme};

use crate::app::{BELOW_TABLE, DETAIL_BELOW, Mode, SIDE_BY_SIDE, State, TABLE_TOP};

pub use crate::app::{MIN_HEIGHT, MIN_WIDTH};

/// The screen is large enough to be drawn (below that, only a note saying so is).
pub fn fits(area: Rect) -> bool {
    area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, state: &State) {
    let area = frame.area();
    if !crate::app::fits(area.width, area.height) {
        let msg = Paragraph::new(vec![
            Line::from(format!("flowdash needs at least {MIN_WIDTH}×{MIN_HEIGHT}")),
            Line::from(format!("this terminal is {}×{}", area.width, area.height)),
            Line::from("keys wait until it is larger · q quits"),
        ])
        .centered();
        let y = area.height / 2;
        let r = Rect::new(
            area.x,
            area.y + y.saturating_sub(1),
            area.width,
            3.min(area.height),
        );
        frame.render_widget(msg, r);
        return;
    }
    let [head, info, body, keys, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(BELOW_TABLE - 2),
        Constraint::Length(1),
    ])
    .areas(area);
    debug_assert_eq!(body.y, TABLE_TOP - 2);
    header::draw(frame, head, info, state);
    if area.width >= SIDE_BY_SIDE {
        let detail_w = crate::app::detail_width(area.width);
        let [t, d] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(detail_w)]).areas(body);
        table::draw(frame, t, state);
        detail::draw(frame, d, state);
    } else {
        let [t, d] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(DETAIL_BELOW)]).areas(body);
        table::draw(frame, t, state);
        detail::draw(frame, d, state);
    }
    status::keys(frame, keys, state);
    status::draw(frame, status, state);
    match &state.mode {
        Mode::Form(f) => form::draw(frame, area, state, f),
        Mode::ConfirmDelete {
            flow,
            typed,
            refusal,
        } => dialog::delete(frame, area, state, flow, typed, refusal.as_deref()),
        Mode::Conflict { conflict, .. } => dialog::conflict(frame, area, state, conflict),
        Mode::Help { scroll } => dialog::help(frame, area, state, *scroll),
        Mode::Errors { scroll } => errors::draw(frame, area, state, *scroll),
        Mode::Alerts { scroll } => alerts::draw(frame, area, state, *scroll),
        Mode::DraftOffer(offer) => dialog::draft_offer(frame, area, state, offer),
        Mode::History(view) => history::draw(frame, area, state, view),
        Mode::Messages(view) => messages::draw(frame, area, state, view),
        Mode::Ledger(view) => ledger::draw(frame, area, state, view),
        Mode::Copied { text, scroll } => copied::draw(frame, area, state, text, *scroll),
        Mode::Profiles { cursor } => profiles::draw(frame, area, state, *cursor),
        Mode::Bulk(dialog) => bulk::draw(frame, area, state, dialog),
        Mode::Browse | Mode::Filter => {}
    }
}

/// The whole screen but the header, the key line and the status line, cleared: where a full
/// screen view (`H`, `m`) draws, leaving its key hints in view.
fn full_view(frame: &mut Frame<'_>, area: Rect) -> Rect {
    let r = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(3),
    );
    frame.render_widget(Clear, r);
    r
}

/// A centered rectangle of at most `w`×`h`, cleared.
fn popup(frame: &mut Frame<'_>, area: Rect, w: u16, h: u16) -> Rect {
    let r = popup_rect(area, w, h);
    blank_wide_edges(frame.buffer_mut(), r);
    frame.render_widget(Clear, r);
    r
}

/// A wide character (an emoji, a CJK letter) whose two columns straddle a popup's edge would be
/// drawn by the terminal over the popup's border: blank it beside the popup.
fn blank_wide_edges(buf: &mut ratatui::buffer::Buffer, r: Rect) {
    use unicode_width::UnicodeWidthStr;
    let inside = buf.area.intersection(r);
    if inside.is_empty() {
        return;
    }
    for y in inside.top()..inside.bottom() {
        // Left: a wide character starting just outside runs into the border.
        if inside.left() > buf.area.left() {
            let cell = &mut buf[(inside.left() - 1, y)];
            if cell.symbol().width() > 1 {
                cell.set_symbol(" ");
            }
        }
        // Right: a wide character starting on the last column loses its second half to
        // the cell beyond, which the terminal would then leave showing the glyph's remains.
        if inside.right() < buf.area.right() && buf[(inside.right() - 1, y)].symbol().width() > 1 {
            buf[(inside.right(), y)].set_symbol(" ");
        }
    }
}

/// Where [`popup`] puts a `w`×`h` rectangle.
fn popup_rect(area: Rect, w: u16, h: u16) -> Rect {
    let mut w = w.min(area.width.saturating_sub(2));
    if area.width - w < 4 {
        // A margin of one column leaves slivers of the borders behind, which read as doubled
        // borders: take the whole width instead.
        w = area.width;
    }
    let h = h.min(area.height.saturating_sub(2));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn dim(th: &Theme) -> Style {
    th.style(Role::Dim)
}

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub use crate::domain::width::fit;

/// `42 s ago`, `3 min ago`, `5 h ago`, `2 d ago`.
pub fn ago(now: jiff::Timestamp, then: jiff::Timestamp) -> String {
    if (now - then).get_seconds() < 0 {
        "just now".to_owned()
    } else {
        format!("{} ago", age(now, then))
    }
}

/// An age in words, whole units: `42 s`, `3 min`, `5 h`, `2 d`.
pub fn age(now: jiff::Timestamp, then: jiff::Timestamp) -> String {
    match (now - then).get_seconds().max(0) {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

/// A compact `ago` for table cells: `42s`, `3m`, `5h`, `2d`.
pub fn ago_short(now: jiff::Timestamp, then: jiff::Timestamp) -> String {
    let secs = (now - then).get_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}
