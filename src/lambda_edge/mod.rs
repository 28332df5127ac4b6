//! Lambda@Edge: the four hooks (spec §5). STUB: interface only.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::config::file::{FileConfig, LambdaAssociationsFile};
use crate::config::ConfigError;

/// All Lambda@Edge functions of the distribution, by name.
#[derive(Debug, Default)]
pub struct LambdaSet {
    lambdas: HashMap<String, Arc<LambdaFunction>>,
}

impl LambdaSet {
    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<LambdaFunction>> {
        self.lambdas.get(name).cloned()
    }
}

/// One Lambda@Edge function.
#[derive(Debug)]
pub struct LambdaFunction {
    pub name: String,
}

/// One association of a function with an event type.
#[derive(Debug, Clone)]
pub struct LambdaAssociation {
    pub function: Arc<LambdaFunction>,
    pub include_body: bool,
}

/// A behaviour's Lambda@Edge associations, one per event type.
#[derive(Debug, Default, Clone)]
pub struct LambdaAssociations {
    pub viewer_request: Option<LambdaAssociation>,
    pub origin_request: Option<LambdaAssociation>,
    pub origin_response: Option<LambdaAssociation>,
    pub viewer_response: Option<LambdaAssociation>,
}

/// Build the functions declared in `[lambdas]`.
pub fn build(file: &FileConfig, _base: &Path) -> Result<LambdaSet, ConfigError> {
    if let Some((name, _)) = file.lambdas.iter().next() {
        return Err(ConfigError::new(
            format!("lambdas.{name}"),
            "Lambda@Edge is not implemented yet",
        ));
    }
    Ok(LambdaSet::default())
}

/// Resolve a behaviour's `lambda_function_associations`.
pub fn associate(
    file: Option<&LambdaAssociationsFile>,
    set: &LambdaSet,
    item: &str,
) -> Result<LambdaAssociations, ConfigError> {
    let Some(file) = file else {
        return Ok(LambdaAssociations::default());
    };
    let one = |a: &Option<crate::config::file::LambdaAssociationFile>| {
        a.as_ref()
            .map(|a| {
                set.get(&a.function)
                    .map(|function| LambdaAssociation {
                        function,
                        include_body: a.include_body,
                    })
                    .ok_or_else(|| {
                        ConfigError::new(
                            item,
                            format!("lambda \"{}\" is not defined in [lambdas]", a.function),
                        )
                    })
            })
            .transpose()
    };
    Ok(LambdaAssociations {
        viewer_request: one(&file.viewer_request)?,
        origin_request: one(&file.origin_request)?,
        origin_response: one(&file.origin_response)?,
        viewer_response: one(&file.viewer_response)?,
    })
}
