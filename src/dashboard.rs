//! The dashboard: the terminal loop around `app::update`.
//!
//! One task owns the state. Terminal input, task results, client events and timers meet in one
//! `select!`; each becomes a `Msg` for the pure `update`, whose commands become tasks (I/O) or
//! terminal and timer changes (here). The screen is drawn only after something changed.

use std::io::{Write, stdout};
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use crossterm::execute;
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::api::Client;
use crate::app::{self, Command, Context, Msg, State};
use crate::domain::FlowId;

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

/// Restores the terminal however the loop ends (an error return included; panics are covered
/// by the hook `ratatui::init` installs).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
        ratatui::restore();
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

/// Runs the dashboard until the operator quits or the process is told to end.
#[expect(
    clippy::too_many_lines,
    reason = "the loop's one select, kept whole so its order reads in one place"
)]
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
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (etx, mut erx) = mpsc::unbounded_channel();
    client.set_events(etx);
    let mut term_sig = signal(SignalKind::terminate())?;
    let mut hup_sig = signal(SignalKind::hangup())?;

    let mut terminal = ratatui::init();
    let _restore = Restore;
    execute!(stdout(), EnableBracketedPaste)?;
    let size = terminal.size()?;
    let mut timers = Timers::default();
    let mut last_key = Instant::now();
    let mut events = EventStream::new();

    let mut pending = vec![
        Msg::Resize(size.width, size.height),
        tick_msg(&client, &state),
    ];
    let mut commands = app::start(&mut state);
    loop {
        for msg in pending.drain(..) {
            commands.extend(app::update(&mut state, msg));
        }
        for cmd in commands.drain(..) {
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
                    suspend(&state)?;
                    terminal = ratatui::init();
                    execute!(stdout(), EnableBracketedPaste)?;
                    if state.mouse {
                        execute!(stdout(), EnableMouseCapture)?;
                    }
                    terminal.clear()?;
                }
                io => crate::tasks::spawn(io, &client, &tx),
            }
        }
        if state.quit {
            break;
        }
        let drawn = terminal.draw(|f| crate::ui::draw(f, &state))?.area;
        if state.awaits_draw() {
            // A dialog that opened by itself is on screen from this frame: its settle time
            // starts now, not at the next event. Only the first frame that shows it asks for
            // anything, so this goes round at most once more.
            let more = app::update(
                &mut state,
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

        // Biased: signals first (the process must end promptly), then the operator's input
        // (keys feel instant even while results pour in), then results, then timers.
        tokio::select! {
            biased;
            _ = term_sig.recv() => break,
            _ = hup_sig.recv() => break,
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
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(msg) = rx.recv() => pending.push(msg),
            Some(ev) = erx.recv() => pending.push(Msg::Client(ev)),
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
                pending.push(tick_msg(&client, &state));
            }
        }
        // Everything else that is already waiting goes into the same frame.
        while let Ok(msg) = rx.try_recv() {
            pending.push(msg);
        }
    }
    drop(terminal);
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

/// Ctrl-Z: gives the terminal back, stops the process like the shell expects, and returns when
/// the shell resumes it.
fn suspend(state: &State) -> std::io::Result<()> {
    if state.mouse {
        execute!(stdout(), DisableMouseCapture)?;
    }
    execute!(stdout(), DisableBracketedPaste)?;
    ratatui::restore();
    stdout().flush()?;
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    Ok(())
}
