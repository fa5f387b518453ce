//! The flow model and the rules that need no I/O: types, cleaning of server text, validation that
//! mirrors the server, SMS length counting and the patch of changed fields.

pub mod alerts;
pub mod clean;
pub mod flow;
pub mod message;
pub mod phone_error;
pub mod sms;
pub mod validate;
pub mod width;

pub use flow::{
    Device, Flow, FlowDraft, FlowId, FlowPatch, RowBlock, RowKey, Segment, SegmentRef, SimCard,
    WaitUnit,
};
