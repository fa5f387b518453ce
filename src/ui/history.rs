//! `H`: the history of one flow, full screen (DESIGN §13): sent, failed and pending over the
//! last 1 h, 24 h, 7 d or 30 d, one bar a slot, and a cursor that reads the slot under it. The
//! cursor is marked with `▲` and drawn reversed, so it reads without colour.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::chart::{self, Columns, grouped};
use super::{bold, dim, fit};
use crate::app::State;
use crate::app::history::{Chart, HistoryRange, HistoryView, Slot, every_words};
use crate::store::FlowKey;

/// Lines of the body that are not bars: the summary, three panel titles, the cursor's mark,
/// the time axis, the cursor's reading and the note on how flows are told apart.
const FIXED_LINES: usize = 8;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, view: &HistoryView) {
    let th = &state.theme;
    let r = super::full_view(frame, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title(view, usize::from(r.width).saturating_sub(30)))
        .title_top(ranges(view.range).right_aligned());
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let width = usize::from(inner.width);
    let note = by_created_note(state, view);
    let text = match &view.chart {
        Some(Ok(c)) if !c.is_empty() => {
            let mut lines = body(state, view, c, width, usize::from(inner.height));
            lines.extend(note.map(|n| Line::styled(fit(&n, width), dim(th))));
            frame.render_widget(Paragraph::new(lines), inner);
            return;
        }
        None => format!("reading the last {}…", view.range.label()),
        Some(Err(e)) => e.to_string(),
        Some(Ok(c)) => nothing_yet(state, view, c),
    };
    // No chart: what there is instead, and the note, wrapped.
    let mut lines = vec![Line::raw(text), Line::raw("")];
    lines.extend(note.map(|n| Line::styled(n, dim(th))));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// ` History · flow 12 · Welcome series `; on the shipped build, whose ids are not flow ids,
/// ` History · Welcome series ` (the note under the chart gives its creation time).
fn title(view: &HistoryView, room: usize) -> Line<'static> {
    let head = match &view.flow {
        FlowKey::Id(id) => format!(" History · flow {id} · "),
        FlowKey::Created { .. } => " History · ".to_owned(),
    };
    let name = fit(&view.name, room.saturating_sub(head.chars().count() + 1));
    Line::from(vec![
        Span::raw(head),
        Span::styled(name, bold()),
        Span::raw(" "),
    ])
}

/// On the shipped build: how the history tells this flow apart.
fn by_created_note(state: &State, view: &HistoryView) -> Option<String> {
    let FlowKey::Created { created, .. } = &view.flow else {
        return None;
    };
    let when = created.map_or_else(
        || "unknown".to_owned(),
        |t| {
            t.to_zoned(state.ctx.tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        },
    );
    Some(format!(
        "this server gives no usable flow ids: the history follows this flow by its name and \
         creation time ({when})"
    ))
}

/// ` 1 h · [24 h] · 7 d · 30 d `, the range shown in brackets and reversed.
fn ranges(shown: HistoryRange) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, r) in HistoryRange::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        if r == shown {
            spans.push(Span::styled(
                format!("[{}]", r.label()),
                Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            ));
        } else {
            spans.push(Span::raw(r.label()));
        }
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

fn nothing_yet(state: &State, view: &HistoryView, c: &Chart) -> String {
    let since = match c.recording_since {
        Some(t) => format!(
            "flowdash has been recording here since {}",
            chart::when(t, state.now, &state.ctx.tz)
        ),
        None => "flowdash has not recorded anything here yet".to_owned(),
    };
    format!(
        "no readings of this flow in the last {} · {since}",
        view.range.label()
    )
}

/// The summary, the three panels, the cursor's mark, the axis and the cursor's reading.
fn body(
    state: &State,
    view: &HistoryView,
    c: &Chart,
    width: usize,
    height: usize,
) -> Vec<Line<'static>> {
    let th = &state.theme;
    let tz = &state.ctx.tz;
    // "a bar is a minute", "a bar is 30 min", "a bar is an hour".
    let per = every_words(c.every);
    let bar = match per.as_str() {
        "hour" => "an hour".to_owned(),
        w if w.starts_with(|ch: char| ch.is_ascii_digit()) => w.to_owned(),
        w => format!("a {w}"),
    };
    let (sent, failed) = c.totals();
    let share = if sent + failed > 0 {
        format!(" ({:.1} %)", failed as f64 * 100.0 / (sent + failed) as f64)
    } else {
        String::new()
    };
    let summary = format!(
        "last {} to {} · a bar is {bar} · sent {} · failed {}{share}",
        view.range.label(),
        c.to.to_zoned(tz.clone()).strftime("%H:%M"),
        grouped(sent),
        grouped(failed),
    );
    let mut out = vec![Line::styled(fit(&summary, width), bold())];
    let avail = height.saturating_sub(FIXED_LINES).max(3);
    let small = (avail * 3 / 10).max(1);
    let rows = [avail - 2 * small, small, small];
    let columns = Columns::new(c.slots.len(), width, 4);
    let cursor = view.cursor_slot().unwrap_or(0);
    let panels: [(String, Vec<Option<i64>>); 3] = [
        (format!("sent per {per}"), pick(c, |i| Some(i.sent))),
        (format!("failed per {per}"), pick(c, |i| Some(i.failed))),
        (
            "pending, at each bar's last reading".to_owned(),
            pick(c, |i| i.pending),
        ),
    ];
    for ((name, values), rows) in panels.into_iter().zip(rows) {
        let max = values.iter().flatten().copied().max().unwrap_or(0);
        out.push(Line::styled(
            fit(&format!("{name} · max {}", grouped(max)), width),
            dim(th),
        ));
        for cells in chart::bars(&values, rows) {
            out.push(bar_line(&cells, columns, cursor));
        }
    }
    let x = columns.middle(cursor);
    out.push(Line::raw(format!("{}▲", " ".repeat(x))));
    let range = view.range;
    let axis = chart::axis(&c.slots, tz, columns, width, |z| label(range, z));
    out.push(Line::styled(axis, dim(th)));
    if let Some(slot) = c.slots.get(cursor) {
        let newest = cursor + 1 == c.slots.len();
        out.push(Line::raw(fit(&reading(state, slot, newest), width)));
    }
    out
}

/// One value of each slot; `None` where no reading fell (or the value is missing).
fn pick(c: &Chart, f: impl Fn(&crate::store::Interval) -> Option<i64>) -> Vec<Option<i64>> {
    c.slots
        .iter()
        .map(|s| s.interval.as_ref().and_then(&f))
        .collect()
}

/// A row of bars, the cursor's bar reversed.
fn bar_line(cells: &[char], columns: Columns, cursor: usize) -> Line<'static> {
    let cursor = cursor.min(cells.len().saturating_sub(1));
    let at: Vec<char> = columns.text(cells, cursor..cursor + 1).chars().collect();
    let bar = at.len().saturating_sub(columns.gap());
    Line::from(vec![
        Span::raw(columns.text(cells, 0..cursor)),
        Span::styled(
            at[..bar].iter().collect::<String>(),
            Style::new().add_modifier(Modifier::REVERSED),
        ),
        Span::raw(at[bar..].iter().collect::<String>()),
        Span::raw(columns.text(cells, cursor + 1..cells.len())),
    ])
}

/// The axis labels of a range: the hour's tens of minutes, every third hour, the days.
fn label(range: HistoryRange, z: &jiff::Zoned) -> Option<String> {
    let text = match range {
        HistoryRange::Hour => (z.minute() % 10 == 0).then(|| z.strftime("%H:%M")),
        HistoryRange::Day => (z.minute() == 0 && z.hour() % 3 == 0).then(|| z.strftime("%H:%M")),
        HistoryRange::Week => (z.hour() == 0).then(|| z.strftime("%a %d")),
        HistoryRange::Month => {
            (z.hour() == 0 && z.day() % 5 == 1 && z.day() < 30).then(|| z.strftime("%b %d"))
        }
    };
    text.map(|t| t.to_string())
}

/// What the cursor reads: `Mon 20 Oct 14:00–14:30 · sent 130 · failed 2 · pending 31`.
fn reading(state: &State, slot: &Slot, newest: bool) -> String {
    let tz = &state.ctx.tz;
    let start = slot.start.to_zoned(tz.clone());
    let end = slot.end.to_zoned(tz.clone());
    let end_text = if end.date() == start.date() || (end.hour() == 0 && end.minute() == 0) {
        end.strftime("%H:%M").to_string()
    } else {
        end.strftime("%a %d %b %H:%M").to_string()
    };
    let when = format!("{}–{end_text}", start.strftime("%a %d %b %H:%M"));
    let so_far = if newest { " (so far)" } else { "" };
    match &slot.interval {
        None => format!("{when} · no reading"),
        Some(i) => format!(
            "{when}{so_far} · sent {} · failed {} · pending {}",
            grouped(i.sent),
            grouped(i.failed),
            i.pending.map_or_else(|| "—".to_owned(), grouped)
        ),
    }
}
