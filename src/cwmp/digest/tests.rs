//! Digest verification against the RFC 7616 and RFC 2617 examples, and the nonce life cycle.

use std::time::{Duration, SystemTime};

use super::*;

/// RFC 7616 §3.9.1: same request, MD5 and SHA-256.
fn rfc7616_header(algorithm: &str, response: &str) -> String {
    format!(
        r#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html",
        algorithm={algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001,
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="{response}",
        opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
    )
}

fn digest(header: &str) -> DigestAuthorization {
    match Authorization::parse(header).unwrap() {
        Authorization::Digest(digest) => digest,
        other => panic!("not Digest: {other:?}"),
    }
}

#[test]
fn rfc7616_md5_and_sha256_vectors() {
    for (algorithm, response) in [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        (
            "SHA-256",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ] {
        let authorization = digest(&rfc7616_header(algorithm, response));
        assert_eq!(
            authorization.expected_response("Circle of Life", "GET"),
            response,
            "{algorithm}"
        );
        assert_eq!(
            authorization.opaque.as_deref(),
            Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        );
    }
}

#[test]
fn rfc2617_md5_vector() {
    let authorization = digest(
        r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
        uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b",
        response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
    );
    assert_eq!(
        authorization.expected_response("Circle Of Life", "GET"),
        "6629fae49393a05397450978507c4ef1"
    );
}

#[test]
fn rejects_malformed_digest_headers() {
    let missing_nc =
        r#"Digest username="u", realm="r", nonce="n", uri="/", response="x", qop=auth, cnonce="c""#;
    assert_eq!(
        Authorization::parse(missing_nc),
        Err(AuthError::MissingParameter("nc"))
    );
    let auth_int =
        r#"Digest username="u", realm="r", nonce="n", uri="/", response="x", qop=auth-int"#;
    assert!(matches!(
        Authorization::parse(auth_int),
        Err(AuthError::UnsupportedQop(_))
    ));
    let bad_nc = r#"Digest username="u", realm="r", nonce="n", uri="/", response="x", qop=auth, nc=zz, cnonce="c""#;
    assert!(matches!(
        Authorization::parse(bad_nc),
        Err(AuthError::InvalidNonceCount(_))
    ));
    let sha512 =
        r#"Digest username="u", realm="r", nonce="n", uri="/", response="x", algorithm=SHA-512"#;
    assert!(matches!(
        Authorization::parse(sha512),
        Err(AuthError::UnsupportedAlgorithm(_))
    ));
    assert!(matches!(
        Authorization::parse("Bearer abc"),
        Err(AuthError::UnsupportedScheme(_))
    ));
    assert_eq!(
        Authorization::parse(r#"Digest realm="r""#),
        Err(AuthError::MissingParameter("username"))
    );
}

/// A CPE answering `challenge` the way a conforming client does.
fn client_response(
    challenge: &str,
    algorithm: &str,
    password: &str,
    uri: &str,
    nc: u32,
) -> DigestAuthorization {
    let params = params::parse_auth_params(challenge.strip_prefix("Digest ").unwrap()).unwrap();
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .unwrap()
            .1
            .clone()
    };
    let mut authorization = digest(&format!(
        r#"Digest username="202BC1-BM632w-0000001", realm="{}", nonce="{}", uri="{uri}", algorithm={algorithm},
        qop=auth, nc={nc:08x}, cnonce="0a4f113b", response="placeholder""#,
        get("realm"),
        get("nonce"),
    ));
    authorization.response = authorization.expected_response(password, "POST");
    authorization
}

#[test]
fn challenge_verify_and_replay() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut config = DigestConfig::new("usphub ACS");
    config.algorithms = vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5];
    let mut verifier = DigestVerifier::new(config, [42; 32]);
    let challenges = verifier.challenges(now, false);
    assert_eq!(challenges.len(), 2);
    assert!(
        challenges[0]
            .starts_with(r#"Digest realm="usphub ACS", qop="auth", algorithm=SHA-256, nonce=""#)
    );
    assert!(challenges[1].contains("algorithm=MD5"));

    for (index, (challenge, algorithm)) in challenges.iter().zip(["SHA-256", "MD5"]).enumerate() {
        // Both challenges carry the same nonce, so the counts continue across them.
        let nc = 2 * u32::try_from(index).unwrap() + 1;
        let first = client_response(challenge, algorithm, "secret", "/acs", nc);
        assert_eq!(
            verifier.verify(&first, "POST", "/acs", "secret", now),
            Ok(())
        );
        // The same request again is a replay, reported as stale (the password was right).
        let replay = verifier
            .verify(&first, "POST", "/acs", "secret", now)
            .unwrap_err();
        assert_eq!(replay, DigestError::StaleNonce(StaleReason::Replayed));
        assert!(replay.is_stale());
        let next = client_response(challenge, algorithm, "secret", "/acs", nc + 1);
        assert_eq!(
            verifier.verify(&next, "POST", "/acs", "secret", now),
            Ok(())
        );
    }
}

#[test]
fn refuses_wrong_password_uri_realm_expiry_and_missing_qop() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut verifier = DigestVerifier::new(DigestConfig::new("usphub ACS"), [1; 32]);
    let challenge = verifier.challenges(now, true).remove(0);
    assert!(challenge.ends_with(", stale=true"));
    let good = client_response(&challenge, "MD5", "secret", "/acs", 1);

    assert_eq!(
        verifier.verify(&good, "POST", "/acs", "other", now),
        Err(DigestError::WrongResponse)
    );
    assert_eq!(
        verifier.verify(&good, "POST", "/other", "secret", now),
        Err(DigestError::UriMismatch("/acs".into()))
    );
    let sha = client_response(&challenge, "SHA-256", "secret", "/acs", 1);
    assert_eq!(
        verifier.verify(&sha, "POST", "/acs", "secret", now),
        Err(DigestError::AlgorithmNotOffered(DigestAlgorithm::Sha256))
    );
    let mut foreign_realm = good.clone();
    foreign_realm.realm = "elsewhere".into();
    assert!(matches!(
        verifier.verify(&foreign_realm, "POST", "/acs", "secret", now),
        Err(DigestError::RealmMismatch(_))
    ));
    let later = now + Duration::from_secs(301);
    assert_eq!(
        verifier.verify(&good, "POST", "/acs", "secret", later),
        Err(DigestError::StaleNonce(StaleReason::Expired))
    );

    let mut legacy = good.clone();
    legacy.qop_auth = false;
    legacy.nonce_count = None;
    legacy.response = legacy.expected_response("secret", "POST");
    assert_eq!(
        verifier.verify(&legacy, "POST", "/acs", "secret", now),
        Err(DigestError::QopRequired)
    );
    let mut config = DigestConfig::new("usphub ACS");
    config.allow_missing_qop = true;
    let mut lenient = DigestVerifier::new(config, [1; 32]);
    assert_eq!(
        lenient.verify(&legacy, "POST", "/acs", "secret", now),
        Ok(())
    );
}

#[test]
fn helpers() {
    assert_eq!(to_hex(&[0x00, 0xab, 0xff]), "00abff");
    assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
}
