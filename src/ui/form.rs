//! The edit / new flow form, drawn over the dashboard.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::{Role, Theme};
use super::{dim, fit, popup};
use crate::app::State;
use crate::app::form::{FIELDS, FormState, field_label};
use crate::domain::validate::{CONTENT_MAX, Field, stored_len};
use crate::domain::{SegmentRef, sms};

const LABEL: u16 = 11;
const CONTENT_ROWS: u16 = 5;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, form: &FormState) {
    let th = &state.theme;
    let problems = form.problems.len() as u16;
    let h = 2 + 1 + CONTENT_ROWS + 7 + problems + 3 + u16::from(form.server_error.is_some()) * 2;
    let r = popup(frame, area, 78, h);
    let title = format!(" {} ", form.title());
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(th.style(Role::Accent));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let value_w = inner.width.saturating_sub(LABEL);
    let mut y = inner.y;
    for field in FIELDS {
        if y >= inner.bottom() {
            break;
        }
        let focused = form.focus == field;
        draw_label(frame, Rect::new(inner.x, y, LABEL, 1), field, focused, th);
        let value_area = Rect::new(inner.x + LABEL, y, value_w, 1);
        match field {
            Field::Content => {
                let height = CONTENT_ROWS.min(inner.bottom().saturating_sub(y));
                draw_content(
                    frame,
                    Rect {
                        height,
                        ..value_area
                    },
                    form,
                    focused,
                    th,
                );
                y += height;
            }
            Field::Name | Field::WaitTime => {
                draw_input(frame, value_area, form, field, focused, th);
            }
            _ => {
                let text = choice_text(state, form, field);
                let style = if focused {
                    th.style(Role::Accent)
                } else {
                    Style::new()
                };
                frame.render_widget(Paragraph::new(Span::styled(text, style)), value_area);
            }
        }
        y += 1;
        for p in form.problems_of(field) {
            if y >= inner.bottom() {
                break;
            }
            let style = if p.warning {
                th.style(Role::Warning)
            } else {
                th.style(Role::Error)
            };
            let mark = if p.warning { "⚠" } else { "✗" };
            frame.render_widget(
                Paragraph::new(Span::styled(format!("{mark} {}", p.message), style)),
                Rect::new(inner.x + LABEL, y, value_w, 1),
            );
            y += 1;
        }
    }
    draw_foot(frame, inner, y, state, form);
}

fn draw_label(frame: &mut Frame<'_>, area: Rect, field: Field, focused: bool, th: &Theme) {
    let label_style = if focused {
        th.style(Role::Accent).add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    let marker = if focused { "›" } else { " " };
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!("{marker}{}", field_label(field)),
            label_style,
        )),
        area,
    );
}

/// The message text in `area`, and its length in SMS on the line below it.
fn draw_content(frame: &mut Frame<'_>, area: Rect, form: &FormState, focused: bool, th: &Theme) {
    let mut ta = form.content.clone();
    ta.set_cursor_line_style(Style::new());
    if focused {
        ta.set_cursor_style(Style::new().add_modifier(Modifier::REVERSED));
    } else {
        ta.set_cursor_style(Style::new());
    }
    ta.set_style(th.style(Role::Input));
    ta.set_selection_style(th.style(Role::Selection));
    // Long lines wrap: an SMS is read whole, not through a sideways window.
    ta.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    frame.render_widget(&ta, area);
    let text = form.content_text();
    let m = sms::measure(&text);
    // Which character made the text UCS-2 (70 a part, not 160).
    let why = sms::first_ucs2(&text)
        .map(|c| format!(" (UCS-2: “{c}”)"))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit(
                &format!(
                    "{} chars · {} SMS{why} · {}/{CONTENT_MAX} as stored · Enter adds a line",
                    m.chars,
                    m.parts,
                    stored_len(&text)
                ),
                usize::from(area.width),
            ),
            dim(th),
        )),
        Rect::new(area.x, area.y + area.height, area.width, 1),
    );
}

/// A one-line input (the name, the wait time), with the cursor when it has the focus.
fn draw_input(
    frame: &mut Frame<'_>,
    value_area: Rect,
    form: &FormState,
    field: Field,
    focused: bool,
    th: &Theme,
) {
    let value_w = value_area.width;
    let input = if field == Field::Name {
        &form.name
    } else {
        &form.wait
    };
    let width = usize::from(value_w.saturating_sub(1));
    let scroll = input.visual_scroll(width);
    let shown: String = input.value().chars().skip(scroll).collect();
    let mut spans = vec![Span::styled(fit(&shown, width), th.style(Role::Input))];
    if field == Field::WaitTime {
        spans.push(Span::styled(
            format!("  1 to {} {}", form.unit.max(), form.unit.as_str()),
            dim(th),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), value_area);
    if focused && form.saving.is_none() {
        let x = u16::try_from(input.visual_cursor().saturating_sub(scroll)).unwrap_or(0);
        frame.set_cursor_position((value_area.x + x.min(value_w - 1), value_area.y));
    }
}

/// The server's error, the discard question or the save spinner, and the keys, from `y` down.
fn draw_foot(frame: &mut Frame<'_>, inner: Rect, y: u16, state: &State, form: &FormState) {
    let th = &state.theme;
    let mut foot = Vec::new();
    if let Some(e) = &form.server_error {
        foot.push(Line::styled(
            format!("not saved: {e}"),
            th.style(Role::Error),
        ));
    }
    if form.confirm_discard {
        foot.push(Line::styled(
            "Discard changes? y/n",
            th.style(Role::Warning).add_modifier(Modifier::BOLD),
        ));
    } else if form.saving.is_some() {
        let spin = super::status::spinner(state.spin);
        foot.push(Line::from(format!("{spin} saving…")));
    } else {
        foot.push(Line::styled(
            "Tab/Shift-Tab move · ←/→ change · Ctrl-S save · Esc cancel",
            dim(th),
        ));
    }
    let fh = u16::try_from(foot.len()).unwrap_or(1) * 2;
    let fy = inner.bottom().saturating_sub(fh).max(y);
    if fy < inner.bottom() {
        frame.render_widget(
            Paragraph::new(foot).wrap(ratatui::widgets::Wrap { trim: true }),
            Rect::new(inner.x, fy, inner.width, inner.bottom() - fy),
        );
    }
}

fn choice_text(state: &State, form: &FormState, field: Field) -> String {
    let device = form.device.and_then(|id| state.device(id));
    let text = match field {
        Field::Device => match (device, form.device) {
            (Some(d), _) => d.name.clone(),
            (None, Some(id)) => format!("#{id}"),
            (None, None) if state.devices.is_empty() => {
                "no device to offer: connect a phone in the web dashboard".to_owned()
            }
            (None, None) => "none".to_owned(),
        },
        Field::Sim => match form.sim {
            None => "none".to_owned(),
            Some(s) => device
                .and_then(|d| d.sims.as_ref())
                .and_then(|sims| sims.iter().find(|x| x.subscription_id == s))
                .map_or_else(|| format!("#{s}"), crate::domain::SimCard::label),
        },
        Field::WaitUnit => form.unit.as_str().to_owned(),
        Field::Segment => match form.segment {
            SegmentRef::All => "All contacts".to_owned(),
            SegmentRef::Saved(id) => state
                .segment(id)
                .map_or_else(|| format!("#{id}"), |s| s.name.clone()),
        },
        Field::Enabled => (if form.enabled {
            "[x] enabled"
        } else {
            "[ ] disabled"
        })
        .to_owned(),
        _ => String::new(),
    };
    if field == Field::Enabled {
        text
    } else {
        format!("‹ {text} ›")
    }
}
