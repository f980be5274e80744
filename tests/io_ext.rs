//! runtime::io's extension traits: futures-util's methods and tokio's from
//! one import each, on any futures-io type.

use futures_util::io::Cursor;
use futures_util::StreamExt;
use runtime::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

#[test]
fn numbers_round_trip_in_both_byte_orders() {
    runtime::block_on(async {
        let mut out = Cursor::new(Vec::new());
        out.write_u8(0xfe).await.unwrap();
        out.write_i16(-2).await.unwrap();
        out.write_u32_le(0x0102_0304).await.unwrap();
        out.write_i64(i64::MIN).await.unwrap();
        out.write_u128_le(u128::MAX - 1).await.unwrap();
        out.write_f32(1.5).await.unwrap();
        out.write_f64_le(-0.25).await.unwrap();
        out.flush().await.unwrap();
        let bytes = out.into_inner();
        assert_eq!(&bytes[..3], &[0xfe, 0xff, 0xfe], "big-endian by default, as tokio");
        assert_eq!(&bytes[3..7], &[4, 3, 2, 1]);

        let mut input = &bytes[..];
        assert_eq!(input.read_u8().await.unwrap(), 0xfe);
        assert_eq!(input.read_i16().await.unwrap(), -2);
        assert_eq!(input.read_u32_le().await.unwrap(), 0x0102_0304);
        assert_eq!(input.read_i64().await.unwrap(), i64::MIN);
        assert_eq!(input.read_u128_le().await.unwrap(), u128::MAX - 1);
        assert_eq!(input.read_f32().await.unwrap(), 1.5);
        assert_eq!(input.read_f64_le().await.unwrap(), -0.25);
        let error = input.read_u16().await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
    });
}

/// A number split across reads arrives whole.
#[test]
fn a_number_split_across_reads_is_assembled() {
    runtime::block_on(async {
        let (a, mut b) = runtime::net::UnixStream::pair().unwrap();
        let reader = runtime::spawn(async move { (&a).read_u64().await.unwrap() });
        for byte in 0x0102_0304_0506_0708u64.to_be_bytes() {
            b.write_all(&[byte]).await.unwrap();
            runtime::task::yield_now().await;
        }
        assert_eq!(reader.await.unwrap(), 0x0102_0304_0506_0708);
    });
}

#[test]
fn lines_and_segments_in_tokios_shape_and_as_streams() {
    runtime::block_on(async {
        let mut lines = runtime::io::BufReader::new(&b"a\r\nbb\n\nlast"[..]).lines();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("a"));
        assert_eq!(lines.next().await.unwrap().unwrap(), "bb");
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some(""));
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("last"));
        assert_eq!(lines.next_line().await.unwrap(), None);

        let mut bad = (&b"\xff\n"[..]).lines();
        assert_eq!(bad.next_line().await.unwrap_err().kind(), std::io::ErrorKind::InvalidData);

        let segments: Vec<_> =
            runtime::io::BufReader::new(&b"x,yy,,z"[..]).split(b',').map(Result::unwrap).collect().await;
        assert_eq!(segments, [b"x".to_vec(), b"yy".to_vec(), vec![], b"z".to_vec()]);

        let mut reader = &b"key=value\n"[..];
        let mut key = Vec::new();
        reader.read_until(b'=', &mut key).await.unwrap();
        assert_eq!(key, b"key=");
        assert_eq!(reader.fill_buf().await.unwrap(), b"value\n");
        reader.consume(5);
        let mut rest = String::new();
        reader.read_line(&mut rest).await.unwrap();
        assert_eq!(rest, "\n");
    });
}

#[test]
fn seeking_rewind_and_position() {
    runtime::block_on(async {
        let mut cursor = Cursor::new(b"0123456789".to_vec());
        cursor.seek(std::io::SeekFrom::Start(4)).await.unwrap();
        assert_eq!(cursor.stream_position().await.unwrap(), 4);
        assert_eq!(cursor.read_u8().await.unwrap(), b'4');
        cursor.rewind().await.unwrap();
        assert_eq!(cursor.read_u8().await.unwrap(), b'0');
        let mut limited = cursor.take(3);
        let mut taken = String::new();
        limited.read_to_string(&mut taken).await.unwrap();
        assert_eq!(taken, "123");
    });
}

/// `shutdown()` is tokio's name for `close()`: the peer reads the end.
#[test]
fn shutdown_ends_the_write_side() {
    runtime::block_on(async {
        let (mut a, mut b) = runtime::net::UnixStream::pair().unwrap();
        a.write_all(b"bye").await.unwrap();
        a.shutdown().await.unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"bye");
    });
}
