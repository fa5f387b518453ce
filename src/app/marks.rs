//! The marks of the flow list (DESIGN §15): the flows a bulk switch, delete or undo acts on.
//!
//! Marks are kept by flow id, with the flow as it was last seen in a loaded list, so they
//! survive refreshes, sorting and paging: a marked flow on another page is still known, and
//! the bulk preview counts what it will cost from what the operator last saw of it.

use std::collections::BTreeMap;

use crate::domain::{Flow, FlowId};

/// The marked flows, by id, each as last seen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Marks {
    seen: BTreeMap<FlowId, Flow>,
}

impl Marks {
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    pub fn contains(&self, id: FlowId) -> bool {
        self.seen.contains_key(&id)
    }

    /// Marks `flow`, or unmarks it when it was marked; true when it is marked now.
    pub fn flip(&mut self, flow: &Flow) -> bool {
        if self.seen.remove(&flow.id).is_some() {
            false
        } else {
            self.seen.insert(flow.id, flow.clone());
            true
        }
    }

    /// Marks `flow` (keeping the newer copy when it was marked); true when it was not marked.
    pub fn mark(&mut self, flow: &Flow) -> bool {
        self.seen.insert(flow.id, flow.clone()).is_none()
    }

    pub fn unmark(&mut self, id: FlowId) {
        self.seen.remove(&id);
    }

    pub fn clear(&mut self) {
        self.seen.clear();
    }

    /// The marked flows as last seen, in id order.
    pub fn flows(&self) -> impl Iterator<Item = &Flow> {
        self.seen.values()
    }

    /// Takes the newer copy of every marked flow among `flows` (a list just loaded, or a row
    /// replaced by a write's answer). Rows whose id is 0 or repeated are not flows that can be
    /// told apart by id: they leave a mark's copy as it was.
    pub fn seen_in(&mut self, flows: &[Flow]) {
        if self.seen.is_empty() {
            return;
        }
        for f in flows {
            if f.blocked.is_none()
                && let Some(copy) = self.seen.get_mut(&f.id)
            {
                copy.clone_from(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(id: u64, name: &str) -> Flow {
        Flow::bare(id, name)
    }

    #[test]
    fn a_mark_flips_and_keeps_the_newest_copy_by_id() {
        let mut marks = Marks::default();
        assert!(marks.flip(&flow(3, "old")));
        marks.seen_in(&[flow(4, "other"), flow(3, "renamed")]);
        assert_eq!(marks.len(), 1);
        assert_eq!(
            marks.flows().next().map(|f| f.name.as_str()),
            Some("renamed")
        );
        // A list without the flow (another page) keeps the mark.
        marks.seen_in(&[flow(9, "x")]);
        assert!(marks.contains(FlowId(3)));
        assert!(!marks.flip(&flow(3, "renamed")));
        assert!(marks.is_empty());
    }
}
