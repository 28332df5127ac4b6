//! Geo restriction (spec §7.2): an allow-list (`whitelist`) or block-list
//! (`blacklist`) of ISO 3166-1 alpha-2 country codes for the whole
//! distribution. Blocked viewers get CloudFront's 403
//! ([`crate::error::EdgeError::GeoBlocked`]).
//!
//! The viewer's country comes from a configurable source:
//! - `country_source = "header"`: a trusted request header (default
//!   `CloudFront-Viewer-Country`), for test clients that play a country;
//! - `country_source = "cidr-file"`: a CSV of `cidr,country` lines, looked
//!   up by the viewer's IP (binary search over sorted, non-overlapping ranges).
//!
//! MaxMind databases are not read (no `maxminddb` in this build): convert to
//! the CSV form. A viewer whose country cannot be determined is allowed
//! (cfedge's choice; CloudFront does not document it).
//!
//! ```toml
//! [geo_restriction]
//! restriction_type = "blacklist"     # or "whitelist", "none"
//! countries = ["KP", "IR"]
//! country_source = "cidr-file"       # or "header"
//! cidr_file = "geo.csv"
//! ```

use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::config::ConfigError;
use crate::viewer::ViewerRequest;

/// An ISO 3166-1 alpha-2 country code, uppercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parse two ASCII letters (any case).
    pub fn parse(s: &str) -> Option<CountryCode> {
        match s.trim().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => Some(CountryCode([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
            ])),
            _ => None,
        }
    }

    /// The code, e.g. `"US"`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XX")
    }
}

/// The outcome of the geo check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeoDecision {
    /// Serve the request; the country, when known, goes to
    /// `CloudFront-Viewer-Country` toward functions and origins.
    Allowed(Option<CountryCode>),
    /// Answer 403 (`EdgeError::GeoBlocked`).
    Blocked(CountryCode),
}

impl GeoDecision {
    /// The viewer's country, when known.
    pub fn country(&self) -> Option<CountryCode> {
        match self {
            GeoDecision::Allowed(c) => *c,
            GeoDecision::Blocked(c) => Some(*c),
        }
    }
}

/// `RestrictionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestrictionType {
    /// Only the listed countries are served.
    Whitelist,
    /// The listed countries are blocked.
    Blacklist,
    /// Nobody is blocked (the country is still resolved).
    None,
}

/// Where the viewer's country comes from.
#[derive(Debug)]
enum CountrySource {
    Header(http::HeaderName),
    Cidr(CidrTable),
}

/// Sorted, non-overlapping IP ranges (IPv4 mapped into IPv6 space).
#[derive(Debug, Default)]
struct CidrTable {
    ranges: Vec<(u128, u128, CountryCode)>,
}

impl CidrTable {
    fn lookup(&self, ip: IpAddr) -> Option<CountryCode> {
        let n = ip_key(ip);
        let i = self.ranges.partition_point(|r| r.0 <= n);
        let (start, end, c) = self.ranges.get(i.checked_sub(1)?)?;
        (n >= *start && n <= *end).then_some(*c)
    }
}

fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(v4.to_ipv6_mapped()),
            None => u128::from(v6),
        },
    }
}

/// The distribution's geo restriction.
#[derive(Debug)]
pub struct GeoRestriction {
    restriction: RestrictionType,
    countries: Vec<CountryCode>,
    source: CountrySource,
}

impl GeoRestriction {
    /// Resolve the viewer's country and decide.
    pub fn check(&self, req: &ViewerRequest) -> GeoDecision {
        let country = match &self.source {
            CountrySource::Header(h) => req
                .headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .and_then(CountryCode::parse),
            CountrySource::Cidr(t) => t.lookup(req.client_addr.ip()),
        };
        let Some(c) = country else {
            return GeoDecision::Allowed(None);
        };
        let listed = self.countries.contains(&c);
        match (self.restriction, listed) {
            (RestrictionType::Whitelist, false) | (RestrictionType::Blacklist, true) => {
                GeoDecision::Blocked(c)
            }
            _ => GeoDecision::Allowed(Some(c)),
        }
    }

    /// One line for `cfedge validate`.
    pub fn describe(&self) -> String {
        let list: Vec<&str> = self.countries.iter().map(CountryCode::as_str).collect();
        let source = match &self.source {
            CountrySource::Header(h) => format!("header {h}"),
            CountrySource::Cidr(t) => format!("CIDR file ({} ranges)", t.ranges.len()),
        };
        match self.restriction {
            RestrictionType::None => format!("geo restriction: none (country from {source})"),
            RestrictionType::Whitelist => {
                format!(
                    "geo restriction: allow only {} (country from {source})",
                    list.join(", ")
                )
            }
            RestrictionType::Blacklist => {
                format!(
                    "geo restriction: block {} (country from {source})",
                    list.join(", ")
                )
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GeoToml {
    restriction_type: RestrictionType,
    #[serde(default)]
    countries: Vec<String>,
    #[serde(default)]
    country_source: SourceKind,
    header: Option<String>,
    cidr_file: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum SourceKind {
    #[default]
    Header,
    CidrFile,
    Maxmind,
}

/// Build `[geo_restriction]`.
pub fn build(file: &Spanned<toml::Table>, base: &Path) -> Result<GeoRestriction, ConfigError> {
    let err = |m: String| ConfigError::new("geo_restriction", m);
    let raw: GeoToml = file
        .get_ref()
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| err(e.message().to_owned()))?;
    let countries = raw
        .countries
        .iter()
        .map(|c| match CountryCode::parse(c) {
            Some(code) if code.as_str() == c => Ok(code),
            _ => Err(err(format!(
                "countries: \"{c}\" is not an uppercase ISO 3166-1 alpha-2 code"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if raw.restriction_type != RestrictionType::None && countries.is_empty() {
        return Err(err(
            "countries is empty: a whitelist or blacklist needs at least one country".into(),
        ));
    }
    let source = match raw.country_source {
        SourceKind::Header => {
            if raw.cidr_file.is_some() {
                return Err(err("cidr_file needs country_source = \"cidr-file\"".into()));
            }
            let name = raw.header.as_deref().unwrap_or("cloudfront-viewer-country");
            CountrySource::Header(
                http::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| err(format!("header: \"{name}\" is not a header name")))?,
            )
        }
        SourceKind::CidrFile => {
            let f = raw
                .cidr_file
                .ok_or_else(|| err("country_source = \"cidr-file\" needs cidr_file".into()))?;
            let path = base.join(&f);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| err(format!("cannot read cidr_file {}: {e}", path.display())))?;
            CountrySource::Cidr(
                parse_cidr_csv(&text).map_err(|e| err(format!("{}: {e}", path.display())))?,
            )
        }
        SourceKind::Maxmind => {
            return Err(err(
                "MaxMind databases are not supported by this build: export the ranges to a CSV of cidr,country and use country_source = \"cidr-file\"".into(),
            ))
        }
    };
    Ok(GeoRestriction {
        restriction: raw.restriction_type,
        countries,
        source,
    })
}

/// `cidr,country` lines (`#` comments, blank lines and a `cidr,country` header skipped).
fn parse_cidr_csv(text: &str) -> Result<CidrTable, String> {
    let mut ranges = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || (n == 0 && line.starts_with("cidr")) {
            continue;
        }
        let at = n + 1;
        let (cidr, country) = line
            .split_once(',')
            .ok_or_else(|| format!("line {at}: expected cidr,country"))?;
        let net: ipnet::IpNet = cidr
            .trim()
            .parse()
            .map_err(|_| format!("line {at}: \"{cidr}\" is not a CIDR"))?;
        let country = CountryCode::parse(country)
            .ok_or_else(|| format!("line {at}: \"{country}\" is not a country code"))?;
        let (start, end) = (ip_key(net.network()), ip_key(net.broadcast()));
        ranges.push((start, end, country, at));
    }
    ranges.sort_by_key(|r| r.0);
    for w in ranges.windows(2) {
        if w[1].0 <= w[0].1 {
            return Err(format!(
                "line {} overlaps line {}: ranges must not overlap",
                w[1].3, w[0].3
            ));
        }
    }
    Ok(CidrTable {
        ranges: ranges.into_iter().map(|(s, e, c, _)| (s, e, c)).collect(),
    })
}
