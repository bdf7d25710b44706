//! HTTP Basic credentials (RFC 7617), which TR-069 prefers over TLS.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{AuthError, constant_time_eq, quoted};

/// The user-id and password of a `Basic` `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for BasicCredentials {
    /// Never prints the password (credentials end up in logs via `{:?}` otherwise).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl BasicCredentials {
    /// Decodes the base64 `user-id:password` token that follows `Basic `.
    pub fn parse_token(token: &str) -> Result<Self, AuthError> {
        let decoded = STANDARD
            .decode(token.trim())
            .map_err(|_| AuthError::Malformed("Basic token is not base64"))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| AuthError::Malformed("Basic credentials are not UTF-8"))?;
        let (username, password) = decoded
            .split_once(':')
            .ok_or(AuthError::Malformed("Basic credentials lack ':'"))?;
        Ok(Self {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }

    /// Whether these are the expected credentials, compared in constant time.
    pub fn matches(&self, username: &str, password: &str) -> bool {
        let user_ok = constant_time_eq(self.username.as_bytes(), username.as_bytes());
        let password_ok = constant_time_eq(self.password.as_bytes(), password.as_bytes());
        user_ok & password_ok
    }
}

/// The `WWW-Authenticate` value asking for Basic credentials.
pub fn basic_challenge(realm: &str) -> String {
    format!("Basic realm={}, charset=\"UTF-8\"", quoted(realm))
}

#[cfg(test)]
mod tests {
    use super::super::Authorization;
    use super::*;

    #[test]
    fn parses_rfc_7617_example() {
        let Ok(Authorization::Basic(credentials)) =
            Authorization::parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        else {
            panic!("not Basic");
        };
        assert_eq!(credentials.username, "Aladdin");
        assert!(credentials.matches("Aladdin", "open sesame"));
        assert!(!credentials.matches("Aladdin", "open sesam"));
        assert!(!format!("{credentials:?}").contains("sesame"));
    }

    #[test]
    fn password_may_contain_colons_and_be_empty() {
        let token = STANDARD.encode("202BC1-SN:1:2");
        let credentials = BasicCredentials::parse_token(&token).unwrap();
        assert_eq!(
            (credentials.username.as_str(), credentials.password.as_str()),
            ("202BC1-SN", "1:2")
        );
        assert_eq!(
            BasicCredentials::parse_token(&STANDARD.encode("sim:"))
                .unwrap()
                .password,
            ""
        );
    }

    #[test]
    fn rejects_bad_tokens() {
        assert!(BasicCredentials::parse_token("%%%").is_err());
        assert!(BasicCredentials::parse_token(&STANDARD.encode("no-colon")).is_err());
        assert_eq!(
            basic_challenge("usphub"),
            "Basic realm=\"usphub\", charset=\"UTF-8\""
        );
    }
}
