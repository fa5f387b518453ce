//! The demo account's SMS rows (CONTRACT §9): one for every count the traffic engine moves, and
//! failures added by hand through `/_demo/`. Only the newest [`SMS_KEEP`] are kept, so a demo left
//! running for days stays bounded; ids keep counting up.

use std::collections::VecDeque;

use serde::Serialize;

use super::store::StoredFlow;

/// SMS rows kept; older ones drop off, as the server's retention cleanup would drop them.
pub(crate) const SMS_KEEP: usize = 20_000;

/// The longest `error` the server stores (CONTRACT §9).
const ERROR_MAX: usize = 32;

/// An SMS row as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredSms {
    pub sms_id: u64,
    pub flow_id: u64,
    pub device_id: Option<u64>,
    pub contact_id: u64,
    pub content: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub scheduled_datetime: String,
    /// When the row was written, then when its status was last reported.
    pub datetime: String,
}

pub(crate) struct Messages {
    rows: VecDeque<StoredSms>,
    next_id: u64,
    next_contact: u64,
}

impl Default for Messages {
    fn default() -> Self {
        Messages {
            rows: VecDeque::new(),
            next_id: 1,
            next_contact: 1,
        }
    }
}

impl Messages {
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Oldest first.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &StoredSms> {
        self.rows.iter()
    }

    /// Ids are consecutive in the deque, so a row is found by subtraction.
    fn index(&self, id: u64) -> Option<usize> {
        let first = self.rows.front()?.sms_id;
        let at = usize::try_from(id.checked_sub(first)?).ok()?;
        (at < self.rows.len()).then_some(at)
    }

    pub(crate) fn get(&self, id: u64) -> Option<&StoredSms> {
        self.index(id).and_then(|at| self.rows.get(at))
    }

    fn push(&mut self, flow: &StoredFlow, status: &str, error: Option<&str>, stamp: &str) -> u64 {
        let sms_id = self.next_id;
        self.next_id += 1;
        let contact_id = self.next_contact;
        self.next_contact += 1;
        if self.rows.len() >= SMS_KEEP {
            self.rows.pop_front();
        }
        self.rows.push_back(StoredSms {
            sms_id,
            flow_id: flow.id,
            device_id: flow.device_id,
            contact_id,
            content: flow.content.clone(),
            status: status.to_owned(),
            error: error.map(|e| e.chars().take(ERROR_MAX).collect()),
            scheduled_datetime: stamp.to_owned(),
            datetime: stamp.to_owned(),
        });
        sms_id
    }

    /// A contact triggered `flow`: a pending SMS, its id for the report later.
    pub(crate) fn schedule(&mut self, flow: &StoredFlow, stamp: &str) -> u64 {
        self.push(flow, "pending", None, stamp)
    }

    /// The phone's report on SMS `id` (`None`, or a row already dropped: a new row, as for the
    /// SMS pending when the demo started).
    pub(crate) fn report(
        &mut self,
        id: Option<u64>,
        flow: &StoredFlow,
        error: Option<&str>,
        stamp: &str,
    ) {
        let status = if error.is_some() { "failed" } else { "sent" };
        match id.and_then(|id| self.index(id)) {
            Some(at) => {
                if let Some(row) = self.rows.get_mut(at) {
                    status.clone_into(&mut row.status);
                    row.error = error.map(|e| e.chars().take(ERROR_MAX).collect());
                    stamp.clone_into(&mut row.datetime);
                }
            }
            None => {
                self.push(flow, status, error, stamp);
            }
        }
    }

    /// `count` failed SMS of `flow` with `error`, as a phone that lost its network reports them
    /// (no more rows than are kept).
    pub(crate) fn fail(&mut self, flow: &StoredFlow, count: u32, error: &str, stamp: &str) {
        let rows = usize::try_from(count).unwrap_or(SMS_KEEP).min(SMS_KEEP);
        for _ in 0..rows {
            self.push(flow, "failed", Some(error), stamp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> StoredFlow {
        StoredFlow {
            id: 7,
            device_id: Some(2),
            sim_subscription_id: None,
            user_id: 1,
            name: "n".to_owned(),
            content: "c".to_owned(),
            segment: "all".to_owned(),
            wait_time: 1,
            wait_time_type: "days".to_owned(),
            is_enabled: true,
            total_sent_sms: 0,
            total_pending_sms: 0,
            total_failed_sms: 0,
            last_sent_datetime: None,
            last_datetime: None,
            datetime: "2026-01-01 00:00:00".to_owned(),
        }
    }

    #[test]
    fn keeps_the_newest_rows_and_reports_on_kept_ones() {
        let mut sms = Messages::default();
        let flow = flow();
        let first = sms.schedule(&flow, "t0");
        for _ in 0..SMS_KEEP {
            sms.schedule(&flow, "t1");
        }
        assert_eq!(sms.len(), SMS_KEEP);
        assert!(sms.get(first).is_none());
        // A report on a dropped row writes a new one.
        sms.report(Some(first), &flow, None, "t2");
        assert_eq!(sms.iter().last().map(|r| r.status.as_str()), Some("sent"));
        let kept = first + 10;
        sms.report(
            Some(kept),
            &flow,
            Some("RESULT_ERROR_NO_SERVICE_AND_MORE_TEXT"),
            "t3",
        );
        let row = sms.get(kept).cloned();
        assert_eq!(row.as_ref().map(|r| r.status.as_str()), Some("failed"));
        assert_eq!(
            row.and_then(|r| r.error).map(|e| e.chars().count()),
            Some(ERROR_MAX)
        );
    }
}
