//! flowdash: a terminal dashboard for the flows of the Sociostacks SMS API.
//!
//! The modules, by responsibility:
//!
//! - [`domain`]: flows, drafts and patches, text cleaning, validation, SMS length. No I/O.
//! - [`api`]: the HTTP client. Every request goes through one function, where the [`budget`]
//!   scheduler sits; the safety rules that keep writes on the chosen flow live in `api::safety`.
//! - [`app`]: the dashboard's state and the pure `update`; [`ui`] draws it; [`tasks`] runs the
//!   commands `update` returns; [`dashboard`] is the loop around them; [`drafts`] keeps the
//!   text of an open form on disk as it is typed.
//! - [`cli`], [`config`], [`commands`], [`logging`]: the command line and its configuration.
//! - [`store`]: the history in SQLite (readings, snapshot, alert events, audit) and its writer.
//! - [`sim`]: the demo server, an axum server on loopback with the documented and shipped quirks.
//!
//! The dashboard's loop: one task owns the state.
//!
//! ```text
//!  terminal events ─┐
//!  task results ────┼─► select! ─► Msg ─► update(&mut State, Msg) ─► Vec<Command>
//!  timers, signals ─┘      ▲                      │                      │
//!                          │                      ▼                      ▼
//!                          │               ui::draw(&State)     tasks::spawn (I/O, with a
//!                          └────────────────────────────────────  request id; stale results
//!                                                                 are dropped by update)
//! ```

pub mod api;
pub mod app;
pub mod budget;
pub mod cli;
pub mod commands;
pub mod config;
pub mod dashboard;
pub mod domain;
pub mod drafts;
pub mod logging;
pub mod sim;
pub mod store;
pub mod tasks;
pub mod ui;

/// Installs the process-wide TLS crypto provider (ring). Safe to call more than once.
pub fn install_tls_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
