//! `P` on the runner's side (DESIGN §17): another profile of the config loaded through the same
//! `config::load` as at start, its key read (an `api_key_command` gets the terminal), a client
//! made and tried with one request. Only then does the runner replace the account; any failure
//! leaves the profile in use as it was.

use std::path::PathBuf;
use std::pin::Pin;

use crate::api::error::redact;
use crate::api::{Client, ClientConfig, InProcess};
use crate::budget::Priority;
use crate::cli::Global;
use crate::config::{self, Settings};
use crate::domain::clean;

/// The host as the header shows it: with its port when the URL names one (`127.0.0.1:8787`),
/// since two servers on one host differ only there.
pub fn host_with_port(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// How the dashboard reaches the other profiles of its config.
#[derive(Clone)]
pub struct Switcher {
    /// The options the dashboard started with. A switch names another profile, and leaves out
    /// the key and base URL given as flags or in the environment: those belong to the account
    /// the dashboard started on, and must not be sent to another profile's host.
    pub global: Global,
    /// The file every flowdash process counts its requests in: a budget follows the key, so
    /// two profiles with one key share it.
    pub shared_budget: Option<PathBuf>,
    /// Drafts of open forms kept on disk, under each account.
    pub drafts: bool,
    /// Requests to these base URLs go to these servers in process (the tests' demo servers).
    pub in_process: Vec<(String, InProcess)>,
}

/// A profile loaded and connected.
pub(super) struct Switched {
    pub(super) name: String,
    pub(super) settings: Settings,
    pub(super) client: Client,
}

/// The switch under way; its output is the new account, or why not.
pub(super) type Switching =
    Pin<Box<dyn Future<Output = Result<Switched, (String, String)>> + Send>>;

impl Switcher {
    /// The profiles of the config file, in order.
    pub fn names(&self) -> Vec<String> {
        config::profile_names(&self.global)
    }

    /// The options of profile `name`.
    fn global_for(&self, name: &str) -> Global {
        Global {
            profile: Some(name.to_owned()),
            api_key: None,
            base_url: None,
            ..self.global.clone()
        }
    }

    /// Loads `name`'s settings now (a file read): the caller learns whether its key command
    /// needs the terminal before the rest runs.
    pub(super) fn load(&self, name: &str) -> Result<Settings, String> {
        config::load(&self.global_for(name)).map_err(|e| e.to_string())
    }

    /// The key, a client and one request to the server, as a task. `terminal`: the key command
    /// has the terminal.
    pub(super) fn connect(&self, name: String, settings: Settings, terminal: bool) -> Switching {
        let this = self.clone();
        Box::pin(async move {
            let fail = |why: String| (name.clone(), clean::one_line(&redact(&why)));
            let key = if terminal {
                settings.api_key_on_terminal().await
            } else {
                settings.api_key().await
            };
            let key = key
                .map_err(|e| fail(e.to_string()))?
                .ok_or_else(|| fail("it has no api_key or api_key_command".to_owned()))?;
            let in_process = this
                .in_process
                .iter()
                .find(|(url, _)| *url == settings.base_url)
                .map(|(_, server)| server.clone());
            let client = Client::new(ClientConfig {
                base_url: settings.base_url.clone(),
                api_key: key,
                timeout: settings.timeout,
                read_only: settings.read_only,
                trust_ids: settings.trust_ids,
                budget: settings.budget,
                shared_budget: this.shared_budget.clone(),
                budget_wait: None,
                in_process,
            })
            .map_err(|e| fail(e.to_string()))?;
            // One request before anything is replaced: a wrong key or a server out of reach
            // leaves the profile in use as it was.
            client
                .list_flows(1, 10, Priority::Operator)
                .await
                .map_err(|e| fail(format!("{} did not answer: {e}", settings.base_url)))?;
            Ok(Switched {
                name,
                settings,
                client,
            })
        })
    }
}
