//! Answers `ping` with `pong`: a `ShardManager` listening for MESSAGE_CREATE
//! and replying through a raw `Route` (nextcore's quickstart, in Rust).
//!
//! Offline (the default): starts acord-testkit's fake Discord, has a
//! scripted user say `ping`, prints the `pong` the fake received and exits 0:
//! `cargo run -p acord-examples --example gateway_ping`.
//!
//! Online: `DISCORD_TOKEN=... cargo run -p acord-examples --example
//! gateway_ping` runs until Ctrl-C or a fatal close (exit code 1). The bot
//! needs the MESSAGE_CREATE content, so enable MESSAGE_CONTENT in the
//! Developer Portal. `ACORD_API_BASE` and `ACORD_GATEWAY_URL` point it at
//! another REST base (a proxy, a fake) and gateway.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::ExitCode;
use std::time::Duration;

use acord_core_gateway::ShardManager;
use acord_core_http::{HttpClient, Method, Route};
use acord_core_signals::Intents;
use acord_testkit::{FakeDiscord, ShardTarget};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let token = env("DISCORD_TOKEN");
    let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;

    // Offline unless a real token is given: our own fake Discord.
    let fake = match token {
        Some(_) => None,
        None => Some(
            FakeDiscord::builder()
                .privileged_intents(Intents::MESSAGE_CONTENT)
                .start()
                .await?,
        ),
    };
    let token = token.unwrap_or_else(|| {
        fake.as_ref()
            .map(|f| f.token().to_owned())
            .unwrap_or_default()
    });
    let api_base = env("ACORD_API_BASE").or_else(|| fake.as_ref().map(|f| f.api_base().to_owned()));

    let mut http = HttpClient::builder(token.clone()).user_agent_suffix("gateway_ping example");
    if let Some(base) = api_base {
        http = http.api_base(base);
    }
    let http = http.build()?;

    // GET /gateway/bot: URL, recommended shards, session start limit.
    let mut info = http.fetch_gateway_bot().await?;
    if let Some(url) = env("ACORD_GATEWAY_URL") {
        info.url = url;
    }
    println!("gateway {} with {} shard(s)", info.url, info.shards);

    let manager = ShardManager::builder(token, intents, info).build()?;
    let dispatcher = manager.dispatcher();

    // The listener: `ping` -> `pong` through a raw Route.
    let replier = http.clone();
    dispatcher.listen("MESSAGE_CREATE", move |shard, event| {
        let http = replier.clone();
        async move {
            // any parser of a whole JSON text, run on `d` as the shard
            // handed it over (`event.deserialize()` does the same)
            let Some(Ok(message)) = event.parse_text(serde_json::from_str::<Value>) else {
                return;
            };
            if message["author"]["bot"].as_bool() == Some(true) || message["content"] != "ping" {
                return;
            }
            let Some(channel) = message["channel_id"].as_str() else {
                return;
            };
            let route = Route::new(Method::Post, "/channels/{channel_id}/messages")
                .param("channel_id", channel);
            match http
                .request(route)
                .json(&json!({ "content": "pong" }))
                .send()
                .await
            {
                Ok(_) => println!("shard {shard}: answered ping in channel {channel}"),
                Err(e) => eprintln!("shard {shard}: could not answer: {e}"),
            }
        }
    });
    let ready = dispatcher.wait_for(|_, _| true, "READY");
    let fatal = dispatcher.wait_for_fatal();
    manager.start()?;

    let Some(fake) = fake else {
        // Online: run until Ctrl-C or a fatal close.
        tokio::select! {
            r = fatal => {
                if let Ok((shard, error)) = r {
                    eprintln!("shard {shard} stopped: {error}");
                }
                manager.close(false).await;
                return Ok(ExitCode::FAILURE);
            }
            _ = tokio::signal::ctrl_c() => {
                println!("shutting down");
                manager.close(true).await;
                return Ok(ExitCode::SUCCESS);
            }
        }
    };

    // Offline: a scripted user says `ping` once the shard is ready.
    let (shard, _) = tokio::time::timeout(Duration::from_secs(10), ready).await??;
    println!("shard {shard} is ready");
    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    fake.dispatch(
        ShardTarget::All,
        "MESSAGE_CREATE",
        json!({
            "id": "1300000000000000001",
            "channel_id": channel.to_string(),
            "guild_id": guild.to_string(),
            "author": {"id": "1200000000000000001", "username": "scripted_user",
                       "discriminator": "0", "global_name": "Scripted User", "avatar": null},
            "content": "ping",
            "timestamp": "2025-01-01T00:00:00.000000+00:00",
            "edited_timestamp": null, "tts": false, "mention_everyone": false,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": false, "type": 0
        }),
    );
    println!("scripted user said: ping");
    let pong = fake
        .wait_for_request(
            |r| r.method == "POST" && r.path.ends_with(&format!("/channels/{channel}/messages")),
            Duration::from_secs(10),
        )
        .await
        .ok_or("the bot never answered")?;
    let body: Value = serde_json::from_slice(&pong.body)?;
    println!(
        "the fake received {} {} -> {}: {}",
        pong.method, pong.path, pong.status, body
    );
    manager.close(true).await;
    fake.shutdown().await;
    if body["content"] == "pong" {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}
