//! Every way a request can fail, who failed, and the one mapping from a
//! failure to CloudFront's status code, `X-Cache` value and error page
//! (architecture habit 3). The match below has no wildcard arm: a new
//! failure forces a decision.

use http::StatusCode;

/// Who caused a failure (Pingora's `ErrorSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Viewer,
    Origin,
    Function,
    Internal,
}

/// A request that could not be served normally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EdgeError {
    /// URL over 8,192 bytes (spec §1.7).
    #[error("URL too long")]
    UrlTooLong,
    /// Request head over 32,768 bytes (spec §1.7).
    #[error("request headers too large")]
    HeadersTooLarge,
    /// A GET request carrying a body (spec §1.7).
    #[error("GET request with a body")]
    GetWithBody,
    /// Method outside the behaviour's allowed methods (spec §1.4, log `InvalidRequestMethod`).
    #[error("method not allowed by the cache behaviour")]
    MethodNotAllowed,
    /// A request CloudFront cannot parse or accept.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// `viewer_protocol_policy = "https-only"` and the viewer used HTTP (spec §7.3).
    #[error("HTTPS required")]
    HttpsRequired,
    /// `redirect-to-https` for a non-GET/HEAD on HTTP/1.0 (spec §7.3).
    #[error("HTTPS required (HTTP/1.0)")]
    HttpsRequiredHttp10,
    /// A viewer rejected by geo restriction (spec §7.2).
    #[error("blocked by geo restriction")]
    GeoBlocked,
    /// A signed URL or cookie rejection, with CloudFront's message (spec §7.1).
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// Could not connect to the origin (refused, unreachable, DNS).
    #[error("cannot connect to origin: {0}")]
    OriginConnect(String),
    /// TLS with the origin failed (bad, expired or mismatched certificate).
    #[error("origin TLS failure: {0}")]
    OriginTls(String),
    /// The origin sent something that is not valid HTTP.
    #[error("invalid origin response: {0}")]
    OriginInvalidResponse(String),
    /// The origin did not answer within its read timeout (spec §2.4: assumed 504).
    #[error("origin read timeout")]
    OriginTimeout,
    /// A CloudFront Function threw (spec §4.8).
    #[error("function execution error: {0}")]
    FunctionExecution(String),
    /// A CloudFront Function returned an invalid result (spec §4.8).
    #[error("function validation error: {0}")]
    FunctionValidation(String),
    /// A CloudFront Function ran over its budget (spec §4.8).
    #[error("function throttled: {0}")]
    FunctionThrottled(String),
    /// A Lambda@Edge function threw, rejected or timed out (spec §5.4).
    #[error("lambda execution error: {0}")]
    LambdaExecution(String),
    /// A Lambda@Edge function returned an invalid result (spec §5.4).
    #[error("lambda validation error: {0}")]
    LambdaValidation(String),
    /// Over a Lambda@Edge concurrency limit (spec §5.4).
    #[error("lambda limit exceeded: {0}")]
    LambdaLimitExceeded(String),
    /// A bug in cfedge; logged at error level.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the viewer gets for an [`EdgeError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorAnswer {
    pub status: StatusCode,
    /// The `X-Cache` value.
    pub x_cache: &'static str,
    /// The sentence on the error page.
    pub detail: &'static str,
    /// Whether the connection is closed after answering (spec §1.7).
    pub close: bool,
    /// Whether a custom error page may replace this answer (spec §1.5: not for
    /// function-generated errors or capacity/limit 503s).
    pub custom_page_allowed: bool,
}

impl EdgeError {
    /// Who caused this failure.
    pub fn side(&self) -> Side {
        use EdgeError::*;
        match self {
            UrlTooLong | HeadersTooLarge | GetWithBody | MethodNotAllowed | BadRequest(_)
            | HttpsRequired | HttpsRequiredHttp10 | GeoBlocked | AccessDenied(_) => Side::Viewer,
            OriginConnect(_) | OriginTls(_) | OriginInvalidResponse(_) | OriginTimeout => {
                Side::Origin
            }
            FunctionExecution(_)
            | FunctionValidation(_)
            | FunctionThrottled(_)
            | LambdaExecution(_)
            | LambdaValidation(_)
            | LambdaLimitExceeded(_) => Side::Function,
            Internal(_) => Side::Internal,
        }
    }

    /// The one mapping from failure to CloudFront's answer.
    pub fn answer(&self) -> ErrorAnswer {
        use EdgeError::*;
        const ERR: &str = "Error from cloudfront";
        let a = |status: StatusCode, x_cache: &'static str, detail: &'static str| ErrorAnswer {
            status,
            x_cache,
            detail,
            close: false,
            custom_page_allowed: true,
        };
        match self {
            UrlTooLong => ErrorAnswer {
                close: true,
                ..a(StatusCode::URI_TOO_LONG, ERR, "Bad request.\nThe request URL is too long.")
            },
            HeadersTooLarge => ErrorAnswer {
                close: true,
                custom_page_allowed: false,
                ..a(
                    status_494(),
                    ERR,
                    "Bad request.\nThe request headers are too large.",
                )
            },
            GetWithBody => a(
                StatusCode::FORBIDDEN,
                ERR,
                "Bad request.\nWe can't connect to the server for this app or website at this time.",
            ),
            MethodNotAllowed => a(
                StatusCode::FORBIDDEN,
                ERR,
                "This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests.",
            ),
            BadRequest(_) => ErrorAnswer {
                close: true,
                custom_page_allowed: false,
                ..a(StatusCode::BAD_REQUEST, ERR, "Bad request.")
            },
            HttpsRequired | HttpsRequiredHttp10 => a(
                StatusCode::FORBIDDEN,
                ERR,
                "Bad request.\nThis distribution requires HTTPS.",
            ),
            GeoBlocked => a(
                StatusCode::FORBIDDEN,
                ERR,
                "The Amazon CloudFront distribution is configured to block access from your country.",
            ),
            AccessDenied(_) => a(StatusCode::FORBIDDEN, ERR, "Access denied."),
            OriginConnect(_) | OriginTls(_) | OriginInvalidResponse(_) => a(
                StatusCode::BAD_GATEWAY,
                ERR,
                "CloudFront wasn't able to connect to the origin.\nWe can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.",
            ),
            OriginTimeout => a(
                StatusCode::GATEWAY_TIMEOUT,
                ERR,
                "CloudFront attempted to establish a connection with the origin, but either the attempt failed or the origin closed the connection.\nWe can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.",
            ),
            FunctionExecution(_) => ErrorAnswer {
                custom_page_allowed: false,
                ..a(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "FunctionExecutionError from cloudfront",
                    "The CloudFront function associated with the CloudFront distribution is invalid or could not run.",
                )
            },
            FunctionValidation(_) => ErrorAnswer {
                custom_page_allowed: false,
                ..a(
                    StatusCode::BAD_GATEWAY,
                    "FunctionValidationError from cloudfront",
                    "The CloudFront function returned an invalid value.",
                )
            },
            FunctionThrottled(_) => ErrorAnswer {
                custom_page_allowed: false,
                ..a(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "FunctionThrottledError from cloudfront",
                    "The CloudFront function associated with the CloudFront distribution was throttled.",
                )
            },
            LambdaExecution(_) => a(
                StatusCode::SERVICE_UNAVAILABLE,
                "LambdaExecutionError from cloudfront",
                "The Lambda function associated with the CloudFront distribution is invalid or doesn't have the required permissions.",
            ),
            LambdaValidation(_) => a(
                StatusCode::BAD_GATEWAY,
                "LambdaValidationError from cloudfront",
                "The Lambda function returned an invalid response to CloudFront.",
            ),
            LambdaLimitExceeded(_) => ErrorAnswer {
                custom_page_allowed: false,
                ..a(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "LambdaLimitExceeded from cloudfront",
                    "The Lambda function associated with the CloudFront distribution was throttled.",
                )
            },
            Internal(_) => a(
                StatusCode::INTERNAL_SERVER_ERROR,
                ERR,
                "CloudFront encountered an internal error.",
            ),
        }
    }
}

/// CloudFront's non-standard 494 (request header too large).
pub fn status_494() -> StatusCode {
    StatusCode::from_u16(494).unwrap_or(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
}
