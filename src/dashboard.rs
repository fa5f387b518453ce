//! The dashboard: the terminal loop around `app::update`.
//!
//! One task owns the state, in a [`Runner`] generic over the ratatui backend: task results,
//! client events and timers (`Runner::next_msg`) meet the terminal's input and signals in one
//! `select!` (here, for the real terminal; a test pushes keys into a runner on a `TestBackend`).
//! Each becomes a `Msg` for the pure `update`, whose commands become tasks (I/O) or terminal and
//! timer changes (`Runner::apply`). The screen is drawn only after something changed.

mod profiles;
mod recording;
mod terminal;

use std::io::{Stdout, stdout};
use std::time::Duration;

use crossterm::event::EventStream;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};

use crate::api::{Client, ClientEvent};
use crate::app::{self, Command, Context, Msg, State};
use crate::domain::FlowId;
use crate::drafts::{Autosave, DraftStore};
use crate::store::{AuditTrail, Recorder, StoreEvent};
use profiles::{Switched, Switching};
pub use profiles::{Switcher, host_with_port};
use recording::{HISTORY_CLOSE, Recording, SavedRead, history_fault, saved_list};
pub use recording::{HistoryPlace, SNAPSHOT_WAIT};
#[cfg(debug_assertions)]
use terminal::test_panic;
pub use terminal::{Host, NoHost};
use terminal::{
    Restore, SignalAsk, Signals, Tty, enter_terminal, event_msg, install_panic_hook, resume,
    stop_and_resume,
};

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
    /// Where the readings and the snapshot go.
    pub history: HistoryPlace,
    /// Days of readings kept.
    pub retention_days: u32,
    /// The alert rules in force (DESIGN §14).
    pub alerts: Vec<crate::domain::alerts::Rule>,
    /// The keys of the flow list, and what was wrong in the config's `[keys]` (shown at start).
    pub keys: app::keymap::Keymap,
    pub key_problems: Vec<String>,
    /// The colours the screens are drawn in: `mono` when colour is off.
    pub theme: crate::ui::theme::Theme,
    /// The table's columns as the config chose them.
    pub columns: Option<Vec<crate::app::columns::Column>>,
    /// The options the dashboard started with, for `P` to load another profile (none for the
    /// demo).
    pub global: Option<crate::cli::Global>,
}

/// The timers the loop waits on besides input and results. `None` waits forever.
#[derive(Default)]
struct Timers {
    poll: Option<Instant>,
    detail: Option<(Instant, FlowId)>,
    toast: Option<(Instant, u64)>,
    /// The settle time of a dialog that opened by itself.
    settle: Option<(Instant, u64)>,
    tick: Option<Instant>,
    /// When the open form's draft is written.
    draft: Option<Instant>,
}

async fn at(when: Option<Instant>) {
    match when {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// A tick: the wall clock and the scheduler's state (its pace; `update` applies the idle one).
fn tick_msg(client: &Client) -> Msg {
    Msg::Tick {
        now: jiff::Timestamp::now(),
        budget: Some(client.scheduler().snapshot()),
        poll_every: Some(client.scheduler().poll_interval()),
    }
}

/// The account drafts are kept under: the base URL without anything secret a URL can carry.
fn account(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// A backend's error as an I/O error (the test backend's cannot happen).
fn screen_error(e: impl std::error::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Runs the dashboard until the operator quits or the process is told to end.
pub async fn run(client: Client, settings: DashboardSettings) -> color_eyre::Result<()> {
    let ctx = Context {
        host: settings.host,
        profile: settings.profile,
        demo: settings.demo,
        production: settings.production,
        read_only: client.is_read_only(),
        log_path: settings.log_path,
        tz: jiff::tz::TimeZone::system(),
        keys: settings.keys,
    };
    let mut state = State::new(ctx, settings.page_size);
    app::report_at_start(&mut state, &settings.key_problems);
    state.theme = settings.theme;
    state.columns = settings.columns;
    // Without colour, the terminal writer leaves out even its colour resets (SGR 39 and 49).
    crossterm::style::force_color_output(state.theme.has_colour());
    // The embedded demo's flows do not outlive the process, so neither do drafts of them.
    let store = crate::config::drafts_dir()
        .filter(|_| !settings.demo)
        .map(|dir| DraftStore::new(dir, &account(client.base_url())));
    if let Some(store) = &store {
        state.draft_offers = store.load();
    }
    let autosave = Autosave::new(store);
    let mut signals = Signals::new()?;

    install_panic_hook();
    let _restore = Restore;
    enter_terminal(false)?;
    let terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
    let mut runner = Runner::new(terminal, Tty, client, state, autosave)?;
    runner = runner.with_history_at(settings.history, settings.retention_days);
    if let Some(global) = settings.global.filter(|_| !settings.demo) {
        runner = runner.with_profiles(Switcher {
            global,
            shared_budget: crate::config::budget_file_path(),
            drafts: true,
            in_process: Vec::new(),
        });
    }
    // The alerts' state lives in the history; without one, in memory for the run.
    let alert_store = match runner.history() {
        Some(recorder) => recorder.clone(),
        None => Recorder::in_memory().0,
    };
    runner.start_alerts(alert_store, settings.alerts, true);
    runner.wait_for_snapshot(SNAPSHOT_WAIT).await;
    let result = run_loop(&mut runner, &mut signals).await;
    // Whatever ended the loop, the typed text goes to disk now rather than in up to a second.
    if let Some(e) = runner.autosave.write(app::draft::open_form(&runner.state)) {
        tracing::warn!(error = %e, "draft lost at exit");
    }
    // Then the history, which may take a moment to close (bounded, well within the second a
    // signal gives the process to end).
    runner.finish_history().await;
    let mut terminal = runner.into_terminal();
    // The terminal's own drop shows the cursor and prints an error when it cannot, and printing
    // panics once the terminal is gone (after a hang-up). Show it here, where a failure is
    // ignored; if it failed, the terminal is not dropped at all (the process is ending).
    if terminal.show_cursor().is_err() {
        std::mem::forget(terminal);
    }
    result
}

/// The terminal's loop: signals, then input, then what the runner waits for.
async fn run_loop(
    runner: &mut Runner<CrosstermBackend<Stdout>, Tty>,
    signals: &mut Signals,
) -> color_eyre::Result<()> {
    let mut events = Some(EventStream::new());
    while runner.round()? {
        // While a key command has the terminal, nothing here reads it: its passphrase is
        // typed to the command.
        if runner.terminal_lent() {
            events = None;
        } else if events.is_none() {
            events = Some(EventStream::new());
        }
        // Biased: signals first (the process must end promptly, the terminal be given back at
        // once), then the operator's input (keys feel instant even while results pour in), then
        // results and timers (ordered in `next_msg`).
        tokio::select! {
            biased;
            ask = signals.next() => match ask {
                // Ctrl-C at a key command's prompt is for the command (it gets it too, and the
                // switch fails): the dashboard stays.
                SignalAsk::End("SIGINT") if runner.terminal_lent() => {}
                SignalAsk::End(name) => {
                    tracing::info!(signal = name, "ending on a signal");
                    break;
                }
                SignalAsk::Stop => {
                    runner.write_draft();
                    let mouse = runner.state.mouse;
                    if let Err(e) = stop_and_resume(&mut runner.terminal, mouse) {
                        tracing::warn!(error = %e, "the terminal cannot be taken again; ending");
                        break;
                    }
                }
                SignalAsk::Resume => {
                    let mouse = runner.state.mouse;
                    if let Err(e) = resume(&mut runner.terminal, mouse) {
                        tracing::warn!(error = %e, "the terminal cannot be taken again; ending");
                        break;
                    }
                }
            },
            ev = next_event(events.as_mut()) => match ev {
                Some(Ok(ev)) => {
                    if let Some(msg) = event_msg(ev) {
                        #[cfg(debug_assertions)]
                        test_panic(&msg);
                        runner.push(msg);
                    }
                }
                // The terminal is gone (closed window, hang-up): end as SIGHUP would.
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "the terminal cannot be read; ending");
                    break;
                }
                None => break,
            },
            msg = runner.next_msg() => {
                if let Some(msg) = msg {
                    runner.push(msg);
                }
            }
        }
        runner.drain();
    }
    Ok(())
}

/// The terminal's next event; none while the terminal is lent.
async fn next_event(
    events: Option<&mut EventStream>,
) -> Option<std::io::Result<crossterm::event::Event>> {
    match events {
        Some(events) => events.next().await,
        None => std::future::pending().await,
    }
}

/// The profile switch's outcome, once it has one; waits forever without a switch.
async fn switch_done(switching: &mut Option<Switching>) -> Result<Switched, (String, String)> {
    match switching {
        Some(task) => {
            let done = task.await;
            *switching = None;
            done
        }
        None => std::future::pending().await,
    }
}

/// The dashboard's loop around `app::update` on any ratatui backend: the state, its timers and
/// the tasks' results. The terminal's own input and signals stay with its owner, who pushes
/// messages in ([`Runner::push`]) and calls [`Runner::round`] after each.
pub struct Runner<B: Backend, H: Host<B>> {
    pub terminal: Terminal<B>,
    pub state: State,
    host: H,
    client: Client,
    timers: Timers,
    autosave: Autosave,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    erx: mpsc::UnboundedReceiver<ClientEvent>,
    last_key: Instant,
    pending: Vec<Msg>,
    commands: Vec<Command>,
    recording: Option<Recording>,
    /// The history's snapshot being read, until it is (see [`Runner::wait_for_snapshot`]).
    saved: Option<SavedRead>,
    /// The alert rules' task, once started.
    alerts: Option<crate::watch::alerting::Desk>,
    /// Where the alerts keep their state and whether they reach the terminal, to start them
    /// again for another account.
    alert_setup: Option<(Recorder, bool)>,
    /// `P`: the config's other profiles, and the switch under way.
    switcher: Option<Switcher>,
    switching: Option<Switching>,
    /// A key command has the terminal: nothing is drawn until the switch is done.
    lent: bool,
}

impl<B: Backend, H: Host<B>> Runner<B, H> {
    /// A runner whose first round loads the first page, the devices and the segments.
    pub fn new(
        terminal: Terminal<B>,
        host: H,
        client: Client,
        mut state: State,
        autosave: Autosave,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel::<Msg>();
        let (etx, erx) = mpsc::unbounded_channel();
        client.set_events(etx);
        let size = terminal.size().map_err(screen_error)?;
        let pending = vec![Msg::Resize(size.width, size.height), tick_msg(&client)];
        let commands = app::start(&mut state);
        Ok(Runner {
            terminal,
            state,
            host,
            client,
            timers: Timers::default(),
            autosave,
            tx,
            rx,
            erx,
            last_key: Instant::now(),
            pending,
            commands,
            recording: None,
            saved: None,
            alerts: None,
            alert_setup: None,
            switcher: None,
            switching: None,
            lent: false,
        })
    }

    /// Keeps the history where `place` says (nothing for [`HistoryPlace::Off`]), with faults
    /// told on screen.
    #[must_use]
    pub fn with_history_at(self, place: HistoryPlace, retention_days: u32) -> Self {
        let place_is_memory = place == HistoryPlace::Memory;
        let (recorder, events) = match place {
            HistoryPlace::Off => return self,
            HistoryPlace::Memory => Recorder::in_memory(),
            HistoryPlace::File(path) => Recorder::start(path, retention_days),
        };
        let mut runner = self.with_history(recorder).with_history_events(events);
        if place_is_memory {
            // A history in memory starts empty: there is no snapshot to wait for.
            runner.saved = None;
        }
        runner
    }

    /// Records every list that answers in `recorder` and keeps the list on screen as the
    /// snapshot; before anything has answered, starts reading the last snapshot of this base
    /// URL's account, which is shown until the server answers.
    #[must_use]
    pub fn with_history(mut self, recorder: Recorder) -> Self {
        // Every write the dashboard makes, single or bulk, is audited by the client itself.
        let trail = AuditTrail::new(
            recorder.clone(),
            self.client.base_url().clone(),
            self.state.ctx.profile.clone(),
        );
        self.client.set_audit(std::sync::Arc::new(trail));
        let recording = Recording::new(recorder, self.client.base_url().clone());
        if self.state.loaded_at.is_none() {
            self.saved = Some(Box::pin(recording.read_saved()));
        }
        self.state.stored.on = true;
        self.recording = Some(recording);
        self
    }

    /// Tells the operator what the history reports (a locked, damaged, full or read-only
    /// file), each reason once. Without [`Runner::with_history`] first, there is nothing to tell.
    #[must_use]
    pub fn with_history_events(mut self, events: mpsc::UnboundedReceiver<StoreEvent>) -> Self {
        if let Some(r) = &mut self.recording {
            r.set_events(events);
        }
        self
    }

    /// The history's recorder, for reading what it keeps.
    pub fn history(&self) -> Option<&Recorder> {
        self.recording.as_ref().map(|r| &r.recorder)
    }

    /// Waits up to `within` for the history's snapshot, so that the first frame shows it.
    pub async fn wait_for_snapshot(&mut self, within: Duration) {
        if self.saved.is_none() {
            return;
        }
        if let Ok(Some(saved)) = tokio::time::timeout(within, saved_list(&mut self.saved)).await {
            self.pending.push(Msg::SnapshotRead(Box::new(saved)));
        }
    }

    /// The end of the run: the list on screen saved as the snapshot, and a short wait for the
    /// writer to store what it was handed and close the file.
    pub async fn finish_history(&mut self) {
        if let Some(r) = &mut self.recording {
            r.save_now(&self.state);
            let _ = tokio::time::timeout(HISTORY_CLOSE, r.recorder.close()).await;
        }
    }

    /// Runs the alert rules on the readings the dashboard takes, their state kept by
    /// `recorder` (DESIGN §14). With `terminal`, the bell and desktop notifications the rules
    /// ask for go to the terminal; their commands run either way.
    pub fn start_alerts(
        &mut self,
        recorder: crate::store::Recorder,
        rules: Vec<crate::domain::alerts::Rule>,
        terminal: bool,
    ) {
        let tx = self.tx.clone();
        let notify = rules.clone();
        let tell = move |told: crate::watch::alerting::Told| {
            let mut bytes = String::new();
            for plan in crate::watch::notify::plan(&told.events, &notify, terminal) {
                bytes.push_str(&plan.terminal);
                crate::watch::notify::run(&plan, None, |w| tracing::warn!("{w}"));
            }
            let _ = tx.send(Msg::Alerts {
                firing: told.firing,
                recent: told.recent,
                terminal: bytes,
            });
        };
        let base = self.client.base_url().clone();
        self.alert_setup = Some((recorder.clone(), terminal));
        self.alerts = Some(crate::watch::alerting::Desk::start(
            recorder, rules, base, tell,
        ));
    }

    /// A message for the next round. A key restarts the idle clock.
    pub fn push(&mut self, msg: Msg) {
        if matches!(msg, Msg::Key(_)) {
            self.last_key = Instant::now();
        }
        self.pending.push(msg);
    }

    /// Every pending message through `update`, every command applied, then one frame. Returns
    /// `false` when the dashboard is done: the operator quit, or the screen cannot be drawn.
    pub fn round(&mut self) -> std::io::Result<bool> {
        let loaded_before = self.state.loaded_at;
        loop {
            for msg in std::mem::take(&mut self.pending) {
                if let Some(r) = &mut self.recording {
                    r.observe(&msg, &self.client);
                }
                self.commands.extend(app::update(&mut self.state, msg));
            }
            for cmd in std::mem::take(&mut self.commands) {
                self.apply(cmd)?;
            }
            if self.state.quit {
                return Ok(false);
            }
            app::draft::offer_next(&mut self.state);
            self.timers.draft = self
                .autosave
                .observe(app::draft::open_form(&self.state), Instant::now());
            if self.lent {
                break;
            }
            let state = &self.state;
            let drawn = match self.terminal.draw(|f| crate::ui::draw(f, state)) {
                Ok(frame) => frame.area,
                Err(e) => {
                    // The terminal is gone (a hang-up): nothing can be shown any more.
                    tracing::warn!(error = %e, "the screen cannot be drawn; ending");
                    return Ok(false);
                }
            };
            if self.state.awaits_draw() {
                // A dialog that opened by itself is on screen from this frame: its settle time
                // starts now, not at the next event. Only the first frame that shows it asks for
                // anything, so this goes round at most once more.
                let more = app::update(
                    &mut self.state,
                    Msg::Drawn {
                        width: drawn.width,
                        height: drawn.height,
                    },
                );
                if !more.is_empty() {
                    self.commands.extend(more);
                    continue;
                }
            }
            break;
        }
        if let Some(r) = &mut self.recording {
            r.after_round(&self.state, loaded_before);
        }
        // The spinner turns while something runs; otherwise once a second is enough for the
        // data's age and the countdowns.
        let tick_every = if self.state.is_busy() {
            Duration::from_millis(150)
        } else {
            Duration::from_secs(1)
        };
        let next_tick = Instant::now() + tick_every;
        self.timers.tick = Some(self.timers.tick.map_or(next_tick, |t| t.min(next_tick)));
        Ok(true)
    }

    /// Waits for a task's result, a client event or a timer. `None`: the runner did work of its
    /// own (the open form's draft written) and only a frame may be due.
    pub async fn next_msg(&mut self) -> Option<Msg> {
        let idle_at = (!self.state.idle).then(|| self.last_key + app::IDLE_AFTER);
        // Biased: results before timers, in the order the timers are listed.
        tokio::select! {
            biased;
            Some(msg) = self.rx.recv() => Some(msg),
            Some(ev) = self.erx.recv() => Some(Msg::Client(ev)),
            done = switch_done(&mut self.switching) => {
                self.finish_switch(done);
                None
            }
            saved = saved_list(&mut self.saved) => {
                saved.map(|s| Msg::SnapshotRead(Box::new(s)))
            }
            msg = history_fault(self.recording.as_mut()) => Some(msg),
            () = at(self.timers.draft) => {
                self.write_draft();
                None
            }
            () = at(self.timers.poll) => {
                self.timers.poll = None;
                Some(Msg::PollDue)
            }
            () = at(self.timers.detail.map(|d| d.0)) => {
                self.timers.detail.take().map(|(_, id)| Msg::DetailDue(id))
            }
            () = at(self.timers.toast.map(|t| t.0)) => {
                self.timers.toast.take().map(|(_, seq)| Msg::ToastExpired(seq))
            }
            () = at(self.timers.settle.map(|t| t.0)) => {
                self.timers.settle.take().map(|(_, n)| Msg::Settled(n))
            }
            () = at(idle_at) => Some(Msg::Idle(true)),
            () = at(self.timers.tick) => {
                self.timers.tick = None;
                Some(tick_msg(&self.client))
            }
        }
    }

    /// Takes every result already waiting, so that they go into the same frame.
    pub fn drain(&mut self) {
        while let Ok(msg) = self.rx.try_recv() {
            self.pending.push(msg);
        }
    }

    /// Writes the open form's draft now; a failure is shown, as the operator believes it kept.
    pub fn write_draft(&mut self) {
        if let Some(e) = self.autosave.write(app::draft::open_form(&self.state)) {
            app::draft::store_failed(&mut self.state, e);
        }
    }

    /// Runs one command of `update`: timers and the terminal here, I/O as a task.
    pub fn apply(&mut self, cmd: Command) -> std::io::Result<()> {
        match cmd {
            // With no polling share there is nothing to schedule: `r` still refreshes.
            Command::SchedulePoll if self.client.scheduler().poll_share() == 0 => {}
            Command::SchedulePoll => {
                let now = Instant::now();
                let scheduler = self.client.scheduler();
                let free_in = scheduler
                    .next_poll_at()
                    .map(|at| at.saturating_duration_since(now));
                let wait = app::poll_wait(&self.state, scheduler.poll_interval(), free_in);
                self.timers.poll = Some(now + wait);
            }
            Command::ArmDetail(id) => {
                self.timers.detail = Some((Instant::now() + app::DETAIL_REST, id));
            }
            Command::ArmToast(seq) => {
                self.timers.toast = Some((Instant::now() + app::TOAST_FOR, seq));
            }
            Command::Settle(n) => {
                self.timers.settle = Some((Instant::now() + app::SETTLE, n));
            }
            Command::SetMouse(on) => self.host.set_mouse(on)?,
            Command::Emit(bytes) => self.host.emit(bytes.as_bytes())?,
            Command::Suspend => {
                self.write_draft();
                let mouse = self.state.mouse;
                self.host.suspend(&mut self.terminal, mouse)?;
            }
            Command::DropDraft(flow) => self.autosave.drop_draft(flow),
            Command::SwitchProfile(name) => self.start_switch(name),
            Command::LoadHistory { req, ask } => crate::tasks::load_history(
                req,
                *ask,
                self.history(),
                self.client.base_url(),
                &self.tx,
            ),
            Command::JudgeAlerts {
                at,
                flows,
                by_id,
                whole,
            } => {
                if let Some(desk) = &self.alerts {
                    desk.judge(at, flows, by_id, whole);
                }
            }
            io => crate::tasks::spawn(io, &self.client, &self.tx),
        }
        Ok(())
    }

    /// `P` can switch to the other profiles of the config `switcher` reads.
    #[must_use]
    pub fn with_profiles(mut self, switcher: Switcher) -> Self {
        self.state.profiles = switcher.names();
        self.switcher = Some(switcher);
        self
    }

    /// Whether a key command has the terminal (the loop must not read it).
    pub fn terminal_lent(&self) -> bool {
        self.lent
    }

    /// Loads profile `name` and starts connecting to it; a key command gets the terminal.
    fn start_switch(&mut self, name: String) {
        let refuse = |why: &str| Msg::ProfileRefused {
            name: name.clone(),
            why: why.to_owned(),
        };
        let Some(switcher) = self.switcher.clone() else {
            let _ = self.tx.send(refuse("the dashboard has no config profiles"));
            return;
        };
        if self.switching.is_some() || self.state.queue.is_some() {
            let _ = self.tx.send(refuse("wait for what is under way"));
            return;
        }
        match switcher.load(&name) {
            Err(why) => {
                let _ = self.tx.send(refuse(&why));
            }
            Ok(settings) => {
                let terminal = settings.key_runs_a_command();
                if terminal {
                    self.write_draft();
                    self.host.lend();
                    self.lent = true;
                }
                self.switching = Some(switcher.connect(name, settings, terminal));
            }
        }
    }

    /// The switch is over: the terminal taken back, then the new account, or why not.
    fn finish_switch(&mut self, done: Result<Switched, (String, String)>) {
        if std::mem::take(&mut self.lent)
            && let Err(e) = self.host.take_back(&mut self.terminal, self.state.mouse)
        {
            tracing::warn!(error = %e, "the terminal cannot be taken again; ending");
            self.state.quit = true;
        }
        match done {
            Err((name, why)) => {
                let _ = self.tx.send(Msg::ProfileRefused { name, why });
            }
            Ok(switched) => self.switch_to(switched),
        }
    }

    /// Replaces the account: the client (its budget follows its key), the list, the drafts,
    /// the history and the alerts follow the new one. Results still under way for the old
    /// account go to a channel no one reads.
    fn switch_to(&mut self, to: Switched) {
        let Switched {
            name,
            settings,
            client,
        } = to;
        let base = client.base_url().clone();
        tracing::info!(
            profile = %crate::domain::clean::one_line(&name),
            host = base.host_str().unwrap_or_default(),
            "switched profile"
        );
        if let Some(r) = &mut self.recording {
            r.save_now(&self.state);
        }
        let (tx, rx) = mpsc::unbounded_channel::<Msg>();
        let (etx, erx) = mpsc::unbounded_channel();
        client.set_events(etx);
        (self.tx, self.rx, self.erx) = (tx, rx, erx);
        let Some(switcher) = self.switcher.clone() else {
            return;
        };
        let ctx = Context {
            host: host_with_port(&base),
            profile: settings.profile.clone(),
            demo: false,
            production: settings.production,
            read_only: client.is_read_only(),
            log_path: self.state.ctx.log_path.clone(),
            tz: self.state.ctx.tz.clone(),
            keys: self.state.ctx.keys.clone(),
        };
        let mut fresh = State::new(ctx, settings.page_size);
        fresh.theme = crate::ui::theme::in_force(&settings.theme, switcher.global.color);
        fresh.columns.clone_from(&settings.columns);
        if switcher.drafts {
            let store =
                crate::config::drafts_dir().map(|dir| DraftStore::new(dir, &account(&base)));
            if let Some(store) = &store {
                fresh.draft_offers = store.load();
            }
            self.autosave = Autosave::new(store);
        }
        let told = app::profiles::switched(&mut fresh, &self.state);
        self.commands.extend(app::start(&mut fresh));
        self.commands.extend(told);
        self.state = fresh;
        self.timers = Timers::default();
        self.client = client;
        self.pending.clear();
        if let Some(r) = self.recording.take() {
            let trail = AuditTrail::new(r.recorder.clone(), base.clone(), settings.profile);
            self.client.set_audit(std::sync::Arc::new(trail));
            let r = r.moved_to(base);
            self.saved = Some(Box::pin(r.read_saved()));
            self.state.stored.on = true;
            self.recording = Some(r);
        }
        if let Some((recorder, terminal)) = self.alert_setup.clone() {
            self.start_alerts(recorder, settings.alerts, terminal);
        }
        if let Ok(size) = self.terminal.size() {
            self.pending.push(Msg::Resize(size.width, size.height));
        }
        self.pending.push(tick_msg(&self.client));
    }

    /// The terminal, once the loop is over.
    pub fn into_terminal(self) -> Terminal<B> {
        self.terminal
    }
}
