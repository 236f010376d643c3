use std::sync::Arc;

use twilight_gateway::{Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt as _};
use twilight_http::Client;

#[tokio::main]
async fn main() {
    // twilight leaves the choice of rustls crypto provider to the bot.
    rustls::crypto::ring::default_provider()
        .install_default()
        .expect("no other provider installed");
    let token = std::env::var("DISCORD_TOKEN").unwrap_or_default();
    let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
    let mut shard = Shard::new(ShardId::ONE, token.clone(), intents);
    let http = Arc::new(Client::new(token));
    while let Some(item) = shard.next_event(EventTypeFlags::MESSAGE_CREATE).await {
        let Ok(Event::MessageCreate(msg)) = item else {
            continue;
        };
        if msg.content == "ping" {
            let _ = http.create_message(msg.channel_id).content("pong").await;
        }
    }
}
