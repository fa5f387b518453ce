//! The id of a request, below everything else in `app` so that any of its files can hold one.

/// Identifies one request, so that a result that is no longer current is dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReqId(pub u64);
