//! Many flows at once from the command line (DESIGN §15): `enable`, `disable` and `delete` with
//! `--match TEXT` (name contains, case-insensitive, over every page) or `--all`. The plan comes
//! first (the flows, those already in the target state, the cost in requests and the time at
//! the budget left); `--dry-run` stops there, and more than one flow needs `--yes`. The writes
//! themselves go through the single-flow path of `commands::flows`, one flow at a time, with
//! every rule of DESIGN §8.

use std::fmt::Write as _;

use super::table::fit;
use super::{Failure, say, warn};
use crate::api::{Client, ServerKind};
use crate::budget::{BudgetSnapshot, Priority};
use crate::cli::Pick;
use crate::domain::{Flow, FlowId};

const OP: Priority = Priority::Operator;
/// How wide a name is at most in the plan.
const NAME_WIDTH: usize = 40;

/// What is to be done to the chosen flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Act {
    Switch {
        on: bool,
    },
    /// `confirm`: a production profile's `--confirm NAME`, which reads the flow once more.
    Delete {
        confirm: bool,
    },
}

impl Act {
    fn verb(self) -> &'static str {
        match self {
            Act::Switch { on: true } => "switch on",
            Act::Switch { on: false } => "switch off",
            Act::Delete { .. } => "delete",
        }
    }

    /// The flow is in the target state already (a switch settles it without a write).
    fn done(self, f: &Flow) -> bool {
        matches!(self, Act::Switch { on } if f.enabled == on)
    }

    /// Requests for one flow: the re-read before the write, and the write unless settled.
    fn cost(self, f: &Flow) -> u32 {
        match self {
            Act::Switch { .. } if self.done(f) => 1,
            Act::Switch { .. } | Act::Delete { confirm: false } => 2,
            Act::Delete { confirm: true } => 3,
        }
    }
}

/// The flows `pick` names, after the plan was printed; `None` when nothing is to be sent (a
/// dry run, or no flow matched). Ids given one by one go on as before, unless `--dry-run`.
pub(super) async fn choose(
    client: &Client,
    pick: &Pick,
    act: Act,
) -> Result<Option<Vec<u64>>, Failure> {
    if !pick.ids.is_empty() && !pick.dry_run {
        return Ok(Some(pick.ids.clone()));
    }
    let (flows, reads, what) = if pick.ids.is_empty() {
        listed(client, pick).await?
    } else {
        let mut flows = Vec::new();
        for &id in &pick.ids {
            flows.push(client.get_flow(FlowId(id), OP).await?);
        }
        let n = flows.len();
        (flows, n, "the flows named".to_owned())
    };
    if flows.is_empty() {
        say(&format!("no flow to {}: {what} is none", act.verb()));
        return Ok(None);
    }
    print_plan(&flows, act, &what, reads, &client.scheduler().snapshot());
    if pick.dry_run {
        say("dry run: nothing was sent");
        return Ok(None);
    }
    if flows.len() > 1 && !pick.yes {
        return Err(Failure::msg(format!(
            "{} flows: add --yes to go ahead (nothing was sent)",
            flows.len()
        )));
    }
    Ok(Some(flows.iter().map(|f| f.id.0).collect()))
}

/// Every flow (1000 a page) whose name contains `--match` (or all with `--all`), the pages
/// read, and the choice in words. Refuses on a server whose ids are not flow ids.
async fn listed(client: &Client, pick: &Pick) -> Result<(Vec<Flow>, usize, String), Failure> {
    let mut pages = 0;
    let progress = |done: u32, of: Option<u32>| {
        pages = done as usize;
        match of {
            Some(n) => warn(&format!("loaded page {done} of {n}")),
            None => warn(&format!("loaded page {done}")),
        }
    };
    let all = client.all_flows(OP, progress).await?;
    if !all.steady {
        warn("warning: the list changed while it was read: some flows may be missing");
    }
    if client.identify(&all.flows, OP).await == ServerKind::Shipped {
        return Err(Failure::msg(
            "this server does not identify flows reliably (its ids may be device ids): \
             nothing was sent; change flows in the web dashboard",
        ));
    }
    let needle = pick.matching.as_deref().map(str::to_lowercase);
    let (chosen, blocked): (Vec<Flow>, Vec<Flow>) = all
        .flows
        .into_iter()
        .filter(|f| {
            needle
                .as_deref()
                .is_none_or(|n| f.name.to_lowercase().contains(n))
        })
        .partition(|f| f.blocked.is_none());
    if !blocked.is_empty() {
        warn(&format!(
            "note: left out {} flows marked ⊘ (id 0 or an id another flow has): they cannot be changed",
            blocked.len()
        ));
    }
    let what = match &pick.matching {
        Some(text) => format!(
            "every flow whose name contains \"{}\"",
            crate::domain::clean::one_line(text)
        ),
        None => "every flow".to_owned(),
    };
    Ok((chosen, pages.max(1), what))
}

/// The plan on stdout: what is done to how many flows, each flow with its id and name (and
/// whether it is already in the target state), and the cost.
fn print_plan(flows: &[Flow], act: Act, what: &str, reads: usize, budget: &BudgetSnapshot) {
    let done = flows.iter().filter(|f| act.done(f)).count();
    let state = match act {
        Act::Switch { on: true } => "on",
        Act::Switch { on: false } => "off",
        Act::Delete { .. } => "",
    };
    let mut head = format!(
        "plan: {} {}, {what}",
        act.verb(),
        count(flows.len(), "flow")
    );
    if done > 0 {
        let _ = write!(head, " ({done} already {state})");
    }
    say(&head);
    let width = flows
        .iter()
        .map(|f| f.id.to_string().len())
        .max()
        .unwrap_or(1);
    for f in flows {
        let note = if act.done(f) {
            format!("  (already {state})")
        } else {
            String::new()
        };
        say(&format!(
            "  {:>width$}  {}{note}",
            f.id.0,
            fit(&f.name, NAME_WIDTH)
        ));
    }
    let requests: u32 = flows.iter().map(|f| act.cost(f)).sum();
    let writes = flows.iter().filter(|f| !act.done(f)).count();
    let mut cost = format!(
        "cost: {} ({} before writing, {}; {} made for the plan) · {}",
        count(requests as usize, "request"),
        count(flows.len(), "re-read"),
        count(writes, "write"),
        count(reads, "read"),
        time_words(requests, budget)
    );
    if act == (Act::Switch { on: false }) {
        cost.push_str(" · pending SMS are still sent");
    }
    say(&cost);
}

/// `1 flow`, `3 flows`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// How long `requests` take at the budget left: at once when they fit in what is left of
/// this minute, else about so many minutes at the budget's pace.
fn time_words(requests: u32, b: &BudgetSnapshot) -> String {
    let share = b.share.max(1);
    let wait = b
        .cooldown
        .map(|d| format!(" after the server's {} s countdown", d.as_secs()))
        .unwrap_or_default();
    let Some(minutes) = b.minutes_for(requests) else {
        return format!("within the budget left ({} of {share} a minute)", b.left);
    };
    format!(
        "about {minutes} min at the budget left ({} of {share} a minute){wait}",
        b.left
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(left: u32, share: u32) -> BudgetSnapshot {
        BudgetSnapshot {
            left,
            share,
            cooldown: None,
            server_remaining: None,
            polling_held: false,
        }
    }

    #[test]
    fn the_time_is_said_at_the_budget_left() {
        assert_eq!(
            time_words(25, &budget(28, 30)),
            "within the budget left (28 of 30 a minute)"
        );
        assert_eq!(
            time_words(25, &budget(10, 30)),
            "about 1 min at the budget left (10 of 30 a minute)"
        );
        assert_eq!(
            time_words(95, &budget(5, 30)),
            "about 3 min at the budget left (5 of 30 a minute)"
        );
    }

    #[test]
    fn a_switch_costs_a_re_read_and_a_write_unless_settled() {
        let mut f = Flow::bare(3, "Promo");
        f.enabled = true;
        assert_eq!(Act::Switch { on: false }.cost(&f), 2);
        assert_eq!(Act::Switch { on: true }.cost(&f), 1);
        assert_eq!(Act::Delete { confirm: false }.cost(&f), 2);
        assert_eq!(Act::Delete { confirm: true }.cost(&f), 3);
    }
}
