//! Placeholder until the scheduler lands: lets every request through.
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    Operator,
    Poll,
}
#[derive(Clone, Copy, Debug)]
pub struct BudgetConfig {
    pub budget: u32,
    pub reserve: u32,
}
impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            budget: 30,
            reserve: 10,
        }
    }
}
#[derive(Debug)]
pub enum Refusal {
    RateLimited { retry_in: Duration },
}
#[derive(Clone)]
pub struct Scheduler;
impl Scheduler {
    pub fn new(_cfg: BudgetConfig) -> Self {
        Scheduler
    }
    #[expect(
        clippy::unused_async,
        reason = "placeholder: the real scheduler waits here"
    )]
    pub async fn acquire(&self, _p: Priority) -> Result<(), Refusal> {
        Ok(())
    }
    pub fn observe(&self, _status: u16, _remaining: Option<i64>, _reset: Option<u64>) {}
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(3)
    }
    pub fn next_poll_at(&self) -> Option<tokio::time::Instant> {
        None
    }
    pub fn snapshot(&self) -> BudgetSnapshot {
        BudgetSnapshot {
            left: 30,
            share: 30,
            cooldown: None,
            server_remaining: None,
            polling_held: false,
        }
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetSnapshot {
    pub left: u32,
    pub share: u32,
    pub cooldown: Option<Duration>,
    pub server_remaining: Option<i64>,
    pub polling_held: bool,
}
