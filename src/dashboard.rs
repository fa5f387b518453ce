//! The dashboard: the terminal loop around `app::update`.
//!
//! One task owns the state. Terminal input, task results, client events and timers meet in one
//! `select!`; each becomes a `Msg` for the pure `update`, whose commands become tasks (I/O) or
//! terminal and timer changes (here). The screen is drawn only after something changed.

use std::io::{Stdout, Write, stdout};
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
use ratatui::backend::CrosstermBackend;

use crate::api::Client;
use crate::app::{self, Command, Context, Msg, State};
use crate::domain::FlowId;
use crate::drafts::{Autosave, DraftStore};

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

/// After this long without a key, live updates slow down.
const IDLE_AFTER: Duration = Duration::from_secs(600);
/// The live pace while idle.
const IDLE_POLL: Duration = Duration::from_secs(60);

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

fn tick_msg(client: &Client, state: &State) -> Msg {
    Msg::Tick {
        now: jiff::Timestamp::now(),
        budget: Some(client.scheduler().snapshot()),
        poll_every: Some(if state.idle {
            IDLE_POLL
        } else {
            client.scheduler().poll_interval()
        }),
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

/// The account drafts are kept under: the base URL without anything secret a URL can carry.
fn account(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
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
    };
    let mut state = State::new(ctx, settings.page_size);
    // The embedded demo's flows do not outlive the process, so neither do drafts of them.
    let store = crate::config::drafts_dir()
        .filter(|_| !settings.demo)
        .map(|dir| DraftStore::new(dir, &account(client.base_url())));
    if let Some(store) = &store {
        state.draft_offers = store.load();
    }
    let mut autosave = Autosave::new(store);
    let mut signals = Signals::new()?;

    install_panic_hook();
    let _restore = Restore;
    enter_terminal(false)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
    let result = run_loop(
        &mut terminal,
        &client,
        &mut state,
        &mut signals,
        &mut autosave,
    )
    .await;
    // Whatever ended the loop, the typed text goes to disk now rather than in up to a second.
    if let Some(e) = autosave.write(app::draft::open_form(&state)) {
        tracing::warn!(error = %e, "draft lost at exit");
    }
    // The terminal's own drop shows the cursor and prints an error when it cannot, and printing
    // panics once the terminal is gone (after a hang-up). Show it here, where a failure is
    // ignored; if it failed, the terminal is not dropped at all (the process is ending).
    if terminal.show_cursor().is_err() {
        std::mem::forget(terminal);
    }
    result
}

/// The loop: one `select!` over signals, input, results and timers; `update` for each message;
/// the commands it returns run; one frame drawn after each round.
#[expect(
    clippy::too_many_lines,
    reason = "the loop's one select, kept whole so its order reads in one place"
)]
async fn run_loop(
    terminal: &mut Term,
    client: &Client,
    state: &mut State,
    signals: &mut Signals,
    autosave: &mut Autosave,
) -> color_eyre::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (etx, mut erx) = mpsc::unbounded_channel();
    client.set_events(etx);
    let size = terminal.size()?;
    let mut timers = Timers::default();
    let mut last_key = Instant::now();
    let mut events = EventStream::new();

    let mut pending = vec![
        Msg::Resize(size.width, size.height),
        tick_msg(client, state),
    ];
    let mut commands = app::start(state);
    loop {
        for msg in pending.drain(..) {
            commands.extend(app::update(state, msg));
        }
        for cmd in commands.drain(..) {
            run_command(cmd, client, state, &mut timers, terminal, autosave, &tx)?;
        }
        if state.quit {
            break;
        }
        app::draft::offer_next(state);
        timers.draft = autosave.observe(app::draft::open_form(state), Instant::now());
        let drawn = match terminal.draw(|f| crate::ui::draw(f, state)) {
            Ok(frame) => frame.area,
            Err(e) => {
                // The terminal is gone (a hang-up): nothing can be shown any more.
                tracing::warn!(error = %e, "the screen cannot be drawn; ending");
                break;
            }
        };
        // A screen too small shows only a note, not the offer: it is armed once really shown.
        if app::draft::unarmed(state) && crate::ui::fits(drawn) {
            drop_typeahead(&mut pending);
            app::draft::arm(state);
        }
        if state.awaits_draw() {
            // A dialog that opened by itself is on screen from this frame: its settle time
            // starts now, not at the next event. Only the first frame that shows it asks for
            // anything, so this goes round at most once more.
            let more = app::update(
                state,
                Msg::Drawn {
                    width: drawn.width,
                    height: drawn.height,
                },
            );
            if !more.is_empty() {
                commands.extend(more);
                continue;
            }
        }
        // The spinner turns while something runs; otherwise once a second is enough for the
        // data's age and the countdowns.
        let tick_every = if state.is_busy() {
            Duration::from_millis(150)
        } else {
            Duration::from_secs(1)
        };
        let next_tick = Instant::now() + tick_every;
        timers.tick = Some(timers.tick.map_or(next_tick, |t| t.min(next_tick)));
        let idle_at = (!state.idle).then(|| last_key + IDLE_AFTER);

        // Biased: signals first (the process must end promptly, the terminal be given back at
        // once), then the operator's input (keys feel instant even while results pour in), then
        // results, then timers.
        tokio::select! {
            biased;
            ask = signals.next() => match ask {
                SignalAsk::End(name) => {
                    tracing::info!(signal = name, "ending on a signal");
                    break;
                }
                SignalAsk::Stop => {
                    write_draft(autosave, state);
                    if let Err(e) = stop_and_resume(terminal, state.mouse) {
                        tracing::warn!(error = %e, "the terminal cannot be taken again; ending");
                        break;
                    }
                }
                SignalAsk::Resume => {
                    if let Err(e) = resume(terminal, state.mouse) {
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
                        if matches!(msg, Msg::Key(_)) {
                            last_key = Instant::now();
                            if state.idle {
                                pending.push(Msg::Idle(false));
                                commands.push(Command::SchedulePoll);
                            }
                        }
                        pending.push(msg);
                    }
                }
                // The terminal is gone (closed window, hang-up): end as SIGHUP would.
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "the terminal cannot be read; ending");
                    break;
                }
                None => break,
            },
            Some(msg) = rx.recv() => pending.push(msg),
            Some(ev) = erx.recv() => pending.push(Msg::Client(ev)),
            () = at(timers.draft) => write_draft(autosave, state),
            () = at(timers.poll) => {
                timers.poll = None;
                pending.push(Msg::PollDue);
            }
            () = at(timers.detail.map(|d| d.0)) => {
                if let Some((_, id)) = timers.detail.take() {
                    pending.push(Msg::DetailDue(id));
                }
            }
            () = at(timers.toast.map(|t| t.0)) => {
                if let Some((_, seq)) = timers.toast.take() {
                    pending.push(Msg::ToastExpired(seq));
                }
            }
            () = at(timers.settle.map(|t| t.0)) => {
                if let Some((_, n)) = timers.settle.take() {
                    pending.push(Msg::Settled(n));
                }
            }
            () = at(idle_at) => {
                pending.push(Msg::Idle(true));
            }
            () = at(timers.tick) => {
                timers.tick = None;
                pending.push(tick_msg(client, state));
            }
        }
        // Everything else that is already waiting goes into the same frame.
        while let Ok(msg) = rx.try_recv() {
            pending.push(msg);
        }
    }
    Ok(())
}

/// Writes the open form's draft now; a failure is shown, as the operator believes it kept.
fn write_draft(autosave: &mut Autosave, state: &mut State) {
    if let Some(e) = autosave.write(app::draft::open_form(state)) {
        app::draft::store_failed(state, e);
    }
}

/// Runs one command of `update`: timers and the terminal here, I/O as a task.
fn run_command(
    cmd: Command,
    client: &Client,
    state: &mut State,
    timers: &mut Timers,
    terminal: &mut Term,
    autosave: &mut Autosave,
    tx: &mpsc::UnboundedSender<Msg>,
) -> std::io::Result<()> {
    match cmd {
        // With no polling share there is nothing to schedule: `r` still refreshes.
        Command::SchedulePoll if client.scheduler().poll_share() == 0 => {}
        Command::SchedulePoll => {
            let every = if state.idle {
                IDLE_POLL
            } else {
                client.scheduler().poll_interval()
            };
            let mut when = Instant::now() + every;
            if let Some(free) = client.scheduler().next_poll_at() {
                when = when.max(free);
            }
            timers.poll = Some(when);
        }
        Command::ArmDetail(id) => {
            timers.detail = Some((Instant::now() + app::DETAIL_REST, id));
        }
        Command::ArmToast(seq) => {
            timers.toast = Some((Instant::now() + app::TOAST_FOR, seq));
        }
        Command::Settle(n) => {
            timers.settle = Some((Instant::now() + app::SETTLE, n));
        }
        Command::SetMouse(on) => {
            if on {
                execute!(stdout(), EnableMouseCapture)?;
            } else {
                execute!(stdout(), DisableMouseCapture)?;
            }
        }
        Command::Suspend => {
            write_draft(autosave, state);
            stop_and_resume(terminal, state.mouse)?;
        }
        Command::DropDraft(flow) => autosave.drop_draft(flow),
        io => crate::tasks::spawn(io, client, tx),
    }
    Ok(())
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
