//! Drives the sans-I/O `Connection` over a plain tokio-tungstenite socket:
//! your socket, your timer, acord's protocol state.
//!
//! Offline (the default): starts acord-testkit's fake Discord, connects,
//! identifies, survives an op 7 RECONNECT by resuming, prints a message and
//! exits: `cargo run -p acord-examples --example sans_io`.
//!
//! Online: `DISCORD_TOKEN=... cargo run -p acord-examples --example sans_io`
//! prints event names until a fatal close. `ACORD_GATEWAY_URL` (or
//! `ACORD_API_BASE` for `GET /gateway/bot`) picks the gateway.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use acord_core_gateway::{Connection, ConnectionConfig, Decoder, Event, Frame, ZlibStreamDecoder};
use acord_core_http::HttpClient;
use acord_core_signals::Intents;
use acord_testkit::{FakeDiscord, ShardTarget};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let token = env("DISCORD_TOKEN");
    let fake = match token {
        Some(_) => None,
        None => Some(FakeDiscord::builder().start().await?),
    };
    let token = token.unwrap_or_else(|| {
        fake.as_ref()
            .map(|f| f.token().to_owned())
            .unwrap_or_default()
    });
    let gateway_url = match (env("ACORD_GATEWAY_URL"), &fake) {
        (Some(url), _) => url,
        (None, Some(fake)) => fake.gateway_url().to_owned(),
        (None, None) => {
            let mut http = HttpClient::builder(token.clone());
            if let Some(base) = env("ACORD_API_BASE") {
                http = http.api_base(base);
            }
            http.build()?.fetch_gateway_bot().await?.url
        }
    };

    let config = ConnectionConfig::builder(
        token,
        Intents::GUILDS | Intents::GUILD_MESSAGES,
        gateway_url,
    )
    .build()?;
    let mut conn = Connection::new(config);
    let mut decoder = ZlibStreamDecoder::new();
    let mut scripted_reconnect = fake.is_some();
    let mut resumed = false;

    'connect: loop {
        if let Some(code) = conn.failed() {
            eprintln!("fatal close {code}: {}", code.explanation());
            std::process::exit(1);
        }
        if let Some(r) = conn.should_reconnect() {
            println!(
                "reconnecting ({:?}), resume: {}, waiting {:?}",
                r.reason, r.resume, r.wait
            );
            tokio::time::sleep(r.wait).await;
        }
        // 1. open a socket to where the connection says, with the query it needs
        let url = format!(
            "{}/?{}",
            conn.connect_url().trim_end_matches('/'),
            Connection::query(decoder.compression())
        );
        let (mut ws, _) = match tokio_tungstenite::connect_async(url.as_str()).await {
            Ok(ok) => ok,
            Err(e) => {
                eprintln!("connect failed: {e}");
                conn.on_connect_failed();
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        conn.on_connected();
        decoder.reset();

        loop {
            // 2. send whatever the connection wants sent
            for out in conn.send_iter() {
                ws.send(Message::Text(out.into_text().into())).await?;
            }
            // 3. read what happened
            while let Some(event) = conn.poll_event() {
                match event {
                    Event::Ready { session_id } => {
                        println!("READY, session {session_id}");
                        if scripted_reconnect {
                            if let Some(fake) = &fake {
                                scripted_reconnect = false;
                                fake.send_reconnect(ShardTarget::All);
                            }
                        }
                    }
                    Event::Resumed => {
                        println!("RESUMED at seq {:?}", conn.sequence());
                        resumed = true;
                        if let Some(fake) = &fake {
                            let guild = fake.guild_ids()[0];
                            let channel = fake.channel_ids(guild)[0];
                            fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", serde_json::json!({
                                "id": "1300000000000000002", "channel_id": channel.to_string(),
                                "guild_id": guild.to_string(), "content": "hello from the fake",
                                "author": {"id": "1200000000000000001", "username": "someone",
                                           "discriminator": "0", "global_name": null, "avatar": null},
                                "timestamp": "2025-01-01T00:00:00.000000+00:00", "edited_timestamp": null,
                                "tts": false, "mention_everyone": false, "mentions": [],
                                "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0
                            }));
                        }
                    }
                    Event::Dispatch(d) => {
                        println!(
                            "dispatch {} #{} ({} bytes)",
                            d.name(),
                            d.seq(),
                            d.as_bytes().len()
                        );
                        if resumed && d.name() == "MESSAGE_CREATE" && fake.is_some() {
                            let code = conn.close(true);
                            let frame = CloseFrame {
                                code: code.into(),
                                reason: "".into(),
                            };
                            let _ = ws.close(Some(frame)).await;
                            println!("done: closed with {code}");
                            if let Some(fake) = &fake {
                                fake.shutdown().await;
                            }
                            return Ok(());
                        }
                    }
                    _ => {}
                }
            }
            if conn.failed().is_some() {
                continue 'connect;
            }
            if let Some(r) = conn.should_reconnect() {
                let frame = CloseFrame {
                    code: r.close_code.into(),
                    reason: "".into(),
                };
                let _ = ws.close(Some(frame)).await;
                continue 'connect;
            }
            // 4. wait for the socket or the heartbeat timer
            let deadline = conn.next_deadline().map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => {
                    conn.handle_timeout(Instant::now());
                }
                msg = ws.next() => match msg {
                    Some(Ok(Message::Text(t))) => feed(&mut conn, &mut decoder, Frame::Text(t.as_str())),
                    Some(Ok(Message::Binary(b))) => feed(&mut conn, &mut decoder, Frame::Binary(&b)),
                    Some(Ok(Message::Close(frame))) => conn.recv_close_code(frame.map(|f| u16::from(f.code))),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => conn.recv_close_code(None),
                },
            }
        }
    }
}

fn feed(conn: &mut Connection, decoder: &mut ZlibStreamDecoder, frame: Frame<'_>) {
    match decoder.decode(frame) {
        Ok(Some(text)) => {
            if let Err(e) = conn.recv(text, Instant::now()) {
                eprintln!("skipping a bad payload: {e}");
            }
        }
        Ok(None) => {}
        // a corrupt stream: reconnect and resume with a fresh decoder
        Err(_) => conn.request_reconnect(true),
    }
}
