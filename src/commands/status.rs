//! `platdeck status`: a one-shot snapshot of the dashboard model.

use color_eyre::eyre::Result;

use super::headless::{Live, print_clean};
use super::target::Target;
use crate::cli::OutputFormat;
use platdeck_console::config::Config;
use platdeck_console::report::status::{to_json, to_table};
use platdeck_core::platform::overview::overview;
use platdeck_core::platform::services::services;

pub async fn run(
    config: &Config,
    target: Target,
    namespace: Option<&str>,
    format: OutputFormat,
) -> Result<()> {
    let live = Live::start(config, &target, namespace).await;
    let live = match live {
        Ok(l) => l,
        Err(err) => {
            target.close().await;
            return Err(err);
        }
    };
    let snapshot = live.caches.snapshot();
    let now = jiff::Timestamp::now();
    let services = services(&snapshot);
    let overview = overview(&snapshot, &services, now);
    let context = live.connection.context.clone();
    match format {
        // JSON escapes control characters itself.
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&context, &snapshot, &services, &overview, now))?
        ),
        OutputFormat::Table => print_clean(&to_table(&context, &snapshot, &services, &overview, now)),
    }
    live.stop().await;
    target.close().await;
    Ok(())
}
