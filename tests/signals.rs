//! Signals and lost terminals, with the built binary in a pseudo-terminal: every way out gives
//! the terminal back (main screen, cursor shown, cooked mode), a stop gives it back until the
//! shell resumes the process, and the text of an open form outlives the process.

#![expect(clippy::unwrap_used, reason = "test helpers")]

pub mod support;

use std::io::Read as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

use flowdash::sim::Sim;
use support::{Tui, eventually};

const KEY: &str = "signals-key";

async fn demo_server() -> Sim {
    support::still_sim(KEY).await
}

fn start_dashboard(sim: &Sim, env: &[(&str, &str)]) -> Tui {
    support::dashboard_on(sim, KEY, env)
}

fn kill(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// The process state letter of /proc/PID/stat: `T` while stopped.
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name in parentheses may hold spaces: the state follows the last `)`.
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// The terminal's line settings as `stty` reports them: `-icanon` while raw.
fn line_settings(tty: &Path) -> String {
    let out = std::process::Command::new("stty")
        .arg("-F")
        .arg(tty)
        .arg("-a")
        .output()
        .unwrap();
    assert!(out.status.success(), "stty: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the operator finds at the shell: the alternate screen left after it was last entered,
/// the cursor shown after it was last hidden. `None` (with why) until it is so.
fn restored(raw: &str) -> Result<(), String> {
    let last = |s: &str| raw.rfind(s);
    match (last("\x1b[?1049h"), last("\x1b[?1049l")) {
        (Some(entered), Some(left)) if left > entered => {}
        (entered, left) => {
            return Err(format!(
                "alternate screen entered at {entered:?}, left at {left:?}"
            ));
        }
    }
    match (last("\x1b[?25l"), last("\x1b[?25h")) {
        (hidden, Some(shown)) if hidden.is_none_or(|h| shown > h) => Ok(()),
        (hidden, shown) => Err(format!("cursor hidden at {hidden:?}, shown at {shown:?}")),
    }
}

/// Waits until the bytes written show the terminal restored; panics with why otherwise.
fn wait_restored(tui: &Tui) {
    let start = std::time::Instant::now();
    loop {
        match restored(&tui.raw_text()) {
            Ok(()) => return,
            Err(why) if start.elapsed() > support::PATIENCE => {
                let raw = tui.raw_text();
                let tail = &raw[raw.len().saturating_sub(300)..];
                panic!("the terminal was not restored: {why}; the last bytes: {tail:?}");
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
}

/// An outside signal that ends the dashboard: it ends (successfully: it was asked to) with the
/// terminal given back.
async fn ends_restored(signal: &str) {
    let sim = demo_server().await;
    let mut tui = start_dashboard(&sim, &[]);
    tui.wait_text("page 1/2");
    kill(tui.child.process_id().unwrap(), signal);
    let status = tui.wait_exit();
    assert!(status.success(), "after SIG{signal}: {status:?}");
    wait_restored(&tui);
    assert!(
        line_settings(&tui.tty_name()).contains(" icanon"),
        "cooked mode after SIG{signal}"
    );
    assert!(
        !tui.raw_text().contains("panicked"),
        "no panic report after SIG{signal}"
    );
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_from_outside_restores_the_terminal() {
    ends_restored("INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigquit_restores_the_terminal() {
    ends_restored("QUIT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_from_outside_restores_the_terminal() {
    ends_restored("HUP").await;
}

/// Stops the dashboard (`how` sends the stop), checks it is stopped with the terminal given
/// back, then resumes it and checks it takes the screen again and redraws.
async fn stops_restored_and_resumes(how: impl FnOnce(&mut Tui)) {
    let sim = demo_server().await;
    let mut tui = start_dashboard(&sim, &[]);
    tui.wait_text("page 1/2");
    let pid = tui.child.process_id().unwrap();
    how(&mut tui);
    eventually("the process stopped", || {
        (process_state(pid) == Some('T')).then_some(())
    });
    wait_restored(&tui);
    assert!(
        line_settings(&tui.tty_name()).contains(" icanon"),
        "cooked mode while stopped"
    );
    assert!(
        !tui.screen().contains("page 1/2"),
        "the shell's screen while stopped:\n{}",
        tui.screen()
    );

    let before = tui.raw.lock().unwrap().len();
    kill(pid, "CONT");
    eventually("the process running again", || {
        (process_state(pid) != Some('T')).then_some(())
    });
    eventually("the screen taken again and redrawn", || {
        let raw = tui.raw_text();
        (raw[before..].contains("\x1b[?1049h") && tui.screen().contains("page 1/2")).then_some(())
    });
    assert!(
        line_settings(&tui.tty_name()).contains("-icanon"),
        "raw mode again after SIGCONT"
    );
    tui.wait_text("page 1/2");
    tui.send("q");
    assert!(tui.wait_exit().success());
    wait_restored(&tui);
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigtstp_from_outside_gives_the_terminal_back_and_sigcont_redraws() {
    stops_restored_and_resumes(|tui| kill(tui.child.process_id().unwrap(), "TSTP")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_z_shows_the_cursor_at_the_shell_prompt() {
    stops_restored_and_resumes(|tui| tui.send("\x1a")).await;
}

/// The terminal goes away (its window closed): the program gets SIGHUP and every write fails.
/// It ends on its own, without a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_terminal_ends_the_dashboard_without_a_panic() {
    use portable_pty::{PtySize, native_pty_system};

    let sim = demo_server().await;
    let home = tempfile::tempdir().unwrap();
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = support::pty_command(home.path());
    cmd.env("FLOWDASH_BASE_URL", sim.base_url());
    cmd.env("FLOWDASH_API_KEY", KEY);
    // A panic report goes to the log as well, where it can still be read.
    cmd.env("RUST_BACKTRACE", "1");
    let child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);

    // Read until the first page is on screen, then let go of every handle on the terminal.
    let mut reader = pair.master.try_clone_reader().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let reading = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut all = seen2.lock().unwrap();
            all.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&all).contains("page 1/2") {
                break;
            }
        }
    });
    reading.join().unwrap();
    assert!(
        String::from_utf8_lossy(&seen.lock().unwrap()).contains("page 1/2"),
        "the dashboard was up before the terminal closed"
    );
    drop(pair.master);

    let child = Mutex::new(child);
    let status = eventually("the process ended", || {
        child.lock().unwrap().try_wait().unwrap()
    });
    assert!(
        status.success(),
        "a closed terminal ends the dashboard quietly (no panic, which exits 101): {status:?}"
    );
    sim.shutdown();
}

/// The drafts kept (not the temporary files a write goes through before its rename).
fn drafts_in(state_dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(state_dir.join("flowdash/drafts"))
        .map(|d| d.map(|e| e.unwrap().path()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect()
}

/// Answers the draft offer as a person does: after seeing it. The offer opens by itself, so it
/// drops keys until it has been on screen for its settle time (`app::SETTLE`, 300 ms after it
/// was drawn): they were typed for the screen before.
fn answer_offer(tui: &mut Tui, key: &str) {
    std::thread::sleep(flowdash::app::SETTLE * 2);
    tui.send(key);
}

/// Text typed in a form outlives even SIGKILL: the next start offers it, and Enter reopens the
/// form with it, as an edit of the same flow; saving sends it and drops the draft.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_survives_sigkill_and_is_restored() {
    let sim = demo_server().await;
    let flow = sim.flows()[0].clone();
    let mut first = start_dashboard(&sim, &[]);
    let state_dir = first.home.path().join("state");
    first.wait_text("page 1/2");
    first.send("e");
    first.wait_text(&format!("Edit flow {}", flow.id));
    first.send("\x1b[F"); // End
    first.type_text(" v2");
    first.wait_text(&format!("{} v2", flow.name));
    // Written within a second of the typing, without the form being saved or closed.
    let file = eventually("the draft on disk", || {
        drafts_in(&state_dir)
            .into_iter()
            .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(" v2")))
    });
    kill(first.child.process_id().unwrap(), "KILL");
    first.wait_exit();
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "nothing was written to the server"
    );

    let state = state_dir.to_string_lossy().into_owned();
    let mut second = start_dashboard(&sim, &[("XDG_STATE_HOME", &state)]);
    let screen = second.wait_text(&format!("a draft of flow {} from", flow.id));
    assert!(
        screen.contains("was kept: Enter restores, x drops"),
        "{screen}"
    );
    answer_offer(&mut second, "\r");
    let screen = second.wait_text(&format!("Edit flow {}", flow.id));
    assert!(screen.contains(&format!("{} v2", flow.name)), "{screen}");
    second.send("\x13"); // Ctrl-S
    second.wait_text(&format!("saved flow {}", flow.id));
    let after = sim.flow(flow.id).unwrap();
    assert_eq!(after.name, format!("{} v2", flow.name));
    assert_eq!(after.content, flow.content, "only the name changed");
    eventually("the draft dropped after the save", || {
        (!file.exists()).then_some(())
    });
    second.send("q");
    assert!(second.wait_exit().success());
    sim.shutdown();
}

/// x drops the offered draft: the form does not open and the draft is gone for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_drops_an_offered_draft() {
    let sim = demo_server().await;
    let mut first = start_dashboard(&sim, &[]);
    let state_dir = first.home.path().join("state");
    first.wait_text("page 1/2");
    first.send("n");
    first.wait_text("New flow");
    first.type_text("Half typed");
    let file = eventually("the draft on disk", || {
        drafts_in(&state_dir).into_iter().find(|p| {
            p.to_string_lossy().ends_with("--new.json")
                && std::fs::read_to_string(p).is_ok_and(|t| t.contains("Half typed"))
        })
    });
    kill(first.child.process_id().unwrap(), "TERM");
    first.wait_exit();

    let state = state_dir.to_string_lossy().into_owned();
    let mut second = start_dashboard(&sim, &[("XDG_STATE_HOME", &state)]);
    second.wait_text("a draft of a new flow from");
    answer_offer(&mut second, "x");
    second.wait_text("dropped the draft of a new flow");
    assert!(!file.exists(), "the draft file is gone");
    assert!(!second.screen().contains("New flow"));
    second.send("q");
    assert!(second.wait_exit().success());
    sim.shutdown();
}

/// SIGTERM (like SIGHUP or a closed terminal) writes the draft at once: text typed a moment
/// before is not lost to the second the autosave waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_writes_the_draft_at_once() {
    let sim = demo_server().await;
    let flow = sim.flows()[0].clone();
    let mut tui = start_dashboard(&sim, &[]);
    let state_dir = tui.home.path().join("state");
    tui.wait_text("page 1/2");
    tui.send("e");
    tui.wait_text(&format!("Edit flow {}", flow.id));
    tui.send("\x1b[F"); // End
    tui.send(" just typed");
    tui.wait_text(&format!("{} just typed", flow.name));
    kill(tui.child.process_id().unwrap(), "TERM");
    assert!(tui.wait_exit().success());
    wait_restored(&tui);
    let kept: Vec<String> = drafts_in(&state_dir)
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    assert!(
        kept.iter().any(|t| t.contains("just typed")),
        "the draft on disk when the process ended: {kept:?}"
    );
    sim.shutdown();
}

/// On a screen too small to draw, the offer is not shown, so keys do not answer it: `x` typed
/// then does not drop the draft. Once the screen is large enough, the offer shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_not_on_screen_ignores_keys() {
    let sim = demo_server().await;
    let mut first = start_dashboard(&sim, &[]);
    let state_dir = first.home.path().join("state");
    first.wait_text("page 1/2");
    first.send("n");
    first.wait_text("New flow");
    first.type_text("Kept");
    first.wait_text("Kept");
    kill(first.child.process_id().unwrap(), "TERM");
    first.wait_exit();
    assert_eq!(drafts_in(&state_dir).len(), 1);

    let state = state_dir.to_string_lossy().into_owned();
    let url = sim.base_url();
    let before = sim.requests().len();
    let mut second = Tui::start(
        &[],
        &[
            ("FLOWDASH_BASE_URL", &url),
            ("FLOWDASH_API_KEY", KEY),
            ("XDG_STATE_HOME", &state),
        ],
        70,
        20,
    );
    second.wait_text("flowdash needs at least 80×24");
    // The first page has loaded, so the offer is open behind the note.
    eventually("the first page read", || {
        sim.requests()[before..]
            .iter()
            .any(|r| r.path.ends_with("/flows"))
            .then_some(())
    });
    answer_offer(&mut second, "x");
    std::thread::sleep(std::time::Duration::from_millis(300));
    second.resize(120, 40);
    second.wait_text("a draft of a new flow from");
    assert_eq!(drafts_in(&state_dir).len(), 1, "the draft is still kept");
    answer_offer(&mut second, "\r");
    let screen = second.wait_text("New flow");
    assert!(screen.contains("Kept"), "{screen}");
    second.send("\x1b"); // Esc: discard?
    second.wait_text("Discard changes? y/n");
    second.send("y");
    eventually("the draft dropped with the discarded form", || {
        drafts_in(&state_dir).is_empty().then_some(())
    });
    second.send("q");
    assert!(second.wait_exit().success());
    sim.shutdown();
}
