//! Measuring harnesses of the dashboard, run on demand (never by the tests):
//!
//! - `cargo run --release --example measure -- latency`: key press to the first byte of the new
//!   frame while the API takes 3 s to answer. A demo server in its own process answers every API
//!   request after 3 s; the dashboard runs against it in a pseudo-terminal; 200 presses of `j` and
//!   `k`, each timed from writing the key to the first byte written back; p50, p99 and the worst.
//! - `cargo run --release --example measure -- idle [SECONDS]`: start to the first drawn frame in
//!   demo mode; CPU time and wake-ups (context switches of all threads) over 60 s (or SECONDS)
//!   with live updates on; resident memory with a 1000-flow page loaded.
//! - `cargo run --release --example measure -- watch [SECONDS]`: `flowdash watch --every 60
//!   --metrics` on 1000 flows: the time `/metrics` takes to answer (200 requests), then its CPU
//!   time and wake-ups between two polls (50 s), and over SECONDS (default 180) with the polls.
//!
//! - `cargo run --release --example measure -- history [SECONDS]`: key press to the first byte of
//!   the new frame while the dashboard records a 1000-flow page into a new history file: a demo
//!   server with 1000 flows in its own process, a page of 1000, keys for 130 s (or SECONDS) so
//!   that the first batch and two more (one a flow and minute) are stored; p50, p99 and the worst,
//!   over all presses and over those that overlapped the history's writer (its thread's CPU
//!   time or the journal's size changed meanwhile); then the same with `--no-history`.
//! - `cargo run --release --example measure -- offline`: start to the first frame showing the
//!   history's snapshot of 1000 flows with the server stopped (`offline · data … old`).
//!
//! The dashboard measured is `target/release/flowdash`, or the binary `FLOWDASH_BIN` names.

#![expect(clippy::expect_used, reason = "a harness: a failed step must stop it")]

mod harness;

use std::time::{Duration, Instant};

use harness::{
    Dashboard, Server, context_switches, cpu_ticks, flowdash_bin, percentile, proc_status,
    thread_cpu_ticks,
};

fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("latency") => latency(),
        Some("idle") => {
            let seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
            // Anything after SECONDS goes to the dashboard (`--no-history`, to compare).
            let rest: Vec<String> = args.collect();
            idle(
                seconds,
                &rest.iter().map(String::as_str).collect::<Vec<_>>(),
            );
        }
        Some("watch") => watch(args.next().and_then(|s| s.parse().ok()).unwrap_or(180)),
        Some("history") => history(args.next().and_then(|s| s.parse().ok()).unwrap_or(130)),
        Some("offline") => offline(),
        _ => eprintln!(
            "usage: measure latency | measure idle [SECONDS [ARGS]] | measure watch [SECONDS] | measure history [SECONDS] | measure offline"
        ),
    }
}

fn latency() {
    let server = Server::start(&["--latency-ms", "3000"]);
    let (mut dash, _) = Dashboard::start(
        &[
            ("FLOWDASH_BASE_URL", &server.url),
            ("FLOWDASH_API_KEY", "demo"),
        ],
        120,
        40,
    );
    dash.wait_for("the first page", Duration::from_secs(30), |s| {
        s.contains("page 1/")
    });
    dash.drain(Duration::from_millis(300));
    let mut samples = Vec::with_capacity(200);
    for i in 0..200 {
        let key = if i % 2 == 0 { "j" } else { "k" };
        samples.push(dash.key_to_frame(key));
        // Let the frame finish before the next key, so each sample is one key's frame.
        dash.drain(Duration::from_millis(20));
    }
    samples.sort();
    println!(
        "key to first byte of the frame, 200 presses, API answering after 3 s: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&samples, 0.5).as_secs_f64() * 1000.0,
        percentile(&samples, 0.99).as_secs_f64() * 1000.0,
        samples[samples.len() - 1].as_secs_f64() * 1000.0,
    );
    drop(dash);
    drop(server);
}

fn idle(seconds: u64, extra: &[&str]) {
    // 1. Start to the first frame, demo mode.
    let mut starts = Vec::new();
    for _ in 0..5 {
        let (mut dash, started) = Dashboard::start_with(extra, &[], 120, 40);
        let at = dash.wait_for("the first frame", Duration::from_secs(10), |s| {
            s.contains("flowdash")
        });
        starts.push(at.duration_since(started));
        drop(dash);
    }
    starts.sort();
    println!(
        "start to first drawn frame (demo mode), median of 5: {:.1} ms (min {:.1}, max {:.1})",
        starts[2].as_secs_f64() * 1000.0,
        starts[0].as_secs_f64() * 1000.0,
        starts[4].as_secs_f64() * 1000.0
    );

    // 2. Idle with live updates on.
    let server = Server::start(&["--flows", "1200"]);
    let env = [
        ("FLOWDASH_BASE_URL", server.url.as_str()),
        ("FLOWDASH_API_KEY", "demo"),
    ];
    let (mut dash, _) = Dashboard::start_with(extra, &env, 120, 40);
    dash.wait_for("the first page", Duration::from_secs(10), |s| {
        s.contains("page 1/")
    });
    dash.drain(Duration::from_millis(500));
    let pid = dash.pid();
    let (cpu0, cs0, t0) = (cpu_ticks(pid), context_switches(pid), Instant::now());
    // Keep reading the terminal so the dashboard never blocks on a full pipe.
    let end = t0 + Duration::from_secs(seconds);
    while Instant::now() < end {
        dash.drain(Duration::from_millis(200));
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = (cpu_ticks(pid) - cpu0) as f64 / 100.0;
    let cs = context_switches(pid) - cs0;
    println!(
        "idle with live updates, {elapsed:.0} s: CPU {:.3} % of one core ({cpu:.2} s), {:.1} wake-ups a second ({cs} context switches)",
        cpu / elapsed * 100.0,
        cs as f64 / elapsed
    );

    // 3. Memory with a 1000-flow page: `+` five times goes 25 → 50 → 100 → 250 → 500 → 1000.
    for _ in 0..5 {
        dash.send("+");
        std::thread::sleep(Duration::from_millis(300));
        dash.drain(Duration::from_millis(100));
    }
    dash.wait_for("a 1000-flow page", Duration::from_secs(30), |s| {
        s.contains("1000 a page") && s.contains("1200 flows")
    });
    // Then live updates reload the 1000-flow page every few seconds: watch it for 30 s.
    let (mut low, mut high) = (u64::MAX, 0);
    let watch = Instant::now() + Duration::from_secs(30);
    while Instant::now() < watch {
        dash.drain(Duration::from_millis(200));
        let rss = proc_status(pid, "VmRSS");
        low = low.min(rss);
        high = high.max(rss);
    }
    println!(
        "resident memory with a 1000-flow page loaded and refreshed for 30 s: {:.1} to {:.1} MB (VmRSS; peak VmHWM {:.1} MB)",
        low as f64 / 1024.0,
        high as f64 / 1024.0,
        proc_status(pid, "VmHWM") as f64 / 1024.0
    );
    drop(dash);
    drop(server);
}

/// Context switches of each live thread of a process, by thread id.
fn thread_switches(pid: u32) -> std::collections::HashMap<String, u64> {
    let mut out = std::collections::HashMap::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("the process's threads")
        .flatten()
    {
        let tid = task.file_name().to_string_lossy().into_owned();
        let Ok(text) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        let n: u64 = text
            .lines()
            .filter_map(|l| {
                l.strip_prefix("voluntary_ctxt_switches:")
                    .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
            })
            .filter_map(|v| v.trim().parse::<u64>().ok())
            .sum();
        out.insert(tid, n);
    }
    out
}

/// One `GET /metrics` over a fresh connection: the time to the whole answer, and the answer.
fn scrape(addr: &str) -> (Duration, String) {
    use std::io::{Read as _, Write as _};
    let started = Instant::now();
    let mut conn = std::net::TcpStream::connect(addr).expect("the metrics address");
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("a request");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("an answer");
    (started.elapsed(), answer)
}

fn watch(seconds: u64) {
    use std::io::BufRead as _;
    let server = Server::start(&["--flows", "1000"]);
    let home = tempfile::tempdir().expect("a home");
    let h = home.path();
    let mut child = std::process::Command::new(flowdash_bin())
        .args(["watch", "--every", "60", "--metrics", "127.0.0.1:0"])
        .env("FLOWDASH_BASE_URL", &server.url)
        .env("FLOWDASH_API_KEY", "demo")
        .env("HOME", h)
        .env("XDG_CONFIG_HOME", h.join("config"))
        .env("XDG_STATE_HOME", h.join("state"))
        .env("XDG_DATA_HOME", h.join("data"))
        .env("XDG_RUNTIME_DIR", h.join("run"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("flowdash watch");
    let started = Instant::now();
    let mut lines = std::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("metrics at http://")
                .map(|a| a.trim_end_matches("/metrics").to_owned())
        })
        .expect("the metrics address on stderr");
    // The first poll: every flow read, recorded and judged.
    loop {
        let (_, body) = scrape(&addr);
        if body.contains("flowdash_flow_sms_sent_total{") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "first reading of 1000 flows served after {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let mut samples = Vec::new();
    let mut body = String::new();
    for _ in 0..200 {
        let (t, b) = scrape(&addr);
        samples.push(t);
        body = b;
    }
    samples.sort();
    println!(
        "GET /metrics, 1000 flows ({} lines, {} bytes), 200 requests: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        body.lines().count(),
        body.len(),
        percentile(&samples, 0.5).as_secs_f64() * 1000.0,
        percentile(&samples, 0.99).as_secs_f64() * 1000.0,
        samples[samples.len() - 1].as_secs_f64() * 1000.0,
    );
    // Between two polls: from 5 s after the first to 55 s after it.
    let pid = child.id();
    let first_poll = started;
    std::thread::sleep(
        (first_poll + Duration::from_secs(5)).saturating_duration_since(Instant::now()),
    );
    let (cpu0, cs0, t0) = (cpu_ticks(pid), thread_switches(pid), Instant::now());
    std::thread::sleep(
        (first_poll + Duration::from_secs(55)).saturating_duration_since(Instant::now()),
    );
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = (cpu_ticks(pid) - cpu0) as f64 / 100.0;
    // Per thread: a thread of the blocking pool that ended in between takes its count along.
    let cs: u64 = thread_switches(pid)
        .into_iter()
        .map(|(tid, n)| n.saturating_sub(cs0.get(&tid).copied().unwrap_or(0)))
        .sum();
    println!(
        "watch between polls, {elapsed:.0} s: CPU {:.3} % of one core ({cpu:.2} s), {:.2} wake-ups a second",
        cpu / elapsed * 100.0,
        cs as f64 / elapsed
    );
    let (cpu0, t0) = (cpu_ticks(pid), Instant::now());
    std::thread::sleep(Duration::from_secs(seconds));
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = (cpu_ticks(pid) - cpu0) as f64 / 100.0;
    println!(
        "watch over {elapsed:.0} s with a poll a minute: CPU {:.3} % of one core ({cpu:.2} s); resident {:.1} MB (VmHWM {:.1} MB)",
        cpu / elapsed * 100.0,
        proc_status(pid, "VmRSS") as f64 / 1024.0,
        proc_status(pid, "VmHWM") as f64 / 1024.0,
    );
    let _ = child.kill();
    let _ = child.wait();
    drop(server);
}
/// A config whose default profile reads `url` a 1000 flows a page and keeps its history in
/// `dir/history.sqlite3`; the key comes from the environment.
fn history_config(dir: &std::path::Path, url: &str) -> std::path::PathBuf {
    let config = dir.join("config.toml");
    let history = dir.join("history.sqlite3");
    std::fs::write(
        &config,
        format!(
            "default_profile = \"bench\"\n[profiles.bench]\nbase_url = \"{url}\"\npage_size = 1000\nhistory = \"{}\"\n",
            history.display()
        ),
    )
    .expect("the config file");
    config
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Key latencies over `seconds` of presses; with `writer`, also those whose press and frame
/// overlapped the history's work (its thread's CPU time or the journal's size changed).
struct Presses {
    all: Vec<Duration>,
    storing: Vec<Duration>,
}

fn press_for(dash: &mut Dashboard, seconds: u64, journal: Option<&std::path::Path>) -> Presses {
    let pid = dash.pid();
    let writer = || {
        (
            thread_cpu_ticks(pid, "flowdash-histor"),
            journal
                .and_then(|j| std::fs::metadata(j).ok())
                .map(|m| m.len()),
        )
    };
    let mut out = Presses {
        all: Vec::new(),
        storing: Vec::new(),
    };
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut i = 0;
    while Instant::now() < end {
        let before = writer();
        let key = if i % 2 == 0 { "j" } else { "k" };
        i += 1;
        let sample = dash.key_to_frame(key);
        out.all.push(sample);
        dash.drain(Duration::from_millis(20));
        if journal.is_some() && writer() != before {
            out.storing.push(sample);
        }
    }
    out.all.sort();
    out.storing.sort();
    out
}

fn summary(samples: &[Duration]) -> String {
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(samples, 0.5)),
        ms(percentile(samples, 0.99)),
        ms(samples[samples.len() - 1]),
    )
}

fn history(seconds: u64) {
    let server = Server::start(&["--flows", "1000"]);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let config = history_config(dir.path(), &server.url);
    let journal = dir.path().join("history.sqlite3-wal");
    let env = [
        ("FLOWDASH_CONFIG", config.to_str().expect("a UTF-8 path")),
        ("FLOWDASH_API_KEY", "demo"),
    ];
    // History on, then off, against the same server: the difference is the recording's.
    for (args, on) in [(&[][..], true), (&["--no-history"][..], false)] {
        let (mut dash, _) = Dashboard::start_with(args, &env, 120, 40);
        dash.wait_for("the 1000-flow page", Duration::from_secs(30), |s| {
            s.contains("1000 a page") && s.contains("1000 flows")
        });
        // Keys from the first page on: its 1000 readings (every row new) are stored now.
        let p = press_for(&mut dash, seconds, on.then_some(journal.as_path()));
        println!(
            "key to first byte of the frame, 1000-flow page, history {}, {} presses over {seconds} s: {}",
            if on { "on" } else { "off" },
            p.all.len(),
            summary(&p.all)
        );
        if on && !p.storing.is_empty() {
            println!(
                "  of which {} while the history's writer worked: {}",
                p.storing.len(),
                summary(&p.storing)
            );
        }
        drop(dash);
    }
    drop(server);
}

fn offline() {
    let server = Server::start(&["--flows", "1000"]);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let config = history_config(dir.path(), &server.url);
    let env = [
        ("FLOWDASH_CONFIG", config.to_str().expect("a UTF-8 path")),
        ("FLOWDASH_API_KEY", "demo"),
    ];
    // One run that sees the 1000 flows and ends: they are the snapshot.
    let (mut dash, _) = Dashboard::start(&env, 120, 40);
    dash.wait_for("the 1000-flow page", Duration::from_secs(30), |s| {
        s.contains("1000 a page") && s.contains("1000 flows")
    });
    dash.send("q");
    let _ = dash.child.wait();
    drop(dash);
    drop(server);

    // Starts alternate with and without the history, so that both meet the same load.
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let (mut dash, started) = Dashboard::start(&env, 120, 40);
        let at = dash.wait_for("the snapshot", Duration::from_secs(10), |s| {
            s.contains("offline · data")
        });
        with.push(at.duration_since(started));
        let screen = dash.parser.screen().contents();
        assert!(screen.contains("(1000 flows)"), "{screen}");
        drop(dash);
        let (mut dash, started) = Dashboard::start_with(&["--no-history"], &env, 120, 40);
        let at = dash.wait_for("the first frame", Duration::from_secs(10), |s| {
            s.contains("flowdash")
        });
        without.push(at.duration_since(started));
        drop(dash);
    }
    with.sort();
    without.sort();
    println!(
        "start to the first frame showing the offline snapshot of 1000 flows, median of 5: {:.1} ms (min {:.1}, max {:.1})",
        ms(with[2]),
        ms(with[0]),
        ms(with[4])
    );
    println!(
        "  the same start with --no-history (no snapshot), median of 5: {:.1} ms (min {:.1}, max {:.1})",
        ms(without[2]),
        ms(without[0]),
        ms(without[4])
    );
}
