//! Interactions over HTTP: acord's `interactions::Server` as the
//! application's Interactions Endpoint URL, and the fake Discord
//! (`InteractionsEndpointClient`) posting signed interactions to it,
//! taking the HTTP reply as the initial response, and serving the REST
//! edits and follow-ups that come after.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use acord::command::InteractionResponse;
use acord::core::http::HttpClient;
use acord::interactions::{
    InteractionContext, InteractionError, InteractionRouter, Server, ServerBuilder, ServerError,
    ServerHandle,
};
use acord::model::{Interaction, MessageFlags};
use acord::Http;
use acord_testkit::fixtures::{self, InteractionContext as Invocation};
use acord_testkit::interactions_endpoint::Tamper;
use acord_testkit::{FakeDiscord, InteractionsEndpointClient, RecordedRequest};
use acord_tests::{fake, first_channel, STEP};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

static NEXT_ID: AtomicU64 = AtomicU64::new(1_450_000_000_000_000_000);

/// An invocation in the fake's first guild and channel.
fn invocation(fake: &FakeDiscord) -> Invocation {
    let (guild_id, channel) = first_channel(fake);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let user = fixtures::user(1_200_000_000_000_000_001, "scripted_user");
    Invocation {
        id,
        application_id: fake.bot_user_id(),
        token: format!("http-token-{id}"),
        guild_id: Some(guild_id),
        channel: json!({"id": channel.to_string(), "type": 0}),
        invoker: fixtures::member(&user, &[], "2024-01-01T00:00:00.000000+00:00"),
    }
}

fn http(fake: &FakeDiscord) -> Http {
    Http::new(
        HttpClient::builder(fake.token())
            .api_base(fake.api_base())
            .build()
            .unwrap(),
    )
}

/// A running server and what a test needs to reach it.
struct Running {
    url: String,
    handle: ServerHandle,
    task: JoinHandle<()>,
}

impl Running {
    async fn stop(self) {
        self.handle.shutdown();
        timeout(STEP, self.task).await.unwrap().unwrap();
    }
}

fn builder(
    fake: &FakeDiscord,
    discord: &InteractionsEndpointClient,
    router: InteractionRouter,
) -> ServerBuilder {
    Server::builder(discord.public_key(), router, http(fake), Arc::new(()))
}

async fn run(builder: ServerBuilder) -> Running {
    let server = builder.bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/interactions", server.local_addr());
    let handle = server.handle();
    let task = tokio::spawn(server.run());
    Running { url, handle, task }
}

/// A router whose `/ping` answers `pong`, counting calls.
fn ping_router(calls: Arc<AtomicUsize>) -> InteractionRouter {
    InteractionRouter::new().command("ping", move |ctx: InteractionContext| {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            ctx.reply("pong").await?;
            Ok::<_, InteractionError>(())
        }
    })
}

fn ping_command(inv: &Invocation) -> Value {
    fixtures::slash_command_interaction(inv, 1, "ping", vec![])
}

/// The interaction as acord reads it (for its id and token).
fn typed(interaction: &Value) -> Interaction {
    serde_json::from_value(interaction.clone()).unwrap()
}

/// The first request whose path contains `part`, waiting for it.
async fn request_to(fake: &FakeDiscord, part: &str) -> RecordedRequest {
    fake.wait_for_request(|r| r.path.contains(part), STEP)
        .await
        .unwrap_or_else(|| panic!("no request to {part}"))
}

fn unix_now() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

/// Writes `request` as is to the server and reads the whole answer.
async fn raw_exchange(url: &str, request: &[u8]) -> String {
    let addr = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // the server may answer (and close) before reading everything
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = timeout(STEP, stream.read_to_end(&mut answer))
        .await
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_signed_slash_command_is_answered_in_the_http_reply() {
    let fake = fake().await;
    let discord = InteractionsEndpointClient::new(&fake);
    let calls = Arc::new(AtomicUsize::new(0));
    let server = run(builder(&fake, &discord, ping_router(calls.clone()))).await;
    let inv = invocation(&fake);
    let interaction = ping_command(&inv);

    let reply = discord.post(&server.url, &interaction).await.unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    let json = reply.json.clone().unwrap();
    assert_eq!(json["type"], 4);
    assert_eq!(json["data"]["content"], "pong");
    assert_eq!(
        reply.refused, None,
        "the fake took it as the initial response"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // The fake counts the HTTP reply as the initial response: the
    // message is @original, and a second answer through REST is refused.
    let http = http(&fake);
    let typed = typed(&interaction);
    let original = http
        .original_response(typed.application_id, &typed.token)
        .await
        .unwrap();
    assert_eq!(original.content, "pong");
    let again = http
        .create_interaction_response(
            typed.id,
            &typed.token,
            &InteractionResponse::deferred_message(false),
        )
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(400));
    assert_eq!(
        again.kind(),
        Some(acord::core::signals::JsonErrorCode::InteractionAlreadyAcknowledged)
    );
    // no callback went through REST for the first answer
    assert!(fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/callback"))
        .all(|r| r.status == 400));
    server.stop().await;
    fake.shutdown().await;
}

#[tokio::test]
async fn ping_is_answered_with_pong_and_the_endpoint_passes_discords_check() {
    let fake = fake().await;
    let discord = InteractionsEndpointClient::new(&fake);
    let calls = Arc::new(AtomicUsize::new(0));
    let server = run(builder(&fake, &discord, ping_router(calls.clone()))).await;

    assert!(discord.ping(&server.url).await.unwrap());
    let ping = fixtures::ping_interaction(1_450_000_000_000_000_999, fake.bot_user_id(), "p");
    let reply = discord.post(&server.url, &ping).await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.as_ref(), br#"{"type":1}"#);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    server.stop().await;
    fake.shutdown().await;
}

/// Posts `tamper`ed requests and checks each is refused with 401 and
/// reaches no handler.
async fn refused(tampers: &[Tamper]) {
    let fake = fake().await;
    let discord = InteractionsEndpointClient::new(&fake);
    let calls = Arc::new(AtomicUsize::new(0));
    let server = run(builder(&fake, &discord, ping_router(calls.clone()))).await;
    for &tamper in tampers {
        let interaction = ping_command(&invocation(&fake));
        let reply = discord
            .post_tampered(&server.url, &interaction, tamper)
            .await
            .unwrap();
        assert_eq!(reply.status, 401, "{tamper:?}: {:?}", reply.body);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no handler ran");
    // and the server still answers a correct request
    let reply = discord
        .post(&server.url, &ping_command(&invocation(&fake)))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    server.stop().await;
    fake.shutdown().await;
}

#[tokio::test]
async fn a_flipped_byte_in_body_or_signature_is_refused_with_401() {
    refused(&[
        Tamper::FlipBodyByte,
        Tamper::FlipSignatureByte,
        Tamper::MalformedSignature,
        Tamper::WrongKey,
    ])
    .await;
}

#[tokio::test]
async fn missing_signature_headers_are_refused_with_401() {
    refused(&[Tamper::NoSignature, Tamper::NoTimestamp, Tamper::NoHeaders]).await;
}

#[tokio::test]
async fn an_old_or_future_timestamp_is_refused_with_401() {
    refused(&[
        Tamper::OldTimestamp(Duration::from_secs(10 * 60)),
        Tamper::FutureTimestamp(Duration::from_secs(10 * 60)),
    ])
    .await;
}

#[tokio::test]
async fn a_slow_handler_gets_a_server_sent_defer_and_its_answer_edits_the_original() {
    let fake = fake().await;
    let discord = InteractionsEndpointClient::new(&fake);
    let router = InteractionRouter::new().command("report", |ctx: InteractionContext| async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert!(ctx.is_deferred(), "the server deferred on its behalf");
        // the same call as when it is fast: now an edit of @original
        ctx.reply("report ready").await?;
        Ok::<_, InteractionError>(())
    });
    let server =
        run(builder(&fake, &discord, router).defer_after(Duration::from_millis(300))).await;
    let inv = invocation(&fake);
    let interaction = fixtures::slash_command_interaction(&inv, 2, "report", vec![]);

    let reply = discord.post(&server.url, &interaction).await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.callback_type(), Some(5), "{:?}", reply.json);
    assert!(reply.elapsed >= Duration::from_millis(250));
    assert!(reply.elapsed < Duration::from_millis(3_000));
    assert_eq!(reply.refused, None);

    let edit = request_to(
        &fake,
        &format!(
            "/webhooks/{}/{}/messages/@original",
            inv.application_id, inv.token
        ),
    )
    .await;
    assert_eq!(edit.method, "PATCH");
    assert_eq!(edit.status, 200, "the fake knew the deferred response");
    let body: Value = serde_json::from_slice(&edit.body).unwrap();
    assert_eq!(body["content"], "report ready");
    let typed = typed(&interaction);
    let original = http(&fake)
        .original_response(typed.application_id, &typed.token)
        .await
        .unwrap();
    assert_eq!(original.content, "report ready");
    assert!(!original.flags.contains(MessageFlags::LOADING));
    // no callback through REST: the defer was the HTTP reply
    assert!(fake
        .requests()
        .iter()
        .all(|r| !r.path.ends_with("/callback")));
    server.stop().await;
    fake.shutdown().await;
}

#[tokio::test]
async fn the_server_defers_components_silently_and_gives_autocomplete_empty_choices() {
    let fake = fake().await;
    let discord = InteractionsEndpointClient::new(&fake);
    let slow = Duration::from_millis(600);
    let router = InteractionRouter::new()
        .component("slow", move |ctx: InteractionContext| async move {
            tokio::time::sleep(slow).await;
            ctx.reply("done").await
        })
        .autocomplete(
            "search",
            "query",
            move |ctx: InteractionContext| async move {
                tokio::time::sleep(slow).await;
                ctx.autocomplete(Vec::new()).await
            },
        );
    let server =
        run(builder(&fake, &discord, router).defer_after(Duration::from_millis(200))).await;

    let (_, channel) = first_channel(&fake);
    let message = fixtures::message(
        1_300_000_000_000_000_700,
        channel,
        None,
        &fixtures::bot_user(fake.bot_user_id(), "bot"),
        "a button",
    );
    let click = fixtures::component_interaction(&invocation(&fake), &message, "slow", 2, None);
    let reply = discord.post(&server.url, &click).await.unwrap();
    assert_eq!(reply.callback_type(), Some(6), "{:?}", reply.json);

    let mut search = fixtures::slash_command_interaction(
        &invocation(&fake),
        3,
        "search",
        vec![json!({"name": "query", "type": 3, "value": "ab", "focused": true})],
    );
    search["type"] = json!(4);
    let reply = discord.post(&server.url, &search).await.unwrap();
    assert_eq!(reply.status, 200);
    let json = reply.json.unwrap();
    assert_eq!(json["type"], 8);
    assert_eq!(json["data"]["choices"], json!([]));
    server.stop().await;
    fake.shutdown().await;
}

#[tokio::test]
async fn a_handlers_own_defer_goes_into_the_http_reply() {
    let fake = fake().await;
    let discord = InteractionsEndpointClient::new(&fake);
    let router = InteractionRouter::new().command("think", |ctx: InteractionContext| async move {
        ctx.defer(true).await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
        ctx.reply("thought").await?;
        Ok::<_, InteractionError>(())
    });
    let server = run(builder(&fake, &discord, router)).await;
    let inv = invocation(&fake);
    let reply = discord
        .post(
            &server.url,
            &fixtures::slash_command_interaction(&inv, 4, "think", vec![]),
        )
        .await
        .unwrap();
    let json = reply.json.unwrap();
    assert_eq!(json["type"], 5);
    assert_eq!(json["data"]["flags"], 64);
    let edit = request_to(
        &fake,
        &format!(
            "/webhooks/{}/{}/messages/@original",
            inv.application_id, inv.token
        ),
    )
    .await;
    assert_eq!(edit.status, 200);
    server.stop().await;
    fake.shutdown().await;
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_with_413() {
    let fake = fake().await;
    let discord = InteractionsEndpointClient::new(&fake);
    let calls = Arc::new(AtomicUsize::new(0));
    let server = run(builder(&fake, &discord, ping_router(calls.clone())).max_body(4 * 1024)).await;
    let mut big = ping_command(&invocation(&fake));
    big["padding"] = json!("x".repeat(8 * 1024));
    let reply = discord.post(&server.url, &big).await.unwrap();
    assert_eq!(reply.status, 413);
    // the same without Content-Length (chunked): cut off while reading
    let body = serde_json::to_vec(&big).unwrap();
    let timestamp = unix_now();
    let signature = discord.sign(&timestamp, &body);
    let mut request = format!(
        "POST /interactions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
         X-Signature-Ed25519: {signature}\r\nX-Signature-Timestamp: {timestamp}\r\n\
         Connection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(1000) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_exchange(&server.url, &request).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // a normal one still fits
    let reply = discord
        .post(&server.url, &ping_command(&invocation(&fake)))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    server.stop().await;
    fake.shutdown().await;
}

#[tokio::test]
async fn signed_garbage_is_400_and_wrong_paths_or_methods_are_404_and_405() {
    let fake = fake().await;
    let discord = InteractionsEndpointClient::new(&fake);
    let server = run(builder(&fake, &discord, ping_router(Arc::default()))).await;

    for body in [
        &b"{not json"[..],
        b"[]",
        b"{\"type\":\"two\"}",
        b"{\"type\":2}",
        b"",
    ] {
        let timestamp = unix_now();
        let signature = discord.sign(&timestamp, body);
        let reply = discord
            .post_raw(
                &server.url,
                body.to_vec().into(),
                vec![
                    ("x-signature-ed25519".into(), signature),
                    ("x-signature-timestamp".into(), timestamp),
                ],
            )
            .await
            .unwrap();
        assert_eq!(reply.status, 400, "{:?}", String::from_utf8_lossy(body));
    }

    let elsewhere = server.url.replace("/interactions", "/other");
    let reply = discord
        .post(&elsewhere, &ping_command(&invocation(&fake)))
        .await
        .unwrap();
    assert_eq!(reply.status, 404);

    let answer = raw_exchange(
        &server.url,
        b"GET /interactions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("allow: post"),
        "{answer}"
    );
    server.stop().await;
    fake.shutdown().await;
}

#[tokio::test]
async fn a_handler_that_returns_without_answering_gets_a_500() {
    let fake = fake().await;
    let discord = InteractionsEndpointClient::new(&fake);
    let router = InteractionRouter::new().command("mute", |_ctx: InteractionContext| async move {
        Ok::<_, InteractionError>(())
    });
    let server = run(builder(&fake, &discord, router)).await;
    let reply = discord
        .post(
            &server.url,
            &fixtures::slash_command_interaction(&invocation(&fake), 5, "mute", vec![]),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 500);
    assert!(
        reply.elapsed < Duration::from_millis(2_000),
        "not held until the defer"
    );
    server.stop().await;
    fake.shutdown().await;
}

#[tokio::test]
async fn a_bad_public_key_or_path_is_a_typed_error() {
    let fake = fake().await;
    let router = InteractionRouter::new();
    let err = Server::builder("not a key", router, http(&fake), Arc::new(()))
        .bind("127.0.0.1:0")
        .await
        .unwrap_err();
    assert!(matches!(err, ServerError::PublicKey { .. }), "{err}");
    let discord = InteractionsEndpointClient::new(&fake);
    let err = builder(&fake, &discord, InteractionRouter::new())
        .path("interactions")
        .bind("127.0.0.1:0")
        .await
        .unwrap_err();
    assert!(matches!(err, ServerError::Path { .. }), "{err}");
    fake.shutdown().await;
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_and_its_handler() {
    let fake = fake().await;
    let discord = InteractionsEndpointClient::new(&fake);
    let (started_tx, mut started) = mpsc::channel::<()>(1);
    let router = InteractionRouter::new().command("slow", move |ctx: InteractionContext| {
        let started_tx = started_tx.clone();
        async move {
            started_tx.send(()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(500)).await;
            ctx.reply("finished").await?;
            Ok::<_, InteractionError>(())
        }
    });
    let server =
        run(builder(&fake, &discord, router).defer_after(Duration::from_millis(200))).await;
    let inv = invocation(&fake);
    let posting = {
        let discord = discord.clone();
        let url = server.url.clone();
        let interaction = fixtures::slash_command_interaction(&inv, 6, "slow", vec![]);
        tokio::spawn(async move { discord.post(&url, &interaction).await })
    };
    timeout(STEP, started.recv()).await.unwrap().unwrap();
    let url = server.url.clone();
    server.stop().await; // returns once the request and its handler are done
    let reply = posting.await.unwrap().unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.callback_type(), Some(5));
    // the handler's edit went out before run() returned
    let edits = fake.requests_matching(&acord_testkit::RequestFilter::new().method("PATCH").path(
        format!(
            "/webhooks/{}/{}/messages/@original",
            inv.application_id, inv.token
        ),
    ));
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].status, 200);
    // and nothing listens any more
    let err = discord
        .post(&url, &ping_command(&invocation(&fake)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            acord_testkit::interactions_endpoint::EndpointError::Connect { .. }
        ),
        "{err}"
    );
    fake.shutdown().await;
}
