//! The detail pane: every field of the selected flow, by name, with counters since launch and
//! a send-rate sparkline from successive readings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{ago, bold, dim, fit};
use crate::api::ServerKind;
use crate::app::State;
use crate::domain::{Flow, SegmentRef, sms};

const MISSING: &str = "not provided by this server";

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let block = Block::default().borders(Borders::ALL).title(" Detail ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(flow) = state.selected_flow() else {
        return;
    };
    let flow = state.detailed(flow);
    let w = usize::from(inner.width);
    let lines = lines(state, &flow, w);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn missing() -> Span<'static> {
    Span::styled(MISSING, dim())
}

fn lines(state: &State, f: &Flow, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let status = if state.toggling.contains_key(&f.id) {
        Span::styled("◐ switching", Style::new().fg(Color::Yellow))
    } else if f.enabled {
        Span::styled("● enabled", Style::new().fg(Color::Green))
    } else {
        Span::styled("○ disabled", dim())
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
        out.push(Line::styled(
            format!("⊘ {reason}"),
            Style::new().fg(Color::Red),
        ));
    }
    if state.recording && state.server == ServerKind::Shipped {
        out.push(Line::styled(
            "history tells flows apart by creation time and name (no flow ids here)",
            dim(),
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
            dim(),
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
            Style::new().fg(Color::Yellow),
        ),
        (Some(t), Some(u)) => Span::raw(format!("wait {t} {}", u.words(t))),
        _ => Span::styled(format!("wait {MISSING}"), dim()),
    };
    let segment = match f.segment {
        None => Span::styled(format!("segment {MISSING}"), dim()),
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
    times.push(f.created.map_or_else(missing, |t| {
        Span::raw(
            t.to_zoned(state.ctx.tz.clone())
                .strftime("%Y-%m-%d")
                .to_string(),
        )
    }));
    out.push(Line::from(times));
    out.push(content_line(f));
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
fn content_line(f: &Flow) -> Line<'static> {
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
                    dim(),
                ),
                Span::raw(crate::domain::clean::show_breaks(c)),
            ])
        }
        None => Line::from(vec![Span::raw("content "), missing()]),
    }
}

fn show(v: Option<i64>) -> String {
    v.map_or_else(|| MISSING.to_owned(), |n| n.max(0).to_string())
}

fn counters_line(state: &State, f: &Flow) -> Line<'static> {
    let Some(sent) = f.sent else {
        return Line::from(vec![Span::raw("sent "), missing()]);
    };
    let mut spans = vec![Span::raw(format!("sent {}", sent.max(0)))];
    if let Some(base) = state.baseline.get(&f.row_key()) {
        spans.push(Span::styled(
            format!(" ({:+} since launch)", sent - base),
            dim(),
        ));
    }
    let spark = sparkline(state, f);
    if !spark.is_empty() {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(spark, Style::new().fg(Color::Cyan)));
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
    let Some(device_id) = f.device_id else {
        return Line::from(vec![Span::raw("device "), missing()]);
    };
    if device_id == 0 {
        return Line::from(vec![
            Span::raw("device "),
            Span::styled("none: this flow sends nothing", Style::new().fg(Color::Red)),
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
