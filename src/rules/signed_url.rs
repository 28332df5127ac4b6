//! Signed URLs and signed cookies with trusted key groups (spec §7.1). STUB.

use std::collections::BTreeMap;
use std::path::Path;

use toml::Spanned;

use crate::config::ConfigError;

/// All key groups, by name.
#[derive(Debug, Default)]
pub struct KeyGroupSet {}

impl KeyGroupSet {
    /// The trusted key groups of a behaviour.
    pub fn trusted(&self, names: &[String], item: &str) -> Result<TrustedKeyGroups, ConfigError> {
        Err(ConfigError::new(
            item,
            format!("key groups {names:?}: signed URLs are not implemented yet"),
        ))
    }
}

/// The public keys a behaviour trusts.
#[derive(Debug, Clone)]
pub struct TrustedKeyGroups {}

/// Build `[key_groups.<name>]`.
pub fn build(
    file: &BTreeMap<String, Spanned<toml::Table>>,
    _base: &Path,
) -> Result<KeyGroupSet, ConfigError> {
    if let Some((name, _)) = file.iter().next() {
        return Err(ConfigError::new(
            format!("key_groups.{name}"),
            "not implemented yet",
        ));
    }
    Ok(KeyGroupSet::default())
}
