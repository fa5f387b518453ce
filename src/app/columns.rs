//! The flow table's columns (DESIGN §17): which are shown, in which order, how wide, what each
//! says of a flow, and which column a click on the header names. The drawing (`ui::table`) and
//! the mouse (`app::keys`) both read [`layout`], so a click lands on the column drawn there.

use super::State;
use super::view::{self, Sort, SortKey};
use crate::domain::{Flow, SegmentRef};

/// A column of the flow table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// A cell for the mark (▌), the state glyph, and `!` while an alert fires.
    Status,
    Id,
    Name,
    Wait,
    /// The sent counter and, beside it, its last change.
    Sent,
    Pending,
    Failed,
    /// Failed as a share of sent.
    FailedPct,
    /// Sent an hour, over the readings of this run.
    Rate,
    /// Sent since the dashboard started (or since `b` set the baseline).
    Today,
    Last,
    Device,
    Segment,
}

impl Column {
    pub const ALL: [Column; 13] = [
        Column::Status,
        Column::Id,
        Column::Name,
        Column::Wait,
        Column::Sent,
        Column::Pending,
        Column::Failed,
        Column::FailedPct,
        Column::Rate,
        Column::Today,
        Column::Last,
        Column::Device,
        Column::Segment,
    ];

    /// The name in the config's `columns` (and the header's title).
    pub fn name(self) -> &'static str {
        match self {
            Column::Status => "status",
            Column::Id => "id",
            Column::Name => "name",
            Column::Wait => "wait",
            Column::Sent => "sent",
            Column::Pending => "pending",
            Column::Failed => "failed",
            Column::FailedPct => "failed%",
            Column::Rate => "rate",
            Column::Today => "today",
            Column::Last => "last",
            Column::Device => "device",
            Column::Segment => "segment",
        }
    }

    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }

    /// What `s` and a click on the header sort by; the status column sorts nothing.
    pub fn sort_key(self) -> Option<SortKey> {
        Some(match self {
            Column::Status => return None,
            Column::Id => SortKey::Id,
            Column::Name => SortKey::Name,
            Column::Wait => SortKey::Wait,
            Column::Sent => SortKey::Sent,
            Column::Pending => SortKey::Pending,
            Column::Failed => SortKey::Failed,
            Column::FailedPct => SortKey::FailedPct,
            Column::Rate => SortKey::Rate,
            Column::Today => SortKey::Today,
            Column::Last => SortKey::LastSent,
            Column::Device => SortKey::Device,
            Column::Segment => SortKey::Segment,
        })
    }

    /// Whether the values line up on the right (numbers).
    pub fn right_aligned(self) -> bool {
        !matches!(
            self,
            Column::Status | Column::Name | Column::Device | Column::Segment
        )
    }
}

/// The columns with no `columns` setting, below [`WIDE_AT`] terminal columns.
pub const DEFAULT: [Column; 8] = [
    Column::Status,
    Column::Id,
    Column::Name,
    Column::Wait,
    Column::Sent,
    Column::Pending,
    Column::Failed,
    Column::Last,
];

/// From this terminal width on, with no `columns` setting, the table adds `failed%` and `rate`.
pub const WIDE_AT: u16 = 160;

/// The columns with no setting at [`WIDE_AT`] terminal columns and more.
pub const WIDE: [Column; 10] = [
    Column::Status,
    Column::Id,
    Column::Name,
    Column::Wait,
    Column::Sent,
    Column::Pending,
    Column::Failed,
    Column::FailedPct,
    Column::Rate,
    Column::Last,
];

/// `status` first and `id` always there: a chosen list without them gets them.
pub fn with_fixed(chosen: &[Column]) -> Vec<Column> {
    let mut out = vec![Column::Status];
    if !chosen.contains(&Column::Id) {
        out.push(Column::Id);
    }
    for &c in chosen {
        if c != Column::Status && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// The columns shown now, in order.
pub fn shown(state: &State) -> Vec<Column> {
    match &state.columns {
        Some(chosen) => with_fixed(chosen),
        None if state.size.0 >= WIDE_AT => WIDE.to_vec(),
        None => DEFAULT.to_vec(),
    }
}

/// What `s` cycles through: the shown columns that sort.
pub fn sort_keys(state: &State) -> Vec<SortKey> {
    shown(state)
        .into_iter()
        .filter_map(Column::sort_key)
        .collect()
}

/// The width of the sent counter's change, beside it.
pub const CHANGE: u16 = 5;

/// A column where it is drawn: `x` from the table's inner left edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    pub column: Column,
    pub x: u16,
    pub width: u16,
}

/// The shown columns placed in a table `inner` cells wide, one cell apart. The name takes what
/// the others leave; numbers are never cut (their columns grow to the widest value in the view).
pub fn layout(state: &State, inner: u16) -> Vec<Placed> {
    let columns = shown(state);
    let w = Widths::of(state);
    let width = |c: Column| match c {
        // The mark (▌), the glyph, and `!` while an alert fires (DESIGN §14).
        Column::Status => 2 + u16::from(!state.alerts.firing.is_empty()),
        Column::Id => w.id,
        Column::Name => 0,
        Column::Wait => w.wait,
        Column::Sent => w.sent + 1 + CHANGE,
        Column::Pending => w.pending,
        Column::Failed => w.failed,
        Column::FailedPct => 7,
        Column::Rate | Column::Last => 6,
        Column::Today => w.today,
        Column::Device | Column::Segment => 16,
    };
    let fixed: u16 = columns.iter().map(|&c| width(c)).sum();
    let gaps = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(0);
    let name = inner.saturating_sub(fixed + gaps);
    let mut x = 0;
    columns
        .into_iter()
        .map(|column| {
            let width = if column == Column::Name {
                name
            } else {
                width(column)
            };
            let p = Placed { column, x, width };
            x += width + 1;
            p
        })
        .collect()
}

/// The widths of the number columns: at least their title's, more when a value in the view
/// needs it.
struct Widths {
    id: u16,
    wait: u16,
    sent: u16,
    pending: u16,
    failed: u16,
    today: u16,
}

impl Widths {
    /// Counted, not formatted: this runs over every flow in the view at each frame.
    fn of(state: &State) -> Widths {
        let mut w = Widths {
            id: 5,
            wait: 4,
            sent: 7,
            pending: 7,
            failed: 6,
            today: 6,
        };
        // `num` shows a missing counter as `–` and a negative one as 0: one column each.
        let counter = |v: Option<i64>| digits(v.and_then(|n| u64::try_from(n).ok()).unwrap_or(0));
        for f in state.view.iter().map(|&i| &state.flows[i]) {
            w.id = w.id.max(digits(f.id.0));
            if let (Some(t), Some(_)) = (f.wait_time, f.wait_unit) {
                // The number, its sign, and the unit's letter.
                w.wait = w.wait.max(digits(t.unsigned_abs()) + u16::from(t < 0) + 1);
            }
            w.sent = w.sent.max(counter(f.sent));
            w.pending = w.pending.max(counter(f.pending));
            w.failed = w.failed.max(counter(f.failed));
            w.today = w.today.max(counter(today(state, f)) + 1);
        }
        w
    }
}

fn digits(n: u64) -> u16 {
    n.checked_ilog10()
        .map_or(1, |d| u16::try_from(d + 1).unwrap_or(u16::MAX))
}

/// Sent since the dashboard started (or since `b`).
pub fn today(state: &State, f: &Flow) -> Option<i64> {
    let base = state.baseline.get(&f.row_key())?;
    Some(f.sent? - base)
}

/// Sent an hour, over the readings this run holds of the flow (at least two, a minute apart).
pub fn rate(state: &State, f: &Flow) -> Option<f64> {
    let h = state.history.get(&f.row_key())?;
    let (first, last) = (h.front()?, h.back()?);
    let secs = (last.0 - first.0).get_seconds();
    #[expect(clippy::cast_precision_loss, reason = "a rate for the eye")]
    let rate = (secs >= 60).then(|| (last.1 - first.1).max(0) as f64 * 3600.0 / secs as f64);
    rate
}

pub fn device(state: &State, f: &Flow) -> Option<String> {
    match f.device_id? {
        0 => Some("none".to_owned()),
        id => Some(
            state
                .device(id)
                .map_or_else(|| format!("#{id}"), |d| d.name.clone()),
        ),
    }
}

pub fn segment(state: &State, f: &Flow) -> Option<String> {
    match f.segment? {
        SegmentRef::All => Some("All contacts".to_owned()),
        SegmentRef::Saved(id) => Some(
            state
                .segment(id)
                .map_or_else(|| format!("#{id}"), |s| s.name.clone()),
        ),
    }
}

/// The filtered, sorted view: the keys of the flow alone are sorted by `view::build`; the ones
/// that need the rest of the state (rate, today, device, segment) here, as stably.
pub fn view(state: &State) -> Vec<usize> {
    let own = matches!(
        state.sort.key,
        Some(SortKey::Rate | SortKey::Today | SortKey::Device | SortKey::Segment)
    );
    if !own {
        return view::build(&state.flows, &state.filter, state.sort);
    }
    let mut idx = view::build(&state.flows, &state.filter, Sort::default());
    let key = state.sort.key;
    let text = |f: &Flow| match key {
        Some(SortKey::Device) => device(state, f).map(|s| s.to_lowercase()),
        Some(SortKey::Segment) => segment(state, f).map(|s| s.to_lowercase()),
        _ => None,
    };
    // Milli-units of the hourly rate: whole numbers sort without a float's partial order.
    #[expect(clippy::cast_possible_truncation, reason = "a rate, rounded")]
    let number = |f: &Flow| match key {
        Some(SortKey::Rate) => rate(state, f).map(|r| (r * 1000.0) as i64),
        Some(SortKey::Today) => today(state, f),
        _ => None,
    };
    idx.sort_by(|&a, &b| {
        let (a, b) = (&state.flows[a], &state.flows[b]);
        let ord = number(a)
            .cmp(&number(b))
            .then_with(|| text(a).cmp(&text(b)));
        if state.sort.descending {
            ord.reverse()
        } else {
            ord
        }
    });
    idx
}

/// The column under a click at `x` (from the table's inner left edge) on the header row.
pub fn at(state: &State, inner: u16, x: u16) -> Option<Column> {
    layout(state, inner)
        .into_iter()
        .find(|p| x >= p.x && x < p.x + p.width)
        .map(|p| p.column)
}

/// A click on a column's title: sort by it, or reverse the order if it is already the one.
pub fn sort_by(sort: &mut Sort, column: Column) {
    let Some(key) = column.sort_key() else {
        return;
    };
    if sort.key == Some(key) {
        sort.descending = !sort.descending;
    } else {
        *sort = Sort::by(key);
    }
}
