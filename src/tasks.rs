//! Runs the commands `update` returns as tokio tasks and sends their results back as messages.

use tokio::sync::mpsc::UnboundedSender;

use crate::api::Client;
use crate::app::{Command, Msg, SaveResult};
use crate::budget::Priority;

/// Starts the task for an I/O command. Commands for the terminal or the timers are the
/// runner's and are ignored here.
pub fn spawn(cmd: Command, client: &Client, tx: &UnboundedSender<Msg>) {
    let client = client.clone();
    let tx = tx.clone();
    // A closed channel means the dashboard is quitting: results have nowhere to go.
    let send = move |m: Msg| {
        let _ = tx.send(m);
    };
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
        Command::Toggle { id, seen, target } => {
            tokio::spawn(async move {
                let result = client.set_enabled(id, Some(&seen), target).await;
                send(Msg::Toggled { id, target, result });
            });
        }
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
        | Command::DropDraft(_)
        | Command::JudgeAlerts { .. } => {}
    }
}

/// Every page, with progress as it goes; whether the list held still goes with the result.
async fn load_all(
    client: &Client,
    req: crate::app::ReqId,
    priority: Priority,
    send: impl Fn(Msg) + Clone,
) {
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
