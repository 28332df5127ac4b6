//! JWT rules (jsonwebtoken). STUB: interface only.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use toml::Spanned;

use crate::config::ConfigError;

/// All jwt_rules entries, by name.
#[derive(Debug, Default)]
pub struct JwtRuleSet {
    entries: HashMap<String, Arc<JwtRule>>,
}

impl JwtRuleSet {
    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<JwtRule>> {
        self.entries.get(name).cloned()
    }
}

/// One validated entry.
#[derive(Debug)]
pub struct JwtRule {
    pub name: String,
}

/// Build `[jwt_rules.<name>]`.
pub fn build(
    file: &BTreeMap<String, Spanned<toml::Table>>,
    _base: &Path,
) -> Result<JwtRuleSet, ConfigError> {
    if let Some((name, _)) = file.iter().next() {
        return Err(ConfigError::new(
            format!("jwt_rules.{name}"),
            "not implemented yet",
        ));
    }
    Ok(JwtRuleSet::default())
}
