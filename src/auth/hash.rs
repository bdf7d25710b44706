//! Password hashes: PBKDF2-HMAC-SHA256 in a PHC-style string,
//! `$pbkdf2-sha256$i=<iterations>$<salt, base64>$<hash, base64>`.

use std::num::NonZeroU32;

use base64::{Engine, engine::general_purpose::STANDARD_NO_PAD as B64};
use ring::{digest, pbkdf2, rand::SecureRandom};

const PREFIX: &str = "$pbkdf2-sha256$i=";
const HASH_LEN: usize = 32;

/// A parsed password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    iterations: NonZeroU32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl PasswordHash {
    pub fn parse(s: &str) -> Result<Self, String> {
        let rest = s.strip_prefix(PREFIX).ok_or("not a $pbkdf2-sha256$ hash")?;
        let mut parts = rest.split('$');
        let (Some(i), Some(salt), Some(hash), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err("expected $pbkdf2-sha256$i=<n>$<salt>$<hash>".into());
        };
        let iterations = i.parse::<NonZeroU32>().map_err(|_| "bad iteration count")?;
        let salt = B64.decode(salt).map_err(|_| "salt is not base64")?;
        let hash = B64.decode(hash).map_err(|_| "hash is not base64")?;
        if hash.len() != HASH_LEN || salt.len() < 8 {
            return Err("hash must be 32 bytes and salt at least 8".into());
        }
        Ok(Self { iterations, salt, hash })
    }

    /// Constant-time comparison, inside ring.
    pub fn verify(&self, password: &[u8]) -> bool {
        pbkdf2::verify(pbkdf2::PBKDF2_HMAC_SHA256, self.iterations, &self.salt, password, &self.hash).is_ok()
    }
}

/// Hashes `password` with a fresh random salt.
pub fn hash_password(password: &[u8], iterations: u32) -> String {
    let iterations = NonZeroU32::new(iterations.max(1)).expect("at least one iteration");
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut salt).expect("the system random source works");
    let mut hash = [0u8; HASH_LEN];
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, iterations, &salt, password, &mut hash);
    format!("{PREFIX}{iterations}${}${}", B64.encode(salt), B64.encode(hash))
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

pub fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let s = hash_password(b"correct horse", 1000);
        let h = PasswordHash::parse(&s).unwrap();
        assert!(h.verify(b"correct horse"));
        assert!(!h.verify(b"correct horse "));
        assert_ne!(hash_password(b"x", 1000), hash_password(b"x", 1000), "salted");
        assert!(PasswordHash::parse("$argon2id$v=19$...").is_err());
    }
}
