//! New flows start switched off (DESIGN §15), also on the server that refuses to store one so.
//!
//! The shipped build on a strict database answers a create with `is_enabled=0` with 201 and
//! `"id": false`, and stores nothing (CONTRACT §12 item 13). There the create is sent again
//! without `is_enabled` (the flow is then stored switched on), and the new flow is switched off
//! at once by the id that create answered: its device was dropped, so an update works on it
//! (items 16 and 17). The operator is told both steps ([`OffAfter`]).

use serde_json::Value;

use super::{ApiError, Client, WithJson};
use crate::domain::{Flow, FlowDraft};

/// What the log says of a create the server refused switched off.
pub(super) const REFUSED: &str =
    "refused switched off (`id: false`, nothing stored); sending it again without is_enabled";

/// How a new flow that was created switched on came to be off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OffAfter {
    /// The switch-off by the created id was written: the flow is off.
    SwitchedOff,
    /// The switch-off failed, with the error's words: the flow is **on**.
    Failed(String),
}

/// The server refused `draft` switched off: it answered `"id": false` to a create that sent
/// `is_enabled=0`. Any other `id: false` (a flow switched on) is an error of its own.
pub(super) fn refused_off(draft: &FlowDraft, body: &[u8]) -> bool {
    !draft.enabled
        && serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("data")?.get("id").cloned())
            == Some(Value::Bool(false))
}

/// The form of a create without `is_enabled`, which the server stores switched on.
pub(super) fn without_enabled(form: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    form.iter()
        .filter(|(name, _)| *name != "is_enabled")
        .cloned()
        .collect()
}

impl Client {
    /// Switches off `flow`, just created switched on, by the id its create answered. No re-read:
    /// the create's answer is the flow as it is now, and this build lists no usable id to
    /// re-read by. Its SIM is sent along: on a flow without a device this build wipes the SIM
    /// an update leaves out (CONTRACT §12 item 17).
    pub(super) async fn switch_off_new(&self, flow: &Flow) -> Result<WithJson<Flow>, ApiError> {
        let mut form = vec![("is_enabled", "0".to_owned())];
        if flow.device_id.is_none_or(|d| d == 0)
            && let Some(sim) = flow.sim_subscription_id.filter(|s| *s != 0)
        {
            form.push(("sim_subscription_id", sim.to_string()));
        }
        let result = self.post_update_json(flow.id, form.clone()).await;
        match &result {
            Ok(w) if !w.value.enabled => {
                self.journal(flow, false, &form, "written (the new flow, switched off)");
            }
            Ok(_) => self.journal(
                flow,
                false,
                &form,
                "the server kept the new flow switched on",
            ),
            Err(e) => self.journal(flow, false, &form, &format!("{}: {e}", super::FAILED)),
        }
        match result {
            Ok(w) if w.value.enabled => Err(ApiError::StoredOtherwise {
                id: flow.id,
                created: false,
                what: "switched on where off was sent".to_owned(),
            }),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_switched_off_create_answered_id_false_is_a_refusal_to_store_it_off() {
        let off = FlowDraft::default();
        let on = FlowDraft {
            enabled: true,
            ..FlowDraft::default()
        };
        let refused = br#"{"data":{"id":false,"name":"x","is_enabled":false}}"#;
        assert!(refused_off(&off, refused));
        assert!(!refused_off(&on, refused));
        assert!(!refused_off(&off, br#"{"data":{"id":41,"name":"x"}}"#));
        assert!(!refused_off(&off, b"<html>"));
    }

    #[test]
    fn the_second_create_leaves_out_only_is_enabled() {
        let form = FlowDraft::default().to_form();
        let again = without_enabled(&form);
        assert_eq!(again.len(), form.len() - 1);
        assert!(again.iter().all(|(n, _)| *n != "is_enabled"));
    }
}
