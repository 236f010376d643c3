//! Helpers for acord's end-to-end tests: a fake Discord with the
//! privileged intents a ping-pong bot needs, a client builder pointed at
//! it, and payloads of scripted users.

use std::time::Duration;

use acord::{ClientBuilder, Intents};
use acord_testkit::{fixtures, FakeDiscord};
use serde_json::Value;

/// How long any single step of a test may take.
pub const STEP: Duration = Duration::from_secs(10);

/// The intents of a bot that reads messages.
pub fn intents() -> Intents {
    Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT
}

/// A fake Discord that lets the bot use MESSAGE_CONTENT.
///
/// # Panics
/// If the fake cannot start (a test failure).
pub async fn fake() -> FakeDiscord {
    FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .start()
        .await
        .expect("the fake Discord starts")
}

/// A client builder with the fake's token, pointed at the fake.
pub fn client(fake: &FakeDiscord) -> ClientBuilder {
    acord::Client::builder(fake.token(), intents()).api_base(fake.api_base())
}

/// A MESSAGE_CREATE payload of a scripted (non-bot) user.
pub fn user_message(id: u64, guild: u64, channel: u64, content: &str) -> Value {
    let author = fixtures::user(1_200_000_000_000_000_001, "scripted_user");
    fixtures::message(id, channel, Some(guild), &author, content)
}

/// The first guild and its first channel.
pub fn first_channel(fake: &FakeDiscord) -> (u64, u64) {
    let guild = fake.guild_ids()[0];
    (guild, fake.channel_ids(guild)[0])
}
