//! Every example in `functions/lambda-*/` runs each of its `events/*.json`
//! cases through the `cfedge test-lambda` logic and must produce the
//! committed `events/<case>.expected.json`: `{"result": ...}` for a result
//! CloudFront accepts, `{"error": "<LambdaError kind>"}` otherwise.
//! Embedded examples must give the same results under real Node.js.
//! Set `CFEDGE_BLESS=1` to write missing expectations (then review them).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions"
)]

use std::path::{Path, PathBuf};

use cfedge::cli::test_lambda::run_event;
use cfedge::lambda_edge::{LambdaFunction, LambdaSpec, RuntimeKind};
use serde_json::{json, Value};

fn examples() -> Vec<(&'static str, RuntimeKind)> {
    vec![
        ("lambda-origin-routing", RuntimeKind::Embedded),
        ("lambda-security-headers", RuntimeKind::Embedded),
        ("lambda-redirect", RuntimeKind::Embedded),
        ("lambda-body-inspect", RuntimeKind::Embedded),
        ("lambda-jwt-rs256", RuntimeKind::Nodejs),
    ]
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p.to_string_lossy().ends_with(".expected.json")
        })
        .collect();
    v.sort();
    v
}

async fn check_example(name: &str, runtime: RuntimeKind) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("functions")
        .join(name);
    let f = LambdaFunction::start(LambdaSpec::new(name, &dir, runtime)).unwrap();
    let cases = cases(&dir);
    assert!(!cases.is_empty(), "{name} has no events");
    for case in cases {
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&case).unwrap()).unwrap();
        let report = run_event(&f, &event).await.unwrap();
        let actual = match report.error() {
            None => json!({ "result": report.result.clone().unwrap() }),
            Some(e) => {
                let s = e.to_string();
                json!({ "error": s.split(':').next().unwrap() })
            }
        };
        let expected_path = case.with_extension("expected.json");
        if !expected_path.exists() && std::env::var_os("CFEDGE_BLESS").is_some() {
            std::fs::write(
                &expected_path,
                serde_json::to_string_pretty(&actual).unwrap() + "\n",
            )
            .unwrap();
        }
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(&expected_path)
                .unwrap_or_else(|_| panic!("missing {}", expected_path.display())),
        )
        .unwrap();
        assert_eq!(
            actual,
            expected,
            "{}\nlogs: {:?}",
            case.display(),
            report.logs
        );
    }
}

#[tokio::test]
async fn origin_routing_example() {
    check_example(examples()[0].0, examples()[0].1).await;
}

#[tokio::test]
async fn security_headers_example() {
    check_example(examples()[1].0, examples()[1].1).await;
}

#[tokio::test]
async fn redirect_example() {
    check_example(examples()[2].0, examples()[2].1).await;
}

#[tokio::test]
async fn body_inspection_example() {
    check_example(examples()[3].0, examples()[3].1).await;
}

#[tokio::test]
async fn rs256_jwt_example_in_nodejs() {
    check_example(examples()[4].0, examples()[4].1).await;
}

/// The embedded runtime must agree with real Node.js on every embedded example.
#[tokio::test]
async fn embedded_examples_give_the_same_results_in_nodejs() {
    for (name, runtime) in examples() {
        if runtime == RuntimeKind::Embedded {
            check_example(name, RuntimeKind::Nodejs).await;
        }
    }
}

#[test]
fn every_example_directory_is_tested() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("functions");
    let mut found: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("lambda-"))
        .collect();
    found.sort();
    let mut tested: Vec<String> = examples().iter().map(|(n, _)| n.to_string()).collect();
    tested.sort();
    assert_eq!(found, tested);
}

#[test]
fn test_lambda_command_prints_the_verdict_and_exits_non_zero_on_failure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = env!("CARGO_BIN_EXE_cfedge");
    let out = std::process::Command::new(bin)
        .current_dir(root)
        .args([
            "test-lambda",
            "--file",
            "functions/lambda-redirect",
            "--event",
            "functions/lambda-redirect/events/blog.json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("Valid: generated response 301"), "{stdout}");
    assert!(stdout.contains("Duration:"), "{stdout}");

    // The same function named in a config.
    let cfg_dir = tempfile::tempdir().unwrap();
    let cfg = cfg_dir.path().join("cfedge.toml");
    std::fs::write(
        &cfg,
        format!(
            "[origins.app]\nurl = \"http://127.0.0.1:9000\"\n[lambdas.moved]\nfile = {:?}\n[default_behavior]\ntarget_origin = \"app\"\n",
            root.join("functions/lambda-redirect").display().to_string()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(bin)
        .current_dir(root)
        .args([
            "test-lambda",
            "--lambda",
            "moved",
            "--event",
            "functions/lambda-redirect/events/docs-v1.json",
            "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("/docs/v2"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.js"),
        "exports.handler = async (e) => { console.log('checking'); const r = e.Records[0].cf.request; r.headers['x-cache'] = [{ value: 'x' }]; return r; };",
    )
    .unwrap();
    let out = std::process::Command::new(bin)
        .current_dir(root)
        .args([
            "test-lambda",
            "--runtime",
            "nodejs",
            "--event",
            "functions/lambda-redirect/events/passthrough.json",
            "--file",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("INFO\tchecking"), "{stdout}");
    assert!(
        stdout.contains("LambdaValidationError") && stdout.contains("502"),
        "{stdout}"
    );
}
