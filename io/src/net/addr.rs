//! Socket addresses: literal ones are used as they are, host names are
//! resolved on the blocking pool (getaddrinfo blocks).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// What can name socket addresses, as `std::net::ToSocketAddrs`, but resolved
/// without blocking the calling task: literal addresses at once, host names on
/// the blocking pool.
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use std::net::SocketAddr;

    /// Either addresses, or a host name (with port) to resolve.
    #[derive(Debug)]
    pub enum Target {
        Addrs(Vec<SocketAddr>),
        Host(String),
    }

    /// Keeps [`ToSocketAddrs`](super::ToSocketAddrs) implementable only here.
    pub trait Sealed {
        fn target(self) -> Target;
    }
}

use sealed::{Sealed, Target};

/// The addresses `addr` names.
pub(crate) async fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs = match addr.target() {
        Target::Addrs(addrs) => addrs,
        Target::Host(host) => runtime_executor::spawn_blocking(move || {
            std::net::ToSocketAddrs::to_socket_addrs(&host).map(Iterator::collect::<Vec<_>>)
        })
        .await
        .map_err(io::Error::other)??,
    };
    if addrs.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "the address resolved to nothing"));
    }
    Ok(addrs)
}

/// Tries `f` on each address in turn; the last error if none works.
pub(crate) async fn first_working<T, F, Fut>(addr: impl ToSocketAddrs, mut f: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in resolve(addr).await? {
        match f(addr).await {
            Ok(value) => return Ok(value),
            Err(error) => last = Some(error),
        }
    }
    Err(last.expect("resolve returns at least one address"))
}

fn host(s: &str) -> Target {
    match s.parse::<SocketAddr>() {
        Ok(addr) => Target::Addrs(vec![addr]),
        Err(_) => Target::Host(s.to_string()),
    }
}

fn host_port(h: &str, port: u16) -> Target {
    match h.parse::<IpAddr>() {
        Ok(ip) => Target::Addrs(vec![SocketAddr::new(ip, port)]),
        Err(_) => Target::Host(format!("{h}:{port}")),
    }
}

macro_rules! impl_to_socket_addrs {
    ($($ty:ty => |$v:ident| $body:expr;)*) => {$(
        impl ToSocketAddrs for $ty {}
        impl Sealed for $ty {
            fn target(self) -> Target {
                let $v = self;
                $body
            }
        }
    )*};
}

impl_to_socket_addrs! {
    SocketAddr => |a| Target::Addrs(vec![a]);
    &SocketAddr => |a| Target::Addrs(vec![*a]);
    SocketAddrV4 => |a| Target::Addrs(vec![a.into()]);
    SocketAddrV6 => |a| Target::Addrs(vec![a.into()]);
    (IpAddr, u16) => |a| Target::Addrs(vec![a.into()]);
    (Ipv4Addr, u16) => |a| Target::Addrs(vec![a.into()]);
    (Ipv6Addr, u16) => |a| Target::Addrs(vec![a.into()]);
    &[SocketAddr] => |a| Target::Addrs(a.to_vec());
    Vec<SocketAddr> => |a| Target::Addrs(a);
    &str => |a| host(a);
    String => |a| host(&a);
    &String => |a| host(a);
    (&str, u16) => |a| host_port(a.0, a.1);
    (String, u16) => |a| host_port(&a.0, a.1);
}
