//! `compress=zstd-stream` (Discord's gateway docs, transport compression):
//! one zstd stream per connection, each gateway message flushed so that it
//! decodes completely at its WebSocket message boundary, never ending the
//! frame. Decoded here with the zstd library's streaming decompressor, the
//! way discord.py (python `zstandard`) and discord.js do.
#![cfg(feature = "zstd")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use std::time::Duration;

use acord_core_signals::Intents;
use acord_testkit::{FakeDiscord, ShardTarget};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use zstd::stream::raw::{Decoder, InBuffer, Operation, OutBuffer};

/// zstd's frame magic number, little endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct ZstdClient {
    ws: Ws,
    decoder: Decoder<'static>,
    /// The compressed size of every message received.
    sizes: Vec<usize>,
    first: Option<Vec<u8>>,
}

impl ZstdClient {
    async fn connect(fake: &FakeDiscord) -> ZstdClient {
        let url = format!(
            "{}/?v=10&encoding=json&compress=zstd-stream",
            fake.gateway_url()
        );
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        ZstdClient {
            ws,
            decoder: Decoder::new().unwrap(),
            sizes: Vec::new(),
            first: None,
        }
    }

    /// Decodes one WebSocket message through the connection's context and
    /// returns everything it produced; the input must be used up.
    fn decode(&mut self, input: &[u8]) -> Result<Vec<u8>, std::io::Error> {
        let mut out = Vec::new();
        let mut input = InBuffer::around(input);
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let mut output = OutBuffer::around(&mut buffer[..]);
            self.decoder.run(&mut input, &mut output)?;
            let produced = output.pos();
            out.extend_from_slice(&buffer[..produced]);
            if input.pos() == input.src.len() && produced < buffer.len() {
                return Ok(out);
            }
        }
    }

    /// The next binary message, raw.
    async fn next_binary(&mut self) -> Vec<u8> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("the fake answered in time")
                .expect("open")
                .expect("a frame");
            match message {
                Message::Binary(bytes) => {
                    self.sizes.push(bytes.len());
                    if self.first.is_none() {
                        self.first = Some(bytes.to_vec());
                    }
                    return bytes.to_vec();
                }
                Message::Text(text) => panic!("text frame on a zstd-stream connection: {text}"),
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// The next gateway payload: one WebSocket message decodes to exactly
    /// one whole JSON payload.
    async fn payload(&mut self) -> Value {
        let bytes = self.next_binary().await;
        let text = self.decode(&bytes).expect("a valid zstd stream");
        serde_json::from_slice(&text).unwrap_or_else(|err| {
            panic!(
                "one message did not decode to one payload ({err}): {:?}",
                String::from_utf8_lossy(&text)
            )
        })
    }

    async fn dispatch(&mut self, t: &str) -> Value {
        loop {
            let payload = self.payload().await;
            if payload["t"] == t {
                return payload;
            }
        }
    }

    async fn send(&mut self, payload: Value) {
        self.ws
            .send(Message::Text(payload.to_string().into()))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn zstd_stream_is_one_stream_flushed_at_every_message() {
    let fake = gateway_support::builder().guilds(2).start().await.unwrap();
    let mut client = ZstdClient::connect(&fake).await;
    let hello = client.payload().await;
    assert_eq!(hello["op"], 10);
    assert!(
        client.first.as_deref().unwrap().starts_with(&ZSTD_MAGIC),
        "the stream opens with a zstd frame header"
    );
    client
        .send(json!({"op": 2, "d": {
            "token": fake.token(),
            "intents": Intents::GUILDS.bits(),
            "properties": {"os": "linux", "browser": "raw-test", "device": "raw-test"},
        }}))
        .await;
    let ready = client.dispatch("READY").await;
    assert!(ready["d"]["session_id"].is_string());
    client.dispatch("GUILD_CREATE").await;
    client.dispatch("GUILD_CREATE").await;

    // The same large event twice: the second refers back to the first
    // through the shared window, so it is far smaller.
    let big = json!({"guild_id": "1", "blob": "acord-testkit ".repeat(400)});
    fake.dispatch(ShardTarget::All, "GUILD_UPDATE", big.clone());
    let first = client.dispatch("GUILD_UPDATE").await;
    let first_size = *client.sizes.last().unwrap();
    fake.dispatch(ShardTarget::All, "GUILD_UPDATE", big);
    let second = client.dispatch("GUILD_UPDATE").await;
    let second_size = *client.sizes.last().unwrap();
    assert_eq!(first["d"], second["d"]);
    assert!(
        second_size * 2 < first_size,
        "one context per connection: {second_size} bytes after {first_size}"
    );

    // Heartbeat ACKs too go through the stream.
    client.send(json!({"op": 1, "d": null})).await;
    assert_eq!(client.payload().await["op"], 11);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_corrupt_zstd_frame_breaks_the_decoder() {
    let fake = gateway_support::builder().start().await.unwrap();
    let mut client = ZstdClient::connect(&fake).await;
    assert_eq!(client.payload().await["op"], 10);
    fake.send_corrupt_frame(ShardTarget::All);
    let bad = client.next_binary().await;
    assert!(client.decode(&bad).is_err());
    fake.shutdown().await;
}
