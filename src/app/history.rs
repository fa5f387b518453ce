//! The history of a flow on screen (DESIGN §13): the detail pane's last 24 hours and the `H`
//! view. What is asked of the store ([`HistoryAsk`], run off the UI task by the runner), its
//! answer cut into the time slots the charts draw ([`Chart`]), and the view's keys. Nothing
//! here reads the store: `update` stays pure.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::{Command, Mode, ReqId, State};
use crate::domain::Flow;
use crate::store::{Comparison, Every, FlowKey, Interval};

/// The detail pane's chart: this many hours, one bar an hour, the current hour last.
pub const DETAIL_HOURS: usize = 24;
/// A chart on screen is read again once its answer is this old: the store takes at most one
/// reading a flow a minute.
pub const HISTORY_REFRESH: SignedDuration = SignedDuration::from_secs(60);

/// The ranges of the `H` view, on keys `1`–`4`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HistoryRange {
    Hour,
    #[default]
    Day,
    Week,
    Month,
}

impl HistoryRange {
    pub const ALL: [HistoryRange; 4] = [
        HistoryRange::Hour,
        HistoryRange::Day,
        HistoryRange::Week,
        HistoryRange::Month,
    ];

    /// The range of key `1`–`4`.
    pub fn of_key(c: char) -> Option<HistoryRange> {
        let i = c.to_digit(10)?.checked_sub(1)?;
        HistoryRange::ALL.get(i as usize).copied()
    }

    /// `1 h`, `24 h`, `7 d`, `30 d`.
    pub fn label(self) -> &'static str {
        match self {
            HistoryRange::Hour => "1 h",
            HistoryRange::Day => "24 h",
            HistoryRange::Week => "7 d",
            HistoryRange::Month => "30 d",
        }
    }

    /// What one bar covers. Full resolution is kept for 48 hours, hourly readings after that,
    /// so the week and the month are cut in hours.
    pub fn every(self) -> Every {
        match self {
            HistoryRange::Hour => Every::Minutes(1),
            HistoryRange::Day => Every::Minutes(30),
            HistoryRange::Week => Every::Hours(3),
            HistoryRange::Month => Every::Hours(12),
        }
    }

    /// Bars in the range: at most 60, so that each gets a column at 80×24.
    pub fn slots(self) -> usize {
        match self {
            HistoryRange::Hour | HistoryRange::Month => 60,
            HistoryRange::Day => 48,
            HistoryRange::Week => 56,
        }
    }
}

/// `minute`, `30 min`, `hour`, `3 h`, `day`: what one bar covers, in words.
pub fn every_words(every: Every) -> String {
    match every {
        Every::Minutes(1) => "minute".to_owned(),
        Every::Minutes(n) => format!("{n} min"),
        Every::Hours(1) => "hour".to_owned(),
        Every::Hours(n) => format!("{n} h"),
        Every::Day => "day".to_owned(),
    }
}

/// What the runner reads from the store for one chart.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryAsk {
    pub flow: FlowKey,
    /// The account's user as the flow names it; `None`: the account last seen at the address.
    pub user_id: Option<u64>,
    /// The range read: (`from`, `to`].
    pub from: Timestamp,
    pub to: Timestamp,
    pub every: Every,
    pub tz: TimeZone,
    /// Today so far against yesterday up to the same time, too (the detail pane).
    pub compare: bool,
}

/// The store's answer to a [`HistoryAsk`].
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryData {
    /// Intervals with at least one reading, oldest first.
    pub intervals: Vec<Interval>,
    pub comparison: Option<Comparison>,
    /// Since when flowdash has been recording at this address.
    pub recording_since: Option<Timestamp>,
}

/// Why a chart has no data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryError {
    /// No history is kept (`--no-history`).
    Off,
    /// The store did not answer: history was turned off by a fault, or its writer is behind.
    Unavailable,
    /// The query failed, in the store's words (cleaned).
    Failed(String),
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::Off => f.write_str("history is off (--no-history)"),
            HistoryError::Unavailable => f.write_str("history cannot be read now"),
            HistoryError::Failed(e) => write!(f, "history cannot be read: {e}"),
        }
    }
}

/// One bar: a time slot and what the store holds for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    /// `None`: no reading fell in this slot.
    pub interval: Option<Interval>,
}

/// An answer cut into the slots a chart draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub every: Every,
    /// The time the range ends (when it was asked).
    pub to: Timestamp,
    pub slots: Vec<Slot>,
    pub comparison: Option<Comparison>,
    pub recording_since: Option<Timestamp>,
}

impl Chart {
    /// Nothing to draw: no reading in any slot and none today or yesterday.
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(|s| s.interval.is_none())
            && self
                .comparison
                .is_none_or(|c| c.today.is_none() && c.yesterday.is_none())
    }

    /// Sent and failed over the whole range.
    pub fn totals(&self) -> (i64, i64) {
        self.slots
            .iter()
            .filter_map(|s| s.interval.as_ref())
            .fold((0, 0), |(s, f), i| (s + i.sent, f + i.failed))
    }
}

/// The length of one `every` (a day is taken as 24 hours; the slots themselves follow the
/// local clock).
fn step(every: Every) -> SignedDuration {
    match every {
        Every::Minutes(n) => SignedDuration::from_mins(i64::from(n)),
        Every::Hours(n) => SignedDuration::from_hours(i64::from(n)),
        Every::Day => SignedDuration::from_hours(24),
    }
}

/// The starts and ends of `count` slots of `every` on `tz`'s clock, the last one holding
/// `to`. Each start is found from the instant before the next one, so a change of the clock
/// (summer time) makes a slot shorter or longer, never a slot skipped.
pub fn slot_bounds(
    every: Every,
    count: usize,
    to: Timestamp,
    tz: &TimeZone,
) -> Vec<(Timestamp, Timestamp)> {
    let mut starts = Vec::with_capacity(count);
    let mut start = every.start_of(to, tz);
    for _ in 0..count {
        starts.push(start);
        start = every.start_of(start - SignedDuration::from_secs(1), tz);
    }
    starts.reverse();
    let ends = starts
        .iter()
        .skip(1)
        .copied()
        .chain(starts.last().map(|&s| s + step(every)));
    starts.iter().copied().zip(ends).collect()
}

/// The question for `count` slots of `every` up to `to`.
fn ask(
    flow: FlowKey,
    user_id: Option<u64>,
    (every, count): (Every, usize),
    to: Timestamp,
    tz: &TimeZone,
    compare: bool,
) -> HistoryAsk {
    let from = slot_bounds(every, count, to, tz)
        .first()
        .map_or(to, |b| b.0);
    HistoryAsk {
        flow,
        user_id,
        from,
        to,
        every,
        tz: tz.clone(),
        compare,
    }
}

/// Cuts an answer into `count` slots of `every` up to `to`. Every interval lands in the slot
/// that holds its start; rises are never negative (the store starts a new base where a counter
/// fell), and a bar never shows less than nothing.
pub fn chart_of(
    data: HistoryData,
    every: Every,
    count: usize,
    to: Timestamp,
    tz: &TimeZone,
) -> Chart {
    let mut slots: Vec<Slot> = slot_bounds(every, count, to, tz)
        .into_iter()
        .map(|(start, end)| Slot {
            start,
            end,
            interval: None,
        })
        .collect();
    for mut i in data.intervals {
        let at = slots.partition_point(|s| s.start <= i.start);
        let Some(slot) = at.checked_sub(1).and_then(|k| slots.get_mut(k)) else {
            continue;
        };
        i.sent = i.sent.max(0);
        i.failed = i.failed.max(0);
        match &mut slot.interval {
            Some(s) => {
                s.sent += i.sent;
                s.failed += i.failed;
                s.pending = i.pending.or(s.pending);
                s.readings += i.readings;
            }
            None => slot.interval = Some(i),
        }
    }
    Chart {
        every,
        to,
        slots,
        comparison: data.comparison,
        recording_since: data.recording_since,
    }
}

/// How the history tells this flow apart: by id where the server names flows reliably, else
/// (the shipped build, CONTRACT §12 item 9) by creation time and name.
pub fn key_of(state: &State, flow: &Flow) -> FlowKey {
    FlowKey::of(flow, state.server.ids_reliable())
}

/// What the dashboard shows of the history, besides the `H` view.
#[derive(Debug, Default)]
pub struct StoredHistory {
    /// History is kept: the runner holds a recorder (not with `--no-history`).
    pub on: bool,
    /// The detail pane's latest answer.
    pub detail: Option<DetailChart>,
    /// The detail pane's question in flight.
    pub detail_req: Option<DetailAsked>,
}

/// A question of the detail pane in flight: its request, flow and time.
#[derive(Debug)]
pub struct DetailAsked {
    pub req: ReqId,
    pub flow: FlowKey,
    pub at: Timestamp,
}

/// The detail pane's last 24 hours of one flow, as read at `at`.
#[derive(Debug)]
pub struct DetailChart {
    pub flow: FlowKey,
    pub at: Timestamp,
    pub chart: Result<Chart, HistoryError>,
}

/// The `H` view of one flow.
#[derive(Debug)]
pub struct HistoryView {
    pub flow: FlowKey,
    pub name: String,
    pub user_id: Option<u64>,
    pub range: HistoryRange,
    /// The slot under the cursor, from the oldest (0); past the end means the newest.
    pub cursor: usize,
    /// The question in flight (`None` once answered).
    pub req: Option<ReqId>,
    /// When the chart shown (or on its way) ends.
    pub asked_at: Timestamp,
    /// The latest answer for this range; `None` until the first comes.
    pub chart: Option<Result<Chart, HistoryError>>,
}

impl HistoryView {
    /// The index of the slot under the cursor, if there are slots.
    pub fn cursor_slot(&self) -> Option<usize> {
        let n = self.chart.as_ref()?.as_ref().ok()?.slots.len();
        (n > 0).then(|| self.cursor.min(n - 1))
    }
}

/// `H`: the selected flow's history, full screen, on the last 24 hours.
pub(super) fn open(state: &mut State, out: &mut Vec<Command>) {
    let Some(flow) = state.selected_flow() else {
        state.toast("no flow selected".to_owned(), out);
        return;
    };
    let mut view = Box::new(HistoryView {
        flow: key_of(state, flow),
        name: flow.name.clone(),
        user_id: flow.user_id,
        range: HistoryRange::default(),
        cursor: usize::MAX,
        req: None,
        asked_at: state.now,
        chart: None,
    });
    if state.stored.on {
        ask_view(state, &mut view, out);
    } else {
        view.chart = Some(Err(HistoryError::Off));
    }
    state.mode = Mode::History(view);
}

fn ask_view(state: &mut State, view: &mut HistoryView, out: &mut Vec<Command>) {
    let req = state.next_req();
    view.req = Some(req);
    view.asked_at = state.now;
    let range = view.range;
    let ask = ask(
        view.flow.clone(),
        view.user_id,
        (range.every(), range.slots()),
        state.now,
        &state.ctx.tz,
        false,
    );
    out.push(Command::LoadHistory {
        req,
        ask: Box::new(ask),
    });
}

/// The view's keys (DESIGN §3): `1`–`4` the range, ←/→ and `h`/`l` the cursor, `r` reads
/// again, `q` and Esc close it. Every other key stays here: none reaches the table.
pub(super) fn on_key(
    state: &mut State,
    mut view: Box<HistoryView>,
    key: KeyEvent,
    out: &mut Vec<Command>,
) {
    let last = view
        .chart
        .as_ref()
        .and_then(|c| c.as_ref().ok())
        .map_or(0, |c| c.slots.len().saturating_sub(1));
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('c') if ctrl => {
            state.quit = true;
            return;
        }
        _ if ctrl => {}
        KeyCode::Esc | KeyCode::Char('q') => return,
        KeyCode::Char(c @ '1'..='4') => {
            if let Some(range) = HistoryRange::of_key(c)
                && range != view.range
            {
                view.range = range;
                view.cursor = usize::MAX;
                view.chart = None;
                if state.stored.on {
                    ask_view(state, &mut view, out);
                } else {
                    view.chart = Some(Err(HistoryError::Off));
                }
            }
        }
        KeyCode::Left | KeyCode::Char('h') => view.cursor = view.cursor.min(last).saturating_sub(1),
        // Onto the newest slot, the cursor follows the newest as time goes on.
        KeyCode::Right | KeyCode::Char('l') if view.cursor.min(last) + 1 >= last => {
            view.cursor = usize::MAX;
        }
        KeyCode::Right | KeyCode::Char('l') => view.cursor += 1,
        KeyCode::Home | KeyCode::Char('g') => view.cursor = 0,
        KeyCode::End | KeyCode::Char('G') => view.cursor = usize::MAX,
        KeyCode::Char('r') if state.stored.on && view.req.is_none() => {
            ask_view(state, &mut view, out);
        }
        _ => {}
    }
    state.mode = Mode::History(view);
}

/// An answer of the store: for the open view, for the detail pane, or stale (dropped).
pub(super) fn on_loaded(state: &mut State, req: ReqId, result: Result<HistoryData, HistoryError>) {
    let tz = state.ctx.tz.clone();
    if let Mode::History(view) = &mut state.mode
        && view.req == Some(req)
    {
        view.req = None;
        // A cursor the operator moved stays on its time as the range moves on; one on the
        // newest slot follows the newest.
        let kept = (view.cursor != usize::MAX)
            .then(|| {
                let i = view.cursor_slot()?;
                Some(view.chart.as_ref()?.as_ref().ok()?.slots.get(i)?.start)
            })
            .flatten();
        let range = view.range;
        let chart = result.map(|d| chart_of(d, range.every(), range.slots(), view.asked_at, &tz));
        if let (Ok(c), Some(start)) = (&chart, kept) {
            view.cursor = c.slots.iter().position(|s| s.start == start).unwrap_or(0);
        }
        view.chart = Some(chart);
        return;
    }
    let Some(asked) = state.stored.detail_req.take_if(|a| a.req == req) else {
        return;
    };
    let chart = result.map(|d| chart_of(d, Every::Hours(1), DETAIL_HOURS, asked.at, &tz));
    state.stored.detail = Some(DetailChart {
        flow: asked.flow,
        at: asked.at,
        chart,
    });
}

/// Asks for what the screen needs of the history and does not have yet: the detail pane's
/// chart of the selected flow, or a chart on screen grown a minute old. One question at a time
/// each, so a held `j` does not queue a query a row: the next is asked when the last answers.
pub(super) fn follow(state: &mut State, out: &mut Vec<Command>) {
    if !state.stored.on {
        return;
    }
    if let Mode::History(view) = &state.mode {
        let due = view.req.is_none()
            && matches!(view.chart, Some(Ok(_)))
            && state.now.duration_since(view.asked_at) >= HISTORY_REFRESH;
        if due && let Mode::History(mut view) = std::mem::take(&mut state.mode) {
            ask_view(state, &mut view, out);
            state.mode = Mode::History(view);
        }
        return;
    }
    if state.stored.detail_req.is_some() {
        return;
    }
    let Some(flow) = state.selected_flow() else {
        return;
    };
    let key = key_of(state, flow);
    let fresh = state
        .stored
        .detail
        .as_ref()
        .is_some_and(|d| d.flow == key && state.now.duration_since(d.at) < HISTORY_REFRESH);
    if fresh {
        return;
    }
    let user_id = flow.user_id;
    let req = state.next_req();
    let ask = ask(
        key.clone(),
        user_id,
        (Every::Hours(1), DETAIL_HOURS),
        state.now,
        &state.ctx.tz,
        true,
    );
    state.stored.detail_req = Some(DetailAsked {
        req,
        flow: key,
        at: state.now,
    });
    out.push(Command::LoadHistory {
        req,
        ask: Box::new(ask),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_local_clock_through_a_change_of_time() {
        // Paris: on 2025-10-26 at 03:00 summer time the clock goes back to 02:00.
        let tz = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let to: Timestamp = "2025-10-26T12:00:00Z".parse().unwrap();
        let bounds = slot_bounds(Every::Hours(3), 8, to, &tz);
        assert_eq!(bounds.len(), 8);
        let local: Vec<String> = bounds
            .iter()
            .map(|(s, _)| s.to_zoned(tz.clone()).strftime("%d %H:%M %Z").to_string())
            .collect();
        assert_eq!(
            local,
            [
                "25 15:00 CEST",
                "25 18:00 CEST",
                "25 21:00 CEST",
                "26 00:00 CEST",
                "26 03:00 CET",
                "26 06:00 CET",
                "26 09:00 CET",
                "26 12:00 CET",
            ]
        );
        // The slot of the change is an hour longer; each ends where the next starts.
        assert_eq!(bounds[3].1.duration_since(bounds[3].0).as_hours(), 4);
        assert!(bounds.windows(2).all(|w| w[0].1 == w[1].0));
    }

    #[test]
    fn an_interval_lands_in_the_slot_that_holds_it_and_never_below_zero() {
        let tz = TimeZone::UTC;
        let to: Timestamp = "2025-10-20T22:40:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let interval = |start: &str, sent| Interval {
            start: at(start),
            sent,
            failed: -1,
            pending: Some(2),
            readings: 1,
        };
        let data = HistoryData {
            intervals: vec![
                // Before the first slot: left out.
                interval("2025-10-20T19:00:00Z", 5),
                interval("2025-10-20T20:00:00Z", 7),
                interval("2025-10-20T22:00:00Z", -3),
            ],
            comparison: None,
            recording_since: None,
        };
        let chart = chart_of(data, Every::Hours(1), 3, to, &tz);
        let sent: Vec<Option<i64>> = chart
            .slots
            .iter()
            .map(|s| s.interval.as_ref().map(|i| i.sent))
            .collect();
        assert_eq!(sent, [Some(7), None, Some(0)]);
        assert_eq!(chart.totals(), (7, 0));
        assert_eq!(chart.slots[2].end, at("2025-10-20T23:00:00Z"));
    }
}
