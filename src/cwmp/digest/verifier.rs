//! Digest challenges and the verification of a client's Digest response (RFC 7616, with the
//! RFC 2617 MD5 rules it keeps).

use std::time::{Duration, SystemTime};

use md5::Md5;
use sha2::{Digest, Sha256};

use super::nonce::NonceBook;
use super::params::parse_auth_params;
use super::{AuthError, constant_time_eq, quoted, to_hex};

/// A Digest hash algorithm; `-sess` variants hash the nonce and cnonce into HA1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    Md5,
    Md5Sess,
    Sha256,
    Sha256Sess,
}

impl DigestAlgorithm {
    pub fn token(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Md5Sess => "MD5-sess",
            Self::Sha256 => "SHA-256",
            Self::Sha256Sess => "SHA-256-sess",
        }
    }

    pub fn from_token(token: &str) -> Option<Self> {
        [Self::Md5, Self::Md5Sess, Self::Sha256, Self::Sha256Sess]
            .into_iter()
            .find(|algorithm| algorithm.token().eq_ignore_ascii_case(token))
    }

    fn is_session(self) -> bool {
        matches!(self, Self::Md5Sess | Self::Sha256Sess)
    }

    fn hex(self, data: &str) -> String {
        match self {
            Self::Md5 | Self::Md5Sess => to_hex(&Md5::digest(data.as_bytes())),
            Self::Sha256 | Self::Sha256Sess => to_hex(&Sha256::digest(data.as_bytes())),
        }
    }
}

/// The parameters of a `Digest` `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestAuthorization {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    /// The `uri` directive; must equal the request-target.
    pub uri: String,
    /// The client's response hash, lower-cased.
    pub response: String,
    pub algorithm: DigestAlgorithm,
    /// `true` for `qop=auth`; `false` for an RFC 2069 client that sent no qop.
    pub qop_auth: bool,
    /// `nc` exactly as sent (it is hashed as text) and its value.
    pub nonce_count: Option<(String, u32)>,
    pub cnonce: Option<String>,
    pub opaque: Option<String>,
}

impl DigestAuthorization {
    /// Parses the parameters after `Digest `.
    pub fn parse_params(params: &str) -> Result<Self, AuthError> {
        let mut params = parse_auth_params(params)?;
        let mut take = |name: &str| {
            params
                .iter()
                .position(|(key, _)| key == name)
                .map(|i| params.swap_remove(i).1)
        };
        let mut required = |name: &'static str| take(name).ok_or(AuthError::MissingParameter(name));
        let username = required("username")?;
        let realm = required("realm")?;
        let nonce = required("nonce")?;
        let uri = required("uri")?;
        let response = required("response")?.to_ascii_lowercase();
        let algorithm = match take("algorithm") {
            Some(token) => {
                DigestAlgorithm::from_token(&token).ok_or(AuthError::UnsupportedAlgorithm(token))?
            }
            None => DigestAlgorithm::Md5,
        };
        if take("userhash").is_some_and(|value| value.eq_ignore_ascii_case("true")) {
            return Err(AuthError::Malformed("userhash is not supported"));
        }
        let qop_auth = match take("qop") {
            Some(qop) if qop.eq_ignore_ascii_case("auth") => true,
            Some(qop) => return Err(AuthError::UnsupportedQop(qop)),
            None => false,
        };
        let (nonce_count, cnonce) = match qop_auth {
            true => {
                let nc = take("nc").ok_or(AuthError::MissingParameter("nc"))?;
                let value = parse_nonce_count(&nc)
                    .ok_or_else(|| AuthError::InvalidNonceCount(nc.clone()))?;
                (
                    Some((nc, value)),
                    Some(take("cnonce").ok_or(AuthError::MissingParameter("cnonce"))?),
                )
            }
            false => (None, take("cnonce")),
        };
        let opaque = take("opaque");
        Ok(Self {
            username,
            realm,
            nonce,
            uri,
            response,
            algorithm,
            qop_auth,
            nonce_count,
            cnonce,
            opaque,
        })
    }

    /// The response a client knowing `password` computes for this request (RFC 7616 §3.4.1).
    pub fn expected_response(&self, password: &str, method: &str) -> String {
        let algorithm = self.algorithm;
        let cnonce = self.cnonce.as_deref().unwrap_or_default();
        let mut ha1 = algorithm.hex(&format!("{}:{}:{}", self.username, self.realm, password));
        if algorithm.is_session() {
            ha1 = algorithm.hex(&format!("{ha1}:{}:{cnonce}", self.nonce));
        }
        let ha2 = algorithm.hex(&format!("{method}:{}", self.uri));
        match &self.nonce_count {
            Some((nc, _)) if self.qop_auth => {
                algorithm.hex(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce))
            }
            _ => algorithm.hex(&format!("{ha1}:{}:{ha2}", self.nonce)),
        }
    }
}

/// `nc`: 8 hex digits by the RFC; shorter ones are accepted (value is what counts), zero is not.
fn parse_nonce_count(text: &str) -> Option<u32> {
    let valid = !text.is_empty() && text.len() <= 8 && text.bytes().all(|b| b.is_ascii_hexdigit());
    valid
        .then(|| u32::from_str_radix(text, 16).ok())
        .flatten()
        .filter(|&count| count > 0)
}

/// Settings of a [`DigestVerifier`].
#[derive(Debug, Clone)]
pub struct DigestConfig {
    pub realm: String,
    /// Algorithms offered, preferred first; each gets its own challenge header. TR-069 CPE are
    /// only required to know MD5, and some choke on a SHA-256 challenge, so MD5 is the default.
    pub algorithms: Vec<DigestAlgorithm>,
    pub nonce_lifetime: Duration,
    /// How many used nonces are remembered for replay detection (about 100 bytes each).
    pub max_tracked_nonces: usize,
    /// Accept RFC 2069 responses without `qop` (no nonce count, so only expiry limits replay).
    pub allow_missing_qop: bool,
}

impl DigestConfig {
    pub fn new(realm: impl Into<String>) -> Self {
        Self {
            realm: realm.into(),
            algorithms: vec![DigestAlgorithm::Md5],
            nonce_lifetime: Duration::from_secs(300),
            max_tracked_nonces: 65_536,
            allow_missing_qop: false,
        }
    }
}

/// Why a Digest response was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("realm {0:?} is not this server's")]
    RealmMismatch(String),
    #[error("algorithm {0:?} was not offered")]
    AlgorithmNotOffered(DigestAlgorithm),
    #[error("qop=auth is required")]
    QopRequired,
    #[error("uri {0:?} does not match the request target")]
    UriMismatch(String),
    #[error("wrong username or password")]
    WrongResponse,
    #[error("stale nonce: {0:?}")]
    StaleNonce(StaleReason),
}

impl DigestError {
    /// The credentials were right but the nonce is not: challenge again with `stale=true`, and
    /// the client retries without asking anyone for a password.
    pub fn is_stale(&self) -> bool {
        matches!(self, Self::StaleNonce(_))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    Expired,
    /// Not issued by this verifier (forged, from before a restart, or evicted from memory).
    Unrecognised,
    /// A nonce count not above the last one accepted for this nonce.
    Replayed,
}

/// Issues Digest challenges and verifies responses for one realm.
pub struct DigestVerifier {
    config: DigestConfig,
    nonces: NonceBook,
}

impl DigestVerifier {
    /// `secret` authenticates the nonces; draw it from a CSPRNG at start-up.
    pub fn new(config: DigestConfig, secret: [u8; 32]) -> Self {
        let lifetime = config.nonce_lifetime.as_secs();
        let nonces = NonceBook::new(secret, lifetime, config.max_tracked_nonces);
        Self { config, nonces }
    }

    pub fn config(&self) -> &DigestConfig {
        &self.config
    }

    /// The `WWW-Authenticate` values of a 401, one per offered algorithm.
    pub fn challenges(&mut self, now: SystemTime, stale: bool) -> Vec<String> {
        let nonce = self.nonces.issue(unix_seconds(now));
        let realm = quoted(&self.config.realm);
        let stale = if stale { ", stale=true" } else { "" };
        let challenge = |algorithm: &DigestAlgorithm| {
            format!(
                "Digest realm={realm}, qop=\"auth\", algorithm={}, nonce=\"{nonce}\"{stale}",
                algorithm.token()
            )
        };
        self.config.algorithms.iter().map(challenge).collect()
    }

    /// Verifies a response to one of this verifier's challenges for a request with `method` and
    /// request-target `request_uri`, given the user's password.
    pub fn verify(
        &mut self,
        authorization: &DigestAuthorization,
        method: &str,
        request_uri: &str,
        password: &str,
        now: SystemTime,
    ) -> Result<(), DigestError> {
        if authorization.realm != self.config.realm {
            return Err(DigestError::RealmMismatch(authorization.realm.clone()));
        }
        if !self.config.algorithms.contains(&authorization.algorithm) {
            return Err(DigestError::AlgorithmNotOffered(authorization.algorithm));
        }
        if !authorization.qop_auth && !self.config.allow_missing_qop {
            return Err(DigestError::QopRequired);
        }
        if authorization.uri != request_uri {
            return Err(DigestError::UriMismatch(authorization.uri.clone()));
        }
        let expected = authorization.expected_response(password, method);
        if !constant_time_eq(expected.as_bytes(), authorization.response.as_bytes()) {
            return Err(DigestError::WrongResponse);
        }
        // Checked last, so that "stale" always means "right password, retry with a new nonce".
        let count = authorization.nonce_count.as_ref().map(|(_, value)| *value);
        self.nonces
            .accept(&authorization.nonce, count, unix_seconds(now))
            .map_err(DigestError::StaleNonce)
    }
}

fn unix_seconds(now: SystemTime) -> u64 {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}
