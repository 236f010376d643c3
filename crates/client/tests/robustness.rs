//! One odd value from Discord never fails a whole event (issue 10, item 17).
//!
//! Each fixture in `tests/fixtures/robustness/` is a realistic whole event
//! (file name `EVENT_NAME.case.json`) carrying one class of odd value: a
//! value acord does not know, a number wider than the field, a number sent as
//! text or as a float where Discord says that can happen, a snowflake above
//! `i64::MAX`, a field of a type Discord does not validate. Every test checks
//! that the event parses and that the known data (and the raw unknown value,
//! where there is one) is kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use acord::event::{Event, GuildCreate};
use acord::model::*;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/robustness")
}

fn parse(file: &str) -> Event {
    let path = fixtures_dir().join(format!("{file}.json"));
    let raw = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = file.split('.').next().unwrap();
    Event::from_dispatch(name, &raw).unwrap_or_else(|e| panic!("{file}: {e}: {:?}", e.json_error()))
}

fn presence(file: &str) -> Box<Presence> {
    match parse(file) {
        Event::PresenceUpdate(p) => p,
        other => panic!("{other:?}"),
    }
}

fn guild(file: &str) -> Guild {
    match parse(file) {
        Event::GuildCreate(g) => match *g {
            GuildCreate::Available(g) => g,
            other => panic!("{file} lost the guild: {other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

fn message(file: &str) -> Box<Message> {
    match parse(file) {
        Event::MessageCreate(m) => m,
        other => panic!("{other:?}"),
    }
}

fn interaction(file: &str) -> Box<Interaction> {
    match parse(file) {
        Event::InteractionCreate(i) => i,
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_robustness_fixture_round_trips() {
    let mut count = 0;
    for entry in fs::read_dir(fixtures_dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let event = parse(&file);
        let json = event.to_json().unwrap();
        let again = Event::from_dispatch(event.name(), json.as_bytes())
            .unwrap_or_else(|e| panic!("{file} re-parse: {e}: {json}"));
        assert_eq!(event, again, "{file} changed in a round trip");
        assert_eq!(
            again.to_json().unwrap(),
            json,
            "{file} output is not stable"
        );
        count += 1;
    }
    assert!(count >= 10, "{count} fixtures");
}

/// Discord: in PRESENCE_UPDATE "the types of the fields are not validated"
/// for the user object; only `id` is guaranteed.
#[test]
fn presence_user_fields_of_any_type_read_as_absent() {
    let p = presence("PRESENCE_UPDATE.untyped_user");
    assert_eq!(p.user.id.get(), 80351110224678912);
    assert_eq!(p.user.username, None, "12345 is not a username");
    assert_eq!(p.user.discriminator, None);
    assert_eq!(p.user.global_name, None, "an object is not a name");
    assert_eq!(p.user.avatar, None, "an array is not a hash");
    assert_eq!(p.user.bot, None, "\"false\" is not a boolean");
    // a bitfield as a decimal string, the way Discord sends permissions
    assert_eq!(
        p.user.public_flags,
        Some(UserFlags::HYPESQUAD_ONLINE_HOUSE_1)
    );
    // the rest of the presence is intact
    assert_eq!(p.status, Status::Online);
    assert_eq!(p.activities.len(), 3);
    assert_eq!(p.activities[0].name, "Rocket League");
    assert_eq!(p.client_status.mobile, Some(Status::Idle));
}

/// Activities are written by games through RPC: party sizes above
/// `u32::MAX` are seen (other libraries moved to 64-bit), and numbers arrive
/// as text or floats.
#[test]
fn activity_numbers_wider_than_u32_or_sent_as_text_are_kept() {
    let p = presence("PRESENCE_UPDATE.odd_activity_numbers");
    let game = &p.activities[0];
    assert_eq!(game.name, "Rocket League");
    let size = game.party.as_ref().unwrap().size;
    assert_eq!(size, Some([3, 5_000_000_000]));
    assert_eq!(game.created_at, 1_507_665_886_000);
    let times = game.timestamps.unwrap();
    assert_eq!(times.start, Some(1_507_665_886_000));
    assert_eq!(times.end, Some(1_507_669_486_000));
    assert_eq!(
        game.flags,
        Some(ActivityFlags::INSTANCE | ActivityFlags::JOIN)
    );
    // the known fields next to them are untouched
    assert_eq!(game.state.as_deref(), Some("In a Match"));
    assert_eq!(game.buttons, ["Join", "Watch"]);
    let custom = &p.activities[1];
    assert_eq!(custom.created_at, 1_507_665_886_000, "a float of whole ms");
    assert_eq!(custom.emoji.as_ref().unwrap().name, "🦀");
}

#[test]
fn nonsense_activity_numbers_read_as_absent_not_as_errors() {
    let p = presence("PRESENCE_UPDATE.odd_activity_numbers");
    let broken = &p.activities[3];
    assert_eq!(broken.name, "Broken Game");
    assert_eq!(broken.created_at, 0, "a negative time reads as absent");
    let times = broken.timestamps.unwrap();
    assert_eq!((times.start, times.end), (None, None));
    let party = broken.party.as_ref().unwrap();
    assert_eq!(party.id.as_deref(), Some("p"));
    assert!(party.size.is_none(), "a negative size reads as absent");
    assert_eq!(broken.flags, None);
}

/// One odd presence inside GUILD_CREATE used to lose the whole guild.
#[test]
fn a_guild_with_an_odd_presence_is_not_lost() {
    let g = guild("GUILD_CREATE.odd_presence");
    assert_eq!(g.name, "Discord Developers");
    assert_eq!(g.members.len(), 3);
    assert!(!g.channels.is_empty());
    let odd = g.presences.last().unwrap();
    assert_eq!(odd.user.id.get(), 41771983423143937);
    assert_eq!(odd.user.username, None);
    assert_eq!(odd.user.bot, None);
    assert_eq!(odd.user.public_flags, Some(UserFlags::TEAM_PSEUDO_USER));
    let size = odd.activities[0].party.as_ref().unwrap().size;
    assert_eq!(size, Some([3, 5_000_000_000]));
}

#[test]
fn guild_create_keeps_values_acord_does_not_know() {
    let g = guild("GUILD_CREATE.new_values");
    assert_eq!(g.verification_level, VerificationLevel::Unknown(9));
    assert_eq!(
        g.default_message_notifications,
        DefaultMessageNotificationLevel::Unknown(7)
    );
    assert_eq!(
        g.explicit_content_filter,
        ExplicitContentFilterLevel::Unknown(8)
    );
    assert_eq!(g.mfa_level, MfaLevel::Unknown(3));
    assert_eq!(g.premium_tier, PremiumTier::Unknown(12));
    assert_eq!(g.nsfw_level, NsfwLevel::Unknown(40));
    assert_eq!(g.system_channel_flags.bits(), (1 << 62) | 1);
    assert!(g
        .features
        .contains(&GuildFeature::Unknown("A_FEATURE_FROM_2030".into())));
    assert_eq!(g.roles[0].flags.bits(), (1 << 40) | 1);
    assert_eq!(g.roles[0].position, -1);
    assert_eq!(g.members[0].flags.bits(), (1 << 50) | 2);
    let channel = &g.channels[0];
    assert_eq!(channel.kind, ChannelType::Unknown(42));
    assert_eq!(channel.flags.unwrap().bits(), 1 << 60);
    assert_eq!(channel.position, Some(-3));
    assert_eq!(
        channel.permission_overwrites[0].kind,
        OverwriteType::Unknown(5)
    );
    assert_eq!(g.stickers[0].kind, StickerType::Unknown(5));
    assert_eq!(g.stickers[0].format_type, StickerFormatType::Unknown(11));
    assert_eq!(
        g.stage_instances[0].privacy_level,
        StagePrivacyLevel::Unknown(6)
    );
    let event = &g.guild_scheduled_events[0];
    assert_eq!(event.privacy_level, ScheduledEventPrivacyLevel::Unknown(4));
    assert_eq!(event.status, ScheduledEventStatus::Unknown(9));
    assert_eq!(event.entity_type, ScheduledEventEntityType::Unknown(8));
    let p = &g.presences[0];
    assert_eq!(p.status, Status::Unknown("streaming".into()));
    assert_eq!(p.activities[0].kind, ActivityType::Unknown(6));
    assert_eq!(
        p.activities[0].status_display_type,
        Some(StatusDisplayType::Unknown(7))
    );
    assert_eq!(p.activities[0].flags.unwrap().bits(), (1 << 33) | 1);
}

#[test]
fn message_create_keeps_values_acord_does_not_know() {
    let m = message("MESSAGE_CREATE.new_values");
    assert_eq!(m.kind, MessageType::Unknown(63));
    assert_eq!(m.flags.bits(), (1 << 45) | 4);
    assert!(m.flags.contains(MessageFlags::SUPPRESS_EMBEDS));
    assert_eq!(m.channel_type, Some(ChannelType::Unknown(17)));
    assert_eq!(m.embeds[0].kind.as_deref(), Some("hologram"));
    assert_eq!(m.embeds[0].flags.unwrap().bits(), 1 << 40);
    assert_eq!(
        m.sticker_items[0].format_type,
        StickerFormatType::Unknown(9)
    );
    assert_eq!(
        m.message_reference.as_ref().unwrap().kind,
        Some(MessageReferenceType::Unknown(5))
    );
    assert_eq!(
        m.activity.as_ref().unwrap().kind,
        MessageActivityType::Unknown(12)
    );
    assert_eq!(m.author.public_flags.unwrap().bits(), (1 << 55) | 1);
    assert_eq!(m.attachments[0].size, 5_000_000_000);
    assert_eq!(m.attachments[0].flags.unwrap().bits(), (1 << 30) | 1);
    assert_eq!(m.reactions[0].count, 3);
    assert_eq!(
        m.poll.as_ref().unwrap().layout_type,
        PollLayoutType::Unknown(2)
    );
    let meta = m.interaction_metadata.as_ref().unwrap();
    assert_eq!(meta.kind, InteractionType::Unknown(11));
    assert_eq!(
        meta.authorizing_integration_owners.guild_id(),
        GuildId::new(197038439483310086)
    );
    // components: a new button style, a component ID wider than 32 bits
    // (kept verbatim) and a new component type (kept verbatim)
    let Component::ActionRow(row) = &m.components[0] else {
        panic!("{:?}", m.components[0]);
    };
    let Component::Button(button) = &row.components[0] else {
        panic!("{:?}", row.components[0]);
    };
    assert_eq!(button.style, ButtonStyle::Unknown(9));
    let Component::Unknown(wide) = &row.components[1] else {
        panic!("{:?}", row.components[1]);
    };
    assert_eq!(wide.kind, ComponentType::Button);
    assert!(wide.raw.get().contains("5000000000"));
    let Component::Unknown(slider) = &m.components[1] else {
        panic!("{:?}", m.components[1]);
    };
    assert_eq!(slider.kind, ComponentType::Unknown(30));
    let slider: serde_json::Value = slider.raw.parse().unwrap();
    assert_eq!(slider["slider"]["max"], 10);
    // the ordinary fields are all there
    assert_eq!(m.content, "Supa Hot <@80351110224678912>");
    assert_eq!(m.author.username, "nelly");
}

#[test]
fn snowflakes_above_i64_max_are_kept() {
    let m = message("MESSAGE_CREATE.huge_snowflakes");
    assert_eq!(m.id.get(), u64::MAX);
    assert_eq!(m.channel_id.get(), 1 << 63);
    assert_eq!(m.author.id.get(), u64::MAX - 2);
    assert_eq!(
        m.mention_roles.iter().map(|r| r.get()).collect::<Vec<_>>(),
        [(1 << 63) + 1, u64::MAX - 1]
    );
    assert_eq!(m.webhook_id.unwrap().get(), u64::MAX - 3);
    assert_eq!(m.nonce, Some(Nonce::Unsigned(u64::MAX - 4)));
}

/// `data` of a shape acord cannot read (here: select values that are not
/// strings, from a component type acord does not know) is kept verbatim; the
/// interaction itself, with its token, still arrives so the bot can answer.
#[test]
fn interaction_data_acord_cannot_read_is_kept_verbatim() {
    let i = interaction("INTERACTION_CREATE.unreadable_data");
    assert_eq!(i.kind, InteractionType::MessageComponent);
    assert_eq!(i.id.get(), 786008729715212338);
    assert!(!i.token.as_str().is_empty());
    assert_eq!(i.author().unwrap().username, "nelly");
    let Some(InteractionData::Unknown(raw)) = &i.data else {
        panic!("{:?}", i.data);
    };
    let raw: serde_json::Value = raw.parse().unwrap();
    assert_eq!(raw["values"], serde_json::json!([1, 2.5]));
    assert_eq!(raw["custom_id"], "dial");
}

/// Snowflakes may arrive as JSON integers (discord-protocol.md §1.2).
#[test]
fn installation_owners_sent_as_integers_are_read() {
    let i = interaction("INTERACTION_CREATE.integer_owners");
    let owners = &i.authorizing_integration_owners;
    assert_eq!(owners.guild_id(), GuildId::new(197038439483310086));
    assert_eq!(owners.user_install, UserId::new(80351110224678912));
}

/// `auto_moderation_rule_trigger_type` is documented as a string like its
/// siblings `count` and `type`, which Discord has been seen sending as
/// integers; `target_id` is a snowflake.
#[test]
fn audit_log_options_sent_as_integers_are_read() {
    let Event::GuildAuditLogEntryCreate(entry) =
        parse("GUILD_AUDIT_LOG_ENTRY_CREATE.integer_options")
    else {
        panic!()
    };
    assert_eq!(
        entry.action_type,
        AuditLogEvent::AutoModerationFlagToChannel
    );
    assert_eq!(entry.target_id.as_deref(), Some("80351110224678912"));
    let options = entry.options.as_ref().unwrap();
    assert_eq!(
        options.auto_moderation_rule_trigger_type.as_deref(),
        Some("1")
    );
    assert_eq!(
        options.auto_moderation_rule_name.as_deref(),
        Some("no spam")
    );
}

#[test]
fn scheduled_event_entity_id_sent_as_an_integer_is_read() {
    let Event::GuildScheduledEventCreate(event) =
        parse("GUILD_SCHEDULED_EVENT_CREATE.integer_entity_id")
    else {
        panic!()
    };
    assert_eq!(event.entity_id.as_deref(), Some("840647391636226060"));
    assert_eq!(event.entity_type, ScheduledEventEntityType::StageInstance);
    assert_eq!(event.name, "Launch");
}
