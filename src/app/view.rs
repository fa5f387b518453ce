//! Filter and sort of the loaded flows. The API ignores both (CONTRACT §5), so they work on what
//! is loaded: the page, or every flow after `A`.

use crate::domain::Flow;

/// The filter line: what is being typed and what is applied.
#[derive(Debug, Default)]
pub struct Filter {
    pub input: tui_input::Input,
    /// Lower-cased text in force; empty = no filter.
    pub applied: String,
}

impl Filter {
    pub fn is_active(&self) -> bool {
        !self.applied.is_empty()
    }

    /// Matches the name or the content, ignoring case.
    pub fn matches(&self, flow: &Flow) -> bool {
        if self.applied.is_empty() {
            return true;
        }
        flow.name.to_lowercase().contains(&self.applied)
            || flow
                .content
                .as_deref()
                .is_some_and(|c| c.to_lowercase().contains(&self.applied))
    }
}

/// A sortable column; `None` in [`Sort`] is the server's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Name,
    Wait,
    Sent,
    Pending,
    Failed,
    LastSent,
    FailedPct,
    Rate,
    Today,
    Device,
    Segment,
}

impl SortKey {
    /// Counters start with the biggest.
    fn descending_first(self) -> bool {
        matches!(
            self,
            SortKey::Sent
                | SortKey::Pending
                | SortKey::Failed
                | SortKey::LastSent
                | SortKey::FailedPct
                | SortKey::Rate
                | SortKey::Today
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Id => "id",
            SortKey::Name => "name",
            SortKey::Wait => "wait",
            SortKey::Sent => "sent",
            SortKey::Pending => "pending",
            SortKey::Failed => "failed",
            SortKey::LastSent => "last sent",
            SortKey::FailedPct => "failed%",
            SortKey::Rate => "rate",
            SortKey::Today => "today",
            SortKey::Device => "device",
            SortKey::Segment => "segment",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    pub key: Option<SortKey>,
    pub descending: bool,
}

impl Sort {
    /// `s`: server order → each of the shown columns (`among`, in order) → server order.
    /// Counters start descending (the biggest first), text ascending.
    pub fn next(&mut self, among: &[SortKey]) {
        self.key = match self.key {
            None => among.first().copied(),
            Some(k) => match among.iter().position(|&c| c == k) {
                Some(i) => among.get(i + 1).copied(),
                None => among.first().copied(),
            },
        };
        self.descending = self.key.is_some_and(SortKey::descending_first);
    }

    /// Sorted by `key`, in its first order.
    pub fn by(key: SortKey) -> Sort {
        Sort {
            key: Some(key),
            descending: key.descending_first(),
        }
    }

    pub fn label(&self) -> String {
        match self.key {
            None => "server order".to_owned(),
            Some(k) => format!("{} {}", k.label(), if self.descending { "↓" } else { "↑" }),
        }
    }
}

fn wait_minutes(f: &Flow) -> Option<i128> {
    let unit = match f.wait_unit? {
        crate::domain::WaitUnit::Minutes => 1,
        crate::domain::WaitUnit::Hours => 60,
        crate::domain::WaitUnit::Days => 1440,
    };
    Some(i128::from(f.wait_time?) * unit)
}

/// The failed share in millionths, so that it sorts as a whole number.
#[expect(clippy::cast_possible_truncation, reason = "a share, rounded")]
fn failed_share(f: &Flow) -> Option<i64> {
    f.failure_share().map(|s| (s * 1e6) as i64)
}

/// The indices of `flows` to show, filtered and sorted. A stable sort, so equal rows keep the
/// server's order.
pub fn build(flows: &[Flow], filter: &Filter, sort: Sort) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..flows.len())
        .filter(|&i| filter.matches(&flows[i]))
        .collect();
    if let Some(key) = sort.key {
        idx.sort_by(|&a, &b| {
            let (a, b) = (&flows[a], &flows[b]);
            let ord = match key {
                SortKey::Id => a.id.cmp(&b.id),
                SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
                SortKey::Wait => wait_minutes(a).cmp(&wait_minutes(b)),
                SortKey::Sent => a.sent.cmp(&b.sent),
                SortKey::Pending => a.pending.cmp(&b.pending),
                SortKey::Failed => a.failed.cmp(&b.failed),
                SortKey::LastSent => a.last_sent.cmp(&b.last_sent),
                SortKey::FailedPct => failed_share(a).cmp(&failed_share(b)),
                // Sorted where the rest of the state is known (`app::columns::view`).
                SortKey::Rate | SortKey::Today | SortKey::Device | SortKey::Segment => {
                    std::cmp::Ordering::Equal
                }
            };
            if sort.descending { ord.reverse() } else { ord }
        });
    }
    idx
}
