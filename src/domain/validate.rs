//! Checks of a draft that mirror the server's rules, so the operator learns before saving, and
//! the server's length and cleaning rules that a write's answer is compared by.

use super::flow::FlowDraft;

pub const NAME_MAX: usize = 256;
pub const CONTENT_MAX: usize = 1000;

/// The form fields a problem can belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Content,
    Device,
    Sim,
    WaitTime,
    WaitUnit,
    Segment,
    Enabled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub message: String,
    /// A warning does not stop the save.
    pub warning: bool,
}

/// Length as the server stores it: each `'` and `"` becomes a five-character entity.
pub fn stored_len(s: &str) -> usize {
    s.chars()
        .map(|c| if c == '\'' || c == '"' { 5 } else { 1 })
        .sum()
}

/// The name of a duplicate: `Copy of NAME`, cut (at a character, trailing spaces dropped) so
/// that it fits [`NAME_MAX`] as stored, quotes counting 5.
pub fn copy_name(name: &str) -> String {
    let mut copy = format!("Copy of {}", name.trim());
    let mut len = stored_len(&copy);
    while len > NAME_MAX {
        len -= copy
            .pop()
            .map_or(0, |c| stored_len(c.encode_utf8(&mut [0; 4])));
    }
    copy.truncate(copy.trim_end().len());
    copy
}

/// What of a text survives the server's cleaning: its letters and digits outside `<…>`, in order.
/// The server deletes tags, turns quotes into entities, and on create rewrites curly quotes,
/// dashes, ellipses, spaces and line ends (CONTRACT §6.5), so the text sent is rarely the text
/// stored.
fn skeleton(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag && c.is_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

/// True when `stored` (as decoded) can be what the server made of `sent`: the same skeleton, or
/// its start when the server cut the text at `max` stored characters.
pub fn stored_as(sent: &str, stored: &str, max: usize) -> bool {
    let (a, b) = (skeleton(sent), skeleton(stored));
    if a.is_empty() || b.is_empty() {
        return sent.trim() == stored.trim();
    }
    a == b || (stored_len(stored) + 5 > max && a.starts_with(&b))
}

/// Every problem of a draft, errors and warnings, in form order.
pub fn check(draft: &FlowDraft) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut error = |field, message: String| {
        out.push(Problem {
            field,
            message,
            warning: false,
        });
    };
    if draft.name.trim().is_empty() {
        error(Field::Name, "a name is required".to_owned());
    } else if stored_len(&draft.name) > NAME_MAX {
        error(
            Field::Name,
            format!(
                "{} of {NAME_MAX} characters as stored (quotes count 5)",
                stored_len(&draft.name)
            ),
        );
    }
    if draft.content.trim().is_empty() {
        error(Field::Content, "content is required".to_owned());
    } else if stored_len(&draft.content) > CONTENT_MAX {
        error(
            Field::Content,
            format!(
                "{} of {CONTENT_MAX} characters as stored (quotes count 5)",
                stored_len(&draft.content)
            ),
        );
    }
    if draft.device_id.is_none() {
        error(Field::Device, "choose a device".to_owned());
    }
    if draft.sim_subscription_id.is_none() {
        error(Field::Sim, "choose a SIM".to_owned());
    }
    let max = draft.wait_unit.max();
    if draft.wait_time < 1 || draft.wait_time > max {
        error(
            Field::WaitTime,
            format!("between 1 and {max} {}", draft.wait_unit.as_str()),
        );
    }
    for (field, text) in [(Field::Name, &draft.name), (Field::Content, &draft.content)] {
        if text.contains('<') {
            out.push(Problem {
                field,
                message: "the server deletes everything from a `<` to the next `>` (or the end)"
                    .to_owned(),
                warning: true,
            });
        }
    }
    out
}

/// True when no problem stops the save.
pub fn is_savable(problems: &[Problem]) -> bool {
    problems.iter().all(|p| p.warning)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::WaitUnit;

    fn draft() -> FlowDraft {
        FlowDraft {
            name: "Welcome".into(),
            content: "Hello".into(),
            device_id: Some(1),
            sim_subscription_id: Some(2),
            ..FlowDraft::default()
        }
    }

    #[test]
    fn a_complete_draft_passes() {
        assert!(check(&draft()).is_empty());
    }

    #[test]
    fn required_fields() {
        let mut d = draft();
        d.name = "  ".into();
        d.content = String::new();
        d.device_id = None;
        let fields: Vec<Field> = check(&d).iter().map(|p| p.field).collect();
        assert_eq!(fields, vec![Field::Name, Field::Content, Field::Device]);
    }

    #[test]
    fn wait_limits_follow_the_unit() {
        let mut d = draft();
        d.wait_time = 90;
        assert!(check(&d).is_empty());
        d.wait_time = 91;
        assert_eq!(check(&d)[0].field, Field::WaitTime);
        d.wait_unit = WaitUnit::Hours;
        d.wait_time = 2160;
        assert!(check(&d).is_empty());
        d.wait_unit = WaitUnit::Minutes;
        d.wait_time = 0;
        assert_eq!(check(&d)[0].message, "between 1 and 129600 minutes");
    }

    #[test]
    fn quotes_count_five_and_angle_bracket_warns() {
        let mut d = draft();
        d.name = "'".repeat(52);
        assert_eq!(check(&d)[0].field, Field::Name);
        d.name = "'".repeat(51) + "a";
        assert!(check(&d).is_empty());
        d.content = "Price < 5".into();
        let p = check(&d);
        assert!(p[0].warning && is_savable(&p));
    }

    #[test]
    fn recognises_text_the_server_rewrote() {
        // Create: tags deleted, curly quote and ellipsis normalised, spaces collapsed.
        assert!(stored_as(
            "Don’t  miss <b>it</b>…\r\nsee you",
            "Don't miss it...\nsee you",
            CONTENT_MAX
        ));
        assert!(stored_as("Tom's \"deal\"", "Tom's \"deal\"", NAME_MAX));
        assert!(!stored_as("Spring sale", "Spring sale 2", NAME_MAX));
        assert!(!stored_as("Spring sale 2", "Spring sale", NAME_MAX));
        // Cut at the limit: the start is enough.
        let long = "x".repeat(300);
        assert!(stored_as(&long, &long[..256], NAME_MAX));
        // Nothing but symbols: compared as they are.
        assert!(stored_as("🎉", "🎉", NAME_MAX));
    }

    #[test]
    fn a_copy_is_named_copy_of_and_cut_to_fit_as_stored() {
        assert_eq!(copy_name("Welcome"), "Copy of Welcome");
        let long = "é".repeat(NAME_MAX);
        let copy = copy_name(&long);
        assert_eq!(stored_len(&copy), NAME_MAX);
        assert!(copy.starts_with("Copy of éé"));
        // Quotes count 5: the cut leaves room for them as stored.
        let quoted = "\"".repeat(60);
        assert!(stored_len(&copy_name(&quoted)) <= NAME_MAX);
        assert_eq!(
            copy_name(&quoted).len(),
            "Copy of ".len() + (NAME_MAX - 8) / 5
        );
        let spaced = copy_name(&"x y ".repeat(80));
        assert!(stored_len(&spaced) <= NAME_MAX && !spaced.ends_with(' '));
        assert!(!stored_as("🎉", "🎂", NAME_MAX));
    }
}
