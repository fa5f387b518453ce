//! Shared pieces of the end-to-end tests: the built binary in a pseudo-terminal, read through a
//! terminal emulator, against a demo server the test starts.

#![expect(
    clippy::unwrap_used,
    reason = "test support: a failure must stop the test at once"
)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// How long a step may take before the test gives up (a limit, not a measurement).
pub const PATIENCE: Duration = Duration::from_secs(15);

pub struct Tui {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    /// Every byte the program wrote.
    pub raw: Arc<Mutex<Vec<u8>>>,
    parser: Arc<Mutex<vt100::Parser>>,
    master: Box<dyn portable_pty::MasterPty + Send>,
    pub home: tempfile::TempDir,
}

/// The built binary for a pseudo-terminal: an environment of its own (a terminal type, `home`
/// as its home, config and state folder, UTC times) and nothing else of the caller's.
pub fn pty_command(home: &std::path::Path) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_flowdash"));
    cmd.env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", home);
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("XDG_STATE_HOME", home.join("state"));
    cmd.env("TZ", "UTC");
    cmd
}

impl Tui {
    /// Starts `flowdash ARGS` at `cols`×`rows` with a clean home, config and state folder.
    pub fn start(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Tui {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut cmd = pty_command(home.path());
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let (raw2, parser2) = (raw.clone(), parser.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                raw2.lock().unwrap().extend_from_slice(&buf[..n]);
                parser2.lock().unwrap().process(&buf[..n]);
            }
        });
        Tui {
            child,
            writer,
            raw,
            parser,
            master: pair.master,
            home,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn log_path(&self) -> PathBuf {
        self.home.path().join("state/flowdash/flowdash.log")
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends keys one at a time, with a short pause, as a person types.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(&c.to_string());
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    /// Waits until the screen satisfies `pred`; panics with the screen when it never does.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited for {what}; the screen shows:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("{text:?}"), |s| s.contains(text))
    }

    /// Waits for the process to end and returns its exit status.
    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < PATIENCE, "the process did not end");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resizes the terminal, as a person dragging the window's corner.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols);
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    /// The path of the terminal the program runs in (`/dev/pts/N`).
    pub fn tty_name(&self) -> PathBuf {
        self.master.tty_name().unwrap()
    }

    /// The raw bytes written so far, as text.
    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }
}

/// Polls `f` until it returns `Some`, for checks of the server's state.
pub fn eventually<T>(what: &str, f: impl Fn() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < PATIENCE, "waited for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A demo server with this key and still counters (no traffic), so what the test sees is what it
/// did.
pub async fn still_sim(key: &str) -> flowdash::sim::Sim {
    start_sim(flowdash::sim::SimConfig {
        api_key: key.to_owned(),
        traffic: false,
        ..flowdash::sim::SimConfig::default()
    })
    .await
}

/// The dashboard at 120×40 connected to `sim` with `key`, plus any other environment.
pub fn dashboard_on(sim: &flowdash::sim::Sim, key: &str, env: &[(&str, &str)]) -> Tui {
    let url = sim.base_url();
    let mut all = vec![
        ("FLOWDASH_BASE_URL", url.as_str()),
        ("FLOWDASH_API_KEY", key),
    ];
    all.extend_from_slice(env);
    Tui::start(&[], &all, 120, 40)
}

/// Starts a demo server on a free loopback port.
pub async fn start_sim(cfg: flowdash::sim::SimConfig) -> flowdash::sim::Sim {
    flowdash::sim::Sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}
