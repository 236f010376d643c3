//! A raw gateway client for testing the fake (tokio-tungstenite + flate2,
//! deliberately not acord's core-gateway crate).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    missing_docs,
    unreachable_pub
)]

use std::time::Duration;

use acord_core_signals::{Intents, ZLIB_SUFFIX};
use acord_testkit::FakeDiscord;
use flate2::{Decompress, FlushDecompress};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Failure guard for every single read.
pub const STEP: Duration = Duration::from_secs(5);

/// What the client read.
#[derive(Debug)]
pub enum Received {
    Payload(Value),
    /// Close frame code (None: no frame / TCP drop).
    Closed(Option<u16>),
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    inflate: Option<Decompress>,
    buffer: Vec<u8>,
    /// Binary frames received (zlib-stream).
    pub binary_frames: usize,
    /// Last sequence number seen.
    pub seq: Option<u64>,
}

impl Client {
    pub async fn connect(fake: &FakeDiscord, zlib: bool) -> Client {
        let compress = if zlib { "&compress=zlib-stream" } else { "" };
        Client::connect_query(fake, &format!("v=10&encoding=json{compress}")).await
    }

    pub async fn connect_url(url: &str, zlib: bool) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Client {
            ws,
            inflate: zlib.then(|| Decompress::new(true)),
            buffer: Vec::new(),
            binary_frames: 0,
            seq: None,
        }
    }

    pub async fn connect_query(fake: &FakeDiscord, query: &str) -> Client {
        let url = format!("{}/?{query}", fake.gateway_url());
        Client::connect_url(&url, query.contains("compress=zlib-stream")).await
    }

    /// Reads the next gateway message (reassembling zlib-stream frames) or
    /// the close.
    pub async fn recv(&mut self) -> Received {
        loop {
            let next = tokio::time::timeout(STEP, self.ws.next())
                .await
                .expect("timed out waiting for the fake");
            match next {
                None | Some(Err(_)) => return Received::Closed(None),
                Some(Ok(Message::Close(frame))) => {
                    // keep polling so tungstenite sends the close reply
                    while let Ok(Some(Ok(_))) = tokio::time::timeout(STEP, self.ws.next()).await {}
                    return Received::Closed(frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(Message::Text(text))) => {
                    assert!(
                        self.inflate.is_none(),
                        "text frame on a zlib-stream connection"
                    );
                    return self.payload_from(text.as_bytes());
                }
                Some(Ok(Message::Binary(bytes))) => {
                    self.binary_frames += 1;
                    let ctx = self
                        .inflate
                        .as_mut()
                        .expect("binary frame on a plain connection");
                    self.buffer.extend_from_slice(&bytes);
                    if !self.buffer.ends_with(&ZLIB_SUFFIX) {
                        continue;
                    }
                    let input = std::mem::take(&mut self.buffer);
                    let text = inflate(ctx, &input).expect("the fake sent a broken zlib stream");
                    return self.payload_from(&text);
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    fn payload_from(&mut self, bytes: &[u8]) -> Received {
        let value: Value = serde_json::from_slice(bytes).expect("the fake sent invalid JSON");
        if let Some(s) = value["s"].as_u64() {
            self.seq = Some(s);
        }
        Received::Payload(value)
    }

    /// The next payload; panics on a close.
    pub async fn payload(&mut self) -> Value {
        match self.recv().await {
            Received::Payload(p) => p,
            Received::Closed(code) => panic!("closed with {code:?} while a payload was expected"),
        }
    }

    /// Reads until the close and returns its code (payloads are skipped).
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Received::Closed(code) = self.recv().await {
                return code;
            }
        }
    }

    /// Skips payloads until one with `op` arrives.
    pub async fn expect_op(&mut self, op: u64) -> Value {
        loop {
            let p = self.payload().await;
            if p["op"] == op {
                return p;
            }
        }
    }

    /// Skips payloads until the dispatch `t` arrives.
    pub async fn expect_dispatch(&mut self, t: &str) -> Value {
        loop {
            let p = self.payload().await;
            if p["op"] == 0 && p["t"] == t {
                return p;
            }
        }
    }

    pub async fn send(&mut self, payload: Value) {
        self.send_text(&payload.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    pub async fn close(&mut self, code: u16) {
        use tokio_tungstenite::tungstenite::protocol::CloseFrame;
        let frame = CloseFrame {
            code: code.into(),
            reason: "".into(),
        };
        self.ws.send(Message::Close(Some(frame))).await.unwrap();
        // finish the handshake
        while let Ok(Some(Ok(_))) = tokio::time::timeout(STEP, self.ws.next()).await {}
    }

    pub async fn heartbeat(&mut self) {
        let d = self.seq.map_or(Value::Null, Value::from);
        self.send(json!({"op": 1, "d": d})).await;
    }

    pub async fn identify(&mut self, token: &str, intents: Intents, shard: Option<[u32; 2]>) {
        let mut d = json!({
            "token": token,
            "intents": intents.bits(),
            "properties": {"os": "linux", "browser": "raw-test", "device": "raw-test"},
        });
        if let Some(shard) = shard {
            d["shard"] = json!(shard);
        }
        self.send(json!({"op": 2, "d": d})).await;
    }

    pub async fn resume(&mut self, token: &str, session_id: &str, seq: u64) {
        self.send(json!({"op": 6, "d": {"token": token, "session_id": session_id, "seq": seq}}))
            .await;
    }
}

/// Inflates a complete zlib-stream message through the connection's
/// context.
pub fn inflate(ctx: &mut Decompress, input: &[u8]) -> Result<Vec<u8>, flate2::DecompressError> {
    let mut out = Vec::with_capacity(input.len() * 4 + 64);
    let mut consumed = 0usize;
    loop {
        let before = ctx.total_in();
        if out.capacity() - out.len() < 1024 {
            out.reserve(4096);
        }
        ctx.decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync)?;
        consumed += (ctx.total_in() - before) as usize;
        if consumed >= input.len() && out.capacity() > out.len() {
            return Ok(out);
        }
    }
}

/// A fake with short timings for tests.
pub fn builder() -> acord_testkit::FakeDiscordBuilder {
    FakeDiscord::builder()
        .heartbeat_interval(Duration::from_secs(5))
        .identify_window(Duration::from_millis(50))
}

/// Connects, reads HELLO, identifies with GUILDS | GUILD_MESSAGES and reads
/// READY; returns the client and READY's `d`.
pub async fn ready_client(fake: &FakeDiscord, zlib: bool) -> (Client, Value) {
    let mut client = Client::connect(fake, zlib).await;
    let hello = client.payload().await;
    assert_eq!(hello["op"], 10);
    client
        .identify(
            fake.token(),
            Intents::GUILDS | Intents::GUILD_MESSAGES,
            None,
        )
        .await;
    let ready = client.expect_dispatch("READY").await;
    (client, ready["d"].clone())
}
