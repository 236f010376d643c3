//! Stream mode: READY, the GUILD_CREATEs, N dispatches of the mix in the
//! planned order, the end marker and close code 4000, over zlib-stream and
//! plain JSON; heartbeats are answered mid-stream.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use acord_testkit::stream::{StreamSpec, STREAM_END_CLOSE_CODE, STREAM_END_CONTENT};
use acord_testkit::FakeDiscord;
use flate2::{Decompress, FlushDecompress};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// Inflates one zlib-stream message through the connection's context.
fn inflate(ctx: &mut Decompress, input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len() * 4 + 64);
    let mut consumed = 0;
    loop {
        let before = ctx.total_in();
        out.reserve(64 * 1024);
        ctx.decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync)
            .expect("valid deflate");
        consumed += (ctx.total_in() - before) as usize;
        if consumed >= input.len() && out.len() < out.capacity() {
            break;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

struct Received {
    dispatches: Vec<(u64, String)>,
    end_content: Option<String>,
    close: Option<u16>,
    acks: usize,
}

async fn receive(url: &str, zlib: bool, token: &str, heartbeat: bool) -> Received {
    let query = if zlib {
        "/?v=10&encoding=json&compress=zlib-stream"
    } else {
        "/?v=10&encoding=json"
    };
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}{query}"))
        .await
        .expect("connect");
    let mut ctx = Decompress::new(true);
    let mut received = Received {
        dispatches: Vec::new(),
        end_content: None,
        close: None,
        acks: 0,
    };
    while let Some(message) = ws.next().await {
        let text = match message.expect("frame") {
            Message::Text(text) => text.to_string(),
            Message::Binary(bytes) => {
                assert!(zlib, "binary frame on a plain connection");
                assert!(bytes.ends_with(&[0, 0, 0xFF, 0xFF]), "sync-flushed");
                inflate(&mut ctx, &bytes)
            }
            Message::Close(frame) => {
                received.close = frame.map(|f| u16::from(f.code));
                break;
            }
            _ => continue,
        };
        let payload: Value = serde_json::from_str(&text).expect("JSON");
        match payload["op"].as_u64() {
            Some(10) => {
                let identify = json!({"op": 2, "d": {
                    "token": token, "intents": 0,
                    "properties": {"os": "linux", "browser": "test", "device": "test"},
                }});
                ws.send(Message::Text(identify.to_string().into()))
                    .await
                    .expect("identify");
                if heartbeat {
                    // Sent before the stream starts, read by the server
                    // while it streams (compressing 2,000 events takes
                    // far longer than a loopback round trip).
                    ws.send(Message::Text(
                        json!({"op": 1, "d": null}).to_string().into(),
                    ))
                    .await
                    .expect("heartbeat");
                }
            }
            Some(11) => received.acks += 1,
            Some(0) => {
                let seq = payload["s"].as_u64().expect("seq");
                let name = payload["t"].as_str().expect("name").to_owned();
                if name == "MESSAGE_CREATE" && payload["d"]["content"] == STREAM_END_CONTENT {
                    received.end_content = Some(STREAM_END_CONTENT.to_owned());
                }
                received.dispatches.push((seq, name));
            }
            other => panic!("unexpected op {other:?}"),
        }
    }
    received
}

#[tokio::test]
async fn zlib_stream_sends_every_dispatch_in_order_then_closes_with_4000() {
    let fake = FakeDiscord::builder().start().await.unwrap();
    let stream = fake
        .start_stream(StreamSpec::new(2_000).seed(7).guilds(2))
        .await
        .unwrap();
    let names = stream.names();
    assert_eq!(names.len(), 1 + 2 + 2_000 + 1);
    assert_eq!(stream.total_dispatches(), names.len());
    assert_eq!(&names[..3], ["READY", "GUILD_CREATE", "GUILD_CREATE"]);
    // The mix: every kind is there, MESSAGE_CREATE the most common.
    let count = |n: &str| {
        names[3..names.len() - 1]
            .iter()
            .filter(|x| **x == n)
            .count()
    };
    for kind in [
        "PRESENCE_UPDATE",
        "TYPING_START",
        "MESSAGE_REACTION_ADD",
        "MESSAGE_REACTION_REMOVE",
        "GUILD_MEMBER_UPDATE",
        "GUILD_CREATE",
    ] {
        assert!(count(kind) > 0, "{kind} missing from the mix");
        assert!(count(kind) < count("MESSAGE_CREATE"));
    }
    // 200 members per guild: a GUILD_CREATE is about 115 KB.
    let bytes = stream.payload_bytes();
    assert!(bytes > 2 * 60_000, "payload bytes {bytes}");

    let received = tokio::time::timeout(
        Duration::from_secs(60),
        receive(stream.url(), true, fake.token(), true),
    )
    .await
    .expect("stream finished in time");
    let got: Vec<&str> = received
        .dispatches
        .iter()
        .map(|(_, n)| n.as_str())
        .collect();
    assert_eq!(got, names, "every dispatch, in the planned order");
    let seqs: Vec<u64> = received.dispatches.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, (1..=names.len() as u64).collect::<Vec<_>>());
    assert_eq!(received.end_content.as_deref(), Some(STREAM_END_CONTENT));
    assert_eq!(received.close, Some(STREAM_END_CLOSE_CODE));
    assert_eq!(received.acks, 1, "the mid-stream heartbeat was answered");
    fake.shutdown().await;
}

#[tokio::test]
async fn same_seed_same_stream_and_plain_json_works_too() {
    let fake = FakeDiscord::builder().start().await.unwrap();
    let a = fake
        .start_stream(StreamSpec::new(300).seed(3))
        .await
        .unwrap();
    let b = fake
        .start_stream(StreamSpec::new(300).seed(3))
        .await
        .unwrap();
    let c = fake
        .start_stream(StreamSpec::new(300).seed(4))
        .await
        .unwrap();
    assert_eq!(a.names(), b.names());
    assert_eq!(a.payload_bytes(), b.payload_bytes());
    assert_ne!(a.names(), c.names());
    let received = receive(a.url(), false, fake.token(), false).await;
    assert_eq!(received.dispatches.len(), a.total_dispatches());
    assert_eq!(received.close, Some(STREAM_END_CLOSE_CODE));
    // A second connection gets the whole stream again.
    let again = receive(a.url(), true, fake.token(), false).await;
    assert_eq!(again.dispatches, received.dispatches);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_wrong_token_is_closed_with_4004() {
    let fake = FakeDiscord::builder().start().await.unwrap();
    let stream = fake.start_stream(StreamSpec::new(10)).await.unwrap();
    let received = receive(stream.url(), true, "Bot nope", false).await;
    assert!(received.dispatches.is_empty());
    assert_eq!(received.close, Some(4004));
    fake.shutdown().await;
}

#[tokio::test]
async fn a_precompressed_stream_replays_the_same_dispatches_to_every_connection() {
    let fake = FakeDiscord::builder().start().await.unwrap();
    let stream = fake
        .start_stream(StreamSpec::new(1_000).seed(5).precompressed(true))
        .await
        .unwrap();
    for zlib in [true, true, false] {
        let received = receive(stream.url(), zlib, fake.token(), true).await;
        let got: Vec<&str> = received
            .dispatches
            .iter()
            .map(|(_, n)| n.as_str())
            .collect();
        assert_eq!(got, stream.names());
        assert_eq!(received.end_content.as_deref(), Some(STREAM_END_CONTENT));
        assert_eq!(received.close, Some(STREAM_END_CLOSE_CODE));
        assert_eq!(received.acks, 0, "a replay answers no heartbeat");
    }
    fake.shutdown().await;
}

/// A client socket counting the bytes it read.
struct CountingReader {
    inner: tokio::net::TcpStream,
    read: Arc<AtomicU64>,
}

impl tokio::io::AsyncRead for CountingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        polled
    }
}

impl tokio::io::AsyncWrite for CountingReader {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// `progress()` counts at the socket: once the stream has ended, the bytes
/// the fake says the kernel took are exactly the bytes the client read,
/// and the dispatch and heartbeat counts match what the client saw.
#[tokio::test]
async fn progress_counts_exactly_what_the_client_read() {
    let fake = FakeDiscord::builder().start().await.unwrap();
    let stream = fake.start_stream(StreamSpec::new(500)).await.unwrap();
    assert_eq!(stream.progress(), Default::default());
    let url = stream.url().to_owned();
    let addr = url.strip_prefix("ws://").unwrap().to_owned();
    let read = Arc::new(AtomicU64::new(0));
    let socket = CountingReader {
        inner: tokio::net::TcpStream::connect(addr).await.unwrap(),
        read: Arc::clone(&read),
    };
    let (mut ws, _) = tokio_tungstenite::client_async(format!("{url}/?v=10&encoding=json"), socket)
        .await
        .expect("handshake");
    let (mut dispatches, mut acks, mut close) = (0u64, 0u64, None);
    while let Some(message) = ws.next().await {
        let text = match message.expect("frame") {
            Message::Text(text) => text.to_string(),
            Message::Close(frame) => {
                close = frame.map(|f| u16::from(f.code));
                break;
            }
            _ => continue,
        };
        let payload: Value = serde_json::from_str(&text).expect("JSON");
        match payload["op"].as_u64() {
            Some(10) => {
                let identify = json!({"op": 2, "d": {
                    "token": fake.token(), "intents": 0,
                    "properties": {"os": "linux", "browser": "test", "device": "test"},
                }});
                ws.send(Message::Text(identify.to_string().into()))
                    .await
                    .expect("identify");
                for _ in 0..2 {
                    ws.send(Message::Text(
                        json!({"op": 1, "d": null}).to_string().into(),
                    ))
                    .await
                    .expect("heartbeat");
                }
            }
            Some(11) => acks += 1,
            Some(0) => dispatches += 1,
            other => panic!("unexpected op {other:?}"),
        }
    }
    assert_eq!(close, Some(STREAM_END_CLOSE_CODE));
    let progress = stream.progress();
    assert_eq!(progress.connections, 1);
    assert_eq!(progress.bytes_written, read.load(Ordering::Relaxed));
    assert!(progress.bytes_written > stream.payload_bytes() as u64);
    assert_eq!(progress.dispatches, stream.total_dispatches() as u64);
    assert_eq!(dispatches, progress.dispatches);
    assert_eq!(progress.heartbeats_received, 2);
    assert_eq!(progress.heartbeats_acked, acks);
    assert_eq!(acks, 2);
    assert_eq!(progress.waiting_for_socket, 0);
    fake.shutdown().await;
}
