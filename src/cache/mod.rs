//! The edge cache: a byte-bounded store (moka; only this module sees it),
//! freshness bookkeeping, and request collapsing (spec §2.8): concurrent
//! misses on one key make exactly one origin request.

pub mod conditional;
pub mod freshness;
pub mod key;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::CacheConfig;
use freshness::Freshness;
use key::CacheKey;

/// How many uncacheable keys are remembered.
const UNCACHEABLE_KEYS: u64 = 100_000;
/// How long an "uncacheable" verdict is remembered without being confirmed
/// (each uncacheable response renews it; Varnish's hit-for-miss uses 120 s).
const UNCACHEABLE_MEMORY: Duration = Duration::from_secs(120);

/// A stored response.
#[derive(Debug, Clone)]
pub struct CachedObject {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// When it was fetched or last revalidated (tokio clock, so tests can pause time).
    pub stored_at: Instant,
    pub freshness: Freshness,
    /// After an origin failure the stale copy is served without asking the
    /// origin again until this instant (spec §2.4: "for ErrorCachingMinTTL").
    pub hold_until: Option<Instant>,
    /// The wall-clock time it was stored (for logs).
    pub stored_wall: SystemTime,
}

impl CachedObject {
    /// Seconds since the object was fetched or revalidated.
    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.stored_at)
    }

    /// Servable without contacting the origin.
    pub fn is_fresh(&self, now: Instant) -> bool {
        if self.hold_until.is_some_and(|h| now < h) {
            return true;
        }
        !self.freshness.revalidate_always && self.age(now) < self.freshness.ttl
    }

    /// Within the `stale-while-revalidate` window.
    pub fn in_stale_while_revalidate(&self, now: Instant) -> bool {
        let age = self.age(now);
        !self.freshness.revalidate_always
            && age >= self.freshness.ttl
            && age < self.freshness.ttl + self.freshness.stale_while_revalidate
            && age < self.freshness.max_stale_age
    }

    /// May be served stale because the origin failed (spec §2.4, §2.7).
    pub fn usable_on_error(&self, now: Instant) -> bool {
        let age = self.age(now);
        if age >= self.freshness.max_stale_age && !self.freshness.max_stale_age.is_zero() {
            return false;
        }
        match self.freshness.stale_if_error {
            Some(window) => age < self.freshness.ttl + window,
            None => true,
        }
    }

    /// Approximate memory use, for the byte-bounded capacity.
    fn weight(&self) -> u32 {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 16)
            .sum();
        u32::try_from(self.body.len() + headers + 256).unwrap_or(u32::MAX)
    }
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup {
    Fresh(Arc<CachedObject>),
    /// Present but expired: revalidate (or serve stale on error / while revalidating).
    Expired(Arc<CachedObject>),
    Miss,
}

/// The cache.
#[derive(Debug)]
pub struct EdgeCache {
    store: moka::sync::Cache<CacheKey, Arc<CachedObject>>,
    fills: Mutex<HashMap<CacheKey, watch::Receiver<()>>>,
    /// Keys whose last origin response said "do not cache" (Varnish's
    /// hit-for-pass): requests for them are not collapsed (spec §2.8).
    uncacheable: moka::sync::Cache<CacheKey, ()>,
    max_object_size: u64,
}

/// Whether this request fetches for everyone or waits for another's fetch.
#[derive(Debug)]
pub enum FillRole {
    Leader(FillGuard),
    Follower(watch::Receiver<()>),
}

/// Held by the request that fetches a key; dropping it (fetch done, failed or
/// abandoned by a disconnected viewer) wakes every follower.
#[derive(Debug)]
pub struct FillGuard {
    cache: Arc<EdgeCache>,
    key: CacheKey,
    _done: watch::Sender<()>,
}

impl Drop for FillGuard {
    fn drop(&mut self) {
        let mut fills = match self.cache.fills.lock() {
            Ok(f) => f,
            Err(p) => p.into_inner(),
        };
        fills.remove(&self.key);
        // `_done` drops after this, closing the channel and waking followers.
    }
}

impl EdgeCache {
    /// A cache bounded by `max_size_bytes`.
    pub fn new(cfg: &CacheConfig) -> Arc<EdgeCache> {
        let store = moka::sync::Cache::builder()
            .max_capacity(cfg.max_size_bytes)
            .weigher(|_k: &CacheKey, v: &Arc<CachedObject>| v.weight())
            .build();
        Arc::new(EdgeCache {
            store,
            fills: Mutex::new(HashMap::new()),
            uncacheable: moka::sync::Cache::builder()
                .max_capacity(UNCACHEABLE_KEYS)
                .time_to_live(UNCACHEABLE_MEMORY)
                .build(),
            max_object_size: cfg.max_object_size_bytes,
        })
    }

    /// Largest body stored.
    pub fn max_object_size(&self) -> u64 {
        self.max_object_size
    }

    /// Look a key up.
    pub fn lookup(&self, key: &CacheKey, now: Instant) -> Lookup {
        match self.store.get(key) {
            Some(o) if o.is_fresh(now) => Lookup::Fresh(o),
            Some(o) => Lookup::Expired(o),
            None => Lookup::Miss,
        }
    }

    /// Remember that the origin said `key` is not to be cached.
    pub fn mark_uncacheable(&self, key: &CacheKey) {
        self.uncacheable.insert(key.clone(), ());
    }

    /// Whether the last origin response for `key` was uncacheable.
    pub fn is_uncacheable(&self, key: &CacheKey) -> bool {
        self.uncacheable.contains_key(key)
    }

    /// Store an object (objects over the size limit are ignored).
    pub fn insert(&self, key: CacheKey, obj: CachedObject) {
        self.uncacheable.invalidate(&key);
        if obj.body.len() as u64 <= self.max_object_size {
            self.store.insert(key, Arc::new(obj));
        }
    }

    /// Drop a key.
    pub fn remove(&self, key: &CacheKey) {
        self.store.invalidate(key);
    }

    /// Become the one request that fetches `key`, or wait for the one that does.
    pub fn fill(self: &Arc<Self>, key: &CacheKey) -> FillRole {
        let mut fills = match self.fills.lock() {
            Ok(f) => f,
            Err(p) => p.into_inner(),
        };
        if let Some(rx) = fills.get(key) {
            return FillRole::Follower(rx.clone());
        }
        let (tx, rx) = watch::channel(());
        fills.insert(key.clone(), rx);
        FillRole::Leader(FillGuard {
            cache: self.clone(),
            key: key.clone(),
            _done: tx,
        })
    }

    /// Entries and weighted size (for logs and tests).
    pub fn stats(&self) -> (u64, u64) {
        self.store.run_pending_tasks();
        (self.store.entry_count(), self.store.weighted_size())
    }
}

/// Wait for a leader's fill to finish (or be abandoned).
pub async fn wait_for_fill(mut rx: watch::Receiver<()>) {
    // The sender never sends; `changed` returns once it is dropped.
    let _ = rx.changed().await;
}
