//! The header line (where, which mode, budget, live state, age) and the info line (filter,
//! sort, page).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Role;
use super::{bold, dim};
use crate::api::ServerKind;
use crate::app::{Link, Mode, State};

pub fn draw(frame: &mut Frame<'_>, head: Rect, info: Rect, state: &State) {
    let th = &state.theme;
    let bar = th.style(Role::Header);
    let width = usize::from(head.width);
    let parts = head_parts(state, width);
    let mut left = vec![Span::styled(" flowdash", bar.add_modifier(Modifier::BOLD))];
    for text in parts.place {
        left.push(Span::styled(format!(" · {text}"), bar));
    }
    for (word, danger) in markers(state) {
        let style = if danger {
            th.style(Role::Production)
        } else {
            th.style(Role::Marker)
        };
        left.push(Span::styled(" ", bar));
        left.push(Span::styled(
            format!(" {word} "),
            style.add_modifier(Modifier::BOLD),
        ));
    }
    let right = Span::styled(format!("{} ", parts.right.join(" · ")), bar);
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
            Span::styled("▏", th.style(Role::Warning)),
            Span::styled("  Enter keeps · Esc clears", dim(th)),
        ]),
        _ if state.filter.is_active() => Line::from(vec![
            Span::styled(" / ", bold()),
            Span::raw(state.filter.applied.clone()),
            Span::styled(format!("  {} · Esc clears", match_count(state)), dim(th)),
        ]),
        _ if state.ctx.demo => Line::from(Span::styled(
            if info.width >= 110 {
                " demo data · set FLOWDASH_API_KEY to connect your account"
            } else {
                " demo data · set FLOWDASH_API_KEY"
            },
            dim(th),
        )),
        _ => Line::from(""),
    };
    let wide = info.width >= 120;
    // The filter's words come first; the sort's hint gives way when the line is short.
    let room = usize::from(info.width).saturating_sub(left.width() + 1);
    let mut right = format!("{}   {} ", sort_part(state, true), page_part(state, wide));
    if right.chars().count() > room {
        right = format!("{}   {} ", sort_part(state, false), page_part(state, wide));
    }
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

/// The header's texts that fit in `width`: where (host, profile) on the left after the name,
/// and `alerts 2 · budget 23/30 · live 3s · 2s old` on the right. When the line is too narrow
/// the least needed go first: profile, host, `alerts N`, budget, then the age; the markers and
/// the live state stay (DESIGN §2).
struct HeadParts {
    place: Vec<String>,
    right: Vec<String>,
}

fn head_parts(state: &State, width: usize) -> HeadParts {
    let markers: usize = markers(state)
        .iter()
        .map(|(w, _)| w.chars().count() + 3)
        .sum();
    let budget = state
        .budget
        .as_ref()
        .map(|b| format!("budget {}/{}", b.left, b.share));
    let age = age_part(state);
    let live = live_state(state);
    let host = (!state.ctx.host.is_empty()).then(|| state.ctx.host.clone());
    let profile = state.ctx.profile.clone();
    let alerts =
        (!state.alerts.firing.is_empty()).then(|| format!("alerts {}", state.alerts.firing.len()));
    let marked = (!state.marks.is_empty()).then(|| format!("{} marked", state.marks.len()));
    // In the order they are given up: profile, host, alerts, budget, age; `N marked` goes
    // after alerts and before the budget (DESIGN §2).
    let mut keep = [true; 6];
    loop {
        let place: Vec<String> = [(&host, keep[1]), (&profile, keep[0])]
            .into_iter()
            .filter_map(|(t, k)| t.clone().filter(|_| k))
            .collect();
        let right: Vec<String> = [
            (marked.clone(), keep[5]),
            (alerts.clone(), keep[2]),
            (budget.clone(), keep[3]),
            (Some(live.clone()), true),
        ]
        .into_iter()
        .chain([(age.clone(), keep[4])])
        .filter_map(|(t, k)| t.filter(|_| k))
        .collect();
        let used = " flowdash".len()
            + place.iter().map(|t| t.chars().count() + 3).sum::<usize>()
            + markers
            + right.iter().map(|t| t.chars().count() + 3).sum::<usize>()
            + 1;
        // Given up in this order: profile, host, alerts, marked, budget, age.
        match [0, 1, 2, 5, 3, 4].into_iter().find(|&i| keep[i]) {
            Some(i) if used > width => keep[i] = false,
            _ => return HeadParts { place, right },
        }
    }
}

/// The markers, as words (never colour alone): `DEMO` wins over a profile's `PRODUCTION`, since
/// the demo server is not the production account whatever the profile says.
fn markers(state: &State) -> Vec<(&'static str, bool)> {
    let mut out = Vec::new();
    if state.ctx.demo {
        out.push(("DEMO", false));
    }
    if state.ctx.read_only || state.server == ServerKind::Shipped {
        out.push(("READ-ONLY", false));
    }
    if state.ctx.production && !state.ctx.demo {
        out.push(("PRODUCTION", true));
    }
    out
}

/// `3 of 25 on this page`, or `3 matches` once every flow is loaded.
fn match_count(state: &State) -> String {
    let n = state.view.len();
    if state.all_loaded {
        format!("{n} {}", if n == 1 { "match" } else { "matches" })
    } else {
        format!("{n} of {} on this page", state.flows.len())
    }
}

/// `sort: failed ↓ (this page) · A loads all`: the API does not sort, so a sort of one page
/// says so while there are other pages.
fn sort_part(state: &State, hint: bool) -> String {
    let label = format!("sort: {}", state.sort.label());
    let more_pages = state.pages().is_some_and(|p| p > 1) || state.total_pages.is_none();
    if state.sort.key.is_some() && !state.all_loaded && more_pages {
        let hint = if hint { " · A loads all" } else { "" };
        format!("{label} (this page){hint}")
    } else {
        label
    }
}

fn age_part(state: &State) -> Option<String> {
    if let Some(at) = state.snapshot_at {
        return Some(format!("data {} old", super::age(state.now, at)));
    }
    if state.all_loaded && !state.live_all() {
        // Rows are read a 1000-page at a time: the oldest row on screen tells the truth.
        let oldest = state
            .visible_chunks()
            .iter()
            .filter_map(|p| state.chunk_at.get(p))
            .min()
            .copied()?;
        let secs = (state.now - oldest).get_seconds().max(0);
        return Some(format!("rows up to {secs}s old"));
    }
    if let Some(at) = state.loaded_at {
        let secs = (state.now - at).get_seconds().max(0);
        Some(format!("{secs}s old"))
    } else if state.loading {
        Some("loading".to_owned())
    } else {
        None
    }
}

/// What live updates are doing now (DESIGN §2): never `live` when nothing live arrives.
fn live_state(state: &State) -> String {
    let cooldown = state.budget.as_ref().and_then(|b| b.cooldown);
    if let Some(c) = cooldown {
        format!(
            "rate limited · {}s",
            c.as_secs() + u64::from(c.subsec_nanos() > 0)
        )
    } else if state.snapshot_at.is_some() {
        // The history's snapshot until the server answers; the age follows.
        if state.link == Link::Failing {
            "server failing"
        } else {
            "offline"
        }
        .to_owned()
    } else if state.link == Link::Offline {
        "offline · retrying".to_owned()
    } else if state.link == Link::Failing {
        "server failing · retrying".to_owned()
    } else if state.paused {
        "paused".to_owned()
    } else if state.idle {
        "idle: slowed".to_owned()
    } else if state.budget.as_ref().is_some_and(|b| b.polling_held) {
        "held: budget".to_owned()
    } else if let Some(every) = state.poll_every {
        format!("live {}s", every.as_secs())
    } else {
        "live".to_owned()
    }
}
