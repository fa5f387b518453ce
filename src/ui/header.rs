//! The header line (where, which mode, budget, live state, age) and the info line (filter,
//! sort, page).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{bold, dim};
use crate::api::ServerKind;
use crate::app::{Mode, State};

pub fn draw(frame: &mut Frame<'_>, head: Rect, info: Rect, state: &State) {
    let bar = Style::new().bg(Color::Blue).fg(Color::White);
    let mut left = vec![Span::styled(" flowdash", bar.add_modifier(Modifier::BOLD))];
    left.push(Span::styled(format!(" · {}", state.ctx.host), bar));
    if let Some(p) = &state.ctx.profile {
        left.push(Span::styled(format!(" · {p}"), bar));
    }
    let marker = Style::new()
        .bg(Color::Yellow)
        .fg(Color::Black)
        .add_modifier(Modifier::BOLD);
    let danger = Style::new()
        .bg(Color::Red)
        .fg(Color::White)
        .add_modifier(Modifier::BOLD);
    if state.ctx.demo {
        left.push(Span::styled(" ", bar));
        left.push(Span::styled(" DEMO ", marker));
    }
    if state.ctx.read_only || state.server == ServerKind::Shipped {
        left.push(Span::styled(" ", bar));
        left.push(Span::styled(" READ-ONLY ", marker));
    }
    if state.ctx.production {
        left.push(Span::styled(" ", bar));
        left.push(Span::styled(" PRODUCTION ", danger));
    }
    let right = Span::styled(format!("{} ", live_part(state)), bar);
    let rw = u16::try_from(right.width())
        .unwrap_or(u16::MAX)
        .min(head.width);
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(rw)]).areas(head);
    frame.render_widget(Paragraph::new(Line::from(left)).style(bar), l);
    frame.render_widget(Paragraph::new(Line::from(right)).style(bar), r);

    // The info line: filter (or the demo hint) on the left, sort and page on the right.
    let left: Line<'_> = match &state.mode {
        Mode::Filter => Line::from(vec![
            Span::styled(" / ", bold()),
            Span::raw(state.filter.input.value().to_owned()),
            Span::styled("▏", Style::new().fg(Color::Yellow)),
            Span::styled("  Enter keeps · Esc clears", dim()),
        ]),
        _ if state.filter.is_active() => Line::from(vec![
            Span::styled(" / ", bold()),
            Span::raw(state.filter.applied.clone()),
            Span::styled(format!("  {} match · Esc clears", state.view.len()), dim()),
        ]),
        _ if state.ctx.demo => Line::from(Span::styled(
            if info.width >= 110 {
                " demo data · set FLOWDASH_API_KEY to connect your account"
            } else {
                " demo data · set FLOWDASH_API_KEY"
            },
            dim(),
        )),
        _ => Line::from(""),
    };
    let wide = info.width >= 120;
    let right = format!("sort: {}   {} ", state.sort.label(), page_part(state, wide));
    let rw = u16::try_from(right.chars().count())
        .unwrap_or(u16::MAX)
        .min(info.width);
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(rw)]).areas(info);
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(right), r);
    if matches!(state.mode, Mode::Filter) {
        let x = l.x + 3 + u16::try_from(state.filter.input.visual_cursor()).unwrap_or(0);
        frame.set_cursor_position((x.min(l.right().saturating_sub(1)), l.y));
    }
}

fn page_part(state: &State, wide: bool) -> String {
    let total = state
        .total
        .map_or_else(String::new, |t| format!(" ({t} flows)"));
    if let Some((done, pages)) = state.loading_all {
        let of = pages.map_or_else(|| "?".to_owned(), |p| p.to_string());
        return format!("loading all: page {done}/{of}");
    }
    if state.all_loaded {
        return format!("all loaded{total}");
    }
    let pages = state
        .pages()
        .map_or_else(|| "?".to_owned(), |p| p.max(1).to_string());
    if wide {
        format!(
            "page {}/{pages}{total} · {} a page",
            state.page, state.page_size
        )
    } else {
        format!("page {}/{pages}{total}", state.page)
    }
}

/// `budget 23/30 · live 3s · 2s old`, with the states of DESIGN §2.
fn live_part(state: &State) -> String {
    let mut parts = Vec::new();
    if let Some(b) = &state.budget {
        parts.push(format!("budget {}/{}", b.left, b.share));
    }
    let cooldown = state.budget.as_ref().and_then(|b| b.cooldown);
    parts.push(if let Some(c) = cooldown {
        format!(
            "rate limited · {}s",
            c.as_secs() + u64::from(c.subsec_nanos() > 0)
        )
    } else if state.paused {
        "paused".to_owned()
    } else if state.all_loaded && !state.live_all() {
        "live off (all loaded)".to_owned()
    } else if state.idle {
        "idle: slowed".to_owned()
    } else if state.budget.as_ref().is_some_and(|b| b.polling_held) {
        "live held".to_owned()
    } else if let Some(every) = state.poll_every {
        format!("live {}s", every.as_secs())
    } else {
        "live".to_owned()
    });
    if let Some(at) = state.loaded_at {
        let secs = (state.now - at).get_seconds().max(0);
        parts.push(format!("{secs}s old"));
    } else if state.loading {
        parts.push("loading".to_owned());
    }
    parts.join(" · ")
}
