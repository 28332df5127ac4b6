//! Every example in `functions/<name>/` is run on each of its
//! `events/*.json` cases through the `cfedge test-function` logic, and the
//! result is compared with the case's `expected` (`{"output": ...}` for the
//! returned object, or `{"error": ...}` for `FunctionErrorMessage`).
//!
//! `CFEDGE_BLESS=1 cargo test --test functions_examples` fills in cases whose
//! `expected` is still `null` (review the diff before committing).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::{Path, PathBuf};

use cfedge::cli::test_function::{execute, Args};
use serde_json::{json, Value};

fn cases() -> Vec<(PathBuf, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("functions");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        // `lambda-*` folders are Lambda@Edge examples, run by the lambda tests.
        let lambda = dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("lambda-"));
        if !dir.is_dir() || lambda {
            continue;
        }
        assert!(
            dir.join("index.js").is_file(),
            "{} has no index.js",
            dir.display()
        );
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        assert_eq!(
            readme.trim().lines().count(),
            1,
            "{}: README.md is one line",
            dir.display()
        );
        let mut n = 0;
        for ev in std::fs::read_dir(dir.join("events")).unwrap() {
            let ev = ev.unwrap().path();
            if ev.extension().is_some_and(|e| e == "json") {
                out.push((dir.clone(), ev));
                n += 1;
            }
        }
        assert!(n > 0, "{} has no events", dir.display());
    }
    out.sort();
    out
}

#[test]
fn every_example_case_gives_its_expected_output() {
    let bless = std::env::var_os("CFEDGE_BLESS").is_some();
    let cases = cases();
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    for (dir, event) in cases {
        let kvs = dir.join("kvs.json");
        let args = Args {
            config: None,
            function: None,
            file: Some(dir.join("index.js")),
            event: event.clone(),
            event_type: None,
            runtime: None,
            kvs: kvs.is_file().then_some(kvs),
        };
        let result = execute(&args).unwrap_or_else(|e| panic!("{}: {e}", event.display()));
        let got = match &result.output {
            Some(o) => json!({ "output": o }),
            None => json!({ "error": result.error_message }),
        };
        let text = std::fs::read_to_string(&event).unwrap();
        let mut case: Value = serde_json::from_str(&text).unwrap();
        if case["expected"].is_null() && bless {
            case["expected"] = got;
            std::fs::write(&event, serde_json::to_string_pretty(&case).unwrap() + "\n").unwrap();
            continue;
        }
        assert_eq!(got, case["expected"], "{}", event.display());
        assert!(result.compute_utilization <= 100);
    }
}

#[test]
fn the_cli_prints_a_test_result_and_fails_when_the_function_fails() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("functions");
    let run = |file: &Path, event: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cfedge"))
            .args(["test-function", "--file"])
            .arg(file)
            .arg("--event")
            .arg(event)
            .output()
            .unwrap()
    };
    let out = run(
        &root.join("spa-rewrite/index.js"),
        &root.join("spa-rewrite/events/directory.json"),
    );
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["TestResult"];
    assert_eq!(r["FunctionErrorMessage"], "");
    assert!(r["ComputeUtilization"].is_string());
    let output: Value = serde_json::from_str(r["FunctionOutput"].as_str().unwrap()).unwrap();
    assert_eq!(output["request"]["uri"], "/blog/index.html");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.js");
    std::fs::write(&bad, "function handler(e) { throw new Error('nope'); }").unwrap();
    let out = run(&bad, &root.join("spa-rewrite/events/directory.json"));
    assert!(!out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["TestResult"]["FunctionErrorMessage"],
        format!(
            "{} Error: nope",
            cfedge::cloudfront_functions::test::EXECUTION_ERROR
        )
    );

    // The test API passes a changed Host; the edge does not: non-zero, and why.
    std::fs::write(
        &bad,
        "function handler(e) { e.request.headers.host = {value: 'x.example'}; return e.request; }",
    )
    .unwrap();
    let out = run(&bad, &root.join("spa-rewrite/events/directory.json"));
    assert!(!out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["TestResult"]["FunctionErrorMessage"], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("edge rejects") && err.contains("host"),
        "{err}"
    );

    std::fs::write(&bad, "function handler(e) {\n  return e.request\n  }}").unwrap();
    let out = run(&bad, &root.join("spa-rewrite/events/directory.json"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.js:3:"), "{err}");
}
