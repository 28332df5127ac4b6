//! `cfedge serve`: run the edge until SIGINT/SIGTERM, then drain in-flight
//! requests and exit 0.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::Config;
use crate::pipeline::Edge;
use crate::server::{self, ListenerSettings};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The distribution config.
    #[arg(long, short, default_value = "config/cfedge.toml")]
    pub config: PathBuf,
    /// Override `[server] listen` (e.g. 127.0.0.1:18090).
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
}

/// Run the command.
pub fn run(args: Args) -> ExitCode {
    init_logging();
    let mut config = match Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(l) = args.listen {
        config.server.listen = l;
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    // Drop each worker's JavaScript engine before the thread exits (js::engine docs).
    rt.on_thread_stop(crate::js::release_thread_engine);
    // Workers run CloudFront Functions inline (js::nesting docs).
    rt.thread_stack_size(crate::js::JS_THREAD_STACK_BYTES);
    if let Some(w) = config.server.workers {
        rt.worker_threads(w);
    }
    let rt = match rt.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(Arc::new(config))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Arc<Config>) -> Result<(), String> {
    let settings = ListenerSettings::from_config(&config.server);
    let addr = config.server.listen;
    // Certificate and CA-file problems stop start-up with the file named.
    crate::origin::tls::TlsProfiles::check(&config).map_err(|e| e.to_string())?;
    let viewer_tls = server::tls::from_config(&config).map_err(|e| e.to_string())?;
    let listener = server::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let tls_listener = match viewer_tls {
        None => None,
        Some(vt) => {
            let tls_addr = config.server.tls.as_ref().map_or(addr, |t| t.listen);
            let l = server::bind(tls_addr)
                .await
                .map_err(|e| format!("cannot listen on {tls_addr}: {e}"))?;
            tracing::info!("HTTPS (HTTP/1.1 and HTTP/2) on https://{tls_addr}");
            if let Some(ca) = &vt.generated {
                tracing::info!(
                    "using a generated certificate for localhost, {} and its aliases; trust the local CA {} once{}",
                    config.distribution.domain_name,
                    ca.ca_cert.display(),
                    if ca.created { " (created now)" } else { "" }
                );
            }
            Some(server::TlsListener {
                listener: l,
                acceptor: vt.acceptor(),
            })
        }
    };
    tracing::info!(
        "cfedge serving distribution {} ({}) on http://{addr} with {} behaviour(s)",
        config.distribution.id,
        config.distribution.domain_name,
        config.behaviors.len() + 1
    );
    let edge = Edge::new(config);
    server::run_with_tls(edge, listener, tls_listener, settings, shutdown_signal()).await;
    tracing::info!("cfedge stopped");
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutdown requested; draining in-flight requests");
}

/// Logs to stderr; `RUST_LOG` overrides the default `info` (the per-request
/// access log is the `cfedge::access` target).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
