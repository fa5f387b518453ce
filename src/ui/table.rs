//! The flow table. Only the rows on screen are built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::theme::{Role, Theme};
use super::{ago_short, dim, fit};
use crate::app::State;
use crate::domain::Flow;

/// How long a changed sent counter stays highlighted.
const HIGHLIGHT_SECS: i64 = 3;

/// A role's style on a row: on the selected row, kept readable against the selection (the
/// dark theme's ○ is the grey of its selection).
fn paint(th: &Theme, role: Role, selected: bool) -> Style {
    if selected {
        th.on_selection(th.style(role))
    } else {
        th.style(role)
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let title = if state.filter.is_active() {
        format!(" Flows · {} of {} ", state.view.len(), state.flows.len())
    } else {
        " Flows ".to_owned()
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    if state.view.is_empty() {
        let text = if state.first_load && state.loading {
            "loading flows…".to_owned()
        } else if state.first_load && !state.errors.is_empty() {
            "could not load flows (see the error below; r tries again)".to_owned()
        } else if state.filter.is_active() {
            format!(
                "no flow matches \"{}\" (Esc clears the filter)",
                state.filter.applied
            )
        } else if state.page > 1 {
            "no flows on this page".to_owned()
        } else {
            "no flows yet: n creates one".to_owned()
        };
        frame.render_widget(block, area);
        let y = inner.y + inner.height / 2;
        frame.render_widget(
            Paragraph::new(Line::styled(text, dim(&state.theme))).centered(),
            Rect::new(inner.x, y, inner.width, 1),
        );
        return;
    }
    // The name takes what the other columns leave. Ids, waits and counters are never cut: a
    // right-aligned number cut to its column keeps its last digits, and flow 123456 would read
    // as flow 23456. Their columns grow to the widest value in the view (not only the rows on
    // screen, so they do not jump while scrolling); the name shrinks. The sent counter and its
    // change are two columns, so the counters line up whether or not they just moved.
    let w = Widths::of(state);
    // The state glyph, and `!` beside it while an alert fires (DESIGN §14).
    let glyph_w = if state.alerts.firing.is_empty() { 1 } else { 2 };
    // The glyph + 5 (change) + 6 (last), and 8 gaps between the 9 columns.
    let name_w = inner
        .width
        .saturating_sub(glyph_w + 5 + 6 + 8 + w.id + w.wait + w.sent + w.pending + w.failed);
    let widths = [
        Constraint::Length(glyph_w),
        Constraint::Length(w.id),
        Constraint::Length(name_w),
        Constraint::Length(w.wait),
        Constraint::Length(w.sent),
        Constraint::Length(5),
        Constraint::Length(w.pending),
        Constraint::Length(w.failed),
        Constraint::Length(6),
    ];
    let right = |s: &'static str| Cell::from(Text::from(s).right_aligned());
    let header = Row::new(vec![
        Cell::from(""),
        right("id"),
        Cell::from("name"),
        right("wait"),
        right("sent"),
        Cell::from(""),
        right("pending"),
        right("failed"),
        right("last"),
    ])
    .style(Style::new().add_modifier(Modifier::BOLD));
    let rows_on_screen = usize::from(inner.height.saturating_sub(1));
    let start = state.table_offset.min(state.view.len());
    let end = (start + rows_on_screen).min(state.view.len());
    let selected = state.selected.is_some().then_some(state.cursor);
    let rows: Vec<Row<'_>> = (start..end)
        .map(|at| {
            let f = &state.flows[state.view[at]];
            row(state, f, usize::from(name_w), selected == Some(at))
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(state.theme.style(Role::Selection));
    let mut ts = TableState::default();
    if state.selected.is_some() && state.cursor >= start && state.cursor < end {
        ts.select(Some(state.cursor - start));
    }
    frame.render_stateful_widget(table, area, &mut ts);
}

/// The widths of the number columns: at least their title's (and the widths they always had),
/// more when a value in the view needs it.
struct Widths {
    id: u16,
    wait: u16,
    sent: u16,
    pending: u16,
    failed: u16,
}

impl Widths {
    /// Counted, not formatted: this runs over every flow in the view at each frame.
    fn of(state: &State) -> Widths {
        let mut w = Widths {
            id: 5,
            wait: 4,
            sent: 7,
            pending: 7,
            failed: 6,
        };
        // `num` shows a missing counter as `–` and a negative one as 0: one column each.
        let counter = |v: Option<i64>| digits(v.and_then(|n| u64::try_from(n).ok()).unwrap_or(0));
        for f in state.view.iter().map(|&i| &state.flows[i]) {
            w.id = w.id.max(digits(f.id.0));
            if let (Some(t), Some(_)) = (f.wait_time, f.wait_unit) {
                // The number, its sign, and the unit's letter.
                w.wait = w.wait.max(digits(t.unsigned_abs()) + u16::from(t < 0) + 1);
            }
            w.sent = w.sent.max(counter(f.sent));
            w.pending = w.pending.max(counter(f.pending));
            w.failed = w.failed.max(counter(f.failed));
        }
        w
    }
}

fn digits(n: u64) -> u16 {
    n.checked_ilog10()
        .map_or(1, |d| u16::try_from(d + 1).unwrap_or(u16::MAX))
}

/// `2d`, `10m`; as the server sent it, however absurd (`0m`, `-5d`, `4294967295d`).
fn wait(f: &Flow) -> String {
    match (f.wait_time, f.wait_unit) {
        (Some(t), Some(u)) => format!("{t}{}", u.short()),
        _ => "–".to_owned(),
    }
}

fn glyph(state: &State, f: &Flow, selected: bool) -> Span<'static> {
    let th = &state.theme;
    if state.toggling.contains_key(&f.id) {
        return Span::styled("◐", paint(th, Role::Switching, selected));
    }
    if f.blocked.is_some() {
        return Span::styled("⊘", paint(th, Role::Blocked, selected));
    }
    if f.enabled {
        Span::styled("●", paint(th, Role::Enabled, selected))
    } else {
        Span::styled("○", paint(th, Role::Disabled, selected))
    }
}

fn num(v: Option<i64>) -> String {
    v.map_or_else(|| "–".to_owned(), |n| n.max(0).to_string())
}

/// A counter's change in at most 5 columns: `+12`, `+999`, `+12k`, `+999k`, `+3M`.
fn short_change(n: i64) -> String {
    let sign = if n < 0 { '-' } else { '+' };
    let n = n.unsigned_abs();
    match n {
        0..=999 => format!("{sign}{n}"),
        1000..=999_999 => format!("{sign}{}k", n / 1000),
        _ => format!("{sign}{}M", (n / 1_000_000).min(999)),
    }
}

fn row<'a>(state: &State, f: &Flow, name_w: usize, selected: bool) -> Row<'a> {
    let th = &state.theme;
    let change = state
        .deltas
        .get(&f.row_key())
        .map_or_else(Span::default, |d| {
            let fresh = (state.now - d.at).get_seconds() < HIGHLIGHT_SECS;
            let role = if fresh { Role::Delta } else { Role::Dim };
            let style = paint(th, role, selected);
            Span::styled(short_change(d.amount), style)
        });
    let failed_style = if f.failed.unwrap_or(0) > 0 {
        paint(th, Role::Failed, selected)
    } else {
        Style::new()
    };
    let last = f
        .last_sent
        .map_or_else(|| "–".to_owned(), |t| ago_short(state.now, t));
    let mut status = vec![glyph(state, f, selected)];
    if state.alerts.flags(f, crate::app::alerts::by_id(state)) {
        status.push(Span::styled("!", paint(th, Role::Alert, selected)));
    }
    Row::new(vec![
        Cell::from(Line::from(status)),
        Cell::from(Text::from(f.id.to_string()).right_aligned()),
        Cell::from(fit(&f.name, name_w)),
        Cell::from(Text::from(wait(f)).right_aligned()),
        Cell::from(Text::from(num(f.sent)).right_aligned()),
        Cell::from(Line::from(change)),
        Cell::from(Text::from(num(f.pending)).right_aligned()),
        Cell::from(Text::from(num(f.failed)).right_aligned()).style(failed_style),
        Cell::from(Text::from(last).right_aligned()),
    ])
}
