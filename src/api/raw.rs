//! The one read path of the Flows API, and the JSON the command line's `--json` prints.
//!
//! Every read (a page, a whole list, one flow) is built, sent through the scheduler with its
//! retries, and paged here once. Only the decoding differs: [`Decoding::Typed`] keeps the typed
//! values the dashboard polls with, so no poll pays for JSON it never prints;
//! [`Decoding::Json`] keeps them together with the server's `data`, cleaned: the API's own field
//! names, counters as received.
//!
//! A create is here too, with the search for its flow when the answer was lost: that search
//! reads pages the same way.

use reqwest::Method;
use serde_json::Value;

use super::paging::Pager;
use super::start_off::{self, OffAfter};
use super::wire::{self, WithJson};
use super::{AllFlows, ApiError, Client, Created, Page, Request, verify};
use crate::budget::Priority;
use crate::domain::message::Message;
use crate::domain::validate::{CONTENT_MAX, NAME_MAX, stored_as};
use crate::domain::{Device, Flow, FlowDraft, FlowId, Segment};

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

/// What a read keeps of an answer besides its typed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decoding {
    /// The typed value alone; the JSON is `Null` (a list's, empty).
    Typed,
    /// The typed value and the answer's cleaned `data`.
    Json,
}

impl Decoding {
    /// Decodes `body` with `typed`; the JSON only once the typed value decoded, so a body that
    /// does not decode fails the same way whichever decoding was asked for.
    fn decode<T>(
        self,
        body: &[u8],
        typed: impl FnOnce(&[u8]) -> Result<T, ApiError>,
    ) -> Result<WithJson<T>, ApiError> {
        let value = typed(body)?;
        let json = match self {
            Decoding::Typed => Value::Null,
            Decoding::Json => data_json(body),
        };
        Ok(WithJson { value, json })
    }
}

/// A list the API pages: where it is, what a not-found message calls it, how a page decodes.
pub(super) struct List<T> {
    path: &'static str,
    what: &'static str,
    decode: wire::PageDecoder<T>,
}

pub(super) const FLOWS: List<Flow> = List {
    path: "flows",
    what: "flow list page",
    decode: wire::flow_page,
};
pub(super) const DEVICES: List<Device> = List {
    path: "devices",
    what: "device list",
    decode: wire::device_page,
};
pub(super) const SEGMENTS: List<Segment> = List {
    path: "segments",
    what: "segment list",
    decode: wire::segment_page,
};

pub(super) const MESSAGES: List<Message> = List {
    path: "sms",
    what: "SMS list",
    decode: wire::message_page,
};

/// The pages of a list as far as they were read: the items kept, their objects when the
/// decoding keeps JSON, and the pager that followed them.
struct Pages<T> {
    items: Vec<T>,
    json: Vec<Value>,
    pager: Pager,
}

impl Client {
    /// Page `page` of `list`, `per_page` a page; both as sent, so already allowed values.
    pub(super) async fn fetch_page<T>(
        &self,
        list: &List<T>,
        page: u32,
        per_page: u32,
        priority: Priority,
        decoding: Decoding,
    ) -> Result<WithJson<Page<T>>, ApiError> {
        let mut req = Request::get(list.path, list.what);
        req.query = vec![
            ("page", page.to_string()),
            ("results_per_page", per_page.to_string()),
        ];
        let a = self.read(&req, priority).await?;
        decoding.decode(&a.body, |body| (list.decode)(body, page, per_page))
    }

    /// One flow by id.
    pub(super) async fn fetch_flow(
        &self,
        id: FlowId,
        priority: Priority,
        decoding: Decoding,
    ) -> Result<WithJson<Flow>, ApiError> {
        let what = format!("flow {id}");
        let req = Request::get(format!("flows/{id}"), &what);
        let a = self.read(&req, priority).await?;
        decoding.decode(&a.body, wire::single_flow)
    }

    /// `list` from page 1, `per_page` a page, until the [`Pager`] says it ended or `max_pages`
    /// were read; `progress(pages done, pages in all)` after each page kept.
    async fn read_pages<T: PartialEq>(
        &self,
        list: &List<T>,
        (per_page, max_pages): (u32, u32),
        priority: Priority,
        decoding: Decoding,
        progress: &mut impl FnMut(u32, Option<u32>),
    ) -> Result<Pages<T>, ApiError> {
        let mut items = Vec::new();
        let mut json = Vec::new();
        let mut pager = Pager::default();
        for page in 1..=max_pages {
            let w = self
                .fetch_page(list, page, per_page, priority, decoding)
                .await?;
            if pager.is_repeat(&items, &w.value) {
                break;
            }
            let more = pager.more(page, &w.value);
            items.extend(w.value.items);
            json.extend(items_of(w.json));
            progress(page, pager.expected());
            if !more {
                break;
            }
        }
        Ok(Pages { items, json, pager })
    }

    /// Every page of a small list (devices, segments), 100 a page.
    pub(super) async fn read_small_list<T: PartialEq>(
        &self,
        list: &List<T>,
        decoding: Decoding,
    ) -> Result<WithJson<Vec<T>>, ApiError> {
        // Devices and segments are few: 100 pages of 100 is far beyond any account.
        let pages = self
            .read_pages(
                list,
                (100, 100),
                Priority::Operator,
                decoding,
                &mut |_, _| {},
            )
            .await?;
        Ok(WithJson {
            value: pages.items,
            json: Value::Array(pages.json),
        })
    }

    /// Every flow, 1000 a page, read again once when the list changed while it was read.
    pub(super) async fn read_all(
        &self,
        priority: Priority,
        decoding: Decoding,
        mut progress: impl FnMut(u32, Option<u32>),
    ) -> Result<WithJson<AllFlows>, ApiError> {
        let first = self
            .read_all_once(priority, decoding, &mut progress)
            .await?;
        if first.value.steady {
            return Ok(first);
        }
        // Another reading costs as many requests again, but a list with flows missing or
        // doubled must not pass for the whole list; one that keeps changing is said to.
        tracing::info!("the flow list changed while it was read; reading it again");
        self.read_all_once(priority, decoding, &mut progress).await
    }

    async fn read_all_once(
        &self,
        priority: Priority,
        decoding: Decoding,
        progress: &mut impl FnMut(u32, Option<u32>),
    ) -> Result<WithJson<AllFlows>, ApiError> {
        let Pages {
            items: mut flows,
            json,
            pager,
        } = self
            .read_pages(&FLOWS, (1000, u32::MAX), priority, decoding, progress)
            .await?;
        // Ids repeated across pages only show once the pages are together.
        wire::mark_unaddressable(&mut flows);
        // Rows of the shipped build share ids; their keys tell them apart.
        let steady = !pager.changed(flows.iter().map(Flow::row_key));
        Ok(WithJson {
            value: AllFlows { flows, steady },
            json: Value::Array(json),
        })
    }

    /// One page of flows. `per_page` is always sent, as an allowed size: the server's own
    /// default depends on the account.
    pub async fn list_flows(
        &self,
        page: u32,
        per_page: u32,
        priority: Priority,
    ) -> Result<Page<Flow>, ApiError> {
        let (page, per_page) = super::page_asked(page, per_page);
        self.fetch_page(&FLOWS, page, per_page, priority, Decoding::Typed)
            .await
            .map(|w| w.value)
    }

    /// One flow by id.
    pub async fn get_flow(&self, id: FlowId, priority: Priority) -> Result<Flow, ApiError> {
        self.fetch_flow(id, priority, Decoding::Typed)
            .await
            .map(|w| w.value)
    }

    /// Every flow, 1000 a page; `progress(pages done, pages in all)` after each page. A list
    /// that changed while it was read is read once more; see [`AllFlows::steady`].
    pub async fn all_flows(
        &self,
        priority: Priority,
        progress: impl FnMut(u32, Option<u32>),
    ) -> Result<AllFlows, ApiError> {
        self.read_all(priority, Decoding::Typed, progress)
            .await
            .map(|w| w.value)
    }

    /// Every device, 100 a page.
    pub async fn devices(&self) -> Result<Vec<Device>, ApiError> {
        self.read_small_list(&DEVICES, Decoding::Typed)
            .await
            .map(|w| w.value)
    }

    /// Every segment, 100 a page.
    pub async fn segments(&self) -> Result<Vec<Segment>, ApiError> {
        self.read_small_list(&SEGMENTS, Decoding::Typed)
            .await
            .map(|w| w.value)
    }

    /// Creates a flow. Never retried: after a time-out or a 5xx the flow may exist, so the list
    /// is searched for it instead and the answer says whether it landed. The device, SIM and
    /// segment are checked first, and the answer is compared with what was sent.
    pub async fn create_flow(&self, draft: &FlowDraft) -> Result<Created, ApiError> {
        self.create(draft, Decoding::Typed).await.map(|w| w.value)
    }

    /// [`Client::list_flows`] with the listed objects.
    pub async fn list_flows_json(
        &self,
        page: u32,
        per_page: u32,
        priority: Priority,
    ) -> Result<WithJson<Page<Flow>>, ApiError> {
        let (page, per_page) = super::page_asked(page, per_page);
        self.fetch_page(&FLOWS, page, per_page, priority, Decoding::Json)
            .await
    }

    /// [`Client::all_flows`] with every listed object, as one list.
    pub async fn all_flows_json(
        &self,
        priority: Priority,
        progress: impl FnMut(u32, Option<u32>),
    ) -> Result<WithJson<AllFlows>, ApiError> {
        self.read_all(priority, Decoding::Json, progress).await
    }

    /// [`Client::get_flow`] with the flow's object.
    pub async fn get_flow_json(
        &self,
        id: FlowId,
        priority: Priority,
    ) -> Result<WithJson<Flow>, ApiError> {
        self.fetch_flow(id, priority, Decoding::Json).await
    }

    /// [`Client::devices`] with the listed objects.
    pub async fn devices_json(&self) -> Result<WithJson<Vec<Device>>, ApiError> {
        self.read_small_list(&DEVICES, Decoding::Json).await
    }

    /// [`Client::segments`] with the listed objects.
    pub async fn segments_json(&self) -> Result<WithJson<Vec<Segment>>, ApiError> {
        self.read_small_list(&SEGMENTS, Decoding::Json).await
    }

    /// [`Client::create_flow`] with the server's answer. When the answer was lost and the flow
    /// was found in the list afterwards, the JSON is that flow read again.
    pub async fn create_flow_json(&self, draft: &FlowDraft) -> Result<WithJson<Created>, ApiError> {
        self.create(draft, Decoding::Json).await
    }

    /// The create behind [`Client::create_flow`] and [`Client::create_flow_json`].
    pub(super) async fn create(
        &self,
        draft: &FlowDraft,
        decoding: Decoding,
    ) -> Result<WithJson<Created>, ApiError> {
        if self.inner.read_only {
            return Err(super::Refusal::ReadOnly.into());
        }
        let mut sent = verify::sent_by_create(draft);
        self.check_choices(&sent, (None, None)).await?;
        let mut form = draft.to_form();
        let request = |form: &[(&'static str, String)]| Request {
            method: Method::POST,
            path: "flows".to_owned(),
            query: Vec::new(),
            form: Some(form.to_vec()),
            what: "flow list",
        };
        let started = jiff::Timestamp::now();
        let mut answer = self.send(&request(&form), Priority::Operator).await;
        // Refused switched off, nothing stored: sent again without `is_enabled`, then switched
        // off below (DESIGN §15).
        let refused_off = matches!(&answer, Ok(a) if start_off::refused_off(draft, &a.body));
        if refused_off {
            tracing::info!(
                "write to flow (new): sent {}; {}",
                super::fields_in_words(&form),
                start_off::REFUSED
            );
            form = start_off::without_enabled(&form);
            sent.enabled = None;
            answer = self.send(&request(&form), Priority::Operator).await;
        }
        let answer = match answer {
            // An answer that came but does not decode is not a lost one: no search.
            Ok(a) => Ok(decoding.decode(&a.body, wire::single_flow)?),
            Err(e) => Err(e),
        };
        let found = match answer {
            Ok(w) => Ok((w, false)),
            Err(cause) if verify::fate_unknown(&cause) => self
                .find_after_lost_answer(draft, started, cause, decoding)
                .await
                .map(|w| (w, true)),
            Err(e) => Err(e),
        };
        let (WithJson { value: flow, json }, after_timeout) = match found {
            Ok(found) => found,
            Err(e) => {
                self.create_failed(&draft.name, &form, &e);
                return Err(e);
            }
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
            self.journal(&flow, true, &form, &words);
        }
        checked?;
        let mut created = Created {
            flow,
            device_dropped,
            after_timeout,
            off_after: None,
        };
        let mut json = json;
        if refused_off {
            created.off_after = Some(match self.switch_off_new(&created.flow).await {
                Ok(w) => {
                    created.flow = w.value;
                    if decoding == Decoding::Json {
                        json = w.json;
                    }
                    OffAfter::SwitchedOff
                }
                Err(e) => OffAfter::Failed(e.to_string()),
            });
        }
        Ok(WithJson {
            value: created,
            json,
        })
    }

    /// After a create whose answer was lost: the flow `draft` made, searched for in the list,
    /// and its JSON read again when the decoding keeps JSON.
    async fn find_after_lost_answer(
        &self,
        draft: &FlowDraft,
        started: jiff::Timestamp,
        cause: ApiError,
        decoding: Decoding,
    ) -> Result<WithJson<Flow>, ApiError> {
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
        let json = match decoding {
            // The typed create prints nothing: no request is spent on JSON it would drop.
            Decoding::Typed => Value::Null,
            Decoding::Json => self
                .get_flow_json(flow.id, Priority::Operator)
                .await
                .map_or(Value::Null, |w| w.json),
        };
        Ok(WithJson { value: flow, json })
    }

    /// After a create whose answer was lost: is a flow like `draft` (its name, and its content
    /// when listed) there, created since just before the request? Looks among the newest flows:
    /// the first page (accounts that list newest first), then the last three pages backwards,
    /// where the server's default order puts a new flow. The pages are read and ended as every
    /// list is: a short first page is the whole list, and the last page is the one the server's
    /// counts agree on.
    async fn find_created(
        &self,
        draft: &FlowDraft,
        started: jiff::Timestamp,
    ) -> Result<Option<Flow>, ApiError> {
        const PER_PAGE: u32 = 100;
        let since = started - jiff::SignedDuration::from_secs(120);
        let matches = |f: &Flow| {
            stored_as(&draft.name, &f.name, NAME_MAX)
                && f.content
                    .as_deref()
                    .is_none_or(|c| stored_as(&draft.content, c, CONTENT_MAX))
                && f.created.is_none_or(|c| c >= since)
        };
        let page = |n| self.fetch_page(&FLOWS, n, PER_PAGE, Priority::Operator, Decoding::Typed);
        let first = page(1).await?.value;
        if let Some(f) = first.items.iter().find(|f| matches(f)) {
            return Ok(Some(f.clone()));
        }
        let mut pager = Pager::default();
        if !pager.more(1, &first) {
            return Ok(None);
        }
        let last = pager.expected().unwrap_or(1);
        for n in (2..=last).rev().take(3) {
            if let Some(f) = page(n).await?.value.items.into_iter().find(|f| matches(f)) {
                return Ok(Some(f));
            }
        }
        Ok(None)
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
