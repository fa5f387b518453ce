//! The dashboard: the terminal loop around `app::update`.
//!
//! One task owns the state, in a [`Runner`] generic over the ratatui backend: task results,
//! client events and timers (`Runner::next_msg`) meet the terminal's input and signals in one
//! `select!` (here, for the real terminal; a test pushes keys into a runner on a `TestBackend`).
//! Each becomes a `Msg` for the pure `update`, whose commands become tasks (I/O) or terminal and
//! timer changes (`Runner::apply`). The screen is drawn only after something changed.

mod recording;

use std::future::Future;
use std::io::{Stdout, Write, stdout};
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use crossterm::cursor::Show;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{execute, queue};
use futures::StreamExt;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};

use crate::api::{Client, ClientEvent};
use crate::app::{self, Command, Context, Msg, State};
use crate::domain::FlowId;
use crate::drafts::{Autosave, DraftStore};
use crate::store::{Recorder, SavedList, StoreEvent};
use recording::Recording;

/// How long the first frame may wait for the history's snapshot: it is read and decoded on the
/// writer thread in a few milliseconds, but a file another process holds must not keep the
/// screen blank. A snapshot that comes later is still shown if no answer came before it.
pub const SNAPSHOT_WAIT: Duration = Duration::from_millis(100);
/// How long the end of the run waits for the history's last batches.
const HISTORY_FLUSH: Duration = Duration::from_millis(500);

/// Where the dashboard keeps its history (DESIGN §13).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum HistoryPlace {
    /// `--no-history`, or no data directory to put it in.
    #[default]
    Off,
    /// In memory, gone at exit: the embedded demo, whose flows are not the operator's.
    Memory,
    File(PathBuf),
}

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
}

/// Leaves the screen the way the shell had it: mouse and paste reports off, the main screen,
/// the cursor shown, cooked mode. Every step is tried on its own and its failure ignored: after a
/// hang-up every write fails, and a failed step must neither keep the others from running nor
/// panic (printing the error, as `ratatui::restore` does, panics when stderr is gone).
fn leave_terminal() {
    let mut out = stdout();
    let _ = queue!(out, DisableMouseCapture);
    let _ = queue!(out, DisableBracketedPaste);
    let _ = queue!(out, LeaveAlternateScreen);
    let _ = queue!(out, Show);
    let _ = out.flush();
    let _ = disable_raw_mode();
}

/// Takes the terminal over (again): raw mode, the alternate screen, paste reports, and the mouse
/// if the operator had it on.
fn enter_terminal(mouse: bool) -> std::io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    if mouse {
        execute!(stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

/// Restores the terminal before any panic report (the report must be readable on the shell's
/// screen), then runs the hook installed before (color-eyre's).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            leave_terminal();
            previous(info);
        }));
    });
}

/// Restores the terminal however the loop ends (an error return included; panics are covered by
/// [`install_panic_hook`]).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        leave_terminal();
    }
}

/// The signals the dashboard answers. Without a handler, SIGINT, SIGQUIT and SIGHUP would end
/// the process and SIGTSTP stop it with the terminal still raw, on the alternate screen and with
/// the cursor hidden.
struct Signals {
    term: Signal,
    hup: Signal,
    int: Signal,
    quit: Signal,
    tstp: Signal,
    cont: Signal,
}

/// What a signal asks of the dashboard.
enum SignalAsk {
    /// End now (restoring the terminal on the way out).
    End(&'static str),
    /// Give the terminal back and stop, as SIGTSTP does by default.
    Stop,
    /// Resumed after a stop: take the terminal again and redraw.
    Resume,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            tstp: signal(SignalKind::from_raw(signal_hook::consts::SIGTSTP))?,
            cont: signal(SignalKind::from_raw(signal_hook::consts::SIGCONT))?,
        })
    }

    async fn next(&mut self) -> SignalAsk {
        // Biased: a hang-up comes with a SIGCONT, and the end must win over taking the (gone)
        // terminal again.
        tokio::select! {
            biased;
            _ = self.term.recv() => SignalAsk::End("SIGTERM"),
            _ = self.hup.recv() => SignalAsk::End("SIGHUP"),
            _ = self.int.recv() => SignalAsk::End("SIGINT"),
            _ = self.quit.recv() => SignalAsk::End("SIGQUIT"),
            _ = self.tstp.recv() => SignalAsk::Stop,
            _ = self.cont.recv() => SignalAsk::Resume,
        }
    }
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

/// What only the owner of a real terminal does; a `TestBackend` has none of it.
pub trait Host<B: Backend> {
    /// Mouse reports on or off.
    fn set_mouse(&mut self, on: bool) -> std::io::Result<()>;
    /// Gives the terminal back and stops the process; returns once it is resumed, with the
    /// terminal taken again.
    fn suspend(&mut self, terminal: &mut Terminal<B>, mouse: bool) -> std::io::Result<()>;
    /// Drops the input already typed when a dialog that opened by itself is first drawn.
    fn drop_typeahead(&mut self, pending: &mut Vec<Msg>);
}

/// No terminal of its own: the runner on a `TestBackend`, whose input is what the test pushes.
pub struct NoHost;

impl<B: Backend> Host<B> for NoHost {
    fn set_mouse(&mut self, _on: bool) -> std::io::Result<()> {
        Ok(())
    }

    fn suspend(&mut self, _terminal: &mut Terminal<B>, _mouse: bool) -> std::io::Result<()> {
        Ok(())
    }

    fn drop_typeahead(&mut self, _pending: &mut Vec<Msg>) {}
}

/// The process's own terminal.
struct Tty;

impl Host<CrosstermBackend<Stdout>> for Tty {
    fn set_mouse(&mut self, on: bool) -> std::io::Result<()> {
        if on {
            execute!(stdout(), EnableMouseCapture)
        } else {
            execute!(stdout(), DisableMouseCapture)
        }
    }

    fn suspend(&mut self, terminal: &mut Term, mouse: bool) -> std::io::Result<()> {
        stop_and_resume(terminal, mouse)
    }

    fn drop_typeahead(&mut self, pending: &mut Vec<Msg>) {
        drop_typeahead(pending);
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

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
    };
    let mut state = State::new(ctx, settings.page_size);
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
    let (recorder, events) = match settings.history {
        HistoryPlace::Off => (None, None),
        HistoryPlace::Memory => {
            let (r, e) = Recorder::in_memory();
            (Some(r), Some(e))
        }
        HistoryPlace::File(path) => {
            let (r, e) = Recorder::start(path, settings.retention_days);
            (Some(r), Some(e))
        }
    };
    if let (Some(recorder), Some(events)) = (recorder, events) {
        runner = runner.with_history(recorder).with_history_events(events);
    }
    runner.wait_for_snapshot(SNAPSHOT_WAIT).await;
    let result = run_loop(&mut runner, &mut signals).await;
    runner.finish_history().await;
    // Whatever ended the loop, the typed text goes to disk now rather than in up to a second.
    if let Some(e) = runner.autosave.write(app::draft::open_form(&runner.state)) {
        tracing::warn!(error = %e, "draft lost at exit");
    }
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
    let mut events = EventStream::new();
    while runner.round()? {
        // Biased: signals first (the process must end promptly, the terminal be given back at
        // once), then the operator's input (keys feel instant even while results pour in), then
        // results and timers (ordered in `next_msg`).
        tokio::select! {
            biased;
            ask = signals.next() => match ask {
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
            ev = events.next() => match ev {
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
}

/// The read of the history's snapshot at start.
type SavedRead = Pin<Box<dyn Future<Output = Option<SavedList>> + Send>>;

/// The snapshot once read; waits forever when there is none to wait for.
async fn saved_list(slot: &mut Option<SavedRead>) -> Option<SavedList> {
    match slot {
        Some(read) => {
            let saved = read.await;
            *slot = None;
            saved
        }
        None => std::future::pending().await,
    }
}

/// The history's next fault to tell; waits forever without a history.
async fn history_fault(recording: Option<&mut Recording>) -> Msg {
    match recording {
        Some(r) => r.next_fault().await,
        None => std::future::pending().await,
    }
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
        })
    }

    /// Records every list that answers in `recorder` and keeps the list on screen as the
    /// snapshot; before anything has answered, starts reading the last snapshot of this base
    /// URL's account, which is shown until the server answers.
    #[must_use]
    pub fn with_history(mut self, recorder: Recorder) -> Self {
        let recording = Recording::new(recorder, self.client.base_url().clone());
        if self.state.loaded_at.is_none() {
            self.saved = Some(Box::pin(recording.read_saved()));
        }
        self.state.recording = true;
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
    /// writer to store what it was handed.
    pub async fn finish_history(&mut self) {
        if let Some(r) = &mut self.recording {
            r.save_now(&self.state);
            let _ = tokio::time::timeout(HISTORY_FLUSH, r.recorder.flush()).await;
        }
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
            let state = &self.state;
            let drawn = match self.terminal.draw(|f| crate::ui::draw(f, state)) {
                Ok(frame) => frame.area,
                Err(e) => {
                    // The terminal is gone (a hang-up): nothing can be shown any more.
                    tracing::warn!(error = %e, "the screen cannot be drawn; ending");
                    return Ok(false);
                }
            };
            // A screen too small shows only a note, not the offer: it is armed once really shown.
            if app::draft::unarmed(&self.state) && crate::ui::fits(drawn) {
                self.host.drop_typeahead(&mut self.pending);
                app::draft::arm(&mut self.state);
            }
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
            Command::Suspend => {
                self.write_draft();
                let mouse = self.state.mouse;
                self.host.suspend(&mut self.terminal, mouse)?;
            }
            Command::DropDraft(flow) => self.autosave.drop_draft(flow),
            io => crate::tasks::spawn(io, &self.client, &self.tx),
        }
        Ok(())
    }

    /// The terminal, once the loop is over.
    pub fn into_terminal(self) -> Terminal<B> {
        self.terminal
    }
}

/// Throws away the input already waiting when a dialog that opened by itself is first drawn:
/// it was typed for what was on screen before. Size changes still count.
fn drop_typeahead(pending: &mut Vec<Msg>) {
    // `poll` with no wait reads only what is there; the `EventStream` is not polled here, as a
    // poll from outside the select would leave its wake-up with nobody to wake.
    while matches!(crossterm::event::poll(Duration::ZERO), Ok(true)) {
        match crossterm::event::read() {
            Ok(Event::Resize(w, h)) => pending.push(Msg::Resize(w, h)),
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

/// Gives the terminal back and stops the process as SIGTSTP does by default (Ctrl-Z, or SIGTSTP
/// from outside); returns once the shell resumes it, with the screen taken again and redrawn.
fn stop_and_resume(terminal: &mut Term, mouse: bool) -> std::io::Result<()> {
    leave_terminal();
    // SIGSTOP: with a handler installed for SIGTSTP, raising SIGTSTP would only report it.
    signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGTSTP)?;
    resume(terminal, mouse)
}

/// Takes the terminal again after a stop and has the next frame drawn whole (the shell drew
/// over the screen).
fn resume(terminal: &mut Term, mouse: bool) -> std::io::Result<()> {
    enter_terminal(mouse)?;
    execute!(stdout(), Clear(ClearType::All))?;
    // Not `terminal.clear()`: it asks the terminal where the cursor is and waits up to two
    // seconds for an answer some terminals never give. Swapping twice blanks both buffers, so
    // the next frame is compared with an empty screen and written whole.
    terminal.swap_buffers();
    terminal.swap_buffers();
    Ok(())
}

fn event_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::FocusGained | Event::FocusLost => None,
    }
}

/// Debug builds only: with `FLOWDASH_TEST_PANIC` set, F12 panics, so the tests can see what a
/// panic report shows (the terminal restored, no key in it) without a real bug to trigger.
#[cfg(debug_assertions)]
fn test_panic(msg: &Msg) {
    if let Msg::Key(k) = msg
        && k.code == crossterm::event::KeyCode::F(12)
        && std::env::var_os("FLOWDASH_TEST_PANIC").is_some()
    {
        panic!("deliberate panic for a test (FLOWDASH_TEST_PANIC)");
    }
}
