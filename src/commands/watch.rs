//! `flowdash watch`: the command line's side of headless watching (DESIGN §14); the loop is
//! `crate::watch`. The history keeps the alerts' state, so with `--no-history` it is kept in
//! memory for this run only.

use super::Failure;
use crate::api::Client;
use crate::cli::WatchArgs;
use crate::config::Settings;
use crate::store::{DEFAULT_RETENTION_DAYS, Recorder};
use crate::watch::{self, Options};

pub async fn run(client: &Client, settings: &Settings, args: &WatchArgs) -> Result<(), Failure> {
    let (recorder, events) = match &settings.history {
        Some(path) => Recorder::start(path.clone(), DEFAULT_RETENTION_DAYS),
        None => Recorder::in_memory(),
    };
    let opts = Options {
        every: args.every,
        metrics: args.metrics,
        json: args.json,
    };
    watch::run(
        client.clone(),
        settings.alerts.clone(),
        recorder,
        events,
        opts,
    )
    .await
    .map_err(Failure::msg)
}
