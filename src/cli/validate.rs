//! `cfedge validate`: load and check a config, print what it found
//! (origins, behaviours in match order); non-zero exit with an error naming
//! the offending item and line.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{Config, OriginKind, Target};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The distribution config.
    #[arg(long, short, default_value = "config/cfedge.toml")]
    pub config: PathBuf,
}

/// Run the command.
pub fn run(args: Args) -> ExitCode {
    let loaded = Config::load(&args.config).and_then(|c| {
        // Certificates and CA files are read now, so their errors show here too.
        crate::server::tls::check(&c)?;
        crate::origin::tls::TlsProfiles::build(&c)?;
        Ok(c)
    });
    match loaded {
        Ok(c) => {
            print!("{}", describe(&c));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A human summary of a validated config.
pub fn describe(c: &Config) -> String {
    let mut s = String::new();
    let d = &c.distribution;
    let _ = writeln!(
        s,
        "distribution {} ({}), pop {}",
        d.id, d.domain_name, d.pop
    );
    let _ = writeln!(s, "listen http://{}", c.server.listen);
    let _ = writeln!(s, "\norigins:");
    for o in &c.origins {
        let what = match &o.kind {
            OriginKind::Custom(cu) => format!(
                "custom {}:{} ({:?})",
                cu.domain_name, cu.http_port, cu.protocol_policy
            ),
            OriginKind::Dir(p) => format!("directory {}", p.display()),
        };
        let _ = writeln!(
            s,
            "  {:<16} {what}{}  attempts {} connect {}s read {}s",
            o.id,
            if o.origin_path.is_empty() {
                String::new()
            } else {
                format!(" path {}", o.origin_path)
            },
            o.connection_attempts,
            o.connection_timeout.as_secs(),
            o.read_timeout.as_secs()
        );
    }
    for g in &c.origin_groups {
        let name = |i: crate::config::OriginId| c.origins.get(i.0).map_or("?", |o| o.id.as_str());
        let _ = writeln!(
            s,
            "  {:<16} group [{} -> {}] on {:?}",
            g.id,
            name(g.primary),
            name(g.secondary),
            g.failover_status_codes
        );
    }
    let _ = writeln!(s, "\nbehaviours (match order):");
    for b in c
        .behaviors
        .iter()
        .chain(std::iter::once(&c.default_behavior))
    {
        let target = match b.target {
            Target::Origin(i) => c.origins.get(i.0).map_or("?".to_owned(), |o| o.id.clone()),
            Target::Group(g) => c
                .origin_groups
                .get(g)
                .map_or("?".to_owned(), |g| g.id.clone()),
        };
        let p = &b.cache_policy;
        let _ = writeln!(
            s,
            "  {:>2}. {:<24} -> {:<14} policy {} (ttl {}/{}/{}) {:?}{}",
            b.index + 1,
            b.pattern_str(),
            target,
            p.name,
            p.min_ttl,
            p.default_ttl,
            p.max_ttl,
            b.viewer_protocol_policy,
            if b.compress { " compress" } else { "" }
        );
    }
    let rules = crate::rules::describe(&c.features);
    if !rules.is_empty() {
        let _ = writeln!(s, "\nedge rules:");
        for r in rules {
            let _ = writeln!(s, "  {r}");
        }
    }
    if !c.custom_error_responses.is_empty() {
        let _ = writeln!(s, "\ncustom error responses:");
        let mut codes: Vec<_> = c.custom_error_responses.values().collect();
        codes.sort_by_key(|e| e.error_code);
        for e in codes {
            let _ = writeln!(
                s,
                "  {} -> {} {} (error caching {}s)",
                e.error_code,
                e.response_code.map_or("-".into(), |c| c.to_string()),
                e.response_page_path.as_deref().unwrap_or("-"),
                e.error_caching_min_ttl.as_secs()
            );
        }
    }
    s
}
