//! A counter button that survives a restart: the count lives in the
//! button's `custom_id` (`count:41`), so the router needs no memory, and a
//! bot started again handles buttons sent by the one before.
//!
//! Offline against acord-testkit: `cargo run --example buttons`. A member
//! clicks the button of a message; the bot restarts; the member clicks
//! the updated button; both updates are printed as the fake received them.

use std::time::Duration;

use acord::command::{ActionRowBuilder, ButtonBuilder, InteractionMessage};
use acord::interactions::{HandlerError, InteractionContext, InteractionRouter};
use acord::model::ButtonStyle;
use acord::{Client, Intents};
use acord_testkit::fixtures::{self, InteractionContext as Invocation};
use acord_testkit::{FakeDiscord, ShardTarget};
use serde_json::Value;
use tokio::sync::mpsc;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The message with a counter at `n`.
fn counter(n: u64) -> Result<InteractionMessage, HandlerError> {
    let button = ButtonBuilder::new(ButtonStyle::Primary, format!("count:{n}"))
        .label(format!("Clicked {n} times"))
        .build()?;
    Ok(InteractionMessage::builder()
        .content("Click the button")
        .component(ActionRowBuilder::new().push(button).build()?)
        .build()?)
}

async fn click(ctx: InteractionContext) -> Result<(), HandlerError> {
    let n: u64 = ctx.custom_id().unwrap_or_default()["count:".len()..].parse()?;
    ctx.update_message(counter(n + 1)?).await?;
    Ok(())
}

/// Runs a bot until it handled one click; returns what the fake received.
async fn run_once(fake: &FakeDiscord, message: &Value, clicks: u64) -> Result<Value, Error> {
    let (ready_tx, mut ready) = mpsc::channel(1);
    let client = Client::builder(fake.token(), Intents::GUILDS)
        .api_base(fake.api_base())
        .interactions(InteractionRouter::new().component("count:", click))
        .on::<acord::event::kind::Ready, _, _>(move |_, _| {
            let ready_tx = ready_tx.clone();
            async move {
                let _ = ready_tx.send(()).await;
            }
        })
        .build()
        .await?;
    let stop = client.shutdown_handle();
    let drive = async {
        tokio::time::timeout(Duration::from_secs(10), ready.recv()).await?;
        let guild = fake.guild_ids()[0];
        let channel = fake.channel_ids(guild)[0];
        let user = fixtures::user(1_200_000_000_000_000_001, "scripted_user");
        let invocation = Invocation {
            id: 1_400_000_000_000_000_000 + clicks,
            application_id: fake.bot_user_id(),
            token: format!("click-{clicks}"),
            guild_id: Some(guild),
            channel: serde_json::json!({"id": channel.to_string(), "type": 0}),
            invoker: fixtures::member(&user, &[], "2024-01-01T00:00:00.000000+00:00"),
        };
        let custom_id = message["components"][0]["components"][0]["custom_id"]
            .as_str()
            .unwrap_or("count:0")
            .to_owned();
        let press = fixtures::component_interaction(&invocation, message, &custom_id, 2, None);
        fake.dispatch(ShardTarget::All, "INTERACTION_CREATE", press);
        let answer = fake
            .wait_for_request(
                |r| {
                    r.path
                        .contains(&format!("/interactions/{}/", invocation.id))
                },
                Duration::from_secs(10),
            )
            .await
            .ok_or("the bot did not answer")?;
        stop.shutdown();
        Ok::<_, Error>(serde_json::from_slice::<Value>(&answer.body)?)
    };
    let (run, answer) = tokio::join!(client.start(), drive);
    run?;
    answer
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let fake = FakeDiscord::builder().start().await?;
    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    // the message the bot sent earlier: a counter at 41
    let mut message = fixtures::message(
        1_300_000_000_000_000_041,
        channel,
        Some(guild),
        &fixtures::bot_user(fake.bot_user_id(), "bot"),
        "Click the button",
    );
    message["components"] = serde_json::to_value(&counter(41)?.components)?;

    let first = run_once(&fake, &message, 1).await?;
    println!(
        "first bot updated the message to: {}",
        first["data"]["components"][0]["components"][0]["label"]
    );
    // the bot restarts; the member clicks the updated button
    message["components"] = first["data"]["components"].clone();
    let second = run_once(&fake, &message, 2).await?;
    println!(
        "restarted bot updated it to:       {}",
        second["data"]["components"][0]["components"][0]["label"]
    );
    fake.shutdown().await;
    Ok(())
}
