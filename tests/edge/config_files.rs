//! Every shipped config loads, and config errors name the item and line.

use cfedge::config::Config;

#[test]
fn every_file_in_config_loads() {
    let mut n = 0;
    for entry in std::fs::read_dir("config").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            Config::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            n += 1;
        }
    }
    assert!(n >= 1);
}

fn err(toml: &str) -> String {
    Config::from_toml(toml).unwrap_err().to_string()
}

const ORIGIN: &str = "[origins.app]\nurl = \"http://127.0.0.1:9000\"\n";

#[test]
fn unknown_keys_are_rejected_with_their_line() {
    let e = err(&format!(
        "{ORIGIN}[default_behavior]\ntarget_origin = \"app\"\ncache_polcy = \"x\"\n"
    ));
    assert!(e.contains("line 5") && e.contains("cache_polcy"), "{e}");
}

#[test]
fn a_default_behaviour_is_required() {
    assert!(err(ORIGIN).contains("default_behavior"));
}

#[test]
fn unknown_target_origin_is_named() {
    let e = err(&format!("{ORIGIN}[[behaviors]]\npath_pattern = \"/a/*\"\ntarget_origin = \"nope\"\n[default_behavior]\ntarget_origin = \"app\"\n"));
    assert!(
        e.contains("behaviors[0]") && e.contains("\"nope\"") && e.contains("line 3"),
        "{e}"
    );
}

#[test]
fn ttl_order_is_enforced() {
    let e = err(&format!("{ORIGIN}[cache_policies.p]\nmin_ttl = 100\ndefault_ttl = 10\n[default_behavior]\ntarget_origin = \"app\"\n"));
    assert!(
        e.contains("cache_policies.p") && e.contains("InvalidTTLOrder"),
        "{e}"
    );
}

#[test]
fn origin_ranges_are_enforced() {
    for (key, value) in [
        ("connection_attempts", "4"),
        ("connection_timeout", "11"),
        ("read_timeout", "121"),
        ("keepalive_timeout", "0"),
    ] {
        let e = err(&format!("[origins.app]\nurl = \"http://127.0.0.1:9000\"\n{key} = {value}\n[default_behavior]\ntarget_origin = \"app\"\n"));
        assert!(e.contains("origins.app") && e.contains(key), "{e}");
    }
}

#[test]
fn at_most_75_behaviours() {
    let mut s = String::from(ORIGIN);
    for i in 0..76 {
        s.push_str(&format!(
            "[[behaviors]]\npath_pattern = \"/p{i}/*\"\ntarget_origin = \"app\"\n"
        ));
    }
    s.push_str("[default_behavior]\ntarget_origin = \"app\"\n");
    assert!(err(&s).contains("75"));
}

#[test]
fn custom_error_codes_are_checked() {
    let e = err(&format!("{ORIGIN}[default_behavior]\ntarget_origin = \"app\"\n[[custom_error_responses]]\nerror_code = 412\n"));
    assert!(e.contains("412"), "{e}");
    let e = err(&format!("{ORIGIN}[default_behavior]\ntarget_origin = \"app\"\n[[custom_error_responses]]\nerror_code = 404\nresponse_code = 200\n"));
    assert!(e.contains("together"), "{e}");
}

#[test]
fn origin_groups_need_two_origins_and_allowed_codes() {
    let two = "[origins.b]\nurl = \"http://127.0.0.1:9001\"\n";
    let e = err(&format!("{ORIGIN}{two}[origin_groups.g]\nmembers = [\"app\"]\nfailover_status_codes = [503]\n[default_behavior]\ntarget_origin = \"g\"\n"));
    assert!(e.contains("exactly two"), "{e}");
    let e = err(&format!("{ORIGIN}{two}[origin_groups.g]\nmembers = [\"app\", \"b\"]\nfailover_status_codes = [501]\n[default_behavior]\ntarget_origin = \"g\"\n"));
    assert!(e.contains("501"), "{e}");
}

#[test]
fn bad_path_patterns_and_methods_are_rejected() {
    let e = err(&format!("{ORIGIN}[[behaviors]]\npath_pattern = \"/a b\"\ntarget_origin = \"app\"\n[default_behavior]\ntarget_origin = \"app\"\n"));
    assert!(e.contains("behaviors[0]"), "{e}");
    let e = err(&format!("{ORIGIN}[default_behavior]\ntarget_origin = \"app\"\nallowed_methods = [\"GET\", \"POST\"]\n"));
    assert!(e.contains("allowed_methods"), "{e}");
}

#[test]
fn forbidden_custom_headers_are_rejected() {
    let e = err("[origins.app]\nurl = \"http://127.0.0.1:9000\"\n[origins.app.custom_headers]\nHost = \"x\"\n[default_behavior]\ntarget_origin = \"app\"\n");
    assert!(e.contains("Host"), "{e}");
}

#[test]
fn managed_policies_resolve_by_name_and_id() {
    for p in [
        "CachingOptimized",
        "658327ea-f89d-4fab-a63d-7e88639e58f6",
        "CachingDisabled",
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    ] {
        Config::from_toml(&format!(
            "{ORIGIN}[default_behavior]\ntarget_origin = \"app\"\ncache_policy = \"{p}\"\n"
        ))
        .unwrap();
    }
}

#[test]
fn origin_request_policies_resolve_and_are_checked() {
    for p in [
        "AllViewer",
        "216adef6-5c7f-47e4-b989-5492eafa07d3",
        "CORS-S3Origin",
        "AllViewerExceptHostHeader",
    ] {
        Config::from_toml(&format!("{ORIGIN}[default_behavior]\ntarget_origin = \"app\"\norigin_request_policy = \"{p}\"\n")).unwrap();
    }
    let e = err(&format!(
        "{ORIGIN}[default_behavior]\ntarget_origin = \"app\"\norigin_request_policy = \"Nope\"\n"
    ));
    assert!(e.contains("origin_request_policy \"Nope\""), "{e}");
    let e = err(&format!("{ORIGIN}[origin_request_policies.p]\nheaders = {{ allow = [\"authorization\"] }}\n[default_behavior]\ntarget_origin = \"app\"\n"));
    assert!(
        e.contains("origin_request_policies.p") && e.contains("Authorization"),
        "{e}"
    );
}

#[test]
fn feature_errors_carry_the_line_of_their_table() {
    let e = err(&format!("{ORIGIN}[default_behavior]\ntarget_origin = \"app\"\n\n[jwt_rules.api]\nalgorithm = \"HS256\"\nbogus = 1\n"));
    assert!(e.contains("jwt_rules.api") && e.contains("line 6"), "{e}");
}
