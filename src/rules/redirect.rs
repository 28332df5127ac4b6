//! Redirect tables, evaluated at viewer-request.
//!
//! A table holds exact, prefix and regex rules, inline in the config and/or
//! in a CSV or JSON file. Precedence, whatever the order they are written in:
//!
//! 1. **exact** path match (hash map: O(1) in the table size);
//! 2. **longest prefix** match (a byte trie: O(path length));
//! 3. **regex** rules, in the order written (compiled once at load,
//!    unanchored unless written with `^`/`$`); `to` may use `$1`, `${name}`
//!    captures.
//!
//! Within each kind a rule with a `host` that matches the request's `Host`
//! wins over a rule without one. Paths are matched as the viewer sent them
//! (still percent-encoded), without the query string. A prefix rule appends
//! the rest of the path to its `to`. `query_string = "preserve"` (the
//! default) appends the viewer's query string to the `Location`.
//!
//! ```toml
//! [redirect_rules.legacy]
//! file = "redirects.csv"           # optional: from,to[,match,status,query_string,host]
//! status = 301                     # default for the table's rules
//! rules = [
//!   { from = "/old", to = "/new" },
//!   { from = "/docs/", to = "https://docs.example.com/", match = "prefix", status = 308 },
//!   { from = "^/blog/(\\d+)/(.*)$", to = "/posts/$1/$2", match = "regex", query_string = "drop" },
//! ]
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use http::{HeaderMap, HeaderValue, StatusCode};
use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::{AnswerAs, RuleResponse, X_CACHE_FUNCTION, X_CACHE_REDIRECT_RULE};
use crate::config::ConfigError;
use crate::responses::GeneratedResponse;
use crate::viewer::ViewerRequest;

/// All `[redirect_rules.<name>]` tables, by name.
#[derive(Debug, Default)]
pub struct RedirectTableSet {
    entries: HashMap<String, Arc<RedirectTable>>,
}

impl RedirectTableSet {
    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<RedirectTable>> {
        self.entries.get(name).cloned()
    }

    /// All tables, sorted by name (for `cfedge validate`).
    pub fn iter(&self) -> impl Iterator<Item = &Arc<RedirectTable>> {
        let mut v: Vec<_> = self.entries.values().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v.into_iter()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableToml {
    file: Option<String>,
    status: Option<u16>,
    query_string: Option<QueryString>,
    #[serde(default)]
    as_function: AnswerAs,
    #[serde(default)]
    rules: Vec<RuleToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    from: String,
    to: String,
    #[serde(default, rename = "match")]
    kind: MatchKind,
    status: Option<u16>,
    query_string: Option<QueryString>,
    host: Option<String>,
}

/// How a rule's `from` matches the path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    #[default]
    Exact,
    Prefix,
    Regex,
}

/// What happens to the viewer's query string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryString {
    /// Appended to the `Location`.
    #[default]
    Preserve,
    /// Not carried over.
    Drop,
}

/// Where a matched rule sends the viewer.
#[derive(Debug, Clone)]
struct Target {
    to: String,
    status: StatusCode,
    query: QueryString,
}

/// A byte trie of prefixes, for longest-prefix lookups in O(path length).
#[derive(Debug, Default)]
struct PrefixTrie {
    nodes: Vec<TrieNode>,
}

#[derive(Debug, Default)]
struct TrieNode {
    /// Sorted by byte.
    children: Vec<(u8, u32)>,
    target: Option<u32>,
}

impl PrefixTrie {
    /// Insert; returns false when the prefix is already present.
    fn insert(&mut self, prefix: &[u8], target: u32) -> bool {
        if self.nodes.is_empty() {
            self.nodes.push(TrieNode::default());
        }
        let mut node = 0usize;
        for &b in prefix {
            let next = match self.nodes[node].children.binary_search_by_key(&b, |c| c.0) {
                Ok(i) => self.nodes[node].children[i].1 as usize,
                Err(i) => {
                    let id = self.nodes.len();
                    self.nodes.push(TrieNode::default());
                    self.nodes[node].children.insert(i, (b, id as u32));
                    id
                }
            };
            node = next;
        }
        if self.nodes[node].target.is_some() {
            return false;
        }
        self.nodes[node].target = Some(target);
        true
    }

    /// The longest stored prefix of `path`: (length, target).
    fn longest(&self, path: &[u8]) -> Option<(usize, u32)> {
        let mut node = self.nodes.first()?;
        let mut best = node.target.map(|t| (0, t));
        for (i, &b) in path.iter().enumerate() {
            match node.children.binary_search_by_key(&b, |c| c.0) {
                Ok(j) => node = self.nodes.get(node.children[j].1 as usize)?,
                Err(_) => break,
            }
            if let Some(t) = node.target {
                best = Some((i + 1, t));
            }
        }
        best
    }
}

/// Exact and prefix rules for one host (or for any host).
#[derive(Debug, Default)]
struct PathRules {
    exact: HashMap<String, u32>,
    prefix: PrefixTrie,
}

#[derive(Debug)]
struct RegexRule {
    host: Option<String>,
    regex: Regex,
    target: u32,
}

/// One validated redirect table.
#[derive(Debug)]
pub struct RedirectTable {
    pub name: String,
    targets: Vec<Target>,
    any_host: PathRules,
    by_host: HashMap<String, PathRules>,
    regexes: Vec<RegexRule>,
    answer_as: AnswerAs,
    counts: [usize; 3],
}

impl RedirectTable {
    /// The redirect for this request, if a rule matches (see the module doc for precedence).
    pub fn lookup(&self, req: &ViewerRequest) -> Option<RuleResponse> {
        let host = req.host().map(|h| {
            if h.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(h.to_ascii_lowercase())
            } else {
                Cow::Borrowed(h)
            }
        });
        let host_rules = host.as_deref().and_then(|h| self.by_host.get(h));
        let path = req.uri.as_str();
        let (target, location) = if let Some(t) = host_rules
            .and_then(|r| r.exact.get(path))
            .or_else(|| self.any_host.exact.get(path))
        {
            let t = &self.targets[*t as usize];
            (t, Cow::Borrowed(t.to.as_str()))
        } else if let Some((len, t)) = self.longest_prefix(host_rules, path) {
            let t = &self.targets[t as usize];
            (t, Cow::Owned(format!("{}{}", t.to, &path[len..])))
        } else {
            self.regexes.iter().find_map(|r| {
                if r.host
                    .as_deref()
                    .is_some_and(|h| Some(h) != host.as_deref())
                {
                    return None;
                }
                let caps = r.regex.captures(path)?;
                let t = &self.targets[r.target as usize];
                let mut out = String::new();
                caps.expand(&t.to, &mut out);
                Some((t, Cow::Owned(out)))
            })?
        };
        let location = match (&req.querystring, target.query) {
            (Some(q), QueryString::Preserve) if !q.is_empty() => {
                let sep = if location.contains('?') { '&' } else { '?' };
                Cow::Owned(format!("{location}{sep}{q}"))
            }
            _ => location,
        };
        Some(self.respond(target.status, &location))
    }

    fn longest_prefix(&self, host_rules: Option<&PathRules>, path: &str) -> Option<(usize, u32)> {
        let specific = host_rules.and_then(|r| r.prefix.longest(path.as_bytes()));
        let any = self.any_host.prefix.longest(path.as_bytes());
        match (specific, any) {
            (Some(s), Some(a)) if a.0 > s.0 => Some(a),
            (Some(s), _) => Some(s),
            (None, a) => a,
        }
    }

    fn respond(&self, status: StatusCode, location: &str) -> RuleResponse {
        match self.answer_as {
            AnswerAs::Rule => RuleResponse {
                response: GeneratedResponse::redirect(status, location),
                x_cache: X_CACHE_REDIRECT_RULE,
            },
            AnswerAs::Function => {
                let mut headers = HeaderMap::new();
                if let Ok(v) = HeaderValue::from_str(location) {
                    headers.insert(http::header::LOCATION, v);
                }
                RuleResponse {
                    response: GeneratedResponse::new(status, headers, ""),
                    x_cache: X_CACHE_FUNCTION,
                }
            }
        }
    }

    /// One line for `cfedge validate`.
    pub fn describe(&self) -> String {
        format!(
            "redirects {}: {} exact, {} prefix, {} regex rule(s){}",
            self.name,
            self.counts[0],
            self.counts[1],
            self.counts[2],
            match self.answer_as {
                AnswerAs::Rule => "",
                AnswerAs::Function => ", answering as a CloudFront Function",
            }
        )
    }
}

/// Build `[redirect_rules.<name>]`.
pub fn build(
    file: &BTreeMap<String, Spanned<toml::Table>>,
    base: &Path,
) -> Result<RedirectTableSet, ConfigError> {
    let entries = super::build_named(file, "redirect_rules", |name, raw: TableToml| {
        build_table(name, raw, base)
    })?;
    Ok(RedirectTableSet { entries })
}

fn build_table(name: &str, raw: TableToml, base: &Path) -> Result<RedirectTable, String> {
    let default_status = status(raw.status.unwrap_or(301)).map_err(|e| format!("status: {e}"))?;
    let default_query = raw.query_string.unwrap_or_default();
    let mut rules: Vec<(String, RuleToml)> = raw
        .rules
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("rules[{i}]"), r))
        .collect();
    if let Some(f) = &raw.file {
        let path = base.join(f);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read file {}: {e}", path.display()))?;
        let from_file = if f.ends_with(".json") {
            parse_json(&text)
        } else if f.ends_with(".csv") {
            parse_csv(&text)
        } else {
            Err("the file must end in .csv or .json".to_owned())
        }
        .map_err(|e| format!("{}: {e}", path.display()))?;
        rules.extend(
            from_file
                .into_iter()
                .map(|(where_, r)| (format!("{f} {where_}"), r)),
        );
    }
    let mut table = RedirectTable {
        name: name.to_owned(),
        targets: Vec::with_capacity(rules.len()),
        any_host: PathRules::default(),
        by_host: HashMap::new(),
        regexes: Vec::new(),
        answer_as: raw.as_function,
        counts: [0; 3],
    };
    for (where_, r) in rules {
        add_rule(&mut table, r, default_status, default_query)
            .map_err(|e| format!("{where_}: {e}"))?;
    }
    Ok(table)
}

fn add_rule(
    table: &mut RedirectTable,
    r: RuleToml,
    default_status: StatusCode,
    default_query: QueryString,
) -> Result<(), String> {
    let st = match r.status {
        Some(s) => status(s)?,
        None => default_status,
    };
    if r.to.is_empty() || HeaderValue::from_str(&r.to).is_err() {
        return Err(format!("to \"{}\" is not a usable Location", r.to));
    }
    let id = table.targets.len() as u32;
    table.targets.push(Target {
        to: r.to,
        status: st,
        query: r.query_string.unwrap_or(default_query),
    });
    let host = r.host.map(|h| h.to_ascii_lowercase());
    if r.kind != MatchKind::Regex && !r.from.starts_with('/') {
        return Err(format!("from \"{}\" must start with '/'", r.from));
    }
    let rules = match (&host, r.kind) {
        (_, MatchKind::Regex) => {
            let regex =
                Regex::new(&r.from).map_err(|e| format!("from is not a valid regex: {e}"))?;
            table.regexes.push(RegexRule {
                host,
                regex,
                target: id,
            });
            table.counts[2] += 1;
            return Ok(());
        }
        (Some(h), _) => table.by_host.entry(h.clone()).or_default(),
        (None, _) => &mut table.any_host,
    };
    let fresh = match r.kind {
        MatchKind::Exact => {
            table.counts[0] += 1;
            rules.exact.insert(r.from.clone(), id).is_none()
        }
        MatchKind::Prefix => {
            table.counts[1] += 1;
            rules.prefix.insert(r.from.as_bytes(), id)
        }
        MatchKind::Regex => true,
    };
    if !fresh {
        return Err(format!(
            "from \"{}\" is already in the table{}",
            r.from,
            host.map(|h| format!(" for host {h}")).unwrap_or_default()
        ));
    }
    Ok(())
}

fn status(code: u16) -> Result<StatusCode, String> {
    match code {
        301 | 302 | 303 | 307 | 308 => {
            StatusCode::from_u16(code).map_err(|_| format!("{code} is not a status"))
        }
        _ => Err(format!(
            "{code} is not a redirect status (use 301, 302, 303, 307 or 308)"
        )),
    }
}

/// A JSON array of rule objects.
fn parse_json(text: &str) -> Result<Vec<(String, RuleToml)>, String> {
    let rules: Vec<RuleToml> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(rules
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("[{i}]"), r))
        .collect())
}

/// CSV with a header row naming the columns (`from` and `to` required;
/// `match`, `status`, `query_string`, `host` optional). Fields may be quoted
/// with `"` (a doubled `""` inside is one quote).
fn parse_csv(text: &str) -> Result<Vec<(String, RuleToml)>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let (_, header) = lines.next().ok_or("empty file (a header row is needed)")?;
    let columns = csv_fields(header).map_err(|e| format!("line 1: {e}"))?;
    let col = |name: &str| columns.iter().position(|c| c.trim() == name);
    for c in &columns {
        if !["from", "to", "match", "status", "query_string", "host"].contains(&c.trim()) {
            return Err(format!("unknown column \"{c}\""));
        }
    }
    let (from, to) = match (col("from"), col("to")) {
        (Some(f), Some(t)) => (f, t),
        _ => return Err("the header row must name the from and to columns".into()),
    };
    let (kind, st, qs, host) = (
        col("match"),
        col("status"),
        col("query_string"),
        col("host"),
    );
    lines
        .map(|(n, line)| {
            let at = format!("line {}", n + 1);
            let f = csv_fields(line).map_err(|e| format!("{at}: {e}"))?;
            let get = |i: Option<usize>| {
                i.and_then(|i| f.get(i))
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
            };
            let rule = RuleToml {
                from: get(Some(from)).ok_or_else(|| format!("{at}: from is empty"))?,
                to: get(Some(to)).ok_or_else(|| format!("{at}: to is empty"))?,
                kind: match get(kind).as_deref() {
                    None | Some("exact") => MatchKind::Exact,
                    Some("prefix") => MatchKind::Prefix,
                    Some("regex") => MatchKind::Regex,
                    Some(o) => {
                        return Err(format!("{at}: match \"{o}\" is not exact, prefix or regex"))
                    }
                },
                status: get(st)
                    .map(|s| {
                        s.parse()
                            .map_err(|_| format!("{at}: status \"{s}\" is not a number"))
                    })
                    .transpose()?,
                query_string: match get(qs).as_deref() {
                    None => None,
                    Some("preserve") => Some(QueryString::Preserve),
                    Some("drop") => Some(QueryString::Drop),
                    Some(o) => {
                        return Err(format!(
                            "{at}: query_string \"{o}\" is not preserve or drop"
                        ))
                    }
                },
                host: get(host),
            };
            Ok((at, rule))
        })
        .collect()
}

fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if cur.trim().is_empty() => {
                cur.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut cur)),
            (_, c) => cur.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    fields.push(cur);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trie_finds_the_longest_prefix() {
        let mut t = PrefixTrie::default();
        assert!(t.insert(b"/a", 1));
        assert!(t.insert(b"/a/b/", 2));
        assert!(!t.insert(b"/a", 3));
        assert_eq!(t.longest(b"/a/b/c"), Some((5, 2)));
        assert_eq!(t.longest(b"/a/bc"), Some((2, 1)));
        assert_eq!(t.longest(b"/b"), None);
    }

    #[test]
    fn csv_fields_handle_quotes() {
        assert_eq!(
            csv_fields(r#"a,"b,c","say ""hi""",d"#).unwrap(),
            vec!["a", "b,c", "say \"hi\"", "d"]
        );
        assert!(csv_fields("\"open").is_err());
    }
}
