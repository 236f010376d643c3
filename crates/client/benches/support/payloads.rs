//! Realistic payloads shared by the client benches: a MESSAGE_CREATE with an
//! embed, a mention and a button, and a 200-member GUILD_CREATE.
#![allow(dead_code)]

use serde_json::{json, Value};

pub const GUILD: u64 = 197038439483310086;

fn user(id: u64) -> Value {
    json!({
        "id": id.to_string(), "username": format!("user{id}"), "discriminator": "0",
        "global_name": format!("User {id}"), "avatar": "8342729096ea3675442027381ff50dfe",
        "public_flags": 64, "bot": false, "avatar_decoration_data": null, "primary_guild": null
    })
}

fn member(id: u64, roles: &[u64]) -> Value {
    json!({
        "user": user(id), "nick": null, "avatar": null, "banner": null,
        "roles": roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": "2021-04-26T06:26:56.936000+00:00", "premium_since": null,
        "deaf": false, "mute": false, "flags": 0, "pending": false,
        "communication_disabled_until": null
    })
}

pub fn guild_create() -> Vec<u8> {
    let role_ids: Vec<u64> = (0..30).map(|i| GUILD + 1000 + i).collect();
    let roles: Vec<Value> = role_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({
                "id": id.to_string(), "name": format!("role {i}"), "color": 3447003,
                "colors": {"primary_color": 3447003, "secondary_color": null, "tertiary_color": null},
                "hoist": i % 3 == 0, "icon": null, "unicode_emoji": null, "position": i,
                "permissions": "2248473465835073", "managed": false, "mentionable": true, "flags": 0
            })
        })
        .collect();
    let channels: Vec<Value> = (0..50u64)
        .map(|i| {
            json!({
                "id": (GUILD + 5000 + i).to_string(), "type": if i % 5 == 0 { 2 } else { 0 },
                "name": format!("channel-{i}"), "position": i, "parent_id": null,
                "topic": "a topic for the channel", "nsfw": false, "last_message_id": (GUILD + 90000 + i).to_string(),
                "rate_limit_per_user": 0, "bitrate": 64000, "user_limit": 0, "rtc_region": null,
                "permission_overwrites": [
                    {"id": GUILD.to_string(), "type": 0, "allow": "0", "deny": "1024"},
                    {"id": role_ids[(i % 30) as usize].to_string(), "type": 0, "allow": "3072", "deny": "0"}
                ],
                "flags": 0
            })
        })
        .collect();
    let members: Vec<Value> = (0..200u64)
        .map(|i| member(80351110224678912 + i, &role_ids[..(i % 4) as usize]))
        .collect();
    let presences: Vec<Value> = (0..200u64)
        .step_by(4)
        .map(|i| {
            json!({"user": {"id": (80351110224678912 + i).to_string()}, "status": "online",
                   "activities": [], "client_status": {"desktop": "online"}})
        })
        .collect();
    let guild = json!({
        "id": GUILD.to_string(), "name": "bench guild", "icon": null, "splash": null, "discovery_splash": null,
        "owner_id": "80351110224678912", "afk_channel_id": null, "afk_timeout": 300, "verification_level": 1,
        "default_message_notifications": 1, "explicit_content_filter": 2, "roles": roles, "emojis": [],
        "features": ["COMMUNITY", "NEWS"], "mfa_level": 0, "application_id": null, "system_channel_id": null,
        "system_channel_flags": 0, "rules_channel_id": null, "vanity_url_code": null, "description": null,
        "banner": null, "premium_tier": 1, "premium_subscription_count": 3, "preferred_locale": "en-US",
        "public_updates_channel_id": null, "nsfw_level": 0, "stickers": [], "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null, "incidents_data": null,
        "joined_at": "2021-04-26T06:26:56.936000+00:00", "large": false, "unavailable": false,
        "member_count": 200, "voice_states": [], "members": members, "channels": channels, "threads": [],
        "presences": presences, "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": []
    });
    serde_json::to_vec(&guild).unwrap()
}

pub fn message_create() -> Vec<u8> {
    let msg = json!({
        "id": "1101628432341749840", "channel_id": "222197033908436994", "guild_id": GUILD.to_string(),
        "author": user(80351110224678912), "member": {"roles": ["197038439483311086"], "joined_at": "2021-04-26T06:26:56.936000+00:00",
            "deaf": false, "mute": false, "flags": 0, "nick": null, "avatar": null, "premium_since": null, "pending": false},
        "content": "Hey <@80351110224678913>, the build is green! See the report below.",
        "timestamp": "2024-03-13T19:19:14.040000+00:00", "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [user(80351110224678913)], "mention_roles": [],
        "attachments": [], "embeds": [{"type": "rich", "title": "CI", "description": "all 412 tests passed", "color": 5793266,
            "fields": [{"name": "duration", "value": "3m 12s", "inline": true}]}],
        "pinned": false, "type": 0, "flags": 0, "nonce": "1101628432006205440", "channel_type": 0,
        "components": [{"type": 1, "id": 1, "components": [{"type": 2, "id": 2, "style": 5, "label": "Open", "url": "https://ci.example/1"}]}]
    });
    serde_json::to_vec(&msg).unwrap()
}
