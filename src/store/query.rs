//! Reading the history: sent, failed and pending per interval for one flow, totals over a
//! range, today against the same time yesterday, a ranking of every flow, the snapshot, alert
//! events and the audit.
//!
//! Counters are totals, so what was sent in an interval is the rise of the counter across it.
//! A counter that falls (drift, CONTRACT §12 item 23) starts a new base: a fall counts as no
//! sends, and later rises are counted from the lower value, so no interval is ever negative.
//! Where readings were thinned to one an hour, a fall and a rise inside one hour are seen only
//! as their sum (counted as zero when it is negative).

use jiff::tz::TimeZone;
use jiff::{RoundMode, Timestamp, Unit, ZonedRound};
use rusqlite::{OptionalExtension as _, params};

use super::{
    Account, AccountId, AlertEvent, AuditEntry, FlowKey, Snapshot, Store, StoreError, minute_of,
    timestamp_of_minute,
};

/// The width of one interval, aligned to the local clock: minutes that divide an hour, hours
/// that divide a day, or one day (from local midnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Every {
    Minutes(u8),
    Hours(u8),
    Day,
}

impl Every {
    /// `5m`, `1h`, `1d` and the like.
    pub fn parse(text: &str) -> Result<Every, String> {
        let t = text.trim();
        let bad = || {
            format!(
                "`{text}` is not an interval: use minutes that divide an hour (5m, 15m), hours that divide a day (1h, 6h), or 1d"
            )
        };
        let (num, unit) = t.split_at(t.len().saturating_sub(1));
        let n: u8 = num.parse().map_err(|_| bad())?;
        match unit {
            "m" if n > 0 && 60 % n == 0 => Ok(Every::Minutes(n)),
            "h" if n > 0 && 24 % n == 0 => Ok(Every::Hours(n)),
            "d" if n == 1 => Ok(Every::Day),
            _ => Err(bad()),
        }
    }

    fn round(self) -> ZonedRound {
        let (unit, n) = match self {
            Every::Minutes(n) => (Unit::Minute, n),
            Every::Hours(n) => (Unit::Hour, n),
            Every::Day => (Unit::Day, 1),
        };
        ZonedRound::new()
            .smallest(unit)
            .increment(i64::from(n))
            .mode(RoundMode::Trunc)
    }

    /// The start of the interval that holds `t`, in `tz`.
    pub fn start_of(self, t: Timestamp, tz: &TimeZone) -> Timestamp {
        let z = t.to_zoned(tz.clone());
        z.round(self.round()).map_or(t, |r| r.timestamp())
    }
}

/// Where a range of history starts: some time ago (`90m`, `24h`, `7d`) or at local midnight of
/// a date (`2026-11-01`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    Ago(jiff::SignedDuration),
    Date(jiff::civil::Date),
}

impl Since {
    pub fn parse(text: &str) -> Result<Since, String> {
        let t = text.trim();
        if let Ok(date) = t.parse::<jiff::civil::Date>() {
            return Ok(Since::Date(date));
        }
        let bad = || format!("`{text}` is not a time ago (90m, 24h, 7d) or a date (2026-11-01)");
        let (num, unit) = t.split_at(t.len().saturating_sub(1));
        let n: i64 = num.parse().map_err(|_| bad())?;
        let minutes = match unit {
            "m" => n,
            "h" => n.checked_mul(60).ok_or_else(bad)?,
            "d" => n.checked_mul(24 * 60).ok_or_else(bad)?,
            _ => return Err(bad()),
        };
        // More than ten years back holds nothing (the retention is days) and would only overflow.
        if !(1..=10 * 366 * 24 * 60).contains(&minutes) {
            return Err(bad());
        }
        Ok(Since::Ago(jiff::SignedDuration::from_mins(minutes)))
    }

    /// The instant the range starts, seen from `now` in `tz`.
    pub fn start(self, now: Timestamp, tz: &TimeZone) -> Timestamp {
        match self {
            Since::Ago(d) => now - d,
            Since::Date(date) => tz
                .to_zoned(date.to_datetime(jiff::civil::Time::midnight()))
                .map_or(now, |z| z.timestamp()),
        }
    }
}

/// One interval of a flow's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: Timestamp,
    /// Rises of the sent and failed counters inside the interval.
    pub sent: i64,
    pub failed: i64,
    /// The pending counter at the interval's last reading.
    pub pending: Option<i64>,
    /// Readings that fell in the interval.
    pub readings: u32,
}

/// Rises of the counters over a range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub sent: i64,
    pub failed: i64,
}

/// Today so far against yesterday up to the same time; `yesterday` is `None` when nothing was
/// recorded then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub today: Option<Totals>,
    pub yesterday: Option<Totals>,
}

/// One line of the ranking of every flow over a range.
#[derive(Clone, Debug, PartialEq)]
pub struct Rank {
    pub flow: FlowKey,
    pub name: String,
    pub sent: i64,
    pub failed: i64,
    /// failed / (sent + failed); `None` when both are zero.
    pub failure_share: Option<f64>,
}

/// One stored row: minute, sent, pending, failed.
type Row = (i64, Option<i64>, Option<i64>, Option<i64>);

/// Rise from `prev` to `cur`; a fall starts a new base and counts as nothing.
fn rise(prev: Option<i64>, cur: Option<i64>) -> i64 {
    match (prev, cur) {
        (Some(p), Some(c)) if c > p => c - p,
        _ => 0,
    }
}

/// The rows after `from` with the rise each brought, reading the row at or before `from` as
/// the base. (minute, sent rise, failed rise, pending)
fn rises(rows: &[Row], from: i64) -> impl Iterator<Item = (i64, i64, i64, Option<i64>)> + '_ {
    let mut last_sent = None;
    let mut last_failed = None;
    rows.iter()
        .filter_map(move |&(minute, sent, pending, failed)| {
            let step = (rise(last_sent, sent), rise(last_failed, failed));
            // A reading without a counter keeps the last known one as the base.
            last_sent = sent.or(last_sent);
            last_failed = failed.or(last_failed);
            (minute > from).then_some((minute, step.0, step.1, pending))
        })
}

impl Store {
    /// The account's row, without making one: the exact account when the user id is known,
    /// else the one last seen at the base URL.
    pub fn find_account(&self, account: &Account) -> Result<Option<AccountId>, StoreError> {
        let row = match account.user_id() {
            Some(u) => self
                .conn
                .query_row(
                    "SELECT id FROM accounts WHERE base_url = ?1 AND user_id = ?2",
                    params![account.base_url(), u as i64],
                    |r| r.get(0),
                )
                .optional()?,
            None => self
                .conn
                .query_row(
                    "SELECT id FROM accounts WHERE base_url = ?1
                     ORDER BY last_seen DESC, id DESC LIMIT 1",
                    [account.base_url()],
                    |r| r.get(0),
                )
                .optional()?,
        };
        Ok(row.map(AccountId))
    }

    /// Since when flowdash has been recording at this account's base URL; with `None`, at any.
    pub fn recording_since(
        &self,
        account: Option<&Account>,
    ) -> Result<Option<Timestamp>, StoreError> {
        let secs: Option<i64> = match account {
            Some(a) => self.conn.query_row(
                "SELECT min(first_seen) FROM accounts WHERE base_url = ?1",
                [a.base_url()],
                |r| r.get(0),
            )?,
            None => self
                .conn
                .query_row("SELECT min(first_seen) FROM accounts", [], |r| r.get(0))?,
        };
        Ok(secs.and_then(|s| Timestamp::from_second(s).ok()))
    }

    fn flow_id(&self, acct: AccountId, flow: &FlowKey) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM flows WHERE account = ?1 AND key = ?2")?
            .query_row(params![acct.0, flow.to_text()], |r| r.get(0))
            .optional()?)
    }

    /// The rows of one flow from the last one at or before minute `from` up to minute `to`.
    fn rows(&self, acct: AccountId, flow: i64, from: i64, to: i64) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT minute, sent, pending, failed FROM readings
             WHERE account = ?1 AND flow = ?2 AND minute <= ?4 AND minute >= coalesce(
                (SELECT max(minute) FROM readings
                 WHERE account = ?1 AND flow = ?2 AND minute <= ?3), ?3)
             ORDER BY minute",
        )?;
        let rows = stmt
            .query_map(params![acct.0, flow, from, to], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn rows_of(
        &self,
        account: &Account,
        flow: &FlowKey,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Row>, StoreError> {
        let Some(acct) = self.find_account(account)? else {
            return Ok(Vec::new());
        };
        let Some(id) = self.flow_id(acct, flow)? else {
            return Ok(Vec::new());
        };
        self.rows(acct, id, minute_of(from), minute_of(to))
    }

    /// Sent, failed and pending of one flow per interval in (`from`, `to`], intervals aligned
    /// to `tz`'s clock; intervals without a reading are left out.
    pub fn series(
        &self,
        account: &Account,
        flow: &FlowKey,
        from: Timestamp,
        to: Timestamp,
        every: Every,
        tz: &TimeZone,
    ) -> Result<Vec<Interval>, StoreError> {
        let rows = self.rows_of(account, flow, from, to)?;
        let mut out: Vec<Interval> = Vec::new();
        for (minute, sent, failed, pending) in rises(&rows, minute_of(from)) {
            let start = every.start_of(timestamp_of_minute(minute), tz);
            match out.last_mut() {
                Some(last) if last.start == start => {
                    last.sent += sent;
                    last.failed += failed;
                    last.pending = pending.or(last.pending);
                    last.readings += 1;
                }
                _ => out.push(Interval {
                    start,
                    sent,
                    failed,
                    pending,
                    readings: 1,
                }),
            }
        }
        Ok(out)
    }

    /// The rises of one flow's counters over (`from`, `to`]; `None` when no reading of it was
    /// taken in that range or before it.
    pub fn totals(
        &self,
        account: &Account,
        flow: &FlowKey,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Option<Totals>, StoreError> {
        let rows = self.rows_of(account, flow, from, to)?;
        Ok(sum(&rows, minute_of(from)))
    }

    /// Today so far (from local midnight to `now`) against yesterday from midnight to the same
    /// time of day.
    pub fn today_vs_yesterday(
        &self,
        account: &Account,
        flow: &FlowKey,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Result<Comparison, StoreError> {
        let midnight = Every::Day.start_of(now, tz);
        let z = now.to_zoned(tz.clone());
        let yesterday_now = z
            .yesterday()
            .map_or(now - jiff::SignedDuration::from_hours(24), |y| {
                y.timestamp()
            });
        let yesterday_midnight = Every::Day.start_of(yesterday_now, tz);
        Ok(Comparison {
            today: self.totals(account, flow, midnight, now)?,
            yesterday: self.totals(account, flow, yesterday_midnight, yesterday_now)?,
        })
    }

    /// Every flow of the account by what it sent over (`from`, `to`], most first, with failed
    /// and the failure share. Flows without a reading in that range are left out.
    pub fn ranking(
        &self,
        account: &Account,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Rank>, StoreError> {
        let Some(acct) = self.find_account(account)? else {
            return Ok(Vec::new());
        };
        let flows: Vec<(i64, String, String)> = self
            .conn
            .prepare("SELECT id, key, name FROM flows WHERE account = ?1")?
            .query_map([acct.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let (from_min, to_min) = (minute_of(from), minute_of(to));
        let mut out = Vec::new();
        for (id, key, name) in flows {
            let rows = self.rows(acct, id, from_min, to_min)?;
            let (Some(t), Some(flow)) = (sum(&rows, from_min), FlowKey::from_text(&key)) else {
                continue;
            };
            if !rows.iter().any(|r| r.0 > from_min) {
                continue;
            }
            let done = t.sent + t.failed;
            out.push(Rank {
                flow,
                name,
                sent: t.sent,
                failed: t.failed,
                failure_share: (done > 0).then(|| t.failed as f64 / done as f64),
            });
        }
        out.sort_by(|a, b| {
            b.sent
                .cmp(&a.sent)
                .then(b.failed.cmp(&a.failed))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(out)
    }

    /// The last list seen of the account, with its time.
    pub fn snapshot(&self, account: &Account) -> Result<Option<Snapshot>, StoreError> {
        let Some(acct) = self.find_account(account)? else {
            return Ok(None);
        };
        Ok(self
            .conn
            .query_row(
                "SELECT at, flows, devices, segments FROM snapshots WHERE account = ?1",
                [acct.0],
                |r| {
                    Ok(Snapshot {
                        at: Timestamp::from_second(r.get(0)?).ok(),
                        flows: r.get(1)?,
                        devices: r.get(2)?,
                        segments: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Alert events of the account since `since`, oldest first.
    pub fn alert_events(
        &self,
        account: &Account,
        since: Timestamp,
    ) -> Result<Vec<AlertEvent>, StoreError> {
        let Some(acct) = self.find_account(account)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare(
            "SELECT at, name, rule, state, flow, flow_name, value, text FROM alert_events
             WHERE account = ?1 AND at >= ?2 ORDER BY at, id",
        )?;
        let rows = stmt
            .query_map(params![acct.0, since.as_second()], |r| {
                Ok(AlertEvent {
                    at: Timestamp::from_second(r.get(0)?).unwrap_or(Timestamp::UNIX_EPOCH),
                    name: r.get(1)?,
                    rule: r.get(2)?,
                    state: r.get(3)?,
                    flow: r
                        .get::<_, Option<String>>(4)?
                        .and_then(|k| FlowKey::from_text(&k)),
                    flow_name: r.get(5)?,
                    value: r.get(6)?,
                    text: r.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Writes recorded for the account since `since`, oldest first.
    pub fn audit_entries(
        &self,
        account: &Account,
        since: Timestamp,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let Some(acct) = self.find_account(account)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare(
            "SELECT at, profile, flow, flow_name, fields, result FROM audit
             WHERE account = ?1 AND at >= ?2 ORDER BY at, id",
        )?;
        let rows = stmt
            .query_map(params![acct.0, since.as_second()], |r| {
                Ok(AuditEntry {
                    at: Timestamp::from_second(r.get(0)?).unwrap_or(Timestamp::UNIX_EPOCH),
                    profile: r.get(1)?,
                    flow: r
                        .get::<_, Option<String>>(2)?
                        .and_then(|k| FlowKey::from_text(&k)),
                    flow_name: r.get(3)?,
                    fields: r.get(4)?,
                    result: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

fn sum(rows: &[Row], from: i64) -> Option<Totals> {
    if rows.is_empty() {
        return None;
    }
    Some(
        rises(rows, from).fold(Totals::default(), |t, (_, sent, failed, _)| Totals {
            sent: t.sent + sent,
            failed: t.failed + failed,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_falling_counter_starts_a_new_base() {
        let rows = [
            (10, Some(100), None, Some(5)),
            (11, Some(110), None, Some(5)),
            (12, Some(40), None, Some(2)),
            (13, None, None, None),
            (14, Some(45), None, Some(3)),
        ];
        let steps: Vec<_> = rises(&rows, 10).map(|(m, s, f, _)| (m, s, f)).collect();
        assert_eq!(steps, [(11, 10, 0), (12, 0, 0), (13, 0, 0), (14, 5, 1)]);
        assert_eq!(
            sum(&rows, 10),
            Some(Totals {
                sent: 15,
                failed: 1
            })
        );
    }

    #[test]
    fn intervals_are_parsed_and_aligned_to_the_local_clock() {
        assert_eq!(Every::parse("5m"), Ok(Every::Minutes(5)));
        assert_eq!(Every::parse("1h"), Ok(Every::Hours(1)));
        assert_eq!(Every::parse("1d"), Ok(Every::Day));
        assert_eq!(
            Since::parse("24h"),
            Ok(Since::Ago(jiff::SignedDuration::from_hours(24)))
        );
        assert_eq!(
            Since::parse("2026-11-01")
                .unwrap()
                .start(Timestamp::UNIX_EPOCH, &TimeZone::UTC)
                .to_string(),
            "2026-11-01T00:00:00Z"
        );
        for bad in ["0h", "1y", "yesterday", "2026-13-01", "99999999d"] {
            assert!(Since::parse(bad).is_err(), "{bad}");
        }
        for bad in ["7m", "5h", "2d", "h", "", "0m", "1w"] {
            assert!(Every::parse(bad).is_err(), "{bad}");
        }
        let tz = TimeZone::fixed(jiff::tz::Offset::from_seconds(19_800).unwrap());
        let t: Timestamp = "2026-11-30T10:47:00Z".parse().unwrap();
        // 16:17 in India (UTC+5:30): the hour starts at 16:00 there, 10:30 UTC.
        assert_eq!(
            Every::Hours(1).start_of(t, &tz).to_string(),
            "2026-11-30T10:30:00Z"
        );
        assert_eq!(
            Every::Day.start_of(t, &tz).to_string(),
            "2026-11-29T18:30:00Z"
        );
        assert_eq!(
            Every::Minutes(15).start_of(t, &TimeZone::UTC).to_string(),
            "2026-11-30T10:45:00Z"
        );
    }
}
