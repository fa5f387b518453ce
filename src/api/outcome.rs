//! How a write to an existing flow ended when it did not fail: one type for each operation, so
//! that each caller meets only the ends its operation can reach.

use crate::domain::Flow;

/// One field that differs between what the operator saw and what the server has now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub seen: String,
    pub theirs: String,
}

/// The flow changed on the server since the operator looked at it.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub theirs: Flow,
    pub changes: Vec<FieldChange>,
}

/// How a switch on or off ended.
#[derive(Clone, Debug, PartialEq)]
pub enum ToggleOutcome {
    /// Sent; the server's answer.
    Written(Flow),
    /// The answer was lost (late, or a 5xx), and a re-read shows the switch landed: the flow as
    /// re-read, and how the answer was lost (`the answer was late`).
    WrittenLate { flow: Flow, answer: String },
    /// Nothing sent: the flow was already in the target state. The flow as the server has it.
    Unchanged(Flow),
    /// Nothing sent: a switch on of a flow that changed since the operator saw it (a switch
    /// off goes ahead: stopping sends is always safe).
    Conflict(Box<Conflict>),
}

/// How an update of some fields ended.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdateOutcome {
    /// Sent; the server's answer.
    Written(Flow),
    /// The answer was lost (late, or a 5xx), and a re-read shows the update landed: the flow as
    /// re-read, and how the answer was lost (`the answer was late`).
    WrittenLate { flow: Flow, answer: String },
    /// Nothing sent: the patch was empty. The flow as the server has it.
    Unchanged(Flow),
    /// Nothing sent: the flow changed since the operator saw it.
    Conflict(Conflict),
}

/// How a delete ended.
#[derive(Clone, Debug, PartialEq)]
pub enum DeleteOutcome {
    /// The flow was deleted.
    Deleted,
    /// The answer was lost (late, or a 5xx), and a re-read shows the flow is gone.
    DeletedLate { answer: String },
    /// Nothing sent: the flow was renamed since the operator confirmed it.
    Conflict(Box<Conflict>),
}
