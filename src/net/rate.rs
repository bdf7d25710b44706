//! Connect-rate limiting per source address: a token bucket per IP.
//!
//! Reconnect storms (a firmware push, a regional power cut) arrive as many connections from
//! one NAT or one misbehaving device; the bucket refuses the excess early and cheaply, with the
//! MTP's own code, while everyone else connects normally.

use std::net::IpAddr;
use std::time::Instant;

use dashmap::DashMap;

#[derive(Debug)]
pub struct ConnectRate {
    per_second: f64,
    burst: f64,
    buckets: DashMap<IpAddr, (f64, Instant)>,
}

impl ConnectRate {
    /// `per_second` new connections per IP, in bursts of up to twice that; 0 = unlimited.
    pub fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second);
        Self { per_second, burst: per_second * 2.0, buckets: DashMap::new() }
    }

    /// Takes a token for `ip`; `false` if it has none left.
    pub fn allow(&self, ip: IpAddr, now: Instant) -> bool {
        if self.per_second == 0.0 {
            return true;
        }
        if self.buckets.len() > 100_000 {
            // Forget full buckets so the map stays bounded under a spray of sources.
            self.buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * self.per_second < self.burst
            });
        }
        let mut entry = self.buckets.entry(ip).or_insert((self.burst, now));
        let (tokens, at) = &mut *entry;
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bursts_then_refills() {
        let rate = ConnectRate::new(2);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let t = Instant::now();
        assert!((0..4).all(|_| rate.allow(ip, t)));
        assert!(!rate.allow(ip, t));
        assert!(rate.allow(other, t), "other sources are not affected");
        assert!(rate.allow(ip, t + Duration::from_millis(600)));
        assert!(ConnectRate::new(0).allow(ip, t));
    }
}
