//! Geo restriction: allow and block lists, header and CIDR-file sources.

use cfedge::rules::geo::{build, GeoDecision, GeoRestriction};

use super::{file_config, fixtures, request};

fn geo(toml: &str, base: &std::path::Path) -> GeoRestriction {
    build(file_config(toml).geo_restriction.as_ref().unwrap(), base).unwrap()
}

fn decide(g: &GeoRestriction, country: Option<&str>) -> GeoDecision {
    let headers: Vec<(&str, &str)> = country
        .map(|c| ("cloudfront-viewer-country", c))
        .into_iter()
        .collect();
    g.check(&request("/", &headers))
}

#[test]
fn blacklist_blocks_listed_countries_only() {
    let g = geo(
        "[geo_restriction]\nrestriction_type = \"blacklist\"\ncountries = [\"KP\", \"IR\"]\n",
        &fixtures(),
    );
    assert!(matches!(decide(&g, Some("KP")), GeoDecision::Blocked(c) if c.as_str() == "KP"));
    assert!(matches!(decide(&g, Some("ir")), GeoDecision::Blocked(_)));
    let us = decide(&g, Some("US"));
    assert_eq!(us.country().unwrap().as_str(), "US");
    assert!(matches!(us, GeoDecision::Allowed(Some(_))));
    assert_eq!(decide(&g, None), GeoDecision::Allowed(None));
    assert_eq!(
        decide(&g, Some("not-a-country")),
        GeoDecision::Allowed(None)
    );
}

#[test]
fn whitelist_allows_listed_countries_only() {
    let g = geo(
        "[geo_restriction]\nrestriction_type = \"whitelist\"\ncountries = [\"FR\"]\nheader = \"x-test-country\"\n",
        &fixtures(),
    );
    let at = |c: &str| g.check(&request("/", &[("x-test-country", c)]));
    assert!(matches!(at("FR"), GeoDecision::Allowed(Some(_))));
    assert!(matches!(at("DE"), GeoDecision::Blocked(_)));
    // The default header is not consulted when another is configured.
    assert!(matches!(decide(&g, Some("DE")), GeoDecision::Allowed(None)));
    assert!(g.describe().contains("allow only FR"));
}

#[test]
fn cidr_file_resolves_the_viewer_ip() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("geo.csv"),
        "cidr,country\n# test ranges\n192.0.2.0/24,GB\n198.51.100.0/25,DE\n2001:db8::/32,JP\n",
    )
    .unwrap();
    let g = geo(
        "[geo_restriction]\nrestriction_type = \"blacklist\"\ncountries = [\"GB\"]\ncountry_source = \"cidr-file\"\ncidr_file = \"geo.csv\"\n",
        dir.path(),
    );
    let from = |ip: &str| {
        let mut r = request("/", &[("cloudfront-viewer-country", "US")]);
        r.client_addr = std::net::SocketAddr::new(ip.parse().unwrap(), 1234);
        g.check(&r)
    };
    // The viewer's header is ignored with a CIDR source.
    assert!(matches!(from("192.0.2.77"), GeoDecision::Blocked(c) if c.as_str() == "GB"));
    assert!(matches!(from("::ffff:192.0.2.1"), GeoDecision::Blocked(_)));
    assert!(matches!(from("198.51.100.127"), GeoDecision::Allowed(Some(c)) if c.as_str() == "DE"));
    assert_eq!(from("198.51.100.128"), GeoDecision::Allowed(None));
    assert!(matches!(from("2001:db8::1"), GeoDecision::Allowed(Some(c)) if c.as_str() == "JP"));
}

#[test]
fn bad_configs_name_geo_restriction() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("overlap.csv"),
        "10.0.0.0/8,US\n10.1.0.0/16,CA\n",
    )
    .unwrap();
    for (bad, needle) in [
        ("restriction_type = \"blacklist\"\ncountries = [\"usa\"]", "usa"),
        ("restriction_type = \"blacklist\"\ncountries = [\"us\"]", "uppercase"),
        ("restriction_type = \"whitelist\"", "empty"),
        ("restriction_type = \"deny\"\ncountries = [\"US\"]", "deny"),
        ("restriction_type = \"blacklist\"\ncountries = [\"US\"]\ncountry_source = \"maxmind\"", "MaxMind"),
        ("restriction_type = \"blacklist\"\ncountries = [\"US\"]\ncountry_source = \"cidr-file\"", "cidr_file"),
        ("restriction_type = \"blacklist\"\ncountries = [\"US\"]\ncountry_source = \"cidr-file\"\ncidr_file = \"overlap.csv\"", "overlap"),
    ] {
        let err = build(file_config(&format!("[geo_restriction]\n{bad}\n")).geo_restriction.as_ref().unwrap(), dir.path()).unwrap_err();
        assert_eq!(err.item, "geo_restriction");
        assert!(err.message.contains(needle), "{bad}: {err}");
    }
}
