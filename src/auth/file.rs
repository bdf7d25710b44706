//! The credentials file: TOML, one `[[users]]` table per user.
//!
//! ```toml
//! [[users]]
//! name = "gateway-fleet"
//! password = "$pbkdf2-sha256$i=10000$...$..."   # from `usphub passwd`
//! endpoints = ["os::00256D-*"]                   # `*` matches any run of characters
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::PasswordHash;

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub password: PasswordHash,
    /// Endpoint ID patterns this user may act as.
    pub endpoints: Vec<String>,
}

impl User {
    pub fn may_act_as(&self, eid: &str) -> bool {
        self.endpoints.iter().any(|p| glob(p, eid))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("{path}: user {user:?}: {reason}")]
    BadUser { path: PathBuf, user: String, reason: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    #[serde(default)]
    users: Vec<UserEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    name: String,
    password: String,
    endpoints: Vec<String>,
}

pub fn load(path: &Path) -> Result<Vec<User>, CredentialsError> {
    let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read { path: path.into(), source })?;
    parse(&text).map_err(|e| match e {
        ParseError::Toml(source) => CredentialsError::Parse { path: path.into(), source },
        ParseError::User(user, reason) => CredentialsError::BadUser { path: path.into(), user, reason },
    })
}

enum ParseError {
    Toml(toml::de::Error),
    User(String, String),
}

fn parse(text: &str) -> Result<Vec<User>, ParseError> {
    let file: FileFormat = toml::from_str(text).map_err(ParseError::Toml)?;
    let mut seen = std::collections::HashSet::new();
    file.users
        .into_iter()
        .map(|u| {
            if !seen.insert(u.name.clone()) {
                return Err(ParseError::User(u.name, "listed twice".into()));
            }
            let password = PasswordHash::parse(&u.password).map_err(|r| ParseError::User(u.name.clone(), r))?;
            Ok(User { name: u.name, password, endpoints: u.endpoints })
        })
        .collect()
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((head, tail)) => {
            let Some(rest) = s.strip_prefix(head) else { return false };
            (0..=rest.len()).filter(|&i| rest.is_char_boundary(i)).any(|i| glob(tail, &rest[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("os::00256D-*", "os::00256D-0001"));
        assert!(glob("*", "anything"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("os::00256D-*", "os::00256E-0001"));
        assert!(!glob("self::ctrl", "self::ctrl2"));
    }

    #[test]
    fn parses_and_rejects() {
        let good = format!(
            "[[users]]\nname = \"a\"\npassword = \"{}\"\nendpoints = [\"x::*\"]\n",
            super::super::hash_password(b"p", 1000)
        );
        let users = parse(&good).ok().unwrap();
        assert_eq!(users[0].endpoints, ["x::*"]);
        assert!(parse(&format!("{good}{good}")).is_err(), "duplicate user");
        assert!(parse("[[users]]\nname = \"a\"\npassword = \"plain\"\nendpoints = []\n").is_err());
    }
}

#[cfg(test)]
mod example_file {
    #[test]
    fn the_documented_example_loads_and_says_example() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/credentials.example.toml");
        let users = super::load(&path).unwrap();
        assert_eq!(users.len(), 2);
        assert!(users.iter().all(|u| u.password.verify(b"example")));
        assert!(users[0].may_act_as("os::00256D-0123456789"));
    }
}
