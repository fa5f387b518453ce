//! What the dashboard does on every frame and every refresh: drawing, decoding a page, filtering
//! and sorting. `cargo bench --bench dashboard`; the numbers are in BENCHMARKS.md.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark: bad setup must stop it at once"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use flowdash::api::{Page, ServerKind, wire};
use flowdash::app::view::{self, Filter, Sort, SortKey};
use flowdash::app::{Context, Msg, State, update};
use flowdash::domain::{Flow, FlowId, SegmentRef, WaitUnit};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn flow(i: u64) -> Flow {
    Flow {
        id: FlowId(i),
        user_id: Some(1),
        name: format!("Flow number {i} with a fairly long name"),
        content: Some(format!("Hello {{{{NAME}}}}, message {i}")),
        device_id: Some(1 + i % 3),
        sim_subscription_id: Some(1),
        segment: Some(SegmentRef::All),
        wait_time: Some((i % 90 + 1) as i64),
        wait_unit: Some(WaitUnit::Days),
        enabled: !i.is_multiple_of(3),
        sent: Some((i * 7919 % 10_000) as i64),
        pending: Some((i % 50) as i64),
        failed: Some((i % 13) as i64),
        last_sent: Some(jiff::Timestamp::from_second(1_790_000_000 - i as i64 * 60).unwrap()),
        last_changed: None,
        created: Some(jiff::Timestamp::from_second(1_760_000_000).unwrap()),
        blocked: None,
    }
}

fn loaded_state(n: u64, width: u16, height: u16) -> State {
    let mut state = State::new(Context::default(), 1000);
    let mut cmds = flowdash::app::start(&mut state);
    update(&mut state, Msg::Resize(width, height));
    update(
        &mut state,
        Msg::Tick {
            now: jiff::Timestamp::from_second(1_790_000_000).unwrap(),
            budget: None,
            poll_every: None,
        },
    );
    let req = match cmds.remove(0) {
        flowdash::app::Command::LoadPage { req, .. } => req,
        other => panic!("unexpected first command {other:?}"),
    };
    let page = Page {
        items: (1..=n).map(flow).collect(),
        page: 1,
        per_page: 1000,
        total: Some(n),
        total_pages: Some(1),
    };
    update(
        &mut state,
        Msg::PageLoaded {
            req,
            result: Ok((page, ServerKind::Documented)),
        },
    );
    state
}

fn draw(c: &mut Criterion) {
    for (n, w, h) in [(25, 80, 24), (25, 200, 50), (1000, 80, 24), (1000, 200, 50)] {
        let state = loaded_state(n, w, h);
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(&format!("draw {n} flows at {w}x{h}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| flowdash::ui::draw(f, black_box(&state)))
                    .unwrap();
            });
        });
    }
}

fn decode(c: &mut Criterion) {
    let items: Vec<serde_json::Value> = (1..=1000)
        .map(|i| {
            serde_json::json!({
                "id": i, "user_id": 1, "device_id": 2, "sim_subscription_id": 3,
                "name": format!("Flow &#39;{i}&#39; name"), "content": "Hi {{NAME}}, see you soon",
                "segment": "all", "settings": [], "wait_time": 2, "wait_time_type": "days",
                "is_enabled": true, "total_sent_sms": 4210, "total_pending_sms": 31,
                "total_failed_sms": 88, "last_sent_datetime": "2026-11-27 09:14:00",
                "last_datetime": null, "datetime": "2025-10-29 03:32:12"
            })
        })
        .collect();
    let body = serde_json::json!({
        "data": items,
        "meta": {"page": "1", "total_pages": 1, "results_per_page": 1000, "total_results": 1000}
    })
    .to_string();
    c.bench_function("decode a 1000-flow page", |b| {
        b.iter(|| wire::flow_page(black_box(body.as_bytes()), 1, 1000).unwrap());
    });
}

fn filter_and_sort(c: &mut Criterion) {
    let flows: Vec<Flow> = (1..=10_000).map(flow).collect();
    let filter = Filter {
        applied: "number 12".to_owned(),
        ..Filter::default()
    };
    let sort = Sort {
        key: Some(SortKey::Sent),
        descending: true,
    };
    c.bench_function("filter 10000 flows", |b| {
        b.iter(|| view::build(black_box(&flows), &filter, Sort::default()));
    });
    c.bench_function("sort 10000 flows by sent", |b| {
        b.iter(|| view::build(black_box(&flows), &Filter::default(), sort));
    });
}

criterion_group!(benches, draw, decode, filter_and_sort);
criterion_main!(benches);
