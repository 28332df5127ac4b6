//! Redirect tables. STUB: interface only.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use toml::Spanned;

use crate::config::ConfigError;

/// All redirect_rules entries, by name.
#[derive(Debug, Default)]
pub struct RedirectTableSet {
    entries: HashMap<String, Arc<RedirectTable>>,
}

impl RedirectTableSet {
    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<RedirectTable>> {
        self.entries.get(name).cloned()
    }
}

/// One validated entry.
#[derive(Debug)]
pub struct RedirectTable {
    pub name: String,
}

/// Build `[redirect_rules.<name>]`.
pub fn build(
    file: &BTreeMap<String, Spanned<toml::Table>>,
    _base: &Path,
) -> Result<RedirectTableSet, ConfigError> {
    if let Some((name, _)) = file.iter().next() {
        return Err(ConfigError::new(
            format!("redirect_rules.{name}"),
            "not implemented yet",
        ));
    }
    Ok(RedirectTableSet::default())
}
