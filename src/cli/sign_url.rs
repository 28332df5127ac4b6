//! `cfedge sign-url`: sign a URL (or make signed cookies) the way
//! CloudFront expects them (spec §7.1), with a canned or custom policy.
//!
//! ```text
//! cfedge sign-url https://d111.cloudfront.net/private/a.mp4 \
//!     --key-pair-id K2JCJMDEHXQW5F --private-key private_key.pem --expires +3600
//! cfedge sign-url 'https://d111.cloudfront.net/private/*' --key-pair-id K2JCJMDEHXQW5F \
//!     --private-key private_key.pem --expires +3600 --ip-address 192.0.2.0/24 --hash sha256 --cookies
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::rules::signed_url::{
    custom_policy, resource_for_url, sign_url, signed_cookies, HashAlgorithm, Policy, SigningKey,
};

/// Arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The URL to sign (for cookies: the resource of a canned policy).
    pub url: String,
    /// The CloudFront public key ID (`Key-Pair-Id`).
    #[arg(long)]
    pub key_pair_id: String,
    /// RSA private key, PEM (PKCS#8 or PKCS#1).
    #[arg(long)]
    pub private_key: PathBuf,
    /// Expiry: epoch seconds, or `+N` seconds from now. Canned policy unless a
    /// custom option is given (then it is the policy's DateLessThan).
    #[arg(long)]
    pub expires: Option<String>,
    /// A custom policy document, used as is (whitespace removed).
    #[arg(long, conflicts_with_all = ["date_greater_than", "ip_address", "resource"])]
    pub policy_file: Option<PathBuf>,
    /// Custom policy: not valid before (epoch seconds or `+N`).
    #[arg(long)]
    pub date_greater_than: Option<String>,
    /// Custom policy: IPv4 CIDR the viewer must come from.
    #[arg(long)]
    pub ip_address: Option<String>,
    /// Custom policy: the Resource (wildcards allowed); default the URL, its query `?` escaped as `\?`.
    #[arg(long)]
    pub resource: Option<String>,
    /// Hash algorithm of the signature.
    #[arg(long, value_enum, default_value = "sha1")]
    pub hash: HashArg,
    /// Print `Set-Cookie` headers for signed cookies instead of a URL.
    #[arg(long)]
    pub cookies: bool,
}

/// `--hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HashArg {
    Sha1,
    Sha256,
}

/// Run the command.
pub fn run(args: Args) -> ExitCode {
    match render(&args, SystemTime::now()) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cfedge sign-url: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the command prints, with `now` as the clock for `+N` times.
pub fn render(args: &Args, now: SystemTime) -> Result<String, String> {
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let when = |s: &str| -> Result<u64, String> {
        match s.strip_prefix('+') {
            Some(rel) => rel
                .parse::<u64>()
                .map(|r| now + r)
                .map_err(|_| format!("\"{s}\" is not +seconds")),
            None => s
                .parse()
                .map_err(|_| format!("\"{s}\" is not epoch seconds")),
        }
    };
    let pem = std::fs::read_to_string(&args.private_key)
        .map_err(|e| format!("cannot read {}: {e}", args.private_key.display()))?;
    let key = SigningKey::from_pem(&pem)?;
    let policy = if let Some(f) = &args.policy_file {
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        serde_json::from_str::<serde_json::Value>(&text)
            .map_err(|e| format!("{} is not JSON: {e}", f.display()))?;
        Policy::Custom(text)
    } else {
        let expires = when(args.expires.as_deref().ok_or("--expires is required")?)?;
        if args.date_greater_than.is_some() || args.ip_address.is_some() || args.resource.is_some()
        {
            if let Some(ip) = &args.ip_address {
                ip.parse::<ipnet::Ipv4Net>()
                    .map_err(|_| format!("--ip-address {ip} is not an IPv4 CIDR"))?;
            }
            // Without --resource the policy names exactly this URL, its query escaped.
            let resource = args
                .resource
                .clone()
                .unwrap_or_else(|| resource_for_url(&args.url));
            Policy::Custom(custom_policy(
                Some(&resource),
                expires,
                args.date_greater_than.as_deref().map(when).transpose()?,
                args.ip_address.as_deref(),
            ))
        } else {
            Policy::Canned { expires }
        }
    };
    let hash = match args.hash {
        HashArg::Sha1 => HashAlgorithm::Sha1,
        HashArg::Sha256 => HashAlgorithm::Sha256,
    };
    if args.cookies {
        let cookies = signed_cookies(&args.url, &key, &args.key_pair_id, &policy, hash)?;
        Ok(cookies
            .iter()
            .map(|(n, v)| format!("Set-Cookie: {n}={v}; Path=/; Secure; HttpOnly"))
            .collect::<Vec<_>>()
            .join("\n"))
    } else {
        sign_url(&args.url, &key, &args.key_pair_id, &policy, hash)
    }
}
