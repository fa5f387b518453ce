//! The config's alert rules (DESIGN §14): `builtin_alerts` and the `[[alerts]]` tables.
//!
//! A rule that cannot be used is an error naming the file, the line and the values allowed;
//! nothing is dropped quietly, since a rule that silently never fires is worse than none.

use std::path::Path;

use jiff::SignedDuration;
use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, line_of};
use crate::domain::alerts::{Notify, Rule, RuleKind, Scope, builtin_rules};
use crate::domain::clean;

/// One `[[alerts]]` table as written; every value keeps where it was, for the error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    name: Option<Spanned<String>>,
    rule: Spanned<String>,
    above: Option<Spanned<toml::Value>>,
    #[serde(rename = "for")]
    window: Option<Spanned<String>>,
    min_messages: Option<Spanned<i64>>,
    #[serde(rename = "match")]
    matches: Option<Spanned<String>>,
    flows: Option<Spanned<Vec<i64>>>,
    notify: Option<Spanned<Vec<String>>>,
    command: Option<Spanned<String>>,
}

/// Where a problem is, to build the error.
struct At<'a> {
    path: &'a Path,
    text: &'a str,
}

impl At<'_> {
    fn error(&self, span: std::ops::Range<usize>, mut detail: String) -> ConfigError {
        detail.insert_str(0, "[[alerts]] ");
        ConfigError::Syntax {
            path: self.path.to_path_buf(),
            line: Some(line_of(self.text, span.start)),
            detail,
        }
    }
}

fn quoted(value: &str) -> String {
    format!("`{}`", clean::one_line(value))
}

/// The rules in force: the built-in ones unless `builtin` is false, then the config's, a rule
/// named like a built-in one taking its place.
pub(super) fn rules(
    path: &Path,
    text: &str,
    builtin: bool,
    raw: Vec<Spanned<RawRule>>,
) -> Result<Vec<Rule>, ConfigError> {
    let at = At { path, text };
    let mut own: Vec<Rule> = Vec::new();
    for table in raw {
        let span = table.span();
        let rule = rule(&at, table.get_ref())?;
        if own.iter().any(|r| r.name == rule.name) {
            return Err(at.error(
                span,
                format!(
                    "two alerts are named {}: give each its own `name`",
                    quoted(&rule.name)
                ),
            ));
        }
        own.push(rule);
    }
    let mut all: Vec<Rule> = if builtin {
        builtin_rules()
            .into_iter()
            .filter(|b| !own.iter().any(|r| r.name == b.name))
            .collect()
    } else {
        Vec::new()
    };
    all.extend(own);
    Ok(all)
}

fn kind(at: &At<'_>, raw: &Spanned<String>) -> Result<RuleKind, ConfigError> {
    RuleKind::parse(raw.get_ref()).ok_or_else(|| {
        let allowed: Vec<&str> = RuleKind::ALL.iter().map(|k| k.as_str()).collect();
        at.error(
            raw.span(),
            format!(
                "`rule` is {}: use one of {}",
                quoted(raw.get_ref()),
                allowed.join(", ")
            ),
        )
    })
}

/// One table; `above`, `for` and `min_messages` only where the rule reads them.
fn rule(at: &At<'_>, raw: &RawRule) -> Result<Rule, ConfigError> {
    let kind = kind(at, &raw.rule)?;
    let name = match &raw.name {
        Some(n) if n.get_ref().trim().is_empty() => {
            return Err(at.error(n.span(), "`name` is empty".to_owned()));
        }
        Some(n) => clean::one_line(n.get_ref().trim()),
        None => kind.as_str().to_owned(),
    };
    let mut rule = Rule::new(name, kind);
    let only = |field: &str, kinds: &[RuleKind], span: std::ops::Range<usize>| {
        if kinds.contains(&kind) {
            return Ok(());
        }
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        Err(at.error(
            span,
            format!(
                "`{field}` is read by {} rules only, not by {kind}",
                names.join(" and ")
            ),
        ))
    };
    if let Some(a) = &raw.above {
        only("above", &[RuleKind::FailedShare], a.span())?;
        rule.above = share(a.get_ref()).ok_or_else(|| {
            at.error(
                a.span(),
                format!(
                    "`above` is {}: use a percentage from 0% to 100% such as \"5%\", or a share such as 0.05",
                    quoted(&match a.get_ref() {
                        toml::Value::String(s) => s.clone(),
                        v => v.to_string(),
                    })
                ),
            )
        })?;
    }
    if let Some(w) = &raw.window {
        only(
            "for",
            &[
                RuleKind::FailedShare,
                RuleKind::PendingStuck,
                RuleKind::Silent,
            ],
            w.span(),
        )?;
        rule.window = duration(w.get_ref()).ok_or_else(|| {
            at.error(
                w.span(),
                format!(
                    "`for` is {}: use a duration such as \"90s\", \"15m\", \"1h\" or \"2d\"",
                    quoted(w.get_ref())
                ),
            )
        })?;
    }
    if let Some(m) = &raw.min_messages {
        only("min_messages", &[RuleKind::FailedShare], m.span())?;
        rule.min_messages = u64::try_from(*m.get_ref())
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                at.error(
                    m.span(),
                    format!(
                        "`min_messages` is {}: use a whole number from 1",
                        m.get_ref()
                    ),
                )
            })?;
    }
    rule.scope = scope(at, raw)?;
    (rule.notify, rule.command) = notify(at, raw)?;
    Ok(rule)
}

fn scope(at: &At<'_>, raw: &RawRule) -> Result<Scope, ConfigError> {
    match (&raw.matches, &raw.flows) {
        (Some(_), Some(f)) => Err(at.error(
            f.span(),
            "sets both `match` and `flows`: keep one (neither: every flow)".to_owned(),
        )),
        (Some(m), None) if m.get_ref().trim().is_empty() => Err(at.error(
            m.span(),
            "`match` is empty: give part of a flow's name, or leave it out for every flow"
                .to_owned(),
        )),
        (Some(m), None) => Ok(Scope::Match(clean::one_line(m.get_ref().trim()))),
        (None, Some(f)) => {
            let ids: Option<Vec<u64>> = f
                .get_ref()
                .iter()
                .map(|&id| u64::try_from(id).ok().filter(|&id| id >= 1))
                .collect();
            match ids {
                Some(ids) if !ids.is_empty() => Ok(Scope::Flows(ids)),
                _ => Err(at.error(
                    f.span(),
                    "`flows` must list flow ids (whole numbers from 1), such as [12, 14]"
                        .to_owned(),
                )),
            }
        }
        (None, None) => Ok(Scope::All),
    }
}

fn notify(at: &At<'_>, raw: &RawRule) -> Result<(Vec<Notify>, Option<String>), ConfigError> {
    let mut ways = Vec::new();
    if let Some(n) = &raw.notify {
        for word in n.get_ref() {
            let way = Notify::parse(word).ok_or_else(|| {
                at.error(
                    n.span(),
                    format!(
                        "`notify` names {}: use bell, desktop or command",
                        quoted(word)
                    ),
                )
            })?;
            if !ways.contains(&way) {
                ways.push(way);
            }
        }
    }
    let command = match &raw.command {
        Some(c) if c.get_ref().trim().is_empty() => {
            return Err(at.error(c.span(), "`command` is empty".to_owned()));
        }
        Some(c) if !ways.contains(&Notify::Command) => {
            return Err(at.error(
                c.span(),
                "sets `command` but `notify` does not name \"command\": add it, or remove the command"
                    .to_owned(),
            ));
        }
        Some(c) => Some(c.get_ref().clone()),
        None if ways.contains(&Notify::Command) => {
            let span = raw.notify.as_ref().map_or(0..0, Spanned::span);
            return Err(at.error(
                span,
                "`notify` names \"command\" but no `command` is set".to_owned(),
            ));
        }
        None => None,
    };
    Ok((ways, command))
}

/// `"5%"`, `"5 %"`, `0.05` or `"0.05"`: a share from 0 to 1.
fn share(value: &toml::Value) -> Option<f64> {
    let n = match value {
        toml::Value::Float(f) => *f,
        toml::Value::Integer(0) => 0.0,
        toml::Value::String(s) => match s.trim().strip_suffix('%') {
            Some(pct) => pct.trim().parse::<f64>().ok()? / 100.0,
            None => s.trim().parse::<f64>().ok()?,
        },
        _ => return None,
    };
    (n.is_finite() && (0.0..=1.0).contains(&n)).then_some(n)
}

/// `90s`, `15m`, `1h`, `2d`: a positive duration of at most 90 days.
pub fn duration(text: &str) -> Option<SignedDuration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().ok().filter(|&n| n > 0)?;
    let secs = match unit.trim() {
        "s" => n,
        "m" | "min" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    (secs <= 90 * 86_400).then(|| SignedDuration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Rule>, String> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default = "yes")]
            builtin_alerts: bool,
            #[serde(default)]
            alerts: Vec<Spanned<RawRule>>,
        }
        fn yes() -> bool {
            true
        }
        let path = Path::new("/c/config.toml");
        let file: File = toml::from_str(text).map_err(|e| {
            super::super::parse(path, text)
                .err()
                .map_or_else(|| e.to_string(), |e| e.to_string())
        })?;
        rules(path, text, file.builtin_alerts, file.alerts).map_err(|e| e.to_string())
    }

    #[test]
    fn the_built_in_rules_hold_unless_turned_off() {
        let names = |r: Vec<Rule>| r.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(parse("").unwrap()),
            ["failed_share", "pending_stuck", "switched_off"]
        );
        assert!(parse("builtin_alerts = false").unwrap().is_empty());
        // A rule named like a built-in one takes its place.
        let r =
            parse("[[alerts]]\nname = \"failed_share\"\nrule = \"failed_share\"\nabove = \"5%\"\n")
                .unwrap();
        assert_eq!(r.len(), 3);
        assert!((r[2].above - 0.05).abs() < 1e-12);
    }

    #[test]
    fn a_rule_is_read_whole() {
        let text = r#"
builtin_alerts = false
[[alerts]]
name = "failing"
rule = "failed_share"
above = "5 %"
for = "15m"
min_messages = 30
match = "Welcome"
notify = ["bell", "desktop", "command"]
command = 'notify-send flowdash "$FLOWDASH_ALERT_TEXT"'
"#;
        let r = parse(text).unwrap();
        assert_eq!(
            r,
            [Rule {
                name: "failing".into(),
                kind: RuleKind::FailedShare,
                above: 0.05,
                window: SignedDuration::from_mins(15),
                min_messages: 30,
                scope: Scope::Match("Welcome".into()),
                notify: vec![Notify::Bell, Notify::Desktop, Notify::Command],
                command: Some("notify-send flowdash \"$FLOWDASH_ALERT_TEXT\"".into()),
            }]
        );
    }

    #[test]
    fn a_rule_that_cannot_be_read_names_the_file_the_line_and_the_values_allowed() {
        let cases = [
            (
                "[[alerts]]\nrule = \"failed_shares\"\n",
                "config file /c/config.toml, line 2: [[alerts]] `rule` is `failed_shares`: use one of failed_share, pending_stuck, silent, switched_off",
            ),
            (
                "[[alerts]]\nrule = \"failed_share\"\nabove = \"lots\"\n",
                "config file /c/config.toml, line 3: [[alerts]] `above` is `lots`: use a percentage from 0% to 100% such as \"5%\", or a share such as 0.05",
            ),
            (
                "\n[[alerts]]\nrule = \"silent\"\nfor = \"an hour\"\n",
                "config file /c/config.toml, line 4: [[alerts]] `for` is `an hour`: use a duration such as \"90s\", \"15m\", \"1h\" or \"2d\"",
            ),
            (
                "[[alerts]]\nrule = \"silent\"\nnotify = [\"bell\", \"email\"]\n",
                "config file /c/config.toml, line 3: [[alerts]] `notify` names `email`: use bell, desktop or command",
            ),
            (
                "[[alerts]]\nrule = \"switched_off\"\nabove = 0.5\n",
                "config file /c/config.toml, line 3: [[alerts]] `above` is read by failed_share rules only, not by switched_off",
            ),
            (
                "[[alerts]]\nrule = \"silent\"\nflows = [12]\nmatch = \"x\"\n",
                "config file /c/config.toml, line 3: [[alerts]] sets both `match` and `flows`: keep one (neither: every flow)",
            ),
            (
                "[[alerts]]\nrule = \"silent\"\nnotify = [\"command\"]\n",
                "config file /c/config.toml, line 3: [[alerts]] `notify` names \"command\" but no `command` is set",
            ),
            (
                "[[alerts]]\nrule = \"silent\"\n[[alerts]]\nrule = \"silent\"\n",
                "config file /c/config.toml, line 3: [[alerts]] two alerts are named `silent`: give each its own `name`",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).unwrap_err(), want, "{text}");
        }
    }

    #[test]
    fn unknown_and_missing_fields_are_named_with_their_line() {
        let e = parse("[[alerts]]\nrule = \"silent\"\nfour = \"1h\"\n").unwrap_err();
        assert!(
            e.starts_with(
                "config file /c/config.toml, line 3: unknown field `four`, expected one of"
            ) && e.contains("`for`"),
            "{e}"
        );
        let e = parse("x = 1\n[[alerts]]\nname = \"n\"\n").unwrap_err();
        assert!(
            e.contains("line 2") && e.contains("missing field `rule`"),
            "{e}"
        );
    }

    #[test]
    fn shares_and_durations() {
        let s = |v: toml::Value| share(&v);
        assert_eq!(s(toml::Value::String("12.5%".into())), Some(0.125));
        assert_eq!(s(toml::Value::Float(0.2)), Some(0.2));
        assert_eq!(s(toml::Value::String("150%".into())), None);
        assert_eq!(s(toml::Value::Integer(5)), None);
        assert_eq!(duration("90s"), Some(SignedDuration::from_secs(90)));
        assert_eq!(duration("2d"), Some(SignedDuration::from_hours(48)));
        for bad in ["0m", "15", "m", "1w", "91d", "-5m"] {
            assert_eq!(duration(bad), None, "{bad}");
        }
    }
}
