//! The JavaScript engine (boa_engine), shared by CloudFront Functions and the
//! embedded Lambda@Edge runtime. Only this module imports boa. STUB.

pub mod lambda_runtime;
