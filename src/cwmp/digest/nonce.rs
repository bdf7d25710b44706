//! Digest nonces: stateless to issue, checked for age and forgery, and tracked on first use so
//! that a nonce count can never be accepted twice (replay).
//!
//! A nonce is `base64url(issued_at ‖ serial ‖ tag)`, 32 bytes: issue time (Unix seconds), a
//! serial unique per verifier, and `SHA-256(secret ‖ issued_at ‖ serial)` cut to 16 bytes.
//! Issuing stores nothing, so unauthenticated requests cannot fill memory; a nonce enters the
//! book only once a request using it carries the right password.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::constant_time_eq;
use super::verifier::StaleReason;

const NONCE_BYTES: usize = 32;

pub(crate) struct NonceBook {
    secret: [u8; 32],
    lifetime_secs: u64,
    capacity: usize,
    next_serial: u64,
    /// Serials below this were evicted from `used` and are refused: without their recorded
    /// nonce count they could otherwise be replayed.
    floor: u64,
    /// Highest nonce count seen per serial, with the nonce's issue time for expiry.
    used: BTreeMap<u64, Use>,
}

struct Use {
    issued_at: u64,
    last_count: u32,
}

impl NonceBook {
    pub fn new(secret: [u8; 32], lifetime_secs: u64, capacity: usize) -> Self {
        Self {
            secret,
            lifetime_secs,
            capacity: capacity.max(1),
            next_serial: 0,
            floor: 0,
            used: BTreeMap::new(),
        }
    }

    pub fn issue(&mut self, now: u64) -> String {
        let serial = self.next_serial;
        self.next_serial += 1;
        let mut nonce = [0; NONCE_BYTES];
        nonce[..8].copy_from_slice(&now.to_be_bytes());
        nonce[8..16].copy_from_slice(&serial.to_be_bytes());
        nonce[16..].copy_from_slice(&self.tag(now, serial));
        URL_SAFE_NO_PAD.encode(nonce)
    }

    /// Accepts a nonce with an optional nonce count (`None`: legacy RFC 2069 client, where only
    /// expiry limits reuse).
    pub fn accept(&mut self, nonce: &str, count: Option<u32>, now: u64) -> Result<(), StaleReason> {
        let (issued_at, serial) = self.decode(nonce).ok_or(StaleReason::Unrecognised)?;
        if now.saturating_sub(issued_at) > self.lifetime_secs {
            return Err(StaleReason::Expired);
        }
        if serial < self.floor {
            return Err(StaleReason::Unrecognised);
        }
        self.forget_expired(now);
        let entry = self.used.entry(serial).or_insert(Use {
            issued_at,
            last_count: 0,
        });
        if let Some(count) = count {
            if count <= entry.last_count {
                return Err(StaleReason::Replayed);
            }
            entry.last_count = count;
        }
        self.enforce_capacity();
        Ok(())
    }

    fn decode(&self, nonce: &str) -> Option<(u64, u64)> {
        let bytes = URL_SAFE_NO_PAD.decode(nonce).ok()?;
        let bytes: [u8; NONCE_BYTES] = bytes.try_into().ok()?;
        let issued_at = u64::from_be_bytes(bytes[..8].try_into().ok()?);
        let serial = u64::from_be_bytes(bytes[8..16].try_into().ok()?);
        constant_time_eq(&bytes[16..], &self.tag(issued_at, serial)).then_some((issued_at, serial))
    }

    fn tag(&self, issued_at: u64, serial: u64) -> [u8; 16] {
        let digest = Sha256::new()
            .chain_update(self.secret)
            .chain_update(issued_at.to_be_bytes())
            .chain_update(serial.to_be_bytes())
            .finalize();
        let mut tag = [0; 16];
        tag.copy_from_slice(&digest[..16]);
        tag
    }

    /// Serials grow with issue time, so expired entries sit at the front of the map.
    fn forget_expired(&mut self, now: u64) {
        while let Some(entry) = self.used.first_entry() {
            if now.saturating_sub(entry.get().issued_at) <= self.lifetime_secs {
                break;
            }
            entry.remove();
        }
    }

    fn enforce_capacity(&mut self) {
        while self.used.len() > self.capacity {
            if let Some((serial, _)) = self.used.pop_first() {
                self.floor = self.floor.max(serial + 1);
            }
        }
    }

    #[cfg(test)]
    pub fn tracked(&self) -> usize {
        self.used.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_must_grow_per_nonce() {
        let mut book = NonceBook::new([7; 32], 300, 100);
        let nonce = book.issue(1000);
        assert_eq!(book.accept(&nonce, Some(1), 1000), Ok(()));
        assert_eq!(
            book.accept(&nonce, Some(1), 1001),
            Err(StaleReason::Replayed)
        );
        assert_eq!(book.accept(&nonce, Some(3), 1001), Ok(()));
        assert_eq!(
            book.accept(&nonce, Some(2), 1002),
            Err(StaleReason::Replayed)
        );
        let other = book.issue(1000);
        assert_eq!(book.accept(&other, Some(1), 1000), Ok(()));
    }

    #[test]
    fn refuses_expired_forged_and_foreign_nonces() {
        let mut book = NonceBook::new([7; 32], 300, 100);
        let nonce = book.issue(1000);
        assert_eq!(
            book.accept(&nonce, Some(1), 1301),
            Err(StaleReason::Expired)
        );
        let mut forged = nonce.clone().into_bytes();
        forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            book.accept(std::str::from_utf8(&forged).unwrap(), Some(1), 1000),
            Err(StaleReason::Unrecognised)
        );
        let foreign = NonceBook::new([8; 32], 300, 100).issue(1000);
        assert_eq!(
            book.accept(&foreign, Some(1), 1000),
            Err(StaleReason::Unrecognised)
        );
        assert_eq!(
            book.accept("not base64!", Some(1), 1000),
            Err(StaleReason::Unrecognised)
        );
    }

    #[test]
    fn bounded_memory_refuses_evicted_nonces() {
        let mut book = NonceBook::new([7; 32], 300, 2);
        let nonces: Vec<_> = (0..3).map(|_| book.issue(1000)).collect();
        for nonce in &nonces {
            assert_eq!(book.accept(nonce, Some(1), 1000), Ok(()));
        }
        assert_eq!(book.tracked(), 2);
        // The first one was evicted: a replay of it must not look like a first use.
        assert_eq!(
            book.accept(&nonces[0], Some(1), 1000),
            Err(StaleReason::Unrecognised)
        );
        // Expired entries are dropped as time passes.
        let fresh = book.issue(2000);
        assert_eq!(book.accept(&fresh, Some(1), 2000), Ok(()));
        assert_eq!(book.tracked(), 1);
    }
}
