//! The `cfedge` binary: validate and serve on the shipped configs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_cfedge");

#[test]
fn validate_lists_origins_and_behaviours_in_match_order() {
    let out = Command::new(BIN)
        .args(["validate", "--config", "config/cfedge.toml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let assets = text.find("/assets/*").unwrap();
    let news = text.find("/news/*").unwrap();
    let default = text.rfind(" * ").unwrap();
    assert!(assets < news && news < default, "{text}");
    assert!(
        text.contains("site") && text.contains("directory"),
        "{text}"
    );
}

#[test]
fn validate_fails_with_the_offending_item_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[origins.app]\nurl = \"http://127.0.0.1:9000\"\n\n[default_behavior]\ntarget_origin = \"missing\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["validate", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.toml:4") && err.contains("default_behavior") && err.contains("missing"),
        "{err}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_runs_the_default_demo_and_exits_zero_on_sigterm() {
    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["serve", "--config", "config/cfedge.toml", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the "serving" log line rather than sleeping.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("serving distribution") {
            break;
        }
    }
    let page = get(port, "/");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("cfedge demo distribution"));
    assert!(page
        .to_ascii_lowercase()
        .contains("x-cache: miss from cloudfront"));
    let again = get(port, "/");
    assert!(
        again
            .to_ascii_lowercase()
            .contains("x-cache: hit from cloudfront"),
        "{again}"
    );
    let missing = get(port, "/does-not-exist");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(
        missing.contains("404: not here"),
        "custom error page: {missing}"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    drop(lines);
}
