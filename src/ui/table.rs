//! The flow table. Only the rows on screen are built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::theme::{Role, Theme};
use super::{ago_short, dim, fit};
use crate::app::State;
use crate::app::columns::{self, Column};
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
    // as flow 23456 (`columns::layout`). The sent counter and its change are two cells, so the
    // counters line up whether or not they just moved.
    let placed = columns::layout(state, inner.width);
    let mut widths = Vec::with_capacity(placed.len() + 1);
    let mut titles = Vec::with_capacity(placed.len() + 1);
    for p in &placed {
        let title = Text::from(p.column.name());
        match p.column {
            Column::Status => titles.push(Cell::from("")),
            Column::Sent => {
                widths.push(Constraint::Length(
                    p.width.saturating_sub(1 + columns::CHANGE),
                ));
                widths.push(Constraint::Length(columns::CHANGE));
                titles.push(Cell::from(title.right_aligned()));
                titles.push(Cell::from(""));
                continue;
            }
            c if c.right_aligned() => titles.push(Cell::from(title.right_aligned())),
            _ => titles.push(Cell::from(title)),
        }
        widths.push(Constraint::Length(p.width));
    }
    let header = Row::new(titles).style(Style::new().add_modifier(Modifier::BOLD));
    let rows_on_screen = usize::from(inner.height.saturating_sub(1));
    let start = state.table_offset.min(state.view.len());
    let end = (start + rows_on_screen).min(state.view.len());
    let selected = state.selected.is_some().then_some(state.cursor);
    let rows: Vec<Row<'_>> = (start..end)
        .map(|at| {
            let f = &state.flows[state.view[at]];
            row(state, f, &placed, selected == Some(at))
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

fn row<'a>(state: &State, f: &Flow, placed: &[columns::Placed], selected: bool) -> Row<'a> {
    let th = &state.theme;
    let right = |text: String| Cell::from(Text::from(text).right_aligned());
    let mut cells = Vec::with_capacity(placed.len() + 1);
    for p in placed {
        let cell = match p.column {
            Column::Status => {
                // The first cell is the mark's (▌, DESIGN §15).
                let mark = if state.marks.contains(f.id) {
                    Span::styled("▌", paint(th, Role::Accent, selected))
                } else {
                    Span::raw(" ")
                };
                let mut status = vec![mark, glyph(state, f, selected)];
                if state.alerts.flags(f, crate::app::alerts::by_id(state)) {
                    status.push(Span::styled("!", paint(th, Role::Alert, selected)));
                }
                Cell::from(Line::from(status))
            }
            Column::Id => right(f.id.to_string()),
            Column::Name => Cell::from(fit(&f.name, usize::from(p.width))),
            Column::Wait => right(wait(f)),
            Column::Sent => {
                cells.push(right(num(f.sent)));
                Cell::from(Line::from(change(state, f, selected)))
            }
            Column::Pending => right(num(f.pending)),
            Column::Failed => {
                let failed = right(num(f.failed));
                if f.failed.unwrap_or(0) > 0 {
                    failed.style(paint(th, Role::Failed, selected))
                } else {
                    failed
                }
            }
            Column::FailedPct => right(
                f.failure_share()
                    .map_or_else(|| "–".to_owned(), |s| format!("{:.1}%", s * 100.0)),
            ),
            Column::Rate => right(columns::rate(state, f).map_or_else(|| "–".to_owned(), per_hour)),
            Column::Today => {
                right(columns::today(state, f).map_or_else(|| "–".to_owned(), |n| format!("{n:+}")))
            }
            Column::Last => right(
                f.last_sent
                    .map_or_else(|| "–".to_owned(), |t| ago_short(state.now, t)),
            ),
            Column::Device => text_cell(columns::device(state, f).as_deref(), p.width),
            Column::Segment => text_cell(columns::segment(state, f).as_deref(), p.width),
        };
        cells.push(cell);
    }
    Row::new(cells)
}

/// `12/h`, `1.2k/h`.
fn per_hour(r: f64) -> String {
    if r >= 999.5 {
        format!("{:.1}k/h", r / 1000.0)
    } else {
        format!("{r:.0}/h")
    }
}

fn text_cell(text: Option<&str>, width: u16) -> Cell<'static> {
    Cell::from(fit(text.unwrap_or("–"), usize::from(width)))
}

/// The sent counter's last change: bright while fresh, then dim.
fn change(state: &State, f: &Flow, selected: bool) -> Span<'static> {
    let th = &state.theme;
    state
        .deltas
        .get(&f.row_key())
        .map_or_else(Span::default, |d| {
            let fresh = (state.now - d.at).get_seconds() < HIGHLIGHT_SECS;
            let role = if fresh { Role::Delta } else { Role::Dim };
            Span::styled(short_change(d.amount), paint(th, role, selected))
        })
}
