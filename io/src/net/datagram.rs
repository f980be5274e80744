//! The methods every datagram socket (UDP, Unix) has, as tokio names them,
//! for a type with an `io: Evented<_>` field: sending to and receiving from
//! the connected peer in the async, poll and try forms, readiness, the
//! caller's own syscalls (`try_io`, `async_io`) and `take_error`.

/// Implements the shared datagram methods for `$ty`.
macro_rules! datagram_io {
    ($ty:ident) => {
        $crate::net::stream::socket_io!($ty);

        impl $ty {
            /// Sends a datagram to the connected peer.
            ///
            /// # Errors
            /// ENOTCONN when not connected, ECONNREFUSED when the peer is
            /// gone, EMSGSIZE for a datagram too large …
            pub async fn send(&self, buf: &[u8]) -> std::io::Result<usize> {
                std::future::poll_fn(|cx| self.poll_send(cx, buf)).await
            }

            /// Polls to send a datagram to the connected peer.
            pub fn poll_send(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_io(runtime_reactor::Direction::Write, cx, |s| {
                    runtime_reactor::socket::send(std::os::fd::AsFd::as_fd(s), buf)
                })
            }

            /// Sends to the connected peer if the socket is writable now.
            ///
            /// # Errors
            /// `WouldBlock` when it is not, or what send reports.
            pub fn try_send(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.io.try_io(crate::Interest::WRITABLE, |s| {
                    runtime_reactor::socket::send(std::os::fd::AsFd::as_fd(s), buf)
                })
            }

            /// Receives a datagram from the connected peer. One longer than
            /// `buf` is cut to its length (the rest is lost, as with recv).
            ///
            /// # Errors
            /// What recv reports (ECONNREFUSED after an ICMP error …).
            pub async fn recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::future::poll_fn(|cx| self.poll_recv(cx, buf)).await
            }

            /// Polls to receive a datagram from the connected peer.
            pub fn poll_recv(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_io(runtime_reactor::Direction::Read, cx, |s| {
                    runtime_reactor::socket::recv(std::os::fd::AsFd::as_fd(s), buf, false)
                })
            }

            /// Receives a datagram from the connected peer if one is queued now.
            ///
            /// # Errors
            /// `WouldBlock` when none is, or what recv reports.
            pub fn try_recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.io.try_io(crate::Interest::READABLE, |s| {
                    runtime_reactor::socket::recv(std::os::fd::AsFd::as_fd(s), buf, false)
                })
            }

            /// Waits until a datagram can be received.
            ///
            /// # Errors
            /// When the reactor has shut down.
            pub async fn readable(&self) -> std::io::Result<()> {
                self.ready(crate::Interest::READABLE).await.map(drop)
            }

            /// Waits until a datagram can be sent.
            ///
            /// # Errors
            /// When the reactor has shut down.
            pub async fn writable(&self) -> std::io::Result<()> {
                self.ready(crate::Interest::WRITABLE).await.map(drop)
            }

            /// Polls for read readiness.
            pub fn poll_recv_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
                self.io.poll_ready(crate::Interest::READABLE, cx).map_ok(drop)
            }

            /// Polls for write readiness.
            pub fn poll_send_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
                self.io.poll_ready(crate::Interest::WRITABLE, cx).map_ok(drop)
            }
        }
    };
}
pub(crate) use datagram_io;
