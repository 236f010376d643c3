//! Basics of the fake REST API against discord-protocol.md §1, §3.1, §11.1:
//! versions, routing, auth, User-Agent, Content-Type, bodies, the log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use acord_testkit::FakeDiscord;
use reqwest::Method;
use rest_support::{assert_error, id, send, Api, USER_AGENT};
use serde_json::json;

async fn api() -> Api {
    Api::start(FakeDiscord::builder().rate_limits(false)).await
}

#[tokio::test]
async fn missing_or_wrong_token_is_401_and_counted() {
    let api = api().await;
    let (status, body) = send(
        api.http
            .get(api.url("/users/@me"))
            .header("user-agent", USER_AGENT),
    )
    .await;
    assert_eq!(status, 401);
    assert_error(&body, 40001);
    let (status, _) = send(
        api.http
            .get(api.url("/users/@me"))
            .header("authorization", "Bot wrong")
            .header("user-agent", USER_AGENT),
    )
    .await;
    assert_eq!(status, 401);
    // A bare token without the `Bot ` prefix is not accepted either.
    let (status, _) = send(
        api.http
            .get(api.url("/users/@me"))
            .header("authorization", api.fake.token())
            .header("user-agent", USER_AGENT),
    )
    .await;
    assert_eq!(status, 401);
    let counters = api.fake.counters();
    assert_eq!(counters.unauthorized, 3);
    assert_eq!(counters.invalid_requests, 3);
    assert_eq!(counters.rest_requests, 3);

    let (status, me) = send(api.get("/users/@me")).await;
    assert_eq!(status, 200);
    assert_eq!(id(&me["id"]), api.fake.bot_user_id());
    assert_eq!(me["bot"], true);
    assert_eq!(api.fake.counters().invalid_requests, 3);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_methods_and_versions() {
    let api = api().await;
    let (status, body) = send(api.get("/does/not/exist")).await;
    assert_eq!(status, 404);
    assert_error(&body, 0);
    let (status, body) = send(api.req(Method::PUT, "/users/@me")).await;
    assert_eq!(status, 405);
    assert_error(&body, 0);
    for version in ["v3", "v6", "v8", "v11"] {
        let url = format!("{}/{version}/users/@me", api.fake.api_base());
        let request = api
            .http
            .get(url)
            .header("authorization", format!("Bot {}", api.fake.token()))
            .header("user-agent", USER_AGENT);
        let (status, body) = send(request).await;
        assert_eq!(status, 400, "{version}");
        assert_error(&body, 50041);
    }
    // No version at all means Discord's default v6: not served either.
    let url = format!("{}/users/@me", api.fake.api_base());
    let (status, body) = send(api.http.get(url).header("user-agent", USER_AGENT)).await;
    assert_eq!(status, 400);
    assert_error(&body, 50041);
    // v9 works like v10.
    let url = format!("{}/v9/users/@me", api.fake.api_base());
    let request = api
        .http
        .get(url)
        .header("authorization", format!("Bot {}", api.fake.token()))
        .header("user-agent", USER_AGENT);
    assert_eq!(send(request).await.0, 200);
    // A non-snowflake id is a form error, an unknown snowflake a 404.
    let (status, body) = send(api.get("/channels/general")).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    assert!(body["errors"]["channel_id"]["_errors"].is_array());
    let (status, body) = send(api.get("/channels/1")).await;
    assert_eq!(status, 404);
    assert_error(&body, 10003);
    let (status, body) = send(api.get("/guilds/1")).await;
    assert_eq!(status, 404);
    assert_error(&body, 10004);
    let (status, body) = send(api.get("/users/1")).await;
    assert_eq!(status, 404);
    assert_error(&body, 10013);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn bodies_content_types_and_json() {
    let api = api().await;
    let (_, channel) = api.guild_and_channel();
    let path = format!("/channels/{channel}/messages");
    // Syntactically invalid JSON: the dedicated code 50109 (§1.8).
    let request = api
        .req(Method::POST, &path)
        .header("content-type", "application/json")
        .body("{\"content\": ");
    let (status, body) = send(request).await;
    assert_eq!(status, 400);
    assert_error(&body, 50109);
    // A body with no documented Content-Type: 50035 with a request-level error.
    let request = api
        .req(Method::POST, &path)
        .header("content-type", "text/plain")
        .body("{\"content\": \"hi\"}");
    let (status, body) = send(request).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    assert_eq!(body["errors"]["_errors"][0]["code"], "CONTENT_TYPE_INVALID");
    // Well-formed JSON with the wrong types: 50035 with field errors.
    let (status, body) = send(api.post(&path, &json!({"content": 5}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    assert!(body["errors"]["content"]["_errors"][0]["code"].is_string());
    // A form-urlencoded body is accepted too.
    let request = api
        .req(Method::POST, &path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("content=hello+form");
    let (status, body) = send(request).await;
    assert_eq!(status, 200);
    assert_eq!(body["content"], "hello form");
    api.fake.shutdown().await;
}

#[tokio::test]
async fn user_agent_violations_are_counted_not_rejected() {
    let api = api().await;
    let request = api
        .http
        .get(api.url("/users/@me"))
        .header("authorization", format!("Bot {}", api.fake.token()))
        .header("user-agent", "curl/8.5.0");
    assert_eq!(send(request).await.0, 200);
    let request = api
        .http
        .get(api.url("/users/@me"))
        .header("authorization", format!("Bot {}", api.fake.token()));
    assert_eq!(send(request).await.0, 200);
    assert_eq!(send(api.get("/users/@me")).await.0, 200);
    assert_eq!(api.fake.counters().user_agent_violations, 2);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn every_request_is_recorded() {
    let api = api().await;
    let (_, channel) = api.guild_and_channel();
    let path = format!("/channels/{channel}/messages");
    let request = api
        .post(&path, &json!({"content": "logged"}))
        .query(&[("tag", "x")])
        .header("X-Custom-Header", "Value");
    assert_eq!(send(request).await.0, 200);
    let recorded = api
        .fake
        .wait_for_request(
            |r| r.method == "POST" && r.path.ends_with("/messages"),
            std::time::Duration::from_secs(5),
        )
        .await
        .expect("recorded");
    assert_eq!(recorded.path, format!("/api/v10{path}"));
    assert_eq!(recorded.query.as_deref(), Some("tag=x"));
    assert_eq!(recorded.status, 200);
    assert_eq!(recorded.header("x-custom-header"), Some("Value"));
    assert!(recorded.headers.iter().all(|(n, _)| *n == n.to_lowercase()));
    assert_eq!(recorded.json().unwrap()["content"], "logged");
    assert_eq!(api.fake.counters().rest_requests, 1);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn gateway_discovery() {
    let api = Api::start(
        FakeDiscord::builder()
            .rate_limits(false)
            .shards(4)
            .max_concurrency(2)
            .session_start_limit(1000, 990),
    )
    .await;
    // GET /gateway needs no token.
    let (status, body) = send(
        api.http
            .get(api.url("/gateway"))
            .header("user-agent", USER_AGENT),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["url"], api.fake.gateway_url());
    let (status, body) = send(api.get("/gateway/bot")).await;
    assert_eq!(status, 200);
    assert_eq!(body["url"], api.fake.gateway_url());
    assert_eq!(body["shards"], 4);
    let limit = &body["session_start_limit"];
    assert_eq!(limit["total"], 1000);
    assert_eq!(limit["remaining"], 990);
    // Milliseconds until the limit resets: counts down from the configured 4 h.
    let reset_after = limit["reset_after"].as_u64().unwrap();
    assert!(
        (14_300_000..=14_400_000).contains(&reset_after),
        "{reset_after}"
    );
    assert_eq!(limit["max_concurrency"], 2);
    // /gateway/bot needs one.
    let (status, _) = send(
        api.http
            .get(api.url("/gateway/bot"))
            .header("user-agent", USER_AGENT),
    )
    .await;
    assert_eq!(status, 401);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn users_and_current_user_guilds() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false).guilds(5)).await;
    let mut ids = api.fake.guild_ids();
    ids.sort_unstable();
    let (status, all) = send(api.get("/users/@me/guilds")).await;
    assert_eq!(status, 200);
    let listed: Vec<u64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|g| id(&g["id"]))
        .collect();
    assert_eq!(listed, ids);
    for guild in all.as_array().unwrap() {
        for key in ["id", "name", "icon", "owner", "permissions", "features"] {
            assert!(guild.get(key).is_some(), "{key}");
        }
        assert!(guild.get("approximate_member_count").is_none());
    }
    let (_, page) = send(api.get(&format!("/users/@me/guilds?after={}&limit=2", ids[0]))).await;
    let page: Vec<u64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|g| id(&g["id"]))
        .collect();
    assert_eq!(page, ids[1..3].to_vec());
    let (_, page) = send(api.get(&format!("/users/@me/guilds?before={}&limit=2", ids[4]))).await;
    let page: Vec<u64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|g| id(&g["id"]))
        .collect();
    assert_eq!(page, ids[2..4].to_vec());
    let (_, counted) = send(api.get("/users/@me/guilds?with_counts=true&limit=1")).await;
    assert!(counted[0]["approximate_member_count"].as_u64().unwrap() > 0);
    let (status, body) = send(api.get("/users/@me/guilds?limit=201")).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);

    // Any member of a fixture guild is a known user.
    let (_, members) = send(api.get(&format!("/guilds/{}/members?limit=2", ids[0]))).await;
    let user_id = id(&members[1]["user"]["id"]);
    let (status, user) = send(api.get(&format!("/users/{user_id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(user, members[1]["user"]);
    api.fake.shutdown().await;
}
