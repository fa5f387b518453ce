//! A server the client reaches in process, without a socket.
//!
//! The tests run the dashboard and its client on tokio's paused clock, where time jumps ahead
//! whenever every task waits: a request on a real socket would see its time-out fire at once.
//! Served in process (the demo server's router, `Sim::in_process`), a request never waits on
//! the network, so the paused clock stands still while it is answered. Everything else about
//! the request is as over HTTP: the scheduler, the key in the header, the form body, the
//! answer's status, headers and size limit, and the time-out.

use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};

/// A request as it would go out: method, whole URL, headers and body.
#[derive(Debug)]
pub struct InRequest {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// An answer as it would come back.
#[derive(Debug)]
pub struct InResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Answers requests in process. An `Err` is a connection that broke off without an answer
/// (the demo server's `Reset` fault), in words.
pub trait Serve: Send + Sync {
    fn serve(&self, request: InRequest) -> BoxFuture<'static, Result<InResponse, String>>;
}

/// The server a [`ClientConfig`](super::ClientConfig) sends to instead of its URL's host.
#[derive(Clone)]
pub struct InProcess(Arc<dyn Serve>);

impl InProcess {
    pub fn new(server: impl Serve + 'static) -> Self {
        InProcess(Arc::new(server))
    }

    pub(super) fn serve(
        &self,
        request: InRequest,
    ) -> BoxFuture<'static, Result<InResponse, String>> {
        self.0.serve(request)
    }
}

impl fmt::Debug for InProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InProcess")
    }
}
