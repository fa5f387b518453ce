//! `m`: the selected flow's messages, failures grouped by error; `F`: the latest failures of
//! every flow, grouped by error and by flow; one message whole on `Enter` (DESIGN §16). Every
//! text here was cleaned when it was read.

use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::{Role, Theme};
use super::{dim, full_view};
use crate::app::State;
use crate::app::messages::{MessagesView, Scope};
use crate::domain::message::{Message, SmsStatus};
use crate::domain::phone_error;

fn clock(t: Option<jiff::Timestamp>, tz: &TimeZone) -> String {
    t.map_or_else(
        || "--:--:--".to_owned(),
        |t| t.to_zoned(tz.clone()).strftime("%H:%M:%S").to_string(),
    )
}

fn status_style(status: &SmsStatus, th: &Theme) -> Style {
    match status {
        SmsStatus::Failed => th.style(Role::Failed),
        SmsStatus::Pending => th.style(Role::Warning),
        SmsStatus::Sent => th.style(Role::Enabled),
        _ => Style::new(),
    }
}

/// `36 of the newest 1000 messages, back to 10:42 · 4 requests` (`36 failed of …` for `F`)
fn summary(view: &MessagesView, tz: &TimeZone) -> String {
    let Some(read) = &view.read else {
        return view.error.as_ref().map_or_else(
            || "reading the newest messages…".to_owned(),
            |e| format!("could not read the messages: {e}"),
        );
    };
    let back = read
        .messages
        .last()
        .and_then(|m| m.time)
        .map(|t| format!(", back to {}", t.to_zoned(tz.clone()).strftime("%H:%M")))
        .unwrap_or_default();
    let plural = if read.requests == 1 { "" } else { "s" };
    let older = if read.capped {
        " (older ones not read)"
    } else {
        ""
    };
    let failed = match view.scope {
        Scope::Flow { .. } => "",
        Scope::Every { .. } => " failed",
    };
    format!(
        "{}{failed} of the newest {} messages{back} · {} request{plural}{older}",
        read.messages.len(),
        read.scanned,
        read.requests
    )
}

/// Columns of the flow in a row of `F`.
const FLOW_COLUMNS: usize = 26;

/// `flow 7 Welcome series`, the name where the flow is loaded.
fn flow_label(scope: &Scope, id: u64) -> String {
    scope
        .name_of(id)
        .map_or_else(|| format!("flow {id}"), |name| format!("flow {id} {name}"))
}

fn row<'a>(
    m: &'a Message,
    view: &MessagesView,
    tz: &TimeZone,
    selected: bool,
    th: &Theme,
) -> Line<'a> {
    let mut spans = vec![Span::styled(format!("{}  ", clock(m.time, tz)), dim(th))];
    if let Scope::Every { .. } = view.scope {
        // By columns: a name may hold wide characters.
        let label = crate::domain::width::fit(&flow_label(&view.scope, m.flow_id), FLOW_COLUMNS);
        let pad = FLOW_COLUMNS + 2 - unicode_width::UnicodeWidthStr::width(label.as_str());
        spans.push(Span::raw(format!("{label}{}", " ".repeat(pad))));
    }
    spans.extend([
        Span::raw(format!("contact {:<7} ", m.contact_id)),
        Span::styled(
            format!("{} {:<8} ", m.status.glyph(), m.status.word()),
            status_style(&m.status, th),
        ),
    ]);
    // `F` rows carry the flow: the code alone fits, its words are in the groups above.
    let error = match view.scope {
        Scope::Flow { .. } => m.error_explained(),
        Scope::Every { .. } => m.error.clone(),
    };
    if let Some(error) = error {
        spans.push(Span::raw(error));
    }
    let line = Line::from(spans);
    if selected {
        line.style(Style::new().add_modifier(Modifier::REVERSED))
    } else {
        line
    }
}

/// One message whole.
fn whole<'a>(m: &'a Message, scope: &Scope, tz: &TimeZone, th: &Theme) -> Vec<Line<'a>> {
    let time = |t: Option<jiff::Timestamp>| {
        t.map_or_else(
            || "—".to_owned(),
            |t| {
                t.to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()
            },
        )
    };
    let mut lines = vec![
        Line::from(format!(
            "SMS {} · {} · contact {}",
            m.sms_id,
            flow_label(scope, m.flow_id),
            m.contact_id
        )),
        Line::styled(
            format!("{} {}", m.status.glyph(), m.status.word()),
            status_style(&m.status, th),
        ),
        Line::from(format!(
            "scheduled {} · last change {}",
            time(m.scheduled),
            time(m.time)
        )),
    ];
    if let Some(error) = m.error_explained() {
        lines.push(Line::from(format!("error: {error}")));
    }
    lines.push(Line::from(""));
    lines.extend(m.content.lines().map(Line::from));
    lines
}

/// The failure groups: by error, and for `F` by flow as well.
fn groups(view: &MessagesView, lines: &mut Vec<Line<'_>>, th: &Theme) {
    let failures = view.failures();
    if failures.is_empty() {
        return;
    }
    lines.push(Line::styled("failures by error:", th.style(Role::Error)));
    for (code, count) in &failures {
        let words = phone_error::explain(code)
            .map(|w| format!("  {w}"))
            .unwrap_or_default();
        lines.push(Line::from(format!("  {code} × {count}{words}")));
    }
    if let Scope::Every { .. } = view.scope {
        lines.push(Line::styled("failures by flow:", th.style(Role::Error)));
        for (flow, count) in view.failures_by_flow() {
            let label = flow_label(&view.scope, flow);
            lines.push(Line::from(format!("  {label} × {count}")));
        }
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, view: &MessagesView) {
    let th = &state.theme;
    let r = full_view(frame, area);
    let title = match &view.scope {
        Scope::Flow { id, name } => format!(" Messages of flow {id} {name} "),
        Scope::Every { .. } => " Latest failures of every flow ".to_owned(),
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let tz = &state.ctx.tz;
    if view.open
        && let Some(m) = view.selected()
    {
        frame.render_widget(
            Paragraph::new(whole(m, &view.scope, tz, th)).wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    let mut lines = vec![Line::styled(summary(view, tz), dim(th))];
    groups(view, &mut lines, th);
    lines.push(Line::from(""));
    let room = usize::from(inner.height).saturating_sub(lines.len()).max(1);
    let skip = view.cursor.saturating_sub(room - 1);
    lines.extend(
        view.messages()
            .iter()
            .enumerate()
            .skip(skip)
            .take(room)
            .map(|(i, m)| row(m, view, tz, i == view.cursor, th)),
    );
    frame.render_widget(Paragraph::new(lines), inner);
}
