//! Dialogs: delete, conflict, help.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{bold, dim, fit, popup};
use crate::api::Conflict;
use crate::app::State;
use crate::app::keymap::KEYMAP;
use crate::domain::Flow;

fn framed(title: &str, color: Color) -> Block<'_> {
    Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(Style::new().fg(color))
}

pub fn delete(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &State,
    flow: &Flow,
    typed: &tui_input::Input,
) {
    let r = popup(frame, area, 70, if state.ctx.production { 7 } else { 5 });
    let block = framed(" Delete ", Color::Red);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let name = fit(&flow.name, usize::from(inner.width).saturating_sub(30));
    let mut lines = Vec::new();
    if state.ctx.production {
        lines.push(Line::from(vec![Span::styled(
            format!("Delete flow {} \"{name}\"?", flow.id),
            bold(),
        )]));
        lines.push(Line::from(
            "This is a production profile: type the flow's name, then Enter.",
        ));
        lines.push(Line::from(vec![
            Span::styled("name: ", dim()),
            Span::raw(typed.value().to_owned()),
        ]));
        lines.push(Line::styled("Esc cancels", dim()));
        let x = inner.x + 6 + u16::try_from(typed.visual_cursor()).unwrap_or(0);
        frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), inner.y + 2));
    } else {
        lines.push(Line::from(vec![Span::styled(
            format!("Delete flow {} \"{name}\"? y/N", flow.id),
            bold(),
        )]));
        lines.push(Line::styled(
            "Its pending SMS are not cancelled by the server.",
            dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn conflict(frame: &mut Frame<'_>, area: Rect, conflict: &Conflict) {
    let h = 6 + u16::try_from(conflict.changes.len()).unwrap_or(10);
    let r = popup(frame, area, 78, h);
    let block = framed(" Conflict ", Color::Yellow);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let col = usize::from(inner.width.saturating_sub(12)) / 2;
    let mut lines = vec![
        Line::styled(
            "Conflict: this flow changed on the server",
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        Line::from(vec![
            Span::styled(format!("{:<11}", "field"), dim()),
            Span::styled(format!("{:<col$} ", "theirs"), dim()),
            Span::styled("mine (as you saw it)", dim()),
        ]),
    ];
    for c in &conflict.changes {
        lines.push(Line::from(vec![
            Span::raw(format!("{:<11}", c.field)),
            Span::raw(format!("{:<col$} ", fit(&c.theirs, col))),
            Span::raw(fit(&c.seen, col)),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled("m", bold()),
        Span::raw(" keep mine (write my changes over theirs) · "),
        Span::styled("t", bold()),
        Span::raw(" take theirs · "),
        Span::styled("Esc", bold()),
        Span::raw(" cancel"),
    ]));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

pub fn help(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let n = KEYMAP.len();
    // One column when it fits, two side by side on short terminals.
    let two = area.height < u16::try_from(n).unwrap_or(u16::MAX) + 8;
    let rows = if two { n.div_ceil(2) } else { n };
    let h = u16::try_from(rows).unwrap_or(30) + 5;
    let r = popup(frame, area, if two { 78 } else { 72 }, h);
    let block = framed(" Help ", Color::Cyan);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let cell = |i: usize, width: usize| -> Vec<Span<'static>> {
        KEYMAP.get(i).map_or_else(Vec::new, |(keys, _, what)| {
            vec![
                Span::styled(format!("{keys:<10}"), bold()),
                Span::raw(format!(
                    "{:<w$}",
                    fit(what, width.saturating_sub(10)),
                    w = width - 10
                )),
            ]
        })
    };
    let col = if two {
        usize::from(inner.width) / 2
    } else {
        usize::from(inner.width)
    };
    let mut lines: Vec<Line<'_>> = (0..rows)
        .map(|i| {
            let mut spans = cell(i, col);
            if two {
                spans.extend(cell(i + rows, col));
            }
            Line::from(spans)
        })
        .collect();
    lines.push(Line::from(""));
    let log = state
        .ctx
        .log_path
        .as_ref()
        .map_or_else(|| "not written".to_owned(), |p| p.display().to_string());
    lines.push(Line::from(vec![
        Span::styled("log  ", dim()),
        Span::raw(log),
    ]));
    lines.push(Line::styled("any key closes this help", dim()));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
