//! Native edge rules evaluated at viewer-request: JWT, redirects, signed
//! URLs and cookies, geo restriction (spec §7).

pub mod geo;
pub mod jwt;
pub mod redirect;
pub mod signed_url;
