//! Who may change things through the admin API (PUT, DELETE): with `[admin] api_token` set,
//! whoever presents it as a Bearer token; without one, loopback peers only, so that a default
//! install (or one whose admin port was opened for Prometheus) cannot be rewritten from the
//! network. Reading stays as open as `/metrics`: the API never shows a password.

use std::net::IpAddr;

use hyper::HeaderMap;
use hyper::header::AUTHORIZATION;
use ring::digest::{SHA256, digest};

/// Why a changing request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A token is configured and the request did not carry it: 401.
    BadToken,
    /// No token is configured and the peer is not on loopback: 403.
    NotLoopback,
}

#[derive(Clone)]
pub struct ApiGuard {
    /// SHA-256 of the token: comparing digests takes the same time whatever the presented
    /// token's length or content, so timing tells an attacker nothing about the token.
    token: Option<[u8; 32]>,
}

impl ApiGuard {
    pub fn new(token: Option<&str>) -> Self {
        Self { token: token.map(sha256) }
    }

    /// Whether a request with `headers` from `peer` may change state.
    pub fn check(&self, headers: &HeaderMap, peer: IpAddr) -> Result<(), Refusal> {
        match &self.token {
            Some(expected) => {
                let presented = headers.get(AUTHORIZATION).and_then(|v| bearer(v.as_bytes()));
                match presented {
                    Some(token) if same(&sha256_bytes(token), expected) => Ok(()),
                    _ => Err(Refusal::BadToken),
                }
            }
            None if peer.to_canonical().is_loopback() => Ok(()),
            None => Err(Refusal::NotLoopback),
        }
    }
}

/// The token of `Bearer <token>` (the scheme is case-insensitive, RFC 9110 §11.1).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"bearer") || !rest.starts_with(b" ") {
        return None;
    }
    Some(rest.trim_ascii()).filter(|t| !t.is_empty())
}

fn sha256(token: &str) -> [u8; 32] {
    sha256_bytes(token.as_bytes())
}

fn sha256_bytes(bytes: &[u8]) -> [u8; 32] {
    digest(&SHA256, bytes).as_ref().try_into().expect("SHA-256 is 32 bytes")
}

/// Compares every byte, whatever the first difference.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = authorization {
            h.insert(AUTHORIZATION, a.parse().unwrap());
        }
        h
    }

    const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const REMOTE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));

    #[test]
    fn without_a_token_only_loopback_may_change() {
        let guard = ApiGuard::new(None);
        assert_eq!(guard.check(&headers(None), LOOPBACK), Ok(()));
        assert_eq!(guard.check(&headers(None), "::1".parse().unwrap()), Ok(()));
        assert_eq!(guard.check(&headers(None), "::ffff:127.0.0.1".parse().unwrap()), Ok(()));
        assert_eq!(guard.check(&headers(Some("Bearer x")), REMOTE), Err(Refusal::NotLoopback));
    }

    #[test]
    fn with_a_token_everyone_must_present_it() {
        let guard = ApiGuard::new(Some("s3cret"));
        assert_eq!(guard.check(&headers(Some("Bearer s3cret")), REMOTE), Ok(()));
        assert_eq!(guard.check(&headers(Some("bearer  s3cret ")), REMOTE), Ok(()));
        assert_eq!(guard.check(&headers(None), LOOPBACK), Err(Refusal::BadToken));
        for wrong in ["Bearer s3cre", "Bearer s3cret2", "Basic s3cret", "Bearers3cret", "Bearer ", "s3cret"] {
            assert_eq!(guard.check(&headers(Some(wrong)), LOOPBACK), Err(Refusal::BadToken), "{wrong}");
        }
    }
}
