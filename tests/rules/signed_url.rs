//! Signed URLs and cookies: canned and custom policies, wildcards, expiry,
//! IP ranges, unknown keys, parameters added after signing, both hashes, and
//! the `sign-url` round trip.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cfedge::cli::sign_url::{render, Args, HashArg};
use cfedge::rules::signed_url::{
    build, custom_policy, sign_url, signed_cookies, HashAlgorithm, Policy, SigningKey,
    TrustedKeyGroups,
};
use http::StatusCode;

use super::{file_config, fixtures, request};

const NOW: u64 = 1_800_000_000;
const BASE: &str = "https://d111.cloudfront.net";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

const GROUPS: &str = r#"
[key_groups.main]
keys = [{ id = "KMAIN", public_key_file = "keys/rsa_public.pem" }]
[key_groups.other]
keys = [{ id = "KOTHER", public_key_file = "keys/rsa2_public.pem" }]
[key_groups.ec]
keys = [{ id = "KEC", public_key_file = "keys/ec256_public.pem" }]
"#;

fn trusted(names: &[&str]) -> TrustedKeyGroups {
    let set = build(&file_config(GROUPS).key_groups, &fixtures()).unwrap();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    set.trusted(&names, "behaviors[0]").unwrap()
}

fn key() -> SigningKey {
    SigningKey::from_pem(&std::fs::read_to_string(fixtures().join("keys/rsa_private.pem")).unwrap())
        .unwrap()
}

/// The path-and-query of a signed absolute URL.
fn path_of(url: &str) -> &str {
    url.strip_prefix(BASE).unwrap()
}

fn check_url(t: &TrustedKeyGroups, signed: &str) -> Result<(), &'static str> {
    t.check(&request(path_of(signed), &[]), now())
}

#[test]
fn canned_policy_with_both_hashes_and_expiry() {
    let t = trusted(&["main"]);
    for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
        let url = sign_url(
            &format!("{BASE}/a/b.mp4?x=1"),
            &key(),
            "KMAIN",
            &Policy::Canned { expires: NOW + 60 },
            hash,
        )
        .unwrap();
        assert_eq!(
            url.contains("Hash-Algorithm=SHA256"),
            hash == HashAlgorithm::Sha256
        );
        assert_eq!(check_url(&t, &url), Ok(()), "{hash:?}");
        let expired = sign_url(
            &format!("{BASE}/a/b.mp4"),
            &key(),
            "KMAIN",
            &Policy::Canned { expires: NOW },
            hash,
        )
        .unwrap();
        assert_eq!(check_url(&t, &expired), Err("Access denied"));
    }
    // A SHA256 signature presented as SHA1 (Hash-Algorithm stripped) fails.
    let url = sign_url(
        &format!("{BASE}/a"),
        &key(),
        "KMAIN",
        &Policy::Canned { expires: NOW + 60 },
        HashAlgorithm::Sha256,
    )
    .unwrap();
    assert!(check_url(&t, url.strip_suffix("&Hash-Algorithm=SHA256").unwrap()).is_err());
    // Expires changed after signing fails.
    let url = sign_url(
        &format!("{BASE}/a"),
        &key(),
        "KMAIN",
        &Policy::Canned { expires: NOW + 60 },
        HashAlgorithm::Sha1,
    )
    .unwrap();
    assert!(check_url(
        &t,
        &url.replace(
            &format!("Expires={}", NOW + 60),
            &format!("Expires={}", NOW + 6000)
        )
    )
    .is_err());
}

#[test]
fn a_parameter_added_after_signing_is_refused() {
    let t = trusted(&["main"]);
    let url = sign_url(
        &format!("{BASE}/a?x=1"),
        &key(),
        "KMAIN",
        &Policy::Canned { expires: NOW + 60 },
        HashAlgorithm::Sha1,
    )
    .unwrap();
    assert!(check_url(&t, &url).is_ok());
    assert_eq!(
        check_url(&t, &format!("{url}&extra=1")),
        Err("Access denied")
    );
    let (before, after) = url.split_once("&Expires").unwrap();
    assert!(check_url(&t, &format!("{before}&y=2&Expires{after}")).is_err());
    // Custom policy with an exact resource: same.
    let policy = Policy::Custom(custom_policy(
        Some(&format!("{BASE}/a\\?x=1")),
        NOW + 60,
        None,
        None,
    ));
    let url = sign_url(
        &format!("{BASE}/a?x=1"),
        &key(),
        "KMAIN",
        &policy,
        HashAlgorithm::Sha1,
    )
    .unwrap();
    assert!(check_url(&t, &url).is_ok());
    assert!(check_url(&t, &format!("{url}&extra=1")).is_err());
}

#[test]
fn custom_policy_wildcards_dates_and_ip_ranges() {
    let t = trusted(&["main"]);
    let sign = |resource: Option<&str>, dgt: Option<u64>, ip: Option<&str>, url: &str| {
        let p = Policy::Custom(custom_policy(resource, NOW + 60, dgt, ip));
        sign_url(url, &key(), "KMAIN", &p, HashAlgorithm::Sha1).unwrap()
    };
    // One signature for a whole folder: the signed URL may point anywhere below it.
    let url = sign(
        Some(&format!("{BASE}/videos/*")),
        None,
        None,
        &format!("{BASE}/videos/a.mp4"),
    );
    let (_, params) = url.split_once('?').unwrap();
    assert!(check_url(&t, &format!("{BASE}/videos/b/c.mp4?{params}")).is_ok());
    assert!(check_url(&t, &format!("{BASE}/videos/b.mp4?q=1&{params}")).is_ok());
    assert_eq!(
        check_url(&t, &format!("{BASE}/images/a.png?{params}")),
        Err("Access denied")
    );
    // No Resource: any URL.
    let url = sign(None, None, None, &format!("{BASE}/x"));
    let (_, params) = url.split_once('?').unwrap();
    assert!(check_url(&t, &format!("{BASE}/anything?{params}")).is_ok());
    // DateGreaterThan in the future, then in the past.
    assert!(check_url(&t, &sign(None, Some(NOW + 10), None, &format!("{BASE}/x"))).is_err());
    assert!(check_url(&t, &sign(None, Some(NOW - 10), None, &format!("{BASE}/x"))).is_ok());
    // The viewer is 192.0.2.10.
    assert!(check_url(
        &t,
        &sign(None, None, Some("192.0.2.0/24"), &format!("{BASE}/x"))
    )
    .is_ok());
    assert!(check_url(
        &t,
        &sign(None, None, Some("192.0.2.10/32"), &format!("{BASE}/x"))
    )
    .is_ok());
    assert!(check_url(
        &t,
        &sign(None, None, Some("198.51.100.0/24"), &format!("{BASE}/x"))
    )
    .is_err());
    // A custom policy missing DateLessThan is refused.
    let p = Policy::Custom(r#"{"Statement":[{"Resource":"*","Condition":{}}]}"#.into());
    assert!(check_url(
        &t,
        &sign_url(
            &format!("{BASE}/x"),
            &key(),
            "KMAIN",
            &p,
            HashAlgorithm::Sha1
        )
        .unwrap()
    )
    .is_err());
}

#[test]
fn key_ids_are_checked() {
    let t = trusted(&["main"]);
    assert_eq!(
        check_url(&t, &format!("{BASE}/a?Expires={}&Signature=abc", NOW + 60)),
        Err("Missing Key-Pair-Id query parameter or cookie value.")
    );
    assert_eq!(
        check_url(&t, &format!("{BASE}/a")),
        Err("Missing Key-Pair-Id query parameter or cookie value.")
    );
    let other = sign_url(
        &format!("{BASE}/a"),
        &key(),
        "KOTHER",
        &Policy::Canned { expires: NOW + 60 },
        HashAlgorithm::Sha1,
    )
    .unwrap();
    assert_eq!(check_url(&t, &other), Err("Unknown Key."));
    // Trusted, but signed with the wrong private key.
    let both = trusted(&["main", "other"]);
    assert_eq!(check_url(&both, &other), Err("Access denied"));
    // The XML answer.
    let r = t.verify(&request("/a", &[]), now()).unwrap_err();
    assert_eq!(r.response.status, StatusCode::FORBIDDEN);
    assert_eq!(r.x_cache, "Error from cloudfront");
    assert_eq!(
        r.response.body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Missing Key-Pair-Id query parameter or cookie value.</Message></Error>"
    );
}

#[test]
fn signed_cookies_canned_and_custom() {
    let t = trusted(&["main"]);
    let cookie_header = |cookies: Vec<(String, String)>| {
        cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
        let canned = signed_cookies(
            &format!("{BASE}/doc.pdf"),
            &key(),
            "KMAIN",
            &Policy::Canned { expires: NOW + 60 },
            hash,
        )
        .unwrap();
        let h = cookie_header(canned);
        assert!(t
            .check(&request("/doc.pdf", &[("cookie", &h)]), now())
            .is_ok());
        assert!(t
            .check(&request("/other.pdf", &[("cookie", &h)]), now())
            .is_err());
    }
    let custom = Policy::Custom(custom_policy(
        Some(&format!("{BASE}/*")),
        NOW + 60,
        None,
        None,
    ));
    let h = cookie_header(
        signed_cookies(
            &format!("{BASE}/"),
            &key(),
            "KMAIN",
            &custom,
            HashAlgorithm::Sha1,
        )
        .unwrap(),
    );
    assert!(t
        .check(&request("/any/thing?x=1", &[("cookie", &h)]), now())
        .is_ok());
    let later = UNIX_EPOCH + Duration::from_secs(NOW + 61);
    assert!(t
        .check(&request("/any/thing", &[("cookie", &h)]), later)
        .is_err());
}

#[test]
fn key_group_config_is_validated() {
    let dir = fixtures();
    for (bad, needle) in [
        ("[key_groups.g]\nkeys = []\n", "at least one key"),
        ("[key_groups.g]\nkeys = [{ id = \"K1\", public_key_file = \"keys/ec384_public.pem\" }]\n", "P-256"),
        ("[key_groups.g]\nkeys = [{ id = \"K1\", public_key_file = \"keys/nope.pem\" }]\n", "cannot read"),
        ("[key_groups.g]\nkeys = [{ id = \"K1\", public_key_file = \"keys/rsa_public.pem\", x = 1 }]\n", "x"),
        ("[key_groups.g]\nkeys = [{ id = \"K-1\", public_key_file = \"keys/rsa_public.pem\" }]\n", "alphanumeric"),
        ("[key_groups.a]\nkeys = [{ id = \"K1\", public_key_file = \"keys/rsa_public.pem\" }]\n[key_groups.b]\nkeys = [{ id = \"K1\", public_key_file = \"keys/rsa2_public.pem\" }]\n", "already used"),
    ] {
        let err = build(&file_config(bad).key_groups, &dir).unwrap_err();
        assert!(err.item.starts_with("key_groups."), "{bad}");
        assert!(err.message.contains(needle), "{bad}: {err}");
    }
    let six: Vec<String> = (0..6)
        .map(|i| format!("{{ id = \"K{i}\", public_key_file = \"keys/rsa_public.pem\" }}"))
        .collect();
    let err = build(
        &file_config(&format!("[key_groups.g]\nkeys = [{}]\n", six.join(","))).key_groups,
        &dir,
    )
    .unwrap_err();
    assert!(err.message.contains("quota of 5"), "{err}");
    let set = build(&file_config(GROUPS).key_groups, &dir).unwrap();
    let five: Vec<String> = vec!["main".into(); 5];
    assert!(set
        .trusted(&five, "behaviors[0]")
        .unwrap_err()
        .message
        .contains("quota of 4"));
    assert!(set.trusted(&["nope".into()], "behaviors[0]").is_err());
    assert!(trusted(&["main", "other"])
        .describe()
        .contains("main, other"));
}

fn args(url: &str) -> Args {
    Args {
        url: url.into(),
        key_pair_id: "KMAIN".into(),
        private_key: fixtures().join("keys/rsa_private_pkcs1.pem"),
        expires: Some("+60".into()),
        policy_file: None,
        date_greater_than: None,
        ip_address: None,
        resource: None,
        hash: HashArg::Sha1,
        cookies: false,
    }
}

#[test]
fn sign_url_command_round_trips() {
    let t = trusted(&["main"]);
    let out = render(&args(&format!("{BASE}/a?x=1")), now()).unwrap();
    assert!(out.contains(&format!("Expires={}", NOW + 60)));
    assert!(check_url(&t, &out).is_ok());

    let mut custom = args(&format!("{BASE}/v/a.mp4"));
    custom.resource = Some(format!("{BASE}/v/*"));
    custom.ip_address = Some("192.0.2.0/24".into());
    custom.date_greater_than = Some(format!("{}", NOW - 5));
    custom.hash = HashArg::Sha256;
    let out = render(&custom, now()).unwrap();
    assert!(out.contains("Policy=") && out.contains("Hash-Algorithm=SHA256"));
    assert!(check_url(&t, &out).is_ok());

    // A custom policy for a URL with a query string: the default Resource
    // escapes the query's `?` (spec §7.1), so the URL it signs is accepted.
    let mut with_query = args(&format!("{BASE}/v/a.mp4?size=large"));
    with_query.ip_address = Some("192.0.2.0/24".into());
    let out = render(&with_query, now()).unwrap();
    assert!(out.contains("Policy="));
    assert!(check_url(&t, &out).is_ok(), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.json");
    std::fs::write(&policy, format!("{{\n  \"Statement\": [{{ \"Resource\": \"{BASE}/*\",\n \"Condition\": {{ \"DateLessThan\": {{ \"AWS:EpochTime\": {} }} }} }}]\n}}", NOW + 60)).unwrap();
    let mut from_file = args(&format!("{BASE}/z"));
    from_file.policy_file = Some(policy);
    from_file.expires = None;
    let out = render(&from_file, now()).unwrap();
    assert!(check_url(&t, &out).is_ok());

    let mut cookies = args(&format!("{BASE}/c"));
    cookies.cookies = true;
    let out = render(&cookies, now()).unwrap();
    assert!(out
        .lines()
        .all(|l| l.starts_with("Set-Cookie: CloudFront-")));
    let header = out
        .lines()
        .map(|l| {
            l.trim_start_matches("Set-Cookie: ")
                .split(';')
                .next()
                .unwrap()
        })
        .collect::<Vec<_>>()
        .join("; ");
    assert!(t
        .check(&request("/c", &[("cookie", &header)]), now())
        .is_ok());

    let mut bad = args(&format!("{BASE}/a"));
    bad.expires = Some("soon".into());
    assert!(render(&bad, now()).is_err());
}

#[test]
fn ecdsa_p256_keys_sign_and_verify_with_sha256_only() {
    let t = trusted(&["ec"]);
    let ec = SigningKey::from_pem(
        &std::fs::read_to_string(fixtures().join("keys/ec256_private.pem")).unwrap(),
    )
    .unwrap();
    let url = sign_url(
        &format!("{BASE}/e?x=1"),
        &ec,
        "KEC",
        &Policy::Canned { expires: NOW + 60 },
        HashAlgorithm::Sha256,
    )
    .unwrap();
    assert_eq!(check_url(&t, &url), Ok(()));
    assert!(check_url(&t, &format!("{url}&extra=1")).is_err());
    // The same signature presented as SHA1 is refused; signing with SHA1 is an error.
    assert!(check_url(&t, url.strip_suffix("&Hash-Algorithm=SHA256").unwrap()).is_err());
    assert!(sign_url(
        &format!("{BASE}/e"),
        &ec,
        "KEC",
        &Policy::Canned { expires: NOW + 60 },
        HashAlgorithm::Sha1
    )
    .is_err());
    // An RSA signature under the ECDSA key ID fails.
    let rsa = sign_url(
        &format!("{BASE}/e"),
        &key(),
        "KEC",
        &Policy::Canned { expires: NOW + 60 },
        HashAlgorithm::Sha256,
    )
    .unwrap();
    assert_eq!(check_url(&t, &rsa), Err("Access denied"));
    // Through the command.
    let mut a = args(&format!("{BASE}/e"));
    a.key_pair_id = "KEC".into();
    a.private_key = fixtures().join("keys/ec256_private.pem");
    a.hash = HashArg::Sha256;
    assert!(check_url(&t, &render(&a, now()).unwrap()).is_ok());
}
