//! The fake acting as Discord towards an application's interactions
//! endpoint (discord-protocol.md §10.5): it signs what it posts with its
//! own Ed25519 key and takes the HTTP reply as the initial response.
//!
//! 1. [`InteractionsEndpointClient::new`] makes a key pair for one fake;
//!    give [`public_key`](InteractionsEndpointClient::public_key) to the
//!    endpoint as the application's public key.
//! 2. [`ping`](InteractionsEndpointClient::ping) checks the endpoint as
//!    Discord does when the URL is saved in the Developer Portal.
//! 3. [`post`](InteractionsEndpointClient::post) makes the interaction
//!    known to the fake's world (so the callback, `@original` and
//!    follow-up routes answer, under the same 3 s window and single initial
//!    response as gateway interactions), signs body and current timestamp,
//!    waits for the reply at most 3 s, and applies a 200 reply to the world
//!    as the initial response: a later `PATCH …/messages/@original` edits
//!    the message it made, and a second callback through REST is refused
//!    with 400 / 40060.
//! 4. [`post_tampered`](InteractionsEndpointClient::post_tampered) sends
//!    requests an endpoint must refuse with 401 (Discord sends these on
//!    purpose); nothing is registered or applied for them.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ed25519_dalek::{Signer, SigningKey};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tracing::Instrument;

use crate::record::lock;
use crate::server::FakeDiscord;
use crate::world::id_of;

/// How long Discord waits for the endpoint's reply (the initial response
/// window, §10.4).
pub const ENDPOINT_REPLY_WINDOW: Duration = Duration::from_secs(3);

/// The User-Agent Discord's requests to endpoints carry.
const USER_AGENT: &str = "Discord-Interactions/1.0 (+https://discord.com)";

/// A request an endpoint must refuse (with 401), for
/// [`InteractionsEndpointClient::post_tampered`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tamper {
    /// One byte of the body changed after signing.
    FlipBodyByte,
    /// One byte of the signature changed.
    FlipSignatureByte,
    /// No `X-Signature-Ed25519` header.
    NoSignature,
    /// No `X-Signature-Timestamp` header.
    NoTimestamp,
    /// Neither header.
    NoHeaders,
    /// A signature that is not hex of 64 bytes.
    MalformedSignature,
    /// Signed with another key.
    WrongKey,
    /// Correctly signed, but with a timestamp this far in the past.
    OldTimestamp(Duration),
    /// Correctly signed, but with a timestamp this far in the future.
    FutureTimestamp(Duration),
}

/// The endpoint's answer to one request.
#[derive(Clone, Debug)]
pub struct EndpointReply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body as received.
    pub body: Bytes,
    /// The body as JSON, when it is JSON.
    pub json: Option<Value>,
    /// From sending the request to the end of the reply.
    pub elapsed: Duration,
    /// Why the fake did not take a 200 reply as the interaction's initial
    /// response (a type or data that does not fit, a second response);
    /// Discord would show "This interaction failed". `None` when it was
    /// taken, or when there was nothing to take.
    pub refused: Option<String>,
}

impl EndpointReply {
    /// The callback type of a JSON reply (`1` PONG, `4` message, `5`
    /// deferred, …).
    pub fn callback_type(&self) -> Option<u64> {
        self.json.as_ref().and_then(|j| j["type"].as_u64())
    }
}

/// Why a request to an endpoint got no reply.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The URL is not `http://host:port/path`.
    #[error("{url:?} is not an http:// URL the fake can post to (use http://127.0.0.1:PORT/path)")]
    Url {
        /// The URL given.
        url: String,
    },
    /// The endpoint could not be reached.
    #[error("could not connect to the interactions endpoint at {url}")]
    Connect {
        /// The URL.
        url: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP exchange failed (the endpoint closed the connection, or
    /// did not speak HTTP/1.1).
    #[error("the HTTP exchange with {url} failed")]
    Http {
        /// The URL.
        url: String,
        /// Why.
        #[source]
        source: hyper::Error,
    },
    /// No reply within Discord's 3-second window: Discord shows "The
    /// application did not respond".
    #[error("{url} did not reply within {waited:?}: Discord would give up on the interaction")]
    Timeout {
        /// The URL.
        url: String,
        /// How long the fake waited.
        waited: Duration,
    },
}

/// Discord's side of the HTTP interactions endpoint, for one
/// [`FakeDiscord`]: signs and posts interactions, and takes replies as
/// initial responses in the fake's world. See the [module docs](self).
#[derive(Clone)]
pub struct InteractionsEndpointClient {
    fake: FakeDiscord,
    key: SigningKey,
    public_key: String,
}

impl fmt::Debug for InteractionsEndpointClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InteractionsEndpointClient")
            .field("api_base", &self.fake.api_base())
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Seconds since the Unix epoch, as `X-Signature-Timestamp` carries them.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// A fresh seed from the process's hash keys (random per process), so two
/// clients have different keys without a random-number crate.
fn random_seed() -> [u8; 32] {
    let mut seed = [0; 32];
    for (i, chunk) in seed.chunks_exact_mut(8).enumerate() {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_usize(i);
        hasher.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    seed
}

impl InteractionsEndpointClient {
    /// A client with a fresh key pair, registering interactions in `fake`.
    pub fn new(fake: &FakeDiscord) -> Self {
        Self::with_seed(fake, random_seed())
    }

    /// A client whose key pair comes from `seed` (the Ed25519 secret key),
    /// for a public key that stays the same between runs.
    pub fn with_seed(fake: &FakeDiscord, seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let public_key = to_hex(key.verifying_key().as_bytes());
        Self {
            fake: fake.clone(),
            key,
            public_key,
        }
    }

    /// The application's public key as the Developer Portal shows it: 64
    /// hex characters.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The hex signature of `timestamp` followed by `body`, as
    /// `X-Signature-Ed25519` carries it (for hand-made requests).
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        to_hex(&self.key.sign(&message).to_bytes())
    }

    /// Checks the endpoint as Discord does when its URL is saved: a signed
    /// PING must be answered 200 with `{"type":1}` (PONG), and the same
    /// PING with a wrong signature refused with 401. Returns whether both
    /// held.
    ///
    /// # Errors
    /// [`EndpointError`] when the endpoint could not be reached or did not
    /// reply in time.
    ///
    /// # Cancel safety
    /// Cancel safe: nothing is registered for a PING.
    pub async fn ping(&self, url: &str) -> Result<bool, EndpointError> {
        let application_id = lock(&self.fake.shared.world).application_id;
        let ping = crate::fixtures::ping_interaction(
            crate::fixtures::snowflake(unix_now() * 1000, 0),
            application_id,
            "ping-token",
        );
        let pong = self.post(url, &ping).await?;
        let answered = pong.status == 200 && pong.callback_type() == Some(1);
        let refused = self
            .post_tampered(url, &ping, Tamper::FlipSignatureByte)
            .await?;
        Ok(answered && refused.status == 401)
    }

    /// Posts `interaction` as Discord does: registers it in the fake's
    /// world (unless it is a PING), signs body and current timestamp, and
    /// waits at most 3 s for the reply. A 200 reply to anything but a PING
    /// is then taken as the initial response, exactly as a callback
    /// through REST would be (see [`EndpointReply::refused`]).
    ///
    /// # Errors
    /// [`EndpointError`] when the endpoint could not be reached or did not
    /// reply within 3 s (the interaction stays registered, unanswered: a
    /// callback through REST now gets 404 / 10062, as on Discord).
    ///
    /// # Cancel safety
    /// Dropping the future after the request left leaves the interaction
    /// registered but unanswered by the HTTP reply.
    pub async fn post(
        &self,
        url: &str,
        interaction: &Value,
    ) -> Result<EndpointReply, EndpointError> {
        let body = Bytes::from(serde_json::to_vec(interaction).unwrap_or_default());
        let id = id_of(&interaction["id"]);
        let ping = interaction["type"].as_u64() == Some(1);
        if !ping {
            let now = tokio::time::Instant::now().into_std();
            lock(&self.fake.shared.world).register_interaction(interaction, now);
        }
        let timestamp = unix_now().to_string();
        let signature = self.sign(&timestamp, &body);
        let headers = vec![
            ("x-signature-ed25519".to_owned(), signature),
            ("x-signature-timestamp".to_owned(), timestamp),
        ];
        let mut reply = self.post_raw(url, body, headers).await?;
        if !ping && reply.status == 200 {
            reply.refused = match &reply.json {
                Some(json) => crate::rest::endpoint_reply(&self.fake.shared, id, json).err(),
                None => Some("the 200 reply is not JSON".to_owned()),
            };
        }
        Ok(reply)
    }

    /// Posts `interaction` made wrong in one way; an endpoint must answer
    /// 401. Nothing is registered in the world or applied from the reply.
    ///
    /// # Errors
    /// As [`post`](Self::post).
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn post_tampered(
        &self,
        url: &str,
        interaction: &Value,
        tamper: Tamper,
    ) -> Result<EndpointReply, EndpointError> {
        let mut body = serde_json::to_vec(interaction).unwrap_or_default();
        let mut timestamp = unix_now();
        match tamper {
            Tamper::OldTimestamp(by) => timestamp = timestamp.saturating_sub(by.as_secs()),
            Tamper::FutureTimestamp(by) => timestamp = timestamp.saturating_add(by.as_secs()),
            _ => {}
        }
        let timestamp = timestamp.to_string();
        let mut signature = match tamper {
            Tamper::WrongKey => Self::new(&self.fake).sign(&timestamp, &body),
            _ => self.sign(&timestamp, &body),
        };
        match tamper {
            Tamper::FlipBodyByte => {
                if let Some(last) = body.iter_mut().rev().find(|b| b.is_ascii_alphanumeric()) {
                    // a letter or digit stays one: the JSON stays valid
                    *last = if *last == b'1' { b'2' } else { b'1' };
                }
            }
            Tamper::FlipSignatureByte => {
                let first = if signature.starts_with('0') { "1" } else { "0" };
                signature.replace_range(0..1, first);
            }
            Tamper::MalformedSignature => signature = "not-hex".repeat(18),
            _ => {}
        }
        let mut headers = Vec::new();
        if !matches!(tamper, Tamper::NoSignature | Tamper::NoHeaders) {
            headers.push(("x-signature-ed25519".to_owned(), signature));
        }
        if !matches!(tamper, Tamper::NoTimestamp | Tamper::NoHeaders) {
            headers.push(("x-signature-timestamp".to_owned(), timestamp));
        }
        self.post_raw(url, Bytes::from(body), headers).await
    }

    /// Posts `body` with `headers` (plus `Content-Type`, `User-Agent`,
    /// `Host`) and returns the reply; no signing, registering or applying.
    /// For requests [`post_tampered`](Self::post_tampered) does not make.
    ///
    /// # Errors
    /// As [`post`](Self::post).
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn post_raw(
        &self,
        url: &str,
        body: Bytes,
        headers: Vec<(String, String)>,
    ) -> Result<EndpointReply, EndpointError> {
        let started = Instant::now();
        let waited = ENDPOINT_REPLY_WINDOW;
        match tokio::time::timeout(waited, exchange(url, body, headers)).await {
            Ok(Ok((status, content_type, body))) => {
                let json = serde_json::from_slice(&body).ok();
                Ok(EndpointReply {
                    status,
                    content_type,
                    body,
                    json,
                    elapsed: started.elapsed(),
                    refused: None,
                })
            }
            Ok(Err(error)) => Err(error),
            Err(_) => Err(EndpointError::Timeout {
                url: url.to_owned(),
                waited,
            }),
        }
    }
}

/// One HTTP/1.1 POST on a new connection.
async fn exchange(
    url: &str,
    body: Bytes,
    headers: Vec<(String, String)>,
) -> Result<(u16, Option<String>, Bytes), EndpointError> {
    let bad_url = || EndpointError::Url {
        url: url.to_owned(),
    };
    let uri: http::Uri = url.parse().map_err(|_| bad_url())?;
    if uri.scheme_str() != Some("http") {
        return Err(bad_url());
    }
    let authority = uri.authority().ok_or_else(bad_url)?.clone();
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);
    let stream =
        TcpStream::connect((host, port))
            .await
            .map_err(|source| EndpointError::Connect {
                url: url.to_owned(),
                source,
            })?;
    let http_error = |source| EndpointError::Http {
        url: url.to_owned(),
        source,
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(http_error)?;
    let driver = tokio::spawn(
        async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "endpoint connection ended with an error");
            }
        }
        .instrument(tracing::debug_span!("endpoint_connection", %authority)),
    );
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let mut request = http::Request::builder()
        .method(http::Method::POST)
        .uri(path)
        .header(
            http::header::HOST,
            uri.authority().map_or("", |a| a.as_str()),
        )
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::USER_AGENT, USER_AGENT);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request.body(Full::new(body)).map_err(|_| bad_url())?;
    let result = async {
        let response = sender.send_request(request).await.map_err(http_error)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(http_error)?
            .to_bytes();
        Ok((status, content_type, body))
    }
    .await;
    drop(sender);
    driver.abort();
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn signatures_verify_with_the_public_key() {
        let fake = FakeDiscord::builder().start().await.unwrap();
        let client = InteractionsEndpointClient::new(&fake);
        let other = InteractionsEndpointClient::new(&fake);
        assert_eq!(client.public_key().len(), 64);
        assert_ne!(client.public_key(), other.public_key());
        let seeded = InteractionsEndpointClient::with_seed(&fake, [7; 32]);
        assert_eq!(
            seeded.public_key(),
            InteractionsEndpointClient::with_seed(&fake, [7; 32]).public_key()
        );
        let signature = client.sign("1700000000", b"{}");
        assert_eq!(signature.len(), 128);
        let key = client.key.verifying_key();
        let mut bytes = [0; 64];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&signature[2 * i..2 * i + 2], 16).unwrap();
        }
        let signature = ed25519_dalek::Signature::from_bytes(&bytes);
        assert!(key.verify_strict(b"1700000000{}", &signature).is_ok());
        assert!(key.verify_strict(b"1700000001{}", &signature).is_err());
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn an_unreachable_or_odd_url_is_an_error() {
        let fake = FakeDiscord::builder().start().await.unwrap();
        let client = InteractionsEndpointClient::new(&fake);
        let ping = crate::fixtures::ping_interaction(1, 2, "t");
        let err = client
            .post("https://127.0.0.1:1/x", &ping)
            .await
            .unwrap_err();
        assert!(matches!(err, EndpointError::Url { .. }), "{err}");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let err = client
            .post(&format!("http://{addr}/interactions"), &ping)
            .await
            .unwrap_err();
        assert!(matches!(err, EndpointError::Connect { .. }), "{err}");
        fake.shutdown().await;
    }

    fn command(fake: &FakeDiscord, id: u64) -> Value {
        let guild = fake.guild_ids()[0];
        let channel = fake.channel_ids(guild)[0];
        let user = crate::fixtures::user(1_200_000_000_000_000_001, "someone");
        let invocation = crate::fixtures::InteractionContext {
            id,
            application_id: fake.bot_user_id(),
            token: format!("token-{id}"),
            guild_id: Some(guild),
            channel: serde_json::json!({"id": channel.to_string(), "type": 0}),
            invoker: crate::fixtures::member(&user, &[], "2024-01-01T00:00:00.000000+00:00"),
        };
        crate::fixtures::slash_command_interaction(&invocation, 1, "ping", vec![])
    }

    #[tokio::test]
    async fn an_http_reply_is_the_one_initial_response_within_three_seconds() {
        let fake = FakeDiscord::builder().start().await.unwrap();
        let shared = &fake.shared;
        let reply = serde_json::json!({"type": 4, "data": {"content": "pong"}});

        let on_time = command(&fake, 1_450_000_000_000_000_001);
        let now = tokio::time::Instant::now().into_std();
        lock(&shared.world).register_interaction(&on_time, now);
        crate::rest::endpoint_reply(shared, 1_450_000_000_000_000_001, &reply).unwrap();
        let again = crate::rest::endpoint_reply(shared, 1_450_000_000_000_000_001, &reply);
        assert!(again.unwrap_err().contains("40060"));

        let late = command(&fake, 1_450_000_000_000_000_002);
        let then = now.checked_sub(Duration::from_secs(4)).unwrap();
        lock(&shared.world).register_interaction(&late, then);
        let refused = crate::rest::endpoint_reply(shared, 1_450_000_000_000_000_002, &reply);
        assert!(refused.unwrap_err().contains("10062"));

        let wrong = command(&fake, 1_450_000_000_000_000_003);
        lock(&shared.world).register_interaction(&wrong, now);
        let autocomplete_result = serde_json::json!({"type": 8, "data": {"choices": []}});
        let refused =
            crate::rest::endpoint_reply(shared, 1_450_000_000_000_000_003, &autocomplete_result);
        assert!(refused
            .unwrap_err()
            .contains("INTERACTION_RESPONSE_TYPE_INVALID"));
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn an_endpoint_that_does_not_reply_in_three_seconds_times_out() {
        let fake = FakeDiscord::builder().start().await.unwrap();
        let client = InteractionsEndpointClient::new(&fake);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/interactions", listener.local_addr().unwrap());
        let silent = tokio::spawn(async move {
            // accepts, reads nothing, answers nothing
            let (_stream, _) = listener.accept().await.unwrap();
            std::future::pending::<()>().await;
        });
        let err = client
            .post(&url, &command(&fake, 1_450_000_000_000_000_010))
            .await
            .unwrap_err();
        assert!(matches!(err, EndpointError::Timeout { .. }), "{err}");
        silent.abort();
        // Discord gave up: the interaction stays unanswered
        let acknowledged =
            lock(&fake.shared.world).interactions[&1_450_000_000_000_000_010].acknowledged;
        assert_eq!(acknowledged, None);
        fake.shutdown().await;
    }
}
