//! The demo server served in process: the same router and handlers as over TCP, each request
//! handed to them as it would arrive, without a socket. A client on tokio's paused clock uses it
//! (`ClientConfig::in_process`): nothing then waits on the network, so the clock only moves
//! when every task waits for a timer.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use futures::future::BoxFuture;
use tower::ServiceExt as _;

use super::conn::ConnTag;
use crate::api::{InRequest, InResponse, Serve};

/// Answers are read whole; the client applies its own limit to what it is given.
const ANSWER_LIMIT: usize = 64 * 1024 * 1024;

pub(crate) struct Memory {
    pub router: Router,
}

impl Serve for Memory {
    fn serve(&self, request: InRequest) -> BoxFuture<'static, Result<InResponse, String>> {
        let router = self.router.clone();
        Box::pin(async move {
            let mut builder = axum::http::Request::builder()
                .method(request.method)
                .uri(request.url.as_str());
            if let Some(headers) = builder.headers_mut() {
                *headers = request.headers;
            }
            let mut http = builder
                .body(Body::from(request.body))
                .map_err(|e| e.to_string())?;
            // One connection a request, which the `Reset` fault may cut.
            let conn = ConnTag::new();
            http.extensions_mut().insert(ConnectInfo(conn.clone()));
            let response = match router.oneshot(http).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if conn.is_cut() {
                return Err("connection reset".to_owned());
            }
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, ANSWER_LIMIT)
                .await
                .map_err(|e| e.to_string())?;
            Ok(InResponse {
                status: parts.status,
                headers: parts.headers,
                body: body.to_vec(),
            })
        })
    }
}
