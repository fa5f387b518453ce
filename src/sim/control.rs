//! `/_demo/…`: the demo's own controls, without key, quota or faults (DESIGN §9): faults at run
//! time, changes behind the client's back, and hand-driven traffic.

use axum::http::{Method, StatusCode};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;

use super::FlowEdit;
use super::Inner;
use super::answer::{Answer, path_id};
use super::fault::{Fault, FaultSpec};

/// Failed SMS added to a flow, as a phone that lost its network reports them.
#[derive(Deserialize)]
struct FailOrder {
    count: u32,
    #[serde(default = "no_service")]
    error: String,
}

fn no_service() -> String {
    "RESULT_ERROR_NO_SERVICE".to_owned()
}

#[derive(Deserialize)]
struct StepOrder {
    seconds: f64,
}

/// `/_demo/…`: no key, no quota, no faults.
pub(super) fn control(inner: &Inner, method: &Method, rest: &str, body: &[u8]) -> Answer {
    let bad = |err: String| Answer::json(StatusCode::BAD_REQUEST, &json!({ "error": err }));
    let ok = || Answer::json(StatusCode::OK, &json!({ "ok": true }));
    if method != Method::POST {
        return Answer::not_found();
    }
    match rest.split('/').collect::<Vec<_>>().as_slice() {
        ["fault"] => {
            let spec: FaultSpec = match serde_json::from_slice(body) {
                Ok(spec) => spec,
                Err(err) => return bad(err.to_string()),
            };
            if spec.kind == "clear" {
                inner.state().faults.clear();
                return ok();
            }
            let count = spec.count.unwrap_or(1);
            let writes = spec.writes;
            match Fault::try_from(spec) {
                Ok(fault) => {
                    inner.state().faults.push(fault, count, writes);
                    ok()
                }
                Err(err) => bad(err),
            }
        }
        ["flows", id] => {
            let edit: FlowEdit = match serde_json::from_slice(body) {
                Ok(edit) => edit,
                Err(err) => return bad(err.to_string()),
            };
            let Some(id) = path_id(id) else {
                return Answer::not_found();
            };
            let mut state = inner.state();
            if !state.store.edit(id, edit, Timestamp::now()) {
                return Answer::not_found();
            }
            match state.store.flows.get(&id) {
                Some(flow) => Answer::json(StatusCode::OK, &json!({ "data": flow })),
                None => Answer::not_found(),
            }
        }
        ["flows", id, "fail"] => {
            let order: FailOrder = match serde_json::from_slice(body) {
                Ok(order) => order,
                Err(err) => return bad(err.to_string()),
            };
            match path_id(id) {
                Some(id) if inner.fail_messages(id, order.count, &order.error) => ok(),
                _ => Answer::not_found(),
            }
        }
        ["step"] => match serde_json::from_slice::<StepOrder>(body) {
            Ok(order) => {
                inner.step(order.seconds);
                ok()
            }
            Err(err) => bad(err.to_string()),
        },
        _ => Answer::not_found(),
    }
}
