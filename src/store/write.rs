//! Writing: readings, the snapshot, alert events and audit entries, and the thinning of old
//! readings. Each public function is one transaction.

use jiff::Timestamp;
use rusqlite::{OptionalExtension as _, params};

use super::{
    Account, AccountId, AlertEvent, AuditEntry, FULL_RESOLUTION_HOURS, FlowKey, Reading, Snapshot,
    Store, StoreError, UNCHANGED_EVERY_MINUTES, minute_of,
};

/// What [`Store::write_readings`] did with a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Rows inserted or replaced.
    pub rows: usize,
    /// Readings skipped: nothing changed and the last row is younger than five minutes.
    pub unchanged: usize,
}

/// The values of one stored reading, to compare with a new one.
pub(super) type Values = (Option<i64>, Option<i64>, Option<i64>, bool);

impl Store {
    /// Runs `f` in one `IMMEDIATE` transaction: the write lock is taken at once, so a busy file
    /// is met (and waited for) here, before any work, and never half-way through a batch.
    pub(super) fn in_tx<T>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self).and_then(|v| Ok(self.conn.execute_batch("COMMIT").map(|()| v)?)) {
            Ok(v) => Ok(v),
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                // Flow rows and readings of this transaction are gone again.
                self.flow_ids.clear();
                self.last.clear();
                Err(e)
            }
        }
    }

    /// The account's row, made or refreshed. An account without a user id is the one last seen
    /// at its base URL, or a new one with user id 0 when there is none.
    pub(super) fn account_row(
        &self,
        account: &Account,
        at: Timestamp,
    ) -> Result<AccountId, StoreError> {
        let now = at.as_second();
        let user = match account.user_id {
            Some(u) => u as i64,
            None => self
                .conn
                .query_row(
                    "SELECT user_id FROM accounts WHERE base_url = ?1
                     ORDER BY last_seen DESC, id DESC LIMIT 1",
                    [account.base_url()],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0),
        };
        let id = self.conn.query_row(
            "INSERT INTO accounts (base_url, user_id, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (base_url, user_id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)
             RETURNING id",
            params![account.base_url(), user, now],
            |r| r.get(0),
        )?;
        Ok(AccountId(id))
    }

    /// The flow's row id, made when new; its name follows the latest reading.
    fn flow_row(&mut self, account: AccountId, reading: &Reading) -> Result<i64, StoreError> {
        let key = reading.flow.to_text();
        if let Some((id, name)) = self.flow_ids.get(&(account, key.clone()))
            && *name == reading.name
        {
            return Ok(*id);
        }
        let id: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO flows (account, key, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account, key) DO UPDATE SET name = excluded.name
                 RETURNING id",
            )?
            .query_row(params![account.0, key, reading.name], |r| r.get(0))?;
        self.flow_ids
            .insert((account, key), (id, reading.name.clone()));
        Ok(id)
    }

    /// Stores one reading of each flow, taken at `at`, in one transaction. A flow gets at most
    /// one row a minute (a second reading in the same minute replaces the first, whichever
    /// process wrote it), and a reading whose values did not change is skipped until five
    /// minutes have passed since the last row.
    ///
    /// First the rows to write are chosen (flow rows and last values come from memory after
    /// the first batch), then they go in by flow, through one prepared statement: each flow's
    /// rows sit together in the table, so in flow order the inserts walk its pages in order.
    pub fn write_readings(
        &mut self,
        account: &Account,
        at: Timestamp,
        readings: &[Reading],
    ) -> Result<Written, StoreError> {
        self.in_tx(|s| {
            let acct = s.account_row(account, at)?;
            let minute = minute_of(at);
            let mut rows = Vec::with_capacity(readings.len());
            for r in readings {
                let flow = s.flow_row(acct, r)?;
                if s.due(acct, flow, minute, r)? {
                    rows.push((flow, (r.sent, r.pending, r.failed, r.enabled)));
                }
            }
            // Stable: a flow listed twice keeps its readings in order.
            rows.sort_by_key(|(flow, _)| *flow);
            // A flow listed twice in one batch (a repeated row) keeps its last values.
            rows.dedup_by(|later, earlier| {
                if later.0 == earlier.0 {
                    earlier.1 = later.1;
                    true
                } else {
                    false
                }
            });
            // One row a statement: a statement of many rows would need a statement journal
            // (a copy of every page it changes, to undo it alone), which costs more than it saves.
            let mut insert = s.conn.prepare_cached(
                "INSERT INTO readings (account, flow, minute, sent, pending, failed, enabled)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (account, flow, minute) DO UPDATE SET
                    sent = excluded.sent, pending = excluded.pending,
                    failed = excluded.failed, enabled = excluded.enabled",
            )?;
            for (flow, (sent, pending, failed, enabled)) in &rows {
                insert.execute(params![
                    acct.0, flow, minute, sent, pending, failed, enabled
                ])?;
            }
            Ok(Written {
                rows: rows.len(),
                unchanged: readings.len() - rows.len(),
            })
        })
    }

    /// Whether a reading is to be written: its values changed, or five minutes have passed
    /// since the flow's last row. Remembers it as the flow's last row when it is.
    fn due(
        &mut self,
        acct: AccountId,
        flow: i64,
        minute: i64,
        r: &Reading,
    ) -> Result<bool, StoreError> {
        let last = match self.last.get(&(acct, flow)) {
            Some(known) => Some(*known),
            None => self
                .conn
                .prepare_cached(
                    "SELECT minute, sent, pending, failed, enabled FROM readings
                     WHERE account = ?1 AND flow = ?2 ORDER BY minute DESC LIMIT 1",
                )?
                .query_row(params![acct.0, flow], |row| {
                    Ok((
                        row.get(0)?,
                        (row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?),
                    ))
                })
                .optional()?,
        };
        let values = (r.sent, r.pending, r.failed, r.enabled);
        if let Some((last_minute, last_values)) = last
            && last_values == values
            && minute - last_minute < UNCHANGED_EVERY_MINUTES
        {
            return Ok(false);
        }
        // A reading older than the newest row (a late batch) is still written: the key keeps
        // it to one row a minute, and the queries read rows in time order.
        if last.is_none_or(|(m, _)| m <= minute) {
            self.last.insert((acct, flow), (minute, values));
        }
        Ok(true)
    }

    /// Keeps the last list seen of an account; parts left `None` keep what was stored.
    pub fn write_snapshot(&mut self, account: &Account, snap: &Snapshot) -> Result<(), StoreError> {
        let at = snap.at.unwrap_or_else(Timestamp::now);
        self.in_tx(|s| {
            let acct = s.account_row(account, at)?;
            s.conn.execute(
                "INSERT INTO snapshots (account, at, flows, devices, segments) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account) DO UPDATE SET at = excluded.at,
                    flows = coalesce(excluded.flows, flows),
                    devices = coalesce(excluded.devices, devices),
                    segments = coalesce(excluded.segments, segments)",
                params![acct.0, at.as_second(), snap.flows, snap.devices, snap.segments],
            )?;
            Ok(())
        })
    }

    pub fn write_alert(&mut self, account: &Account, e: &AlertEvent) -> Result<(), StoreError> {
        self.in_tx(|s| {
            let acct = s.account_row(account, e.at)?;
            s.insert_event(acct.0, e)
        })
    }

    /// One alert event, in the transaction open on the connection.
    pub(super) fn insert_event(&self, acct: i64, e: &AlertEvent) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO alert_events (account, at, name, rule, state, flow, flow_name, value, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                acct,
                e.at.as_second(),
                e.name,
                e.rule,
                e.state,
                e.flow.as_ref().map(FlowKey::to_text),
                e.flow_name,
                e.value,
                e.text
            ])?;
        Ok(())
    }

    pub fn write_audit(&mut self, account: &Account, e: &AuditEntry) -> Result<(), StoreError> {
        self.in_tx(|s| {
            let acct = s.account_row(account, e.at)?;
            s.conn.execute(
                "INSERT INTO audit (account, at, profile, flow, flow_name, fields, result)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    acct.0,
                    e.at.as_second(),
                    e.profile,
                    e.flow.as_ref().map(FlowKey::to_text),
                    e.flow_name,
                    e.fields,
                    e.result
                ],
            )?;
            Ok(())
        })
    }

    /// Thins readings older than 48 hours to the last one of each hour, deletes what is older
    /// than the retention, and gives the freed pages back to the disk. Works a hundred flows
    /// at a time in short transactions, so another process never waits long for the file.
    pub fn prune(&mut self, now: Timestamp) -> Result<(), StoreError> {
        let now_min = minute_of(now);
        // Only whole hours are thinned, so the hour being filled is never cut in two.
        let thin_before = (now_min - FULL_RESOLUTION_HOURS * 60).div_euclid(60) * 60;
        let keep_after = now_min - i64::from(self.retention_days) * 24 * 60;
        // Hours thinned by an earlier prune of this process are not looked at again.
        let thin_from = self.thinned_before.unwrap_or(i64::MIN);
        let flows: Vec<(i64, i64)> = self
            .conn
            .prepare("SELECT account, id FROM flows")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for chunk in flows.chunks(100) {
            self.in_tx(|s| {
                for (account, flow) in chunk {
                    s.conn
                        .prepare_cached(
                            "DELETE FROM readings WHERE account = ?1 AND flow = ?2 AND minute < ?3",
                        )?
                        .execute(params![account, flow, keep_after])?;
                    // A row goes when a later row of the same hour exists: the last one stays.
                    s.conn
                        .prepare_cached(
                            "DELETE FROM readings AS r
                             WHERE account = ?1 AND flow = ?2 AND minute >= ?3 AND minute < ?4
                             AND EXISTS (SELECT 1 FROM readings AS l
                                WHERE l.account = r.account AND l.flow = r.flow
                                AND l.minute > r.minute AND l.minute < (r.minute / 60 + 1) * 60)",
                        )?
                        .execute(params![account, flow, thin_from, thin_before])?;
                }
                Ok(())
            })?;
        }
        let keep_after_secs = keep_after * 60;
        self.in_tx(|s| {
            s.conn
                .execute("DELETE FROM alert_events WHERE at < ?1", [keep_after_secs])?;
            s.conn
                .execute("DELETE FROM audit WHERE at < ?1", [keep_after_secs])?;
            Ok(())
        })?;
        self.thinned_before = Some(thin_before);
        // auto_vacuum = INCREMENTAL leaves freed pages in the file until asked.
        self.conn.execute_batch("PRAGMA incremental_vacuum")?;
        Ok(())
    }
}
