//! REST calls fire the gateway dispatches Discord sends for them
//! (discord-protocol.md §7), observed with a raw websocket client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use std::time::Duration;

use acord_testkit::FakeDiscord;
use futures_util::{SinkExt, StreamExt};
use rest_support::{id, send, Api};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("gateway answered in time")
            .expect("gateway open")
            .expect("frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

/// The next dispatch with name `t`, skipping others.
async fn dispatch(ws: &mut Ws, t: &str) -> Value {
    loop {
        let payload = next_json(ws).await;
        if payload["op"] == 0 && payload["t"] == t {
            return payload["d"].clone();
        }
    }
}

async fn connect(fake: &FakeDiscord) -> Ws {
    let url = format!("{}/?v=10&encoding=json", fake.gateway_url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["op"], 10);
    let identify = json!({
        "op": 2,
        "d": {
            "token": fake.token(),
            // GUILDS | GUILD_MEMBERS is privileged, so: GUILDS | GUILD_MESSAGES | GUILD_MESSAGE_REACTIONS.
            "intents": 1 | (1 << 9) | (1 << 10),
            "properties": {"os": "linux", "browser": "raw-test", "device": "raw-test"},
        },
    });
    ws.send(Message::text(identify.to_string())).await.unwrap();
    dispatch(&mut ws, "READY").await;
    ws
}

#[tokio::test]
async fn message_lifecycle_dispatches() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false).guilds(1)).await;
    let mut ws = connect(&api.fake).await;
    let (guild, channel) = api.guild_and_channel();
    let path = format!("/channels/{channel}/messages");
    let (_, created) = send(api.post(&path, &json!({"content": "hi gateway"}))).await;
    let d = dispatch(&mut ws, "MESSAGE_CREATE").await;
    assert_eq!(d["id"], created["id"]);
    assert_eq!(d["content"], "hi gateway");
    assert_eq!(id(&d["guild_id"]), guild);
    assert!(
        d["member"].is_object(),
        "guild messages carry the author's member"
    );
    assert!(d["member"].get("user").is_none());
    let message = id(&created["id"]);
    send(api.patch(&format!("{path}/{message}"), &json!({"content": "edited"}))).await;
    let d = dispatch(&mut ws, "MESSAGE_UPDATE").await;
    assert_eq!(d["content"], "edited");
    send(api.put(&format!("{path}/{message}/reactions/%E2%9C%85/@me"))).await;
    let d = dispatch(&mut ws, "MESSAGE_REACTION_ADD").await;
    assert_eq!(d["emoji"]["name"], "✅");
    assert_eq!(id(&d["user_id"]), api.fake.bot_user_id());
    send(api.delete(&format!("{path}/{message}"))).await;
    let d = dispatch(&mut ws, "MESSAGE_DELETE").await;
    assert_eq!(id(&d["id"]), message);
    assert_eq!(id(&d["channel_id"]), channel);

    let (status, _) = send(api.delete(&format!("/users/@me/guilds/{guild}"))).await;
    assert_eq!(status, 204);
    let d = dispatch(&mut ws, "GUILD_DELETE").await;
    assert_eq!(id(&d["id"]), guild);
    assert!(d.get("unavailable").is_none(), "removed, not unavailable");
    api.fake.shutdown().await;
}
