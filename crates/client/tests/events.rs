//! Every documented dispatch event parses from a fixture written from
//! Discord's field tables, round-trips, and bad input gives errors, never
//! panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use acord::event::{Event, EventTypeFlags, GuildCreate};
use acord::model::*;
use acord_core_signals::{dispatch_event_names, Intents};
use proptest::prelude::*;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events")
}

fn fixture(file: &str) -> Vec<u8> {
    let path = fixtures_dir().join(format!("{file}.json"));
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(file: &str) -> Event {
    let name = file.split('.').next().unwrap();
    Event::from_dispatch(name, &fixture(file))
        .unwrap_or_else(|e| panic!("{file}: {e}: {:?}", e.json_error()))
}

/// (event name, file stem) for every fixture file.
fn all_fixtures() -> Vec<(String, String)> {
    let mut out: Vec<_> = fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_str().unwrap().to_owned();
            (stem.split('.').next().unwrap().to_owned(), stem)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_documented_event_has_a_typed_variant() {
    let mut count = 0;
    for name in dispatch_event_names() {
        let event = Event::from_dispatch(name, &fixture(name))
            .unwrap_or_else(|e| panic!("{name}: {e}: {:?}", e.json_error()));
        assert!(
            !matches!(event, Event::Unknown { .. }),
            "{name} maps to Event::Unknown"
        );
        assert_eq!(event.name(), name);
        assert_eq!(
            Some(event.kind()),
            EventTypeFlags::from_name(name),
            "{name}"
        );
        assert_eq!(Some(event.intents()), Intents::for_event(name), "{name}");
        count += 1;
    }
    assert_eq!(count, acord_core_signals::EVENT_INTENTS.len());
}

#[test]
fn every_fixture_round_trips() {
    let fixtures = all_fixtures();
    assert!(fixtures.len() > 100, "{} fixtures", fixtures.len());
    for (name, file) in fixtures {
        let event = parse(&file);
        assert_eq!(event.name(), name);
        let json = event.to_json().unwrap();
        let again = Event::from_dispatch(&name, json.as_bytes())
            .unwrap_or_else(|e| panic!("{file} re-parse: {e}: {json}"));
        assert_eq!(event, again, "{file} changed in a round trip");
        assert_eq!(
            again.to_json().unwrap(),
            json,
            "{file} output is not stable"
        );
    }
}

#[test]
fn guild_id_matches_the_payload() {
    for (name, file) in all_fixtures() {
        let event = parse(&file);
        let json: serde_json::Value = serde_json::from_slice(&fixture(&file)).unwrap();
        let field = match name.as_str() {
            "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" => &json["id"],
            "RATE_LIMITED" => &json["meta"]["guild_id"],
            _ => &json["guild_id"],
        };
        let expected = field.as_str().map(|s| s.parse::<GuildId>().unwrap());
        assert_eq!(event.guild_id(), expected, "{file}");
    }
}

#[test]
fn unknown_events_keep_their_payload() {
    let event = Event::from_dispatch("HOLOGRAM_CREATE", br#"{"id":"1","depth":3}"#).unwrap();
    match &event {
        Event::Unknown { name, raw } => {
            assert_eq!(&**name, "HOLOGRAM_CREATE");
            assert_eq!(raw.get(), r#"{"id":"1","depth":3}"#);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(event.name(), "HOLOGRAM_CREATE");
    assert_eq!(event.kind(), EventTypeFlags::empty());
    assert_eq!(event.intents(), Intents::empty());
    assert_eq!(EventTypeFlags::from_name("HOLOGRAM_CREATE"), None);
    assert!(Event::from_dispatch("HOLOGRAM_CREATE", b"{nope").is_err());
}

#[test]
fn malformed_payloads_are_errors_naming_the_event() {
    for name in dispatch_event_names() {
        let err = Event::from_dispatch(name, b"{").unwrap_err();
        assert_eq!(err.name(), name);
        assert!(err.to_string().contains(name));
        assert!(std::error::Error::source(&err).is_some());
        if name != "RESUMED" {
            for bad in [&b"[]"[..], b"\"x\"", b"42", b"{\"id\":\"0\"}"] {
                assert!(
                    Event::from_dispatch(name, bad).is_err(),
                    "{name} accepted {:?}",
                    std::str::from_utf8(bad)
                );
            }
        }
    }
}

/// Removes each top-level key in turn and replaces each value with values
/// of the wrong type: every result is `Ok` or `Err`, none panics.
#[test]
fn mutated_fixtures_never_panic() {
    let replacements = [
        serde_json::Value::Null,
        serde_json::json!("x"),
        serde_json::json!(-1),
        serde_json::json!(1.5),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!("0"),
        serde_json::json!(u64::MAX),
    ];
    let mut outcomes = (0usize, 0usize);
    for (name, file) in all_fixtures() {
        let bytes = fixture(&file);
        let bytes = bytes.trim_ascii_end();
        for cut in [
            1,
            bytes.len() / 3,
            bytes.len() / 2,
            bytes.len().saturating_sub(1),
        ] {
            assert!(
                Event::from_dispatch(&name, &bytes[..cut]).is_err(),
                "{file} cut at {cut}"
            );
        }
        let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        let Some(object) = value.as_object() else {
            continue;
        };
        for key in object.keys() {
            let mut without = object.clone();
            without.remove(key);
            let bytes = serde_json::to_vec(&without).unwrap();
            match Event::from_dispatch(&name, &bytes) {
                Ok(_) => outcomes.0 += 1,
                Err(e) => {
                    assert_eq!(e.name(), name);
                    outcomes.1 += 1;
                }
            }
            for replacement in &replacements {
                let mut changed = object.clone();
                changed.insert(key.clone(), replacement.clone());
                let bytes = serde_json::to_vec(&changed).unwrap();
                match Event::from_dispatch(&name, &bytes) {
                    Ok(_) => outcomes.0 += 1,
                    Err(_) => outcomes.1 += 1,
                }
            }
        }
    }
    assert!(outcomes.0 > 100 && outcomes.1 > 100, "{outcomes:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(
        index in 0usize..80,
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let names: Vec<_> = dispatch_event_names().collect();
        let name = names[index % names.len()];
        let _ = Event::from_dispatch(name, &bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(index in 0usize..80, text in "[\\[\\]{}\":,0-9a-z_ .-]{0,64}") {
        let names: Vec<_> = dispatch_event_names().collect();
        let _ = Event::from_dispatch(names[index % names.len()], text.as_bytes());
    }
}

#[test]
fn event_type_flags_filter() {
    let wanted = EventTypeFlags::MESSAGE_CREATE | EventTypeFlags::GUILD_CREATE;
    assert!(EventTypeFlags::from_name("MESSAGE_CREATE").is_some_and(|f| wanted.contains(f)));
    assert!(!EventTypeFlags::from_name("TYPING_START").is_some_and(|f| wanted.contains(f)));
    assert_eq!(
        wanted.intents(),
        Intents::GUILD_MESSAGES | Intents::DIRECT_MESSAGES | Intents::GUILDS
    );
    assert_eq!(
        EventTypeFlags::all().iter().count(),
        dispatch_event_names().count()
    );
}

#[test]
fn message_create_fields() {
    let Event::MessageCreate(msg) = parse("MESSAGE_CREATE") else {
        panic!()
    };
    assert_eq!(msg.kind, MessageType::Reply);
    assert_eq!(msg.referenced_message, Some(None), "null = deleted");
    assert_eq!(
        msg.timestamp.to_string(),
        "2024-03-13T19:19:14.040000+00:00"
    );
    assert!(msg
        .flags
        .contains(MessageFlags::HAS_SNAPSHOT | MessageFlags::SUPPRESS_EMBEDS));
    assert_eq!(msg.guild_id.unwrap().get(), 197038439483310086);
    assert!(msg.member.as_ref().unwrap().user.is_none());
    assert!(msg.mentions[0].member.is_some());
    assert_eq!(msg.nonce, Some(Nonce::String("1101628432006205440".into())));
    let embed = &msg.embeds[0];
    assert_eq!(embed.fields.len(), 2);
    assert_eq!(
        embed.timestamp.unwrap().to_string(),
        "2024-03-13T19:19:14.040Z"
    );
    assert_eq!(embed.footer.as_ref().unwrap().text, "footer");
    assert_eq!(msg.attachments[0].duration_secs, Some(3.52));
    assert_eq!(msg.reactions[0].count_details.burst, 1);
    assert_eq!(msg.reactions[1].emoji.name, None);
    assert_eq!(msg.message_snapshots[0].message.content, "forwarded");
    let meta = msg.interaction_metadata.as_ref().unwrap();
    assert_eq!(meta.authorizing_integration_owners.guild_id(), msg.guild_id);
    let poll = msg.poll.as_ref().unwrap();
    assert_eq!(
        poll.answers[0]
            .poll_media
            .emoji
            .as_ref()
            .unwrap()
            .name
            .as_deref(),
        Some("🦀")
    );
    assert!(poll.results.as_ref().unwrap().answer_counts[0].me_voted);
    assert_eq!(msg.components.len(), 5);
    let Component::ActionRow(row) = &msg.components[0] else {
        panic!()
    };
    let styles: Vec<_> = row
        .components
        .iter()
        .map(|c| match c {
            Component::Button(b) => b.style,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        styles,
        [
            ButtonStyle::Primary,
            ButtonStyle::Link,
            ButtonStyle::Premium,
            ButtonStyle::Unknown(42)
        ]
    );
    let Component::ActionRow(row) = &msg.components[2] else {
        panic!()
    };
    let Component::SelectMenu(select) = &row.components[0] else {
        panic!()
    };
    assert_eq!(select.kind, SelectMenuType::Channel);
    assert_eq!(
        select.default_values[0].kind,
        SelectDefaultValueType::Channel
    );
    assert_eq!(msg.thread.as_ref().unwrap().kind, ChannelType::PublicThread);
    assert_eq!(msg.resolved.as_ref().unwrap().users.len(), 1);
    assert!(msg.shared_client_theme.is_some());
}

#[test]
fn message_variants() {
    let Event::MessageCreate(msg) = parse("MESSAGE_CREATE.reply_loaded") else {
        panic!()
    };
    let replied = msg.referenced_message.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(replied.id.get(), 1101628400000000000);
    let Event::MessageCreate(msg) = parse("MESSAGE_CREATE.dm_minimal") else {
        panic!()
    };
    assert!(msg.guild_id.is_none() && msg.member.is_none() && msg.referenced_message.is_none());
    let Event::MessageCreate(msg) = parse("MESSAGE_CREATE.unknown_type") else {
        panic!()
    };
    assert_eq!(msg.kind, MessageType::Unknown(250));
    assert_eq!(msg.flags.bits(), 1 << 40, "unknown flag bits are kept");
    let Event::MessageCreate(msg) = parse("MESSAGE_CREATE.components_v2") else {
        panic!()
    };
    assert_eq!(
        msg.message_reference.as_ref().unwrap().kind,
        Some(MessageReferenceType::Forward)
    );
    let Component::Container(container) = &msg.components[0] else {
        panic!()
    };
    let kinds: Vec<_> = container.components.iter().map(Component::kind).collect();
    assert_eq!(
        kinds,
        [
            ComponentType::TextDisplay,
            ComponentType::Section,
            ComponentType::Separator,
            ComponentType::MediaGallery,
            ComponentType::File,
            ComponentType::MentionableSelect,
            ComponentType::Unknown(99),
        ]
    );
    let Component::Unknown(unknown) = &container.components[6] else {
        panic!()
    };
    assert!(unknown.raw.get().contains("hologram"), "kept verbatim");
    assert_eq!(
        msg.components.iter().map(Component::count).sum::<usize>(),
        12
    );
    let Event::MessageUpdate(update) = parse("MESSAGE_UPDATE.partial") else {
        panic!()
    };
    assert!(update.content.is_none() && update.author.is_none());
    assert_eq!(update.embeds.as_ref().unwrap().len(), 1);
}

#[test]
fn guild_create_fields() {
    let Event::GuildCreate(create) = parse("GUILD_CREATE") else {
        panic!()
    };
    let GuildCreate::Available(guild) = *create else {
        panic!()
    };
    assert_eq!(guild.members.len(), 3);
    assert_eq!(guild.verification_level, VerificationLevel::High);
    assert!(guild.features.contains(&GuildFeature::Community));
    assert!(guild
        .features
        .contains(&GuildFeature::Unknown("SOME_FUTURE_FEATURE".into())));
    let tags = guild.roles[1].tags.as_ref().unwrap();
    assert!(tags.premium_subscriber && tags.guild_connections && !tags.available_for_purchase);
    assert!(guild.roles[0].tags.is_none());
    assert_eq!(
        guild.roles[0].id.cast::<GuildMarker>(),
        guild.id,
        "@everyone"
    );
    let kinds: Vec<_> = guild.channels.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            ChannelType::GuildText,
            ChannelType::GuildVoice,
            ChannelType::GuildCategory,
            ChannelType::GuildForum,
            ChannelType::GuildStageVoice,
            ChannelType::GuildAnnouncement,
            ChannelType::GuildDirectory,
            ChannelType::GuildMedia,
            ChannelType::Unknown(99),
        ]
    );
    assert_eq!(
        guild.channels[8].permission_overwrites[0].kind,
        OverwriteType::Unknown(7)
    );
    assert_eq!(
        guild.channels[0].permission_overwrites[1].kind,
        OverwriteType::Member
    );
    assert_eq!(guild.channels[3].available_tags.len(), 2);
    assert!(
        guild.channels[0].guild_id.is_none(),
        "GUILD_CREATE channels may lack guild_id"
    );
    assert_eq!(guild.voice_states[0].guild_id, None);
    assert_eq!(guild.presences[0].status, Status::Online);
    assert!(guild
        .system_channel_flags
        .contains(SystemChannelFlags::SUPPRESS_JOIN_NOTIFICATIONS));
    assert_eq!(
        guild.system_channel_flags.bits() & (1 << 10),
        1 << 10,
        "unknown bits kept"
    );
    assert_eq!(guild.soundboard_sounds[0].volume, 1.0);
    assert_eq!(
        guild.guild_scheduled_events[0]
            .entity_metadata
            .as_ref()
            .unwrap()
            .location
            .as_deref(),
        Some("Berlin")
    );

    let Event::GuildCreate(create) = parse("GUILD_CREATE.unavailable") else {
        panic!()
    };
    assert!(matches!(
        *create,
        GuildCreate::Unavailable(UnavailableGuild {
            unavailable: Some(true),
            ..
        })
    ));
    let Event::GuildDelete(deleted) = parse("GUILD_DELETE.removed") else {
        panic!()
    };
    assert_eq!(deleted.unavailable, None, "absent = removed from the guild");
    // GuildCreate also implements Deserialize on its own (untagged).
    let direct: GuildCreate = serde_json::from_slice(&fixture("GUILD_CREATE")).unwrap();
    assert!(matches!(direct, GuildCreate::Available(_)));
    let direct: GuildCreate = serde_json::from_slice(&fixture("GUILD_CREATE.unavailable")).unwrap();
    assert!(matches!(direct, GuildCreate::Unavailable(_)));
    // A broken full guild is an error, not an unavailable guild.
    assert!(Event::from_dispatch("GUILD_CREATE", br#"{"id":"1","name":5}"#).is_err());
}

#[test]
fn interactions() {
    let Event::InteractionCreate(i) = parse("INTERACTION_CREATE") else {
        panic!()
    };
    assert_eq!(i.kind, InteractionType::ApplicationCommand);
    assert_eq!(format!("{:?}", i.token), "InteractionToken(<redacted>)");
    assert_eq!(i.token.as_str(), "A_UNIQUE_TOKEN");
    assert_eq!(i.author().unwrap().username, "nelly");
    assert_eq!(i.context, Some(InteractionContextType::Guild));
    assert!(i.member.as_ref().unwrap().permissions.is_some());
    let Some(InteractionData::ApplicationCommand(data)) = &i.data else {
        panic!()
    };
    let values: Vec<_> = data
        .options
        .iter()
        .map(|o| o.value.clone().unwrap())
        .collect();
    assert_eq!(values[0].as_str(), Some("animal_dog"));
    assert_eq!(values[1].as_bool(), Some(true));
    assert_eq!(values[2].as_i64(), Some(3));
    assert_eq!(values[3].as_f64(), Some(0.5));
    let user_id: UserId = values[4].as_str().unwrap().parse().unwrap();
    let resolved = data.resolved.as_ref().unwrap();
    assert!(resolved.users.contains_key(&user_id));
    assert!(resolved.members[&user_id].user.is_none());
    assert_eq!(
        resolved.channels.values().next().unwrap().kind,
        ChannelType::GuildText
    );
    assert_eq!(resolved.attachments.len(), 1);

    let Event::InteractionCreate(i) = parse("INTERACTION_CREATE.component") else {
        panic!()
    };
    let Some(InteractionData::MessageComponent(data)) = &i.data else {
        panic!()
    };
    assert_eq!(data.values, ["mage", "rogue"]);
    assert_eq!(data.component_type, ComponentType::StringSelect);
    assert!(i.message.is_some());

    let Event::InteractionCreate(i) = parse("INTERACTION_CREATE.modal_submit") else {
        panic!()
    };
    assert_eq!(i.author().unwrap().id, user_id, "DM: user, not member");
    assert_eq!(
        i.authorizing_integration_owners.guild_id(),
        None,
        "\"0\" = bot DM"
    );
    let Some(InteractionData::ModalSubmit(data)) = &i.data else {
        panic!()
    };
    let Component::Label(label) = &data.components[0] else {
        panic!()
    };
    let Component::TextInput(input) = &*label.component else {
        panic!()
    };
    assert_eq!(input.value.as_deref(), Some("great lib"));
    assert_eq!(input.style, None);
    let Component::Label(label) = &data.components[3] else {
        panic!()
    };
    assert!(matches!(&*label.component, Component::FileUpload(f) if f.values.len() == 1));
    let Component::Label(label) = &data.components[4] else {
        panic!()
    };
    assert_eq!(
        label.component.kind(),
        ComponentType::Checkbox,
        "typed enum value, raw kept"
    );

    let Event::InteractionCreate(i) = parse("INTERACTION_CREATE.autocomplete") else {
        panic!()
    };
    let Some(InteractionData::ApplicationCommand(data)) = &i.data else {
        panic!()
    };
    assert_eq!(data.options[0].kind, CommandOptionType::SubCommand);
    assert_eq!(data.options[0].options[0].focused, Some(true));

    let Event::InteractionCreate(i) = parse("INTERACTION_CREATE.ping") else {
        panic!()
    };
    assert!(i.data.is_none() && i.author().is_none());

    let Event::InteractionCreate(i) = parse("INTERACTION_CREATE.unknown_type") else {
        panic!()
    };
    assert_eq!(i.kind, InteractionType::Unknown(9));
    assert!(
        matches!(&i.data, Some(InteractionData::Unknown(raw)) if raw.get().contains("hologram"))
    );
}

#[test]
fn small_events() {
    let Event::GuildMembersChunk(chunk) = parse("GUILD_MEMBERS_CHUNK") else {
        panic!()
    };
    assert_eq!(chunk.not_found[0].get(), 123123, "integer IDs are accepted");
    assert_eq!(chunk.not_found[1].get(), 456456);
    let Event::PresenceUpdate(p) = parse("PRESENCE_UPDATE") else {
        panic!()
    };
    assert_eq!(p.activities[2].kind, ActivityType::Unknown(77));
    assert_eq!(p.activities[0].party.as_ref().unwrap().size, Some([2, 2]));
    assert_eq!(p.client_status.mobile, Some(Status::Idle));
    assert!(p.user.username.is_none());
    let Event::TypingStart(t) = parse("TYPING_START") else {
        panic!()
    };
    assert_eq!(t.timestamp, 1710000000);
    let Event::VoiceServerUpdate(v) = parse("VOICE_SERVER_UPDATE") else {
        panic!()
    };
    assert!(!format!("{v:?}").contains("my_voice_token"));
    let Event::ChannelInfo(info) = parse("CHANNEL_INFO") else {
        panic!()
    };
    assert_eq!(info.channels[1].status, Some(None));
    assert_eq!(info.channels[2].status, None);
    let Event::GuildMemberUpdate(m) = parse("GUILD_MEMBER_UPDATE") else {
        panic!()
    };
    assert_eq!(m.nick, Some(None));
    assert!(m.communication_disabled_until.is_some());
    let Event::GuildMemberAdd(m) = parse("GUILD_MEMBER_ADD") else {
        panic!()
    };
    assert!(m.member.user.is_some());
    let Event::AutoModerationRuleCreate(rule) = parse("AUTO_MODERATION_RULE_CREATE") else {
        panic!()
    };
    assert_eq!(rule.actions[3].kind, AutoModerationActionType::Unknown(9));
    let Event::GuildAuditLogEntryCreate(entry) = parse("GUILD_AUDIT_LOG_ENTRY_CREATE") else {
        panic!()
    };
    assert_eq!(entry.action_type, AuditLogEvent::MemberRoleUpdate);
    assert!(entry.changes[0]
        .new_value
        .as_ref()
        .unwrap()
        .get()
        .contains("Mod"));
    let Event::Resumed(_) = parse("RESUMED.null") else {
        panic!()
    };
    let Event::VoiceStateUpdate(v) = parse("VOICE_STATE_UPDATE.disconnect") else {
        panic!()
    };
    assert!(v.channel_id.is_none());
    let Event::EntitlementUpdate(e) = parse("ENTITLEMENT_UPDATE") else {
        panic!()
    };
    assert_eq!(e.kind, EntitlementType::Unknown(42));
    let Event::Ready(ready) = parse("READY") else {
        panic!()
    };
    assert_eq!(ready.shard, Some([0, 1]));
    assert!(ready.user.bot);
    let Event::ThreadMemberUpdate(t) = parse("THREAD_MEMBER_UPDATE") else {
        panic!()
    };
    assert_eq!(t.guild_id.get(), 197038439483310086);
    assert_eq!(t.member.id.map(|id| id.get()), Some(41771983423143937));
    assert_eq!(
        t.member.user_id.map(|id| id.get()),
        Some(1006947279442059305)
    );
    assert_eq!(t.member.flags.bits(), 2);
}

/// Enum values past 255 (a message type or component type Discord adds
/// later) still parse as `Unknown`, never failing the whole event.
#[test]
fn enum_values_beyond_one_byte_are_unknown_not_errors() {
    let mut message: serde_json::Value =
        serde_json::from_slice(&fixture("MESSAGE_CREATE.dm_minimal")).unwrap();
    message["type"] = serde_json::json!(300);
    message["components"] = serde_json::json!([{"type": 1000, "id": 1}]);
    let raw = serde_json::to_vec(&message).unwrap();
    let Event::MessageCreate(msg) = Event::from_dispatch("MESSAGE_CREATE", &raw).unwrap() else {
        panic!("MESSAGE_CREATE parses as MessageCreate")
    };
    assert_eq!(msg.kind, MessageType::Unknown(300));
    assert!(matches!(msg.components[0], Component::Unknown(_)));
    assert_eq!(ComponentType::from(1000u16), ComponentType::Unknown(1000));
}
