//! Slash commands over HTTP: acord's `interactions::Server` as the
//! application's Interactions Endpoint URL, with no gateway connection.
//!
//! Offline (the default): starts acord-testkit's fake Discord and the
//! server on 127.0.0.1:0; the fake checks the endpoint with a PING as the
//! Developer Portal does, then posts a signed `/ping` command and prints
//! the reply; exits 0 — no token, no network:
//! `cargo run -p acord-examples --example http_interactions`.
//!
//! Online: `DISCORD_TOKEN=... DISCORD_PUBLIC_KEY=... cargo run -p
//! acord-examples --example http_interactions` serves on
//! `ACORD_INTERACTIONS_ADDR` (default `127.0.0.1:8080`) until Ctrl-C. Put
//! it behind an HTTPS reverse proxy and enter
//! `https://your.host/interactions` as the Interactions Endpoint URL in the
//! Developer Portal (General Information); the application needs a `/ping`
//! command.

use std::process::ExitCode;
use std::sync::Arc;

use acord::core::http::HttpClient;
use acord::interactions::{InteractionContext, InteractionError, InteractionRouter, Server};
use acord::Http;
use acord_testkit::{fixtures, FakeDiscord, InteractionsEndpointClient};
use serde_json::json;

/// The commands: `/ping` answers with how much of Discord's 3-second
/// window was left.
fn router() -> InteractionRouter {
    InteractionRouter::new().command("ping", |ctx: InteractionContext| async move {
        let left = ctx.time_left().as_millis();
        ctx.reply(format!("pong (answered with {left} ms to spare)"))
            .await?;
        Ok::<_, InteractionError>(())
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let online = std::env::var("DISCORD_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .zip(std::env::var("DISCORD_PUBLIC_KEY").ok());
    let result = match online {
        Some((token, public_key)) => serve(token, public_key).await,
        None => offline().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&*e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

/// A real endpoint: serves until Ctrl-C.
async fn serve(token: String, public_key: String) -> Result<(), Box<dyn std::error::Error>> {
    let addr =
        std::env::var("ACORD_INTERACTIONS_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let http = Http::new(HttpClient::builder(token).build()?);
    let server = Server::builder(public_key, router(), http, Arc::new(()))
        .bind(addr.as_str())
        .await?;
    println!("listening on http://{}/interactions", server.local_addr());
    let stop = server.handle();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.shutdown();
    });
    server.run().await;
    Ok(())
}

/// Against the fake Discord: a PING, then `/ping`.
async fn offline() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakeDiscord::builder().start().await?;
    // Discord's side of the endpoint: its key pair signs every request
    let discord = InteractionsEndpointClient::new(&fake);
    let http = Http::new(
        HttpClient::builder(fake.token())
            .api_base(fake.api_base())
            .build()?,
    );
    let server = Server::builder(discord.public_key(), router(), http, Arc::new(()))
        .bind("127.0.0.1:0")
        .await?;
    let url = format!("http://{}/interactions", server.local_addr());
    let stop = server.handle();
    let running = tokio::spawn(server.run());
    println!("endpoint at {url}");

    let accepted = discord.ping(&url).await?;
    println!("PING answered with PONG, bad signature refused: {accepted}");

    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    let user = fixtures::user(1_200_000_000_000_000_001, "someone");
    let invocation = fixtures::InteractionContext {
        id: 1_400_000_000_000_000_001,
        application_id: fake.bot_user_id(),
        token: "example-token".to_owned(),
        guild_id: Some(guild),
        channel: json!({"id": channel.to_string(), "type": 0}),
        invoker: fixtures::member(&user, &[], "2024-01-01T00:00:00.000000+00:00"),
    };
    let command = fixtures::slash_command_interaction(&invocation, 1, "ping", vec![]);
    let reply = discord.post(&url, &command).await?;
    println!(
        "/ping answered {} in {:?}: {}",
        reply.status,
        reply.elapsed,
        String::from_utf8_lossy(&reply.body)
    );

    stop.shutdown();
    running.await?;
    fake.shutdown().await;
    if !accepted || reply.status != 200 || reply.refused.is_some() {
        return Err("the endpoint did not answer as Discord expects".into());
    }
    Ok(())
}
