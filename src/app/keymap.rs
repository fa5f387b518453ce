//! The keys of the flow list, as data (DESIGN §3, §17): one table of bindings, [`BINDINGS`],
//! drives the key handling, the help and the footer. `[keys]` in the config overrides the keys
//! of an action by its name ([`Keymap::with_overrides`]); the keys of the views, the form and
//! the dialogs are fixed, and listed for the help in [`OTHER_KEYS`].

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the operator can ask for on the flow list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// The new-flow form, filled from the selected flow (a copy, switched off).
    Duplicate,
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
    /// Back, one layer a press (`back`): clears the filter.
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
    /// The latest failures of every flow.
    Failures,
    /// The last API calls of this process.
    Ledger,
    /// The alerts firing and those of the last day.
    Alerts,
    /// Mouse capture on or off.
    Mouse,
    /// The config's profiles, to switch account.
    Profiles,
    /// Copy the selected flow's id to the terminal's clipboard.
    CopyId,
    /// Copy the selected flow as JSON to the terminal's clipboard.
    CopyJson,
    /// Show this help.
    Help,
    /// Quit.
    Quit,
    /// Suspend to the shell.
    Suspend,
}

/// One binding: the action's name in `[keys]`, the action, its keys by default (as the config
/// writes them, see [`Key::parse`]), what the help says of it, and its word on the footer with
/// its rank there (when the line is too narrow the highest rank goes first).
#[derive(Debug)]
pub struct Binding {
    pub name: &'static str,
    pub action: Action,
    pub keys: &'static [&'static str],
    pub help: &'static str,
    pub footer: Option<(&'static str, u8)>,
}

const fn bind(
    name: &'static str,
    action: Action,
    keys: &'static [&'static str],
    help: &'static str,
    footer: Option<(&'static str, u8)>,
) -> Binding {
    Binding {
        name,
        action,
        keys,
        help,
        footer,
    }
}

/// Every action of the flow list, one row each, in the order of the help and the footer.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    bind("down", Action::Down, &["down", "j"], "next row", None),
    bind("up", Action::Up, &["up", "k"], "previous row", None),
    bind("top", Action::First, &["g", "home"], "first row of the page", None),
    bind("bottom", Action::Last, &["G", "end"], "last row of the page", None),
    bind("half_page_down", Action::HalfDown, &["ctrl-d"], "half a screen down", None),
    bind("half_page_up", Action::HalfUp, &["ctrl-u"], "half a screen up", None),
    bind("next_page", Action::NextPage, &["right", "]", "l", "pgdn"], "next page", None),
    bind("prev_page", Action::PrevPage, &["left", "[", "h", "pgup"], "previous page", None),
    bind("bigger_pages", Action::BiggerPages, &["+", "="], "bigger pages (reloads page 1)", None),
    bind("smaller_pages", Action::SmallerPages, &["-"], "smaller pages (reloads page 1)", None),
    bind("load_all", Action::LoadAll, &["A"], "load every page (filter and sort cover all)", None),
    bind("toggle", Action::Toggle, &["space"], "switch the flow on / off", Some(("on/off", 5))),
    bind("edit", Action::Edit, &["e", "enter"], "edit the flow", Some(("edit", 4))),
    bind("new", Action::New, &["n"], "new flow", Some(("new", 3))),
    bind("duplicate", Action::Duplicate, &["c"], "duplicate the flow (a new one, off)", None),
    bind("delete", Action::Delete, &["d", "delete"], "delete the flow", Some(("delete", 6))),
    bind("mark", Action::Mark, &["v"], "mark / unmark the flow (space, d act on marks)", None),
    bind("mark_all", Action::MarkAll, &["V"], "mark all loaded matches", None),
    bind("undo", Action::Undo, &["u"], "undo the last switch", None),
    bind("filter", Action::Filter, &["/"], "filter by name or content; #42 goes to flow 42", Some(("filter", 2))),
    bind("back", Action::ClearFilter, &["esc"], "back: stop a queue, clear the marks, then the filter", None),
    bind("sort", Action::Sort, &["s"], "next sort column", Some(("sort", 7))),
    bind("reverse_sort", Action::ReverseSort, &["S"], "reverse the order", None),
    bind("history", Action::History, &["H"], "history of the flow, full screen", Some(("history", 8))),
    bind("refresh", Action::Refresh, &["r"], "refresh now", Some(("refresh", 9))),
    bind("pause", Action::Pause, &["p"], "pause / resume live updates", Some(("pause", 10))),
    bind("baseline", Action::ResetBaseline, &["b"], "reset the \"since launch\" baseline", None),
    bind("dismiss", Action::Dismiss, &["x"], "dismiss the error shown", None),
    bind("errors", Action::Errors, &["E"], "every error in full", None),
    bind("messages", Action::Messages, &["m"], "messages of the flow, failures by error", None),
    bind("failures", Action::Failures, &["F"], "latest failures of every flow, by error and flow", None),
    bind("ledger", Action::Ledger, &["L"], "request ledger: the last API calls", None),
    bind("alerts", Action::Alerts, &["!"], "alerts: firing and of the last day", None),
    bind("mouse", Action::Mouse, &["M"], "mouse capture on / off", None),
    bind("profiles", Action::Profiles, &["P"], "profiles: switch account", None),
    bind("copy_id", Action::CopyId, &["y"], "copy the flow's id", None),
    bind("copy_json", Action::CopyJson, &["Y"], "copy the flow as JSON (and show it)", None),
    bind("help", Action::Help, &["?"], "this help", Some(("help", 0))),
    bind("quit", Action::Quit, &["q", "ctrl-c"], "quit", Some(("quit", 1))),
    bind("suspend", Action::Suspend, &["ctrl-z"], "suspend", None),
];

/// The glyphs of the table, for the help's legend.
pub const LEGEND: &[(&str, &str)] = &[
    ("●", "enabled"),
    ("○", "disabled"),
    ("◐", "switching: sent, not yet confirmed"),
    ("⊘", "cannot be changed here (the detail says why)"),
    ("!", "an alert fires for the flow"),
    ("▌", "marked"),
];

/// The keys of the form, the dialogs and the views, by section, as the help shows them after
/// the list's keys. Their handlers are fixed (DESIGN §3), so this list is the whole of them.
pub const OTHER_KEYS: &[(&str, &[(&str, &str)])] = &[
    (
        "Form (e, n, c)",
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
        "Messages (m, F), request ledger (L)",
        &[
            ("↓ ↑ j k", "move"),
            ("Enter", "the message whole / copy the call as curl"),
            ("r", "read the ledger again"),
            ("q Esc", "close"),
        ],
    ),
    (
        "Alerts (!)",
        &[("↓ ↑ j k", "scroll a line"), ("q Esc !", "close")],
    ),
    (
        "Errors (E), this help, copied text",
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

/// The heading of the legend in the help.
pub const LEGEND_HEADING: &str = "Glyphs";

/// Lines the help holds at most (a heading or a key a line, before wrapping twice over): how
/// far its scroll may go.
pub fn help_lines_max() -> u16 {
    let n = BINDINGS.len()
        + LEGEND.len()
        + 1
        + OTHER_KEYS
            .iter()
            .map(|(_, keys)| keys.len() + 1)
            .sum::<usize>();
    u16::try_from(2 * n).unwrap_or(u16::MAX)
}

/// A key as bindings know it: the code, and whether Ctrl is held (Shift is in the character).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

/// Names of the keys that are not one character, as the config writes them (any case).
const NAMED: &[(&str, KeyCode)] = &[
    ("space", KeyCode::Char(' ')),
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pageup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("pagedown", KeyCode::PageDown),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
];

impl Key {
    /// A key as the config writes it: one character (`t`, `G`, `/`), a name (`space`, `enter`,
    /// `esc`, `tab`, `backspace`, `delete`, `insert`, `home`, `end`, `pgup`, `pgdn`, `up`,
    /// `down`, `left`, `right`, `f1`–`f12`), either after `ctrl-`.
    pub fn parse(text: &str) -> Option<Key> {
        let lower = text.to_lowercase();
        let (ctrl, rest) = match lower.strip_prefix("ctrl-").or(lower.strip_prefix("ctrl+")) {
            Some(_) => (true, &text[5..]),
            None => (false, text),
        };
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
            _ => {
                let name = rest.to_lowercase();
                match NAMED.iter().find(|(n, _)| *n == name) {
                    Some((_, code)) => *code,
                    None => KeyCode::F(
                        name.strip_prefix('f')?
                            .parse()
                            .ok()
                            .filter(|n| (1..=12).contains(n))?,
                    ),
                }
            }
        };
        Some(Key { code, ctrl })
    }

    /// The key of a terminal event.
    pub fn of(event: &KeyEvent) -> Key {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let code = match event.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            code => code,
        };
        Key { code, ctrl }
    }

    /// How the help and the footer show the key: `↓`, `PgDn`, `space`, `Ctrl-D`.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "space".to_owned(),
            KeyCode::Char(c) if self.ctrl => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::Delete => "Delete".to_owned(),
            code => code.to_string(),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// The bindings in force: the table's defaults, with the config's `[keys]` over them.
#[derive(Clone, Debug)]
pub struct Keymap {
    /// The keys of each row of [`BINDINGS`], in its order.
    keys: Vec<Vec<Key>>,
    by_key: HashMap<Key, Action>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::with_overrides(&[]).0
    }
}

/// The row of an action in [`BINDINGS`].
fn row_of(action: Action) -> usize {
    BINDINGS
        .iter()
        .position(|b| b.action == action)
        .unwrap_or_default()
}

impl Keymap {
    /// The defaults with `overrides` (an action's name and its keys, as the config writes them)
    /// in place of an action's keys, and every problem found, in words: an unknown action or
    /// key, two actions on one key. A key two actions claim stays with the one the config names
    /// (the first of the table when both or neither are named): the problem says which.
    pub fn with_overrides(overrides: &[(String, Vec<String>)]) -> (Keymap, Vec<String>) {
        let mut problems = Vec::new();
        let mut keys: Vec<Vec<Key>> = BINDINGS
            .iter()
            .map(|b| b.keys.iter().filter_map(|k| Key::parse(k)).collect())
            .collect();
        let mut named = vec![false; BINDINGS.len()];
        for (name, texts) in overrides {
            let Some(i) = BINDINGS.iter().position(|b| b.name == name) else {
                problems.push(format!(
                    "[keys] `{}` is no action (actions: {})",
                    crate::domain::clean::one_line(name),
                    BINDINGS
                        .iter()
                        .map(|b| b.name)
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
                continue;
            };
            named[i] = true;
            keys[i] = texts
                .iter()
                .filter_map(|t| {
                    let key = Key::parse(t);
                    if key.is_none() {
                        problems.push(format!(
                            "[keys] {name}: `{}` is no key (a character, ctrl-X, space, enter, esc, tab, up, down, left, right, home, end, pgup, pgdn, delete, f1–f12)",
                            crate::domain::clean::one_line(t)
                        ));
                    }
                    key
                })
                .collect();
        }
        // Who keeps a key claimed twice: a named row before a default one, then table order.
        let mut order: Vec<usize> = (0..BINDINGS.len()).collect();
        order.sort_by_key(|&i| !named[i]);
        let mut by_key: HashMap<Key, Action> = HashMap::new();
        for i in order {
            for key in &keys[i] {
                match by_key.get(key) {
                    Some(&held) if held != BINDINGS[i].action => problems.push(format!(
                        "[keys] {} is bound to both `{}` and `{}`: it does `{}`",
                        key.label(),
                        BINDINGS[row_of(held)].name,
                        BINDINGS[i].name,
                        BINDINGS[row_of(held)].name,
                    )),
                    Some(_) => {}
                    None => {
                        by_key.insert(*key, BINDINGS[i].action);
                    }
                }
            }
        }
        (Keymap { keys, by_key }, problems)
    }

    /// The action of a key on the flow list.
    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        self.by_key.get(&Key::of(event)).copied()
    }

    /// The keys of an action that act (a key another action kept is left out).
    pub fn keys_of(&self, action: Action) -> Vec<Key> {
        self.keys[row_of(action)]
            .iter()
            .filter(|k| self.by_key.get(k) == Some(&action))
            .copied()
            .collect()
    }

    /// The keys of an action as the help shows them: `↓ j`; `(none)` when it has none.
    pub fn label(&self, action: Action) -> String {
        let keys = self.keys_of(action);
        if keys.is_empty() {
            "(none)".to_owned()
        } else {
            keys.iter().map(Key::label).collect::<Vec<_>>().join(" ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn every_action_has_a_name_a_key_and_a_help_line_and_the_defaults_agree() {
        let (map, problems) = Keymap::with_overrides(&[]);
        assert_eq!(problems, Vec::<String>::new());
        for b in BINDINGS {
            assert!(!b.help.is_empty(), "{} has no help line", b.name);
            assert!(!map.keys_of(b.action).is_empty(), "{} has no key", b.name);
            assert_eq!(
                map.keys_of(b.action).len(),
                b.keys.len(),
                "a default key of {} does not parse or is taken",
                b.name
            );
            assert_eq!(BINDINGS.iter().filter(|o| o.name == b.name).count(), 1);
            assert_eq!(BINDINGS.iter().filter(|o| o.action == b.action).count(), 1);
        }
    }

    #[test]
    fn keys_parse_as_the_config_writes_them_and_show_as_the_help_does() {
        let label = |t: &str| Key::parse(t).map(|k| k.label());
        assert_eq!(label("space").as_deref(), Some("space"));
        assert_eq!(label("ctrl-d").as_deref(), Some("Ctrl-D"));
        assert_eq!(label("Ctrl+D").as_deref(), Some("Ctrl-D"));
        assert_eq!(label("PgDn").as_deref(), Some("PgDn"));
        assert_eq!(label("G").as_deref(), Some("G"));
        assert_eq!(label("f5").as_deref(), Some("F5"));
        assert_eq!(label("f13"), None);
        assert_eq!(label("spcae"), None);
        assert_eq!(label(""), None);
        let map = Keymap::default();
        let shifted = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(map.action(&shifted), Some(Action::Last));
        let ctrl_d = press(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(map.action(&ctrl_d), Some(Action::HalfDown));
        let ctrl_x = press(KeyCode::Char('x'), KeyModifiers::CONTROL);
        assert_eq!(map.action(&ctrl_x), None);
    }

    #[test]
    fn an_override_replaces_the_keys_and_a_clash_is_named_with_who_acts() {
        let set = |name: &str, keys: &[&str]| {
            (
                name.to_owned(),
                keys.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>(),
            )
        };
        let (map, problems) =
            Keymap::with_overrides(&[set("toggle", &["t"]), set("sort", &["e", "o"])]);
        let t = press(KeyCode::Char('t'), KeyModifiers::NONE);
        assert_eq!(map.action(&t), Some(Action::Toggle));
        let space = press(KeyCode::Char(' '), KeyModifiers::NONE);
        assert_eq!(map.action(&space), None);
        let e = press(KeyCode::Char('e'), KeyModifiers::NONE);
        assert_eq!(map.action(&e), Some(Action::Sort));
        assert_eq!(
            problems,
            ["[keys] e is bound to both `sort` and `edit`: it does `sort`"]
        );
        assert_eq!(map.label(Action::Edit), "Enter");
        let (_, problems) =
            Keymap::with_overrides(&[set("tgogle", &["t"]), set("quit", &["spcae"])]);
        assert!(
            problems[0].starts_with("[keys] `tgogle` is no action"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("[keys] quit: `spcae` is no key"),
            "{problems:?}"
        );
    }
}
