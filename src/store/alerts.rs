//! The state of alerts (DESIGN §14): which alerts fire now, kept in the file so that a
//! restart, or the dashboard and `watch` side by side, never fire one twice.
//!
//! [`Store::settle_alerts`] takes what the rules judged and, in one `IMMEDIATE` transaction,
//! compares it with the alerts firing in the file: only a change of state writes an event, and
//! only the process whose transaction wrote it is told (and notifies). A second process that
//! judges the same a moment later finds the alert firing already and says nothing.
//!
//! Also here: the readings of the last while (the rules' memory at start) and the times this
//! machine's writes switched flows off (the audit, read by `switched_off`).

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;
use rusqlite::params;

use crate::api::{FAILED, UNCHANGED};

use super::{
    Account, AlertEvent, FlowKey, Reading, Store, StoreError, minute_of, timestamp_of_minute,
};

pub const FIRING: &str = "firing";
pub const RESOLVED: &str = "resolved";

/// What one evaluation of the rules judged, for [`Store::settle_alerts`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Judged {
    pub at: Timestamp,
    /// One event per rule and flow judged: state [`FIRING`] or [`RESOLVED`].
    pub events: Vec<AlertEvent>,
    /// After a whole list was read: the flows in it. An alert of one of `names` that fires
    /// for a flow not among them resolves (the flow is gone).
    pub whole_list: Option<BTreeSet<FlowKey>>,
    /// The names of the rules the evaluation ran.
    pub names: Vec<String>,
}

fn flow_text(flow: Option<&FlowKey>) -> String {
    flow.map(FlowKey::to_text).unwrap_or_default()
}

impl Store {
    /// Writes the changes of state among `judged`, in one transaction, and returns them: the
    /// alerts that started firing and those that resolved. Nothing else is written, so an
    /// alert fires once when it starts and once when it resolves, whoever judged it.
    pub fn settle_alerts(
        &mut self,
        account: &Account,
        judged: &Judged,
    ) -> Result<Vec<AlertEvent>, StoreError> {
        self.in_tx(|s| {
            let acct = s.account_row(account, judged.at)?;
            let mut firing: HashMap<(String, String), AlertEvent> = s
                .firing_rows(acct.0)?
                .into_iter()
                .map(|e| ((e.name.clone(), flow_text(e.flow.as_ref())), e))
                .collect();
            let mut changed = Vec::new();
            for e in &judged.events {
                let key = (e.name.clone(), flow_text(e.flow.as_ref()));
                match (e.state == FIRING, firing.remove(&key)) {
                    (true, None) | (false, Some(_)) => changed.push(e.clone()),
                    // Still firing: its numbers follow, without an event.
                    (true, Some(_)) => s.refresh_firing(acct.0, e)?,
                    (false, None) => {}
                }
            }
            if let Some(present) = &judged.whole_list {
                for ((name, _), was) in firing {
                    let gone = was.flow.as_ref().is_some_and(|f| !present.contains(f));
                    if gone && judged.names.contains(&name) {
                        changed.push(gone_event(was, judged.at));
                    }
                }
            }
            for e in &changed {
                s.write_change(acct.0, e)?;
            }
            Ok(changed)
        })
    }

    fn firing_rows(&self, acct: i64) -> Result<Vec<AlertEvent>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT since, name, rule, flow, flow_name, value, text FROM alert_state
             WHERE account = ?1 ORDER BY since, name, flow",
        )?;
        let rows = stmt
            .query_map([acct], |r| {
                Ok(AlertEvent {
                    at: Timestamp::from_second(r.get(0)?).unwrap_or(Timestamp::UNIX_EPOCH),
                    name: r.get(1)?,
                    rule: r.get(2)?,
                    state: FIRING.to_owned(),
                    flow: FlowKey::from_text(&r.get::<_, String>(3)?),
                    flow_name: r.get(4)?,
                    value: r.get(5)?,
                    text: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn refresh_firing(&self, acct: i64, e: &AlertEvent) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE alert_state SET value = ?4, text = ?5, flow_name = ?6
                 WHERE account = ?1 AND name = ?2 AND flow = ?3",
            )?
            .execute(params![
                acct,
                e.name,
                flow_text(e.flow.as_ref()),
                e.value,
                e.text,
                e.flow_name
            ])?;
        Ok(())
    }

    /// The state row and the event of one change.
    fn write_change(&self, acct: i64, e: &AlertEvent) -> Result<(), StoreError> {
        let flow = flow_text(e.flow.as_ref());
        if e.state == FIRING {
            self.conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO alert_state
                     (account, name, flow, rule, flow_name, since, value, text)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    acct,
                    e.name,
                    flow,
                    e.rule,
                    e.flow_name,
                    e.at.as_second(),
                    e.value,
                    e.text
                ])?;
        } else {
            self.conn
                .prepare_cached(
                    "DELETE FROM alert_state WHERE account = ?1 AND name = ?2 AND flow = ?3",
                )?
                .execute(params![acct, e.name, flow])?;
        }
        self.insert_event(acct, e)
    }

    /// The alerts of the account firing now, the oldest first; `at` is when each started.
    pub fn firing_alerts(&self, account: &Account) -> Result<Vec<AlertEvent>, StoreError> {
        match self.find_account(account)? {
            Some(acct) => self.firing_rows(acct.0),
            None => Ok(Vec::new()),
        }
    }

    /// Every reading of the account since `since`, oldest first: what the rules remember of
    /// the flows when a process starts.
    pub fn readings_since(
        &self,
        account: &Account,
        since: Timestamp,
    ) -> Result<Vec<(Timestamp, Reading)>, StoreError> {
        let Some(acct) = self.find_account(account)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare(
            "SELECT r.minute, f.key, f.name, r.sent, r.pending, r.failed, r.enabled
             FROM readings AS r JOIN flows AS f ON f.id = r.flow
             WHERE r.account = ?1 AND r.minute >= ?2 ORDER BY r.minute",
        )?;
        let rows = stmt
            .query_map(params![acct.0, minute_of(since)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    Reading {
                        flow: FlowKey::Id(0),
                        name: r.get(2)?,
                        sent: r.get(3)?,
                        pending: r.get(4)?,
                        failed: r.get(5)?,
                        enabled: r.get(6)?,
                    },
                ))
            })?
            .filter_map(|row| match row {
                Ok((minute, key, reading)) => FlowKey::from_text(&key)
                    .map(|flow| Ok((timestamp_of_minute(minute), Reading { flow, ..reading }))),
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// When this machine's writes since `since` switched flows off: audit entries whose fields
    /// set `is_enabled` to 0 (or false) and that were sent and not refused (a write whose
    /// answer was lost may still have landed, so it counts).
    pub fn switch_offs_since(
        &self,
        account: &Account,
        since: Timestamp,
    ) -> Result<Vec<(FlowKey, Timestamp)>, StoreError> {
        Ok(self
            .audit_entries(account, since)?
            .into_iter()
            .filter(|e| switches_off(&e.fields) && was_sent(&e.result))
            .filter_map(|e| Some((e.flow?, e.at)))
            .collect())
    }
}

/// The result of a write says it went out and was not refused: not `unchanged` (nothing
/// sent) and not `failed` (the server did not store it).
fn was_sent(result: &str) -> bool {
    !(result.starts_with(UNCHANGED) || result.starts_with(FAILED))
}

/// The fields of a write (JSON text) set `is_enabled` off.
fn switches_off(fields: &str) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(fields) else {
        return false;
    };
    match map.get("is_enabled") {
        Some(serde_json::Value::Bool(b)) => !b,
        Some(serde_json::Value::Number(n)) => n.as_i64() == Some(0),
        Some(serde_json::Value::String(s)) => s.trim() == "0" || s.trim() == "false",
        _ => false,
    }
}

/// An alert whose flow left the list: resolved, in words.
fn gone_event(was: AlertEvent, at: Timestamp) -> AlertEvent {
    let who = match (&was.flow, &was.flow_name) {
        (Some(FlowKey::Id(id)), Some(name)) => format!("flow {id} \"{name}\""),
        (_, Some(name)) => format!("flow \"{name}\""),
        (Some(key), None) => format!("flow {key}"),
        (None, None) => "the flow".to_owned(),
    };
    AlertEvent {
        at,
        state: RESOLVED.to_owned(),
        value: None,
        text: format!("{who}: no longer in the list (deleted)"),
        ..was
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_that_switch_off_are_told_from_the_others() {
        for yes in [
            r#"{"is_enabled":"0"}"#,
            r#"{"is_enabled":0}"#,
            r#"{"is_enabled":false}"#,
        ] {
            assert!(switches_off(yes), "{yes}");
        }
        for no in [r#"{"is_enabled":"1"}"#, r#"{"name":"x"}"#, "not json", "[]"] {
            assert!(!switches_off(no), "{no}");
        }
    }
}
