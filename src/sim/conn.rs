//! A TCP listener whose connections a handler can cut, so the `Reset` fault closes the connection
//! without writing an answer. Axum offers no such thing: the handler marks its connection, and
//! the stream then fails hyper's first write, which makes hyper drop the connection.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Identifies a connection to its handlers; `cut()` ends it.
#[derive(Debug, Clone)]
pub(crate) struct ConnTag {
    cut: Arc<AtomicBool>,
}

impl ConnTag {
    pub(crate) fn new() -> Self {
        ConnTag {
            cut: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Every later read or write on the connection fails, so no answer goes out.
    pub(crate) fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }

    /// A handler cut the connection: its answer must not reach the client.
    pub(crate) fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

pub(crate) struct CutListener {
    pub inner: TcpListener,
}

pub(crate) struct CutStream {
    stream: TcpStream,
    cut: Arc<AtomicBool>,
}

impl CutStream {
    fn check(&self) -> io::Result<()> {
        if self.cut.load(Ordering::SeqCst) {
            Err(io::Error::from(io::ErrorKind::ConnectionReset))
        } else {
            Ok(())
        }
    }
}

impl Listener for CutListener {
    type Io = CutStream;
    type Addr = ConnTag;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _peer)) => {
                    // Answers are small and interactive; Nagle would only add delay.
                    let _ = stream.set_nodelay(true);
                    let tag = ConnTag::new();
                    let io = CutStream {
                        stream,
                        cut: Arc::clone(&tag.cut),
                    };
                    return (io, tag);
                }
                // Out of file descriptors and the like: wait instead of spinning.
                Err(err) => {
                    tracing::warn!("demo server accept failed: {err}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr().map(|_| ConnTag::new())
    }
}

impl Connected<IncomingStream<'_, CutListener>> for ConnTag {
    fn connect_info(stream: IncomingStream<'_, CutListener>) -> Self {
        stream.remote_addr().clone()
    }
}

impl AsyncRead for CutStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for CutStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
