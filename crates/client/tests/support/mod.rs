//! The fake Discord and a typed REST client pointed at it, shared by the
//! `http_*` tests.
#![allow(dead_code, clippy::unwrap_used)]

use acord::core::http::HttpClient;
use acord::model::{ChannelId, GuildId};
use acord::Http;
use acord_testkit::FakeDiscord;

pub struct Setup {
    pub fake: FakeDiscord,
    pub http: Http,
    pub guild: GuildId,
    pub channel: ChannelId,
}

/// A fake with `guilds` guilds of `members` members each (rate limits
/// off), and the first guild and its first channel.
pub async fn setup_with(guilds: usize, members: usize) -> Setup {
    let fake = FakeDiscord::builder()
        .guilds(guilds)
        .members_per_guild(members)
        .rate_limits(false)
        .start()
        .await
        .unwrap();
    let http = http_for(&fake);
    let guild_raw = fake.guild_ids()[0];
    let channel = ChannelId::new(fake.channel_ids(guild_raw)[0]).unwrap();
    Setup {
        guild: GuildId::new(guild_raw).unwrap(),
        channel,
        http,
        fake,
    }
}

/// A typed REST client with the fake's token and base.
pub fn http_for(fake: &FakeDiscord) -> Http {
    Http::new(
        HttpClient::builder(fake.token())
            .api_base(fake.api_base())
            .build()
            .unwrap(),
    )
}
