//! A `/ping` slash command on acord's interaction router.
//!
//! Offline (the default): starts acord-testkit's fake Discord, registers
//! `/ping` there, has a scripted member run it, prints the reply as the
//! fake received it, and exits 0: `cargo run --example slash_command`.
//!
//! Online: `DISCORD_TOKEN=... cargo run --example slash_command` registers
//! `/ping` globally (it can take a moment to appear in Discord's client)
//! and answers it until Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use acord::command::{CommandBuilder, CommandOptionBuilder};
use acord::interactions::{InteractionContext, InteractionError, InteractionRouter};
use acord::model::CommandOptionType;
use acord::{Client, Intents};
use acord_testkit::{FakeDiscord, Invoker};
use tokio::sync::Notify;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// `/ping [echo]`: answers "pong" (or the echo) and how much of the 3 s
/// window was left.
async fn ping(ctx: InteractionContext) -> Result<(), InteractionError> {
    let left = ctx.time_left().as_millis();
    let text = ctx.options().string("echo").unwrap_or("pong");
    ctx.reply(format!("{text} ({left} ms of the 3 s window left)"))
        .await
}

fn router() -> InteractionRouter {
    InteractionRouter::new().command("ping", ping)
}

fn commands() -> Result<Vec<acord::command::CommandDefinition>, Error> {
    let echo =
        CommandOptionBuilder::new(CommandOptionType::String, "echo", "Say this instead").build()?;
    Ok(vec![CommandBuilder::chat_input(
        "ping",
        "Is the bot there?",
    )
    .option(echo)
    .build()?])
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match std::env::var("DISCORD_TOKEN") {
        Ok(token) if !token.trim().is_empty() => online(token).await,
        _ => offline().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn online(token: String) -> Result<(), Error> {
    let client = Client::builder(token, Intents::empty())
        .interactions(router())
        .build()
        .await?;
    let app = client.http().current_application_id().await?;
    client.http().set_global_commands(app, &commands()?).await?;
    let shutdown = client.shutdown_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            shutdown.shutdown();
        }
    });
    Ok(client.start().await?)
}

async fn offline() -> Result<(), Error> {
    let fake = FakeDiscord::builder().start().await?;
    println!(
        "no DISCORD_TOKEN: running against the fake Discord at {}",
        fake.api_base()
    );
    let ready = Arc::new(Notify::new());
    let on_ready = ready.clone();
    let client = Client::builder(fake.token(), Intents::GUILDS)
        .api_base(fake.api_base())
        .interactions(router())
        .on::<acord::event::kind::Ready, _, _>(move |_, _| {
            let on_ready = on_ready.clone();
            async move { on_ready.notify_one() }
        })
        .build()
        .await?;
    let client = Arc::new(client);
    let running = {
        let client = client.clone();
        tokio::spawn(async move { client.start().await })
    };
    tokio::time::timeout(Duration::from_secs(10), ready.notified()).await?;

    let app = client.http().current_application_id().await?;
    let registered = client.http().set_global_commands(app, &commands()?).await?;
    println!("registered /{}", registered[0].name);

    // a member of the first guild runs `/ping echo: hello`; the fake builds
    // the interaction from the registered command, as Discord would
    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    let options = serde_json::json!({"echo": "hello"});
    let interaction = fake.command_interaction(
        Invoker::in_channel(channel),
        "ping",
        options.as_object().ok_or("options")?,
    )?;
    let id = interaction["id"].as_str().ok_or("id")?.to_owned();
    fake.send_interaction(&interaction);
    println!("a member ran: /ping echo: hello");

    let reply = fake
        .wait_for_request(
            |r| r.path.starts_with(&format!("/api/v10/interactions/{id}/")),
            Duration::from_secs(10),
        )
        .await
        .ok_or("the bot did not answer")?;
    println!(
        "the fake received: {}",
        String::from_utf8_lossy(&reply.body)
    );

    client.shutdown_handle().shutdown();
    running.await??;
    fake.shutdown().await;
    Ok(())
}
