//! A connection that makes no progress is cut: `Stalling` wraps a stream and fails a read or
//! a write that has been waiting longer than its limit. Aimed at clients that never read
//! their responses (the server's writes wait on a full socket buffer forever, holding the
//! connection, its task and the response in memory) and at connections that go silent.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Sleep, sleep};

/// `inner`, with reads and writes that may wait at most their limit for progress.
#[derive(Debug)]
pub struct Stalling<S> {
    inner: S,
    read_limit: Duration,
    write_limit: Duration,
    read_wait: Option<Pin<Box<Sleep>>>,
    write_wait: Option<Pin<Box<Sleep>>>,
}

impl<S> Stalling<S> {
    pub fn new(inner: S, read_limit: Duration, write_limit: Duration) -> Stalling<S> {
        Stalling {
            inner,
            read_limit,
            write_limit,
            read_wait: None,
            write_wait: None,
        }
    }
}

/// Turns a pending operation into a timeout once `wait` (armed at the first pending poll)
/// has elapsed; progress disarms it.
fn watch<T>(
    polled: Poll<io::Result<T>>,
    wait: &mut Option<Pin<Box<Sleep>>>,
    limit: Duration,
    cx: &mut Context<'_>,
    what: &str,
) -> Poll<io::Result<T>> {
    if polled.is_ready() {
        *wait = None;
        return polled;
    }
    let timer = wait.get_or_insert_with(|| Box::pin(sleep(limit)));
    match timer.as_mut().poll(cx) {
        Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no {what} progress for {} ms", limit.as_millis()),
        ))),
        Poll::Pending => Poll::Pending,
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Stalling<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        watch(polled, &mut this.read_wait, this.read_limit, cx, "read")
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Stalling<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        watch(polled, &mut this.write_wait, this.write_limit, cx, "write")
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        watch(polled, &mut this.write_wait, this.write_limit, cx, "write")
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        watch(polled, &mut this.write_wait, this.write_limit, cx, "write")
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
