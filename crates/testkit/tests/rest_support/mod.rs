//! A raw HTTP client (reqwest, not acord's core-http) for the REST tests.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use acord_testkit::{FakeDiscord, FakeDiscordBuilder};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

/// A User-Agent of the documented form.
pub const USER_AGENT: &str = "DiscordBot (https://example.invalid/raw-client, 1.0.0)";

/// A started fake and a plain HTTP client.
pub struct Api {
    pub fake: FakeDiscord,
    pub http: reqwest::Client,
}

impl Api {
    /// Starts a fake with rate limits off unless the builder says so.
    pub async fn start(builder: FakeDiscordBuilder) -> Api {
        let fake = builder.start().await.expect("fake starts");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client builds");
        Api { fake, http }
    }

    /// `api_base/v10{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/v10{path}", self.fake.api_base())
    }

    /// A request with a good token and User-Agent.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("authorization", format!("Bot {}", self.fake.token()))
            .header("user-agent", USER_AGENT)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str, body: &Value) -> RequestBuilder {
        self.req(Method::POST, path).json(body)
    }

    pub fn patch(&self, path: &str, body: &Value) -> RequestBuilder {
        self.req(Method::PATCH, path).json(body)
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.req(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.req(Method::DELETE, path)
    }

    /// The first guild and its first text channel.
    pub fn guild_and_channel(&self) -> (u64, u64) {
        let guild = self.fake.guild_ids()[0];
        let channel = self.fake.channel_ids(guild)[0];
        (guild, channel)
    }
}

/// Sends and returns (status, JSON body or Null).
pub async fn send(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body read");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    (status, body)
}

/// A header of a response, as a string.
pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("ASCII header").to_owned())
}

/// Asserts Discord's JSON error shape with a code.
pub fn assert_error(body: &Value, code: u64) {
    assert_eq!(body["code"].as_u64(), Some(code), "{body}");
    assert!(body["message"].is_string(), "{body}");
}

/// A snowflake field as u64.
pub fn id(value: &Value) -> u64 {
    value
        .as_str()
        .expect("snowflake string")
        .parse()
        .expect("digits")
}

/// A raw websocket client identified on the fake's gateway, for the
/// dispatches REST calls cause.
pub struct Gateway {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Gateway {
    /// Connects, identifies with `intents` and waits for READY.
    pub async fn connect(fake: &FakeDiscord, intents: u64) -> Gateway {
        use futures_util::SinkExt;
        let url = format!("{}/?v=10&encoding=json", fake.gateway_url());
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut gateway = Gateway { ws };
        let hello = gateway.next_json().await;
        assert_eq!(hello["op"], 10);
        let identify = serde_json::json!({
            "op": 2,
            "d": {
                "token": fake.token(),
                "intents": intents,
                "properties": {"os": "linux", "browser": "raw-test", "device": "raw-test"},
            },
        });
        gateway
            .ws
            .send(tokio_tungstenite::tungstenite::Message::text(
                identify.to_string(),
            ))
            .await
            .unwrap();
        gateway.dispatch("READY").await;
        gateway
    }

    async fn next_json(&mut self) -> Value {
        use futures_util::StreamExt;
        loop {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(10), self.ws.next())
                .await
                .expect("gateway answered in time")
                .expect("gateway open")
                .expect("frame");
            if let tokio_tungstenite::tungstenite::Message::Text(text) = frame {
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }

    /// The next dispatch (the whole payload), whatever its name.
    pub async fn next_dispatch(&mut self) -> Value {
        loop {
            let payload = self.next_json().await;
            if payload["op"] == 0 {
                return payload;
            }
        }
    }

    /// The next dispatch named `t`, skipping others.
    pub async fn dispatch(&mut self, t: &str) -> Value {
        loop {
            let payload = self.next_json().await;
            if payload["op"] == 0 && payload["t"] == t {
                return payload["d"].clone();
            }
        }
    }
}
