//! The edge features that sit on top of the core proxy, built from the
//! config by their own modules and attached to behaviours.
//!
//! The core (`config::build`) calls [`build`] once for distribution-wide
//! features and [`build_behavior`] once per behaviour; each feature module
//! owns its config schema, its validation and its error messages. This keeps
//! the core config code free of feature details, and lets a feature be added
//! by touching its own module plus one line here.

use std::path::Path;
use std::sync::Arc;

use crate::cloudfront_functions::{CloudFrontFunction, FunctionSet};
use crate::config::file::{BehaviorFile, FileConfig};
use crate::config::{ConfigError, Distribution};
use crate::lambda_edge::{LambdaAssociations, LambdaSet};
use crate::response_headers_policy::{ResponseHeadersPolicy, ResponseHeadersPolicySet};
use crate::rules::geo::GeoRestriction;
use crate::rules::jwt::{JwtRule, JwtRuleSet};
use crate::rules::redirect::{RedirectTable, RedirectTableSet};
use crate::rules::signed_url::{KeyGroupSet, TrustedKeyGroups};

/// Distribution-wide features.
#[derive(Debug, Default)]
pub struct Features {
    pub functions: FunctionSet,
    pub lambdas: LambdaSet,
    pub jwt_rules: JwtRuleSet,
    pub redirect_tables: RedirectTableSet,
    pub key_groups: KeyGroupSet,
    pub response_headers_policies: ResponseHeadersPolicySet,
    pub geo: Option<GeoRestriction>,
}

/// Features attached to one behaviour.
#[derive(Debug, Default)]
pub struct BehaviorFeatures {
    pub viewer_request_function: Option<Arc<CloudFrontFunction>>,
    pub viewer_response_function: Option<Arc<CloudFrontFunction>>,
    pub lambdas: LambdaAssociations,
    pub jwt_rules: Vec<Arc<JwtRule>>,
    pub redirect_tables: Vec<Arc<RedirectTable>>,
    pub trusted_key_groups: Option<TrustedKeyGroups>,
    pub response_headers_policy: Option<Arc<ResponseHeadersPolicy>>,
}

/// Build the distribution-wide features. `base` resolves relative file paths.
pub fn build(
    file: &FileConfig,
    base: &Path,
    distribution: &Distribution,
) -> Result<Features, ConfigError> {
    Ok(Features {
        functions: crate::cloudfront_functions::build(file, base, distribution)?,
        lambdas: crate::lambda_edge::build(file, base)?,
        jwt_rules: crate::rules::jwt::build(&file.jwt_rules, base)?,
        redirect_tables: crate::rules::redirect::build(&file.redirect_rules, base)?,
        key_groups: crate::rules::signed_url::build(&file.key_groups, base)?,
        response_headers_policies: crate::response_headers_policy::build(
            &file.response_headers_policies,
        )?,
        geo: file
            .geo_restriction
            .as_ref()
            .map(|g| crate::rules::geo::build(g, base))
            .transpose()?,
    })
}

/// Resolve a behaviour's feature references. `item` names the behaviour in errors.
pub fn build_behavior(
    b: &BehaviorFile,
    features: &Features,
    item: &str,
) -> Result<BehaviorFeatures, ConfigError> {
    let fa = b.function_associations.clone().unwrap_or_default();
    let lookup_fn = |name: &Option<String>| {
        name.as_ref()
            .map(|n| {
                features.functions.get(n).ok_or_else(|| {
                    ConfigError::new(
                        item,
                        format!("function \"{n}\" is not defined in [functions]"),
                    )
                })
            })
            .transpose()
    };
    let viewer_request_function = lookup_fn(&fa.viewer_request)?;
    let viewer_response_function = lookup_fn(&fa.viewer_response)?;
    let lambdas = crate::lambda_edge::associate(
        b.lambda_function_associations.as_ref(),
        &features.lambdas,
        item,
    )?;
    // Spec §6.2: a CloudFront Function and Lambda@Edge can't both sit on viewer events.
    if (viewer_request_function.is_some() || viewer_response_function.is_some())
        && (lambdas.viewer_request.is_some() || lambdas.viewer_response.is_some())
    {
        return Err(ConfigError::new(
            item,
            "a CloudFront Function and a Lambda@Edge function cannot both be associated with \
             viewer events of one behaviour (CloudFront rejects this configuration)",
        ));
    }
    let jwt_rules = b
        .jwt_rules
        .iter()
        .map(|n| {
            features.jwt_rules.get(n).ok_or_else(|| {
                ConfigError::new(
                    item,
                    format!("jwt rule \"{n}\" is not defined in [jwt_rules]"),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let redirect_tables = b
        .redirect_rules
        .iter()
        .map(|n| {
            features.redirect_tables.get(n).ok_or_else(|| {
                ConfigError::new(
                    item,
                    format!("redirect table \"{n}\" is not defined in [redirect_rules]"),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let trusted_key_groups = if b.trusted_key_groups.is_empty() {
        None
    } else {
        Some(features.key_groups.trusted(&b.trusted_key_groups, item)?)
    };
    let response_headers_policy = b
        .response_headers_policy
        .as_ref()
        .map(|n| features.response_headers_policies.resolve(n, item))
        .transpose()?;
    Ok(BehaviorFeatures {
        viewer_request_function,
        viewer_response_function,
        lambdas,
        jwt_rules,
        redirect_tables,
        trusted_key_groups,
        response_headers_policy,
    })
}
