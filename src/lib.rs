//! flowdash: a terminal dashboard for the flows of the Sociostacks SMS API.

pub mod api;
pub mod app;
pub mod budget;
pub mod cli;
pub mod commands;
pub mod config;
pub mod dashboard;
pub mod domain;
pub mod logging;
pub mod sim;
pub mod tasks;
pub mod ui;

/// Installs the process-wide TLS crypto provider (ring). Safe to call more than once.
pub fn install_tls_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
