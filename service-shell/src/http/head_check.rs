//! Request heads checked before hyper reads them, so that a head hyper would refuse with a
//! bare 400 or 431 of its own (a control byte in a header, a malformed request line, too many
//! headers) gets the services' JSON error body like every other error.
//!
//! `HeadChecked` wraps a connection's stream. It holds each request head back until
//! `httparse` (the parser hyper itself uses, with hyper's header limit) has seen all of it.
//! A good head passes to hyper unchanged, then its body, which `Content-Length` delimits, and
//! then the next head is checked in turn. A bad head never reaches hyper. In its place hyper
//! reads a stand-in request (`GET /` with `x-vigil-refused-head: <reason>` and `connection:
//! close`). The layer `answer_refused_heads` answers it with the `ApiError`, and hyper then
//! closes the connection. So a refusal keeps its place among pipelined requests and is
//! written like any other response. Anything this check cannot frame with certainty (a
//! chunked body, an upgrade such as the sequencer's WebSocket, `CONNECT`) turns it off for
//! the rest of the connection, and hyper's own checks still apply there. A client that
//! sends the stand-in header itself gets only the same 400 or 431.
//!
//! Holding a head back does not delay hyper's header-read timeout: hyper starts it when it
//! begins waiting for a head, not when the first byte arrives.

use super::error::ApiError;
use super::error_code::error_codes;
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The stand-in request's header naming why the real head was refused.
const REFUSED_HEAD: &str = "x-vigil-refused-head";
/// hyper's default limit on a request's headers (it answers a bare 431 beyond it).
const MAX_HEADERS: usize = 100;
/// The largest request head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Bytes read from the socket at a time while heads are being checked.
const READ_CHUNK: usize = 8 * 1024;

/// Where the next byte from the client belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// A request head, checked before it is handed on.
    Head,
    /// This many bytes of the current request's body.
    Body(u64),
    /// Not checked any more (chunked body, upgrade): bytes go straight to hyper.
    PassThrough,
    /// A head was refused and its stand-in handed on: nothing more is read.
    Refused,
}

/// A head checked by `judge`.
#[derive(Debug, PartialEq, Eq)]
enum Judgement {
    Partial,
    Complete { len: usize, next: Framing },
    Refused(&'static str),
}

/// A stream whose request heads are checked before they are read (module documentation).
#[derive(Debug)]
pub struct HeadChecked<S> {
    inner: S,
    framing: Framing,
    /// The head being assembled.
    head: Vec<u8>,
    /// Checked bytes not yet read by hyper, from `handed`.
    checked: Vec<u8>,
    handed: usize,
}

impl<S> HeadChecked<S> {
    pub fn new(inner: S) -> HeadChecked<S> {
        HeadChecked {
            inner,
            framing: Framing::Head,
            head: Vec::new(),
            checked: Vec::new(),
            handed: 0,
        }
    }

    /// Sorts `data`, fresh from the client, into checked bytes (or a stand-in request).
    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match self.framing {
                Framing::PassThrough => return self.checked.extend_from_slice(data),
                Framing::Refused => return,
                Framing::Body(left) => {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                    self.checked.extend_from_slice(&data[..n]);
                    data = &data[n..];
                    let left = left - n as u64;
                    self.framing = if left == 0 {
                        Framing::Head
                    } else {
                        Framing::Body(left)
                    };
                }
                Framing::Head => {
                    if self.head.is_empty() {
                        // Blank lines before a request line are skipped (as httparse does).
                        let blank = data.iter().take_while(|b| matches!(b, b'\r' | b'\n'));
                        data = &data[blank.count()..];
                        if data.is_empty() {
                            return;
                        }
                    }
                    let before = self.head.len();
                    self.head.extend_from_slice(data);
                    // A head can only end with a line, so it is parsed again only when a
                    // line ended: at most MAX_HEADERS + 2 parses of at most
                    // MAX_HEAD_BYTES per head, however the client slices it.
                    let judgement = if data.contains(&b'\n') {
                        judge(&self.head)
                    } else {
                        Judgement::Partial
                    };
                    match judgement {
                        Judgement::Partial if self.head.len() > MAX_HEAD_BYTES => {
                            return self.refuse("head-too-large");
                        }
                        Judgement::Partial => return,
                        Judgement::Refused(reason) => return self.refuse(reason),
                        // However the bytes arrived, a head over the limit is refused whole.
                        Judgement::Complete { len, .. } if len > MAX_HEAD_BYTES => {
                            return self.refuse("head-too-large");
                        }
                        Judgement::Complete { len, next } => {
                            // A head judged partial before needed more bytes: len > before.
                            self.checked.extend_from_slice(&self.head[..len]);
                            data = &data[len - before..];
                            self.head.clear();
                            self.framing = next;
                        }
                    }
                }
            }
        }
    }

    fn refuse(&mut self, reason: &'static str) {
        self.head.clear();
        self.framing = Framing::Refused;
        let stand_in = format!(
            "GET / HTTP/1.1\r\nhost: refused\r\n{REFUSED_HEAD}: {reason}\r\nconnection: close\r\n\r\n"
        );
        self.checked.extend_from_slice(stand_in.as_bytes());
    }
}

/// What `head` (bytes from the start of a request) is: incomplete, a whole acceptable head
/// and what follows it, or refused with a reason.
fn judge(head: &[u8]) -> Judgement {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(head) {
        Ok(httparse::Status::Partial) => return Judgement::Partial,
        Ok(httparse::Status::Complete(len)) => len,
        Err(e) => return Judgement::Refused(reason_of(e)),
    };
    if request
        .path
        .is_some_and(|path| Uri::try_from(path).is_err())
    {
        return Judgement::Refused("request-target");
    }
    let headers: &[httparse::Header<'_>] = request.headers;
    let named = |name: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
    };
    let mut codings = named("transfer-encoding").peekable();
    let chunked = codings.peek().is_some();
    if codings.last().is_some_and(|h| !ends_chunked(h.value)) {
        return Judgement::Refused("transfer-encoding");
    }
    let passes_through =
        chunked || request.method == Some("CONNECT") || named("upgrade").next().is_some();
    if passes_through {
        return Judgement::Complete {
            len,
            next: Framing::PassThrough,
        };
    }
    match content_length(named("content-length").map(|h| h.value)) {
        Ok(0) => Judgement::Complete {
            len,
            next: Framing::Head,
        },
        Ok(n) => Judgement::Complete {
            len,
            next: Framing::Body(n),
        },
        Err(()) => Judgement::Refused("content-length"),
    }
}

/// The body length the `Content-Length` values give: every value (comma-separated lists
/// included) must be the same decimal number; none means no body.
fn content_length<'a>(values: impl Iterator<Item = &'a [u8]>) -> Result<u64, ()> {
    let mut length = None;
    for value in values {
        for part in value.split(|b| *b == b',') {
            let digits = part.trim_ascii();
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(());
            }
            let n: u64 = std::str::from_utf8(digits)
                .map_err(|_| ())?
                .parse()
                .map_err(|_| ())?;
            if length.is_some_and(|l| l != n) {
                return Err(());
            }
            length = Some(n);
        }
    }
    Ok(length.unwrap_or(0))
}

/// Whether a `Transfer-Encoding` value's last coding is `chunked`, as a request's must be
/// for its body to be framed (RFC 9112 §6.3; hyper refuses the rest).
fn ends_chunked(value: &[u8]) -> bool {
    value
        .rsplit(|b| *b == b',')
        .next()
        .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

fn reason_of(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::HeaderName => "header-name",
        httparse::Error::HeaderValue => "header-value",
        httparse::Error::NewLine => "new-line",
        httparse::Error::Version => "version",
        httparse::Error::TooManyHeaders => "too-many-headers",
        httparse::Error::Token | httparse::Error::Status => "request-line",
    }
}

/// What to do next, appended to every refusal's message.
const RESEND: &str = "send the request again as well-formed HTTP/1.1 (CRLF line ends, a token for each header name, visible characters in header values)";

/// The error a refused head is answered with, by the reason its stand-in carries.
fn refusal(reason: &[u8]) -> ApiError {
    let malformed = |what: &str| {
        ApiError::new(
            error_codes::MALFORMED_REQUEST,
            format!("the request head is malformed: {what}; {RESEND}"),
        )
    };
    let too_large = |what: String| {
        ApiError::new(
            error_codes::HEADERS_TOO_LARGE,
            format!("{what}; send it again with fewer or shorter headers"),
        )
    };
    match reason {
        b"header-name" => {
            malformed("a header name holds a character that is not allowed in a token")
        }
        b"header-value" => malformed(
            "a header value holds a control byte (only tab, space and visible characters are allowed)",
        ),
        b"new-line" => malformed("a line does not end in CRLF"),
        b"version" => malformed("the HTTP version is not HTTP/1.0 or HTTP/1.1"),
        b"request-target" => malformed("the request target is not a valid URI"),
        b"content-length" => malformed("Content-Length is not one unsigned decimal number"),
        b"transfer-encoding" => {
            malformed("Transfer-Encoding does not end in chunked (the only coding taken)")
        }
        b"too-many-headers" => {
            too_large(format!("the request has more than {MAX_HEADERS} headers"))
        }
        b"head-too-large" => too_large(format!("the request head is over {MAX_HEAD_BYTES} bytes")),
        _ => malformed("the request line is not METHOD SP target SP HTTP/1.1"),
    }
}

/// The layer that answers a refused head's stand-in request (and nothing else).
pub async fn answer_refused_heads(request: Request, next: Next) -> Response {
    match request.headers().get(REFUSED_HEAD) {
        Some(reason) => refusal(reason.as_bytes()).into_response(),
        None => next.run(request).await,
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadChecked<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.handed < this.checked.len() {
                let n = buf.remaining().min(this.checked.len() - this.handed);
                buf.put_slice(&this.checked[this.handed..this.handed + n]);
                this.handed += n;
                if this.handed == this.checked.len() {
                    this.checked.clear();
                    this.handed = 0;
                }
                return Poll::Ready(Ok(()));
            }
            match this.framing {
                // hyper answers the stand-in and closes; the client's further bytes are
                // never read (the stall timeout bounds a client that does not close).
                Framing::Refused => return Poll::Pending,
                Framing::PassThrough => return Pin::new(&mut this.inner).poll_read(cx, buf),
                Framing::Head | Framing::Body(_) => {}
            }
            let mut chunk = [0u8; READ_CHUNK];
            let mut chunk = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut chunk))?;
            if chunk.filled().is_empty() {
                return Poll::Ready(Ok(())); // end of stream
            }
            this.feed(chunk.filled());
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadChecked<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the check hands hyper for `input` arriving in pieces of `piece` bytes.
    fn handed(input: &[u8], piece: usize) -> Vec<u8> {
        let mut checked = HeadChecked::new(());
        for part in input.chunks(piece) {
            checked.feed(part);
        }
        checked.checked
    }

    #[test]
    fn good_requests_and_their_bodies_pass_unchanged_in_any_pieces() {
        let input = b"POST /a HTTP/1.1\r\nContent-Length: 7\r\n\r\n\x01\x02\r\n\r\nxGET /b HTTP/1.1\r\n\r\n";
        for piece in [1, 2, 5, 13, input.len()] {
            assert_eq!(handed(input, piece), input, "in pieces of {piece}");
        }
    }

    #[test]
    fn a_bad_head_becomes_a_stand_in_after_the_good_ones() {
        let good = b"GET /a HTTP/1.1\r\n\r\n";
        let bad = b"GET /b HTTP/1.1\r\nX: a\x01b\r\n\r\nGET /c HTTP/1.1\r\n\r\n";
        for piece in [1, 7, 200] {
            let out = handed(&[&good[..], bad].concat(), piece);
            let text = String::from_utf8_lossy(&out);
            assert!(out.starts_with(good), "{text}");
            assert!(
                text.ends_with("x-vigil-refused-head: header-value\r\nconnection: close\r\n\r\n"),
                "{text}"
            );
            assert!(
                !text.contains("/c"),
                "nothing after the refusal is handed on"
            );
        }
    }

    #[test]
    fn heads_are_judged_like_hyper_would() {
        let cases: &[(&[u8], &str)] = &[
            (b"GET / HTTP/1.1\r\nX: \x7f\r\n\r\n", "header-value"),
            (b"GET / HTTP/1.1\r\nX Y: 1\r\n\r\n", "header-name"),
            (b"G\x01T / HTTP/1.1\r\n\r\n", "request-line"),
            (b"GET / HTTP/2.5\r\n\r\n", "version"),
            (
                b"GET / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n",
                "content-length",
            ),
            (
                b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                "content-length",
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                "transfer-encoding",
            ),
        ];
        for (head, reason) in cases {
            assert_eq!(
                judge(head),
                Judgement::Refused(reason),
                "{}",
                String::from_utf8_lossy(head)
            );
        }
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(
            judge(chunked),
            Judgement::Complete {
                len: chunked.len(),
                next: Framing::PassThrough
            }
        );
        assert_eq!(judge(b"GET / HTTP/1.1\r\nHost: x"), Judgement::Partial);
    }

    #[test]
    fn a_whole_head_over_the_limit_is_refused_in_any_pieces() {
        let head = format!(
            "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        for piece in [READ_CHUNK, head.len()] {
            let out = String::from_utf8(handed(head.as_bytes(), piece)).expect("text");
            assert!(out.contains("head-too-large"), "in pieces of {piece}");
        }
    }

    #[test]
    fn an_endless_head_is_refused_once_over_the_limit() {
        let mut checked = HeadChecked::new(());
        checked.feed(b"\r\n\r\nGET / HTTP/1.1\r\nX: ");
        let mut fed = 0;
        while checked.framing == Framing::Head && fed < 2 * MAX_HEAD_BYTES {
            checked.feed(&[b'a'; 1024]);
            fed += 1024;
        }
        assert_eq!(
            fed, MAX_HEAD_BYTES,
            "refused by the chunk that crossed the limit"
        );
        assert_eq!(checked.framing, Framing::Refused);
        assert!(String::from_utf8_lossy(&checked.checked).contains("head-too-large"));
    }
}
