//! The fake Discord's payload builders (`acord_testkit::fixtures`) as a
//! second corpus: the client's types must read what the fake server sends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use acord::event::{Event, GuildCreate};
use acord::model::*;
use acord_testkit::fixtures;
use serde_json::{json, Value};

fn event(name: &str, payload: &Value) -> Event {
    let bytes = serde_json::to_vec(payload).unwrap();
    let event = Event::from_dispatch(name, &bytes)
        .unwrap_or_else(|e| panic!("{name}: {e}: {:?}\n{payload:#}", e.json_error()));
    assert_eq!(event.name(), name);
    let again = Event::from_dispatch(name, event.to_json().unwrap().as_bytes()).unwrap();
    assert_eq!(event, again, "{name} round trip");
    event
}

const GUILD: u64 = 41771983423143937;
const CHANNEL: u64 = 41771983423143938;

#[test]
fn generated_guilds() {
    // Size 0 is skipped: the generator then leaves `owner_id` at "0", which
    // acord rejects (no Discord object has ID 0).
    for (seed, size) in [(1, 1), (7, 10), (42, 300)] {
        let guild = fixtures::Generator::new(seed).guild("corpus", size);
        let Event::GuildCreate(create) = event("GUILD_CREATE", &guild.guild_create()) else {
            panic!()
        };
        let GuildCreate::Available(parsed) = *create else {
            panic!()
        };
        assert_eq!(parsed.id.get(), guild.id());
        assert_eq!(parsed.members.len(), size);
        assert_eq!(parsed.roles[0].id.cast::<GuildMarker>(), parsed.id);
        assert_eq!(parsed.channels.len(), guild.channels.len());
        assert_eq!(parsed.presences.len(), guild.presences.len());
        assert_eq!(parsed.member_count, Some(size as u64));
        let Event::GuildUpdate(_) = event("GUILD_UPDATE", &guild.guild) else {
            panic!()
        };
    }
}

#[test]
fn messages_and_components() {
    let author = fixtures::user(80351110224678912, "Nelly");
    let other = fixtures::user(80351110224678913, "Ida");
    let member = fixtures::member(&other, &[GUILD + 10], &fixtures::iso8601(1_735_689_600_000));
    let mut message = fixtures::message(
        fixtures::snowflake(1_735_689_600_000, 1),
        CHANNEL,
        Some(GUILD),
        &author,
        "hello <@80351110224678913>",
    );
    message["mentions"] = json!([fixtures::mention(&other, Some(&member))]);
    message["embeds"] = json!([fixtures::embed("title", "description")]);
    message["attachments"] = json!([fixtures::attachment(
        fixtures::snowflake(1_735_689_600_000, 2),
        "a.png",
        12,
        "image/png",
        "https://cdn.discordapp.com/a.png"
    )]);
    message["components"] = json!([
        fixtures::action_row(vec![
            fixtures::button(1, "yes", "Yes"),
            fixtures::link_button("Docs", "https://docs.rs"),
        ]),
        fixtures::action_row(vec![fixtures::string_select(
            "pick",
            &[("A", "a"), ("B", "b")]
        )]),
    ]);
    let Event::MessageCreate(parsed) = event("MESSAGE_CREATE", &message) else {
        panic!()
    };
    assert_eq!(
        parsed.timestamp.to_string(),
        "2025-01-01T00:00:00.000000+00:00"
    );
    assert_eq!(parsed.mentions[0].id.get(), 80351110224678913);
    assert!(parsed.mentions[0].member.is_some());
    assert_eq!(parsed.attachments[0].size, 12);
    let Component::ActionRow(row) = &parsed.components[1] else {
        panic!()
    };
    assert!(matches!(&row.components[0], Component::SelectMenu(s) if s.options.len() == 2));
    let Event::MessageUpdate(update) = event("MESSAGE_UPDATE", &message) else {
        panic!()
    };
    assert_eq!(
        update.content.as_deref(),
        Some("hello <@80351110224678913>")
    );
    let dm = fixtures::message(1, 2, None, &author, "dm");
    let Event::MessageCreate(parsed) = event("MESSAGE_CREATE", &dm) else {
        panic!()
    };
    assert!(parsed.guild_id.is_none());
}

#[test]
fn guild_objects() {
    let user = fixtures::user(80351110224678912, "Nelly");
    let mut add = fixtures::member(&user, &[], &fixtures::iso8601(1_735_689_600_000));
    add["guild_id"] = json!(GUILD.to_string());
    let Event::GuildMemberAdd(parsed) = event("GUILD_MEMBER_ADD", &add) else {
        panic!()
    };
    assert_eq!(parsed.guild_id.get(), GUILD);
    let role =
        json!({"guild_id": GUILD.to_string(), "role": fixtures::role(GUILD + 1, "mod", 1, 8)});
    let Event::GuildRoleCreate(parsed) = event("GUILD_ROLE_CREATE", &role) else {
        panic!()
    };
    assert!(parsed.role.permissions.contains(Permissions::ADMINISTRATOR));
    let everyone = json!({"guild_id": GUILD.to_string(), "role": fixtures::everyone_role(GUILD)});
    let Event::GuildRoleUpdate(_) = event("GUILD_ROLE_UPDATE", &everyone) else {
        panic!()
    };
    for channel in [
        fixtures::text_channel(CHANNEL, GUILD, "general", 0),
        fixtures::voice_channel(CHANNEL + 1, GUILD, "voice", 1),
        fixtures::category(CHANNEL + 2, GUILD, "cat", 2),
    ] {
        let Event::ChannelCreate(parsed) = event("CHANNEL_CREATE", &channel) else {
            panic!()
        };
        assert_eq!(parsed.guild_id.map(Id::get), Some(GUILD));
    }
    let emojis = json!({"guild_id": GUILD.to_string(), "emojis": [
        fixtures::emoji(GUILD + 5, "acord", false), fixtures::emoji(GUILD + 6, "party", true)]});
    let Event::GuildEmojisUpdate(parsed) = event("GUILD_EMOJIS_UPDATE", &emojis) else {
        panic!()
    };
    assert_eq!(parsed.emojis[1].animated, Some(true));
    let Event::UserUpdate(bot) = event("USER_UPDATE", &fixtures::bot_user(5, "bot")) else {
        panic!()
    };
    assert!(bot.bot);
    let presence = fixtures::presence(
        80351110224678912,
        GUILD,
        "dnd",
        vec![fixtures::activity("acord", 0, 1_735_689_600_000)],
    );
    let Event::PresenceUpdate(parsed) = event("PRESENCE_UPDATE", &presence) else {
        panic!()
    };
    assert_eq!(parsed.status, Status::Dnd);
    assert_eq!(parsed.activities[0].kind, ActivityType::Playing);
}

#[test]
fn interactions() {
    let user = fixtures::user(80351110224678912, "Nelly");
    let member = fixtures::member(&user, &[], &fixtures::iso8601(1_735_689_600_000));
    let guild_ctx = fixtures::InteractionContext {
        id: 786008729715212338,
        application_id: 1006947279442059305,
        token: "token".into(),
        guild_id: Some(GUILD),
        channel: fixtures::text_channel(CHANNEL, GUILD, "general", 0),
        invoker: member,
    };
    let dm_ctx = fixtures::InteractionContext {
        guild_id: None,
        invoker: user.clone(),
        channel: json!({"id": CHANNEL.to_string(), "type": 1}),
        ..guild_ctx.clone()
    };
    let Event::InteractionCreate(ping) =
        event("INTERACTION_CREATE", &fixtures::ping_interaction(1, 2, "t"))
    else {
        panic!()
    };
    assert_eq!(ping.kind, InteractionType::Ping);
    for ctx in [&guild_ctx, &dm_ctx] {
        let slash = fixtures::slash_command_interaction(
            ctx,
            771825006014889984,
            "echo",
            vec![json!({"name": "text", "type": 3, "value": "hi"})],
        );
        let Event::InteractionCreate(parsed) = event("INTERACTION_CREATE", &slash) else {
            panic!()
        };
        assert_eq!(parsed.author().unwrap().id.get(), 80351110224678912);
        let Some(InteractionData::ApplicationCommand(data)) = &parsed.data else {
            panic!()
        };
        assert_eq!(data.options[0].value.as_ref().unwrap().as_str(), Some("hi"));
        assert_eq!(
            parsed
                .authorizing_integration_owners
                .guild_id()
                .map(Id::get),
            ctx.guild_id
        );
    }
    let message = fixtures::message(5, CHANNEL, Some(GUILD), &user, "pick one");
    let select =
        fixtures::component_interaction(&guild_ctx, &message, "pick", 3, Some(vec!["a".into()]));
    let Event::InteractionCreate(parsed) = event("INTERACTION_CREATE", &select) else {
        panic!()
    };
    assert!(
        matches!(&parsed.data, Some(InteractionData::MessageComponent(d)) if d.values == ["a"])
    );
    let modal = fixtures::modal_submit_interaction(&dm_ctx, "form", &[("name", "Nelly")]);
    let Event::InteractionCreate(parsed) = event("INTERACTION_CREATE", &modal) else {
        panic!()
    };
    let Some(InteractionData::ModalSubmit(data)) = &parsed.data else {
        panic!()
    };
    let Component::ActionRow(row) = &data.components[0] else {
        panic!()
    };
    assert!(
        matches!(&row.components[0], Component::TextInput(t) if t.value.as_deref() == Some("Nelly"))
    );
}
