//! `pingpong`: a twilight bot for `interop/run.sh`.
//!
//! ```text
//! acord-testkit serve --privileged-intents | pingpong
//! ```
//!
//! Reads serve's JSON line `{api_base, gateway_url, token, ...}` from stdin
//! (the only change from a bot aimed at Discord: the two URLs), connects a
//! twilight shard with GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT, prints
//! `READY` once READY and every GUILD_CREATE arrived, and answers every
//! `ping` from a user with `pong` through twilight-http, until killed.

use std::collections::BTreeSet;
use std::process::ExitCode;

use futures_util::StreamExt as _;
use twilight_gateway::{ConfigBuilder, EventTypeFlags, Intents, Message, Shard, ShardId};
use twilight_model::gateway::event::{DispatchEvent, GatewayEvent};
use twilight_model::id::Id;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pingpong: FAILED: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let serve: serde_json::Value = serde_json::from_str(&line)?;
    let field = |name: &str| {
        serve[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("serve's line has no `{name}`: {line}"))
    };
    let (api_base, gateway_url, token) =
        (field("api_base")?, field("gateway_url")?, field("token")?);
    let host = api_base
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/api"))
        .ok_or_else(|| format!("unexpected api_base {api_base}"))?
        .to_owned();
    let http = twilight_http::Client::builder()
        .token(format!("Bot {token}"))
        .proxy(host, true)
        .build();

    let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
    let config = ConfigBuilder::new(token, intents)
        .proxy_url(gateway_url)
        .build();
    let mut shard = Shard::with_config(ShardId::ONE, config);
    let mut pending: Option<BTreeSet<u64>> = None;
    let mut bot_id = 0u64;
    let flags = EventTypeFlags::GUILD_CREATE | EventTypeFlags::MESSAGE_CREATE;
    while let Some(message) = shard.next().await {
        let json = match message? {
            Message::Close(frame) => return Err(format!("gateway closed: {frame:?}").into()),
            Message::Text(json) => json,
        };
        let raw: serde_json::Value = serde_json::from_str(&json)?;
        if raw["t"] == "READY" {
            bot_id = raw["d"]["user"]["id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .ok_or("READY without user.id")?;
            let guilds = raw["d"]["guilds"]
                .as_array()
                .ok_or("READY without guilds")?;
            pending = Some(
                guilds
                    .iter()
                    .filter_map(|g| g["id"].as_str()?.parse().ok())
                    .collect(),
            );
        }
        match twilight_gateway::parse(json, flags)? {
            Some(GatewayEvent::Dispatch(_, DispatchEvent::GuildCreate(guild))) => {
                if let Some(pending) = pending.as_mut() {
                    pending.remove(&guild.id().get());
                }
            }
            Some(GatewayEvent::Dispatch(_, DispatchEvent::MessageCreate(message))) => {
                if message.author.id.get() != bot_id && message.content == "ping" {
                    let channel = Id::new(message.channel_id.get());
                    http.create_message(channel).content("pong").await?;
                    println!("answered ping in {channel}");
                }
            }
            _ => {}
        }
        if pending.as_ref().is_some_and(BTreeSet::is_empty) {
            println!("READY");
            pending = None;
        }
    }
    Err("the shard stream ended".into())
}
