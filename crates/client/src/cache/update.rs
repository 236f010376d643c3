//! Applying one event to the in-memory cache.

use std::sync::Arc;

use dashmap::mapref::entry::Entry;

use super::patch;
use super::{
    CachedMember, CachedUser, GuildEntry, InMemoryCache, Previous, ResourceType, UserEntry,
};
use crate::event::Event;
use crate::event::{GuildCreate, GuildMemberUpdate, MessageUpdate, ThreadListSync};
use crate::model::{
    Channel, ChannelId, Guild, GuildId, Member, Message, MessageId, Presence, User, UserId,
};

/// Applies `event` to `c`; returns what it replaced or removed.
pub(super) fn apply(c: &InMemoryCache, event: &Event) -> Previous {
    let keep = c.config.kept();
    match event {
        Event::Ready(ready) => {
            if keep.contains(ResourceType::USER) {
                set_current_user(c, &ready.user);
            }
            if keep.intersects(guild_scoped()) {
                for g in &ready.guilds {
                    if !c.guilds.contains_key(&g.id) {
                        c.unavailable.insert(g.id, ());
                    }
                }
            }
            Previous::None
        }
        Event::GuildCreate(create) => match &**create {
            GuildCreate::Available(g) => {
                guild_create(c, g);
                Previous::None
            }
            GuildCreate::Unavailable(u) => {
                let previous = remove_guild(c, u.id);
                c.unavailable.insert(u.id, ());
                previous
            }
        },
        Event::GuildUpdate(g) => guild_update(c, g),
        Event::GuildDelete(u) => {
            let previous = remove_guild(c, u.id);
            if u.unavailable == Some(true) {
                c.unavailable.insert(u.id, ());
            } else {
                c.unavailable.remove(&u.id);
            }
            previous
        }
        Event::ChannelCreate(ch) | Event::ThreadCreate(ch) => {
            upsert_channel(c, ch, ch.guild_id);
            Previous::None
        }
        Event::ChannelUpdate(ch) | Event::ThreadUpdate(ch) => upsert_channel(c, ch, ch.guild_id),
        Event::ChannelDelete(ch) => remove_channel(c, ch.id, ch.guild_id),
        Event::ThreadDelete(t) => remove_channel(c, t.id, Some(t.guild_id)),
        Event::ThreadListSync(sync) => {
            if keep.contains(ResourceType::CHANNEL) {
                thread_list_sync(c, sync);
            }
            Previous::None
        }
        Event::ChannelPinsUpdate(p) => {
            if keep.contains(ResourceType::CHANNEL) {
                if let Some(mut ch) = c.channels.get_mut(&p.channel_id) {
                    Arc::make_mut(&mut ch).last_pin_timestamp = p.last_pin_timestamp;
                }
            }
            Previous::None
        }
        Event::GuildRoleCreate(r) | Event::GuildRoleUpdate(r) => {
            if !keep.contains(ResourceType::ROLE) {
                return Previous::None;
            }
            let Some(mut g) = c.guilds.get_mut(&r.guild_id) else {
                return Previous::None;
            };
            g.roles
                .insert(r.role.id, Arc::new(r.role.clone()))
                .map_or(Previous::None, Previous::Role)
        }
        Event::GuildRoleDelete(d) => {
            if !keep.contains(ResourceType::ROLE) {
                return Previous::None;
            }
            c.guilds
                .get_mut(&d.guild_id)
                .and_then(|mut g| g.roles.remove(&d.role_id))
                .map_or(Previous::None, Previous::Role)
        }
        Event::GuildMemberAdd(a) => {
            if let Some(user) = &a.member.user {
                upsert_member(c, a.guild_id, user, &a.member);
            }
            Previous::None
        }
        Event::GuildMemberUpdate(u) => member_update(c, u),
        Event::GuildMemberRemove(r) => remove_member(c, r.guild_id, r.user.id),
        Event::GuildMembersChunk(chunk) => {
            for m in &chunk.members {
                if let Some(user) = &m.user {
                    upsert_member(c, chunk.guild_id, user, m);
                }
            }
            if keep.contains(ResourceType::PRESENCE) && !chunk.presences.is_empty() {
                if let Some(mut g) = c.guilds.get_mut(&chunk.guild_id) {
                    for p in &chunk.presences {
                        g.presences.insert(p.user.id, Arc::new(p.clone()));
                    }
                }
            }
            Previous::None
        }
        Event::UserUpdate(user) => {
            if !keep.contains(ResourceType::USER) {
                return Previous::None;
            }
            let previous = set_current_user(c, user);
            refresh_user(c, user);
            previous.map_or(Previous::None, Previous::CurrentUser)
        }
        Event::GuildEmojisUpdate(e) => {
            if !keep.contains(ResourceType::EMOJI) {
                return Previous::None;
            }
            c.guilds
                .get_mut(&e.guild_id)
                .and_then(|mut g| g.emojis.replace(e.emojis.as_slice().into()))
                .map_or(Previous::None, Previous::Emojis)
        }
        Event::GuildStickersUpdate(s) => {
            if !keep.contains(ResourceType::STICKER) {
                return Previous::None;
            }
            c.guilds
                .get_mut(&s.guild_id)
                .and_then(|mut g| g.stickers.replace(s.stickers.as_slice().into()))
                .map_or(Previous::None, Previous::Stickers)
        }
        Event::PresenceUpdate(p) => presence_update(c, p),
        Event::VoiceStateUpdate(v) => {
            if !keep.contains(ResourceType::VOICE_STATE) {
                return Previous::None;
            }
            let Some(guild_id) = v.guild_id else {
                return Previous::None;
            };
            let Some(mut g) = c.guilds.get_mut(&guild_id) else {
                return Previous::None;
            };
            let previous = if v.channel_id.is_some() {
                g.voice_states
                    .insert(v.user_id, Arc::new(patch::voice_state_without_member(v)))
            } else {
                g.voice_states.remove(&v.user_id)
            };
            previous.map_or(Previous::None, Previous::VoiceState)
        }
        Event::StageInstanceCreate(s) | Event::StageInstanceUpdate(s) => {
            if !keep.contains(ResourceType::STAGE_INSTANCE) {
                return Previous::None;
            }
            c.guilds
                .get_mut(&s.guild_id)
                .and_then(|mut g| g.stage_instances.insert(s.id, Arc::new((**s).clone())))
                .map_or(Previous::None, Previous::StageInstance)
        }
        Event::StageInstanceDelete(s) => {
            if !keep.contains(ResourceType::STAGE_INSTANCE) {
                return Previous::None;
            }
            c.guilds
                .get_mut(&s.guild_id)
                .and_then(|mut g| g.stage_instances.remove(&s.id))
                .map_or(Previous::None, Previous::StageInstance)
        }
        Event::GuildScheduledEventCreate(e) | Event::GuildScheduledEventUpdate(e) => {
            if !keep.contains(ResourceType::SCHEDULED_EVENT) {
                return Previous::None;
            }
            c.guilds
                .get_mut(&e.guild_id)
                .and_then(|mut g| g.scheduled_events.insert(e.id, Arc::new((**e).clone())))
                .map_or(Previous::None, Previous::ScheduledEvent)
        }
        Event::GuildScheduledEventDelete(e) => {
            if !keep.contains(ResourceType::SCHEDULED_EVENT) {
                return Previous::None;
            }
            c.guilds
                .get_mut(&e.guild_id)
                .and_then(|mut g| g.scheduled_events.remove(&e.id))
                .map_or(Previous::None, Previous::ScheduledEvent)
        }
        Event::MessageCreate(m) => {
            let capacity = c.config.messages_per_channel();
            if capacity > 0 {
                let mut q = c.messages.entry(m.channel_id).or_default();
                if q.len() >= capacity {
                    q.pop_front();
                }
                q.push_back(Arc::new((**m).clone()));
            }
            Previous::None
        }
        Event::MessageUpdate(u) => message_update(c, u),
        Event::MessageReactionAdd(r) => {
            let me = is_me(c, r.user_id);
            patch_cached_message(c, r.channel_id, r.message_id, |m| {
                patch::reaction_add(m, r, me);
            })
        }
        Event::MessageReactionRemove(r) => {
            let me = is_me(c, r.user_id);
            patch_cached_message(c, r.channel_id, r.message_id, |m| {
                patch::reaction_remove(m, r, me);
            })
        }
        Event::MessageReactionRemoveAll(r) => {
            patch_cached_message(c, r.channel_id, r.message_id, |m| m.reactions.clear())
        }
        Event::MessageReactionRemoveEmoji(r) => {
            patch_cached_message(c, r.channel_id, r.message_id, |m| {
                patch::reaction_remove_emoji(m, &r.emoji);
            })
        }
        Event::MessageDelete(d) => {
            let Some(mut q) = c.messages.get_mut(&d.channel_id) else {
                return Previous::None;
            };
            match q.iter().position(|m| m.id == d.id) {
                Some(i) => q.remove(i).map_or(Previous::None, Previous::Message),
                None => Previous::None,
            }
        }
        Event::MessageDeleteBulk(d) => {
            let Some(mut q) = c.messages.get_mut(&d.channel_id) else {
                return Previous::None;
            };
            let mut deleted = Vec::new();
            q.retain(|m| {
                if d.ids.contains(&m.id) {
                    deleted.push(m.clone());
                    false
                } else {
                    true
                }
            });
            if deleted.is_empty() {
                Previous::None
            } else {
                Previous::Messages(deleted)
            }
        }
        _ => Previous::None,
    }
}

/// Every resource kept per guild.
fn guild_scoped() -> ResourceType {
    ResourceType::all() - ResourceType::USER - ResourceType::MESSAGE
}

fn set_current_user(c: &InMemoryCache, user: &User) -> Option<Arc<User>> {
    let mut slot = c.current_user.write().unwrap_or_else(|e| e.into_inner());
    slot.replace(Arc::new(user.clone()))
}

/// Whether users of members are kept (they are referred to by members).
fn keeps_users(c: &InMemoryCache) -> bool {
    c.config
        .kept()
        .contains(ResourceType::USER | ResourceType::MEMBER)
}

/// Counts one more member for `user`, storing or refreshing it.
fn retain_user(c: &InMemoryCache, user: &User) {
    match c.users.entry(user.id) {
        Entry::Occupied(mut e) => {
            let entry = e.get_mut();
            entry.members += 1;
            if entry.user.differs_from(user) {
                entry.user = Arc::new(CachedUser::from_user(user));
            }
        }
        Entry::Vacant(e) => {
            e.insert(UserEntry {
                user: Arc::new(CachedUser::from_user(user)),
                members: 1,
            });
        }
    }
}

/// Counts one member less for `user_id`, forgetting the user at zero.
fn release_user(c: &InMemoryCache, user_id: UserId) {
    if let Entry::Occupied(mut e) = c.users.entry(user_id) {
        let entry = e.get_mut();
        entry.members = entry.members.saturating_sub(1);
        if entry.members == 0 {
            e.remove();
        }
    }
}

/// Refreshes a stored user from a full user object (no count change).
fn refresh_user(c: &InMemoryCache, user: &User) {
    if let Some(mut entry) = c.users.get_mut(&user.id) {
        if entry.user.differs_from(user) {
            entry.user = Arc::new(CachedUser::from_user(user));
        }
    }
}

fn guild_create(c: &InMemoryCache, g: &Guild) {
    let keep = c.config.kept();
    // a guild seen again (after an outage, or a new session) starts over
    remove_guild(c, g.id);
    c.unavailable.remove(&g.id);
    let mut entry = GuildEntry::default();
    if keep.contains(ResourceType::GUILD) {
        entry.guild = Some(Arc::new(patch::guild_shell(g)));
    }
    if keep.contains(ResourceType::CHANNEL) {
        for ch in g.channels.iter().chain(&g.threads) {
            entry.channels.insert(ch.id);
            c.channels
                .insert(ch.id, Arc::new(patch::channel_in_guild(ch, g.id)));
        }
    }
    if keep.contains(ResourceType::ROLE) {
        entry.roles = g
            .roles
            .iter()
            .map(|r| (r.id, Arc::new(r.clone())))
            .collect();
    }
    if keep.contains(ResourceType::MEMBER) {
        let users = keeps_users(c);
        entry.members.reserve(g.members.len());
        for m in &g.members {
            let Some(user) = &m.user else { continue };
            if users {
                retain_user(c, user);
            }
            if let Some(old) = entry
                .members
                .insert(user.id, CachedMember::from_member(user.id, m))
            {
                // listed twice: count the user once
                if users {
                    release_user(c, old.user_id);
                }
            }
        }
    }
    if keep.contains(ResourceType::PRESENCE) {
        entry.presences = g
            .presences
            .iter()
            .map(|p| (p.user.id, Arc::new(p.clone())))
            .collect();
    }
    if keep.contains(ResourceType::VOICE_STATE) {
        entry.voice_states = g
            .voice_states
            .iter()
            .filter(|v| v.channel_id.is_some())
            .map(|v| {
                let mut v = patch::voice_state_without_member(v);
                v.guild_id = Some(g.id);
                (v.user_id, Arc::new(v))
            })
            .collect();
    }
    if keep.contains(ResourceType::EMOJI) {
        entry.emojis = Some(g.emojis.as_slice().into());
    }
    if keep.contains(ResourceType::STICKER) {
        entry.stickers = Some(g.stickers.as_slice().into());
    }
    if keep.contains(ResourceType::STAGE_INSTANCE) {
        entry.stage_instances = g
            .stage_instances
            .iter()
            .map(|s| (s.id, Arc::new(s.clone())))
            .collect();
    }
    if keep.contains(ResourceType::SCHEDULED_EVENT) {
        entry.scheduled_events = g
            .guild_scheduled_events
            .iter()
            .map(|e| (e.id, Arc::new(e.clone())))
            .collect();
    }
    c.guilds.insert(g.id, entry);
}

fn guild_update(c: &InMemoryCache, g: &Guild) -> Previous {
    let keep = c.config.kept();
    let Some(mut entry) = c.guilds.get_mut(&g.id) else {
        return Previous::None;
    };
    if keep.contains(ResourceType::ROLE) && !g.roles.is_empty() {
        entry.roles = g
            .roles
            .iter()
            .map(|r| (r.id, Arc::new(r.clone())))
            .collect();
    }
    if keep.contains(ResourceType::EMOJI) && !g.emojis.is_empty() {
        entry.emojis = Some(g.emojis.as_slice().into());
    }
    if keep.contains(ResourceType::STICKER) && !g.stickers.is_empty() {
        entry.stickers = Some(g.stickers.as_slice().into());
    }
    if !keep.contains(ResourceType::GUILD) {
        return Previous::None;
    }
    let mut next = patch::guild_shell(g);
    if let Some(old) = &entry.guild {
        // GUILD_UPDATE does not carry the GUILD_CREATE-only fields
        next.joined_at = next.joined_at.or(old.joined_at);
        next.large = next.large.or(old.large);
        next.member_count = next.member_count.or(old.member_count);
    }
    entry
        .guild
        .replace(Arc::new(next))
        .map_or(Previous::None, Previous::Guild)
}

/// Forgets a guild and everything in it; returns the guild object.
fn remove_guild(c: &InMemoryCache, guild_id: GuildId) -> Previous {
    let Some((_, entry)) = c.guilds.remove(&guild_id) else {
        return Previous::None;
    };
    for id in &entry.channels {
        c.channels.remove(id);
        c.messages.remove(id);
    }
    if keeps_users(c) {
        for user_id in entry.members.keys() {
            release_user(c, *user_id);
        }
    }
    entry.guild.map_or(Previous::None, Previous::Guild)
}

fn upsert_channel(c: &InMemoryCache, ch: &Channel, guild_id: Option<GuildId>) -> Previous {
    if !c.config.kept().contains(ResourceType::CHANNEL) {
        return Previous::None;
    }
    if let Some(guild_id) = guild_id {
        match c.guilds.get_mut(&guild_id) {
            Some(mut g) => {
                g.channels.insert(ch.id);
            }
            // a channel of a guild the cache does not hold
            None => return Previous::None,
        }
    }
    c.channels
        .insert(ch.id, Arc::new(ch.clone()))
        .map_or(Previous::None, Previous::Channel)
}

fn remove_channel(c: &InMemoryCache, id: ChannelId, guild_id: Option<GuildId>) -> Previous {
    c.messages.remove(&id);
    if let Some(guild_id) = guild_id {
        if let Some(mut g) = c.guilds.get_mut(&guild_id) {
            g.channels.remove(&id);
        }
    }
    c.channels
        .remove(&id)
        .map_or(Previous::None, |(_, ch)| Previous::Channel(ch))
}

fn thread_list_sync(c: &InMemoryCache, sync: &ThreadListSync) {
    let Some(mut g) = c.guilds.get_mut(&sync.guild_id) else {
        return;
    };
    // the synced parents' threads are exactly the ones listed
    let stale: Vec<ChannelId> = g
        .channels
        .iter()
        .filter(|id| {
            c.channels.get(id).is_some_and(|ch| {
                ch.kind.is_thread()
                    && match &sync.channel_ids {
                        Some(parents) => ch.parent_id.is_some_and(|p| parents.contains(&p)),
                        None => true,
                    }
            })
        })
        .copied()
        .collect();
    for id in stale {
        g.channels.remove(&id);
        c.channels.remove(&id);
        c.messages.remove(&id);
    }
    for t in &sync.threads {
        g.channels.insert(t.id);
        c.channels
            .insert(t.id, Arc::new(patch::channel_in_guild(t, sync.guild_id)));
    }
}

fn upsert_member(c: &InMemoryCache, guild_id: GuildId, user: &User, member: &Member) -> Previous {
    if !c.config.kept().contains(ResourceType::MEMBER) {
        return Previous::None;
    }
    let Some(mut g) = c.guilds.get_mut(&guild_id) else {
        return Previous::None;
    };
    let previous = g
        .members
        .insert(user.id, CachedMember::from_member(user.id, member));
    if keeps_users(c) {
        if previous.is_some() {
            refresh_user(c, user);
        } else {
            retain_user(c, user);
        }
    }
    previous.map_or(Previous::None, Previous::Member)
}

fn member_update(c: &InMemoryCache, u: &GuildMemberUpdate) -> Previous {
    if !c.config.kept().contains(ResourceType::MEMBER) {
        return Previous::None;
    }
    let Some(mut g) = c.guilds.get_mut(&u.guild_id) else {
        return Previous::None;
    };
    let users = keeps_users(c);
    match g.members.get_mut(&u.user.id) {
        Some(m) => {
            let previous = m.clone();
            if let Some(nick) = &u.nick {
                m.nick = nick.as_deref().map(Into::into);
            }
            m.avatar = u.avatar.as_deref().map(Into::into);
            m.roles = u.roles.as_slice().into();
            if u.joined_at.is_some() {
                m.joined_at = u.joined_at;
            }
            m.premium_since = u.premium_since;
            m.communication_disabled_until = u.communication_disabled_until;
            if let Some(deaf) = u.deaf {
                m.deaf = deaf;
            }
            if let Some(mute) = u.mute {
                m.mute = mute;
            }
            if let Some(pending) = u.pending {
                m.pending = pending;
            }
            if let Some(flags) = u.flags {
                m.flags = flags;
            }
            if users {
                refresh_user(c, &u.user);
            }
            Previous::Member(previous)
        }
        None => {
            let member = CachedMember {
                user_id: u.user.id,
                nick: u.nick.clone().flatten().map(Into::into),
                avatar: u.avatar.as_deref().map(Into::into),
                roles: u.roles.as_slice().into(),
                joined_at: u.joined_at,
                premium_since: u.premium_since,
                communication_disabled_until: u.communication_disabled_until,
                flags: u.flags.unwrap_or_default(),
                deaf: u.deaf.unwrap_or(false),
                mute: u.mute.unwrap_or(false),
                pending: u.pending.unwrap_or(false),
            };
            g.members.insert(u.user.id, member);
            if users {
                retain_user(c, &u.user);
            }
            Previous::None
        }
    }
}

fn remove_member(c: &InMemoryCache, guild_id: GuildId, user_id: UserId) -> Previous {
    let keep = c.config.kept();
    let Some(mut g) = c.guilds.get_mut(&guild_id) else {
        return Previous::None;
    };
    g.presences.remove(&user_id);
    g.voice_states.remove(&user_id);
    if !keep.contains(ResourceType::MEMBER) {
        return Previous::None;
    }
    let previous = g.members.remove(&user_id);
    drop(g);
    if previous.is_some() && keeps_users(c) {
        release_user(c, user_id);
    }
    previous.map_or(Previous::None, Previous::Member)
}

fn presence_update(c: &InMemoryCache, p: &Presence) -> Previous {
    let keep = c.config.kept();
    if keeps_users(c) && p.user.username.is_some() {
        if let Some(mut entry) = c.users.get_mut(&p.user.id) {
            if let Some(next) = entry.user.patched(&p.user) {
                entry.user = Arc::new(next);
            }
        }
    }
    if !keep.contains(ResourceType::PRESENCE) {
        return Previous::None;
    }
    let Some(guild_id) = p.guild_id else {
        return Previous::None;
    };
    let Some(mut g) = c.guilds.get_mut(&guild_id) else {
        return Previous::None;
    };
    g.presences
        .insert(p.user.id, Arc::new(p.clone()))
        .map_or(Previous::None, Previous::Presence)
}

/// Whether `user` is the bot (false when the bot's user is not kept).
fn is_me(c: &InMemoryCache, user: UserId) -> bool {
    c.current_user
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(|u| u.id == user)
}

/// Changes a cached message with `f`; returns it as it was before.
fn patch_cached_message(
    c: &InMemoryCache,
    channel_id: ChannelId,
    message_id: MessageId,
    f: impl FnOnce(&mut Message),
) -> Previous {
    let Some(mut q) = c.messages.get_mut(&channel_id) else {
        return Previous::None;
    };
    let Some(slot) = q.iter_mut().find(|m| m.id == message_id) else {
        return Previous::None;
    };
    let previous = slot.clone();
    f(Arc::make_mut(slot));
    Previous::Message(previous)
}

fn message_update(c: &InMemoryCache, u: &MessageUpdate) -> Previous {
    let Some(mut q) = c.messages.get_mut(&u.channel_id) else {
        return Previous::None;
    };
    let Some(slot) = q.iter_mut().find(|m| m.id == u.id) else {
        return Previous::None;
    };
    let previous = slot.clone();
    let mut next: Message = (**slot).clone();
    patch::message_update(&mut next, u);
    *slot = Arc::new(next);
    Previous::Message(previous)
}
