//! The rules that keep every write on the flow the operator chose (DESIGN §8).
//!
//! The shipped build names flows by their device id in lists and single reads, so a write to
//! "flow 3" could change some other flow. Before any write to an existing flow the client reads
//! the flow again and checks that the server answers for the same id, that this server names
//! flows reliably, and that nothing the operator saw has changed since.

use reqwest::Method;

use super::outcome::{Conflict, DeleteOutcome, FieldChange, ToggleOutcome, UpdateOutcome};
use super::verify::{Stored, check_answer, fate_unknown};
use super::{ApiError, Client, Refusal, Request, ServerKind, WithJson};
use crate::budget::Priority;
use crate::domain::{Flow, FlowId, FlowPatch};

fn show<T: std::fmt::Debug>(v: Option<&T>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:?}"))
}

/// Every field the operator saw that the server now has differently. A field missing on either
/// side is not compared; the edit time is, as it moves on every change.
pub fn changes(seen: &Flow, theirs: &Flow) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut cmp = |field: &'static str, a: String, b: String| {
        if a != b {
            out.push(FieldChange {
                field,
                seen: a,
                theirs: b,
            });
        }
    };
    cmp("name", seen.name.clone(), theirs.name.clone());
    if let (Some(a), Some(b)) = (&seen.content, &theirs.content) {
        cmp("content", a.clone(), b.clone());
    }
    if let (Some(a), Some(b)) = (seen.device_id, theirs.device_id) {
        cmp("device", a.to_string(), b.to_string());
    }
    if let (Some(a), Some(b)) = (seen.sim_subscription_id, theirs.sim_subscription_id) {
        cmp("SIM", a.to_string(), b.to_string());
    }
    if let (Some(a), Some(b)) = (seen.segment, theirs.segment) {
        cmp("segment", a.to_form(), b.to_form());
    }
    if let (Some(a), Some(b)) = (seen.wait_time, theirs.wait_time) {
        cmp("wait time", a.to_string(), b.to_string());
    }
    if let (Some(a), Some(b)) = (seen.wait_unit, theirs.wait_unit) {
        cmp("wait unit", a.as_str().to_owned(), b.as_str().to_owned());
    }
    cmp(
        "enabled",
        seen.enabled.to_string(),
        theirs.enabled.to_string(),
    );
    if seen.last_changed.is_some() || theirs.last_changed.is_some() {
        cmp(
            "last edit",
            show(seen.last_changed.as_ref()),
            show(theirs.last_changed.as_ref()),
        );
    }
    out
}

impl Client {
    /// What is known of the server's build.
    pub fn server_kind(&self) -> ServerKind {
        if self.inner.trust_ids {
            return ServerKind::Documented;
        }
        self.inner.kind.lock().map_or(ServerKind::Unknown, |k| *k)
    }

    fn learn(&self, kind: ServerKind) {
        if let Ok(mut k) = self.inner.kind.lock() {
            if *k != kind {
                tracing::info!(?kind, "server build identified");
            }
            *k = kind;
        }
    }

    /// Tells the documented build from the shipped one, from a listed page and, when the list
    /// lacks content and device, one single read. Costs at most one request, once.
    pub async fn identify(&self, flows: &[Flow], priority: Priority) -> ServerKind {
        let known = self.server_kind();
        if known != ServerKind::Unknown {
            return known;
        }
        if flows
            .iter()
            .any(|f| f.content.is_some() || f.device_id.is_some())
        {
            self.learn(ServerKind::Documented);
            return ServerKind::Documented;
        }
        let Some(probe) = flows.iter().find(|f| f.blocked.is_none()) else {
            // Every row is id 0 or repeated: that alone says the ids are not flow ids.
            if !flows.is_empty() {
                self.learn(ServerKind::Shipped);
                return ServerKind::Shipped;
            }
            return ServerKind::Unknown;
        };
        let kind = match self.get_flow(probe.id, priority).await {
            Ok(f) if f.id == probe.id && (f.content.is_some() || f.device_id.is_some()) => {
                ServerKind::SparseList
            }
            // Lacking the fields too, answering for another id, or not finding the id the list
            // gave: the list's ids are not flow ids.
            Ok(_) | Err(ApiError::NotFound { .. }) => ServerKind::Shipped,
            Err(e) => {
                tracing::warn!(error = %e, "could not identify the server build");
                return ServerKind::Unknown;
            }
        };
        self.learn(kind);
        kind
    }

    /// The checks before any write to an existing flow; returns the flow as the server has it.
    async fn reread_for_write(&self, id: FlowId, seen: Option<&Flow>) -> Result<Flow, ApiError> {
        if self.inner.read_only {
            return Err(Refusal::ReadOnly.into());
        }
        if id.0 == 0 || seen.is_some_and(|f| f.blocked.is_some()) {
            return Err(Refusal::UnaddressableRow(id).into());
        }
        if !self.inner.trust_ids && self.server_kind() == ServerKind::Shipped {
            return Err(Refusal::UnreliableIds.into());
        }
        let theirs = self.get_flow(id, Priority::Operator).await?;
        if theirs.id != id {
            if !self.inner.trust_ids {
                self.learn(ServerKind::Shipped);
            }
            return Err(Refusal::IdMismatch {
                asked: id,
                got: theirs.id,
            }
            .into());
        }
        if !self.inner.trust_ids {
            if theirs.content.is_none() && theirs.device_id.is_none() {
                // A single read without content and device is the shipped build, whose ids
                // cannot be trusted even when one happens to match.
                self.learn(ServerKind::Shipped);
                return Err(Refusal::UnreliableIds.into());
            }
            if self.server_kind() == ServerKind::Unknown {
                self.learn(ServerKind::Documented);
            }
        }
        Ok(theirs)
    }

    /// The checks of [`Client::reread_for_write`] on a flow as a fresh list page has it, in
    /// place of a single read.
    fn check_listed(
        &self,
        id: FlowId,
        seen: Option<&Flow>,
        listed: &Flow,
    ) -> Result<Flow, ApiError> {
        if self.inner.read_only {
            return Err(Refusal::ReadOnly.into());
        }
        if id.0 == 0 || seen.is_some_and(|f| f.blocked.is_some()) || listed.blocked.is_some() {
            return Err(Refusal::UnaddressableRow(id).into());
        }
        if listed.id != id {
            return Err(Refusal::IdMismatch {
                asked: id,
                got: listed.id,
            }
            .into());
        }
        Ok(listed.clone())
    }

    /// Changes the fields of `patch` on flow `id`, which the operator saw as `seen`. Sends only
    /// those fields, and nothing at all when the flow changed since (a conflict).
    pub async fn update_flow(
        &self,
        id: FlowId,
        seen: &Flow,
        patch: &FlowPatch,
    ) -> Result<UpdateOutcome, ApiError> {
        self.update_flow_json(id, seen, patch)
            .await
            .map(|w| w.value)
    }

    /// [`Client::update_flow`] with the server's answer to the write (`Null` when nothing was
    /// sent).
    pub async fn update_flow_json(
        &self,
        id: FlowId,
        seen: &Flow,
        patch: &FlowPatch,
    ) -> Result<WithJson<UpdateOutcome>, ApiError> {
        let theirs = self.reread_for_write(id, Some(seen)).await?;
        let changes = changes(seen, &theirs);
        let unsent = |value| WithJson {
            value,
            json: serde_json::Value::Null,
        };
        if !changes.is_empty() {
            return Ok(unsent(UpdateOutcome::Conflict(Conflict {
                theirs,
                changes,
            })));
        }
        if patch.is_empty() {
            self.unchanged(&theirs, &[]);
            return Ok(unsent(UpdateOutcome::Unchanged(theirs)));
        }
        self.check_choices(patch, (theirs.device_id, theirs.sim_subscription_id))
            .await?;
        let w = self.write(&theirs, patch).await?;
        Ok(WithJson {
            value: w.value.into(),
            json: w.json,
        })
    }

    /// Sends `patch` to flow `id` and checks the answer: the same flow, holding what was sent.
    /// When the answer is lost, a re-read says whether the write landed.
    async fn write(&self, theirs: &Flow, patch: &FlowPatch) -> Result<WithJson<Stored>, ApiError> {
        let id = theirs.id;
        let form = patch.to_form();
        let result = match self.post_update_json(id, form.clone()).await {
            Ok(w) => check_answer(Some(id), patch, &w.value, false).map(|()| WithJson {
                value: Stored {
                    flow: w.value,
                    lost_answer: None,
                },
                json: w.json,
            }),
            Err(e) if fate_unknown(&e) => self.landed_update(id, patch, e).await,
            Err(e) => Err(e),
        };
        self.logged(theirs, &form, result)
    }

    /// Switches flow `id` on or off. A flow already in the target state settles without a write;
    /// otherwise only `is_enabled` is sent.
    pub async fn set_enabled(
        &self,
        id: FlowId,
        seen: Option<&Flow>,
        enabled: bool,
    ) -> Result<ToggleOutcome, ApiError> {
        self.set_enabled_listed(id, seen, None, enabled).await
    }

    /// [`Client::set_enabled`], where `listed` (when given) is the flow in a list page read
    /// moments ago. On a server whose lists carry every field and whose ids are flow ids, that
    /// page serves as the re-read before the write (DESIGN §15): a bulk switch costs the page
    /// and one write a flow. Anywhere else the flow is read again as usual.
    pub async fn set_enabled_listed(
        &self,
        id: FlowId,
        seen: Option<&Flow>,
        listed: Option<&Flow>,
        enabled: bool,
    ) -> Result<ToggleOutcome, ApiError> {
        let theirs = match listed {
            Some(listed) if self.server_kind() == ServerKind::Documented => {
                self.check_listed(id, seen, listed)?
            }
            _ => self.reread_for_write(id, seen).await?,
        };
        if theirs.enabled == enabled {
            self.unchanged(&theirs, &FlowPatch::toggle(enabled).to_form());
            return Ok(ToggleOutcome::Unchanged(theirs));
        }
        if enabled && let Some(seen) = seen {
            let changes: Vec<FieldChange> = changes(seen, &theirs)
                .into_iter()
                .filter(|c| c.field != "enabled")
                .collect();
            if !changes.is_empty() {
                return Ok(ToggleOutcome::Conflict(Box::new(Conflict {
                    theirs,
                    changes,
                })));
            }
        }
        self.write(&theirs, &FlowPatch::toggle(enabled))
            .await
            .map(|w| w.value.into())
    }

    /// Deletes flow `id`. With `seen`, refuses as a conflict when its name changed on the server
    /// since the operator confirmed it; with `confirm_name`, when the name is not that one.
    pub async fn delete_flow(
        &self,
        id: FlowId,
        seen: Option<&Flow>,
    ) -> Result<DeleteOutcome, ApiError> {
        let theirs = self.reread_for_write(id, seen).await?;
        if let Some(seen) = seen {
            let changes = changes(seen, &theirs);
            if changes.iter().any(|c| c.field == "name") {
                return Ok(DeleteOutcome::Conflict(Box::new(Conflict {
                    theirs,
                    changes,
                })));
            }
        }
        let what = format!("flow {id}");
        let req = Request {
            method: Method::DELETE,
            path: format!("flows/{id}"),
            query: Vec::new(),
            form: None,
            what: &what,
        };
        // The body is empty with a JSON content type: it is not parsed.
        let result = match self.send(&req, Priority::Operator).await {
            Ok(_) => Ok(DeleteOutcome::Deleted),
            Err(e) if fate_unknown(&e) => self.landed_delete(id, e).await,
            Err(e) => Err(e),
        };
        self.logged(&theirs, &[], result)
    }

    /// The flow as the server has it now, checked as before a write (for a delete confirmation
    /// that must show the name).
    pub async fn read_for_write(&self, id: FlowId) -> Result<Flow, ApiError> {
        self.reread_for_write(id, None).await
    }
}
