//! Rate limits as discord-protocol.md §2 documents them: headers on every
//! response, per-route buckets split by major parameter, 429 bodies and
//! headers per scope, the global limit, injections and the invalid-request
//! counter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use std::time::{Duration, Instant};

use acord_core_signals::RateLimitScope;
use acord_testkit::{FakeDiscord, InjectedResponse, Injection};
use rest_support::{header, Api};
use serde_json::{json, Value};

const WINDOW: Duration = Duration::from_millis(800);

async fn limited(limit: u32) -> Api {
    Api::start(
        FakeDiscord::builder()
            .bucket_limit(limit)
            .bucket_window(WINDOW)
            .global_limit(1000),
    )
    .await
}

fn float(response: &reqwest::Response, name: &str) -> f64 {
    header(response, name).unwrap().parse().unwrap()
}

#[tokio::test]
async fn headers_on_every_routed_response() {
    let api = limited(5).await;
    let (guild, channel) = api.guild_and_channel();
    let paths = [
        "/users/@me".to_owned(),
        format!("/guilds/{guild}"),
        format!("/channels/{channel}"),
        format!("/channels/{channel}/messages"),
        // Error answers of a routed request carry them too.
        "/channels/1".to_owned(),
    ];
    let mut buckets = Vec::new();
    for path in &paths {
        let response = api.get(path).send().await.unwrap();
        assert!(response.status().as_u16() < 500);
        assert_eq!(
            header(&response, "x-ratelimit-limit").as_deref(),
            Some("5"),
            "{path}"
        );
        assert_eq!(
            header(&response, "x-ratelimit-remaining").as_deref(),
            Some("4"),
            "{path}"
        );
        let reset_after = float(&response, "x-ratelimit-reset-after");
        assert!(
            reset_after > 0.0 && reset_after <= WINDOW.as_secs_f64(),
            "{reset_after}"
        );
        let reset = float(&response, "x-ratelimit-reset");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!((reset - now).abs() < 5.0, "{reset} vs {now}");
        let bucket = header(&response, "x-ratelimit-bucket").unwrap();
        assert!(!bucket.is_empty());
        assert!(header(&response, "x-ratelimit-scope").is_none());
        buckets.push(bucket);
    }
    // GET /channels/{id} is one route template: the same bucket for every
    // channel; other routes have their own.
    assert_eq!(buckets[2], buckets[4]);
    assert_ne!(buckets[0], buckets[1]);
    assert_ne!(buckets[2], buckets[3]);
    // The bucket hash is stable.
    let again = api.get(&paths[0]).send().await.unwrap();
    assert_eq!(header(&again, "x-ratelimit-bucket").unwrap(), buckets[0]);
    assert_eq!(
        header(&again, "x-ratelimit-remaining").as_deref(),
        Some("3")
    );
    api.fake.shutdown().await;
}

#[tokio::test]
async fn exhausted_bucket_answers_429_user_scope() {
    let api = limited(3).await;
    let path = "/users/@me";
    for remaining in (0..3).rev() {
        let response = api.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "x-ratelimit-remaining").unwrap(),
            remaining.to_string()
        );
    }
    let response = api.get(path).send().await.unwrap();
    // Measured from when the 429 arrived, as a client does.
    let started = Instant::now();
    assert_eq!(response.status(), 429);
    assert_eq!(
        header(&response, "x-ratelimit-scope").as_deref(),
        Some("user")
    );
    assert_eq!(
        header(&response, "x-ratelimit-remaining").as_deref(),
        Some("0")
    );
    assert!(header(&response, "x-ratelimit-global").is_none());
    assert_eq!(header(&response, "retry-after").as_deref(), Some("1"));
    let reset_after = float(&response, "x-ratelimit-reset-after");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["global"], false);
    assert!(body["message"].is_string());
    let retry_after = body["retry_after"].as_f64().unwrap();
    assert!(
        retry_after > 0.0 && retry_after <= WINDOW.as_secs_f64(),
        "{retry_after}"
    );
    assert!((retry_after - reset_after).abs() < 0.002);
    assert_eq!(api.fake.counters().rate_limited, 1);
    assert_eq!(api.fake.counters().invalid_requests, 1);

    // Waiting retry_after is enough.
    tokio::time::sleep_until((started + Duration::from_secs_f64(retry_after)).into()).await;
    let response = api.get(path).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "x-ratelimit-remaining").as_deref(),
        Some("2")
    );
    api.fake.shutdown().await;
}

#[tokio::test]
async fn major_parameters_split_buckets() {
    let api = Api::start(
        FakeDiscord::builder()
            .guilds(2)
            .bucket_limit(2)
            .bucket_window(Duration::from_secs(30))
            .global_limit(1000),
    )
    .await;
    let guilds = api.fake.guild_ids();
    let a = api.fake.channel_ids(guilds[0])[0];
    let b = api.fake.channel_ids(guilds[1])[0];
    let post = |channel: u64| {
        api.post(
            &format!("/channels/{channel}/messages"),
            &json!({"content": "spam"}),
        )
    };
    for _ in 0..2 {
        assert_eq!(post(a).send().await.unwrap().status(), 200);
    }
    let limited = post(a).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    let bucket_a = header(&limited, "x-ratelimit-bucket").unwrap();
    // Channel B has its own window on the same bucket hash.
    let other = post(b).send().await.unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(header(&other, "x-ratelimit-bucket").unwrap(), bucket_a);
    assert_eq!(
        header(&other, "x-ratelimit-remaining").as_deref(),
        Some("1")
    );
    // Another route on channel A is another bucket.
    let read = api
        .get(&format!("/channels/{a}/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    // Guild routes split per guild as well.
    for _ in 0..2 {
        let response = api
            .get(&format!("/guilds/{}", guilds[0]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let response = api
        .get(&format!("/guilds/{}", guilds[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let response = api
        .get(&format!("/guilds/{}", guilds[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn global_limit_answers_429_global() {
    let api = Api::start(
        FakeDiscord::builder()
            .bucket_limit(100)
            .global_limit(3)
            .global_window(Duration::from_secs(30)),
    )
    .await;
    let (guild, channel) = api.guild_and_channel();
    let paths = [
        "/users/@me".to_owned(),
        format!("/guilds/{guild}"),
        format!("/channels/{channel}"),
    ];
    for path in &paths {
        assert_eq!(api.get(path).send().await.unwrap().status(), 200);
    }
    let response = api.get("/users/@me/guilds").send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(
        header(&response, "x-ratelimit-global").as_deref(),
        Some("true")
    );
    assert_eq!(
        header(&response, "x-ratelimit-scope").as_deref(),
        Some("global")
    );
    let retry = header(&response, "retry-after")
        .unwrap()
        .parse::<u64>()
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["global"], true);
    let retry_after = body["retry_after"].as_f64().unwrap();
    assert!(retry_after > 0.0 && retry_after <= 30.0);
    assert_eq!(retry, retry_after.ceil() as u64);
    assert_eq!(api.fake.counters().invalid_requests, 1);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn injected_429s_follow_their_scope() {
    let api = limited(5).await;
    api.fake.inject(Injection {
        method: Some("GET".into()),
        path_contains: "/users/@me".into(),
        times: 1,
        response: InjectedResponse::RateLimited {
            scope: RateLimitScope::Shared,
            retry_after: Duration::from_millis(1500),
        },
    });
    let response = api.get("/users/@me").send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(
        header(&response, "x-ratelimit-scope").as_deref(),
        Some("shared")
    );
    assert_eq!(header(&response, "retry-after").as_deref(), Some("2"));
    // A shared 429 says nothing about the bot's bucket: Remaining stays.
    assert_eq!(
        header(&response, "x-ratelimit-remaining").as_deref(),
        Some("5")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["retry_after"], 1.5);
    assert_eq!(body["global"], false);
    let counters = api.fake.counters();
    assert_eq!(counters.rate_limited, 1);
    assert_eq!(
        counters.invalid_requests, 0,
        "shared 429s are not invalid requests"
    );
    // The injection was used up.
    assert_eq!(api.get("/users/@me").send().await.unwrap().status(), 200);

    api.fake.inject(Injection {
        method: None,
        path_contains: "/users/@me".into(),
        times: 1,
        response: InjectedResponse::RateLimited {
            scope: RateLimitScope::Global,
            retry_after: Duration::from_millis(250),
        },
    });
    let response = api.get("/users/@me").send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(
        header(&response, "x-ratelimit-global").as_deref(),
        Some("true")
    );
    assert_eq!(
        header(&response, "x-ratelimit-scope").as_deref(),
        Some("global")
    );
    assert_eq!(header(&response, "retry-after").as_deref(), Some("1"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["global"], true);
    assert_eq!(api.fake.counters().invalid_requests, 1);

    api.fake.inject(Injection {
        method: Some("POST".into()),
        path_contains: "/messages".into(),
        times: 2,
        response: InjectedResponse::Status {
            status: 502,
            body: json!({"message": "502: Bad Gateway", "code": 0}),
        },
    });
    // Method mismatch: not injected.
    assert_eq!(api.get("/users/@me").send().await.unwrap().status(), 200);
    let (_, channel) = api.guild_and_channel();
    for _ in 0..2 {
        let response = api
            .post(
                &format!("/channels/{channel}/messages"),
                &json!({"content": "x"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 502);
        assert!(header(&response, "x-ratelimit-bucket").is_some());
    }
    let response = api
        .post(
            &format!("/channels/{channel}/messages"),
            &json!({"content": "x"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // A route the fake does not implement can be scripted too.
    api.fake.inject(Injection {
        method: None,
        path_contains: "/scheduled-events".into(),
        times: 1,
        response: InjectedResponse::Status {
            status: 500,
            body: json!({"message": "500: Internal Server Error", "code": 0}),
        },
    });
    let (guild, _) = api.guild_and_channel();
    let path = format!("/guilds/{guild}/scheduled-events");
    assert_eq!(api.get(&path).send().await.unwrap().status(), 500);
    assert_eq!(api.get(&path).send().await.unwrap().status(), 404);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn rate_limits_can_be_turned_off() {
    let api = Api::start(
        FakeDiscord::builder()
            .rate_limits(false)
            .bucket_limit(1)
            .global_limit(1),
    )
    .await;
    for _ in 0..10 {
        let response = api.get("/users/@me").send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(header(&response, "x-ratelimit-limit").is_none());
    }
    assert_eq!(api.fake.counters().rate_limited, 0);
    api.fake.shutdown().await;
}
