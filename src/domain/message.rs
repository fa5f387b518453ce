//! An SMS of a flow as `/api/sms` lists it (CONTRACT §9), its text already cleaned, and the
//! failures of a list grouped by the phone's error.

use jiff::Timestamp;

use super::phone_error;

/// Where an SMS stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmsStatus {
    Pending,
    Sent,
    Failed,
    Received,
    /// Any other value, cleaned.
    Other(String),
}

impl SmsStatus {
    pub fn parse(raw: &str) -> SmsStatus {
        match raw.trim() {
            "pending" => SmsStatus::Pending,
            "sent" => SmsStatus::Sent,
            "failed" => SmsStatus::Failed,
            "received" => SmsStatus::Received,
            other => SmsStatus::Other(other.to_owned()),
        }
    }

    /// The status in words, as the API names it.
    pub fn word(&self) -> &str {
        match self {
            SmsStatus::Pending => "pending",
            SmsStatus::Sent => "sent",
            SmsStatus::Failed => "failed",
            SmsStatus::Received => "received",
            SmsStatus::Other(other) => other,
        }
    }

    /// A glyph to read the status at a glance (the word always goes with it).
    pub fn glyph(&self) -> &'static str {
        match self {
            SmsStatus::Pending => "…",
            SmsStatus::Sent => "✓",
            SmsStatus::Failed => "✗",
            SmsStatus::Received => "←",
            SmsStatus::Other(_) => "?",
        }
    }
}

/// One SMS row; every text cleaned to one line, the content to lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub sms_id: u64,
    pub flow_id: u64,
    /// The API gives no phone number, only the contact.
    pub contact_id: u64,
    pub status: SmsStatus,
    /// The phone's error code (at most 32 characters on the server), when it reported one.
    pub error: Option<String>,
    pub content: String,
    pub scheduled: Option<Timestamp>,
    /// When the row was written or its status last reported.
    pub time: Option<Timestamp>,
}

impl Message {
    /// The error in words when the code is known, else the code as received.
    pub fn error_explained(&self) -> Option<String> {
        let code = self.error.as_deref()?;
        Some(match phone_error::explain(code) {
            Some(words) => format!("{code}: {words}"),
            None => code.to_owned(),
        })
    }
}

/// The failed messages of `messages` by error, the most frequent first (ties by code); a failure
/// without a code counts under `no error given`.
pub fn failures_by_error(messages: &[Message]) -> Vec<(String, usize)> {
    let mut groups: Vec<(String, usize)> = Vec::new();
    for m in messages.iter().filter(|m| m.status == SmsStatus::Failed) {
        let code = m
            .error
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("no error given");
        match groups.iter_mut().find(|(c, _)| c == code) {
            Some(group) => group.1 += 1,
            None => groups.push((code.to_owned(), 1)),
        }
    }
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(id: u64, error: Option<&str>) -> Message {
        Message {
            sms_id: id,
            flow_id: 1,
            contact_id: id,
            status: SmsStatus::Failed,
            error: error.map(str::to_owned),
            content: String::new(),
            scheduled: None,
            time: None,
        }
    }

    #[test]
    fn failures_group_by_error_most_frequent_first() {
        let mut list = vec![
            failed(1, Some("RESULT_ERROR_RADIO_OFF")),
            failed(2, Some("RESULT_ERROR_NO_SERVICE")),
            failed(3, Some("RESULT_ERROR_NO_SERVICE")),
            failed(4, None),
        ];
        let mut sent = failed(5, None);
        sent.status = SmsStatus::Sent;
        list.push(sent);
        assert_eq!(
            failures_by_error(&list),
            vec![
                ("RESULT_ERROR_NO_SERVICE".to_owned(), 2),
                ("RESULT_ERROR_RADIO_OFF".to_owned(), 1),
                ("no error given".to_owned(), 1),
            ]
        );
        assert_eq!(
            list[1].error_explained().as_deref(),
            Some("RESULT_ERROR_NO_SERVICE: the phone had no mobile network when it tried to send")
        );
    }
}
