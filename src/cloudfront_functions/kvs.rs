//! CloudFront KeyValueStore, loaded from a JSON file (spec §4.3).
//!
//! Two file shapes are accepted: a flat JSON object `{"key": "value", ...}`
//! (non-string values are stored as their JSON text), or the AWS import
//! format `{"data": [{"key": "...", "value": "..."}, ...]}`. CloudFront's
//! limits are checked at load: key ≤ 512 bytes, value ≤ 1 KB, whole store
//! ≤ 5 MB (spec §4.3, [DG:cloudfront-limits]).

use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

use serde_json::Value;

use crate::config::ConfigError;

/// Longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 512;
/// Longest value, in bytes.
pub const MAX_VALUE_BYTES: usize = 1024;
/// Largest store (keys plus values), in bytes.
pub const MAX_STORE_BYTES: usize = 5 * 1024 * 1024;

/// A loaded key value store.
#[derive(Debug, Clone, Default)]
pub struct KeyValueStore {
    pub name: String,
    entries: HashMap<String, String>,
    /// When the file was loaded, in milliseconds since the epoch.
    loaded_at_ms: u64,
    /// The file's modification time, in milliseconds since the epoch.
    modified_ms: u64,
}

impl KeyValueStore {
    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `(creationDateTime, lastUpdatedDateTime)` as RFC 3339 strings.
    pub fn times(&self) -> (String, String) {
        (
            rfc3339(self.loaded_at_ms),
            rfc3339(self.modified_ms.max(self.loaded_at_ms)),
        )
    }

    /// Load from a file; `item` names the config entry in errors.
    pub fn load(name: &str, path: &Path, item: &str) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(item, format!("cannot read {}: {e}", path.display())))?;
        let modified_ms = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut kvs = Self::parse(name, &text)
            .map_err(|m| ConfigError::new(item, format!("{}: {m}", path.display())))?;
        kvs.modified_ms = modified_ms;
        Ok(kvs)
    }

    /// Parse the JSON text of a store.
    pub fn parse(name: &str, text: &str) -> Result<Self, String> {
        let v = super::event::parse_json(text)?;
        let obj = v
            .as_object()
            .ok_or("a key value store file must be a JSON object")?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        match obj.get("data") {
            Some(Value::Array(items)) if obj.len() == 1 => {
                for (i, item) in items.iter().enumerate() {
                    let key = item
                        .get("key")
                        .and_then(Value::as_str)
                        .ok_or_else(|| format!("data[{i}] needs a string \"key\""))?;
                    let value = match item.get("value") {
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => return Err(format!("data[{i}] needs a \"value\"")),
                    };
                    pairs.push((key.to_owned(), value));
                }
            }
            _ => {
                for (k, v) in obj {
                    let value = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    pairs.push((k.clone(), value));
                }
            }
        }
        let mut total = 0usize;
        let mut entries = HashMap::with_capacity(pairs.len());
        for (k, v) in pairs {
            if k.is_empty() {
                return Err("keys must not be empty".into());
            }
            if k.len() > MAX_KEY_BYTES {
                return Err(format!(
                    "key \"{}…\" is {} bytes; CloudFront allows {MAX_KEY_BYTES}",
                    k.chars().take(20).collect::<String>(),
                    k.len()
                ));
            }
            if v.len() > MAX_VALUE_BYTES {
                return Err(format!(
                    "the value of key \"{k}\" is {} bytes; CloudFront allows {MAX_VALUE_BYTES}",
                    v.len()
                ));
            }
            total += k.len() + v.len();
            if total > MAX_STORE_BYTES {
                return Err(format!(
                    "the store is larger than CloudFront's {MAX_STORE_BYTES} bytes"
                ));
            }
            if entries.insert(k.clone(), v).is_some() {
                return Err(format!("key \"{k}\" appears twice"));
            }
        }
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Ok(KeyValueStore {
            name: name.to_owned(),
            entries,
            loaded_at_ms: now,
            modified_ms: now,
        })
    }
}

/// Milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_object_and_aws_import_format() {
        let a = KeyValueStore::parse("a", r#"{"k":"v","n":1,"o":{"x":true}}"#).unwrap();
        assert_eq!(a.get("k"), Some("v"));
        assert_eq!(a.get("n"), Some("1"));
        assert_eq!(a.get("o"), Some(r#"{"x":true}"#));
        let b = KeyValueStore::parse(
            "b",
            r#"{"data":[{"key":"k","value":"v"},{"key":"j","value":"{\"a\":1}"}]}"#,
        )
        .unwrap();
        assert_eq!(b.get("k"), Some("v"));
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn limits_are_enforced() {
        let long_key = "k".repeat(513);
        let e = KeyValueStore::parse("a", &format!(r#"{{"{long_key}":"v"}}"#)).unwrap_err();
        assert!(e.contains("512"), "{e}");
        let ok_key = "k".repeat(512);
        assert!(KeyValueStore::parse("a", &format!(r#"{{"{ok_key}":"v"}}"#)).is_ok());
        let long_val = "v".repeat(1025);
        let e = KeyValueStore::parse("a", &format!(r#"{{"k":"{long_val}"}}"#)).unwrap_err();
        assert!(e.contains("1024"), "{e}");
        let val = "v".repeat(1000);
        let mut s = String::from("{");
        for i in 0..5300 {
            s.push_str(&format!("\"key{i}\":\"{val}\","));
        }
        s.push_str("\"last\":\"x\"}");
        let e = KeyValueStore::parse("a", &s).unwrap_err();
        assert!(e.contains("5242880"), "{e}");
    }

    #[test]
    fn bad_json_names_the_position() {
        let e = KeyValueStore::parse("a", "{\n\"k\": }").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        assert!(KeyValueStore::parse("a", "[1]").is_err());
        assert!(KeyValueStore::parse("a", r#"{"data":[{"value":"x"}]}"#).is_err());
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000_000), "2023-11-14T22:13:20Z");
    }
}
