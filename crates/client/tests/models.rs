//! REST objects deserialise from fixtures written from Discord's field
//! tables, round-trip, and keep what acord does not know.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Debug;
use std::path::Path;

use acord::model::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn object<T: DeserializeOwned + Serialize + PartialEq + Debug>(file: &str) -> T {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/objects/{file}.json"));
    let bytes = std::fs::read(&path).unwrap();
    let value: T = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
    let json = serde_json::to_string(&value).unwrap();
    let again: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{file} re-parse: {e}"));
    assert_eq!(value, again, "{file} round trip");
    value
}

#[test]
fn application_command() {
    let cmd: ApplicationCommand = object("application_command");
    assert_eq!(cmd.kind, CommandType::ChatInput);
    assert_eq!(cmd.name_localizations.as_ref().unwrap()["de"], "blep-de");
    assert_eq!(
        cmd.options[0].choices[0].value,
        ChoiceValue::String("animal_dog".into())
    );
    assert_eq!(cmd.options[2].min_value, Some(CommandNumber::Integer(1)));
    assert_eq!(cmd.options[3].min_value, Some(CommandNumber::Number(0.5)));
    assert_eq!(
        cmd.options[4].channel_types,
        [ChannelType::GuildText, ChannelType::Unknown(99)]
    );
    assert_eq!(
        cmd.contexts.as_deref().unwrap(),
        [
            InteractionContextType::Guild,
            InteractionContextType::BotDm,
            InteractionContextType::PrivateChannel,
            InteractionContextType::Unknown(9)
        ]
    );
    assert_eq!(cmd.default_member_permissions, None);
}

#[test]
fn webhooks_redact_tokens() {
    let hook: Webhook = object("webhook");
    assert_eq!(hook.kind, WebhookType::Incoming);
    assert!(hook.token.is_some());
    let debug = format!("{hook:?}");
    assert!(debug.contains("<redacted>") && !debug.contains("3d89bb7572e0fb30"));
    let follower: Webhook = object("webhook_follower");
    assert_eq!(follower.source_channel.unwrap().name, "announcements");
}

#[test]
fn other_objects() {
    let invite: Invite = object("invite");
    assert_eq!(
        invite.target_type,
        Some(InviteTargetType::EmbeddedApplication)
    );
    assert_eq!(invite.channel.unwrap().kind, ChannelType::GuildText);
    let ban: Ban = object("ban");
    assert!(ban.reason.is_none());
    let sticker: Sticker = object("sticker_standard");
    assert_eq!(sticker.format_type, StickerFormatType::Lottie);
    assert_eq!(sticker.kind, StickerType::Standard);
    let integration: Integration = object("integration_with_user");
    assert!(integration.user.is_some());
    let guild: Guild = object("guild_rest");
    assert_eq!(
        guild.permissions,
        Some(Permissions::from_bits_retain(2147483647))
    );
    assert!(guild.members.is_empty() && guild.joined_at.is_none());
    let member: ThreadMember = object("thread_member_with_member");
    assert!(member.member.is_some());
    let perms: GuildCommandPermissions = object("command_permissions");
    assert_eq!(perms.permissions[3].kind, CommandPermissionType::Unknown(9));
}

#[test]
fn unknown_components_survive_verbatim() {
    let raw = r#"{"type":99,"id":7,"hologram":{"depth":3}}"#;
    let component: Component = serde_json::from_str(raw).unwrap();
    assert_eq!(component.kind(), ComponentType::Unknown(99));
    assert_eq!(serde_json::to_string(&component).unwrap(), raw);
    // A known type with a field of a type acord does not expect.
    let odd = r#"{"type":2,"style":"round"}"#;
    let component: Component = serde_json::from_str(odd).unwrap();
    assert_eq!(component.kind(), ComponentType::Button);
    assert!(matches!(component, Component::Unknown(_)));
    assert!(serde_json::from_str::<Component>(r#"{"style":1}"#).is_err());
}

#[test]
fn timestamps_keep_their_precision() {
    for text in [
        "2024-03-13T19:19:14.040000+00:00",
        "2024-03-13T19:19:14.040Z",
        "2024-03-13T19:19:14+00:00",
        "2021-04-12T23:40:39.855793+00:00",
    ] {
        let ts: Timestamp = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(ts.to_string(), text);
    }
}

#[test]
fn enums_keep_unknown_values() {
    let t: ChannelType = serde_json::from_str("77").unwrap();
    assert_eq!(t, ChannelType::Unknown(77));
    assert_eq!(serde_json::to_string(&t).unwrap(), "77");
    let s: Status = serde_json::from_str("\"streaming\"").unwrap();
    assert_eq!(s, Status::Unknown("streaming".into()));
    assert_eq!(serde_json::to_string(&s).unwrap(), "\"streaming\"");
    assert_eq!(ChannelType::from(15), ChannelType::GuildForum);
    assert_eq!(u16::from(ChannelType::GuildForum), 15);
    assert!(ChannelType::PrivateThread.is_thread());
}

#[test]
fn models_are_thread_safe_and_static() {
    fn check<T: Clone + Debug + PartialEq + Send + Sync + 'static>() {}
    check::<Message>();
    check::<Guild>();
    check::<Interaction>();
    check::<Channel>();
    check::<Presence>();
    check::<Component>();
    fn error<E: std::error::Error + Send + Sync + 'static>() {}
    error::<IdParseError>();
    error::<TimestampParseError>();
    error::<acord::event::EventError>();
    error::<acord::command::ValidationError>();
}
