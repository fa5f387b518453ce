//! Telling people of alert events (DESIGN §14): the bell, a desktop notification and a command
//! of the operator's, as each rule's `notify` asks.
//!
//! The events of one poll that share a state make one notification: ten flows failing at once
//! ring the bell once, and run a command once with every alert in its environment.
//!
//! - `bell` and `desktop` go to the terminal (BEL; OSC 777 and OSC 9) only when the output is
//!   one. Otherwise `desktop` runs `notify-send` when there is one, and warns once when not.
//! - `command` runs with `sh -c`, at most 5 s, with the alert in `FLOWDASH_ALERT_*` variables
//!   and without `FLOWDASH_API_KEY`: a hook has no business with the key.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::api::error::redact;
use crate::domain::alerts::{Notify, Rule};
use crate::domain::clean;
use crate::store::{AlertEvent, FIRING, FlowKey};

/// How long a command or `notify-send` may run.
pub const COMMAND_LIMIT: Duration = Duration::from_secs(5);
/// Characters of a desktop notification's text.
const DESKTOP_CHARS: usize = 300;

/// What one group of events asks of the terminal, and the processes to start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Bytes for the terminal (BEL, OSC 777, OSC 9); empty when it is not one.
    pub terminal: String,
    /// `notify-send` with this text (the output is not a terminal).
    pub notify_send: Option<String>,
    /// Each command once, with the environment of its events.
    pub commands: Vec<(String, Vec<(String, String)>)>,
}

/// Splits the events of one poll by state (firing first) and plans one notification each.
pub fn plan(events: &[AlertEvent], rules: &[Rule], terminal: bool) -> Vec<Plan> {
    let firing: Vec<&AlertEvent> = events.iter().filter(|e| e.state == FIRING).collect();
    let resolved: Vec<&AlertEvent> = events.iter().filter(|e| e.state != FIRING).collect();
    [firing, resolved]
        .into_iter()
        .filter(|group| !group.is_empty())
        .map(|group| plan_group(&group, rules, terminal))
        .filter(|p| *p != Plan::default())
        .collect()
}

fn plan_group(events: &[&AlertEvent], rules: &[Rule], terminal: bool) -> Plan {
    let rule_of = |e: &AlertEvent| rules.iter().find(|r| r.name == e.name);
    let wants = |way: Notify| {
        events
            .iter()
            .any(|e| rule_of(e).is_some_and(|r| r.notify.contains(&way)))
    };
    let mut plan = Plan::default();
    let summary = summary(events);
    if terminal {
        if wants(Notify::Bell) {
            plan.terminal.push('\x07');
        }
        if wants(Notify::Desktop) {
            // Cleaned, so that nothing in a flow's name can end the sequence and start another.
            let text = clean::one_line(&summary).replace(';', ",");
            let _ = write!(
                plan.terminal,
                "\x1b]777;notify;flowdash;{text}\x07\x1b]9;{text}\x07"
            );
        }
    } else if wants(Notify::Desktop) {
        plan.notify_send = Some(summary.clone());
    }
    let mut commands: Vec<&str> = Vec::new();
    for e in events {
        if let Some(r) = rule_of(e)
            && r.notify.contains(&Notify::Command)
            && let Some(c) = r.command.as_deref()
            && !commands.contains(&c)
        {
            commands.push(c);
        }
    }
    for c in commands {
        let own: Vec<&AlertEvent> = events
            .iter()
            .copied()
            .filter(|e| rule_of(e).and_then(|r| r.command.as_deref()) == Some(c))
            .collect();
        plan.commands.push((c.to_owned(), environment(&own)));
    }
    plan
}

/// One line for all the events: the event's own `name: text`, or how many and each in short.
pub fn summary(events: &[&AlertEvent]) -> String {
    let line = |e: &AlertEvent| format!("{}: {}", e.name, e.text);
    let text = match events {
        [one] => line(one),
        many => format!(
            "{} alerts {}: {}",
            many.len(),
            many.first().map_or("", |e| e.state.as_str()),
            many.iter().map(|e| line(e)).collect::<Vec<_>>().join("; ")
        ),
    };
    let cut: String = text.chars().take(DESKTOP_CHARS).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// A variable's name (after `FLOWDASH_ALERT_`) and its value for one event.
type Field<'a> = (&'static str, &'a dyn Fn(&AlertEvent) -> String);

/// The `FLOWDASH_ALERT_*` variables: one line per event in each, in the same order, and
/// `FLOWDASH_ALERT_COUNT`. With one event, each holds its value.
pub fn environment(events: &[&AlertEvent]) -> Vec<(String, String)> {
    let join = |f: &dyn Fn(&AlertEvent) -> String| {
        events
            .iter()
            .map(|e| clean::one_line(&redact(&f(e))))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let fields: [Field<'_>; 7] = [
        ("NAME", &|e| e.name.clone()),
        ("RULE", &|e| e.rule.clone()),
        ("STATE", &|e| e.state.clone()),
        ("FLOW_ID", &|e| match &e.flow {
            Some(FlowKey::Id(id)) => id.to_string(),
            _ => String::new(),
        }),
        ("FLOW", &|e| e.flow_name.clone().unwrap_or_default()),
        ("VALUE", &|e| {
            e.value.map(|v| v.to_string()).unwrap_or_default()
        }),
        ("TEXT", &|e| e.text.clone()),
    ];
    let mut env: Vec<(String, String)> = fields
        .iter()
        .map(|(name, f)| (format!("FLOWDASH_ALERT_{name}"), join(*f)))
        .collect();
    env.push(("FLOWDASH_ALERT_COUNT".to_owned(), events.len().to_string()));
    env
}

/// Runs the processes of a plan: `notify-send`, found on `PATH` (`notify_send`), and the
/// commands. Each runs as a task of its own and never holds up the caller. `warn` receives
/// what the operator should read on stderr.
pub fn run(plan: &Plan, notify_send: Option<&PathBuf>, warn: fn(&str)) {
    if let (Some(text), Some(program)) = (&plan.notify_send, notify_send) {
        let mut c = tokio::process::Command::new(program);
        c.arg("flowdash").arg(clean::one_line(text));
        spawn("notify-send", c, warn);
    }
    for (command, env) in &plan.commands {
        let mut c = tokio::process::Command::new("sh");
        c.arg("-c").arg(command).envs(env.iter().cloned());
        spawn("the alert command", c, warn);
    }
}

/// `notify-send` on `PATH`, if there is one.
pub fn find_notify_send() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("notify-send"))
        .find(|p| p.is_file())
}

fn spawn(what: &'static str, mut c: tokio::process::Command, warn: fn(&str)) {
    c.env_remove("FLOWDASH_API_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let child = match c.spawn() {
        Ok(child) => child,
        Err(e) => {
            warn(&format!("warning: {what} could not be started: {e}"));
            return;
        }
    };
    tokio::spawn(async move {
        if let Some(problem) = wait(child).await {
            let msg = redact(&clean::one_line(&problem)).into_owned();
            tracing::warn!(what, problem = %msg, "notification failed");
            warn(&format!("warning: {what} {msg}"));
        }
    });
}

/// Waits for the process, at most [`COMMAND_LIMIT`]; what went wrong, if anything.
async fn wait(mut child: tokio::process::Child) -> Option<String> {
    use tokio::io::AsyncReadExt as _;
    // The shell leads its own group: at the limit, everything it started goes with it.
    let pgid = child.id();
    let stderr = child.stderr.take();
    let run = async {
        let mut err = Vec::new();
        if let Some(s) = stderr {
            let _ = s.take(4096).read_to_end(&mut err).await;
        }
        (child.wait().await, err)
    };
    match tokio::time::timeout(COMMAND_LIMIT, run).await {
        Err(_) => {
            crate::config::kill_group(pgid);
            Some(format!(
                "did not finish within {} s and was stopped",
                COMMAND_LIMIT.as_secs()
            ))
        }
        Ok((Err(e), _)) => Some(format!("failed: {e}")),
        Ok((Ok(status), _)) if status.success() => None,
        Ok((Ok(status), err)) => {
            let err = String::from_utf8_lossy(&err);
            let err: String = err.trim().chars().take(200).collect();
            let status = status.code().map_or_else(
                || "killed by a signal".to_owned(),
                |c| format!("exit status {c}"),
            );
            Some(if err.is_empty() {
                format!("failed ({status})")
            } else {
                format!("failed ({status}): {err}")
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alerts::RuleKind;
    use crate::store::RESOLVED;

    fn event(name: &str, id: u64, state: &str, text: &str) -> AlertEvent {
        AlertEvent {
            at: jiff::Timestamp::UNIX_EPOCH,
            name: name.into(),
            rule: "failed_share".into(),
            state: state.into(),
            flow: Some(FlowKey::Id(id)),
            flow_name: Some(format!("Flow {id}")),
            value: Some(0.25),
            text: text.into(),
        }
    }

    fn rule(name: &str, notify: &[Notify], command: Option<&str>) -> Rule {
        let mut r = Rule::new(name, RuleKind::FailedShare);
        r.notify = notify.to_vec();
        r.command = command.map(str::to_owned);
        r
    }

    #[test]
    fn alerts_starting_in_one_poll_make_one_notification() {
        let rules = [rule(
            "failing",
            &[Notify::Bell, Notify::Desktop, Notify::Command],
            Some("hook"),
        )];
        let events = [
            event("failing", 1, FIRING, "a"),
            event("failing", 2, FIRING, "b"),
            event("failing", 3, RESOLVED, "c"),
        ];
        let plans = plan(&events, &rules, true);
        assert_eq!(plans.len(), 2, "one for the firing, one for the resolved");
        let first = &plans[0];
        assert_eq!(first.terminal.matches('\x07').count(), 3, "a bell, two OSC");
        assert!(first.terminal.starts_with(
            "\x07\x1b]777;notify;flowdash;2 alerts firing: failing: a, failing: b\x07"
        ));
        assert_eq!(first.commands.len(), 1);
        let env = &first.commands[0].1;
        let var = |n: &str| env.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(var("FLOWDASH_ALERT_COUNT"), "2");
        assert_eq!(var("FLOWDASH_ALERT_FLOW_ID"), "1\n2");
        assert_eq!(var("FLOWDASH_ALERT_STATE"), "firing\nfiring");
        // Not a terminal: no bytes for it, notify-send instead.
        let plans = plan(&events[..1], &rules, false);
        assert_eq!(plans[0].terminal, "");
        assert_eq!(plans[0].notify_send.as_deref(), Some("failing: a"));
    }

    #[test]
    fn rules_without_notify_plan_nothing_and_names_cannot_inject_escapes() {
        let quiet = [rule("failing", &[], None)];
        assert!(plan(&[event("failing", 1, FIRING, "a")], &quiet, true).is_empty());
        let loud = [rule("failing", &[Notify::Desktop], None)];
        let plans = plan(
            &[event("failing", 1, FIRING, "x\x07\x1b]52;c;AAAA\x07y")],
            &loud,
            true,
        );
        let t = &plans[0].terminal;
        assert_eq!(
            t.matches('\x1b').count(),
            2,
            "only the two OSC of our own: {t:?}"
        );
    }
}
