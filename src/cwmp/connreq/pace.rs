//! A global pace for connection requests: at most `rate` per second, each waiting its turn.
//!
//! Spacing slots evenly (rather than a bursty token bucket) keeps a wave of USP requests to a
//! whole fleet from turning into a burst of thousands of outbound connections at once. A turn
//! that lies further ahead than `max_wait` is refused: by then the request would be useless,
//! and the device engine asks again later.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub struct Pace {
    interval: Duration,
    max_wait: Duration,
    next_slot: Mutex<Instant>,
}

impl Pace {
    pub fn new(rate_per_second: u32, max_wait: Duration) -> Self {
        let interval = Duration::from_secs(1) / rate_per_second.max(1);
        Self { interval, max_wait, next_slot: Mutex::new(Instant::now()) }
    }

    /// Reserves the next slot and waits for it; `false` if it is too far ahead.
    pub async fn turn(&self) -> bool {
        let slot = {
            let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            if slot - now > self.max_wait {
                return false;
            }
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_turns_and_refuses_far_ones() {
        let pace = Pace::new(10, Duration::from_millis(250));
        let start = Instant::now();
        for expected_ms in [0, 100, 200] {
            assert!(pace.turn().await);
            assert_eq!((Instant::now() - start).as_millis(), expected_ms);
        }
        // Three reservations at once (now = 200 ms): slots 300 and 400 wait 100 and 200 ms.
        let (a, b, c) = tokio::join!(pace.turn(), pace.turn(), pace.turn());
        assert!(a && b, "slots within max_wait");
        assert!(!c, "a slot 300 ms ahead is refused");
    }
}
