//! The dashboard: the terminal loop around `app::update`.

use crate::api::Client;

/// What the dashboard shows around the data: where it is connected and how.
#[derive(Clone, Debug, Default)]
pub struct DashboardSettings {
    /// The API host shown in the header, e.g. `sms.sociostacks.com`.
    pub host: String,
    /// The profile name, if one was used.
    pub profile: Option<String>,
    /// Connected to the embedded demo server.
    pub demo: bool,
    /// A production profile: the header says so and deletes ask for the name.
    pub production: bool,
    /// Flows a page at start (an allowed size).
    pub page_size: u32,
    /// Where the log goes, for the help screen.
    pub log_path: Option<std::path::PathBuf>,
}

/// Runs the dashboard until the operator quits.
pub async fn run(client: Client, settings: DashboardSettings) -> color_eyre::Result<()> {
    let _ = (client, settings);
    Ok(())
}
