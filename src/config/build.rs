//! `FileConfig` → `Config`: defaults, CloudFront's value ranges and quotas,
//! cross-references. Never panics; every error names the item and its line.

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use sha1::{Digest, Sha1};
use toml::Spanned;

use super::defaults::*;
use super::file::*;
use super::*;
use crate::behavior::PathPattern;
use crate::origin_request_policy::{HeaderSelection, OriginRequestPolicy};

/// Error codes that may have a custom error response (spec §1.5).
pub const CUSTOM_ERROR_CODES: &[u16] = &[400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
/// Response codes a custom error response may substitute (spec §1.5).
pub const CUSTOM_RESPONSE_CODES: &[u16] =
    &[200, 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
/// Statuses an origin group may fail over on (spec §1.3).
pub const FAILOVER_CODES: &[u16] = &[400, 403, 404, 416, 500, 502, 503, 504];

/// Headers only an origin request policy may add, never a cache policy (spec §2.3).
const VIEWER_ONLY_HEADERS: &[&str] = &[
    "cloudfront-viewer-address",
    "cloudfront-viewer-asn",
    "cloudfront-viewer-ja3-fingerprint",
    "cloudfront-viewer-ja4-fingerprint",
    "cloudfront-viewer-tls",
];

/// Parse and validate config text. `source` is the file it came from.
pub fn build(text: &str, source: Option<&Path>) -> Result<Config, ConfigError> {
    let file: FileConfig = toml::from_str(text).map_err(|e| {
        let mut err = ConfigError::new("", e.message().to_owned());
        if let Some(span) = e.span() {
            let (line, col) = line_col(text, span.start);
            err.line = Some(line);
            err.column = Some(col);
        }
        err
    })?;
    let cx = Cx { text };
    let base = base_dir_of(source);

    let server = build_server(&file.server, &cx)?;
    let distribution = build_distribution(&file.distribution)?;
    let cache = build_cache(&file.cache)?;

    // Origins and groups share one namespace of IDs that behaviours target.
    if file.origins.len() > MAX_ORIGINS {
        return Err(ConfigError::new(
            "origins",
            format!(
                "{} origins exceed CloudFront's quota of {MAX_ORIGINS}",
                file.origins.len()
            ),
        ));
    }
    let mut origins = Vec::new();
    let mut origin_index = HashMap::new();
    for (id, o) in &file.origins {
        let origin = build_origin(id, o.get_ref(), &base).map_err(|e| cx.locate(e, o))?;
        origin_index.insert(id.clone(), OriginId(origins.len()));
        origins.push(Arc::new(origin));
    }
    if file.origin_groups.len() > MAX_ORIGIN_GROUPS {
        return Err(ConfigError::new(
            "origin_groups",
            format!("more than {MAX_ORIGIN_GROUPS} origin groups (CloudFront's quota)"),
        ));
    }
    let mut origin_groups = Vec::new();
    let mut group_index = HashMap::new();
    for (id, g) in &file.origin_groups {
        let item = format!("origin_groups.{id}");
        if origin_index.contains_key(id) {
            return Err(cx.locate(
                ConfigError::new(&item, "an origin and an origin group cannot share an ID"),
                g,
            ));
        }
        let group =
            build_group(id, g.get_ref(), &origin_index, &item).map_err(|e| cx.locate(e, g))?;
        group_index.insert(id.clone(), origin_groups.len());
        origin_groups.push(group);
    }

    let policies = build_policies(&file.cache_policies, &cx)?;
    let request_policies = build_request_policies(&file.origin_request_policies, &cx)?;
    let features = crate::features::build(&file, &base, &distribution)
        .map_err(|e| locate_feature_error(e, &file, &cx))?;

    if file.behaviors.len() > MAX_BEHAVIORS {
        return Err(ConfigError::new(
            "behaviors",
            format!(
                "{} behaviours exceed CloudFront's quota of {MAX_BEHAVIORS}",
                file.behaviors.len()
            ),
        ));
    }
    let refs = Refs {
        origins: &origin_index,
        groups: &group_index,
        policies: &policies,
        request_policies: &request_policies,
        features: &features,
    };
    let mut behaviors = Vec::new();
    let mut seen_patterns = HashSet::new();
    for (i, b) in file.behaviors.iter().enumerate() {
        let pattern_desc = b.get_ref().path_pattern.as_deref().unwrap_or("");
        let item = format!("behaviors[{i}] (path_pattern \"{pattern_desc}\")");
        let pattern = match &b.get_ref().path_pattern {
            None => {
                return Err(cx.locate(ConfigError::new(&item, "path_pattern is required"), b));
            }
            Some(p) => PathPattern::new(p)
                .map_err(|e| cx.locate(ConfigError::new(&item, e.to_string()), b))?,
        };
        if !seen_patterns.insert(pattern.as_str().trim_start_matches('/').to_owned()) {
            return Err(cx.locate(
                ConfigError::new(&item, "another behaviour already uses this path pattern"),
                b,
            ));
        }
        let behavior = build_behavior(i, Some(pattern), b.get_ref(), &refs, &item)
            .map_err(|e| cx.locate(e, b))?;
        behaviors.push(Arc::new(behavior));
    }
    let default_behavior = match &file.default_behavior {
        None => return Err(ConfigError::new(
            "default_behavior",
            "a [default_behavior] section is required (it serves every path no behaviour matches)",
        )),
        Some(b) => {
            let item = "default_behavior";
            if b.get_ref().path_pattern.is_some() {
                return Err(cx.locate(
                    ConfigError::new(
                        item,
                        "the default behaviour has the fixed pattern \"*\"; remove path_pattern",
                    ),
                    b,
                ));
            }
            Arc::new(
                build_behavior(behaviors.len(), None, b.get_ref(), &refs, item)
                    .map_err(|e| cx.locate(e, b))?,
            )
        }
    };

    let mut custom_error_responses = HashMap::new();
    for (i, c) in file.custom_error_responses.iter().enumerate() {
        let item = format!(
            "custom_error_responses[{i}] (error_code {})",
            c.get_ref().error_code
        );
        let cer = build_custom_error(c.get_ref(), &item).map_err(|e| cx.locate(e, c))?;
        if custom_error_responses.insert(cer.error_code, cer).is_some() {
            return Err(cx.locate(
                ConfigError::new(&item, "another custom error response uses this error code"),
                c,
            ));
        }
    }

    Ok(Config {
        source: source.map(Path::to_path_buf),
        server,
        distribution,
        cache,
        origins,
        origin_groups,
        behaviors,
        default_behavior,
        custom_error_responses,
        features,
    })
}

/// Give a feature's error (item `section.name...`) the line of its table.
fn locate_feature_error(e: ConfigError, file: &FileConfig, cx: &Cx<'_>) -> ConfigError {
    if e.line.is_some() || e.file.is_some() {
        return e;
    }
    let Some((section, rest)) = e.item.split_once('.') else {
        return e;
    };
    let name = rest.split(['.', ' ', '[']).next().unwrap_or(rest);
    let span = match section {
        "functions" => file.functions.get(name).map(|s| s.span()),
        "key_value_stores" => file.key_value_stores.get(name).map(|s| s.span()),
        "lambdas" => file.lambdas.get(name).map(|s| s.span()),
        "jwt_rules" => file.jwt_rules.get(name).map(|s| s.span()),
        "redirect_rules" => file.redirect_rules.get(name).map(|s| s.span()),
        "key_groups" => file.key_groups.get(name).map(|s| s.span()),
        "response_headers_policies" => file.response_headers_policies.get(name).map(|s| s.span()),
        _ => None,
    };
    match span {
        Some(span) => e.at_line(line_col(cx.text, span.start).0),
        None => e,
    }
}

/// Source text, for turning spans into lines.
struct Cx<'a> {
    text: &'a str,
}

impl Cx<'_> {
    fn locate<T>(&self, mut e: ConfigError, at: &Spanned<T>) -> ConfigError {
        if e.line.is_none() {
            e.line = Some(line_col(self.text, at.span().start).0);
        }
        e
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn secs(
    item: &str,
    key: &str,
    v: Option<u64>,
    default: Duration,
    range: (u64, u64),
) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(default),
        Some(s) if s >= range.0 && s <= range.1 => Ok(Duration::from_secs(s)),
        Some(s) => Err(ConfigError::new(
            item,
            format!(
                "{key} = {s} is out of range ({}-{} seconds)",
                range.0, range.1
            ),
        )),
    }
}

fn parse_listen(item: &str, s: &str) -> Result<SocketAddr, ConfigError> {
    if let Ok(a) = s.parse() {
        return Ok(a);
    }
    s.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            ConfigError::new(item, format!("listen = \"{s}\" is not a host:port address"))
        })
}

fn build_server(s: &ServerFile, cx: &Cx<'_>) -> Result<ServerConfig, ConfigError> {
    let item = "server";
    let listen = parse_listen(item, s.listen.as_deref().unwrap_or(DEFAULT_LISTEN))?;
    let tls = match &s.tls {
        None => None,
        Some(t) => {
            let tf = t.get_ref();
            let listen = parse_listen(
                "server.tls",
                tf.listen.as_deref().unwrap_or(DEFAULT_TLS_LISTEN),
            )
            .map_err(|e| cx.locate(e, t))?;
            let mut certificates = Vec::new();
            match (&tf.cert, &tf.key) {
                (Some(c), Some(k)) => certificates.push((c.clone(), k.clone())),
                (None, None) => {}
                _ => {
                    return Err(cx.locate(
                        ConfigError::new("server.tls", "cert and key must be given together"),
                        t,
                    ))
                }
            }
            certificates.extend(
                tf.certificates
                    .iter()
                    .map(|c| (c.cert.clone(), c.key.clone())),
            );
            Some(TlsConfig {
                listen,
                certificates,
            })
        }
    };
    Ok(ServerConfig {
        listen,
        header_read_timeout: secs(
            item,
            "header_read_timeout",
            s.header_read_timeout,
            DEFAULT_HEADER_READ_TIMEOUT,
            (1, 3600),
        )?,
        idle_timeout: secs(
            item,
            "idle_timeout",
            s.idle_timeout,
            DEFAULT_IDLE_TIMEOUT,
            (1, 3600),
        )?,
        drain_timeout: secs(
            item,
            "drain_timeout",
            s.drain_timeout,
            DEFAULT_DRAIN_TIMEOUT,
            (0, 3600),
        )?,
        workers: match s.workers {
            Some(0) => return Err(ConfigError::new(item, "workers must be at least 1")),
            w => w,
        },
        tls,
        state_dir: s
            .state_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR)),
    })
}

fn build_distribution(d: &DistributionFile) -> Result<Distribution, ConfigError> {
    let item = "distribution";
    let id =
        d.id.clone()
            .unwrap_or_else(|| DEFAULT_DISTRIBUTION_ID.to_owned());
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ConfigError::new(
            item,
            format!("id = \"{id}\" must be letters and digits"),
        ));
    }
    let domain_name = d
        .domain_name
        .clone()
        .unwrap_or_else(|| DEFAULT_DOMAIN_NAME.to_owned());
    if let Some(root) = &d.default_root_object {
        if root.starts_with('/') {
            return Err(ConfigError::new(
                item,
                format!(
                    "default_root_object = \"{root}\" must not start with '/' (CloudFront adds it)"
                ),
            ));
        }
        if root.is_empty() || root.len() > 255 {
            return Err(ConfigError::new(
                item,
                "default_root_object must be 1-255 characters",
            ));
        }
    }
    let pop = d.pop.clone().unwrap_or_else(|| DEFAULT_POP.to_owned());
    if HeaderValue::from_str(&pop).is_err() {
        return Err(ConfigError::new(item, "pop must be a valid header value"));
    }
    let hash = hex::encode(Sha1::digest(id.as_bytes()));
    Ok(Distribution {
        via: format!("1.1 {}.cloudfront.net (CloudFront)", &hash[..32]),
        id,
        domain_name,
        aliases: d.aliases.clone(),
        default_root_object: d.default_root_object.clone(),
        pop,
        allow_oversized_functions: d.allow_oversized_functions.unwrap_or(false),
    })
}

fn build_cache(c: &CacheFile) -> Result<CacheConfig, ConfigError> {
    let max_size_mb = c.max_size_mb.unwrap_or(DEFAULT_CACHE_MAX_SIZE_MB);
    let max_object_mb = c
        .max_object_size_mb
        .unwrap_or(DEFAULT_MAX_OBJECT_SIZE_MB.min(max_size_mb));
    if max_object_mb > max_size_mb {
        return Err(ConfigError::new(
            "cache",
            format!(
                "max_object_size_mb ({max_object_mb}) is larger than max_size_mb ({max_size_mb})"
            ),
        ));
    }
    Ok(CacheConfig {
        max_size_bytes: max_size_mb.saturating_mul(1 << 20),
        max_object_size_bytes: max_object_mb.saturating_mul(1 << 20),
    })
}

fn build_origin(id: &str, o: &OriginFile, base: &Path) -> Result<Origin, ConfigError> {
    let item = format!("origins.{id}");
    let item = item.as_str();
    if id.is_empty() || id.len() > 128 {
        return Err(ConfigError::new(item, "origin IDs are 1-128 characters"));
    }
    let kind = match (&o.url, &o.dir) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                item,
                "give either url (custom origin) or dir (S3-like directory), not both",
            ))
        }
        (None, None) => {
            return Err(ConfigError::new(
                item,
                "needs url = \"http://host:port\" or dir = \"path\"",
            ))
        }
        (Some(url), None) => OriginKind::Custom(build_custom(item, url, o)?),
        (None, Some(dir)) => {
            let path = if dir.is_absolute() {
                dir.clone()
            } else {
                base.join(dir)
            };
            let canonical = path.canonicalize().map_err(|e| {
                ConfigError::new(item, format!("dir = \"{}\": {e}", path.display()))
            })?;
            if !canonical.is_dir() {
                return Err(ConfigError::new(
                    item,
                    format!("dir = \"{}\" is not a directory", path.display()),
                ));
            }
            OriginKind::Dir(canonical)
        }
    };
    let origin_path = match &o.origin_path {
        None => String::new(),
        Some(p) if p.is_empty() => String::new(),
        Some(p) => {
            if !p.starts_with('/') || p.ends_with('/') || p.len() > 255 {
                return Err(ConfigError::new(
                    item,
                    format!("origin_path = \"{p}\" must start with '/' and not end with '/' (max 255 characters)"),
                ));
            }
            p.clone()
        }
    };
    let connection_attempts = match o.connection_attempts {
        None => DEFAULT_CONNECTION_ATTEMPTS,
        Some(n @ 1..=3) => n,
        Some(n) => {
            return Err(ConfigError::new(
                item,
                format!("connection_attempts = {n} is out of range (1-3)"),
            ))
        }
    };
    let read_timeout = secs(
        item,
        "read_timeout",
        o.read_timeout,
        DEFAULT_READ_TIMEOUT,
        (1, 120),
    )?;
    let response_completion_timeout = match o.response_completion_timeout {
        None => None,
        Some(s) if Duration::from_secs(s) >= read_timeout => Some(Duration::from_secs(s)),
        Some(s) => {
            return Err(ConfigError::new(
                item,
                format!(
                    "response_completion_timeout = {s} must be at least read_timeout ({} s)",
                    read_timeout.as_secs()
                ),
            ))
        }
    };
    if o.custom_headers.len() > MAX_ORIGIN_CUSTOM_HEADERS {
        return Err(ConfigError::new(
            item,
            format!("more than {MAX_ORIGIN_CUSTOM_HEADERS} custom headers (CloudFront's quota)"),
        ));
    }
    let mut custom_headers = Vec::new();
    let mut total = 0;
    for (name, value) in &o.custom_headers {
        let lower = name.to_ascii_lowercase();
        if crate::headers::is_forbidden_custom_header(&lower) {
            return Err(ConfigError::new(
                item,
                format!("custom header \"{name}\" is one CloudFront does not let you add"),
            ));
        }
        if name.len() > 256 || value.len() > 1783 {
            return Err(ConfigError::new(
                item,
                format!(
                    "custom header \"{name}\": names are at most 256 and values 1,783 characters"
                ),
            ));
        }
        total += name.len() + value.len();
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            ConfigError::new(
                item,
                format!("custom header \"{name}\" is not a valid header name"),
            )
        })?;
        let v = HeaderValue::from_str(value).map_err(|_| {
            ConfigError::new(
                item,
                format!("custom header \"{name}\" has an invalid value"),
            )
        })?;
        custom_headers.push((n, v));
    }
    if total > 10_240 {
        return Err(ConfigError::new(
            item,
            "custom header names and values exceed 10,240 characters in total",
        ));
    }
    Ok(Origin {
        id: id.to_owned(),
        kind,
        origin_path,
        connection_attempts,
        connection_timeout: secs(
            item,
            "connection_timeout",
            o.connection_timeout,
            DEFAULT_CONNECTION_TIMEOUT,
            (1, 10),
        )?,
        read_timeout,
        keepalive_timeout: secs(
            item,
            "keepalive_timeout",
            o.keepalive_timeout,
            DEFAULT_KEEPALIVE_TIMEOUT,
            (1, 120),
        )?,
        response_completion_timeout,
        custom_headers,
    })
}

fn build_custom(item: &str, url: &str, o: &OriginFile) -> Result<CustomOrigin, ConfigError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| ConfigError::new(item, format!("url = \"{url}\" is not a valid URL")))?;
    let https = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => {
            return Err(ConfigError::new(
                item,
                format!("url = \"{url}\" must start with http:// or https://"),
            ))
        }
    };
    if uri.path() != "/" && !uri.path().is_empty() {
        return Err(ConfigError::new(
            item,
            format!("url = \"{url}\" must not contain a path; use origin_path"),
        ));
    }
    let host = uri
        .host()
        .ok_or_else(|| ConfigError::new(item, format!("url = \"{url}\" has no host")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port_ok = |p: u16| p == 80 || p == 443 || p >= 1024;
    let url_port = uri.port_u16();
    let http_port = o
        .http_port
        .or(if https { None } else { url_port })
        .unwrap_or(DEFAULT_HTTP_PORT);
    let https_port = o
        .https_port
        .or(if https { url_port } else { None })
        .unwrap_or(DEFAULT_HTTPS_PORT);
    for (key, p) in [("http_port", http_port), ("https_port", https_port)] {
        if !port_ok(p) {
            return Err(ConfigError::new(
                item,
                format!("{key} = {p}: CloudFront allows 80, 443 and 1024-65535"),
            ));
        }
    }
    let protocol_policy = match o.origin_protocol_policy.as_deref() {
        None if https => OriginProtocolPolicy::HttpsOnly,
        None => OriginProtocolPolicy::HttpOnly,
        Some("http-only") => OriginProtocolPolicy::HttpOnly,
        Some("https-only") => OriginProtocolPolicy::HttpsOnly,
        Some("match-viewer") => OriginProtocolPolicy::MatchViewer,
        Some(other) => {
            return Err(ConfigError::new(
                item,
                format!("origin_protocol_policy = \"{other}\" (expected http-only, https-only or match-viewer)"),
            ))
        }
    };
    Ok(CustomOrigin {
        domain_name: host,
        protocol_policy,
        http_port,
        https_port,
        ca_file: o.ca_file.clone(),
        insecure_skip_verify: o.insecure_skip_verify.unwrap_or(false),
    })
}

fn build_group(
    id: &str,
    g: &OriginGroupFile,
    origins: &HashMap<String, OriginId>,
    item: &str,
) -> Result<OriginGroup, ConfigError> {
    if g.members.len() != 2 {
        return Err(ConfigError::new(
            item,
            "members must name exactly two origins: [primary, secondary]",
        ));
    }
    let member = |m: &String| {
        origins.get(m).copied().ok_or_else(|| {
            ConfigError::new(
                item,
                format!("member \"{m}\" is not an origin in [origins]"),
            )
        })
    };
    let primary = member(&g.members[0])?;
    let secondary = member(&g.members[1])?;
    if primary == secondary {
        return Err(ConfigError::new(
            item,
            "primary and secondary must be different origins",
        ));
    }
    if g.failover_status_codes.is_empty() {
        return Err(ConfigError::new(
            item,
            "failover_status_codes needs at least one status",
        ));
    }
    if let Some(c) = g
        .failover_status_codes
        .iter()
        .find(|c| !FAILOVER_CODES.contains(c))
    {
        return Err(ConfigError::new(
            item,
            format!("failover status {c} is not allowed (CloudFront allows {FAILOVER_CODES:?})"),
        ));
    }
    Ok(OriginGroup {
        id: id.to_owned(),
        primary,
        secondary,
        failover_status_codes: g.failover_status_codes.clone(),
    })
}

/// Managed policies plus custom ones, keyed by name and by ID.
fn build_policies(
    custom: &std::collections::BTreeMap<String, Spanned<CachePolicyFile>>,
    cx: &Cx<'_>,
) -> Result<HashMap<String, Arc<CachePolicy>>, ConfigError> {
    let mut map = HashMap::new();
    for p in managed::cache_policies() {
        let p = Arc::new(p);
        if let Some(id) = &p.id {
            map.insert(id.clone(), p.clone());
        }
        map.insert(p.name.clone(), p);
    }
    for (name, f) in custom {
        let item = format!("cache_policies.{name}");
        if map.contains_key(name) {
            return Err(cx.locate(
                ConfigError::new(&item, "this name is taken by an AWS managed cache policy"),
                f,
            ));
        }
        let p = build_policy(name, f.get_ref(), &item).map_err(|e| cx.locate(e, f))?;
        map.insert(name.clone(), Arc::new(p));
    }
    Ok(map)
}

fn list_behavior(
    item: &str,
    key: &str,
    f: &Option<ListBehaviorFile>,
) -> Result<ListBehavior, ConfigError> {
    Ok(match f {
        None => ListBehavior::None,
        Some(ListBehaviorFile::Keyword(k)) => match k.as_str() {
            "none" => ListBehavior::None,
            "all" => ListBehavior::All,
            other => {
                return Err(ConfigError::new(
                    item,
                    format!("{key} = \"{other}\" (expected \"none\", \"all\", {{ allow = [...] }} or {{ all_except = [...] }})"),
                ))
            }
        },
        Some(ListBehaviorFile::Allow { allow }) => ListBehavior::Allow(allow.clone()),
        Some(ListBehaviorFile::AllExcept { all_except }) => ListBehavior::AllExcept(all_except.clone()),
    })
}

fn build_policy(name: &str, f: &CachePolicyFile, item: &str) -> Result<CachePolicy, ConfigError> {
    let min_ttl = f.min_ttl.unwrap_or(0);
    // Spec §2.1: DefaultTTL defaults to 86400 (or MinTTL if larger); MaxTTL to
    // 31536000 (or DefaultTTL if larger).
    let default_ttl = f.default_ttl.unwrap_or(DEFAULT_TTL.max(min_ttl));
    let max_ttl = f.max_ttl.unwrap_or(DEFAULT_MAX_TTL.max(default_ttl));
    if !(min_ttl <= default_ttl && default_ttl <= max_ttl) {
        return Err(ConfigError::new(
            item,
            format!("TTLs must satisfy min_ttl <= default_ttl <= max_ttl (got {min_ttl} / {default_ttl} / {max_ttl}; CloudFront: InvalidTTLOrder)"),
        ));
    }
    let query_strings = list_behavior(item, "query_strings", &f.query_strings)?;
    let cookies = list_behavior(item, "cookies", &f.cookies)?;
    let gzip = f.enable_accept_encoding_gzip.unwrap_or(false);
    let br = f.enable_accept_encoding_brotli.unwrap_or(false);
    let mut headers = Vec::new();
    for h in &f.headers {
        let n = HeaderName::from_bytes(h.as_bytes())
            .map_err(|_| ConfigError::new(item, format!("\"{h}\" is not a valid header name")))?;
        if VIEWER_ONLY_HEADERS.contains(&n.as_str()) {
            return Err(ConfigError::new(
                item,
                format!("header \"{h}\" can only be forwarded by an origin request policy, not put in a cache key"),
            ));
        }
        if n == http::header::ACCEPT_ENCODING && (gzip || br) {
            return Err(ConfigError::new(
                item,
                "Accept-Encoding cannot be listed in headers when enable_accept_encoding_gzip/brotli is on (CloudFront normalises it itself)",
            ));
        }
        headers.push(n);
    }
    let names = |l: &ListBehavior| match l {
        ListBehavior::Allow(v) | ListBehavior::AllExcept(v) => v.clone(),
        _ => Vec::new(),
    };
    for (key, list) in [
        ("headers", f.headers.clone()),
        ("query_strings", names(&query_strings)),
        ("cookies", names(&cookies)),
    ] {
        if list.len() > MAX_POLICY_NAMES {
            return Err(ConfigError::new(
                item,
                format!(
                    "{key} lists {} names; CloudFront's quota is {MAX_POLICY_NAMES}",
                    list.len()
                ),
            ));
        }
    }
    let total: usize = f.headers.iter().map(String::len).sum::<usize>()
        + names(&query_strings).iter().map(String::len).sum::<usize>()
        + names(&cookies).iter().map(String::len).sum::<usize>();
    if total > 1024 {
        return Err(ConfigError::new(
            item,
            "header, cookie and query string names exceed 1,024 characters in total",
        ));
    }
    Ok(CachePolicy {
        name: name.to_owned(),
        id: None,
        min_ttl,
        default_ttl,
        max_ttl,
        query_strings,
        headers,
        cookies,
        accept_encoding_gzip: gzip,
        accept_encoding_brotli: br,
    })
}

/// Managed origin request policies plus custom ones, keyed by name and by ID.
fn build_request_policies(
    custom: &std::collections::BTreeMap<String, Spanned<OriginRequestPolicyFile>>,
    cx: &Cx<'_>,
) -> Result<HashMap<String, Arc<OriginRequestPolicy>>, ConfigError> {
    let mut map = HashMap::new();
    for p in crate::origin_request_policy::managed() {
        let p = Arc::new(p);
        if let Some(id) = &p.id {
            map.insert(id.clone(), p.clone());
        }
        map.insert(p.name.clone(), p);
    }
    for (name, f) in custom {
        let item = format!("origin_request_policies.{name}");
        if map.contains_key(name) {
            return Err(cx.locate(
                ConfigError::new(
                    &item,
                    "this name is taken by an AWS managed origin request policy",
                ),
                f,
            ));
        }
        let p = build_request_policy(name, f.get_ref(), &item).map_err(|e| cx.locate(e, f))?;
        map.insert(name.clone(), Arc::new(p));
    }
    Ok(map)
}

fn header_names(item: &str, names: &[String]) -> Result<Vec<HeaderName>, ConfigError> {
    names
        .iter()
        .map(|h| {
            HeaderName::from_bytes(h.as_bytes())
                .map_err(|_| ConfigError::new(item, format!("\"{h}\" is not a valid header name")))
        })
        .collect()
}

fn build_request_policy(
    name: &str,
    f: &OriginRequestPolicyFile,
    item: &str,
) -> Result<OriginRequestPolicy, ConfigError> {
    let headers = match &f.headers {
        None => HeaderSelection::None,
        Some(HeaderSelectionFile::Keyword(k)) => match k.as_str() {
            "none" => HeaderSelection::None,
            "all_viewer" => HeaderSelection::AllViewer,
            other => {
                return Err(ConfigError::new(
                    item,
                    format!("headers = \"{other}\" (expected \"none\", \"all_viewer\", {{ allow = [...] }}, {{ all_except = [...] }} or {{ all_viewer_and_cloudfront = [...] }})"),
                ))
            }
        },
        Some(HeaderSelectionFile::Allow { allow }) => {
            let names = header_names(item, allow)?;
            if names.contains(&http::header::AUTHORIZATION) {
                return Err(ConfigError::new(
                    item,
                    "Authorization cannot be listed in an origin request policy; put it in the cache policy or use all_viewer",
                ));
            }
            HeaderSelection::Allow(names)
        }
        Some(HeaderSelectionFile::AllExcept { all_except }) => HeaderSelection::AllExcept(header_names(item, all_except)?),
        Some(HeaderSelectionFile::AllViewerAndCloudFront { all_viewer_and_cloudfront }) => {
            let names = header_names(item, all_viewer_and_cloudfront)?;
            if let Some(n) = names.iter().find(|n| !n.as_str().starts_with("cloudfront-")) {
                return Err(ConfigError::new(item, format!("all_viewer_and_cloudfront lists CloudFront-* headers only, not \"{n}\"")));
            }
            HeaderSelection::AllViewerAndCloudFront(names)
        }
    };
    Ok(OriginRequestPolicy {
        name: name.to_owned(),
        id: None,
        headers,
        cookies: list_behavior(item, "cookies", &f.cookies)?,
        query_strings: list_behavior(item, "query_strings", &f.query_strings)?,
    })
}

struct Refs<'a> {
    origins: &'a HashMap<String, OriginId>,
    groups: &'a HashMap<String, usize>,
    policies: &'a HashMap<String, Arc<CachePolicy>>,
    request_policies: &'a HashMap<String, Arc<OriginRequestPolicy>>,
    features: &'a crate::features::Features,
}

fn methods(item: &str, key: &str, v: &[String]) -> Result<Vec<Method>, ConfigError> {
    v.iter()
        .map(|m| {
            Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| {
                ConfigError::new(item, format!("{key}: \"{m}\" is not an HTTP method"))
            })
        })
        .collect()
}

fn same_set(a: &[Method], b: &[&str]) -> bool {
    a.len() == b.len() && b.iter().all(|m| a.iter().any(|x| x.as_str() == *m))
}

fn build_behavior(
    index: usize,
    path_pattern: Option<PathPattern>,
    b: &BehaviorFile,
    refs: &Refs<'_>,
    item: &str,
) -> Result<Behavior, ConfigError> {
    let target = if let Some(id) = refs.origins.get(&b.target_origin) {
        Target::Origin(*id)
    } else if let Some(g) = refs.groups.get(&b.target_origin) {
        Target::Group(*g)
    } else {
        return Err(ConfigError::new(
            item,
            format!(
                "target_origin \"{}\" is not an origin or origin group",
                b.target_origin
            ),
        ));
    };
    let policy_name = b.cache_policy.as_deref().unwrap_or(DEFAULT_CACHE_POLICY);
    let cache_policy = refs.policies.get(policy_name).cloned().ok_or_else(|| {
        ConfigError::new(
            item,
            format!("cache_policy \"{policy_name}\" is neither a [cache_policies] entry nor an AWS managed policy name or ID"),
        )
    })?;
    let origin_request_policy = b
        .origin_request_policy
        .as_ref()
        .map(|n| {
            refs.request_policies.get(n).cloned().ok_or_else(|| {
                ConfigError::new(
                    item,
                    format!("origin_request_policy \"{n}\" is neither an [origin_request_policies] entry nor an AWS managed policy name or ID"),
                )
            })
        })
        .transpose()?;
    let viewer_protocol_policy = match b.viewer_protocol_policy.as_deref().unwrap_or("allow-all") {
        "allow-all" => ViewerProtocolPolicy::AllowAll,
        "redirect-to-https" => ViewerProtocolPolicy::RedirectToHttps,
        "https-only" => ViewerProtocolPolicy::HttpsOnly,
        other => {
            return Err(ConfigError::new(
                item,
                format!("viewer_protocol_policy = \"{other}\" (expected allow-all, redirect-to-https or https-only)"),
            ))
        }
    };
    const TWO: &[&str] = &["GET", "HEAD"];
    const THREE: &[&str] = &["GET", "HEAD", "OPTIONS"];
    const SEVEN: &[&str] = &["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];
    let allowed_methods = match &b.allowed_methods {
        None => methods(
            item,
            "allowed_methods",
            &TWO.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )?,
        Some(v) => {
            let m = methods(item, "allowed_methods", v)?;
            if !(same_set(&m, TWO) || same_set(&m, THREE) || same_set(&m, SEVEN)) {
                return Err(ConfigError::new(
                    item,
                    "allowed_methods must be [GET, HEAD], [GET, HEAD, OPTIONS] or [GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE]",
                ));
            }
            m
        }
    };
    let cached_methods = match &b.cached_methods {
        None => methods(
            item,
            "cached_methods",
            &TWO.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )?,
        Some(v) => {
            let m = methods(item, "cached_methods", v)?;
            if !(same_set(&m, TWO) || same_set(&m, THREE)) {
                return Err(ConfigError::new(
                    item,
                    "cached_methods must be [GET, HEAD] or [GET, HEAD, OPTIONS]",
                ));
            }
            if m.iter().any(|x| !allowed_methods.contains(x)) {
                return Err(ConfigError::new(
                    item,
                    "cached_methods must be a subset of allowed_methods",
                ));
            }
            m
        }
    };
    let features = crate::features::build_behavior(b, refs.features, item)?;
    Ok(Behavior {
        index,
        path_pattern,
        target,
        cache_policy,
        origin_request_policy,
        viewer_protocol_policy,
        allowed_methods,
        cached_methods,
        compress: b.compress.unwrap_or(false),
        features,
    })
}

fn build_custom_error(
    c: &CustomErrorResponseFile,
    item: &str,
) -> Result<CustomErrorResponse, ConfigError> {
    if !CUSTOM_ERROR_CODES.contains(&c.error_code) {
        return Err(ConfigError::new(
            item,
            format!("error_code {} cannot have a custom error response (CloudFront allows {CUSTOM_ERROR_CODES:?})", c.error_code),
        ));
    }
    if c.response_page_path.is_some() != c.response_code.is_some() {
        return Err(ConfigError::new(
            item,
            "response_page_path and response_code must be set together",
        ));
    }
    if let Some(p) = &c.response_page_path {
        if !p.starts_with('/') {
            return Err(ConfigError::new(
                item,
                format!("response_page_path \"{p}\" must start with '/'"),
            ));
        }
    }
    if let Some(rc) = c.response_code {
        if !CUSTOM_RESPONSE_CODES.contains(&rc) {
            return Err(ConfigError::new(
                item,
                format!("response_code {rc} is not allowed (CloudFront allows {CUSTOM_RESPONSE_CODES:?})"),
            ));
        }
    }
    Ok(CustomErrorResponse {
        error_code: c.error_code,
        response_page_path: c.response_page_path.clone(),
        response_code: c.response_code,
        error_caching_min_ttl: c
            .error_caching_min_ttl
            .map_or(DEFAULT_ERROR_CACHING_MIN_TTL, Duration::from_secs),
    })
}
