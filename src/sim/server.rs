//! The one handler behind every path: request log, faults, authentication and the rate window
//! (CONTRACT §2, §3), then the routes of the API and of the demo controls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Multipart, Query, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::answer::{Answer, HTML_TYPE, JSON_TYPE, path_id};
use super::conn::ConnTag;
use super::control;
use super::fault::{self, Fault};
use super::messages::{Messages, StoredSms};
use super::render::{self, Paging};
use super::store::{Store, WriteError};
use super::{Inner, LoggedRequest, State as SimState, StoredFlow, php};

/// Bodies above this are read as empty; no flow field comes close.
const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// The rate window's length (CONTRACT §3).
const WINDOW: Duration = Duration::from_secs(60);

/// A key's fixed rate window: it starts with the key's first request.
pub(crate) struct Window {
    remaining: i64,
    ends: Instant,
}

/// The key after `Bearer` and one whitespace character, as the server's regex takes it.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    value.match_indices("Bearer").find_map(|(at, _)| {
        let rest = &value[at + "Bearer".len()..];
        let mut chars = rest.chars();
        if !chars.next()?.is_whitespace() {
            return None;
        }
        let token: String = chars.take_while(|c| !c.is_whitespace()).collect();
        (!token.is_empty()).then_some(token)
    })
}

/// Form fields as PHP's `$_POST` has them: urlencoded or multipart POST bodies only, so a JSON
/// body gives nothing.
async fn form_fields(method: &Method, content_type: &str, body: Bytes) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    if method != Method::POST {
        return fields;
    }
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Ok(request) = Request::builder()
        .method(Method::POST)
        .header(CONTENT_TYPE, content_type)
        .body(Body::from(body))
    else {
        return fields;
    };
    match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            if let Ok(Form(pairs)) = Form::<Vec<(String, String)>>::from_request(request, &()).await
            {
                fields.extend(pairs);
            }
        }
        "multipart/form-data" => {
            let Ok(mut multipart) = Multipart::from_request(request, &()).await else {
                return fields;
            };
            while let Ok(Some(field)) = multipart.next_field().await {
                let name = field.name().unwrap_or_default().to_owned();
                if let Ok(text) = field.text().await {
                    fields.insert(name, text);
                }
            }
        }
        _ => {}
    }
    fields
}

/// Values that look like credentials never reach the log.
fn redacted(fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .iter()
        .map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            let secret = ["key", "token", "authorization", "password"]
                .iter()
                .any(|word| lower.contains(word));
            let value = if secret {
                "[redacted]".to_owned()
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect()
}

fn log_time(now: Timestamp) -> String {
    format!(
        "{}.{:03}",
        now.strftime("%Y-%m-%d %H:%M:%S"),
        now.subsec_millisecond()
    )
}

pub(crate) async fn handle(
    State(inner): State<Arc<Inner>>,
    ConnectInfo(conn): ConnectInfo<ConnTag>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    let query: BTreeMap<String, String> = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|Query(pairs)| pairs.into_iter().collect())
        .unwrap_or_default();
    let body = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let is_api = path == "/api" || path.starts_with("/api/");
    let form = if is_api {
        form_fields(&parts.method, &content_type, body.clone()).await
    } else {
        BTreeMap::new()
    };
    // Only rewrite the query when something in it has to be hidden.
    let hidden = redacted(&query);
    let logged_query = if hidden.values().any(|v| v == "[redacted]") {
        hidden
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    } else {
        raw_query
    };
    let index = inner.log_begin(LoggedRequest {
        time: log_time(Timestamp::now()),
        at: inner.started.elapsed(),
        method: parts.method.to_string(),
        path: path.clone(),
        query: logged_query,
        status: 0,
        form: redacted(&form),
    });

    let answer = if is_api {
        api(
            &inner,
            &conn,
            &parts.method,
            &path,
            &query,
            &form,
            &parts.headers,
        )
        .await
    } else if let Some(rest) = path.strip_prefix("/_demo/") {
        control::control(&inner, &parts.method, rest.trim_end_matches('/'), &body)
    } else {
        // Including `/not-found`, where the `Redirect` fault sends clients.
        Answer::new(StatusCode::NOT_FOUND, HTML_TYPE, render::HTML_NOT_FOUND)
    };

    inner.log_finish(
        index,
        if answer.cut {
            0
        } else {
            answer.status.as_u16()
        },
    );
    answer.into_response()
}

async fn api(
    inner: &Inner,
    conn: &ConnTag,
    method: &Method,
    path: &str,
    query: &BTreeMap<String, String>,
    form: &BTreeMap<String, String>,
    headers: &HeaderMap,
) -> Answer {
    let key = bearer(headers);
    let fault = inner.state().faults.take(method != Method::GET);
    let mut delay = inner.cfg.latency;
    if let Some(Fault::Latency(extra)) = fault {
        delay += extra;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(answer) = fault_answer(inner, conn, fault.as_ref(), key.as_deref(), headers) {
        return answer;
    }

    let hostile = fault == Some(Fault::HostileNames);
    let lying = fault == Some(Fault::LyingMeta)
        && method == Method::GET
        && path.trim_end_matches('/') == "/api/flows";
    let clamped;
    let query = if lying {
        let total = inner.state().store.flows.len();
        clamped = fault::clamp_page(query, total, inner.cfg.quirks);
        &clamped
    } else {
        query
    };
    let substituted;
    let form = if fault == Some(Fault::Substitute) {
        substituted = substitute(&inner.state().store, form);
        &substituted
    } else {
        form
    };
    let mut answer = authenticated(inner, method, path, query, form, key, hostile);
    answer.headers.push(("x-robots-tag", "noindex".to_owned()));
    if lying && let Some(body) = fault::lying_meta(&answer.body) {
        answer.body = body;
    }
    match fault {
        Some(Fault::InvalidJson) => answer.body = fault::invalid_json(&answer.body),
        Some(Fault::Truncated) => answer.body = fault::truncated(&answer.body),
        Some(Fault::LateAnswer(wait)) => tokio::time::sleep(wait).await,
        Some(Fault::StoredThen500) => {
            let headers = std::mem::take(&mut answer.headers);
            answer = Answer::fatal();
            answer.headers = headers;
        }
        Some(Fault::OtherFlow) if answer.status.is_success() => {
            answer.body = other_flow(inner, &answer.body);
        }
        Some(Fault::ListShifts)
            if method == Method::GET && path.trim_end_matches('/') == "/api/flows" =>
        {
            shift_list(inner);
        }
        _ => {}
    }
    answer
}

/// Deletes the first stored flow, so that the pages after the one answered move up a place.
fn shift_list(inner: &Inner) {
    let mut state = inner.state();
    if let Some(&first) = state.store.flows.keys().next() {
        state.store.delete(first);
    }
}

/// The form as a server that validates against the wrong list stores it: the first device and
/// its first SIM, segment `all`, switched on; only fields that were sent are replaced.
fn substitute(store: &Store, form: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out = form.clone();
    let device = store.devices.first();
    let sim = device
        .and_then(|d| d.sims.as_ref()?.first())
        .map(|s| s.subscription_id);
    let replace = |out: &mut BTreeMap<String, String>, key: &str, value: Option<String>| {
        if let (Some(slot), Some(value)) = (out.get_mut(key), value) {
            *slot = value;
        }
    };
    replace(&mut out, "device_id", device.map(|d| d.id.to_string()));
    replace(&mut out, "sim_subscription_id", sim.map(|s| s.to_string()));
    replace(&mut out, "segment", Some("all".to_owned()));
    replace(&mut out, "is_enabled", Some("1".to_owned()));
    out
}

/// The answer of a write, with another flow's object in place of the one written.
fn other_flow(inner: &Inner, body: &[u8]) -> Vec<u8> {
    let written = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.pointer("/data/id")?.as_u64());
    let state = inner.state();
    let other = state
        .store
        .flows
        .values()
        .find(|f| Some(f.id) != written)
        .map(|f| render::flow_written(f, inner.cfg.quirks));
    other.map_or_else(
        || body.to_vec(),
        |v| php::json_encode(&json!({ "data": v })),
    )
}

/// The answer of a fault that answers instead of the server (the request is not processed).
fn fault_answer(
    inner: &Inner,
    conn: &ConnTag,
    fault: Option<&Fault>,
    key: Option<&str>,
    headers: &HeaderMap,
) -> Option<Answer> {
    match fault? {
        Fault::Html502 => Some(Answer::new(
            StatusCode::BAD_GATEWAY,
            HTML_TYPE,
            render::HTML_502,
        )),
        Fault::Html500 => Some(Answer::fatal()),
        Fault::Redirect => {
            let site = inner.base_url().trim_end_matches("api").to_owned();
            let mut answer = Answer::new(StatusCode::FOUND, HTML_TYPE, render::HTML_NOT_FOUND);
            answer
                .headers
                .push((LOCATION.as_str(), format!("{site}not-found")));
            Some(answer)
        }
        Fault::Reset => {
            conn.cut();
            let mut answer = Answer::new(StatusCode::INTERNAL_SERVER_ERROR, JSON_TYPE, "");
            answer.cut = true;
            Some(answer)
        }
        Fault::RateLimitBurst => {
            let mut answer = Answer::error(StatusCode::TOO_MANY_REQUESTS, render::TITLE_RATE_LIMIT);
            let left = key
                .and_then(|key| {
                    let state = inner.state();
                    let window = state.windows.get(key)?;
                    Some(window.ends.saturating_duration_since(Instant::now()))
                })
                .filter(|left| !left.is_zero())
                .unwrap_or(WINDOW);
            answer
                .headers
                .push(("x-ratelimit-limit", inner.cfg.rate_limit.to_string()));
            answer
                .headers
                .push(("x-ratelimit-reset", seconds_up(left).to_string()));
            Some(answer)
        }
        &Fault::RateLimitReset(reset) => {
            let mut answer = Answer::error(StatusCode::TOO_MANY_REQUESTS, render::TITLE_RATE_LIMIT);
            answer
                .headers
                .push(("x-ratelimit-limit", inner.cfg.rate_limit.to_string()));
            answer
                .headers
                .push(("x-ratelimit-reset", reset.to_string()));
            Some(answer)
        }
        Fault::EchoCredentials => {
            let received = headers
                .get(AUTHORIZATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default();
            Some(Answer::json(
                StatusCode::UNAUTHORIZED,
                &fault::echo_credentials(&received),
            ))
        }
        Fault::Oversize => {
            let item = inner.state().store.flows.values().next().map_or_else(
                || b"{}".to_vec(),
                |flow| php::json_encode(&render::flow_read(flow, inner.cfg.quirks)),
            );
            Some(Answer::new(
                StatusCode::OK,
                JSON_TYPE,
                fault::oversize(&item),
            ))
        }
        _ => None,
    }
}

fn seconds_up(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// Authentication, the rate window, then the route (CONTRACT §2, §3).
fn authenticated(
    inner: &Inner,
    method: &Method,
    path: &str,
    query: &BTreeMap<String, String>,
    form: &BTreeMap<String, String>,
    key: Option<String>,
    hostile: bool,
) -> Answer {
    let Some(key) = key else {
        // The one error whose status is a string.
        let body = render::error(render::TITLE_NO_BEARER, &json!("401"));
        return Answer::json(StatusCode::UNAUTHORIZED, &body);
    };
    if key != inner.cfg.api_key {
        return Answer::error(StatusCode::UNAUTHORIZED, render::TITLE_NO_ACCESS);
    }
    let mut state = inner.state();
    let now = Instant::now();
    let window = state
        .windows
        .entry(key)
        .and_modify(|w| {
            if now >= w.ends {
                *w = Window {
                    remaining: i64::from(inner.cfg.rate_limit),
                    ends: now + WINDOW,
                };
            }
        })
        .or_insert_with(|| Window {
            remaining: i64::from(inner.cfg.rate_limit),
            ends: now + WINDOW,
        });
    window.remaining -= 1;
    let (remaining, ends) = (window.remaining, window.ends);
    let limit = ("x-ratelimit-limit", inner.cfg.rate_limit.to_string());
    if remaining < 0 {
        let mut answer = Answer::error(StatusCode::TOO_MANY_REQUESTS, render::TITLE_RATE_LIMIT);
        let left = seconds_up(ends.saturating_duration_since(now));
        answer.headers.push(limit);
        answer.headers.push(("x-ratelimit-reset", left.to_string()));
        return answer;
    }
    let mut answer = route(&mut state, inner, method, path, query, form, hostile);
    answer.headers.push(limit);
    answer
        .headers
        .push(("x-ratelimit-remaining", remaining.to_string()));
    answer
}

fn scramble(value: &mut Value, index: usize) {
    let (name, content) = fault::hostile(index);
    if let Some(map) = value.as_object_mut() {
        map.insert("name".to_owned(), json!(name));
        if map.contains_key("content") {
            map.insert("content".to_owned(), json!(content));
        }
    }
}

/// What every route needs to know about the request.
struct Ctx<'a> {
    quirks: bool,
    base: String,
    query: &'a BTreeMap<String, String>,
    form: &'a BTreeMap<String, String>,
    hostile: bool,
}

impl Ctx<'_> {
    /// A flow as reads show it, its text replaced when the `HostileNames` fault is on.
    fn read(&self, flow: &StoredFlow, index: usize) -> Value {
        let mut value = render::flow_read(flow, self.quirks);
        if self.hostile {
            scramble(&mut value, index);
        }
        value
    }

    fn written(&self, flow: &StoredFlow, status: StatusCode) -> Answer {
        let mut value = render::flow_written(flow, self.quirks);
        if self.hostile {
            scramble(&mut value, 0);
        }
        Answer::data(&value, status)
    }
}

fn route(
    state: &mut SimState,
    inner: &Inner,
    method: &Method,
    path: &str,
    query: &BTreeMap<String, String>,
    form: &BTreeMap<String, String>,
    hostile: bool,
) -> Answer {
    let ctx = Ctx {
        quirks: inner.cfg.quirks,
        base: inner.base_url(),
        query,
        form,
        hostile,
    };
    let rest = path
        .strip_prefix("/api")
        .unwrap_or(path)
        .trim_end_matches('/');
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["flows", rest @ ..] => flows(&mut state.store, &ctx, method, rest),
        ["devices" | "segments", ..] => catalogue(&state.store, &ctx, method, &parts),
        ["sms", rest @ ..] => {
            let order = if inner.cfg.sms_oldest_first {
                Order::OldestFirst
            } else {
                Order::NewestFirst
            };
            messages(&state.sms, state.store.user_id, &ctx, method, rest, order)
        }
        _ => Answer::not_found(),
    }
}

fn flows(store: &mut Store, ctx: &Ctx<'_>, method: &Method, rest: &[&str]) -> Answer {
    let now = Timestamp::now();
    match (method.as_str(), rest) {
        ("GET", []) => {
            let paging = Paging::new(ctx.query, store.flows.len(), ctx.quirks);
            let data: Vec<Value> = store
                .flows
                .values()
                .skip(paging.offset)
                .take(paging.limit)
                .enumerate()
                .map(|(i, flow)| ctx.read(flow, i))
                .collect();
            let body = paging.envelope(&data, &format!("{}/flows", ctx.base), ctx.quirks);
            Answer::json(StatusCode::OK, &body)
        }
        ("POST", []) => match store.create(ctx.form, ctx.quirks, now) {
            Ok(id) => store
                .flows
                .get(&id)
                .map_or_else(Answer::fatal, |flow| ctx.written(flow, StatusCode::CREATED)),
            Err(WriteError::Required) => {
                Answer::error(StatusCode::UNAUTHORIZED, render::TITLE_REQUIRED)
            }
            Err(WriteError::NotFound) => Answer::not_found(),
            Err(WriteError::Fatal) => Answer::fatal(),
            Err(WriteError::NotStored(row)) => {
                let mut value = render::flow_written(&row, ctx.quirks);
                value["id"] = Value::Bool(false);
                Answer::data(&value, StatusCode::CREATED)
            }
        },
        ("GET", [id]) => path_id(id)
            .and_then(|id| store.flows.get(&id))
            .map_or_else(Answer::not_found, |flow| {
                Answer::data(&ctx.read(flow, 0), StatusCode::OK)
            }),
        ("POST", [id]) => {
            let Some(id) = path_id(id) else {
                return Answer::not_found();
            };
            match store.update(id, ctx.form, ctx.quirks, now) {
                Ok(()) => store
                    .flows
                    .get(&id)
                    .map_or_else(Answer::not_found, |flow| ctx.written(flow, StatusCode::OK)),
                Err(WriteError::NotFound | WriteError::Required | WriteError::NotStored(_)) => {
                    Answer::not_found()
                }
                Err(WriteError::Fatal) => Answer::fatal(),
            }
        }
        ("DELETE", [id]) => {
            if path_id(id).is_some_and(|id| store.delete(id)) {
                // 200 with an empty body under the JSON content type (CONTRACT §4.5).
                Answer::new(StatusCode::OK, JSON_TYPE, "")
            } else {
                Answer::not_found()
            }
        }
        _ => Answer::not_found(),
    }
}

/// The account's default direction of the SMS list, by `sms_id` (CONTRACT §9).
#[derive(Clone, Copy)]
enum Order {
    NewestFirst,
    OldestFirst,
}

/// An SMS as reads show it, its content and error replaced when the `HostileNames` fault is on.
fn sms_read(row: &StoredSms, user: u64, ctx: &Ctx<'_>, index: usize) -> Value {
    let mut value = render::sms(row, user);
    if ctx.hostile
        && let Some(map) = value.as_object_mut()
    {
        let (name, content) = fault::hostile(index);
        map.insert("content".to_owned(), json!(content));
        map.insert("error".to_owned(), json!(name));
    }
    value
}

/// `GET /api/sms` and `/api/sms/{id}`; `?flow_id=` is ignored like every filter (CONTRACT §9).
fn messages(
    sms: &Messages,
    user: u64,
    ctx: &Ctx<'_>,
    method: &Method,
    rest: &[&str],
    order: Order,
) -> Answer {
    match (method.as_str(), rest) {
        ("GET", []) => {
            let paging = Paging::new(ctx.query, sms.len(), ctx.quirks);
            let rows: Box<dyn Iterator<Item = &StoredSms>> = match order {
                Order::NewestFirst => Box::new(sms.iter().rev()),
                Order::OldestFirst => Box::new(sms.iter()),
            };
            let data: Vec<Value> = rows
                .skip(paging.offset)
                .take(paging.limit)
                .enumerate()
                .map(|(i, row)| sms_read(row, user, ctx, i))
                .collect();
            let body = paging.envelope(&data, &format!("{}/sms", ctx.base), ctx.quirks);
            Answer::json(StatusCode::OK, &body)
        }
        ("GET", [id]) => path_id(id)
            .and_then(|id| sms.get(id))
            .map_or_else(Answer::not_found, |row| {
                Answer::data(&sms_read(row, user, ctx, 0), StatusCode::OK)
            }),
        _ => Answer::not_found(),
    }
}

/// Devices and segments: read-only, except the shipped build's failing segment update.
fn catalogue(store: &Store, ctx: &Ctx<'_>, method: &Method, parts: &[&str]) -> Answer {
    let user = store.user_id;
    match (method.as_str(), parts) {
        ("GET", ["devices"]) => {
            let paging = Paging::new(ctx.query, store.devices.len(), ctx.quirks);
            let data: Vec<Value> = store
                .devices
                .iter()
                .skip(paging.offset)
                .take(paging.limit)
                .map(|d| render::device(d, user))
                .collect();
            let body = paging.envelope(&data, &format!("{}/devices", ctx.base), ctx.quirks);
            Answer::json(StatusCode::OK, &body)
        }
        ("GET", ["devices", id]) => path_id(id)
            .and_then(|id| store.devices.iter().find(|d| d.id == id))
            .map_or_else(Answer::not_found, |d| {
                Answer::data(&render::device(d, user), StatusCode::OK)
            }),
        ("GET", ["segments"]) => {
            let paging = Paging::new(ctx.query, store.segments.len(), ctx.quirks);
            let data: Vec<Value> = store
                .segments
                .iter()
                .skip(paging.offset)
                .take(paging.limit)
                .map(|s| render::segment(s, user, true))
                .collect();
            let body = paging.envelope(&data, &format!("{}/segments", ctx.base), ctx.quirks);
            Answer::json(StatusCode::OK, &body)
        }
        ("GET", ["segments", id]) => path_id(id)
            .and_then(|id| store.segments.iter().find(|s| s.id == id))
            .map_or_else(Answer::not_found, |s| {
                Answer::data(&render::segment(s, user, false), StatusCode::OK)
            }),
        // The shipped build's segment update queries a misspelled table (CONTRACT §8).
        ("POST", ["segments", _]) if ctx.quirks => Answer::fatal(),
        _ => Answer::not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            axum::http::HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn bearer_like_the_server_regex() {
        assert_eq!(bearer(&auth("Bearer abc")), Some("abc".to_owned()));
        assert_eq!(bearer(&auth("Bearer  abc")), None);
        assert_eq!(bearer(&auth("bearer abc")), None);
        assert_eq!(bearer(&auth("Bearer")), None);
        assert_eq!(
            bearer(&auth("Basic x, Bearer k1 more")),
            Some("k1".to_owned())
        );
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
