//! The detail pane: every field of the selected flow, by name, with counters since launch and
//! a send-rate sparkline from successive readings; then, from the history file, sent and failed
//! per hour over the last 24 hours and today so far against yesterday by the same time.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::chart::{self, Columns, bars, grouped};
use super::theme::{Role, Theme};
use super::{ago, bold, dim, fit};
use crate::api::ServerKind;
use crate::app::history::{Chart, HistoryError, key_of};
use crate::app::{DETAIL_BELOW, State};
use crate::domain::{Flow, SegmentRef, sms};

const MISSING: &str = "not provided by this server";
/// Columns of the chart beside the fields, when the pane sits under the table.
const SIDE_CHART: u16 = 29;
/// The fields keep at least this many columns beside it.
const SIDE_FIELDS: u16 = 44;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let th = &state.theme;
    let mut block = Block::default().borders(Borders::ALL).title(" Detail ");
    let below = area.height <= DETAIL_BELOW;
    let selected = state.selected_flow();
    if below && !state.stored.on && selected.is_some() {
        // No chart to make room for: the fields keep the width, the border says why.
        block = block.title_bottom(
            Line::styled(format!(" {} ", HistoryError::Off), dim(th)).right_aligned(),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(flow) = selected else {
        return;
    };
    let flow = state.detailed(flow);
    let history = shown(state, &flow);
    if below && state.stored.on && inner.width > SIDE_CHART + SIDE_FIELDS {
        // Under the table the pane is a few lines high: the chart goes beside the fields.
        let [text, _, side] = Layout::horizontal([
            Constraint::Min(0),
            Constraint::Length(1),
            Constraint::Length(SIDE_CHART),
        ])
        .areas(inner);
        let lines = lines(state, &flow, usize::from(text.width));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
        let side_lines = match history {
            Shown::Chart(c) => compact_chart(c, th),
            Shown::Note(note) => vec![Line::styled(note, dim(th))],
        };
        frame.render_widget(Paragraph::new(side_lines).wrap(Wrap { trim: false }), side);
        return;
    }
    let w = usize::from(inner.width);
    let mut lines = lines(state, &flow, w);
    if below && !state.stored.on {
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    // The fields' height once wrapped, near enough to size the chart to the room left.
    let used: usize = lines.iter().map(|l| l.width().div_ceil(w).max(1)).sum();
    let room = usize::from(inner.height).saturating_sub(used);
    lines.push(Line::raw(""));
    match history {
        Shown::Note(note) => lines.push(Line::styled(note, dim(th))),
        Shown::Chart(c) if room >= 12 => lines.extend(full_chart(state, c, w)),
        Shown::Chart(c) if room >= 8 => lines.extend(compact_chart(c, th)),
        Shown::Chart(c) => lines.push(Line::raw(comparison(c))),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// What the pane shows of the flow's history: a chart, or why there is none.
enum Shown<'a> {
    Chart(&'a Chart),
    Note(String),
}

fn shown<'a>(state: &'a State, flow: &Flow) -> Shown<'a> {
    if !state.stored.on {
        return Shown::Note(HistoryError::Off.to_string());
    }
    let key = key_of(state, flow);
    let Some(d) = state.stored.detail.as_ref().filter(|d| d.flow == key) else {
        return Shown::Note("reading the history…".to_owned());
    };
    match &d.chart {
        Err(e) => Shown::Note(e.to_string()),
        Ok(c) if c.is_empty() => Shown::Note(match c.recording_since {
            Some(t) => format!(
                "no history of this flow yet · recording since {}",
                chart::when(t, state.now, &state.ctx.tz)
            ),
            None => "no history of this flow yet: nothing recorded here so far".to_owned(),
        }),
        Ok(c) => Shown::Chart(c),
    }
}

fn comparison(c: &Chart) -> String {
    c.comparison
        .as_ref()
        .map_or_else(String::new, chart::comparison_line)
}

/// Sent and failed of each slot, `None` where no reading fell.
fn series(c: &Chart) -> (Vec<Option<i64>>, Vec<Option<i64>>) {
    c.slots
        .iter()
        .map(|s| {
            let i = s.interval.as_ref();
            (i.map(|i| i.sent), i.map(|i| i.failed))
        })
        .unzip()
}

/// Rows of bars with the largest value on the first: `  130▕▂▃▅▇`.
fn bar_lines(
    values: &[Option<i64>],
    rows: usize,
    label: usize,
    columns: Columns,
    th: &Theme,
) -> Vec<Line<'static>> {
    let max = values.iter().flatten().copied().max().unwrap_or(0);
    bars(values, rows)
        .into_iter()
        .enumerate()
        .map(|(r, cells)| {
            let y = if r == 0 {
                chart::short(max)
            } else {
                String::new()
            };
            Line::from(vec![
                Span::styled(format!("{y:>label$}▕"), dim(th)),
                Span::raw(columns.text(&cells, 0..cells.len())),
            ])
        })
        .collect()
}

/// Seven lines, 29 columns: the chart beside the fields under the table.
fn compact_chart(c: &Chart, th: &Theme) -> Vec<Line<'static>> {
    let (sent, failed) = series(c);
    let mut out = vec![Line::styled("sent / hour, last 24 h", dim(th))];
    let columns = Columns::new(c.slots.len(), c.slots.len(), 1);
    out.extend(bar_lines(&sent, 2, 4, columns, th));
    out.push(Line::styled("failed / hour", dim(th)));
    out.extend(bar_lines(&failed, 1, 4, columns, th));
    if let Some(cmp) = &c.comparison {
        out.extend(chart::comparison_lines(cmp).map(Line::raw));
    }
    out
}

/// Twelve lines under the fields: today against yesterday, sent and failed with a time axis.
fn full_chart(state: &State, c: &Chart, width: usize) -> Vec<Line<'static>> {
    let th = &state.theme;
    let (sent, failed) = series(c);
    let columns = Columns::new(c.slots.len(), width.saturating_sub(5), 3);
    let (s, f) = c.totals();
    let mut out = vec![
        Line::styled(
            format!(
                "Last 24 hours · sent {} · failed {}",
                grouped(s),
                grouped(f)
            ),
            bold(),
        ),
        Line::raw(comparison(c)),
        Line::styled("sent per hour", dim(th)),
    ];
    out.extend(bar_lines(&sent, 4, 4, columns, th));
    out.push(Line::styled("failed per hour", dim(th)));
    out.extend(bar_lines(&failed, 2, 4, columns, th));
    let axis = chart::axis(
        &c.slots,
        &state.ctx.tz,
        columns,
        width.saturating_sub(5),
        |z| (z.hour() % 6 == 0).then(|| z.strftime("%H:%M").to_string()),
    );
    out.push(Line::styled(format!("     {axis}"), dim(th)));
    out
}

fn missing(th: &Theme) -> Span<'static> {
    Span::styled(MISSING, dim(th))
}

fn lines(state: &State, f: &Flow, width: usize) -> Vec<Line<'static>> {
    let th = &state.theme;
    let mut out = Vec::new();
    let status = if state.toggling.contains_key(&f.id) {
        Span::styled("◐ switching", th.style(Role::Switching))
    } else if f.enabled {
        Span::styled("● enabled", th.style(Role::Enabled))
    } else {
        Span::styled("○ disabled", th.style(Role::Disabled))
    };
    let status_w = status.width();
    out.push(Line::from(vec![
        Span::styled(fit(&f.name, width.saturating_sub(status_w + 1)), bold()),
        Span::raw(" "),
        status,
    ]));
    // Why the flow cannot be changed comes right under its name: on a short terminal the
    // pane's last lines are cut, and this is the line that explains refused keys.
    if let Some(reason) = state.row_block_reason(f) {
        out.push(Line::styled(format!("⊘ {reason}"), th.style(Role::Failed)));
    }
    if state.stored.on && state.server == ServerKind::Shipped {
        out.push(Line::styled(
            "history tells flows apart by creation time and name (no flow ids here)",
            dim(th),
        ));
    }
    out.push(counters_line(state, f));
    // With more than 1000 flows loaded, rows are read a 1000-page at a time: say how old this
    // one's counters are.
    if state.all_loaded
        && !state.live_all()
        && let Some(at) = state
            .view
            .get(state.cursor)
            .and_then(|&i| state.row_read_at(i))
    {
        out.push(Line::styled(
            format!("counters read {}", ago(state.now, at)),
            dim(th),
        ));
    }
    let share = f
        .failure_share()
        .map_or_else(String::new, |s| format!(" ({:.1} %)", s * 100.0));
    out.push(Line::from(vec![
        Span::raw(format!("pending {}   ", show(f.pending))),
        Span::raw(format!("failed {}{share}", show(f.failed))),
    ]));
    let wait = match (f.wait_time, f.wait_unit) {
        // A wait the server should never hold reads as what it is, and says so.
        (Some(t), Some(u)) if !(1..=i64::from(u.max())).contains(&t) => Span::styled(
            format!(
                "wait {t} {} (outside 1 to {} {})",
                u.words(t),
                u.max(),
                u.as_str()
            ),
            th.style(Role::Switching),
        ),
        (Some(t), Some(u)) => Span::raw(format!("wait {t} {}", u.words(t))),
        _ => Span::styled(format!("wait {MISSING}"), dim(th)),
    };
    let segment = match f.segment {
        None => Span::styled(format!("segment {MISSING}"), dim(th)),
        Some(SegmentRef::All) => Span::raw("segment All contacts"),
        Some(SegmentRef::Saved(id)) => Span::raw(format!(
            "segment {}",
            state
                .segment(id)
                .map_or_else(|| format!("#{id}"), |s| s.name.clone())
        )),
    };
    out.push(Line::from(vec![wait, Span::raw(" · "), segment]));
    out.push(device_line(state, f));
    let mut times = vec![Span::raw("last sent ")];
    times.push(
        f.last_sent
            .map_or_else(|| Span::raw("never"), |t| Span::raw(ago(state.now, t))),
    );
    times.push(Span::raw(" · created "));
    times.push(f.created.map_or_else(
        || missing(th),
        |t| {
            Span::raw(
                t.to_zoned(state.ctx.tz.clone())
                    .strftime("%Y-%m-%d")
                    .to_string(),
            )
        },
    ));
    out.push(Line::from(times));
    out.push(content_line(f, th));
    if let Some(t) = f.last_changed {
        out.push(Line::from(format!(
            "edited {} ({})",
            t.to_zoned(state.ctx.tz.clone()).strftime("%Y-%m-%d %H:%M"),
            ago(state.now, t)
        )));
    }
    out
}

/// `content (51 chars, 1 SMS): …`, or that the server did not send it.
fn content_line(f: &Flow, th: &Theme) -> Line<'static> {
    match &f.content {
        Some(c) => {
            let m = sms::measure(c);
            let enc = match m.encoding {
                sms::Encoding::Gsm7 => "",
                sms::Encoding::Ucs2 => ", UCS-2",
            };
            let parts = if m.parts == 1 { "SMS" } else { "SMS parts" };
            Line::from(vec![
                Span::styled(
                    format!("content ({} chars, {} {parts}{enc}): ", m.chars, m.parts),
                    dim(th),
                ),
                Span::raw(crate::domain::clean::show_breaks(c)),
            ])
        }
        None => Line::from(vec![Span::raw("content "), missing(th)]),
    }
}

fn show(v: Option<i64>) -> String {
    v.map_or_else(|| MISSING.to_owned(), |n| n.max(0).to_string())
}

fn counters_line(state: &State, f: &Flow) -> Line<'static> {
    let th = &state.theme;
    let Some(sent) = f.sent else {
        return Line::from(vec![Span::raw("sent "), missing(th)]);
    };
    let mut spans = vec![Span::raw(format!("sent {}", sent.max(0)))];
    if let Some(base) = state.baseline.get(&f.row_key()) {
        spans.push(Span::styled(
            format!(" ({:+} since launch)", sent - base),
            dim(th),
        ));
    }
    let spark = sparkline(state, f);
    if !spark.is_empty() {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(spark, th.style(Role::Accent)));
    }
    Line::from(spans)
}

/// One bar per interval between readings, scaled to the busiest interval.
fn sparkline(state: &State, f: &Flow) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let Some(h) = state.history.get(&f.row_key()) else {
        return String::new();
    };
    let steps: Vec<i64> = h
        .iter()
        .zip(h.iter().skip(1))
        .map(|(a, b)| (b.1 - a.1).max(0))
        .collect();
    let max = steps.iter().copied().max().unwrap_or(0);
    if steps.is_empty() {
        return String::new();
    }
    steps
        .iter()
        .rev()
        .take(16)
        .rev()
        .map(|&s| {
            if max == 0 {
                BARS[0]
            } else {
                BARS[((s * 7) / max) as usize]
            }
        })
        .collect()
}

fn device_line(state: &State, f: &Flow) -> Line<'static> {
    let th = &state.theme;
    let Some(device_id) = f.device_id else {
        return Line::from(vec![Span::raw("device "), missing(th)]);
    };
    if device_id == 0 {
        return Line::from(vec![
            Span::raw("device "),
            Span::styled("none: this flow sends nothing", th.style(Role::Failed)),
        ]);
    }
    let device = state.device(device_id);
    let name = device.map_or_else(|| format!("#{device_id}"), |d| d.name.clone());
    let sim = match f.sim_subscription_id {
        None => MISSING.to_owned(),
        Some(s) => device
            .and_then(|d| d.sims.as_ref())
            .and_then(|sims| sims.iter().find(|x| x.subscription_id == s))
            .map_or_else(|| format!("#{s}"), crate::domain::SimCard::label),
    };
    Line::from(format!("device {name} · {sim}"))
}
