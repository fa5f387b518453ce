use super::*;

const T0: Timestamp = Timestamp::constant(1_761_000_000, 0);

fn at(mins: i64) -> Timestamp {
    T0 + SignedDuration::from_mins(mins)
}

fn sample(mins: i64, sent: i64, pending: i64, failed: i64, enabled: bool) -> Sample {
    Sample {
        at: at(mins),
        sent: Some(sent),
        pending: Some(pending),
        failed: Some(failed),
        enabled,
    }
}

/// A series of readings a minute or more apart: (minute, sent, pending, failed, enabled).
fn series(rows: &[(i64, i64, i64, i64, bool)]) -> Series {
    let mut s = Series::default();
    for &(m, sent, pending, failed, on) in rows {
        s.push(
            sample(m, sent, pending, failed, on),
            SignedDuration::from_hours(1),
        );
    }
    s
}

const MIN30: SignedDuration = SignedDuration::from_mins(30);
const HOUR: SignedDuration = SignedDuration::from_hours(1);

#[test]
fn failed_share_fires_above_the_share_with_enough_messages() {
    // 40 finished in the window, 10 of them failed: 25 %.
    let s = series(&[(0, 100, 0, 5, true), (20, 130, 0, 15, true)]);
    assert_eq!(
        failed_share(&s, at(30), MIN30, 0.10, 20),
        Verdict::Firing(Some(0.25))
    );
    // The same share from 8 messages is too few to judge: clear.
    let s = series(&[(0, 100, 0, 5, true), (20, 106, 0, 7, true)]);
    assert_eq!(
        failed_share(&s, at(30), MIN30, 0.10, 20),
        Verdict::Clear(Some(0.25))
    );
    // Below the share.
    let s = series(&[(0, 100, 0, 5, true), (20, 195, 0, 10, true)]);
    assert_eq!(
        failed_share(&s, at(30), MIN30, 0.10, 20),
        Verdict::Clear(Some(0.05))
    );
}

#[test]
fn failed_share_counts_only_the_window() {
    // 50 failures long before the window, a clean window.
    let s = series(&[
        (0, 100, 0, 0, true),
        (10, 100, 0, 50, true),
        (40, 150, 0, 50, true),
        (60, 200, 0, 50, true),
    ]);
    assert_eq!(
        failed_share(&s, at(60), MIN30, 0.10, 20),
        Verdict::Clear(Some(0.0))
    );
}

#[test]
fn a_counter_reset_is_no_send_and_no_failure() {
    // The server's counters fall (drift) and rise again: only the rises count, from the new
    // base, so the share is neither negative nor inflated.
    let s = series(&[
        (0, 1000, 0, 100, true),
        (10, 20, 0, 2, true),
        (20, 50, 0, 2, true),
    ]);
    // 30 sent, 0 failed.
    assert_eq!(
        failed_share(&s, at(30), MIN30, 0.10, 20),
        Verdict::Clear(Some(0.0))
    );
    // A fall of `sent` is not a send: a stuck flow whose counter drifts down stays stuck.
    let s = series(&[
        (0, 100, 5, 0, true),
        (30, 90, 5, 0, true),
        (61, 90, 5, 0, true),
    ]);
    assert_eq!(pending_stuck(&s, at(61), HOUR), Verdict::Firing(Some(5.0)));
}

#[test]
fn too_few_readings_do_not_tell() {
    let one = series(&[(0, 100, 3, 50, true)]);
    assert_eq!(failed_share(&one, at(1), MIN30, 0.10, 20), Verdict::Unknown);
    assert_eq!(pending_stuck(&one, at(1), HOUR), Verdict::Unknown);
    assert_eq!(silent(&one, at(1), HOUR), Verdict::Unknown);
    assert_eq!(switched_off(&one, &[]), Verdict::Clear(None));
    // Readings of 5 minutes with few messages: the window is not covered, so no word yet...
    let young = series(&[(0, 100, 0, 0, true), (5, 103, 0, 1, true)]);
    assert_eq!(
        failed_share(&young, at(5), MIN30, 0.10, 20),
        Verdict::Unknown
    );
    // ...but what they show already passes both bounds: firing.
    let young = series(&[(0, 100, 0, 0, true), (5, 110, 0, 30, true)]);
    assert_eq!(
        failed_share(&young, at(5), MIN30, 0.10, 20),
        Verdict::Firing(Some(0.75))
    );
}

#[test]
fn failed_share_resolves_when_the_failures_leave_the_window() {
    let mut s = series(&[(0, 100, 0, 0, true), (10, 110, 0, 30, true)]);
    assert!(matches!(
        failed_share(&s, at(10), MIN30, 0.10, 20),
        Verdict::Firing(_)
    ));
    s.push(sample(45, 150, 0, 30, true), HOUR);
    assert_eq!(
        failed_share(&s, at(45), MIN30, 0.10, 20),
        Verdict::Clear(Some(0.0))
    );
}

#[test]
fn pending_stuck_waits_for_its_time_and_resolves_on_a_send() {
    let mut s = series(&[(0, 100, 4, 0, true), (30, 100, 4, 0, true)]);
    assert_eq!(pending_stuck(&s, at(30), HOUR), Verdict::Unknown);
    s.push(sample(60, 100, 4, 0, true), HOUR);
    assert_eq!(pending_stuck(&s, at(60), HOUR), Verdict::Firing(Some(4.0)));
    // A send: resolved.
    s.push(sample(61, 101, 3, 0, true), HOUR);
    assert_eq!(pending_stuck(&s, at(61), HOUR), Verdict::Clear(Some(3.0)));
    // Nothing pending is never stuck.
    let s = series(&[(0, 100, 0, 0, true), (90, 100, 0, 0, true)]);
    assert_eq!(pending_stuck(&s, at(90), HOUR), Verdict::Clear(Some(0.0)));
}

#[test]
fn pending_stuck_never_waits_less_than_the_flows_own_wait() {
    let rule = Rule::new("stuck", RuleKind::PendingStuck);
    let two_hours = FlowFacts {
        id: Some(1),
        name: "Slow".into(),
        wait: Some(SignedDuration::from_hours(2)),
    };
    let minutes = FlowFacts {
        wait: Some(SignedDuration::from_mins(5)),
        ..two_hours.clone()
    };
    assert_eq!(
        engine::stuck_after(&rule, &two_hours),
        SignedDuration::from_hours(2)
    );
    assert_eq!(engine::stuck_after(&rule, &minutes), HOUR);
    let mut alerting = Alerting::new(vec![rule]);
    for m in [0, 61, 90] {
        alerting.observe(1, two_hours.clone(), sample(m, 10, 2, 0, true));
    }
    assert!(alerting.evaluate(at(90), &|_| Vec::new()).is_empty());
    alerting.observe(1, two_hours, sample(121, 10, 2, 0, true));
    let j = alerting.evaluate(at(121), &|_| Vec::new());
    assert!(j[0].firing, "{j:?}");
    assert_eq!(
        j[0].text,
        "flow 1 \"Slow\": 2 pending and nothing sent for 2 h"
    );
}

#[test]
fn silent_fires_for_an_enabled_flow_only() {
    let s = series(&[(0, 5, 0, 0, true), (61, 5, 0, 0, true)]);
    assert_eq!(silent(&s, at(61), HOUR), Verdict::Firing(Some(61.0)));
    let off = series(&[(0, 5, 0, 0, false), (61, 5, 0, 0, false)]);
    assert_eq!(silent(&off, at(61), HOUR), Verdict::Clear(None));
    // Switched on 10 minutes ago, while watched: too soon, and known to be.
    let s = series(&[
        (0, 5, 0, 0, false),
        (51, 5, 0, 0, true),
        (61, 5, 0, 0, true),
    ]);
    assert_eq!(silent(&s, at(61), HOUR), Verdict::Clear(Some(10.0)));
}

#[test]
fn switched_off_needs_the_flow_seen_on_and_no_write_of_ours() {
    // Seen off once, just now: this machine's record of the write may still be on its way.
    let s = series(&[(0, 5, 0, 0, true), (1, 5, 0, 0, false)]);
    assert_eq!(switched_off(&s, &[]), Verdict::Unknown);
    assert_eq!(switched_off(&s, &[at(1)]), Verdict::Clear(None));
    let s = series(&[(0, 5, 0, 0, true), (1, 5, 0, 0, false), (2, 5, 0, 0, false)]);
    assert_eq!(switched_off(&s, &[]), Verdict::Firing(None));
    // This machine switched it off in between: no alert.
    assert_eq!(switched_off(&s, &[at(1)]), Verdict::Clear(None));
    // A write of ours from long before it was last seen on does not explain it.
    assert_eq!(switched_off(&s, &[at(-30)]), Verdict::Firing(None));
    // Off since first seen: nothing is known (a restart keeps the alert's state).
    let s = series(&[(0, 5, 0, 0, false), (1, 5, 0, 0, false)]);
    assert_eq!(switched_off(&s, &[]), Verdict::Unknown);
    // On again: resolved.
    let s = series(&[(0, 5, 0, 0, true), (1, 5, 0, 0, false), (2, 5, 0, 0, true)]);
    assert_eq!(switched_off(&s, &[]), Verdict::Clear(None));
}

#[test]
fn the_engine_judges_in_scope_and_in_words() {
    let mut failing = Rule::new("failing", RuleKind::FailedShare);
    failing.scope = Scope::Match("welcome".into());
    let mut only_two = Rule::new("off", RuleKind::SwitchedOff);
    only_two.scope = Scope::Flows(vec![2]);
    let mut alerting = Alerting::new(vec![failing, only_two]);
    let facts = |id: u64, name: &str| FlowFacts {
        id: Some(id),
        name: name.into(),
        wait: None,
    };
    for (m, on) in [(0, true), (31, false)] {
        alerting.observe(1, facts(1, "Welcome series"), sample(m, 100 + m, 0, m, on));
    }
    // Flow 2 seen off twice, a minute apart: long enough to judge.
    for (m, on) in [(0, true), (30, false), (31, false)] {
        alerting.observe(2, facts(2, "Win-back"), sample(m, 100 + m, 0, m, on));
    }
    let j = alerting.evaluate(at(31), &|_| Vec::new());
    let got: Vec<(&str, u64, bool, &str)> = j
        .iter()
        .map(|j| (j.name.as_str(), j.key, j.firing, j.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "failing",
                1,
                true,
                "flow 1 \"Welcome series\": 50.0 % of the messages of the last 30 min failed (above 10.0 %)"
            ),
            (
                "off",
                2,
                true,
                "flow 2 \"Win-back\": switched off, not by flowdash on this machine"
            ),
        ]
    );
}

#[test]
fn readings_close_together_are_merged_and_old_ones_forgotten() {
    let mut s = Series::default();
    for secs in (0..600).step_by(2) {
        s.push(
            Sample {
                at: T0 + SignedDuration::from_secs(secs),
                sent: Some(secs),
                pending: Some(0),
                failed: Some(0),
                enabled: true,
            },
            SignedDuration::from_mins(5),
        );
    }
    // Five minutes at a sample every 20 s or so, and the base before them.
    assert!(s.samples.len() <= 20, "{}", s.samples.len());
    assert!(s.samples[1].at > T0 + SignedDuration::from_mins(5) - SignedDuration::from_secs(2));
    let r = s.rises_since(T0 + SignedDuration::from_mins(5)).unwrap();
    assert!(r.covered);
    assert!((298..=320).contains(&r.sent), "{}", r.sent);
}

#[test]
fn durations_and_shares_read_as_words() {
    assert_eq!(duration_words(SignedDuration::from_secs(45)), "45 s");
    assert_eq!(duration_words(SignedDuration::from_mins(90)), "1 h 30 min");
    assert_eq!(duration_words(SignedDuration::from_hours(51)), "2 d 3 h");
    assert_eq!(duration_words(SignedDuration::from_hours(48)), "2 d");
    assert_eq!(percent(0.125), "12.5 %");
}
