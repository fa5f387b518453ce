//! The JSON the server answers with: resources in the shape of each build, the list envelope with
//! its `meta` and `links` (CONTRACT §4, §5), and the HTML pages of the failures.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::messages::StoredSms;
use super::php;
use super::store::StoredFlow;
use super::store::{Device, Segment};

pub(crate) const TITLE_NOT_FOUND: &str = "The resource you are looking for does not exist.";
pub(crate) const TITLE_REQUIRED: &str = "You must fill all the required fields.";
pub(crate) const TITLE_NO_BEARER: &str = "The request is missing the Bearer Authentication header.";
pub(crate) const TITLE_NO_ACCESS: &str = "You do not have access to the API.";
pub(crate) const TITLE_RATE_LIMIT: &str =
    "You reached the limit of requests in one minute, please wait.";

/// The page PHP shows on a fatal error (`app/includes/500.php`).
pub(crate) const HTML_500: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n<title>Internal server error</title>\n</head>\n<body>\n<h1>Internal server error</h1>\n<p>Our website is having some issues right now. Please try again later.</p>\n</body>\n</html>\n";

/// What a reverse proxy answers when PHP is gone.
pub(crate) const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

pub(crate) const HTML_NOT_FOUND: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"UTF-8\"><title>Page not found</title></head>\n<body><h1>404</h1><p>The page you are looking for does not exist.</p></body>\n</html>\n";

/// The error envelope; `status` is an integer except for the missing bearer (CONTRACT §4.6).
pub(crate) fn error(title: &str, status: &Value) -> Value {
    json!({ "errors": [{ "title": title, "status": status }] })
}

fn int_of(raw: Option<&str>) -> i64 {
    raw.map_or(0, php::intval)
}

/// A flow as list and single reads show it. The shipped build drops `content`, `device_id` and
/// `sim_subscription_id` and puts the device id where the flow id belongs (CONTRACT §6.2).
pub(crate) fn flow_read(flow: &StoredFlow, quirks: bool) -> Value {
    let mut out = flow_written(flow, quirks);
    if quirks && let Some(map) = out.as_object_mut() {
        map.remove("content");
        map.remove("device_id");
        map.remove("sim_subscription_id");
        map.insert("id".to_owned(), json!(flow.device_id.unwrap_or(0)));
    }
    out
}

/// An SMS row as `/api/sms` shows it (CONTRACT §9): every id an int, 0 when NULL.
pub(crate) fn sms(row: &StoredSms, user_id: u64) -> Value {
    json!({
        "sms_id": row.sms_id,
        "device_id": row.device_id.unwrap_or(0),
        "sim_subscription_id": 0,
        "contact_id": row.contact_id,
        "campaign_id": 0,
        "flow_id": row.flow_id,
        "rss_automation_id": 0,
        "recurring_campaign_id": 0,
        "user_id": user_id,
        "type": "sent",
        "content": row.content,
        "status": row.status,
        "error": row.error,
        "scheduled_datetime": row.scheduled_datetime,
        "datetime": row.datetime,
    })
}

/// A flow as create and update answer it: every field, with the real id.
pub(crate) fn flow_written(flow: &StoredFlow, quirks: bool) -> Value {
    json!({
        "id": flow.id,
        "device_id": flow.device_id.unwrap_or(0),
        "sim_subscription_id": int_of(flow.sim_subscription_id.as_deref()),
        "user_id": flow.user_id,
        "name": flow.name,
        "content": flow.content,
        "segment": flow.segment,
        "settings": if quirks { json!([]) } else { json!({}) },
        "wait_time": flow.wait_time,
        "wait_time_type": flow.wait_time_type,
        "is_enabled": flow.is_enabled,
        "total_sent_sms": flow.total_sent_sms,
        "total_pending_sms": flow.total_pending_sms,
        "total_failed_sms": flow.total_failed_sms,
        "last_sent_datetime": flow.last_sent_datetime,
        "last_datetime": flow.last_datetime,
        "datetime": flow.datetime,
    })
}

pub(crate) fn device(d: &Device, user_id: u64) -> Value {
    let sims = d.sims.as_ref().map(|sims| {
        sims.iter()
            .map(|s| {
                json!({
                    "subscription_id": s.subscription_id,
                    "phone_number": s.phone_number,
                    "carrier_name": s.carrier_name,
                    "display_name": format!("SIM {}", s.slot_index + 1),
                    "slot_index": s.slot_index,
                })
            })
            .collect::<Vec<_>>()
    });
    json!({
        "id": d.id,
        "user_id": user_id,
        "name": d.name,
        "notifications": [],
        "settings": { "sms_in_between_delay": d.delay },
        "sims": sims,
        "device_fcm_token": d.sims.as_ref().map(|_| format!("demo-fcm-token-{}", d.id)),
        "device_model": d.model,
        "device_brand": d.brand,
        "device_os": d.os,
        "device_battery": d.battery,
        "device_is_charging": d.charging,
        "ip": d.sims.as_ref().map(|_| "192.0.2.10"),
        "total_sent_sms": 0,
        "total_pending_sms": 0,
        "total_received_sms": 0,
        "total_failed_sms": 0,
        "last_sent_datetime": null,
        "last_ping_datetime": d.last_ping_datetime,
        "last_received_datetime": null,
        "datetime": d.datetime,
        "last_datetime": null,
    })
}

/// `total_contacts` is a string in lists and an int in single reads (CONTRACT §8).
pub(crate) fn segment(s: &Segment, user_id: u64, in_list: bool) -> Value {
    let total = if in_list {
        json!(s.total_contacts.to_string())
    } else {
        json!(s.total_contacts)
    };
    json!({
        "id": s.id,
        "user_id": user_id,
        "name": s.name,
        "settings": s.settings,
        "type": s.kind,
        "total_contacts": total,
        "last_datetime": null,
        "datetime": s.datetime,
    })
}

/// One page of a list, as the query asked for it (CONTRACT §5).
pub(crate) struct Paging {
    pub offset: usize,
    pub limit: usize,
    page: i64,
    page_raw: Option<String>,
    per_page_raw: Option<String>,
    total: usize,
    total_pages: usize,
}

pub(crate) const PAGE_SIZES: [i64; 7] = [10, 25, 50, 100, 250, 500, 1000];

impl Paging {
    /// `results_per_page` counts only when it loosely equals an allowed size; otherwise the
    /// default applies: 25 as documented, 100 in the shipped build (what new accounts get).
    pub(crate) fn new(query: &BTreeMap<String, String>, total: usize, quirks: bool) -> Paging {
        let per_page_raw = query
            .get("results_per_page")
            .filter(|raw| {
                php::numeric_value(raw).is_some_and(|n| {
                    PAGE_SIZES
                        .iter()
                        .any(|&size| (size as f64 - n).abs() < 1e-9)
                })
            })
            .cloned();
        let limit = per_page_raw
            .as_deref()
            .map_or(if quirks { 100 } else { 25 }, php::intval) as usize;
        let page_raw = query.get("page").cloned();
        let page = page_raw
            .as_deref()
            .filter(|raw| php::numeric_value(raw).is_some_and(|n| n > 0.0))
            .map_or(1, php::intval)
            .max(1);
        let offset = usize::try_from(page - 1).unwrap_or(0).saturating_mul(limit);
        Paging {
            offset,
            limit,
            page,
            page_raw,
            per_page_raw,
            total,
            total_pages: total.div_ceil(limit),
        }
    }

    /// The list answer around `data`; `base` is the collection's URL (`…/api/flows`).
    pub(crate) fn envelope(&self, data: &[Value], base: &str, quirks: bool) -> Value {
        let filter = self
            .per_page_raw
            .as_deref()
            .map(|raw| format!("results_per_page={raw}"))
            .unwrap_or_default();
        // The shipped build glues an empty filter and `&page=` together: `?&page=1`.
        let link = |page: i64| {
            if quirks {
                format!("{base}?{filter}&page={page}")
            } else if filter.is_empty() {
                format!("{base}?page={page}")
            } else {
                format!("{base}?{filter}&page={page}")
            }
        };
        let total_pages = self.total_pages as i64;
        let self_page = if quirks {
            self.page_raw.as_deref().map_or(1, php::intval)
        } else {
            self.page
        };
        let links = json!({
            "first": link(1),
            "last": (total_pages > 0).then(|| link(total_pages)),
            "next": (self.page < total_pages).then(|| link(self.page + 1)),
            "prev": (self.page > 1).then(|| link(self.page - 1)),
            "self": link(self_page),
        });
        let meta = if quirks {
            json!({
                "page": self.page_raw.as_ref().map_or(json!(1), |raw| json!(raw)),
                "total_pages": self.total_pages,
                "results_per_page": self.limit,
                "total_results": self.total,
            })
        } else {
            json!({
                "page": self.page,
                "results_per_page": self.limit,
                "total": self.total,
                "total_pages": self.total_pages,
            })
        };
        json!({ "data": data, "meta": meta, "links": links })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn page_size_loosely_allowed() {
        assert_eq!(
            Paging::new(&query(&[("results_per_page", "25.0")]), 0, true).limit,
            25
        );
        assert_eq!(
            Paging::new(&query(&[("results_per_page", " 10")]), 0, true).limit,
            10
        );
        assert_eq!(
            Paging::new(&query(&[("results_per_page", "25abc")]), 0, true).limit,
            100
        );
        assert_eq!(
            Paging::new(&query(&[("results_per_page", "7")]), 0, false).limit,
            25
        );
    }

    #[test]
    fn shipped_links_and_meta() {
        let paging = Paging::new(&query(&[("page", "abc")]), 30, true);
        let out = paging.envelope(&[], "http://h/api/flows", true);
        assert_eq!(out["meta"]["page"], json!("abc"));
        assert_eq!(out["links"]["self"], json!("http://h/api/flows?&page=0"));
        assert_eq!(out["links"]["next"], Value::Null);
        let paging = Paging::new(
            &query(&[("page", "9"), ("results_per_page", "10")]),
            30,
            false,
        );
        let out = paging.envelope(&[], "http://h/api/flows", false);
        assert_eq!(
            out["links"]["prev"],
            json!("http://h/api/flows?results_per_page=10&page=8")
        );
        assert_eq!(
            out["links"]["last"],
            json!("http://h/api/flows?results_per_page=10&page=3")
        );
        assert_eq!(out["meta"]["total_pages"], json!(3));
    }
}
