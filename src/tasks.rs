//! Runs the commands `update` returns as tokio tasks and sends their results back as messages:
//! requests through the API client, history queries through the store's writer.

use tokio::sync::mpsc::UnboundedSender;

use crate::api::Client;
use crate::app::history::{HistoryAsk, HistoryData, HistoryError};
use crate::app::{Command, Msg, ReqId, SaveResult};
use crate::budget::Priority;
use crate::store::{Account, Recorder, Store, StoreError};

/// Starts the task for an I/O command. Commands for the terminal or the timers are the
/// runner's and are ignored here.
pub fn spawn(cmd: Command, client: &Client, tx: &UnboundedSender<Msg>) {
    let cmd = match cmd {
        // A bulk queue's write, made like any other, in the ledger's `bulk` lane.
        Command::Bulk(write) => return spawn(*write, &client.in_lane(crate::api::Lane::Bulk), tx),
        cmd => cmd,
    };
    let client = client.clone();
    let tx = tx.clone();
    // A closed channel means the dashboard is quitting: results have nowhere to go.
    let send = move |m: Msg| drop(tx.send(m));
    match cmd {
        Command::LoadPage {
            req,
            page,
            per_page,
            priority,
        } => {
            tokio::spawn(async move {
                let result = match client.list_flows(page, per_page, priority).await {
                    Ok(p) => {
                        let kind = client.identify(&p.items, priority).await;
                        Ok((p, kind))
                    }
                    Err(e) => Err(e),
                };
                send(Msg::PageLoaded { req, result });
            });
        }
        Command::LoadAll { req, priority } => {
            tokio::spawn(async move { load_all(&client, req, priority, send).await });
        }
        Command::LoadChunk { req, page } => {
            tokio::spawn(async move {
                let per_page = u32::try_from(crate::app::CHUNK).unwrap_or(1000);
                let result = client.list_flows(page, per_page, Priority::Poll).await;
                send(Msg::ChunkLoaded { req, page, result });
            });
        }
        Command::LoadDevices => {
            tokio::spawn(async move { send(Msg::DevicesLoaded(client.devices().await)) });
        }
        Command::LoadSegments => {
            tokio::spawn(async move { send(Msg::SegmentsLoaded(client.segments().await)) });
        }
        Command::LoadDetail { req, id } => {
            tokio::spawn(async move {
                let result = client.get_flow(id, Priority::Poll).await;
                send(Msg::DetailLoaded { req, id, result });
            });
        }
        Command::LoadLedger => send(Msg::LedgerLoaded(client.ledger().calls())),
        Command::LoadMessages { req, flow } => {
            tokio::spawn(async move {
                let result = client.flow_messages(flow, Priority::Operator).await;
                send(Msg::MessagesLoaded { req, result });
            });
        }
        Command::Toggle {
            id,
            seen,
            target,
            listed,
        } => toggle(client, id, seen, target, listed, send),
        Command::Update {
            req,
            id,
            seen,
            patch,
        } => {
            tokio::spawn(async move {
                let result = client
                    .update_flow(id, &seen, &patch)
                    .await
                    .map(SaveResult::Updated);
                send(Msg::Saved { req, result });
            });
        }
        Command::Create { req, draft } => {
            tokio::spawn(async move {
                let result = client.create_flow(&draft).await.map(SaveResult::Created);
                send(Msg::Saved { req, result });
            });
        }
        Command::Delete { id, seen } => {
            tokio::spawn(async move {
                let result = client.delete_flow(id, Some(&seen)).await;
                send(Msg::Deleted { id, result });
            });
        }
        Command::SchedulePoll
        | Command::ArmDetail(_)
        | Command::ArmToast(_)
        | Command::Settle(_)
        | Command::SetMouse(_)
        | Command::Suspend
        | Command::SwitchProfile(_)
        | Command::Emit(_)
        | Command::Bulk(_)
        | Command::DropDraft(_)
        | Command::LoadHistory { .. }
        | Command::JudgeAlerts { .. } => {}
    }
}

/// A switch of one flow; `listed`, when given, stands for its re-read (a bulk switch).
fn toggle(
    client: Client,
    id: crate::domain::FlowId,
    seen: Box<crate::domain::Flow>,
    target: bool,
    listed: Option<Box<crate::domain::Flow>>,
    send: impl Fn(Msg) + Send + 'static,
) {
    tokio::spawn(async move {
        let result = client
            .set_enabled_listed(id, Some(&seen), listed.as_deref(), target)
            .await;
        send(Msg::Toggled { id, target, result });
    });
}

/// Reads a flow's history for `Command::LoadHistory`. The query runs on the store's own
/// thread, after the writes handed over before it, and the answer comes back as a message:
/// nothing waits for the disk on the UI task.
pub fn load_history(
    req: ReqId,
    ask: HistoryAsk,
    recorder: Option<&Recorder>,
    base_url: &url::Url,
    tx: &UnboundedSender<Msg>,
) {
    let tx = tx.clone();
    let Some(recorder) = recorder.cloned() else {
        let _ = tx.send(Msg::HistoryLoaded {
            req,
            result: Err(HistoryError::Off),
        });
        return;
    };
    let account = Account::new(base_url, ask.user_id);
    tokio::spawn(async move {
        let result = match recorder
            .query(move |store| read_history(store, &account, &ask))
            .await
        {
            Some(Ok(data)) => Ok(data),
            // The store's words may hold a path; nothing from outside, but cleaned all the same.
            Some(Err(e)) => Err(HistoryError::Failed(crate::domain::clean::one_line(
                &crate::api::error::redact(&e.to_string()),
            ))),
            None => Err(HistoryError::Unavailable),
        };
        let _ = tx.send(Msg::HistoryLoaded { req, result });
    });
}

/// What a chart needs of the store: the flow's intervals over the range, today against
/// yesterday when asked, and since when flowdash has been recording at this address.
pub fn read_history(
    store: &Store,
    account: &Account,
    ask: &HistoryAsk,
) -> Result<HistoryData, StoreError> {
    let intervals = store.series(account, &ask.flow, ask.from, ask.to, ask.every, &ask.tz)?;
    let comparison = if ask.compare {
        Some(store.today_vs_yesterday(account, &ask.flow, ask.to, &ask.tz)?)
    } else {
        None
    };
    Ok(HistoryData {
        intervals,
        comparison,
        recording_since: store.recording_since(Some(account))?,
    })
}

/// Every page, with progress as it goes; whether the list held still goes with the result.
async fn load_all(client: &Client, req: ReqId, priority: Priority, send: impl Fn(Msg) + Clone) {
    let progress_tx = send.clone();
    let mut steady = true;
    let result = match client
        .all_flows(priority, |done, pages| {
            progress_tx(Msg::AllProgress { req, done, pages });
        })
        .await
    {
        Ok(all) => {
            steady = all.steady;
            let kind = client.identify(&all.flows, priority).await;
            Ok((all.flows, kind))
        }
        Err(e) => Err(e),
    };
    send(Msg::AllLoaded {
        req,
        result,
        steady,
    });
}
