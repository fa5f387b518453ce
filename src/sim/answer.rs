//! An answer of the demo server before it becomes a response, shared by the API routes
//! (`server`) and the demo's own controls (`control`).

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{php, render};

pub(super) const JSON_TYPE: &str = "application/json";
pub(super) const HTML_TYPE: &str = "text/html; charset=UTF-8";

/// An answer before it becomes a response.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) content_type: &'static str,
    pub(super) body: Vec<u8>,
    pub(super) headers: Vec<(&'static str, String)>,
    /// Close the connection without answering (the `Reset` fault).
    pub(super) cut: bool,
}

impl Answer {
    /// `{"data": …}`, the success envelope of single resources.
    pub(super) fn data(value: &Value, status: StatusCode) -> Self {
        Answer::json(status, &json!({ "data": value }))
    }

    pub(super) fn new(
        status: StatusCode,
        content_type: &'static str,
        body: impl Into<Vec<u8>>,
    ) -> Self {
        Answer {
            status,
            content_type,
            body: body.into(),
            headers: Vec::new(),
            cut: false,
        }
    }

    pub(super) fn json(status: StatusCode, value: &Value) -> Self {
        Answer::new(status, JSON_TYPE, php::json_encode(value))
    }

    pub(super) fn error(status: StatusCode, title: &str) -> Self {
        Answer::json(status, &render::error(title, &json!(status.as_u16())))
    }

    /// A PHP fatal error: HTML, but the JSON content type was already sent (CONTRACT §4.6).
    pub(super) fn fatal() -> Self {
        Answer::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            JSON_TYPE,
            render::HTML_500,
        )
    }

    pub(super) fn not_found() -> Self {
        Answer::error(StatusCode::NOT_FOUND, render::TITLE_NOT_FOUND)
    }

    pub(super) fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }
}

/// A positive id from the path, cast as PHP's `(int)` does.
pub(super) fn path_id(raw: &str) -> Option<u64> {
    u64::try_from(php::intval(raw)).ok().filter(|&id| id > 0)
}
