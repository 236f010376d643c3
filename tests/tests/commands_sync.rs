//! Command sync against the fake Discord: one GET, and one bulk overwrite
//! only when Discord's commands differ from the definitions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use acord::command::{CommandBuilder, CommandDefinition, CommandOptionBuilder, ValidationError};
use acord::core::http::HttpClient;
use acord::event::kind::Ready;
use acord::model::{
    ApplicationId, ApplicationIntegrationType, ChannelType, ChoiceValue, CommandOptionType as T,
    CommandType, GuildId, InteractionContextType, Permissions,
};
use acord::sync::{CommandName, CommandSync, SyncReport};
use acord::{Client, ClientError, Http};
use acord_testkit::{FakeDiscord, RecordedRequest};
use acord_tests::{client, fake, STEP};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// The definitions of a small bot.
fn definitions() -> Vec<CommandDefinition> {
    let text = CommandOptionBuilder::new(T::String, "text", "What to say")
        .required(true)
        .max_length(200)
        .build()
        .unwrap();
    let channel = CommandOptionBuilder::new(T::Channel, "channel", "Where to say it")
        .channel_types([ChannelType::GuildText, ChannelType::GuildAnnouncement])
        .build()
        .unwrap();
    vec![
        CommandBuilder::chat_input("ping", "Checks the bot is alive")
            .build()
            .unwrap(),
        CommandBuilder::chat_input("echo", "Repeats what you say")
            .option(text)
            .option(channel)
            .build()
            .unwrap(),
        CommandBuilder::user("Show profile").build().unwrap(),
    ]
}

/// A client that saw READY (so it knows its application ID), running.
async fn ready_client(fake: &FakeDiscord) -> (Arc<Client>, JoinHandle<Result<(), ClientError>>) {
    let bot = Arc::new(client(fake).build().await.unwrap());
    let ready = bot.wait_for::<Ready>(|_| true, STEP);
    let runner = bot.clone();
    let run = tokio::spawn(async move { runner.start().await });
    ready.await.unwrap();
    (bot, run)
}

async fn stop(bot: Arc<Client>, run: JoinHandle<Result<(), ClientError>>, fake: FakeDiscord) {
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
    fake.shutdown().await;
}

/// The command requests (and `/applications/@me`) made after `from`.
fn command_requests(fake: &FakeDiscord, from: usize) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .skip(from)
        .filter(|r| r.path.contains("/commands") || r.path.ends_with("/applications/@me"))
        .collect()
}

fn methods(requests: &[RecordedRequest]) -> Vec<&str> {
    requests.iter().map(|r| r.method.as_str()).collect()
}

fn names(list: &[CommandName]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

fn app_id(fake: &FakeDiscord) -> ApplicationId {
    // the fake's application shares the bot user's ID
    ApplicationId::new(fake.bot_user_id()).unwrap()
}

fn http_for(fake: &FakeDiscord) -> Http {
    Http::new(
        HttpClient::builder(fake.token())
            .api_base(fake.api_base())
            .build()
            .unwrap(),
    )
}

/// Syncs `defs` globally and returns the report with the requests it made.
async fn sync(
    fake: &FakeDiscord,
    sync: &CommandSync,
    defs: &[CommandDefinition],
) -> (SyncReport, Vec<RecordedRequest>) {
    let from = fake.requests().len();
    let report = sync.sync_global(defs).await.unwrap();
    (report, command_requests(fake, from))
}

#[tokio::test]
async fn the_first_sync_creates_with_one_put_and_the_second_sends_nothing() {
    let fake = fake().await;
    let (bot, run) = ready_client(&fake).await;
    let app = app_id(&fake);
    let defs = definitions();

    let (first, requests) = sync(&fake, &bot.commands(), &defs).await;
    assert_eq!(
        names(&first.created),
        ["/ping", "/echo", "Show profile (user)"]
    );
    assert!(first.updated.is_empty() && first.deleted.is_empty() && first.unchanged.is_empty());
    assert_eq!(methods(&requests), ["GET", "PUT"], "{requests:?}");
    assert!(requests
        .iter()
        .all(|r| r.path.ends_with(&format!("/applications/{app}/commands"))));
    assert_eq!(
        requests[0].query.as_deref(),
        Some("with_localizations=true"),
        "the GET asks for the full localisation maps"
    );
    let sent: Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(sent.as_array().unwrap().len(), 3);
    assert_eq!(first.commands.len(), 3);
    assert!(first.commands.iter().all(|c| c.application_id == app));

    let (second, requests) = sync(&fake, &bot.commands(), &defs).await;
    assert!(second.is_unchanged());
    assert_eq!(
        names(&second.unchanged),
        ["/ping", "/echo", "Show profile (user)"]
    );
    assert_eq!(methods(&requests), ["GET"], "no PUT when nothing changed");
    assert_eq!(
        second
            .commands
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
            .len(),
        3
    );
    assert_eq!(
        second.to_string(),
        "global commands: 0 created, 0 updated, 0 deleted, \
         3 unchanged (/ping, /echo, Show profile (user))"
    );
    stop(bot, run, fake).await;
}

#[tokio::test]
async fn a_changed_description_is_one_put_and_reported_updated() {
    let fake = fake().await;
    let (bot, run) = ready_client(&fake).await;
    let mut defs = definitions();
    sync(&fake, &bot.commands(), &defs).await;
    let before = bot.http().global_commands(app_id(&fake)).await.unwrap();

    defs[0].description = "Answers pong".into();
    let (report, requests) = sync(&fake, &bot.commands(), &defs).await;
    assert_eq!(names(&report.updated), ["/ping"]);
    assert_eq!(names(&report.unchanged), ["/echo", "Show profile (user)"]);
    assert!(report.created.is_empty() && report.deleted.is_empty());
    assert_eq!(methods(&requests), ["GET", "PUT"]);
    let ping = report.commands.iter().find(|c| c.name == "ping").unwrap();
    assert_eq!(ping.description, "Answers pong");
    let old = before.iter().find(|c| c.name == "ping").unwrap();
    assert_eq!(ping.id, old.id, "an update keeps the command's ID");

    let (again, requests) = sync(&fake, &bot.commands(), &defs).await;
    assert!(again.is_unchanged());
    assert_eq!(methods(&requests), ["GET"]);
    stop(bot, run, fake).await;
}

#[tokio::test]
async fn a_command_no_longer_defined_is_deleted() {
    let fake = fake().await;
    let (bot, run) = ready_client(&fake).await;
    let mut defs = definitions();
    sync(&fake, &bot.commands(), &defs).await;

    let removed = defs.remove(1);
    let (report, requests) = sync(&fake, &bot.commands(), &defs).await;
    assert_eq!(names(&report.deleted), ["/echo"]);
    assert_eq!(names(&report.unchanged), ["/ping", "Show profile (user)"]);
    assert_eq!(methods(&requests), ["GET", "PUT"]);
    let left = bot.http().global_commands(app_id(&fake)).await.unwrap();
    assert!(left.iter().all(|c| c.name != removed.name));
    assert_eq!(left.len(), 2);

    // an empty list deletes every command
    let (report, _) = sync(&fake, &bot.commands(), &[]).await;
    assert_eq!(names(&report.deleted).len(), 2);
    assert!(bot
        .http()
        .global_commands(app_id(&fake))
        .await
        .unwrap()
        .is_empty());
    stop(bot, run, fake).await;
}

#[tokio::test]
async fn reordered_lists_and_written_out_defaults_send_nothing() {
    let fake = fake().await;
    let (bot, run) = ready_client(&fake).await;
    sync(&fake, &bot.commands(), &definitions()).await;

    // the same commands, in another order, with documented defaults
    // written out and the channel types in another order
    let mut same = definitions();
    same.reverse();
    let echo = same.iter_mut().find(|c| c.name == "echo").unwrap();
    echo.nsfw = Some(false);
    echo.contexts = Some(vec![
        InteractionContextType::PrivateChannel,
        InteractionContextType::BotDm,
        InteractionContextType::Guild,
    ]);
    echo.integration_types = Some(vec![ApplicationIntegrationType::GuildInstall]);
    echo.name_localizations = Some([("en-US".to_owned(), "echo".to_owned())].into());
    echo.description_localizations = Some(Default::default());
    echo.options[1].required = Some(false);
    echo.options[1].autocomplete = Some(false);
    echo.options[1].channel_types.reverse();
    let (report, requests) = sync(&fake, &bot.commands(), &same).await;
    assert!(report.is_unchanged(), "{report}");
    assert_eq!(methods(&requests), ["GET"]);

    // option order is what users see: a reorder is an update
    let mut reordered = definitions();
    reordered[1].options.swap(0, 1);
    reordered[1].options[1].required = Some(false);
    reordered[1].options[0].required = None;
    let (report, requests) = sync(&fake, &bot.commands(), &reordered).await;
    assert_eq!(names(&report.updated), ["/echo"]);
    assert_eq!(methods(&requests), ["GET", "PUT"]);
    stop(bot, run, fake).await;
}

#[tokio::test]
async fn localised_commands_match_after_a_round_trip() {
    let fake = fake().await;
    let (bot, run) = ready_client(&fake).await;
    let kind = CommandOptionBuilder::new(T::String, "kind", "Which pet")
        .name_localization("de", "art")
        .description_localization("de", "Welches Tier")
        .localized_choice("Dog", ChoiceValue::String("dog".into()), [("de", "Hund")])
        .localized_choice("Cat", ChoiceValue::String("cat".into()), [("de", "Katze")])
        .build()
        .unwrap();
    let pet = |german: &str| {
        CommandBuilder::chat_input("pet", "Shows a pet")
            .name_localization("de", german)
            .description_localization("de", "Zeigt ein Tier")
            .option(kind.clone())
            .default_member_permissions(Permissions::SEND_MESSAGES)
            .build()
            .unwrap()
    };
    let (first, _) = sync(&fake, &bot.commands(), &[pet("tier")]).await;
    assert_eq!(names(&first.created), ["/pet"]);
    let (second, requests) = sync(&fake, &bot.commands(), &[pet("tier")]).await;
    assert!(second.is_unchanged(), "{second}");
    assert_eq!(methods(&requests), ["GET"]);
    let (third, _) = sync(&fake, &bot.commands(), &[pet("haustier")]).await;
    assert_eq!(names(&third.updated), ["/pet"]);
    stop(bot, run, fake).await;
}

#[tokio::test]
async fn guild_sync_uses_the_guild_route_and_leaves_global_commands_alone() {
    let fake = fake().await;
    let (bot, run) = ready_client(&fake).await;
    let app = app_id(&fake);
    let guild = GuildId::new(fake.guild_ids()[0]).unwrap();
    let global = bot
        .commands()
        .sync_global(&definitions()[..1])
        .await
        .unwrap();
    assert_eq!(global.created.len(), 1);

    let defs = definitions();
    let from = fake.requests().len();
    let report = bot.commands().sync_guild(guild, &defs).await.unwrap();
    assert_eq!(report.created.len(), 3);
    assert_eq!(report.scope, acord::sync::CommandScope::Guild(guild));
    let requests = command_requests(&fake, from);
    assert_eq!(methods(&requests), ["GET", "PUT"]);
    let route = format!("/applications/{app}/guilds/{guild}/commands");
    assert!(
        requests.iter().all(|r| r.path.ends_with(&route)),
        "{requests:?}"
    );
    assert!(report.commands.iter().all(|c| c.guild_id == Some(guild)));

    let from = fake.requests().len();
    let again = bot.commands().sync_guild(guild, &defs).await.unwrap();
    assert!(again.is_unchanged(), "{again}");
    assert_eq!(methods(&command_requests(&fake, from)), ["GET"]);
    assert_eq!(
        bot.http().global_commands(app).await.unwrap().len(),
        1,
        "the global command is untouched"
    );
    stop(bot, run, fake).await;
}

#[tokio::test]
async fn plain_http_syncs_with_a_given_or_fetched_application_id() {
    let fake = fake().await;
    let http = http_for(&fake);
    let defs = definitions();

    let given = CommandSync::new(&http, app_id(&fake));
    let (report, requests) = sync(&fake, &given, &defs).await;
    assert_eq!(report.created.len(), 3);
    assert_eq!(methods(&requests), ["GET", "PUT"]);

    // no ID at hand: GET /applications/@me once, remembered by the Http
    let current = CommandSync::current_application(&http);
    let (report, requests) = sync(&fake, &current, &defs).await;
    assert!(report.is_unchanged());
    assert_eq!(methods(&requests), ["GET", "GET"]);
    assert!(requests[0].path.ends_with("/applications/@me"));
    assert_eq!(http.application_id(), Some(app_id(&fake)));
    let (_, requests) = sync(&fake, &CommandSync::current_application(&http), &defs).await;
    assert_eq!(methods(&requests), ["GET"], "the ID is fetched once");
    fake.shutdown().await;
}

#[tokio::test]
async fn a_client_before_ready_fetches_its_application_id_once() {
    let fake = fake().await;
    let bot = client(&fake).build().await.unwrap();
    let from = fake.requests().len();
    bot.commands().sync_global(&definitions()).await.unwrap();
    bot.commands().sync_global(&definitions()).await.unwrap();
    let requests = command_requests(&fake, from);
    let me = requests
        .iter()
        .filter(|r| r.path.ends_with("/applications/@me"))
        .count();
    assert_eq!(me, 1);
    assert_eq!(methods(&requests), ["GET", "GET", "PUT", "GET"]);
    fake.shutdown().await;
}

#[tokio::test]
async fn installation_types_left_out_follow_the_apps_configuration() {
    let fake = fake().await;
    let http = http_for(&fake);
    let app = app_id(&fake);
    let sync_ = CommandSync::new(&http, app);
    // someone made /ping installable by users too
    let both = CommandBuilder::chat_input("ping", "Checks the bot is alive")
        .integration_types([
            ApplicationIntegrationType::GuildInstall,
            ApplicationIntegrationType::UserInstall,
        ])
        .build()
        .unwrap();
    http.set_global_commands(app, &[both]).await.unwrap();
    // the definition leaves the types out: the app's default, which the
    // sync reads once (the fake's app is guild-install only)
    let (report, requests) = sync(&fake, &sync_, &definitions()[..1]).await;
    assert_eq!(names(&report.updated), ["/ping"]);
    assert_eq!(methods(&requests), ["GET", "GET", "PUT"]);
    assert!(requests[1].path.ends_with("/applications/@me"));
    let types = &report.commands[0].integration_types;
    assert_eq!(
        types.as_deref(),
        Some(&[ApplicationIntegrationType::GuildInstall][..])
    );
    let (report, requests) = sync(&fake, &sync_, &definitions()[..1]).await;
    assert!(report.is_unchanged());
    assert_eq!(methods(&requests), ["GET"]);
    fake.shutdown().await;
}

#[tokio::test]
async fn invalid_definitions_are_refused_before_any_request() {
    let fake = fake().await;
    let http = http_for(&fake);
    let sync_ = CommandSync::new(&http, app_id(&fake));
    let from = fake.requests().len();

    let mut twice = definitions();
    twice.push(twice[0].clone());
    let err = sync_.sync_global(&twice).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Validation(ValidationError::Duplicate { value, .. }) if value == "ping"),
        "{err}"
    );

    let mut broken = definitions();
    broken[1].options[0].description = String::new();
    let err = sync_.sync_global(&broken).await.unwrap_err();
    let ClientError::Validation(ValidationError::InCommand { name, source }) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(name, "echo");
    assert_eq!(source.field(), "options[].description");

    let sixteen: Vec<_> = (0..16)
        .map(|i| {
            CommandBuilder::message(format!("Message {i}"))
                .build()
                .unwrap()
        })
        .collect();
    assert!(matches!(
        sync_.sync_global(&sixteen).await.unwrap_err(),
        ClientError::Validation(ValidationError::TooMany { max: 15, .. })
    ));

    let entry = CommandBuilder::entry_point(
        "launch",
        "Launch",
        acord::model::EntryPointCommandHandlerType::AppHandler,
    )
    .build()
    .unwrap();
    let guild = GuildId::new(fake.guild_ids()[0]).unwrap();
    assert!(sync_.sync_guild(guild, &[entry]).await.is_err());

    assert!(command_requests(&fake, from).is_empty(), "nothing was sent");
    assert_eq!(
        definitions()
            .iter()
            .filter(|d| d.kind == CommandType::User)
            .count(),
        1
    );
    fake.shutdown().await;
}
