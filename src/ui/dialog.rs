//! Dialogs: delete, conflict, help, the offer of a kept draft.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::Role;
use super::{bold, dim, fit, popup, popup_rect};
use crate::api::Conflict;
use crate::app::State;
use crate::app::draft::DraftOffer;
use crate::app::keymap::{BINDINGS, LEGEND, LEGEND_HEADING, OTHER_KEYS};
use crate::domain::Flow;

fn framed(title: &str, style: Style) -> Block<'_> {
    Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(style)
}

pub fn delete(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &State,
    flow: &Flow,
    typed: &tui_input::Input,
    refusal: Option<&str>,
) {
    let th = &state.theme;
    let r = popup(frame, area, 70, if state.ctx.production { 7 } else { 5 });
    let block = framed(" Delete ", th.style(Role::Error));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let width = usize::from(inner.width);
    let name = fit(&flow.name, width.saturating_sub(30));
    // Why the last answer was refused, in the dialog itself: it stays open until answered.
    let refused = Line::styled(
        fit(refusal.unwrap_or_default(), width),
        th.style(Role::Error),
    );
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
            Span::styled("name: ", dim(th)),
            Span::raw(typed.value().to_owned()),
        ]));
        lines.push(refused);
        lines.push(Line::styled("Esc cancels", dim(th)));
        let x = inner.x + 6 + u16::try_from(typed.visual_cursor()).unwrap_or(0);
        frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), inner.y + 2));
    } else {
        lines.push(Line::from(vec![Span::styled(
            format!("Delete flow {} \"{name}\"? y/N", flow.id),
            bold(),
        )]));
        lines.push(Line::styled(
            "Its pending SMS are not cancelled by the server.",
            dim(th),
        ));
        lines.push(refused);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A value of the conflict dialog on one line: the content's line breaks as ⏎ (as in the
/// detail pane), the edit time in the operator's zone like every other time on screen.
fn shown(state: &State, field: &str, value: &str) -> String {
    if field == "last edit"
        && let Ok(t) = value.parse::<jiff::Timestamp>()
    {
        return t
            .to_zoned(state.ctx.tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string();
    }
    crate::domain::clean::show_breaks(value)
}

pub fn conflict(frame: &mut Frame<'_>, area: Rect, state: &State, conflict: &Conflict) {
    let th = &state.theme;
    let h = 6 + u16::try_from(conflict.changes.len()).unwrap_or(10);
    let r = popup(frame, area, 78, h);
    let block = framed(" Conflict ", th.style(Role::Warning));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let col = usize::from(inner.width.saturating_sub(12)) / 2;
    let mut lines = vec![
        Line::styled(
            "Conflict: this flow changed on the server",
            th.style(Role::Warning).add_modifier(Modifier::BOLD),
        ),
        Line::from(vec![
            Span::styled(format!("{:<11}", "field"), dim(th)),
            Span::styled(format!("{:<col$} ", "theirs"), dim(th)),
            Span::styled("mine (as you saw it)", dim(th)),
        ]),
    ];
    for c in &conflict.changes {
        let theirs = shown(state, c.field, &c.theirs);
        let seen = shown(state, c.field, &c.seen);
        lines.push(Line::from(vec![
            Span::raw(format!("{:<11}", c.field)),
            Span::raw(format!("{:<col$} ", fit(&theirs, col))),
            Span::raw(fit(&seen, col)),
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

/// `a draft of flow 12 from 10:42 was kept: Enter restores, x drops`.
pub fn draft_offer(frame: &mut Frame<'_>, area: Rect, state: &State, offer: &DraftOffer) {
    let th = &state.theme;
    let r = popup(frame, area, 70, 6);
    let block = framed(" Draft ", th.style(Role::Warning));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let name = &offer.draft.current.name;
    let lines = vec![
        Line::styled(
            format!("{}: Enter restores, x drops", offer.text(state)),
            bold(),
        ),
        Line::from(vec![
            Span::styled("name: ", dim(th)),
            Span::raw(fit(name, usize::from(inner.width).saturating_sub(6))),
        ]),
        Line::styled(
            "Restoring reopens the form; nothing is sent until you save.",
            dim(th),
        ),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// One line of the help's list: a section's heading, or keys and what they do.
enum HelpItem {
    Heading(&'static str),
    Keys(String, &'static str),
}

/// The list's keys in force, the legend of the glyphs, then the form's, the dialogs' and the
/// views' keys.
fn help_items(state: &State) -> Vec<HelpItem> {
    let mut items: Vec<HelpItem> = BINDINGS
        .iter()
        .map(|b| HelpItem::Keys(state.ctx.keys.label(b.action), b.help))
        .collect();
    items.push(HelpItem::Heading(LEGEND_HEADING));
    items.extend(
        LEGEND
            .iter()
            .map(|(g, what)| HelpItem::Keys((*g).to_owned(), what)),
    );
    for (section, keys) in OTHER_KEYS {
        items.push(HelpItem::Heading(section));
        items.extend(
            keys.iter()
                .map(|(k, what)| HelpItem::Keys((*k).to_owned(), what)),
        );
    }
    items
}

/// The help, scrolled `scroll` lines down; its foot says when there is more than fits.
pub fn help(frame: &mut Frame<'_>, area: Rect, state: &State, scroll: u16) {
    let th = &state.theme;
    let items = help_items(state);
    // The widest keys and a space before their description.
    let keys_w = items
        .iter()
        .map(|i| match i {
            HelpItem::Keys(k, _) => k.chars().count(),
            HelpItem::Heading(_) => 0,
        })
        .max()
        .unwrap_or(0)
        + 1;
    let n = items.len();
    // One column when it fits, two side by side on short terminals, where a description that
    // does not fit its column goes on over more lines.
    let two = area.height < u16::try_from(n).unwrap_or(u16::MAX) + 8;
    let outer_w = if two { 78 } else { 72 };
    let inner_w = usize::from(popup_rect(area, outer_w, 1).width.saturating_sub(2));
    let col = if two { inner_w / 2 } else { inner_w };
    // The description's room, with a gap before the next column.
    let what_w = col.saturating_sub(keys_w + usize::from(two));
    let entries: Vec<Vec<Line<'static>>> = items
        .iter()
        .map(|item| match item {
            HelpItem::Heading(title) => {
                let title = fit(title, col);
                let pad = col.saturating_sub(usize::from(two) + title.chars().count());
                vec![Line::from(vec![
                    Span::styled(title, bold().add_modifier(Modifier::UNDERLINED)),
                    Span::raw(" ".repeat(pad)),
                ])]
            }
            HelpItem::Keys(keys, what) => wrap(what, what_w)
                .into_iter()
                .enumerate()
                .map(|(i, part)| {
                    let keys = if i == 0 { keys.as_str() } else { "" };
                    Line::from(vec![
                        Span::styled(format!("{keys:<keys_w$}"), bold()),
                        Span::raw(format!("{part:<what_w$}")),
                    ])
                })
                .collect(),
        })
        .collect();
    let headings: Vec<bool> = items
        .iter()
        .map(|i| matches!(i, HelpItem::Heading(_)))
        .collect();
    let lines = help_columns(entries, &headings, two, col);
    // The header above and the keys line below stay in sight.
    let h = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(5)
        .min(area.height.saturating_sub(4));
    let r = popup(frame, area, outer_w, h);
    let block = framed(" Help ", th.style(Role::Accent));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    // The foot (a blank line, the log, how to scroll and close) stays; the keys scroll.
    let body = Rect {
        height: inner.height.saturating_sub(3),
        ..inner
    };
    let total = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let end = total.saturating_sub(body.height);
    state.help_end.set(Some(end));
    let scroll = scroll.min(end);
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
    let log = state
        .ctx
        .log_path
        .as_ref()
        .map_or_else(|| "not written".to_owned(), |p| p.display().to_string());
    let hint = if total > body.height {
        format!(
            "lines {}–{} of {total}: ↓ ↑ PgDn PgUp scroll · q, Esc or ? closes",
            scroll + 1,
            (scroll + body.height).min(total)
        )
    } else {
        "q, Esc or ? closes this help".to_owned()
    };
    let foot = vec![
        Line::from(""),
        Line::from(vec![Span::styled("log  ", dim(th)), Span::raw(log)]),
        Line::styled(hint, dim(th)),
    ];
    let foot_area = Rect {
        y: body.y + body.height,
        height: inner.height - body.height,
        ..inner
    };
    frame.render_widget(Paragraph::new(foot).wrap(Wrap { trim: false }), foot_area);
}

/// The help's entries in one column, or two side by side split at the heading (`headings` says
/// which entries are) where they come out most even.
fn help_columns(
    entries: Vec<Vec<Line<'static>>>,
    headings: &[bool],
    two: bool,
    col: usize,
) -> Vec<Line<'static>> {
    let n = entries.len();
    let split = if two {
        let total: usize = entries.iter().map(Vec::len).sum();
        let mut acc = 0;
        entries
            .iter()
            .position(|e| {
                acc += e.len();
                acc * 2 >= total
            })
            .map_or(n, |i| i + 1)
    } else {
        n
    };
    // A section stays whole: the right column starts at the heading nearest the even split.
    let split = (0..n)
        .filter(|&i| two && i > 0 && headings.get(i) == Some(&true))
        .min_by_key(|&i| i.abs_diff(split))
        .unwrap_or(split);
    let mut entries = entries.into_iter();
    let left: Vec<Line<'static>> = entries.by_ref().take(split).flatten().collect();
    let right: Vec<Line<'static>> = entries.flatten().collect();
    let mut right = right.into_iter();
    let mut lines: Vec<Line<'static>> = left
        .into_iter()
        .map(|mut l| {
            if two {
                l.spans.push(Span::raw(" "));
                l.spans
                    .extend(right.next().map(|r| r.spans).unwrap_or_default());
            }
            l
        })
        .collect();
    lines.extend(right.map(|r| {
        let mut spans = vec![Span::raw(" ".repeat(col))];
        spans.extend(r.spans);
        Line::from(spans)
    }));
    lines
}

/// Greedy word wrap of `text` to `width` columns; a word longer than a line is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out.into_iter().map(|l| fit(&l, width)).collect()
}
