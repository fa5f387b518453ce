//! `flowdash watch` on 1000 flows (DESIGN §11, §14): the `/metrics` exposition, one reading
//! fed to the metrics, and the alert rules over one reading.
//! `cargo bench --bench watch`; the numbers are in BENCHMARKS.md.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark: bad setup must stop it at once"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use flowdash::domain::alerts::builtin_rules;
use flowdash::domain::{Flow, FlowId, SegmentRef, WaitUnit};
use flowdash::store::Account;
use flowdash::watch::alerting::Watcher;
use flowdash::watch::metrics::Metrics;
use jiff::{SignedDuration, Timestamp};

const FLOWS: u64 = 1000;

/// Flow `i` at reading `r`: every counter moves with every reading.
fn flow(i: u64, r: i64) -> Flow {
    let n = i as i64;
    Flow {
        id: FlowId(i),
        user_id: Some(1),
        name: format!("Flow number {i} with a \"quoted\" name"),
        content: Some(format!("Hello {{{{NAME}}}}, message {i}")),
        device_id: Some(1 + i % 3),
        sim_subscription_id: Some(1),
        segment: Some(SegmentRef::All),
        wait_time: Some(n % 90 + 1),
        wait_unit: Some(WaitUnit::Minutes),
        enabled: n % 3 != 0,
        sent: Some(n * 7919 % 10_000 + r * (1 + n % 5)),
        pending: Some(n % 50),
        failed: Some(n % 13 + r / (2 + n % 3)),
        last_sent: None,
        last_changed: None,
        created: Some(Timestamp::from_second(1_760_000_000).unwrap()),
        blocked: None,
    }
}

fn reading(r: i64) -> Vec<Flow> {
    (1..=FLOWS).map(|i| flow(i, r)).collect()
}

fn account() -> Account {
    Account::parse("https://sms.example.com/api", Some(1)).unwrap()
}

fn metrics(c: &mut Criterion) {
    let m = Metrics::new().unwrap();
    m.update(&account(), &reading(0), true, true);
    m.update(&account(), &reading(1), true, true);
    m.requests(&[("200".to_owned(), 1234), ("429".to_owned(), 2)], 17);
    let text = m.encode();
    println!(
        "the exposition of {FLOWS} flows: {} lines, {} bytes",
        text.lines().count(),
        text.len()
    );
    c.bench_function("metrics: /metrics body for 1000 flows", |b| {
        b.iter(|| black_box(m.encode()));
    });
    let mut r = 2;
    c.bench_function("metrics: one reading of 1000 flows", |b| {
        b.iter(|| {
            r += 1;
            m.update(&account(), &reading(r), true, true);
        });
    });
}

fn rules(c: &mut Criterion) {
    let start = Timestamp::from_second(1_790_000_000).unwrap();
    let mut w = Watcher::new(builtin_rules());
    // Half an hour of readings a minute apart: the longest window is full.
    for r in 0..31 {
        w.observe(
            start + SignedDuration::from_mins(r),
            &reading(r),
            true,
            true,
        );
    }
    let now = start + SignedDuration::from_mins(31);
    let flows = reading(31);
    c.bench_function(
        "alerts: one reading of 1000 flows judged by the built-in rules",
        |b| {
            b.iter(|| {
                w.observe(now, &flows, true, true);
                black_box(w.judge(now, &[], None))
            });
        },
    );
}

criterion_group!(benches, metrics, rules);
criterion_main!(benches);
