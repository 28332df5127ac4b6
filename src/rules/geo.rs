//! Geo restriction (spec §7.2). STUB.

use std::path::Path;

use toml::Spanned;

use crate::config::ConfigError;

/// The distribution's geo restriction.
#[derive(Debug)]
pub struct GeoRestriction {}

/// Build `[geo_restriction]`.
pub fn build(_file: &Spanned<toml::Table>, _base: &Path) -> Result<GeoRestriction, ConfigError> {
    Err(ConfigError::new("geo_restriction", "not implemented yet"))
}
