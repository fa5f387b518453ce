//! The history's side of the audit (DESIGN §15): every write the client logs becomes an
//! [`AuditEntry`] of the account the flow belongs to, handed to the writer thread. The
//! dashboard and the CLI set one [`AuditTrail`] on their client; `flowdash audit` lists what it
//! kept (`Store::audit_entries`), and `switched_off` reads it (`Store::switch_offs_since`).

use serde_json::{Map, Value};

use super::{Account, AuditEntry, FlowKey, Recorder};
use crate::api::{AuditSink, WriteRecord};

/// Hands each write to the history's writer; never waits for the disk.
pub struct AuditTrail {
    recorder: Recorder,
    base: url::Url,
    profile: Option<String>,
}

impl AuditTrail {
    /// The audit of writes to the API at `base`, made under `profile` (none: no profile).
    pub fn new(recorder: Recorder, base: url::Url, profile: Option<String>) -> AuditTrail {
        AuditTrail {
            recorder,
            base,
            profile,
        }
    }
}

impl AuditSink for AuditTrail {
    fn record(&self, write: WriteRecord) {
        let account = Account::new(&self.base, write.user_id);
        self.recorder
            .audit(&account, entry_of(write, self.profile.clone()));
    }
}

/// The entry of one write: the fields as a JSON object of the values sent.
pub fn entry_of(write: WriteRecord, profile: Option<String>) -> AuditEntry {
    let fields: Map<String, Value> = write
        .fields
        .into_iter()
        .map(|(name, value)| (name, Value::String(value)))
        .collect();
    AuditEntry {
        at: write.at,
        profile,
        flow: Some(FlowKey::Id(write.flow.0)),
        flow_name: write.flow_name,
        fields: Value::Object(fields).to_string(),
        result: write.result,
    }
}
