//! `acord-interop`: points twilight at a running `acord-testkit serve`.
//!
//! ```text
//! acord-testkit serve --bucket-window-ms 500 | acord-interop
//! ```
//!
//! Reads serve's one JSON line `{api_base, gateway_url, token}` from stdin,
//! then: a twilight shard connects to `gateway_url`, identifies, receives
//! READY and one GUILD_CREATE per guild; twilight-http sends 30
//! create-message requests over 3 channels to `api_base`. Prints the
//! figures; exits 1 on any failure.
//!
//! (twilight-gateway sends the token as `Bot <token>` in IDENTIFY, which
//! the fake accepts as Discord does; see README.md, finding 1.)

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use twilight_gateway::{ConfigBuilder, EventTypeFlags, Intents, Message, Shard, ShardId};
use twilight_model::channel::ChannelType;
use twilight_model::gateway::event::{DispatchEvent, GatewayEvent};
use twilight_model::gateway::payload::incoming::GuildCreate;

type Error = Box<dyn std::error::Error + Send + Sync>;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("acord-interop: FAILED: {err}");
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
    println!("serve: api_base {api_base}, gateway_url {gateway_url}");

    // Gateway.
    let started = Instant::now();
    let config = ConfigBuilder::new(token.clone(), Intents::GUILDS | Intents::GUILD_MESSAGES)
        .proxy_url(gateway_url.clone())
        .build();
    let mut shard = Shard::with_config(ShardId::ONE, config);
    let mut expected: Option<BTreeSet<u64>> = None;
    let mut created = BTreeSet::new();
    let mut text_channels = Vec::new();
    while expected.as_ref().is_none_or(|e| created.len() < e.len()) {
        let message = tokio::time::timeout(WAIT, shard.next())
            .await
            .map_err(|_| "no gateway message in time")?
            .ok_or("the shard stream ended (fatal close?)")??;
        let json = match message {
            Message::Close(frame) => return Err(format!("gateway closed: {frame:?}").into()),
            Message::Text(json) => json,
        };
        let raw: serde_json::Value = serde_json::from_str(&json)?;
        if raw["t"] == "READY" {
            // Raw on purpose: twilight-model's CurrentUser needs
            // `mfa_enabled` (README.md, finding 2).
            let guilds = raw["d"]["guilds"]
                .as_array()
                .ok_or("READY without guilds")?;
            let ids = guilds
                .iter()
                .filter_map(|g| g["id"].as_str()?.parse().ok())
                .collect();
            expected = Some(ids);
            continue;
        }
        if let Some(GatewayEvent::Dispatch(_, DispatchEvent::GuildCreate(guild))) =
            twilight_gateway::parse(json, EventTypeFlags::GUILD_CREATE)?
        {
            if let GuildCreate::Available(guild) = *guild {
                text_channels.extend(
                    guild
                        .channels
                        .iter()
                        .filter(|c| c.kind == ChannelType::GuildText)
                        .map(|c| c.id),
                );
                created.insert(guild.id.get());
            }
        }
    }
    if expected.as_ref() != Some(&created) {
        return Err(format!("READY listed {expected:?}, GUILD_CREATE came for {created:?}").into());
    }
    println!(
        "gateway: READY + {} GUILD_CREATE in {:?}",
        created.len(),
        started.elapsed()
    );

    // REST: a burst over three channels, twilight's limiter decides.
    let host = api_base
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/api"))
        .ok_or_else(|| format!("unexpected api_base {api_base}"))?
        .to_owned();
    let http = Arc::new(
        twilight_http::Client::builder()
            .token(format!("Bot {token}"))
            .proxy(host, true)
            .timeout(WAIT)
            .build(),
    );
    if text_channels.len() < 3 {
        return Err(format!("only {} text channels", text_channels.len()).into());
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..30 {
        let http = Arc::clone(&http);
        let channel = text_channels[n % 3];
        tasks.push(tokio::spawn(async move {
            http.create_message(channel)
                .content(&format!("interop {n}"))
                .await
                .map(|response| response.status().get())
        }));
    }
    for task in tasks {
        let status = task.await??;
        if status != 200 {
            return Err(format!("create-message answered {status}").into());
        }
    }
    println!(
        "rest: 30 create-message over 3 channels, all 200, in {:?}",
        started.elapsed()
    );
    let me = http.current_user().await?.text().await?;
    let me: serde_json::Value = serde_json::from_str(&me)?;
    println!("rest: GET /users/@me → {}", me["username"]);
    shard.close(twilight_gateway::CloseFrame::NORMAL);
    Ok(())
}
