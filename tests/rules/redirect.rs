//! Redirect tables: precedence, captures, query handling, hosts, files, a 50,000-entry table.

use cfedge::rules::redirect::{build, RedirectTable};
use http::StatusCode;

use super::{file_config, fixtures, request};

fn table(toml: &str) -> std::sync::Arc<RedirectTable> {
    build(&file_config(toml).redirect_rules, &fixtures())
        .unwrap()
        .get("t")
        .unwrap()
}

fn location(t: &RedirectTable, path: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    let r = t.lookup(&request(path, headers))?;
    Some((
        r.response.status.as_u16(),
        r.response.headers["location"].to_str().unwrap().to_owned(),
    ))
}

const PRECEDENCE: &str = r#"
[redirect_rules.t]
rules = [
  { from = "^/a/(.*)$", to = "/regex/$1", match = "regex" },
  { from = "/a/", to = "/short/", match = "prefix" },
  { from = "/a/b/", to = "/long/", match = "prefix" },
  { from = "/a/b/c", to = "/exact" },
  { from = "^/z/(?P<id>\\d+)$", to = "/first/${id}", match = "regex", status = 302 },
  { from = "^/z/.*$", to = "/second", match = "regex" },
]
"#;

#[test]
fn exact_then_longest_prefix_then_regex_in_order() {
    let t = table(PRECEDENCE);
    assert_eq!(location(&t, "/a/b/c", &[]), Some((301, "/exact".into())));
    assert_eq!(location(&t, "/a/b/cd", &[]), Some((301, "/long/cd".into())));
    assert_eq!(location(&t, "/a/x", &[]), Some((301, "/short/x".into())));
    assert_eq!(location(&t, "/z/42", &[]), Some((302, "/first/42".into())));
    assert_eq!(location(&t, "/z/abc", &[]), Some((301, "/second".into())));
    assert_eq!(location(&t, "/nothing", &[]), None);
    let d = t.describe();
    assert!(d.contains("1 exact, 2 prefix, 3 regex"), "{d}");
}

#[test]
fn query_string_preserved_or_dropped() {
    let t = table(
        r#"
[redirect_rules.t]
query_string = "drop"
rules = [
  { from = "/keep", to = "/k", query_string = "preserve" },
  { from = "/keep2", to = "/k?src=old", query_string = "preserve" },
  { from = "/drop", to = "/d" },
]
"#,
    );
    assert_eq!(
        location(&t, "/keep?a=1&b=2", &[]),
        Some((301, "/k?a=1&b=2".into()))
    );
    assert_eq!(
        location(&t, "/keep2?a=1", &[]),
        Some((301, "/k?src=old&a=1".into()))
    );
    assert_eq!(location(&t, "/drop?a=1", &[]), Some((301, "/d".into())));
    assert_eq!(location(&t, "/keep", &[]), Some((301, "/k".into())));
}

#[test]
fn host_specific_rules_win_and_only_match_their_host() {
    let t = table(
        r#"
[redirect_rules.t]
rules = [
  { from = "/p", to = "https://any.example/p" },
  { from = "/p", to = "https://old.example/p", host = "Old.Example.com" },
  { from = "/only", to = "/o", host = "old.example.com" },
]
"#,
    );
    assert_eq!(
        location(&t, "/p", &[("host", "old.example.com:8443")])
            .unwrap()
            .1,
        "https://old.example/p"
    );
    assert_eq!(
        location(&t, "/p", &[("host", "OLD.example.com")])
            .unwrap()
            .1,
        "https://old.example/p"
    );
    assert_eq!(
        location(&t, "/p", &[("host", "new.example.com")])
            .unwrap()
            .1,
        "https://any.example/p"
    );
    assert_eq!(location(&t, "/only", &[("host", "new.example.com")]), None);
}

#[test]
fn responses_carry_their_x_cache_and_body() {
    let t = table("[redirect_rules.t]\nstatus = 308\nrules = [{ from = \"/x\", to = \"/y\" }]\n");
    let r = t.lookup(&request("/x", &[])).unwrap();
    assert_eq!(r.x_cache, "RedirectRule from cfedge");
    assert_eq!(r.response.status, StatusCode::PERMANENT_REDIRECT);
    assert!(String::from_utf8_lossy(&r.response.body).contains("308 Permanent Redirect"));
    let f =
        table("[redirect_rules.t]\nas_function = true\nrules = [{ from = \"/x\", to = \"/y\" }]\n");
    let r = f.lookup(&request("/x", &[])).unwrap();
    assert_eq!(r.x_cache, "FunctionGeneratedResponse from cloudfront");
    assert!(r.response.body.is_empty());
    assert_eq!(r.response.headers["location"], "/y");
}

#[test]
fn csv_and_json_files_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.csv"),
        "from,to,match,status,query_string,host\n/c1,/n1,,,,\n\"/c,2\",/n2,exact,307,drop,\n/pre/,/np/,prefix,,,\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("r.json"),
        r#"[{"from": "/j1", "to": "/nj1", "status": 302}, {"from": "^/j/(\\w+)$", "to": "/nj/$1", "match": "regex"}]"#,
    )
    .unwrap();
    for (file, path, want) in [
        ("r.csv", "/c1", (301, "/n1")),
        ("r.csv", "/c,2?x=1", (307, "/n2")),
        ("r.csv", "/pre/x", (301, "/np/x")),
        ("r.json", "/j1", (302, "/nj1")),
        ("r.json", "/j/abc", (301, "/nj/abc")),
    ] {
        let t = build(
            &file_config(&format!("[redirect_rules.t]\nfile = \"{file}\"\n")).redirect_rules,
            dir.path(),
        )
        .unwrap()
        .get("t")
        .unwrap();
        assert_eq!(
            location(&t, path, &[]),
            Some((want.0, want.1.to_owned())),
            "{file} {path}"
        );
    }
}

#[test]
fn bad_tables_are_rejected_naming_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.csv"),
        "from,to,status\n/a,/b,\n/c,/d,200\n",
    )
    .unwrap();
    let err = build(
        &file_config("[redirect_rules.t]\nfile = \"bad.csv\"\n").redirect_rules,
        dir.path(),
    )
    .unwrap_err();
    assert_eq!(err.item, "redirect_rules.t");
    assert!(
        err.message.contains("line 3") && err.message.contains("200"),
        "{err}"
    );
    for (bad, needle) in [
        (
            "rules = [{ from = \"/a\", to = \"/b\", status = 200 }]",
            "rules[0]",
        ),
        (
            "rules = [{ from = \"(\", to = \"/b\", match = \"regex\" }]",
            "regex",
        ),
        ("rules = [{ from = \"a\", to = \"/b\" }]", "must start with"),
        (
            "rules = [{ from = \"/a\", to = \"/b\" }, { from = \"/a\", to = \"/c\" }]",
            "rules[1]",
        ),
        (
            "rules = [{ from = \"/a\", to = \"/b\", match = \"glob\" }]",
            "glob",
        ),
        (
            "rules = [{ from = \"/a\", to = \"/b\", extra = 1 }]",
            "extra",
        ),
        ("file = \"r.txt\"", "r.txt"),
    ] {
        let err = build(
            &file_config(&format!("[redirect_rules.t]\n{bad}\n")).redirect_rules,
            dir.path(),
        )
        .unwrap_err();
        assert_eq!(err.item, "redirect_rules.t", "{bad}");
        assert!(err.message.contains(needle), "{bad}: {err}");
    }
}

#[test]
fn fifty_thousand_entries() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("from,to,match\n");
    for i in 0..25_000 {
        csv.push_str(&format!("/old/page-{i},/new/page-{i},exact\n"));
        csv.push_str(&format!("/section-{i}/,/s/{i}/,prefix\n"));
    }
    std::fs::write(dir.path().join("big.csv"), csv).unwrap();
    let t = build(
        &file_config("[redirect_rules.t]\nfile = \"big.csv\"\n").redirect_rules,
        dir.path(),
    )
    .unwrap()
    .get("t")
    .unwrap();
    assert!(t.describe().contains("25000 exact, 25000 prefix"));
    assert_eq!(
        location(&t, "/old/page-24999", &[]).unwrap().1,
        "/new/page-24999"
    );
    assert_eq!(
        location(&t, "/section-1234/a/b", &[]).unwrap().1,
        "/s/1234/a/b"
    );
    // "/section-12345/" must not be shadowed by the shorter "/section-1234/"... nor vice versa.
    assert_eq!(
        location(&t, "/section-12345/x", &[]).unwrap().1,
        "/s/12345/x"
    );
    assert_eq!(location(&t, "/old/page-25000", &[]), None);
}
