//! The traffic engine: CONTRACT §10 compressed from days into seconds. Contacts arrive for each
//! enabled flow and schedule an SMS (pending +1); once due, a phone sends it (pending −1, then
//! sent +1 with `last_sent_datetime`, or failed +1). Flows without a device never send.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::messages::Messages;
use super::store::{StoredFlow, datetime};
use crate::domain::phone_error::PHONE_ERRORS;

/// Due times kept per flow; beyond it (a flow no phone drains) only the counter grows.
const QUEUE_MAX: usize = 10_000;

/// Per-flow traffic parameters and the due times (engine seconds) of its scheduled SMS.
struct Lane {
    /// Contacts a second that trigger this flow.
    rate: f64,
    /// Share of sends that fail.
    failure: f64,
    /// Due time and SMS row (none for the SMS already pending when the demo started).
    due: Vec<(f64, Option<u64>)>,
}

pub(crate) struct Traffic {
    rng: StdRng,
    /// Engine seconds since the start, already scaled by the pace.
    clock: f64,
    lanes: BTreeMap<u64, Lane>,
}

/// Poisson-distributed count with mean `mean`, in slices small enough for Knuth's method.
fn poisson(rng: &mut StdRng, mean: f64) -> i64 {
    let mut left = mean.max(0.0);
    let mut count = 0;
    while left > 0.0 {
        let slice = left.min(20.0);
        left -= slice;
        let limit = (-slice).exp();
        let mut product: f64 = rng.random();
        while product > limit {
            count += 1;
            product *= rng.random::<f64>();
        }
    }
    count
}

impl Traffic {
    /// Lanes for the seeded flows, in id order so a seed always gives the same traffic.
    pub(crate) fn new(seed: u64, flows: &BTreeMap<u64, StoredFlow>) -> Traffic {
        let mut traffic = Traffic {
            rng: StdRng::seed_from_u64(seed),
            clock: 0.0,
            lanes: BTreeMap::new(),
        };
        for flow in flows.values() {
            traffic.lane(flow);
        }
        traffic
    }

    fn lane(&mut self, flow: &StoredFlow) -> &mut Lane {
        let rng = &mut self.rng;
        self.lanes.entry(flow.id).or_insert_with(|| {
            // SMS already pending when the demo starts fall due over the next ten minutes.
            let backlog = flow.total_pending_sms.clamp(0, 500);
            Lane {
                rate: rng.random_range(0.02..0.4),
                failure: rng.random_range(0.01..0.1),
                due: (0..backlog)
                    .map(|_| (rng.random_range(1.0..600.0), None))
                    .collect(),
            }
        })
    }

    /// Advances the engine by `seconds` of engine time, writing an SMS row for every count moved.
    pub(crate) fn step(
        &mut self,
        flows: &mut BTreeMap<u64, StoredFlow>,
        sms: &mut Messages,
        seconds: f64,
        now: Timestamp,
    ) {
        if !(seconds.is_finite() && seconds > 0.0) {
            return;
        }
        let start = self.clock;
        self.clock += seconds;
        let clock = self.clock;
        let stamp = datetime(now);
        self.lanes.retain(|id, _| flows.contains_key(id));
        for flow in flows.values_mut() {
            self.lane(flow);
            let Some(lane) = self.lanes.get_mut(&flow.id) else {
                continue;
            };
            if flow.is_enabled {
                let arrivals = poisson(&mut self.rng, lane.rate * seconds);
                for _ in 0..arrivals {
                    let arrived = self.rng.random_range(start..clock);
                    // The wait time, compressed: due one to four seconds after the contact.
                    let due = arrived + self.rng.random_range(1.0..4.0);
                    let id = sms.schedule(flow, &stamp);
                    if lane.due.len() < QUEUE_MAX {
                        lane.due.push((due, Some(id)));
                    }
                }
                flow.total_pending_sms += arrivals;
            }
            // A disabled flow's pending SMS still go out (CONTRACT §12 item 22).
            if flow.device_id.is_none() {
                continue;
            }
            let mut sent_any = false;
            let mut index = 0;
            while index < lane.due.len() {
                let (due, id) = lane.due[index];
                if due > clock {
                    index += 1;
                    continue;
                }
                lane.due.swap_remove(index);
                flow.total_pending_sms -= 1;
                if self.rng.random_bool(lane.failure) {
                    flow.total_failed_sms += 1;
                    // Mostly lost network (every pick past the table), sometimes another code.
                    let pick = self.rng.random_range(0..PHONE_ERRORS.len() * 2);
                    let error = PHONE_ERRORS
                        .get(pick)
                        .map_or("RESULT_ERROR_NO_SERVICE", |e| e.0);
                    sms.report(id, flow, Some(error), &stamp);
                } else {
                    flow.total_sent_sms += 1;
                    sent_any = true;
                    sms.report(id, flow, None, &stamp);
                }
            }
            if sent_any {
                flow.last_sent_datetime = Some(stamp.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_mean_is_about_right() {
        let mut rng = StdRng::seed_from_u64(7);
        let total: i64 = (0..1000).map(|_| poisson(&mut rng, 3.0)).sum();
        assert!((2700..3300).contains(&total), "{total}");
        assert!((4500..5500).contains(&poisson(&mut rng, 5000.0)));
    }
}
