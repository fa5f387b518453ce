//! Shared pieces of the measuring harnesses: the release binaries, a demo server in its own
//! process, and the dashboard in a pseudo-terminal whose output is timestamped as it arrives.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a harness: bad setup must stop it"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// The `flowdash` binary to measure: `FLOWDASH_BIN`, or the one next to this example's
/// (target/<profile>/flowdash).
pub fn flowdash_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("FLOWDASH_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("flowdash");
    assert!(
        bin.exists(),
        "{} is missing: build it first (cargo build --release)",
        bin.display()
    );
    bin
}

/// `flowdash serve-demo` in its own process, on a free port.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(flowdash_bin())
            .args(["serve-demo", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .expect("serve-demo's first line")
            .to_owned();
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The dashboard in a pseudo-terminal; every chunk it writes arrives with its time.
pub struct Dashboard {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    pub chunks: Receiver<(Instant, Vec<u8>)>,
    pub parser: vt100::Parser,
    _master: Box<dyn portable_pty::MasterPty + Send>,
    _home: tempfile::TempDir,
}

impl Dashboard {
    pub fn start(env: &[(&str, &str)], cols: u16, rows: u16) -> (Dashboard, Instant) {
        Dashboard::start_with(&[], env, cols, rows)
    }

    /// As [`Dashboard::start`], with command-line arguments.
    pub fn start_with(
        args: &[&str],
        env: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> (Dashboard, Instant) {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut cmd = CommandBuilder::new(flowdash_bin());
        cmd.args(args);
        cmd.env_clear();
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", home.path());
        cmd.env("XDG_CONFIG_HOME", home.path().join("config"));
        cmd.env("XDG_STATE_HOME", home.path().join("state"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        });
        (
            Dashboard {
                child,
                writer,
                chunks: rx,
                parser: vt100::Parser::new(rows, cols, 0),
                _master: pair.master,
                _home: home,
            },
            started,
        )
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().unwrap()
    }

    /// Sends `key` and waits for the first chunk the dashboard writes back: the time from the
    /// key to the first byte of its frame. The chunk goes to the screen parser.
    pub fn key_to_frame(&mut self, key: &str) -> Duration {
        let sent = self.send(key);
        let (at, bytes) = self
            .chunks
            .recv_timeout(Duration::from_secs(5))
            .expect("a frame after the key");
        self.parser.process(&bytes);
        at.saturating_duration_since(sent)
    }

    pub fn send(&mut self, keys: &str) -> Instant {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        Instant::now()
    }

    /// Reads output until `pred` holds for the screen; returns when the chunk that made it true
    /// arrived.
    pub fn wait_for(
        &mut self,
        what: &str,
        limit: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Instant {
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let (at, bytes) = self.chunks.recv_timeout(left).unwrap_or_else(|_| {
                panic!("waited for {what}:\n{}", self.parser.screen().contents())
            });
            self.parser.process(&bytes);
            if pred(&self.parser.screen().contents()) {
                return at;
            }
        }
    }

    /// Takes everything written until the output has been quiet for `quiet`, or for at most a
    /// second: the dashboard redraws every second to age its data, so it is never quiet for long.
    pub fn drain(&mut self, quiet: Duration) {
        let end = Instant::now() + Duration::from_secs(1);
        while Instant::now() < end {
            match self.chunks.recv_timeout(quiet) {
                Ok((_, bytes)) => self.parser.process(&bytes),
                Err(_) => return,
            }
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// A field of /proc/PID/status, in its unit (kB for memory).
pub fn proc_status(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// User plus system CPU time of a process, in clock ticks (1/100 s on Linux).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// Context switches of every thread of a process: each is a wake-up or a preemption.
pub fn context_switches(pid: u32) -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let pid_t: u32 = task.file_name().to_string_lossy().parse().unwrap();
        let path = format!("/proc/{pid}/task/{pid_t}/status");
        if let Ok(text) = std::fs::read_to_string(path) {
            for l in text.lines() {
                if let Some(v) = l
                    .strip_prefix("voluntary_ctxt_switches:")
                    .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
                {
                    total += v.trim().parse::<u64>().unwrap_or(0);
                }
            }
        }
    }
    total
}

/// User plus system CPU time of the thread of `pid` named `name` (as `/proc` cuts it, 15
/// bytes), in clock ticks; 0 when there is none.
pub fn thread_cpu_ticks(pid: u32, name: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            return 0;
        };
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        return f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    }
    0
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
