//! The keys of the flow list, as data: the help screen is generated from this table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the operator can ask for on the flow list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Select the next row.
    Down,
    /// Select the previous row.
    Up,
    /// Select the first row of the page.
    First,
    /// Select the last row of the page.
    Last,
    /// Half a screen down.
    HalfDown,
    /// Half a screen up.
    HalfUp,
    /// Load the next page.
    NextPage,
    /// Load the previous page.
    PrevPage,
    /// Next page size (reloads page 1).
    BiggerPages,
    /// Previous page size (reloads page 1).
    SmallerPages,
    /// Load every page, so filter and sort cover all flows.
    LoadAll,
    /// Switch the selected flow on or off.
    Toggle,
    /// Edit the selected flow.
    Edit,
    /// Create a new flow.
    New,
    /// Delete the selected flow.
    Delete,
    /// Mark or unmark the selected flow.
    Mark,
    /// Mark every loaded flow the filter matches.
    MarkAll,
    /// Undo the last switch or bulk switch.
    Undo,
    /// Filter by name or content.
    Filter,
    /// Clear the filter.
    ClearFilter,
    /// Next sort column.
    Sort,
    /// Reverse the sort order.
    ReverseSort,
    /// Refresh now.
    Refresh,
    /// Pause or resume live updates.
    Pause,
    /// Reset the "since launch" baseline.
    ResetBaseline,
    /// Dismiss the error shown (the newest).
    Dismiss,
    /// Every error since start, in full.
    Errors,
    /// The selected flow's history, full screen.
    History,
    /// The messages of the selected flow.
    Messages,
    /// The alerts firing and those of the last day.
    Alerts,
    /// Mouse capture on or off.
    Mouse,
    /// Show this help.
    Help,
    /// Quit.
    Quit,
    /// Suspend to the shell.
    Suspend,
}

/// Keys, as the help shows them, and their action.
pub const KEYMAP: &[(&str, Action, &str)] = &[
    ("↓ j", Action::Down, "next row"),
    ("↑ k", Action::Up, "previous row"),
    ("g Home", Action::First, "first row of the page"),
    ("G End", Action::Last, "last row of the page"),
    ("Ctrl-D / U", Action::HalfDown, "half a screen down / up"),
    ("→ ] l PgDn", Action::NextPage, "next page"),
    ("← [ h PgUp", Action::PrevPage, "previous page"),
    (
        "+ / -",
        Action::BiggerPages,
        "page size up / down (reloads page 1)",
    ),
    (
        "A",
        Action::LoadAll,
        "load every page (filter and sort cover all)",
    ),
    ("space", Action::Toggle, "switch the flow on / off"),
    ("e Enter", Action::Edit, "edit the flow"),
    ("n", Action::New, "new flow"),
    ("d Delete", Action::Delete, "delete the flow"),
    (
        "v",
        Action::Mark,
        "mark / unmark the flow (space, d act on marks)",
    ),
    ("V", Action::MarkAll, "mark all loaded matches"),
    ("u", Action::Undo, "undo the last switch"),
    (
        "/",
        Action::Filter,
        "filter by name or content (Esc clears)",
    ),
    ("s / S", Action::Sort, "next sort column / reverse order"),
    ("r", Action::Refresh, "refresh now"),
    ("p", Action::Pause, "pause / resume live updates"),
    (
        "b",
        Action::ResetBaseline,
        "reset the \"since launch\" baseline",
    ),
    ("x", Action::Dismiss, "dismiss the error shown"),
    ("H", Action::History, "history of the flow, full screen"),
    ("E", Action::Errors, "every error in full"),
    (
        "m",
        Action::Messages,
        "messages of the flow, failures by error",
    ),
    ("!", Action::Alerts, "alerts: firing and of the last day"),
    ("M", Action::Mouse, "mouse capture on / off"),
    ("?", Action::Help, "this help"),
    ("q Ctrl-C", Action::Quit, "quit"),
    ("Ctrl-Z", Action::Suspend, "suspend"),
];

/// The keys of the form, the dialogs and the views, by section, as the help shows them after
/// the list's keys. Their handlers are fixed (DESIGN §3), so this list is the whole of them.
pub const OTHER_KEYS: &[(&str, &[(&str, &str)])] = &[
    (
        "Form (e, n)",
        &[
            ("Tab", "next field"),
            ("Shift-Tab", "previous field"),
            ("← / →", "change a choice"),
            ("Enter", "a new line, in the content"),
            ("Ctrl-S", "save, from any field"),
            ("Esc", "cancel (asks when changed)"),
        ],
    ),
    (
        "Delete",
        &[
            ("y", "delete the flow"),
            ("N Enter Esc", "keep it"),
            ("name Enter", "production: type its name to delete"),
        ],
    ),
    (
        "Conflict",
        &[
            ("m", "keep mine (write my changes)"),
            ("t", "take theirs (reload the form)"),
            ("Esc", "back to the form"),
        ],
    ),
    (
        "Kept draft",
        &[("Enter", "restore the draft"), ("x", "drop it")],
    ),
    (
        "History (H)",
        &[
            ("1 2 3 4", "last 1 h, 24 h, 7 d, 30 d"),
            ("← → h l", "move the cursor that reads the values"),
            ("r", "read again"),
            ("q Esc", "close"),
        ],
    ),
    (
        "Alerts (!)",
        &[("↓ ↑ j k", "scroll a line"), ("q Esc !", "close")],
    ),
    (
        "Errors (E), this help",
        &[
            ("↓ ↑ j k", "scroll a line"),
            ("PgDn PgUp", "scroll a page"),
            ("q Esc", "close (? too, for the help)"),
        ],
    ),
    (
        "Marked flows (space, d, u)",
        &[
            ("o / f", "switch them on / off"),
            ("y", "start, once the cost shows"),
            ("count Enter", "production: how many to delete"),
            ("Esc", "cancel; stops a running queue"),
        ],
    ),
];

/// Lines the help holds at most (a heading or a key a line, before wrapping twice over): how
/// far its scroll may go.
pub fn help_lines_max() -> u16 {
    let n = KEYMAP.len()
        + OTHER_KEYS
            .iter()
            .map(|(_, keys)| keys.len() + 1)
            .sum::<usize>();
    u16::try_from(2 * n).unwrap_or(u16::MAX)
}

/// The action of a key on the flow list.
pub fn action(key: &KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('z') if ctrl => Action::Suspend,
        KeyCode::Char('d') if ctrl => Action::HalfDown,
        KeyCode::Char('u') if ctrl => Action::HalfUp,
        _ if ctrl => return None,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Home | KeyCode::Char('g') => Action::First,
        KeyCode::End | KeyCode::Char('G') => Action::Last,
        KeyCode::Right | KeyCode::PageDown | KeyCode::Char(']' | 'l') => Action::NextPage,
        KeyCode::Left | KeyCode::PageUp | KeyCode::Char('[' | 'h') => Action::PrevPage,
        KeyCode::Char('+' | '=') => Action::BiggerPages,
        KeyCode::Char('-') => Action::SmallerPages,
        KeyCode::Char('A') => Action::LoadAll,
        KeyCode::Char(' ') => Action::Toggle,
        KeyCode::Char('e') | KeyCode::Enter => Action::Edit,
        KeyCode::Char('n') => Action::New,
        KeyCode::Char('d') | KeyCode::Delete => Action::Delete,
        KeyCode::Char('v') => Action::Mark,
        KeyCode::Char('V') => Action::MarkAll,
        KeyCode::Char('u') => Action::Undo,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Esc => Action::ClearFilter,
        KeyCode::Char('s') => Action::Sort,
        KeyCode::Char('S') => Action::ReverseSort,
        KeyCode::Char('r') => Action::Refresh,
        KeyCode::Char('p') => Action::Pause,
        KeyCode::Char('b') => Action::ResetBaseline,
        KeyCode::Char('x') => Action::Dismiss,
        KeyCode::Char('E') => Action::Errors,
        KeyCode::Char('H') => Action::History,
        KeyCode::Char('m') => Action::Messages,
        KeyCode::Char('!') => Action::Alerts,
        KeyCode::Char('M') => Action::Mouse,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    })
}
