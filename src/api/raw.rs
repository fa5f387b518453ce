//! The same reads and writes as the typed methods, together with the JSON the server answered,
//! cleaned, for the command line's `--json`: the API's own field names, counters as received.
//!
//! The typed methods stay the cheap path the dashboard polls with; these are separate so that
//! no poll pays for building JSON it never prints.

use reqwest::Method;
use serde_json::Value;

use super::paging::Pager;
use super::{AllFlows, ApiError, Client, Created, Page, Request, journal, verify, wire};
use crate::budget::Priority;
use crate::domain::{Device, Flow, FlowDraft, FlowId, Segment};

/// A decoded answer and the cleaned JSON it was decoded from.
#[derive(Clone, Debug, PartialEq)]
pub struct WithJson<T> {
    pub value: T,
    /// The answer's `data` (an object or a list), text cleaned; `Null` when there was none.
    pub json: Value,
}

/// The cleaned `data` of a body that already decoded, so it parses.
fn data_json(body: &[u8]) -> Value {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|mut v| v.get_mut("data").map(Value::take))
        .map_or(Value::Null, |d| wire::clean_json(&d))
}

fn items_of(json: Value) -> Vec<Value> {
    match json {
        Value::Array(a) => a,
        _ => Vec::new(),
    }
}

impl Client {
    /// [`Client::list_flows`] with the listed objects.
    pub async fn list_flows_json(
        &self,
        page: u32,
        per_page: u32,
        priority: Priority,
    ) -> Result<WithJson<Page<Flow>>, ApiError> {
        let page = page.max(1);
        let per_page = super::allowed_page_size(per_page);
        let mut req = Request::get("flows", "flow list page");
        req.query = vec![
            ("page", page.to_string()),
            ("results_per_page", per_page.to_string()),
        ];
        let a = self.read(&req, priority).await?;
        Ok(WithJson {
            value: wire::flow_page(&a.body, page, per_page)?,
            json: data_json(&a.body),
        })
    }

    /// [`Client::all_flows`] with every listed object, as one list.
    pub async fn all_flows_json(
        &self,
        priority: Priority,
        progress: impl FnMut(u32, Option<u32>),
    ) -> Result<WithJson<AllFlows>, ApiError> {
        let (flows, json, steady) = self.read_all(priority, true, progress).await?;
        Ok(WithJson {
            value: AllFlows { flows, steady },
            json: Value::Array(json),
        })
    }

    /// Every flow, 1000 a page, read again once when the list changed while it was read; the
    /// listed objects when `with_json`, and whether the last reading held still.
    pub(super) async fn read_all(
        &self,
        priority: Priority,
        with_json: bool,
        mut progress: impl FnMut(u32, Option<u32>),
    ) -> Result<(Vec<Flow>, Vec<Value>, bool), ApiError> {
        let first = self
            .read_all_once(priority, with_json, &mut progress)
            .await?;
        if first.2 {
            return Ok(first);
        }
        // Another reading costs as many requests again, but a list with flows missing or
        // doubled must not pass for the whole list; one that keeps changing is said to.
        tracing::info!("the flow list changed while it was read; reading it again");
        self.read_all_once(priority, with_json, &mut progress).await
    }

    async fn read_all_once(
        &self,
        priority: Priority,
        with_json: bool,
        progress: &mut impl FnMut(u32, Option<u32>),
    ) -> Result<(Vec<Flow>, Vec<Value>, bool), ApiError> {
        let mut flows = Vec::new();
        let mut json = Vec::new();
        let mut pager = Pager::default();
        for page in 1.. {
            let (p, objects) = if with_json {
                let w = self.list_flows_json(page, 1000, priority).await?;
                (w.value, items_of(w.json))
            } else {
                (self.list_flows(page, 1000, priority).await?, Vec::new())
            };
            if pager.is_repeat(&flows, &p) {
                break;
            }
            let more = pager.more(page, &p);
            flows.extend(p.items);
            json.extend(objects);
            progress(page, pager.expected());
            if !more {
                break;
            }
        }
        wire::mark_unaddressable(&mut flows);
        // Rows of the shipped build share ids; their keys tell them apart.
        let steady = !pager.changed(flows.iter().map(Flow::row_key));
        Ok((flows, json, steady))
    }

    /// [`Client::get_flow`] with the flow's object.
    pub async fn get_flow_json(
        &self,
        id: FlowId,
        priority: Priority,
    ) -> Result<WithJson<Flow>, ApiError> {
        let what = format!("flow {id}");
        let req = Request::get(format!("flows/{id}"), &what);
        let a = self.read(&req, priority).await?;
        Ok(WithJson {
            value: wire::single_flow(&a.body)?,
            json: data_json(&a.body),
        })
    }

    pub(super) async fn all_pages_json<T: PartialEq>(
        &self,
        path: &str,
        what: &str,
        decode: wire::PageDecoder<T>,
    ) -> Result<WithJson<Vec<T>>, ApiError> {
        let mut out = Vec::new();
        let mut json = Vec::new();
        let mut pager = Pager::default();
        // Devices and segments are few: 100 pages of 100 is far beyond any account.
        for page in 1..=100 {
            let mut req = Request::get(path, what);
            req.query = vec![
                ("page", page.to_string()),
                ("results_per_page", "100".to_owned()),
            ];
            let a = self.read(&req, Priority::Operator).await?;
            let p = decode(&a.body, page, 100)?;
            if pager.is_repeat(&out, &p) {
                break;
            }
            let more = pager.more(page, &p);
            out.extend(p.items);
            json.extend(items_of(data_json(&a.body)));
            if !more {
                break;
            }
        }
        Ok(WithJson {
            value: out,
            json: Value::Array(json),
        })
    }

    /// [`Client::devices`] with the listed objects.
    pub async fn devices_json(&self) -> Result<WithJson<Vec<Device>>, ApiError> {
        self.all_pages_json("devices", "device list", wire::device_page)
            .await
    }

    /// [`Client::segments`] with the listed objects.
    pub async fn segments_json(&self) -> Result<WithJson<Vec<Segment>>, ApiError> {
        self.all_pages_json("segments", "segment list", wire::segment_page)
            .await
    }

    /// [`Client::create_flow`] with the server's answer. When the answer was lost and the flow
    /// was found in the list afterwards, the JSON is that flow read again.
    pub async fn create_flow_json(&self, draft: &FlowDraft) -> Result<WithJson<Created>, ApiError> {
        if self.inner.read_only {
            return Err(super::Refusal::ReadOnly.into());
        }
        let sent = verify::sent_by_create(draft);
        self.check_choices(&sent, (None, None)).await?;
        let form = draft.to_form();
        let req = Request {
            method: Method::POST,
            path: "flows".to_owned(),
            query: Vec::new(),
            form: Some(form.clone()),
            what: "flow list",
        };
        let started = jiff::Timestamp::now();
        let answer = match self.send(&req, Priority::Operator).await {
            Ok(a) => Ok((wire::single_flow(&a.body)?, data_json(&a.body))),
            Err(e) => Err(e),
        };
        let (flow, json, after_timeout) = match answer {
            Ok((flow, json)) => (flow, json, false),
            Err(cause) if verify::fate_unknown(&cause) => {
                tracing::warn!(error = %cause, "create answer lost; looking for the flow before saying anything");
                let found = match self.find_created(draft, started).await {
                    Ok(found) => found,
                    Err(reread) => {
                        return Err(ApiError::LandingUnknown {
                            cause: Box::new(cause),
                            reread: Box::new(reread),
                        });
                    }
                };
                let Some(flow) = found else {
                    return Err(ApiError::CreateNotLanded {
                        cause: Box::new(cause),
                    });
                };
                let json = self
                    .get_flow_json(flow.id, Priority::Operator)
                    .await
                    .map_or(Value::Null, |w| w.json);
                (flow, json, true)
            }
            Err(e) => return Err(e),
        };
        let device_dropped = draft.device_id.is_some() && flow.device_id == Some(0);
        // A dropped device is the shipped build's known bug, reported on its own (and the SIM
        // it keeps is then the raw one sent): not a substitution.
        let mut compared = sent;
        if device_dropped {
            compared.device_id = None;
        }
        let checked = verify::check_answer(None, &compared, &flow, true);
        let words = match &checked {
            Ok(()) if after_timeout => {
                Some("created, landed late (the answer was lost; found in the list)".to_owned())
            }
            Ok(()) => Some("created".to_owned()),
            Err(ApiError::StoredOtherwise { what, .. }) => {
                Some(format!("stored otherwise: {what}"))
            }
            Err(_) => None,
        };
        if let Some(mut words) = words {
            if device_dropped {
                words.push_str("; the server dropped the device");
            }
            journal::log(&format!("flow {} (new)", flow.id), &form, &words);
        }
        checked?;
        Ok(WithJson {
            value: Created {
                flow,
                device_dropped,
                after_timeout,
            },
            json,
        })
    }

    /// Sends an update of the fields in `form`; the flow the server answered with, and its JSON.
    pub(super) async fn post_update_json(
        &self,
        id: FlowId,
        form: Vec<(&'static str, String)>,
    ) -> Result<WithJson<Flow>, ApiError> {
        let what = format!("flow {id}");
        let req = Request {
            method: Method::POST,
            path: format!("flows/{id}"),
            query: Vec::new(),
            form: Some(form),
            what: &what,
        };
        // A write is sent once: a retry after a lost answer could apply it twice.
        let a = self.send(&req, Priority::Operator).await?;
        let flow = wire::single_flow(&a.body)?;
        if flow.id != id {
            tracing::warn!(asked = %id, got = %flow.id, "update answered for another id");
            return Err(ApiError::AnsweredOther {
                asked: id,
                got: flow.id,
            });
        }
        Ok(WithJson {
            value: flow,
            json: data_json(&a.body),
        })
    }
}
