//! A local directory served like an S3 bucket: content type by extension,
//! ETag (MD5 of the content, as S3 for single-part objects), Last-Modified,
//! conditional GETs, and S3's 404 `NoSuchKey` / 403 `AccessDenied`. Keys
//! cannot escape the directory through `..`, encoded slashes or symlinks.

use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use md5::{Digest, Md5};

use super::OriginRequest;
use crate::body::EdgeBody;
use crate::error::EdgeError;

/// Serve one request from `root` (already canonicalised at config load).
pub async fn serve(root: &Path, req: OriginRequest) -> Result<Response<EdgeBody>, EdgeError> {
    let OriginRequest {
        method,
        path_and_query,
        headers,
        ..
    } = req;
    if method != Method::GET && method != Method::HEAD {
        return Ok(s3_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ));
    }
    let path = path_and_query.split('?').next().unwrap_or("/");
    let Some(file) = resolve(root, path) else {
        return Ok(s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Access Denied",
        ));
    };
    let root = root.to_path_buf();
    let head = method == Method::HEAD;
    let result = tokio::task::spawn_blocking(move || read_object(&root, &file))
        .await
        .map_err(|e| EdgeError::Internal(format!("directory origin task: {e}")))?;
    let obj = match result {
        Ok(o) => o,
        Err(ObjectError::NotFound) => {
            return Ok(s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            ))
        }
        Err(ObjectError::Forbidden) => {
            return Ok(s3_error(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Access Denied",
            ))
        }
    };
    let etag = format!("\"{}\"", hex::encode(Md5::digest(&obj.body)));
    let last_modified = httpdate::fmt_http_date(obj.modified);
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(inm) => inm.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| httpdate::parse_http_date(s).ok())
            .is_some_and(|since| {
                obj.modified
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|m| m.as_secs())
                    .unwrap_or(0)
                    <= since
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|s| s.as_secs())
                        .unwrap_or(0)
            }),
    };
    let mut resp = Response::new(EdgeBody::empty());
    let h = resp.headers_mut();
    insert(h, header::ETAG, &etag);
    insert(h, header::LAST_MODIFIED, &last_modified);
    h.insert(header::SERVER, HeaderValue::from_static("AmazonS3"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if not_modified {
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(resp);
    }
    let ctype = mime_guess::from_path(&obj.path)
        .first_raw()
        .unwrap_or("binary/octet-stream");
    insert(h, header::CONTENT_TYPE, ctype);
    insert(h, header::CONTENT_LENGTH, &obj.body.len().to_string());
    if !head {
        *resp.body_mut() = EdgeBody::full(obj.body);
    }
    Ok(resp)
}

fn insert(h: &mut HeaderMap, name: header::HeaderName, v: &str) {
    if let Ok(v) = HeaderValue::from_str(v) {
        h.insert(name, v);
    }
}

/// Map a request path to a file under `root`, or `None` when the key would
/// escape (`..`, a decoded `/` or `\`, NUL) or names no object (empty key).
fn resolve(root: &Path, raw_path: &str) -> Option<PathBuf> {
    let mut rel = PathBuf::new();
    for seg in raw_path.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_encoding::percent_decode_str(seg)
            .decode_utf8()
            .ok()?;
        if decoded.contains(['/', '\\', '\0']) {
            return None;
        }
        let p = Path::new(decoded.as_ref());
        match p.components().next() {
            Some(Component::Normal(_)) if p.components().count() == 1 => rel.push(p),
            _ => return None,
        }
    }
    if rel.as_os_str().is_empty() {
        return None;
    }
    Some(root.join(rel))
}

struct Object {
    path: PathBuf,
    body: Bytes,
    modified: std::time::SystemTime,
}

enum ObjectError {
    NotFound,
    Forbidden,
}

fn read_object(root: &Path, file: &Path) -> Result<Object, ObjectError> {
    let canonical = match file.canonicalize() {
        Ok(c) => c,
        Err(_) => return Err(ObjectError::NotFound),
    };
    // Symlinks may point anywhere; only objects inside the root are served.
    if !canonical.starts_with(root) {
        return Err(ObjectError::Forbidden);
    }
    let meta = std::fs::metadata(&canonical).map_err(|_| ObjectError::NotFound)?;
    if !meta.is_file() {
        // S3 has no directories: "docs/" is simply a key that does not exist.
        return Err(ObjectError::NotFound);
    }
    let body = std::fs::read(&canonical).map_err(|_| ObjectError::Forbidden)?;
    Ok(Object {
        path: canonical,
        body: Bytes::from(body),
        modified: meta.modified().unwrap_or(std::time::UNIX_EPOCH),
    })
}

/// S3's XML error body.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Response<EdgeBody> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    let mut resp = Response::new(EdgeBody::full(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    resp.headers_mut()
        .insert(header::SERVER, HeaderValue::from_static("AmazonS3"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_directory() {
        let root = Path::new("/srv/site");
        assert_eq!(
            resolve(root, "/a/b.html"),
            Some(PathBuf::from("/srv/site/a/b.html"))
        );
        assert_eq!(resolve(root, "/a/../../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/%2e%2e/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(root, "/a%2F..%2F..%2Fetc"), None);
        assert_eq!(resolve(root, "/a%5C..%5Cx"), None);
        assert_eq!(resolve(root, "/"), None);
        assert_eq!(resolve(root, "/a/./b"), None);
    }
}
