//! The request scheduler (DESIGN.md §7): every request of the dashboard and of the CLI asks it for a
//! permit first and feeds it the answer's rate headers afterwards.
//!
//! The API allows 60 requests per fixed 60 s window per key, and the phones that send the SMS spend
//! the same key, so flowdash keeps to its own smaller share:
//!
//! - at most `budget` sends in any sliding 60 s, counted from a log of send times. A token bucket
//!   would let a full bucket burst on top of a window that already holds sends, which breaks the bound;
//! - `reserve` of those only operator actions may use, so a saturated live update never makes a
//!   keypress wait;
//! - a 429 stops everything until the server's reset: operators are refused with the countdown,
//!   polls wait and then resume by themselves;
//! - when the server's `X-RateLimit-Remaining` is at or below the reserve, somebody else (the phones)
//!   is spending the key, and polls wait for that server window to pass.
//!
//! Time is `tokio::time`, so the tests run on tokio's paused clock.
//!
//! Every flowdash process on the machine that uses the same key also passes the [`shared`] gate
//! after this scheduler's permit: the in-process log keeps its lanes, the operator-first order and
//! the server's word, and the shared file adds the bound across processes (DESIGN §14).

pub mod shared;

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

pub use shared::WINDOW;
use shared::{Claim, SharedBudget, SharedError};
use tokio::time::{Instant, sleep_until};

/// Live updates never go faster than this, however large the polling share.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// `X-RateLimit-Reset` values up to this are seconds left. Larger ones are read as an epoch time
/// (in seconds or in milliseconds) only when they lie within this many seconds of the wall clock:
/// the clocks of client and server may disagree, but not by a day.
const RESET_SECONDS_MAX: u64 = 86_400;

/// The server sends its TTL in whole seconds and may say 0 just before the window ends; waiting at
/// least this long keeps a 429 from being answered by an immediate second 429.
const MIN_COOLDOWN: Duration = Duration::from_secs(1);

/// Who is asking: an operator action (writes, the re-read before a write, manual refresh, page
/// changes) or background work (live updates, detail fetches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    /// Something the operator asked for; may use the whole budget, reserve included.
    Operator,
    /// Background polling; limited to the budget minus the reserve.
    Poll,
}

/// The share of the key's 60 requests a minute that flowdash allows itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetConfig {
    /// Sends allowed in any sliding 60 s. 0 is treated as 1: a scheduler that can never send would
    /// hang every request, including the operator's.
    pub budget: u32,
    /// How many of those only operator actions may use. Clamped to the budget; when it reaches the
    /// budget, polling gets nothing and `acquire(Priority::Poll)` is refused with
    /// [`Held::NoPollShare`].
    pub reserve: u32,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            budget: 30,
            reserve: 10,
        }
    }
}

/// Why a request may not be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    /// The server answered 429; nothing may be sent until the countdown has run out.
    RateLimited {
        /// Time left until the server's window ends.
        retry_in: Duration,
    },
    /// Polling was asked for but the reserve takes the whole budget.
    NoPollShare,
}

impl fmt::Display for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RateLimited { retry_in } => {
                // Rounded up: "retry in 0 s" while still refused would read as a bug.
                let secs = retry_in.as_secs() + u64::from(retry_in.subsec_nanos() > 0);
                write!(f, "rate limited by the server, retry in {secs} s")
            }
            Self::NoPollShare => write!(f, "polling is off: the reserve takes the whole budget"),
        }
    }
}

impl std::error::Error for Held {}

/// What the dashboard shows of the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetSnapshot {
    /// The budget minus the sends of the last sliding 60 s.
    pub left: u32,
    /// The budget (after the guard against 0).
    pub share: u32,
    /// Time left of a 429 countdown, if one runs.
    pub cooldown: Option<Duration>,
    /// The last `X-RateLimit-Remaining` the server sent; 0 after a 429, which carries none.
    pub server_remaining: Option<i64>,
    /// Polls are stopped by the server's word (a 429, or Remaining at or below the reserve) or have
    /// no share at all. Our own pacing does not count: `next_poll_at` tells when a poll may go.
    pub polling_held: bool,
}

impl BudgetSnapshot {
    /// Whole minutes `requests` take at this budget's pace beyond what is left of this minute;
    /// `None` when they fit in what is left now and no 429 countdown runs.
    pub fn minutes_for(&self, requests: u32) -> Option<u32> {
        if requests <= self.left && self.cooldown.is_none() {
            return None;
        }
        Some(
            requests
                .saturating_sub(self.left)
                .div_ceil(self.share.max(1))
                .max(1),
        )
    }
}

/// The scheduler; cheap to clone, all clones share one log.
#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    budget: u32,
    reserve: u32,
    /// The count every process on this machine shares, when its file could be opened.
    shared: Option<Arc<SharedBudget>>,
    state: Mutex<State>,
    /// Woken whenever a waiter's answer may have changed: a send, a waiter leaving, an observation.
    /// Time-based changes (a send leaving the window) are waited for with `sleep_until` instead.
    changed: Notify,
}

#[derive(Default)]
struct State {
    /// Send times of the last 60 s, oldest first.
    sends: VecDeque<Instant>,
    cooldown_until: Option<Instant>,
    polls_held_until: Option<Instant>,
    server_remaining: Option<i64>,
    next_ticket: u64,
    /// Waiting acquires in arrival order; only the front of a queue may take a free slot, and polls
    /// only while no operator waits.
    operators: VecDeque<u64>,
    polls: VecDeque<u64>,
}

/// What one look at the state tells a waiting acquire to do.
enum Step {
    Sent,
    Refused(Held),
    SleepUntil(Instant),
    AwaitChange,
}

impl State {
    fn forget_old_sends(&mut self, now: Instant) {
        // A send at `s` occupies [s, s + 60 s): one at exactly s + 60 s starts a new window.
        while self.sends.front().is_some_and(|&s| s + WINDOW <= now) {
            self.sends.pop_front();
        }
    }

    /// When the log will hold fewer than `limit` sends (None: it already does). `limit` ≥ 1.
    fn slot_free_at(&self, limit: u32) -> Option<Instant> {
        let limit = limit as usize;
        let len = self.sends.len();
        // Sends 0..=len-limit must all leave; the newest of them leaves last.
        (len >= limit).then(|| self.sends[len - limit] + WINDOW)
    }

    fn cooldown_left(&self, now: Instant) -> Option<Duration> {
        self.cooldown_until
            .filter(|&until| until > now)
            .map(|until| until - now)
    }

    /// When the server's word (429 countdown, low Remaining) stops holding polls.
    fn server_hold_until(&self, now: Instant) -> Option<Instant> {
        self.cooldown_until
            .into_iter()
            .chain(self.polls_held_until)
            .filter(|&until| until > now)
            .max()
    }

    fn queue(&mut self, p: Priority) -> &mut VecDeque<u64> {
        match p {
            Priority::Operator => &mut self.operators,
            Priority::Poll => &mut self.polls,
        }
    }

    fn leave(&mut self, p: Priority, ticket: u64) {
        self.queue(p).retain(|&t| t != ticket);
    }
}

/// A place in a waiting queue. Dropping it (the acquire finished or its future was dropped) leaves
/// the queue and wakes the others, so a cancelled acquire never blocks the ones behind it.
struct Ticket<'a> {
    scheduler: &'a Scheduler,
    priority: Priority,
    id: u64,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.scheduler.lock().leave(self.priority, self.id);
        self.scheduler.inner.changed.notify_waiters();
    }
}

impl Scheduler {
    pub fn new(cfg: BudgetConfig) -> Self {
        Self::with_shared(cfg, None)
    }

    /// A scheduler whose sends also count in (and are bounded by) the shared file.
    pub fn with_shared(cfg: BudgetConfig, shared: Option<SharedBudget>) -> Self {
        let budget = cfg.budget.max(1);
        Self {
            inner: Arc::new(Inner {
                budget,
                reserve: cfg.reserve.min(budget),
                shared: shared.map(Arc::new),
                state: Mutex::new(State::default()),
                changed: Notify::new(),
            }),
        }
    }

    /// The sends polls may use: the budget minus the reserve, possibly 0.
    pub fn poll_share(&self) -> u32 {
        self.inner.budget - self.inner.reserve
    }

    /// The fastest pace the polling share allows: max(2 s, 60 s / share). With no share, 60 s
    /// (polls are refused anyway). `acquire` does not enforce it: detail fetches share the polling
    /// budget, and the live-update timer paces itself with this.
    pub fn poll_interval(&self) -> Duration {
        let share = self.poll_share().max(1);
        (WINDOW / share).max(MIN_POLL_INTERVAL)
    }

    /// Waits until this request may be sent, then records its send time (the permit is spent).
    ///
    /// Operator: may use the whole budget; refused at once with the countdown while a 429 cooldown
    /// runs (also when the 429 arrives while it waits for a slot). Poll: only the budget minus the
    /// reserve; also waits while the server's Remaining is at or below the reserve and during a 429
    /// cooldown; refused only when it has no share at all. Operators are served in arrival order and
    /// before any waiting poll.
    pub async fn acquire(&self, p: Priority) -> Result<(), Held> {
        if p == Priority::Poll && self.poll_share() == 0 {
            return Err(Held::NoPollShare);
        }
        let ticket = self.join(p);
        loop {
            // Registered before looking at the state, so a change between the look and the wait
            // still wakes us.
            let changed = self.inner.changed.notified();
            let step = self.step(&mut self.lock(), p, ticket.id, Instant::now());
            match step {
                Step::Sent => return Ok(()),
                Step::Refused(why) => return Err(why),
                Step::SleepUntil(at) => {
                    tokio::select! {
                        () = sleep_until(at) => {}
                        () = changed => {}
                    }
                }
                Step::AwaitChange => changed.await,
            }
        }
    }

    /// Whether the sends are also counted across processes.
    pub fn is_shared(&self) -> bool {
        self.inner.shared.is_some()
    }

    /// The shared gate, asked after [`Scheduler::acquire`] and before the send: counts the sends
    /// of every process for this key and records this one when the lane's limit allows (the
    /// whole budget for operators, the polling share for polls). Runs on a blocking thread, as
    /// it may wait up to [`shared::LOCK_WAIT`] for another process. Without a shared file, every
    /// send is granted.
    pub async fn claim_shared(&self, p: Priority) -> Result<Claim, SharedError> {
        let Some(shared) = self.inner.shared.clone() else {
            return Ok(Claim::Granted);
        };
        let limit = match p {
            Priority::Operator => self.inner.budget,
            Priority::Poll => self.poll_share(),
        };
        let claim = tokio::task::spawn_blocking(move || shared.claim(limit))
            .await
            .unwrap_or_else(|e| Err(SharedError::Failed(e.to_string())))?;
        if let Claim::Blocked { retry_in } = claim {
            // Another process saw a 429: this one counts down too, so the dashboard shows it
            // and polls hold.
            self.hold_for(retry_in);
        }
        Ok(claim)
    }

    /// Tells every process that the server answered 429: none sends for `wait`.
    pub async fn share_429(&self, wait: Duration) -> Result<(), SharedError> {
        let Some(shared) = self.inner.shared.clone() else {
            return Ok(());
        };
        tokio::task::spawn_blocking(move || shared.block_for(wait))
            .await
            .unwrap_or_else(|e| Err(SharedError::Failed(e.to_string())))
    }

    /// A 429 countdown learnt from elsewhere (another process, through the shared file).
    fn hold_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        {
            let mut st = self.lock();
            st.cooldown_until = st.cooldown_until.max(Some(until));
        }
        self.inner.changed.notify_waiters();
    }

    /// Whether a retry of a failed read could be sent right now: see [`Scheduler::take_retry_slot`].
    pub fn retry_slot_free(&self) -> bool {
        self.retry_slot(false)
    }

    /// Takes a permit for a retry of a failed read, if one is free right now. Retries are the
    /// live lane's work (DESIGN §7): they count against the polling share, never against the
    /// operator's reserve, whoever asked for the read. They never wait either: a retry that
    /// finds the share spent gives up, since the next refresh or poll reads afresh anyway.
    /// (Measured on the first version: `r` held during 5xx answers spent the whole budget on
    /// retries in 13 s, and a switch then waited 26 s for a slot.)
    pub fn take_retry_slot(&self) -> bool {
        self.retry_slot(true)
    }

    fn retry_slot(&self, take: bool) -> bool {
        let share = self.poll_share();
        if share == 0 {
            return false;
        }
        let now = Instant::now();
        let mut st = self.lock();
        st.forget_old_sends(now);
        // Waiting operators and polls come first; the server's word holds retries as it holds polls.
        let free = st.operators.is_empty()
            && st.polls.is_empty()
            && st.server_hold_until(now).is_none()
            && st.slot_free_at(share).is_none();
        if free && take {
            st.sends.push_back(now);
        }
        free
    }

    /// Non-blocking: when a poll could go next (None = now, or polling has no share; `acquire`
    /// says which). Ignores operators waiting right now. For the dashboard's live timer.
    pub fn next_poll_at(&self) -> Option<Instant> {
        let share = self.poll_share();
        if share == 0 {
            return None;
        }
        let now = Instant::now();
        let mut st = self.lock();
        st.forget_old_sends(now);
        st.server_hold_until(now)
            .into_iter()
            .chain(st.slot_free_at(share))
            .max()
            .filter(|&at| at > now)
    }

    /// Feeds one answer's rate headers: the status, `X-RateLimit-Remaining` and
    /// `X-RateLimit-Reset` (read by [`reset_wait`]).
    pub fn observe(&self, status: u16, remaining: Option<i64>, reset: Option<u64>) {
        self.observe_at(status, remaining, reset, Instant::now(), SystemTime::now());
    }

    fn observe_at(
        &self,
        status: u16,
        remaining: Option<i64>,
        reset: Option<u64>,
        now: Instant,
        wall: SystemTime,
    ) {
        let reset_in = reset.and_then(|r| reset_wait(r, wall));
        {
            let mut st = self.lock();
            if status == 429 {
                let cooldown = cooldown_after_429(reset, wall);
                st.cooldown_until = st.cooldown_until.max(Some(now + cooldown));
                st.server_remaining = Some(remaining.unwrap_or(0));
            } else if let Some(left) = remaining {
                st.server_remaining = Some(left);
                if left <= i64::from(self.inner.reserve) {
                    // The server's window is fixed from its first request, which we may never have
                    // seen (the phones share the key): it ends at the latest 60 s from now. Each
                    // low answer extends the hold, as it may already belong to the next window.
                    let until = now + reset_in.unwrap_or(WINDOW);
                    st.polls_held_until = st.polls_held_until.max(Some(until));
                } else {
                    // Remaining only falls within a window, so a higher value means a new one.
                    // (An answer overtaken by a later request's answer could fool this; the
                    // dashboard sends one request at a time, and the sliding log still bounds us.)
                    st.polls_held_until = None;
                }
            }
        }
        // An operator waiting for a slot must hear of a 429 now, a held poll of a release.
        self.inner.changed.notify_waiters();
    }

    pub fn snapshot(&self) -> BudgetSnapshot {
        let now = Instant::now();
        let mut st = self.lock();
        st.forget_old_sends(now);
        // Other processes' sends count against this one too (as the last shared claim saw them).
        let sent = u32::try_from(st.sends.len())
            .unwrap_or(u32::MAX)
            .max(self.inner.shared.as_ref().map_or(0, |s| s.seen_in_window()));
        BudgetSnapshot {
            left: self.inner.budget.saturating_sub(sent),
            share: self.inner.budget,
            cooldown: st.cooldown_left(now),
            server_remaining: st.server_remaining,
            polling_held: self.poll_share() == 0 || st.server_hold_until(now).is_some(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update leaves the state consistent before anything can panic, so a poisoned lock
        // still holds good data.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn join(&self, p: Priority) -> Ticket<'_> {
        let mut st = self.lock();
        let id = st.next_ticket;
        st.next_ticket += 1;
        st.queue(p).push_back(id);
        Ticket {
            scheduler: self,
            priority: p,
            id,
        }
    }

    /// One look at the state for the acquire holding `ticket`; sends (records the time and leaves
    /// the queue) when it may.
    fn step(&self, st: &mut State, p: Priority, ticket: u64, now: Instant) -> Step {
        st.forget_old_sends(now);
        let limit = match p {
            Priority::Operator => {
                if let Some(retry_in) = st.cooldown_left(now) {
                    return Step::Refused(Held::RateLimited { retry_in });
                }
                if st.operators.front() != Some(&ticket) {
                    return Step::AwaitChange;
                }
                self.inner.budget
            }
            Priority::Poll => {
                if let Some(until) = st.server_hold_until(now) {
                    return Step::SleepUntil(until);
                }
                // An operator waiting means the budget is full for it, and so for polls; when a
                // slot frees, the operator must get it first.
                if !st.operators.is_empty() || st.polls.front() != Some(&ticket) {
                    return Step::AwaitChange;
                }
                self.poll_share()
            }
        };
        if let Some(at) = st.slot_free_at(limit) {
            return Step::SleepUntil(at);
        }
        st.sends.push_back(now);
        st.leave(p, ticket);
        Step::Sent
    }
}

/// The one reader of `X-RateLimit-Reset`: the time left of the server's window, at most
/// [`WINDOW`]. The header may hold seconds left, an epoch time in seconds or one in milliseconds
/// (DESIGN §7); the server's window is 60 s, so no form may make flowdash wait longer than that.
/// `None` for a value that is none of the three (an epoch in 1973 or in the year 5000, say):
/// callers then treat the window as unknown, which costs at most one window too.
pub fn reset_wait(reset: u64, wall: SystemTime) -> Option<Duration> {
    if reset <= RESET_SECONDS_MAX {
        return Some(Duration::from_secs(reset).min(WINDOW));
    }
    let now = wall.duration_since(UNIX_EPOCH).unwrap_or_default();
    let at = if reset.abs_diff(now.as_secs()) <= RESET_SECONDS_MAX {
        Duration::from_secs(reset)
    } else if u128::from(reset).abs_diff(now.as_millis()) <= u128::from(RESET_SECONDS_MAX) * 1000 {
        Duration::from_millis(reset)
    } else {
        return None;
    };
    // An epoch in the past: the window is over.
    Some(at.saturating_sub(now).min(WINDOW))
}

/// How long nothing may be sent after a 429 with this `X-RateLimit-Reset`. Without a usable
/// reset we cannot know where the server's window stands; a whole window is the longest it can
/// take. At least [`MIN_COOLDOWN`], so that a reset of 0 is not answered by a second 429.
pub fn cooldown_after_429(reset: Option<u64>, wall: SystemTime) -> Duration {
    reset
        .and_then(|r| reset_wait(r, wall))
        .unwrap_or(WINDOW)
        .max(MIN_COOLDOWN)
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::task::JoinHandle;
    use tokio::time::sleep;

    const SEC: Duration = Duration::from_secs(1);

    fn scheduler(budget: u32, reserve: u32) -> Scheduler {
        Scheduler::new(BudgetConfig { budget, reserve })
    }

    type SendLog = Arc<Mutex<Vec<(Instant, Priority)>>>;

    /// The most sends in any window [t, t + 60 s); windows starting at a send are enough.
    fn busiest_window(times: &[Instant]) -> usize {
        let mut times = times.to_vec();
        times.sort();
        let mut end = 0;
        let mut most = 0;
        for (start, &t) in times.iter().enumerate() {
            while end < times.len() && times[end] < t + WINDOW {
                end += 1;
            }
            most = most.max(end - start);
        }
        most
    }

    fn times_of(log: &SendLog, p: Option<Priority>) -> Vec<Instant> {
        log.lock()
            .unwrap()
            .iter()
            .filter(|(_, q)| p.is_none_or(|p| p == *q))
            .map(|&(t, _)| t)
            .collect()
    }

    /// A task that polls as fast as the scheduler lets it, logging every send.
    fn poll_hammer(s: &Scheduler, log: &SendLog, until: Instant) -> JoinHandle<()> {
        let (s, log) = (s.clone(), log.clone());
        tokio::spawn(async move {
            while Instant::now() < until {
                s.acquire(Priority::Poll).await.unwrap();
                log.lock().unwrap().push((Instant::now(), Priority::Poll));
            }
        })
    }

    /// Runs `fut` until it is done or `within` has passed; true if it finished.
    async fn finishes_within<F: Future>(within: Duration, fut: F) -> bool {
        tokio::time::timeout(within, fut).await.is_ok()
    }

    #[test]
    fn busiest_window_sees_a_burst() {
        // The checker itself must be able to fail the window test.
        let t0 = Instant::now();
        let mut times: Vec<_> = (0..31).map(|i| t0 + SEC * i).collect();
        assert_eq!(busiest_window(&times), 31);
        times[0] = t0 - SEC * 30;
        assert_eq!(busiest_window(&times), 30);
        // A send at exactly t + 60 s is in the next window.
        assert_eq!(busiest_window(&[t0, t0 + WINDOW]), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn no_sliding_minute_holds_more_than_the_budget() {
        let s = scheduler(30, 10);
        let log = SendLog::default();
        let t0 = Instant::now();
        let until = t0 + WINDOW * 5;
        let mut tasks: Vec<_> = (0..4).map(|_| poll_hammer(&s, &log, until)).collect();
        // Bursts of operator actions of different sizes and rhythms, some larger than the reserve.
        for (burst, pause) in [(2, 17), (12, 113), (4, 41)] {
            let (s, log) = (s.clone(), log.clone());
            tasks.push(tokio::spawn(async move {
                while Instant::now() < until {
                    for _ in 0..burst {
                        s.acquire(Priority::Operator).await.unwrap();
                        log.lock()
                            .unwrap()
                            .push((Instant::now(), Priority::Operator));
                    }
                    sleep(SEC * pause).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }

        let all = times_of(&log, None);
        assert_eq!(busiest_window(&all), 30);
        assert_eq!(busiest_window(&times_of(&log, Some(Priority::Poll))), 20);
        // The bound is reached, not kept by sending little: polls alone would make 100 in five
        // minutes, and operator bursts do not starve them.
        assert!(all.len() >= 130, "only {} sends", all.len());
        assert!(times_of(&log, Some(Priority::Poll)).len() >= 40);
        assert!(times_of(&log, Some(Priority::Operator)).len() >= 60);
    }

    #[tokio::test(start_paused = true)]
    async fn operators_use_the_reserve_while_polling_is_saturated() {
        let s = scheduler(30, 10);
        let log = SendLog::default();
        let t0 = Instant::now();
        let hammers: Vec<_> = (0..3)
            .map(|_| poll_hammer(&s, &log, t0 + WINDOW * 10))
            .collect();
        sleep(SEC).await;
        assert_eq!(times_of(&log, Some(Priority::Poll)), vec![t0; 20]);
        assert_eq!(s.snapshot().left, 10);
        assert_eq!(s.next_poll_at(), Some(t0 + WINDOW));

        let before = Instant::now();
        for _ in 0..10 {
            s.acquire(Priority::Operator).await.unwrap();
        }
        assert_eq!(
            Instant::now(),
            before,
            "operators waited for a slot in the reserve"
        );
        assert_eq!(s.snapshot().left, 0);
        assert_eq!(times_of(&log, Some(Priority::Poll)).len(), 20);

        // The 11th operator waits for the first polls to leave the window, and goes before the
        // polls waiting for the same moment.
        s.acquire(Priority::Operator).await.unwrap();
        assert_eq!(Instant::now(), t0 + WINDOW);
        sleep(SEC / 2).await;
        let polls = times_of(&log, Some(Priority::Poll));
        assert_eq!(
            polls.len(),
            29,
            "polls fill the share left beside 11 operator sends"
        );
        for hammer in hammers {
            hammer.abort();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_stops_everything_until_the_reset_then_polling_resumes() {
        let s = scheduler(30, 10);
        let log = SendLog::default();
        let t0 = Instant::now();
        s.observe(429, None, Some(7));

        assert_eq!(
            s.acquire(Priority::Operator).await,
            Err(Held::RateLimited { retry_in: SEC * 7 })
        );
        let snap = s.snapshot();
        assert_eq!(snap.cooldown, Some(SEC * 7));
        assert!(snap.polling_held);
        assert_eq!(snap.server_remaining, Some(0));
        assert_eq!(s.next_poll_at(), Some(t0 + SEC * 7));

        let hammer = poll_hammer(&s, &log, t0 + SEC * 20);
        sleep(SEC * 3).await;
        assert_eq!(
            s.acquire(Priority::Operator).await,
            Err(Held::RateLimited { retry_in: SEC * 4 })
        );
        hammer.await.unwrap();

        // Polling resumed by itself at the reset, with its share, and then went on at its pace.
        let polls = times_of(&log, Some(Priority::Poll));
        let mut expected = vec![t0 + SEC * 7; 20];
        expected.push(t0 + SEC * 67);
        assert_eq!(polls, expected);
        assert_eq!(s.snapshot().cooldown, None);
        assert_eq!(s.acquire(Priority::Operator).await, Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_without_reset_waits_a_whole_window() {
        let s = scheduler(30, 10);
        let t0 = Instant::now();
        s.observe(429, None, None);
        assert_eq!(
            s.acquire(Priority::Operator).await,
            Err(Held::RateLimited { retry_in: WINDOW })
        );
        s.acquire(Priority::Poll).await.unwrap();
        assert_eq!(Instant::now(), t0 + WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_refuses_an_operator_already_waiting_for_a_slot() {
        let s = scheduler(2, 0);
        let t0 = Instant::now();
        s.acquire(Priority::Operator).await.unwrap();
        s.acquire(Priority::Operator).await.unwrap();
        let waiting = tokio::spawn({
            let s = s.clone();
            async move { s.acquire(Priority::Operator).await }
        });
        sleep(SEC * 10).await;
        s.observe(429, None, Some(30));
        assert_eq!(
            waiting.await.unwrap(),
            Err(Held::RateLimited { retry_in: SEC * 30 })
        );
        assert_eq!(
            Instant::now(),
            t0 + SEC * 10,
            "refused at once, not after the slot wait"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn remaining_at_the_reserve_holds_polls_but_not_operators() {
        let s = scheduler(30, 10);
        let t0 = Instant::now();
        s.observe(200, Some(11), None);
        assert!(!s.snapshot().polling_held);
        assert_eq!(s.next_poll_at(), None);

        s.observe(200, Some(10), None);
        let snap = s.snapshot();
        assert!(snap.polling_held);
        assert_eq!(snap.server_remaining, Some(10));
        assert_eq!(s.next_poll_at(), Some(t0 + WINDOW));

        let poll = tokio::spawn({
            let s = s.clone();
            async move {
                s.acquire(Priority::Poll).await.unwrap();
                Instant::now()
            }
        });
        for _ in 0..5 {
            s.acquire(Priority::Operator).await.unwrap();
        }
        assert_eq!(Instant::now(), t0, "operators went at once");
        assert_eq!(
            poll.await.unwrap(),
            t0 + WINDOW,
            "the poll waited out the server window"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_later_answer_above_the_reserve_releases_polls() {
        let s = scheduler(30, 10);
        let t0 = Instant::now();
        s.observe(200, Some(3), None);
        let poll = tokio::spawn({
            let s = s.clone();
            async move {
                s.acquire(Priority::Poll).await.unwrap();
                Instant::now()
            }
        });
        sleep(SEC * 5).await;
        assert!(!poll.is_finished());
        // A new server window: an operator's request showed a fresh counter.
        s.observe(200, Some(58), None);
        assert_eq!(poll.await.unwrap(), t0 + SEC * 5);
        assert!(!s.snapshot().polling_held);
    }

    #[tokio::test(start_paused = true)]
    async fn a_known_reset_bounds_the_hold_on_polls() {
        let s = scheduler(30, 10);
        let t0 = Instant::now();
        s.observe(200, Some(0), Some(12));
        s.acquire(Priority::Poll).await.unwrap();
        assert_eq!(Instant::now(), t0 + SEC * 12);
    }

    #[tokio::test(start_paused = true)]
    async fn an_epoch_reset_is_converted_with_the_wall_clock() {
        let s = scheduler(30, 10);
        let t0 = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        s.observe_at(429, None, Some(1_700_000_007), t0, wall);
        assert_eq!(s.snapshot().cooldown, Some(SEC * 7));
        s.acquire(Priority::Poll).await.unwrap();
        assert_eq!(Instant::now(), t0 + SEC * 7);

        // The public entry point reads the real wall clock.
        let now_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        s.observe(429, None, Some(now_epoch + 8));
        let cooldown = s.snapshot().cooldown.unwrap();
        assert!(cooldown > SEC * 6 && cooldown <= SEC * 8, "{cooldown:?}");
    }

    #[test]
    fn reset_forms_and_garbage() {
        let wall = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let wait = |r| reset_wait(r, wall);
        // Seconds left, bounded to the server's window.
        assert_eq!(wait(0), Some(Duration::ZERO));
        assert_eq!(wait(7), Some(SEC * 7));
        assert_eq!(wait(60), Some(WINDOW));
        assert_eq!(wait(3_600), Some(WINDOW), "an hour left is not believed");
        assert_eq!(wait(86_400), Some(WINDOW));
        // An epoch in seconds: past, near, far.
        assert_eq!(wait(1_699_999_000), Some(Duration::ZERO));
        assert_eq!(wait(1_700_000_012), Some(SEC * 12));
        assert_eq!(wait(1_700_050_000), Some(WINDOW));
        // An epoch in milliseconds: past, near (to the millisecond), far.
        assert_eq!(wait(1_699_999_990_000), Some(Duration::ZERO));
        assert_eq!(wait(1_700_000_012_500), Some(Duration::from_millis(12_500)));
        assert_eq!(wait(1_700_050_000_000), Some(WINDOW));
        // None of the three: 10^11 is 1973 in milliseconds and the year 5138 in seconds.
        assert_eq!(wait(86_401), None);
        assert_eq!(wait(100_000_000_000), None);
        assert_eq!(wait(u64::MAX), None);
        // Before 1970 on the wall clock: no panic.
        assert_eq!(reset_wait(1_700_000_000, UNIX_EPOCH), None);
    }

    #[test]
    fn a_429_waits_at_most_one_window_whatever_the_reset() {
        let wall = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for reset in [
            None,
            Some(86_400),
            Some(100_000_000_000),
            Some(1_700_050_000),
            Some(1_700_050_000_000),
            Some(u64::MAX),
        ] {
            assert_eq!(cooldown_after_429(reset, wall), WINDOW, "{reset:?}");
        }
        assert_eq!(cooldown_after_429(Some(9), wall), SEC * 9);
        assert_eq!(cooldown_after_429(Some(0), wall), MIN_COOLDOWN);
        assert_eq!(cooldown_after_429(Some(1_699_999_000), wall), MIN_COOLDOWN);
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurd_reset_does_not_lock_the_operator_out() {
        let s = scheduler(30, 10);
        let t0 = Instant::now();
        s.observe(429, None, Some(100_000_000_000));
        assert_eq!(
            s.acquire(Priority::Operator).await,
            Err(Held::RateLimited { retry_in: WINDOW })
        );
        s.acquire(Priority::Poll).await.unwrap();
        assert_eq!(Instant::now(), t0 + WINDOW);

        // A low Remaining with an epoch in milliseconds holds polls for at most a window too.
        let s = scheduler(30, 10);
        let t0 = Instant::now();
        let epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let far = u64::try_from(epoch_ms).unwrap() + 3_600_000;
        s.observe(200, Some(0), Some(far));
        s.acquire(Priority::Poll).await.unwrap();
        assert_eq!(Instant::now(), t0 + WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_of_zero_still_cools_down_a_second() {
        let s = scheduler(30, 10);
        s.observe(429, None, Some(0));
        assert_eq!(
            s.acquire(Priority::Operator).await,
            Err(Held::RateLimited {
                retry_in: MIN_COOLDOWN
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn operators_go_first_and_in_order_when_a_slot_frees() {
        let s = scheduler(3, 0);
        let t0 = Instant::now();
        for i in 0..3 {
            s.acquire(Priority::Operator).await.unwrap();
            sleep(if i < 2 { SEC } else { Duration::ZERO }).await;
        }
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, p) in [
            ("poll", Priority::Poll),
            ("op a", Priority::Operator),
            ("op b", Priority::Operator),
        ] {
            let (s, order) = (s.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                s.acquire(p).await.unwrap();
                order.lock().unwrap().push((name, Instant::now() - t0));
            }));
            // Let it start waiting before the next one arrives.
            tokio::task::yield_now().await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(
            *order.lock().unwrap(),
            vec![("op a", SEC * 60), ("op b", SEC * 61), ("poll", SEC * 62)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_acquire_does_not_block_the_queue() {
        let s = scheduler(1, 0);
        let t0 = Instant::now();
        s.acquire(Priority::Operator).await.unwrap();
        // The first waiter gives up; the one behind it must still get the slot.
        assert!(!finishes_within(SEC, s.acquire(Priority::Operator)).await);
        // Bounded, so a stuck queue fails the test instead of hanging it.
        assert!(finishes_within(WINDOW * 2, s.acquire(Priority::Operator)).await);
        assert_eq!(Instant::now(), t0 + WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn config_guards() {
        let none = scheduler(0, 0);
        assert_eq!(none.snapshot().share, 1, "budget 0 is treated as 1");
        none.acquire(Priority::Operator).await.unwrap();
        assert_eq!(none.snapshot().left, 0);

        let reserved = scheduler(5, 9);
        assert_eq!(reserved.poll_share(), 0);
        assert_eq!(
            reserved.acquire(Priority::Poll).await,
            Err(Held::NoPollShare)
        );
        assert!(reserved.snapshot().polling_held);
        assert_eq!(reserved.poll_interval(), WINDOW);
        let t0 = Instant::now();
        for _ in 0..5 {
            reserved.acquire(Priority::Operator).await.unwrap();
        }
        assert_eq!(Instant::now(), t0, "operators have the whole budget");
    }

    #[tokio::test(start_paused = true)]
    async fn retries_use_the_live_share_and_leave_the_reserve_alone() {
        let s = scheduler(12, 10);
        // An operator's read, then its retries: only the two sends of the live share go.
        s.acquire(Priority::Operator).await.unwrap();
        assert!(s.retry_slot_free());
        assert!(s.take_retry_slot());
        assert!(!s.retry_slot_free());
        assert!(!s.take_retry_slot());
        assert_eq!(s.snapshot().left, 10, "the reserve is whole");
        let t0 = Instant::now();
        for _ in 0..10 {
            s.acquire(Priority::Operator).await.unwrap();
        }
        assert_eq!(Instant::now(), t0, "operators did not wait");

        // Nor during a 429 countdown or a server hold, nor without a polling share.
        let s = scheduler(30, 10);
        s.observe(200, Some(3), None);
        assert!(!s.take_retry_slot());
        let s = scheduler(30, 10);
        s.observe(429, None, Some(5));
        assert!(!s.take_retry_slot());
        sleep(SEC * 5).await;
        assert!(s.take_retry_slot());
        assert!(!scheduler(10, 10).take_retry_slot());
    }

    #[test]
    fn poll_interval_follows_the_share() {
        assert_eq!(
            Scheduler::new(BudgetConfig::default()).poll_interval(),
            SEC * 3
        );
        assert_eq!(scheduler(60, 10).poll_interval(), MIN_POLL_INTERVAL);
        assert_eq!(scheduler(11, 10).poll_interval(), WINDOW);
        assert_eq!(scheduler(17, 10).poll_interval(), WINDOW / 7);
    }

    #[test]
    fn refusals_read_well() {
        let r = Held::RateLimited {
            retry_in: Duration::from_millis(6_200),
        };
        assert_eq!(r.to_string(), "rate limited by the server, retry in 7 s");
    }
}
