//! Calls Discord routes through a raw `Route`, the way you reach an endpoint
//! acord has not wrapped yet.
//!
//! Offline (the default): starts acord-testkit's fake Discord and runs
//! against it: `cargo run -p acord-examples --example raw_route`.
//!
//! Online: `DISCORD_TOKEN=... cargo run -p acord-examples --example raw_route`
//! (it only reads: who am I, my guilds, the gateway). `ACORD_API_BASE`
//! points it at a proxy or another base URL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use acord_core_http::{route, HttpClient, HttpError, InMemoryRatelimiter, RatelimitEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("DISCORD_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    // Offline unless a real token is given.
    let fake = match token {
        Some(_) => None,
        None => Some(
            acord_testkit::FakeDiscord::builder()
                .bucket_limit(2)
                .bucket_window(Duration::from_millis(300))
                .start()
                .await?,
        ),
    };
    let api_base = std::env::var("ACORD_API_BASE")
        .ok()
        .or_else(|| fake.as_ref().map(|f| f.api_base().to_owned()));
    let token = token.unwrap_or_else(|| {
        fake.as_ref()
            .map(|f| f.token().to_owned())
            .unwrap_or_default()
    });

    // Every wait and 429 is observable.
    let limiter = InMemoryRatelimiter::builder()
        .on_event(|event| match event {
            RatelimitEvent::Wait {
                key, reason, wait, ..
            } => {
                println!("  (waiting {wait:?} on {key}: {reason})");
            }
            RatelimitEvent::RateLimited {
                key,
                scope,
                retry_after,
                ..
            } => {
                println!("  (429 {scope} on {key}, retry after {retry_after:?})");
            }
            _ => {}
        })
        .build();
    let mut builder = HttpClient::builder(token)
        .ratelimiter(Arc::new(limiter))
        .user_agent_suffix("raw_route example");
    if let Some(base) = &api_base {
        builder = builder.api_base(base.clone());
    }
    let http = builder.build()?;

    let me = http.login().await?;
    println!("logged in as {} ({})", me.username, me.id);
    let gateway = http.fetch_gateway_bot().await?;
    println!(
        "gateway {} with {} recommended shard(s)",
        gateway.url, gateway.shards
    );

    // A raw route: GET /users/@me/guilds.
    let guilds: Vec<Value> = http
        .request(route!(GET "/users/@me/guilds"))
        .query("limit", 10)
        .send()
        .await?
        .json()?;
    println!("in {} guild(s)", guilds.len());

    if let Some(fake) = &fake {
        // Offline only: read a guild's roles five times. The fake allows two
        // per 300 ms, so the limiter spaces them out instead of collecting 429s.
        let guild = fake.guild_ids()[0];
        for _ in 0..5 {
            let roles: Vec<Value> = http
                .request(route!(GET "/guilds/{guild_id}/roles", guild_id = guild))
                .send()
                .await?
                .json()?;
            println!("guild {guild} has {} roles", roles.len());
        }
        // Leave a guild: the example from ACord's low-level guide.
        http.request(route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = guild))
            .send()
            .await?;
        println!("left guild {guild}");
        // A route parameter that is forgotten is an error, not a panic.
        let err = http
            .request(acord_core_http::Route::new(
                acord_core_http::Method::Delete,
                "/users/@me/guilds/{guild_id}",
            ))
            .send()
            .await;
        if let Err(e @ HttpError::Route(_)) = err {
            println!("as expected: {e}");
        }
        println!("429s collected: {}", fake.counters().rate_limited);
        fake.shutdown().await;
    }
    Ok(())
}
