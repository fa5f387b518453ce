//! The process's own terminal: taking it and giving it back (on quit, error, panic, signal and
//! around Ctrl-Z), the signals the dashboard answers, and what only the owner of a real terminal
//! does for the runner ([`Host`]).

use std::io::{Stdout, Write, stdout};

use crossterm::cursor::Show;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
};
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{execute, queue};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::app::Msg;

/// Leaves the screen the way the shell had it: mouse and paste reports off, the main screen,
/// the cursor shown, cooked mode. Every step is tried on its own and its failure ignored: after a
/// hang-up every write fails, and a failed step must neither keep the others from running nor
/// panic (printing the error, as `ratatui::restore` does, panics when stderr is gone).
pub(super) fn leave_terminal() {
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
pub(super) fn enter_terminal(mouse: bool) -> std::io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    if mouse {
        execute!(stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

/// Restores the terminal before any panic report (the report must be readable on the shell's
/// screen), then runs the hook installed before (color-eyre's).
pub(super) fn install_panic_hook() {
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
pub(super) struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        leave_terminal();
    }
}

/// The signals the dashboard answers. Without a handler, SIGINT, SIGQUIT and SIGHUP would end
/// the process and SIGTSTP stop it with the terminal still raw, on the alternate screen and with
/// the cursor hidden.
pub(super) struct Signals {
    term: Signal,
    hup: Signal,
    int: Signal,
    quit: Signal,
    tstp: Signal,
    cont: Signal,
}

/// What a signal asks of the dashboard.
pub(super) enum SignalAsk {
    /// End now (restoring the terminal on the way out).
    End(&'static str),
    /// Give the terminal back and stop, as SIGTSTP does by default.
    Stop,
    /// Resumed after a stop: take the terminal again and redraw.
    Resume,
}

impl Signals {
    pub(super) fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            tstp: signal(SignalKind::from_raw(signal_hook::consts::SIGTSTP))?,
            cont: signal(SignalKind::from_raw(signal_hook::consts::SIGCONT))?,
        })
    }

    pub(super) async fn next(&mut self) -> SignalAsk {
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

/// What only the owner of a real terminal does; a `TestBackend` has none of it.
pub trait Host<B: Backend> {
    /// Mouse reports on or off.
    fn set_mouse(&mut self, on: bool) -> std::io::Result<()>;
    /// Gives the terminal back and stops the process; returns once it is resumed, with the
    /// terminal taken again.
    fn suspend(&mut self, terminal: &mut Terminal<B>, mouse: bool) -> std::io::Result<()>;
    /// Writes bytes that move no cell of the drawn screen (OSC 52, the bell, OSC 777 / 9).
    fn emit(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Gives the terminal to a command that may ask for a passphrase (the main screen, cooked
    /// mode), until [`Host::take_back`].
    fn lend(&mut self) {}
    /// Takes the terminal again after [`Host::lend`], the next frame drawn whole.
    fn take_back(&mut self, _terminal: &mut Terminal<B>, _mouse: bool) -> std::io::Result<()> {
        Ok(())
    }
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

    fn emit(&mut self, _bytes: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's own terminal.
pub(super) struct Tty;

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

    fn emit(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut out = stdout().lock();
        out.write_all(bytes)?;
        out.flush()
    }

    fn lend(&mut self) {
        leave_terminal();
    }

    fn take_back(&mut self, terminal: &mut Term, mouse: bool) -> std::io::Result<()> {
        resume(terminal, mouse)
    }
}

pub(super) type Term = Terminal<CrosstermBackend<Stdout>>;

/// Gives the terminal back and stops the process as SIGTSTP does by default (Ctrl-Z, or SIGTSTP
/// from outside); returns once the shell resumes it, with the screen taken again and redrawn.
pub(super) fn stop_and_resume(terminal: &mut Term, mouse: bool) -> std::io::Result<()> {
    leave_terminal();
    // SIGSTOP: with a handler installed for SIGTSTP, raising SIGTSTP would only report it.
    signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGTSTP)?;
    resume(terminal, mouse)
}

/// Takes the terminal again after a stop and has the next frame drawn whole (the shell drew
/// over the screen).
pub(super) fn resume(terminal: &mut Term, mouse: bool) -> std::io::Result<()> {
    enter_terminal(mouse)?;
    execute!(stdout(), Clear(ClearType::All))?;
    // Not `terminal.clear()`: it asks the terminal where the cursor is and waits up to two
    // seconds for an answer some terminals never give. Swapping twice blanks both buffers, so
    // the next frame is compared with an empty screen and written whole.
    terminal.swap_buffers();
    terminal.swap_buffers();
    Ok(())
}

pub(super) fn event_msg(ev: Event) -> Option<Msg> {
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
pub(super) fn test_panic(msg: &Msg) {
    if let Msg::Key(k) = msg
        && k.code == crossterm::event::KeyCode::F(12)
        && std::env::var_os("FLOWDASH_TEST_PANIC").is_some()
    {
        panic!("deliberate panic for a test (FLOWDASH_TEST_PANIC)");
    }
}
