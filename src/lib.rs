//! # cfedge: a local Amazon CloudFront edge
//!
//! cfedge models a CloudFront distribution on one machine: origins and
//! origin groups, path-pattern cache behaviours, cache policies with
//! CloudFront's TTL rules, custom error pages, CloudFront Functions,
//! Lambda@Edge, native JWT/redirect/signed-URL rules, TLS and HTTP/2.
//!
//! The reference for every rule is `shared/spec/cloudfront-semantics.md`;
//! doc comments cite its sections as "spec §N".
//!
//! ## Glossary
//! - **viewer**: the client talking to the edge.
//! - **origin**: where misses are fetched from (a URL or a local directory).
//! - **behaviour**: a path pattern with its target origin, cache policy and
//!   edge features; the first matching behaviour serves a request.
//! - **cache policy**: TTL bounds and what goes into the cache key.

#![forbid(unsafe_code)]

pub mod behavior;
pub mod body;
pub mod cache;
pub mod cli;
pub mod cloudfront_functions;
pub mod compression;
pub mod config;
pub mod error;
pub mod features;
pub mod headers;
pub mod js;
pub mod lambda_edge;
pub mod origin;
pub mod origin_request_policy;
pub mod pipeline;
pub mod range;
pub mod response_headers_policy;
pub mod responses;
pub mod rules;
pub mod server;
pub mod viewer;
