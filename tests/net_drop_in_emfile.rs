//! Out of descriptors, each new socket and pipe constructor of the drop-in
//! surface returns EMFILE, and works again once descriptors are free. Its
//! own test binary, because it lowers the process's descriptor limit.

mod support;

use runtime::net::unix::pipe;
use runtime::net::{TcpSocket, UdpSocket, UnixDatagram, UnixSocket, UnixStream};
use support::os;

fn assert_emfile<T>(what: &str, result: std::io::Result<T>) {
    match result {
        Ok(_) => panic!("{what}: opened a descriptor past the limit"),
        Err(error) => assert_eq!(error.raw_os_error(), Some(libc::EMFILE), "{what}: {error}"),
    }
}

#[test]
fn constructors_report_emfile_then_recover() {
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        // The reactor is up before the limit drops (it holds descriptors too).
        drop(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        os::exhaust_fds();
        assert_emfile("TcpSocket::new_v4", TcpSocket::new_v4());
        assert_emfile("UnixSocket::new_stream", UnixSocket::new_stream());
        assert_emfile("UnixDatagram::pair", UnixDatagram::pair());
        assert_emfile("UnixDatagram::unbound", UnixDatagram::unbound());
        assert_emfile("UnixStream::pair", UnixStream::pair());
        assert_emfile("pipe::pipe", pipe::pipe());
        assert_emfile("UdpSocket::bind", UdpSocket::bind("127.0.0.1:0").await);
        os::raise_fd_limit();
        assert!(TcpSocket::new_v4().is_ok() && pipe::pipe().is_ok() && UnixDatagram::pair().is_ok());
    });
}
