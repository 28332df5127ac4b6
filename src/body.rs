//! The response body type the edge hands to hyper: either bytes we hold
//! (cache hits, generated responses) or a stream from the origin.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// Boxed error for streamed bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed, sendable body stream.
pub type BoxBody = Pin<Box<dyn Body<Data = Bytes, Error = BoxError> + Send>>;

/// A response body: held bytes, or a stream.
pub enum EdgeBody {
    /// A complete body (`None` once it has been yielded).
    Full(Option<Bytes>),
    /// A body streamed from the origin.
    Stream(BoxBody),
}

impl std::fmt::Debug for EdgeBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EdgeBody::Full(b) => write!(
                f,
                "EdgeBody::Full({} bytes)",
                b.as_ref().map_or(0, Bytes::len)
            ),
            EdgeBody::Stream(_) => write!(f, "EdgeBody::Stream"),
        }
    }
}

impl EdgeBody {
    /// An empty body.
    pub fn empty() -> Self {
        EdgeBody::Full(None)
    }

    /// A complete body.
    pub fn full(b: impl Into<Bytes>) -> Self {
        let b = b.into();
        if b.is_empty() {
            EdgeBody::Full(None)
        } else {
            EdgeBody::Full(Some(b))
        }
    }

    /// A streamed body.
    pub fn stream<B>(b: B) -> Self
    where
        B: Body<Data = Bytes, Error = BoxError> + Send + 'static,
    {
        EdgeBody::Stream(Box::pin(b))
    }
}

impl Body for EdgeBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            EdgeBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            EdgeBody::Stream(s) => s.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            EdgeBody::Full(b) => b.is_none(),
            EdgeBody::Stream(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            EdgeBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            EdgeBody::Stream(s) => s.size_hint(),
        }
    }
}
