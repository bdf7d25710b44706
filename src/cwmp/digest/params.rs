//! The `auth-param` list of a Digest `Authorization` header: `name=token` or
//! `name="quoted string"`, comma-separated, names case-insensitive (RFC 7235 §2.1).

use super::AuthError;

/// Optional whitespace; line breaks included, as left by obsolete header folding.
const WHITESPACE: [char; 4] = [' ', '\t', '\r', '\n'];

/// Parses the parameters, names lower-cased. Rejects duplicates: a second `response=` or
/// `uri=` must not silently override the first.
pub(crate) fn parse_auth_params(input: &str) -> Result<Vec<(String, String)>, AuthError> {
    let mut params: Vec<(String, String)> = Vec::new();
    let mut rest = input;
    loop {
        rest = rest.trim_start_matches(|ch| ch == ',' || WHITESPACE.contains(&ch));
        if rest.is_empty() {
            return Ok(params);
        }
        let name_end = rest
            .find(|ch: char| !is_token_char(ch))
            .unwrap_or(rest.len());
        if name_end == 0 {
            return Err(AuthError::Malformed("expected a parameter name"));
        }
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start_matches(WHITESPACE);
        rest = rest
            .strip_prefix('=')
            .ok_or(AuthError::Malformed("expected '=' after a parameter name"))?;
        rest = rest.trim_start_matches(WHITESPACE);
        let (value, after) = match rest.strip_prefix('"') {
            Some(quoted) => read_quoted(quoted)?,
            // Unquoted values are tokens; some clients leave other printable characters
            // (`/` in `uri`) unquoted, so read up to the next separator.
            None => {
                let end = rest
                    .find(|ch| ch == ',' || WHITESPACE.contains(&ch))
                    .unwrap_or(rest.len());
                (rest[..end].to_owned(), &rest[end..])
            }
        };
        if params.iter().any(|(seen, _)| *seen == name) {
            return Err(AuthError::DuplicateParameter(name));
        }
        params.push((name, value));
        rest = after.trim_start_matches(WHITESPACE);
        if !rest.is_empty() && !rest.starts_with(',') {
            return Err(AuthError::Malformed("expected ',' between parameters"));
        }
    }
}

/// Reads a quoted-string body (after the opening quote) up to its closing quote.
fn read_quoted(input: &str) -> Result<(String, &str), AuthError> {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((index, ch)) = chars.next() {
        match ch {
            '"' => return Ok((value, &input[index + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            ch => value.push(ch),
        }
    }
    Err(AuthError::Malformed("unterminated quoted string"))
}

fn is_token_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(ch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_quoted_strings_and_escapes() {
        let params =
            parse_auth_params(r#"Username="a\"b", qop=auth , nc=00000001,uri=/x/y,,"#).unwrap();
        let expected = [
            ("username", "a\"b"),
            ("qop", "auth"),
            ("nc", "00000001"),
            ("uri", "/x/y"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(params, expected);
    }

    #[test]
    fn rejects_broken_lists() {
        for input in [
            r#"a="unterminated"#,
            "=x",
            "a b",
            "a=1 b=2",
            r#"a="1", A="2""#,
        ] {
            assert!(parse_auth_params(input).is_err(), "{input}");
        }
    }
}
