//! acord-core-http against acord-testkit's fake Discord REST API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acord_core_http::ratelimit::WaitReason;
use acord_core_http::{
    route, HttpClient, HttpError, InMemoryRatelimiter, Method, RatelimitEvent, Route, RouteError,
};
use acord_core_signals::{JsonErrorCode, RateLimitScope};
use acord_testkit::{FakeDiscord, InjectedResponse, Injection};
use serde_json::{json, Value};
use tokio::task::JoinSet;

mod support;
use support::*;

/// The fake with a short bucket window, so a scripted user-scope 429 (whose
/// headers say the bucket resets with the window) does not stall a test.
async fn start_fake() -> FakeDiscord {
    FakeDiscord::builder()
        .bucket_window(Duration::from_millis(200))
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_limit_burst_has_no_429() {
    const WINDOW: Duration = Duration::from_millis(400);
    let fake = FakeDiscord::builder()
        .guilds(4)
        .bucket_limit(1000)
        .global_limit(20)
        .global_window(WINDOW)
        .start()
        .await
        .unwrap();
    let channels = text_channels(&fake);
    let http = client(
        &fake,
        InMemoryRatelimiter::builder()
            .global_limit(20, WINDOW)
            .build(),
    );
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for i in 0..60 {
        let http = http.clone();
        let channel = channels[i % channels.len()];
        tasks.spawn(async move {
            http.request(route!(GET "/channels/{channel_id}", channel_id = channel))
                .send()
                .await
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    let elapsed = start.elapsed();
    assert_eq!(fake.counters().rate_limited, 0);
    // 60 requests at 20 per window: three windows, two waits.
    assert!(elapsed >= WINDOW * 2, "{elapsed:?}");
    assert!(elapsed <= (WINDOW * 2).mul_f64(1.25), "{elapsed:?}");
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_user_429_is_retried_after_retry_after() {
    let fake = start_fake().await;
    let channel = text_channels(&fake)[0];
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let http = client(
        &fake,
        InMemoryRatelimiter::builder()
            .on_event(move |e| seen.lock().unwrap().push(e.clone()))
            .build(),
    );
    let path = format!("/channels/{channel}/messages");
    fake.inject(Injection {
        method: Some("POST".into()),
        path_contains: path.clone(),
        times: 1,
        response: InjectedResponse::RateLimited {
            scope: RateLimitScope::User,
            retry_after: Duration::from_millis(300),
        },
    });
    let response = http
        .request(route!(POST "/channels/{channel_id}/messages", channel_id = channel))
        .json(&json!({ "content": "hi" }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let message: Value = response.json().unwrap();
    assert_eq!(message["content"], "hi");
    let sent = requests_to(&fake, "POST", &path);
    assert_eq!(sent.iter().map(|r| r.status).collect::<Vec<_>>()[0], 429);
    assert_eq!(sent.len(), 2);
    assert!(sent[1].at - sent[0].at >= Duration::from_millis(300));
    assert_eq!(fake.counters().rate_limited, 1);
    let saw_429 = events.lock().unwrap().iter().any(|e| {
        matches!(
            e,
            RatelimitEvent::RateLimited { scope: RateLimitScope::User, retry_after, .. }
                if *retry_after == Duration::from_millis(300)
        )
    });
    assert!(saw_429);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_give_a_typed_rate_limited_error() {
    let fake = start_fake().await;
    let channel = text_channels(&fake)[0];
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .rate_limit_retries(1)
        .build()
        .unwrap();
    fake.inject(Injection {
        method: None,
        path_contains: format!("/channels/{channel}"),
        times: 2,
        response: InjectedResponse::RateLimited {
            scope: RateLimitScope::User,
            retry_after: Duration::from_millis(50),
        },
    });
    let err = http
        .request(route!(GET "/channels/{channel_id}", channel_id = channel))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_millis(50)));
    assert_eq!(err.status(), Some(429));

    // A wait longer than the client accepts fails at once.
    let impatient = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .max_rate_limit_wait(Duration::from_secs(1))
        .build()
        .unwrap();
    fake.inject(Injection {
        method: None,
        path_contains: format!("/channels/{channel}"),
        times: 1,
        response: InjectedResponse::RateLimited {
            scope: RateLimitScope::Shared,
            retry_after: Duration::from_secs(60),
        },
    });
    let start = Instant::now();
    let err = impatient
        .request(route!(GET "/channels/{channel_id}", channel_id = channel))
        .send()
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(matches!(
        err,
        HttpError::RateLimited {
            scope: RateLimitScope::Shared,
            attempts: 1,
            ..
        }
    ));
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_429_does_not_block_the_bucket_or_count_as_invalid() {
    let fake = FakeDiscord::builder()
        .bucket_limit(50)
        .start()
        .await
        .unwrap();
    let channel = text_channels(&fake)[0];
    let http = client(&fake, InMemoryRatelimiter::new());
    let get = move || route!(GET "/channels/{channel_id}/messages", channel_id = channel);
    // Learn the bucket first.
    http.request(get()).send().await.unwrap();
    fake.inject(Injection {
        method: Some("GET".into()),
        path_contains: format!("/channels/{channel}/messages"),
        times: 1,
        response: InjectedResponse::RateLimited {
            scope: RateLimitScope::Shared,
            retry_after: Duration::from_millis(1000),
        },
    });
    let first = tokio::spawn({
        let http = http.clone();
        async move { http.request(get()).send().await.map(|_| Instant::now()) }
    });
    fake.wait_for_request(|r| r.status == 429, Duration::from_secs(5))
        .await
        .expect("the shared 429");
    let limited_at = Instant::now();
    // The same bucket keeps working while the 429'd request waits.
    http.request(get()).send().await.unwrap();
    assert!(limited_at.elapsed() < Duration::from_millis(500));
    let done = first.await.unwrap().unwrap();
    assert!(done - limited_at >= Duration::from_millis(900));
    let counters = fake.counters();
    assert_eq!(counters.rate_limited, 1);
    assert_eq!(counters.invalid_requests, 0);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_429_pauses_other_routes() {
    let fake = start_fake().await;
    let channels = text_channels(&fake);
    let (seen_tx, mut seen_429) = tokio::sync::mpsc::channel(4);
    let http = client(
        &fake,
        InMemoryRatelimiter::builder()
            .on_event(move |e| {
                if matches!(e, RatelimitEvent::RateLimited { .. }) {
                    let _ = seen_tx.try_send(());
                }
            })
            .build(),
    );
    fake.inject(Injection {
        method: None,
        path_contains: format!("/channels/{}", channels[0]),
        times: 1,
        response: InjectedResponse::RateLimited {
            scope: RateLimitScope::Global,
            retry_after: Duration::from_millis(400),
        },
    });
    let first = tokio::spawn({
        let http = http.clone();
        let channel = channels[0];
        async move {
            http.request(route!(GET "/channels/{channel_id}", channel_id = channel))
                .send()
                .await
        }
    });
    let limited = fake
        .wait_for_request(|r| r.status == 429, Duration::from_secs(5))
        .await
        .unwrap();
    // Once the client has seen the global 429, everything else pauses.
    tokio::time::timeout(Duration::from_secs(5), seen_429.recv())
        .await
        .unwrap()
        .unwrap();
    http.request(route!(GET "/channels/{channel_id}", channel_id = channels[1]))
        .send()
        .await
        .unwrap();
    first.await.unwrap().unwrap();
    let other = requests_to(&fake, "GET", &format!("/channels/{}", channels[1]));
    assert_eq!(other.len(), 1);
    assert!(other[0].at - limited.at >= Duration::from_millis(400));
    assert_eq!(fake.counters().rate_limited, 1);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_to_a_new_bucket_cost_no_429() {
    const WINDOW: Duration = Duration::from_millis(300);
    let fake = FakeDiscord::builder()
        .bucket_limit(3)
        .bucket_window(WINDOW)
        .start()
        .await
        .unwrap();
    let channel = text_channels(&fake)[0];
    let http = client(&fake, InMemoryRatelimiter::new());
    let mut tasks = JoinSet::new();
    for _ in 0..10 {
        let http = http.clone();
        tasks.spawn(async move {
            http.request(route!(GET "/channels/{channel_id}/messages", channel_id = channel))
                .send()
                .await
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(fake.counters().rate_limited, 0);
    let sent = requests_to(&fake, "GET", &format!("/channels/{channel}/messages"));
    assert_eq!(sent.len(), 10);
    assert_spaced(&sent, 3, WINDOW);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_for_get_but_not_for_post() {
    let fake = start_fake().await;
    let channel = text_channels(&fake)[0];
    let http = client(&fake, InMemoryRatelimiter::new());
    fake.inject(Injection {
        method: Some("GET".into()),
        path_contains: format!("/channels/{channel}"),
        times: 2,
        response: InjectedResponse::Status {
            status: 500,
            body: json!({ "message": "500: Internal Server Error", "code": 0 }),
        },
    });
    let ok = http
        .request(route!(GET "/channels/{channel_id}", channel_id = channel))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let gets = requests_to(&fake, "GET", &format!("/channels/{channel}"));
    assert_eq!(
        gets.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![500, 500, 200]
    );

    fake.inject(Injection {
        method: Some("POST".into()),
        path_contains: format!("/channels/{channel}/messages"),
        times: 1,
        response: InjectedResponse::Status {
            status: 502,
            body: json!({ "message": "502: Bad Gateway", "code": 0 }),
        },
    });
    let err = http
        .request(route!(POST "/channels/{channel_id}/messages", channel_id = channel))
        .json(&json!({ "content": "only once" }))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert!(err.is_retryable());
    let posts = requests_to(&fake, "POST", &format!("/channels/{channel}/messages"));
    assert_eq!(posts.len(), 1, "a POST must not be repeated");
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_upload_arrives_intact() {
    let fake = start_fake().await;
    let channel = text_channels(&fake)[0];
    let http = client(&fake, InMemoryRatelimiter::new());
    let data: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let response = http
        .request(route!(POST "/channels/{channel_id}/messages", channel_id = channel))
        .json(&json!({
            "content": "a file",
            "attachments": [{ "id": 0, "filename": "blob.bin", "description": "bytes" }],
        }))
        .file("blob.bin", data.clone())
        .send()
        .await
        .unwrap();
    let message: Value = response.json().unwrap();
    assert_eq!(message["content"], "a file");
    let attachment = &message["attachments"][0];
    assert_eq!(attachment["filename"], "blob.bin");
    assert_eq!(attachment["size"], data.len());
    let recorded = requests_to(&fake, "POST", &format!("/channels/{channel}/messages"));
    let content_type = header(&recorded[0], "content-type").unwrap();
    assert!(
        content_type.starts_with("multipart/form-data"),
        "{content_type}"
    );
    let body = &recorded[0].body;
    // Sent with a length, not chunked.
    assert_eq!(
        header(&recorded[0], "content-length"),
        Some(body.len().to_string().as_str())
    );
    assert!(body.windows(data.len()).any(|w| w == data.as_slice()));
    assert!(body
        .windows(b"name=\"files[0]\"".len())
        .any(|w| w == b"name=\"files[0]\""));
    assert!(body
        .windows(b"name=\"payload_json\"".len())
        .any(|w| w == b"name=\"payload_json\""));
    // The fake serves the stored file back: byte for byte.
    let url = attachment["url"]
        .as_str()
        .expect("the attachment has a URL");
    let served = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert_eq!(served.as_ref(), data.as_slice());
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_gives_a_typed_401_without_the_token() {
    let fake = start_fake().await;
    let http = HttpClient::builder("not.the.right-token")
        .api_base(fake.api_base())
        .build()
        .unwrap();
    let err = http.login().await.unwrap_err();
    assert!(err.is_unauthorized(), "{err}");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some(JsonErrorCode::from_code(40001)));
    assert!(!err.is_retryable());
    let text = format!("{err} {err:?}");
    assert!(!text.contains("not.the.right-token"), "{text}");
    assert_eq!(fake.counters().unauthorized, 1);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_route_parameter_is_an_error_and_sends_nothing() {
    let fake = start_fake().await;
    let http = client(&fake, InMemoryRatelimiter::new());
    let err = http
        .request(Route::new(Method::Delete, "/users/@me/guilds/{guild_id}"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        &err,
        HttpError::Route(RouteError::MissingParam { name, .. }) if name == "guild_id"
    ));
    assert!(err.is_route());
    let err = http
        .request(route!(GET "/guilds/{guild_id}", guild = 1))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        HttpError::Route(RouteError::UnknownParam { .. })
    ));
    assert!(fake.requests().is_empty());
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unheard_of_route_works_and_is_rate_limited() {
    // acord has no table of routes: any template works, here with Discord's
    // dotted placeholder names, and gets its own learned bucket.
    const WINDOW: Duration = Duration::from_millis(300);
    let fake = FakeDiscord::builder()
        .bucket_limit(2)
        .bucket_window(WINDOW)
        .start()
        .await
        .unwrap();
    let guild = fake.guild_ids()[0];
    let waits = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&waits);
    let http = client(
        &fake,
        InMemoryRatelimiter::builder()
            .on_event(move |e| {
                if let RatelimitEvent::Wait { reason, .. } = e {
                    seen.lock().unwrap().push(*reason);
                }
            })
            .build(),
    );
    let mut tasks = JoinSet::new();
    for _ in 0..6 {
        let http = http.clone();
        tasks.spawn(async move {
            http.request(
                Route::new(Method::Get, "/guilds/{guild.id}/roles").param("guild.id", guild),
            )
            .send()
            .await
        });
    }
    while let Some(result) = tasks.join_next().await {
        let roles: Vec<Value> = result.unwrap().unwrap().json().unwrap();
        assert!(!roles.is_empty());
    }
    assert_eq!(fake.counters().rate_limited, 0);
    let sent = requests_to(&fake, "GET", &format!("/guilds/{guild}/roles"));
    assert_eq!(sent.len(), 6);
    assert_spaced(&sent, 2, WINDOW);
    let waited = waits.lock().unwrap().contains(&WaitReason::BucketExhausted);
    assert!(waited);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_headers_follow_the_protocol() {
    let fake = start_fake().await;
    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    let http = client(&fake, InMemoryRatelimiter::new());
    http.request(route!(PATCH "/channels/{channel_id}", channel_id = channel))
        .json(&json!({ "name": "renamed" }))
        .audit_log_reason("spring cleaning: ünïcode & spaces")
        .query("unused", true)
        .send()
        .await
        .unwrap();
    let recorded = requests_to(&fake, "PATCH", &format!("/channels/{channel}"));
    let r = &recorded[0];
    assert_eq!(
        header(r, "authorization"),
        Some(format!("Bot {}", fake.token()).as_str())
    );
    let ua = header(r, "user-agent").unwrap();
    assert!(
        ua.starts_with("DiscordBot (https://github.com/acord-rs/acord, "),
        "{ua}"
    );
    assert_eq!(header(r, "content-type"), Some("application/json"));
    assert_eq!(
        header(r, "x-audit-log-reason"),
        Some("spring%20cleaning%3A%20%C3%BCn%C3%AFcode%20%26%20spaces")
    );
    assert_eq!(r.query.as_deref(), Some("unused=true"));
    assert!(r.path.starts_with("/api/v10/"), "{}", r.path);
    assert_eq!(fake.counters().user_agent_violations, 0);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_and_gateway_are_typed() {
    let fake = FakeDiscord::builder()
        .shards(3)
        .max_concurrency(2)
        .start()
        .await
        .unwrap();
    let http = client(&fake, InMemoryRatelimiter::new());
    let me = http.login().await.unwrap();
    assert_eq!(me.id, fake.bot_user_id());
    assert!(me.bot);
    let gateway = http.fetch_gateway().await.unwrap();
    assert_eq!(gateway.url, fake.gateway_url());
    let bot = http.fetch_gateway_bot().await.unwrap();
    assert_eq!(bot.url, fake.gateway_url());
    assert_eq!(bot.shards, 3);
    assert_eq!(bot.session_start_limit.max_concurrency, 2);
    // A client on API v9 works too.
    let v9 = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .api_version(9)
        .build()
        .unwrap();
    v9.login().await.unwrap();
    assert!(fake
        .requests()
        .iter()
        .any(|r| r.path.starts_with("/api/v9/")));
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_carry_code_message_and_nested_errors() {
    let fake = start_fake().await;
    let channel = text_channels(&fake)[0];
    let http = client(&fake, InMemoryRatelimiter::new());
    let long = "x".repeat(2001);
    let err = http
        .request(route!(POST "/channels/{channel_id}/messages", channel_id = channel))
        .json(&json!({ "content": long }))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some(JsonErrorCode::InvalidFormBody));
    let api = err.api().unwrap();
    assert!(api.errors().unwrap()["content"]["_errors"].is_array());
    assert_eq!(api.route().template(), "/channels/{channel_id}/messages");
    let unknown = http
        .request(route!(GET "/channels/{channel_id}", channel_id = 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interaction_callbacks_do_not_queue_behind_the_global_limit() {
    const WINDOW: Duration = Duration::from_millis(1500);
    let fake = FakeDiscord::builder()
        .global_limit(3)
        .global_window(WINDOW)
        .start()
        .await
        .unwrap();
    let channel = text_channels(&fake)[0];
    let http = client(
        &fake,
        InMemoryRatelimiter::builder()
            .global_limit(3, WINDOW)
            .build(),
    );
    // Use up the global limit.
    for _ in 0..3 {
        http.request(route!(GET "/channels/{channel_id}", channel_id = channel))
            .send()
            .await
            .unwrap();
    }
    // A fourth ordinary request now waits for the global window...
    let queued = tokio::spawn({
        let http = http.clone();
        async move {
            http.request(route!(GET "/channels/{channel_id}", channel_id = channel))
                .send()
                .await
                .map(|_| Instant::now())
        }
    });
    // ...but interaction callbacks go straight out. These interactions are
    // unknown to the fake (404 / 10062): what matters is when they are sent.
    let start = Instant::now();
    for id in 1..=4u64 {
        let err = http
            .request(route!(
                POST "/interactions/{interaction_id}/{interaction_token}/callback",
                interaction_id = id,
                interaction_token = "aW50ZXJhY3Rpb24"
            ))
            .json(&json!({ "type": 1 }))
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(JsonErrorCode::UnknownInteraction));
    }
    let lane = start.elapsed();
    assert!(lane < WINDOW / 3, "callbacks waited {lane:?}");
    let queued_at = queued.await.unwrap().unwrap();
    assert!(queued_at - start >= WINDOW / 2);
    assert_eq!(fake.counters().rate_limited, 0);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_connects_are_retried_then_typed() {
    // A loopback port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let http = HttpClient::builder("token")
        .api_base(format!("http://127.0.0.1:{port}/api"))
        .retries(2, Duration::from_millis(10))
        .build()
        .unwrap();
    let get = http
        .request(route!(GET "/channels/{channel_id}", channel_id = 1))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(get, HttpError::Transport { attempts: 3, .. }),
        "{get:?}"
    );
    assert!(get.is_retryable());
    assert!(!get.to_string().contains("127.0.0.1"), "{get}");
    let post = http
        .request(route!(POST "/channels/{channel_id}/messages", channel_id = 1))
        .json(&json!({ "content": "x" }))
        .send()
        .await
        .unwrap_err();
    // Nothing reached a server, so even a POST may be tried again.
    assert!(
        matches!(post, HttpError::Transport { attempts: 3, .. }),
        "{post:?}"
    );
}

fn unauthorized_once(fake: &FakeDiscord, path: &str) {
    fake.inject(Injection {
        method: Some("GET".into()),
        path_contains: path.into(),
        times: 1,
        response: InjectedResponse::Status {
            status: 401,
            body: json!({ "message": "401: Unauthorized", "code": 0 }),
        },
    });
}

#[tokio::test]
async fn a_401_stops_the_token_in_every_clone() {
    let fake = start_fake().await;
    let http = client(&fake, InMemoryRatelimiter::new());
    let clone = http.clone();
    let channel = text_channels(&fake)[0];
    unauthorized_once(&fake, "/users/@me");
    let first = http
        .request(route!(GET "/users/@me"))
        .send()
        .await
        .unwrap_err();
    assert!(first.is_unauthorized(), "{first}");
    let sent = fake.requests().len();

    // The next authenticated request, from a clone, fails without being sent.
    let err = clone
        .request(route!(GET "/channels/{channel_id}", channel_id = channel))
        .send()
        .await
        .expect_err("a request went out with a rejected token");
    assert_eq!(fake.requests().len(), sent, "the fake saw a request");
    assert!(
        matches!(&err, HttpError::InvalidToken { route } if route.template() == "/channels/{channel_id}"),
        "{err}"
    );
    assert!(err.is_unauthorized(), "{err}");
    assert!(err.to_string().contains("401"), "{err}");

    // Requests without the token still go out.
    http.request(route!(GET "/gateway"))
        .without_auth()
        .send()
        .await
        .unwrap();
    assert_eq!(fake.requests().len(), sent + 1);
}

#[tokio::test]
async fn a_401_without_auth_does_not_stop_the_token() {
    let fake = start_fake().await;
    let http = client(&fake, InMemoryRatelimiter::new());
    unauthorized_once(&fake, "/gateway");
    let err = http
        .request(route!(GET "/gateway"))
        .without_auth()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    http.request(route!(GET "/users/@me")).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_wait_longer_than_max_rate_limit_wait_fails_fast() {
    // One request per minute on every bucket.
    let fake = FakeDiscord::builder()
        .bucket_limit(1)
        .bucket_window(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let channel = text_channels(&fake)[0];
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .max_rate_limit_wait(Duration::from_secs(1))
        .build()
        .unwrap();
    let get = move || route!(GET "/channels/{channel_id}", channel_id = channel);
    http.request(get()).send().await.unwrap();
    // The bucket is spent for a minute: the next request is refused at once
    // instead of waiting inside the limiter.
    let start = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(10), http.request(get()).send())
        .await
        .expect("the request waited in the limiter past max_rate_limit_wait")
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(err.is_rate_limited(), "{err}");
    let wait = err.retry_after().unwrap();
    assert!(wait > Duration::from_secs(50), "{wait:?}");
    assert!(
        matches!(&err, HttpError::RateLimitWait { bucket, reason: Some(WaitReason::BucketExhausted), .. }
            if bucket.ends_with(&format!("[channel:{channel}]"))),
        "{err:?}"
    );

    // Without a cap, the request's own deadline covers the limiter wait.
    let patient = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .ratelimiter(Arc::clone(http.ratelimiter()))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        patient
            .request(get())
            .timeout(Duration::from_millis(300))
            .send(),
    )
    .await
    .expect("the deadline did not cover the limiter wait")
    .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    assert!(err.is_timeout(), "{err}");
    assert_eq!(
        requests_to(&fake, "GET", &format!("/channels/{channel}")).len(),
        1
    );
    assert_eq!(fake.counters().rate_limited, 0);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_timeout_covers_a_slow_retry_loop() {
    let fake = start_fake().await;
    let channel = text_channels(&fake)[0];
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .retries(10, Duration::from_millis(300))
        .build()
        .unwrap();
    fake.inject(Injection {
        method: Some("GET".into()),
        path_contains: format!("/channels/{channel}"),
        times: 100,
        response: InjectedResponse::Status {
            status: 500,
            body: json!({ "message": "500: Internal Server Error", "code": 0 }),
        },
    });
    let start = Instant::now();
    let err = http
        .request(route!(GET "/channels/{channel_id}", channel_id = channel))
        .timeout(Duration::from_millis(1500))
        .send()
        .await
        .unwrap_err();
    let elapsed = start.elapsed();
    // Backoffs of 300, 600, 1200 ms (±20 %): the third retry cannot start
    // before the deadline, so it is not waited for and the last answer is
    // reported.
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(err.status(), Some(500), "{err}");
    assert_eq!(
        requests_to(&fake, "GET", &format!("/channels/{channel}")).len(),
        3
    );
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learned_cap_on_one_guild_does_not_hold_other_guilds() {
    let fake = FakeDiscord::builder().guilds(3).start().await.unwrap();
    let app = fake.bot_user_id();
    let guilds = fake.guild_ids();
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .max_rate_limit_wait(Duration::from_secs(2))
        .build()
        .unwrap();
    let create = |guild: u64, name: &str| {
        http.request(route!(
            POST "/applications/{application_id}/guilds/{guild_id}/commands",
            application_id = app,
            guild_id = guild
        ))
        .json(&json!({ "name": name, "description": "a command", "type": 1 }))
        .send()
    };
    create(guilds[0], "first").await.unwrap();
    // Guild 0 reaches a cap the bucket headers do not show (Discord's daily
    // command-create limit): a 429 for an hour although `remaining` > 0.
    fake.inject(Injection {
        method: Some("POST".into()),
        path_contains: format!("/guilds/{}/commands", guilds[0]),
        times: 1,
        response: InjectedResponse::Status {
            status: 429,
            body: json!({ "message": "You are being rate limited.", "retry_after": 3600.0, "global": false }),
        },
    });
    let err = create(guilds[0], "second").await.unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    // The other guilds create their commands at once.
    for (i, guild) in guilds[1..].iter().enumerate() {
        let start = Instant::now();
        let created = tokio::time::timeout(
            Duration::from_secs(10),
            create(*guild, &format!("other{i}")),
        )
        .await
        .expect("another guild waited on guild 0's cap");
        created.unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }
    // Guild 0 itself is held by the learned limit, and is not sent.
    let before = fake.requests().len();
    let err = create(guilds[0], "third").await.unwrap_err();
    assert!(
        matches!(&err, HttpError::RateLimitWait { bucket, reason: Some(WaitReason::LearnedLimit), wait: Some(wait), .. }
            if bucket == &format!("POST /applications/{app}/guilds/{}/commands", guilds[0])
                && *wait > Duration::from_secs(3500)),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), before);
    assert_eq!(fake.counters().rate_limited, 1);
    fake.shutdown().await;
}
