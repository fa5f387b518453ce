//! flowdash: a terminal dashboard for the flows of the Sociostacks SMS API.
//!
//! The modules, by responsibility:
//!
//! - [`domain`]: flows, drafts and patches, text cleaning, validation, SMS length, the phone
//!   error codes in words (`domain::phone_error`). No I/O.
//! - [`api`]: the HTTP client. Every request goes through one function, where the [`budget`]
//!   scheduler sits (lanes and reserve in process, and the count every flowdash process on one
//!   key shares through a small SQLite file); the safety rules that keep writes on the chosen
//!   flow live in `api::safety`, a new flow's start switched off (also where the server refuses
//!   to store one so) in `api::start_off`, the checks of what the server stored in `api::verify`, and how
//!   each write ended (one result type a write operation) in `api::outcome`; the messages of a
//!   flow (the newest pages of `/api/sms`, in either list order) in `api::messages`. That one
//!   function also records every call in `api::ledger`, the ring of the last 500 calls that the
//!   `L` view and `--verbose` show (never the key), with the `curl` text of a call.
//! - [`app`]: the dashboard's state and the pure `update`, which hands each message to its own
//!   function. Below it, with no file calling back up: `app::keys` (what keys and the mouse do),
//!   the state's own operations (`impl State` in `app/state.rs`), `app::geometry` (where the
//!   table and the panes sit, where the moving keys take a scroll or a list's cursor), `app::columns` (the table's columns: which, how wide, what a
//!   click on a title sorts), the form, the draft offer, the error funnel, `app::history`
//!   (the `H` view and the detail pane's chart: what they ask of the store, cut into slots),
//!   `app::messages` (`m` of one flow and `F` of every flow's failures, one view with a scope),
//!   `app::ledger` (the `L` view), `app::copy` (`y`/`Y` to the clipboard), `app::jump` (`/#42`)
//!   and, lowest, `ReqId` (`app/req.rs`), which every one of them may hold. `app::marks` keeps the
//!   marked flows by id; `app::bulk` runs the bulk switch, delete and undo (DESIGN §15) as a
//!   queue through the single switch and delete; below it, `bulk::plan` counts the cost shown
//!   before anything is sent and `bulk::dialog` holds the marks' keys and the question. The list's keys are
//!   one table, `app::keymap::BINDINGS` (action, keys, help line, footer word), which the key
//!   handling, the help and the footer all read; the config's `[keys]` makes a `Keymap` of it.
//! - [`ui`] draws the state, in the colours of a `ui::theme` (each role its style; `mono`
//!   when colour is off); [`tasks`] runs the commands `update` returns (requests through the
//!   client, history queries on the store's writer thread); [`dashboard`] is the loop around
//!   them; [`drafts`] keeps the text of an open form on disk as it is typed. `P` (DESIGN §17):
//!   `app::profiles` opens the list and asks for a switch; `dashboard::profiles` (a `Switcher`)
//!   loads the profile through `config::load`, reads its key and tries its server, and only
//!   then does the runner replace the client, the state, the drafts, the history's account and
//!   the alerts' desk.
//! - [`cli`], [`config`], [`commands`], [`logging`]: the command line and its configuration;
//!   `commands::bulk` chooses the flows of `--match` / `--all` and prints the plan and its cost,
//!   `commands::audit` lists the audit and keeps a command's writes in it,
//!   `commands::export` writes every flow as CSV or JSON. Every setting of the config file is a
//!   row of `config::settings`, from which `flowdash config init` writes the file; a test holds
//!   the table to the parser's fields.
//! - [`store`]: the history in SQLite (readings, snapshot, alert events, audit) and its writer;
//!   the snapshot is kept in the API's own list format (`store::snapshot`) and read back through
//!   `api::wire`. The dashboard's side of it, `dashboard::recording`, hands every list that
//!   answers to the writer and the last snapshot to the first frame (offline start). The
//!   audit: the client hands every write it logs (`api::journal`) to an `api::AuditSink`, which
//!   the dashboard and the CLI set to a `store::AuditTrail`.
//! - [`sim`]: the demo server, an axum server on loopback with the documented and shipped quirks;
//!   its SMS table (`sim::messages`) gets a row for every count its traffic moves.
//! - [`watch`]: `flowdash watch`, headless: the poll loop, notifications and the Prometheus
//!   metrics. The alert rules themselves are pure functions in `domain::alerts`; the glue
//!   that feeds them the flows read (`watch::alerting`) is shared with the dashboard, whose
//!   runner hands each list it loads to a `watch::alerting::Desk` task and shows the answer
//!   (`app::alerts`). The history decides what fires (`store::Store::settle_alerts`), so that
//!   no two processes fire an alert twice.
//!
//! Files depend only downward: no file `use`s a file that uses it back (tests/layers.rs states
//! the rule and checks it).
//!
//! The dashboard's loop: one task owns the state, in a `dashboard::Runner` generic over the
//! ratatui backend. The terminal's owner pushes input and signals in; the runner waits for task
//! results and timers (`next_msg`), runs each command (`apply`) and draws one frame a round. On a
//! `TestBackend`, the tests drive the same runner in process (tests/inprocess.rs), against the
//! demo server's router served in memory behind the client (`api::InProcess`,
//! `Sim::in_process`), on tokio's paused clock.
//!
//! ```text
//!  terminal events ─┐  (owner)
//!  signals ─────────┤
//!  task results ────┼─► select! ─► Msg ─► update(&mut State, Msg) ─► Vec<Command>
//!  timers ──────────┘      ▲  (next_msg)          │                      │ apply
//!                          │                      ▼                      ▼
//!                          │               ui::draw(&State)     tasks::spawn (I/O, with a
//!                          └────────────────────────────────────  request id; stale results
//!                                                                 are dropped by update)
//! ```
//!
//! The idle rule (a key ends the idle pace) and the live pace (`app::poll_wait`) are decided in
//! `app`, where the tests reach them; the runner only measures the time.

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
pub mod watch;

/// Installs the process-wide TLS crypto provider (ring). Safe to call more than once.
pub fn install_tls_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
