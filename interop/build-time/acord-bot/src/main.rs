use acord::model::Message;
use acord::{Client, Context, EventHandler, Intents};

struct PingPong;

impl EventHandler for PingPong {
    async fn message_create(&self, ctx: Context, msg: Box<Message>) {
        if msg.content == "ping" {
            let _ = msg.channel_id.say(&ctx, "pong").await;
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), acord::ClientError> {
    let token = std::env::var("DISCORD_TOKEN").unwrap_or_default();
    let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
    let client = Client::builder(token, intents).event_handler(PingPong).build().await?;
    client.start().await
}
