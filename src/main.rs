//! The flowdash binary: the command line is parsed here and handed to the library.

use flowdash::api::{ApiKey, Client, ClientConfig};
use flowdash::dashboard::{self, DashboardSettings};
use flowdash::sim::{Sim, SimConfig};

#[tokio::main]
async fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let sim = Sim::start(SimConfig::default(), "127.0.0.1:0".parse()?).await?;
    let client = Client::new(ClientConfig::new(sim.base_url(), ApiKey::new("demo")))?;
    dashboard::run(
        client,
        DashboardSettings {
            host: "demo".to_owned(),
            demo: true,
            page_size: 25,
            ..DashboardSettings::default()
        },
    )
    .await?;
    sim.shutdown();
    Ok(())
}
