//! HTTP authentication of CPE on the ACS port: Digest (RFC 7616/2617) verified on the server
//! side, and Basic.
//!
//! TR-069 makes the ACS challenge with Digest when the connection is not TLS (Basic is allowed,
//! and preferred, over TLS), with `qop="auth"` and MD5 as the baseline; SHA-256 can be offered
//! too. No maintained crate verifies Digest as a server, hence this module. It is pure: the
//! caller supplies the time, the secret and each user's password, and keeps one
//! [`DigestVerifier`] per listener (its nonce book is what stops replays).
//!
//! Flow: no or bad `Authorization` → 401 with [`DigestVerifier::challenges`]; then
//! [`Authorization::parse`] the header, look the password up by `username`, and
//! [`DigestVerifier::verify`]. A [`DigestError::is_stale`] result means "challenge again with
//! `stale=true`": the password was right but the nonce is expired, unknown or replayed.

mod basic;
mod nonce;
mod params;
mod verifier;

pub use basic::{BasicCredentials, basic_challenge};
pub use verifier::{
    DigestAlgorithm, DigestAuthorization, DigestConfig, DigestError, DigestVerifier, StaleReason,
};

/// A parsed `Authorization` request header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    Basic(BasicCredentials),
    Digest(DigestAuthorization),
}

impl Authorization {
    /// Parses the header value (`Basic dXNlcjpwYXNz`, `Digest username="…", …`); the scheme
    /// name is case-insensitive.
    pub fn parse(header_value: &str) -> Result<Self, AuthError> {
        let header_value = header_value.trim();
        let (scheme, rest) = header_value
            .split_once([' ', '\t'])
            .unwrap_or((header_value, ""));
        if scheme.eq_ignore_ascii_case("Basic") {
            BasicCredentials::parse_token(rest.trim()).map(Self::Basic)
        } else if scheme.eq_ignore_ascii_case("Digest") {
            DigestAuthorization::parse_params(rest).map(Self::Digest)
        } else {
            Err(AuthError::UnsupportedScheme(scheme.to_owned()))
        }
    }

    pub fn username(&self) -> &str {
        match self {
            Self::Basic(credentials) => &credentials.username,
            Self::Digest(digest) => &digest.username,
        }
    }
}

/// An `Authorization` header that cannot be used (answer 401 with a fresh challenge, or 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("unsupported authentication scheme {0:?}")]
    UnsupportedScheme(String),
    #[error("malformed credentials: {0}")]
    Malformed(&'static str),
    #[error("Digest parameter {0} is missing")]
    MissingParameter(&'static str),
    #[error("Digest parameter {0} appears twice")]
    DuplicateParameter(String),
    #[error("unsupported Digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    #[error("unsupported Digest qop {0:?} (only \"auth\" is offered)")]
    UnsupportedQop(String),
    #[error("invalid Digest nonce count {0:?}")]
    InvalidNonceCount(String),
}

/// Compares secrets without an early exit, so timing does not reveal the matching prefix.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Lower-case hex, the encoding of Digest hashes.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|byte| {
            [
                DIGITS[usize::from(byte >> 4)],
                DIGITS[usize::from(byte & 15)],
            ]
        })
        .map(char::from)
        .collect()
}

/// Writes `value` as an HTTP quoted-string.
pub(crate) fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for ch in value.chars() {
        if matches!(ch, '"' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
