//! How acord's caches apply an event to a value they keep: the same rules
//! for [`InMemoryCache`](super::InMemoryCache) and for a store of your own
//! (acord-redis' cache uses them), so every store agrees on what a cached
//! message, guild or voice state looks like after an event.

use crate::event::{MessageReactionAdd, MessageReactionRemove, MessageUpdate};
use crate::model::{
    Channel, Guild, GuildId, Message, PartialEmoji, Reaction, ReactionCountDetails, VoiceState,
};

/// The guild as kept on its own: the lists a GUILD_CREATE carries (roles,
/// emojis, members, channels, …) left empty, as a cache keeps them apart.
/// The guild object without its lists (they are kept apart).
pub fn guild_shell(g: &Guild) -> Guild {
    Guild {
        id: g.id,
        name: g.name.clone(),
        icon: g.icon.clone(),
        icon_hash: g.icon_hash.clone(),
        splash: g.splash.clone(),
        discovery_splash: g.discovery_splash.clone(),
        owner: g.owner,
        owner_id: g.owner_id,
        permissions: g.permissions,
        region: g.region.clone(),
        afk_channel_id: g.afk_channel_id,
        afk_timeout: g.afk_timeout,
        widget_enabled: g.widget_enabled,
        widget_channel_id: g.widget_channel_id,
        verification_level: g.verification_level,
        default_message_notifications: g.default_message_notifications,
        explicit_content_filter: g.explicit_content_filter,
        roles: Vec::new(),
        emojis: Vec::new(),
        features: g.features.clone(),
        mfa_level: g.mfa_level,
        application_id: g.application_id,
        system_channel_id: g.system_channel_id,
        system_channel_flags: g.system_channel_flags,
        rules_channel_id: g.rules_channel_id,
        max_presences: g.max_presences,
        max_members: g.max_members,
        vanity_url_code: g.vanity_url_code.clone(),
        description: g.description.clone(),
        banner: g.banner.clone(),
        premium_tier: g.premium_tier,
        premium_subscription_count: g.premium_subscription_count,
        preferred_locale: g.preferred_locale.clone(),
        public_updates_channel_id: g.public_updates_channel_id,
        max_video_channel_users: g.max_video_channel_users,
        max_stage_video_channel_users: g.max_stage_video_channel_users,
        approximate_member_count: g.approximate_member_count,
        approximate_presence_count: g.approximate_presence_count,
        welcome_screen: g.welcome_screen.clone(),
        nsfw_level: g.nsfw_level,
        stickers: Vec::new(),
        premium_progress_bar_enabled: g.premium_progress_bar_enabled,
        safety_alerts_channel_id: g.safety_alerts_channel_id,
        incidents_data: g.incidents_data.clone(),
        joined_at: g.joined_at,
        large: g.large,
        unavailable: g.unavailable,
        member_count: g.member_count,
        voice_states: Vec::new(),
        members: Vec::new(),
        channels: Vec::new(),
        threads: Vec::new(),
        presences: Vec::new(),
        stage_instances: Vec::new(),
        guild_scheduled_events: Vec::new(),
        soundboard_sounds: Vec::new(),
    }
}

/// The channel with its guild set: GUILD_CREATE's channels and threads
/// leave `guild_id` out.
/// A channel from a guild's lists, which leave out `guild_id`.
pub fn channel_in_guild(ch: &Channel, guild_id: GuildId) -> Channel {
    let mut ch = ch.clone();
    ch.guild_id = Some(guild_id);
    ch
}

/// The voice state without its member, which a cache keeps apart.
/// A voice state without its `member` (kept apart, as a member).
pub fn voice_state_without_member(v: &VoiceState) -> VoiceState {
    VoiceState {
        member: None,
        ..v.clone()
    }
}

/// Two reaction emojis are the same: by id for custom ones, by name for
/// Unicode ones.
pub fn same_emoji(a: &PartialEmoji, b: &PartialEmoji) -> bool {
    match (a.id, b.id) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.name == b.name,
        _ => false,
    }
}

/// Applies a MESSAGE_UPDATE to the message: the fields it carries replace
/// the kept ones.
/// Applies the fields a MESSAGE_UPDATE carries.
pub fn message_update(m: &mut Message, u: &MessageUpdate) {
    if let Some(v) = &u.content {
        m.content.clone_from(v);
    }
    if u.edited_timestamp.is_some() {
        m.edited_timestamp = u.edited_timestamp;
    }
    if let Some(v) = u.mention_everyone {
        m.mention_everyone = v;
    }
    if let Some(v) = &u.mentions {
        m.mentions.clone_from(v);
    }
    if let Some(v) = &u.mention_roles {
        m.mention_roles.clone_from(v);
    }
    if let Some(v) = &u.attachments {
        m.attachments.clone_from(v);
    }
    if let Some(v) = &u.embeds {
        m.embeds.clone_from(v);
    }
    if let Some(v) = &u.reactions {
        m.reactions.clone_from(v);
    }
    if let Some(v) = u.pinned {
        m.pinned = v;
    }
    if let Some(v) = u.flags {
        m.flags = v;
    }
    if let Some(v) = &u.components {
        m.components.clone_from(v);
    }
    if let Some(v) = &u.sticker_items {
        m.sticker_items.clone_from(v);
    }
    if let Some(v) = &u.poll {
        m.poll = Some(v.clone());
    }
    if let Some(v) = &u.thread {
        m.thread = Some(v.clone());
    }
}

/// Counts a MESSAGE_REACTION_ADD on the message; `me` when the reacting
/// user is the bot.
pub fn reaction_add(m: &mut Message, r: &MessageReactionAdd, me: bool) {
    match m
        .reactions
        .iter_mut()
        .find(|x| same_emoji(&x.emoji, &r.emoji))
    {
        Some(x) => {
            x.count += 1;
            if r.burst {
                x.count_details.burst += 1;
                x.me_burst |= me;
            } else {
                x.count_details.normal += 1;
                x.me |= me;
            }
        }
        None => m.reactions.push(Reaction {
            count: 1,
            count_details: ReactionCountDetails {
                burst: u32::from(r.burst),
                normal: u32::from(!r.burst),
            },
            me: me && !r.burst,
            me_burst: me && r.burst,
            emoji: r.emoji.clone(),
            burst_colors: r.burst_colors.clone(),
        }),
    }
}

/// Uncounts a MESSAGE_REACTION_REMOVE; a reaction whose count reaches 0
/// goes. `me` when the user is the bot.
pub fn reaction_remove(m: &mut Message, r: &MessageReactionRemove, me: bool) {
    if let Some(x) = m
        .reactions
        .iter_mut()
        .find(|x| same_emoji(&x.emoji, &r.emoji))
    {
        x.count = x.count.saturating_sub(1);
        if r.burst {
            x.count_details.burst = x.count_details.burst.saturating_sub(1);
            x.me_burst &= !me;
        } else {
            x.count_details.normal = x.count_details.normal.saturating_sub(1);
            x.me &= !me;
        }
    }
    m.reactions.retain(|x| x.count > 0);
}

/// Drops every reaction with this emoji (MESSAGE_REACTION_REMOVE_EMOJI).
pub fn reaction_remove_emoji(m: &mut Message, emoji: &PartialEmoji) {
    m.reactions.retain(|x| !same_emoji(&x.emoji, emoji));
}
