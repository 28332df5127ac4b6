//! Response headers policies (spec §3.1). STUB.

use std::collections::BTreeMap;
use std::sync::Arc;

use toml::Spanned;

use crate::config::ConfigError;

/// Custom policies by name (managed ones are resolved by name or ID).
#[derive(Debug, Default)]
pub struct ResponseHeadersPolicySet {}

impl ResponseHeadersPolicySet {
    /// Resolve a policy name or ID.
    pub fn resolve(
        &self,
        name: &str,
        item: &str,
    ) -> Result<Arc<ResponseHeadersPolicy>, ConfigError> {
        Err(ConfigError::new(
            item,
            format!("response headers policy \"{name}\": not implemented yet"),
        ))
    }
}

/// One response headers policy.
#[derive(Debug)]
pub struct ResponseHeadersPolicy {
    pub name: String,
}

/// Build `[response_headers_policies.<name>]`.
pub fn build(
    file: &BTreeMap<String, Spanned<toml::Table>>,
) -> Result<ResponseHeadersPolicySet, ConfigError> {
    if let Some((name, _)) = file.iter().next() {
        return Err(ConfigError::new(
            format!("response_headers_policies.{name}"),
            "not implemented yet",
        ));
    }
    Ok(ResponseHeadersPolicySet::default())
}
