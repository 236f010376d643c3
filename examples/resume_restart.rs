//! Resuming across a restart: a bot stops with `shutdown_resumable`, saves
//! its shards' sessions as JSON, and the "next process" resumes them: it
//! gets RESUMED instead of READY, and the message a user sent while no
//! process ran arrives once.
//!
//! Offline against acord-testkit: `cargo run --example resume_restart`.
//! (Discord keeps a session resumable for a few minutes; store the saved
//! sessions like the token.)

use std::time::Duration;

use acord::core::gateway::Session;
use acord::event::kind::{MessageCreate, Ready, Resumed};
use acord::{Client, Intents};
use acord_testkit::FakeDiscord;
use tokio::sync::mpsc;

type Error = Box<dyn std::error::Error + Send + Sync>;

const STEP: Duration = Duration::from_secs(10);

fn intents() -> Intents {
    Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let fake = FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .start()
        .await?;

    // the first process: connect, then stop keeping the session
    let (ready_tx, mut ready) = mpsc::channel(1);
    let bot = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .on::<Ready, _, _>(move |_, ready| {
            let ready_tx = ready_tx.clone();
            async move {
                println!("first process: READY as {}", ready.user.username);
                let _ = ready_tx.send(()).await;
            }
        })
        .build()
        .await?;
    let stop = bot.shutdown_handle();
    let run = async {
        tokio::time::timeout(STEP, ready.recv()).await?;
        stop.shutdown_resumable();
        Ok::<_, Error>(())
    };
    let (started, waited) = tokio::join!(bot.start(), run);
    started?;
    waited?;
    let saved = serde_json::to_string(&bot.sessions())?;
    println!(
        "saved {} session(s): {} bytes of JSON",
        bot.sessions().len(),
        saved.len()
    );

    // while no process runs, a user says something
    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    fake.send_user_message(channel, None, "said while the bot was down")?;

    // the next process: resume the saved sessions
    let sessions: Vec<Session> = serde_json::from_str(&saved)?;
    let (got_tx, mut got) = mpsc::channel(1);
    let bot = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .sessions(sessions)
        .on::<Resumed, _, _>(|ctx, _| async move {
            println!("next process: RESUMED on shard {}", ctx.shard_id());
        })
        .on::<MessageCreate, _, _>(move |_, msg| {
            let got_tx = got_tx.clone();
            async move {
                println!("next process: replayed message {:?}", msg.content);
                let _ = got_tx.send(()).await;
            }
        })
        .build()
        .await?;
    let stop = bot.shutdown_handle();
    let run = async {
        tokio::time::timeout(STEP, got.recv()).await?;
        stop.shutdown();
        Ok::<_, Error>(())
    };
    let (started, waited) = tokio::join!(bot.start(), run);
    started?;
    waited?;
    let counters = fake.counters();
    println!(
        "the fake saw {} IDENTIFY and {} RESUME",
        counters.identifies, counters.resumes
    );
    fake.shutdown().await;
    Ok(())
}
