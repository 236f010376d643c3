//! Interactions end to end over the gateway: the fake delivers
//! INTERACTION_CREATE, the client's `InteractionRouter` answers, and the
//! fake (which enforces the 3 s window and the single initial response)
//! records what the bot sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use acord::command::{
    ActionRowBuilder, ButtonBuilder, InteractionMessage, ModalBuilder, TextInputBuilder,
};
use acord::interactions::{checks, InteractionContext, InteractionError, InteractionRouter};
use acord::model::{ButtonStyle, ChoiceValue, CommandOptionChoice, TextInputStyle};
use acord::{Client, ClientError};
use acord_testkit::fixtures::{self, InteractionContext as Invocation};
use acord_testkit::{FakeDiscord, RecordedRequest, ShardTarget};
use acord_tests::{fake, first_channel, intents, STEP};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

static NEXT_ID: AtomicU64 = AtomicU64::new(1_400_000_000_000_000_000);

/// An invocation in the fake's first guild and channel, by a scripted
/// member.
fn invocation(fake: &FakeDiscord, guild: bool) -> Invocation {
    let (guild_id, channel) = first_channel(fake);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let user = fixtures::user(1_200_000_000_000_000_001, "scripted_user");
    Invocation {
        id,
        application_id: fake.bot_user_id(),
        token: format!("itoken-{id}"),
        guild_id: guild.then_some(guild_id),
        channel: json!({"id": channel.to_string(), "type": if guild { 0 } else { 1 }}),
        invoker: if guild {
            fixtures::member(&user, &[], "2024-01-01T00:00:00.000000+00:00")
        } else {
            user
        },
    }
}

async fn start(
    fake: &FakeDiscord,
    router: InteractionRouter,
) -> (Arc<Client>, JoinHandle<Result<(), ClientError>>) {
    let (ready_tx, mut ready) = mpsc::channel(1);
    let client = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .interactions(router)
        .on::<acord::event::kind::Ready, _, _>(move |_, _| {
            let ready_tx = ready_tx.clone();
            async move {
                let _ = ready_tx.send(()).await;
            }
        })
        .build()
        .await
        .unwrap();
    let client = Arc::new(client);
    let runner = client.clone();
    let run = tokio::spawn(async move { runner.start().await });
    timeout(STEP, ready.recv()).await.unwrap();
    (client, run)
}

async fn stop(client: Arc<Client>, run: JoinHandle<Result<(), ClientError>>) {
    client.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
}

fn deliver(fake: &FakeDiscord, interaction: Value) {
    fake.dispatch(ShardTarget::All, "INTERACTION_CREATE", interaction);
}

/// The `n`th request to a path containing `part`, waiting for it.
async fn nth_request(fake: &FakeDiscord, part: &str, n: usize) -> RecordedRequest {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let found: Vec<RecordedRequest> = fake
            .requests()
            .into_iter()
            .filter(|r| r.path.contains(part))
            .collect();
        if let Some(r) = found.get(n) {
            return r.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no request #{n} to {part}: {:?}",
            fake.requests()
                .iter()
                .map(|r| r.path.clone())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn body(r: &RecordedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

async fn callback(fake: &FakeDiscord, inv: &Invocation) -> Value {
    body(&nth_request(fake, &format!("/interactions/{}/", inv.id), 0).await)
}

#[tokio::test]
async fn a_slash_command_with_options_gets_a_typed_reply() {
    let fake = fake().await;
    let router = InteractionRouter::new().command("echo", |ctx: InteractionContext| async move {
        let text = ctx.options().string("text")?;
        let times = ctx.options().integer("times").unwrap_or(1);
        let missing = ctx.options().boolean("loud");
        assert!(
            missing.is_err(),
            "an option not given is an error, not a default"
        );
        ctx.reply(vec![text; times as usize].join(" ")).await?;
        Ok::<_, InteractionError>(())
    });
    let (client, run) = start(&fake, router).await;
    let inv = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::slash_command_interaction(
            &inv,
            1,
            "echo",
            vec![
                json!({"name": "text", "type": 3, "value": "hi"}),
                json!({"name": "times", "type": 4, "value": 3}),
            ],
        ),
    );
    let reply = callback(&fake, &inv).await;
    assert_eq!(reply["type"], 4);
    assert_eq!(reply["data"]["content"], "hi hi hi");
    stop(client, run).await;
}

#[tokio::test]
async fn subcommands_route_by_path_and_defer_then_edit() {
    let fake = fake().await;
    let router =
        InteractionRouter::new().command("config set", |ctx: InteractionContext| async move {
            assert_eq!(ctx.command_path().as_deref(), Some("config set"));
            ctx.defer(true).await?;
            tokio::time::sleep(Duration::from_millis(100)).await;
            // after a defer, respond edits the deferred response
            let key = ctx.options().string("key")?;
            ctx.reply(format!("{key} saved")).await?;
            Ok::<_, InteractionError>(())
        });
    let (client, run) = start(&fake, router).await;
    let inv = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::slash_command_interaction(
            &inv,
            2,
            "config",
            vec![
                json!({"name": "set", "type": 1, "options": [{"name": "key", "type": 3, "value": "volume"}]}),
            ],
        ),
    );
    let deferred = callback(&fake, &inv).await;
    assert_eq!(deferred["type"], 5);
    assert_eq!(deferred["data"]["flags"], 64);
    let edit = nth_request(
        &fake,
        &format!(
            "/webhooks/{}/{}/messages/@original",
            inv.application_id, inv.token
        ),
        0,
    )
    .await;
    assert_eq!(edit.method, "PATCH");
    assert_eq!(body(&edit)["content"], "volume saved");
    stop(client, run).await;
}

#[tokio::test]
async fn a_button_updates_its_message_and_a_select_reads_its_values() {
    let fake = fake().await;
    let router = InteractionRouter::new()
        .component("count:", |ctx: InteractionContext| async move {
            let n: u32 = ctx.custom_id().unwrap()["count:".len()..].parse()?;
            let button = ButtonBuilder::new(ButtonStyle::Primary, format!("count:{}", n + 1))
                .label(format!("{}", n + 1))
                .build()?;
            let message = InteractionMessage::builder()
                .content(format!("clicked {} times", n + 1))
                .component(ActionRowBuilder::new().push(button).build()?)
                .build()?;
            ctx.update_message(message).await?;
            Ok::<_, acord::interactions::HandlerError>(())
        })
        .component("pick", |ctx: InteractionContext| async move {
            ctx.reply_ephemeral(ctx.values().join(",")).await
        });
    let (client, run) = start(&fake, router).await;
    let (_, channel) = first_channel(&fake);
    let message = fixtures::message(
        1_300_000_000_000_000_500,
        channel,
        None,
        &fixtures::bot_user(fake.bot_user_id(), "bot"),
        "clicked 41 times",
    );
    let click = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::component_interaction(&click, &message, "count:41", 2, None),
    );
    let update = callback(&fake, &click).await;
    assert_eq!(update["type"], 7);
    assert_eq!(update["data"]["content"], "clicked 42 times");
    assert_eq!(
        update["data"]["components"][0]["components"][0]["custom_id"],
        "count:42"
    );

    let pick = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::component_interaction(
            &pick,
            &message,
            "pick",
            3,
            Some(vec!["a".into(), "c".into()]),
        ),
    );
    let reply = callback(&fake, &pick).await;
    assert_eq!(reply["data"]["content"], "a,c");
    assert_eq!(reply["data"]["flags"], 64);
    stop(client, run).await;
}

#[tokio::test]
async fn a_modal_opens_and_its_submit_is_read_by_field() {
    let fake = fake().await;
    let router = InteractionRouter::new()
        .command("feedback", |ctx: InteractionContext| async move {
            let input = TextInputBuilder::new("text", TextInputStyle::Paragraph).build()?;
            let modal = ModalBuilder::new("feedback-form", "Feedback")
                .text_input("Your feedback", input)
                .build()?;
            ctx.open_modal(modal).await?;
            Ok::<_, acord::interactions::HandlerError>(())
        })
        .modal("feedback-form", |ctx: InteractionContext| async move {
            let text = ctx.field("text").unwrap_or_default().to_owned();
            ctx.reply_ephemeral(format!("thanks for: {text}")).await
        });
    let (client, run) = start(&fake, router).await;
    let open = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::slash_command_interaction(&open, 3, "feedback", vec![]),
    );
    let modal = callback(&fake, &open).await;
    assert_eq!(modal["type"], 9);
    assert_eq!(modal["data"]["custom_id"], "feedback-form");
    let submit = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::modal_submit_interaction(&submit, "feedback-form", &[("text", "great bot")]),
    );
    let reply = callback(&fake, &submit).await;
    assert_eq!(reply["data"]["content"], "thanks for: great bot");
    stop(client, run).await;
}

#[tokio::test]
async fn autocomplete_answers_with_choices_for_the_focused_option() {
    let fake = fake().await;
    let router = InteractionRouter::new().autocomplete(
        "search",
        "query",
        |ctx: InteractionContext| async move {
            let typed = ctx.options().string("query")?;
            let choices = ["apple", "apricot", "banana"]
                .iter()
                .filter(|f| f.starts_with(typed))
                .map(|f| CommandOptionChoice {
                    name: (*f).to_owned(),
                    name_localizations: None,
                    value: ChoiceValue::String((*f).to_owned()),
                })
                .collect();
            ctx.autocomplete(choices).await?;
            Ok::<_, InteractionError>(())
        },
    );
    let (client, run) = start(&fake, router).await;
    let inv = invocation(&fake, true);
    let mut request = fixtures::slash_command_interaction(
        &inv,
        4,
        "search",
        vec![json!({"name": "query", "type": 3, "value": "ap", "focused": true})],
    );
    request["type"] = json!(4);
    deliver(&fake, request);
    let answer = callback(&fake, &inv).await;
    assert_eq!(answer["type"], 8);
    let names: Vec<&str> = answer["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["apple", "apricot"]);
    stop(client, run).await;
}

#[tokio::test]
async fn a_failing_handler_gets_an_ephemeral_error_reply_and_a_failed_check_stops_it() {
    let fake = fake().await;
    let router = InteractionRouter::new()
        .check(|ctx: InteractionContext| async move {
            if ctx.command_name() == Some("admin") {
                Err("Only admins may do that.".to_owned())
            } else {
                Ok(())
            }
        })
        .check(checks::guild_only())
        .command("boom", |_: InteractionContext| async move {
            Err::<(), _>(std::io::Error::other("the database is down"))
        })
        .command("admin", |ctx: InteractionContext| async move {
            ctx.reply("ran").await
        })
        .command("here", |ctx: InteractionContext| async move {
            ctx.reply("ran").await
        });
    let (client, run) = start(&fake, router).await;
    let boom = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::slash_command_interaction(&boom, 5, "boom", vec![]),
    );
    let reply = callback(&fake, &boom).await;
    assert_eq!(reply["type"], 4);
    assert_eq!(reply["data"]["flags"], 64);
    assert!(
        !reply["data"]["content"]
            .as_str()
            .unwrap()
            .contains("database"),
        "no details to the user"
    );

    let admin = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::slash_command_interaction(&admin, 6, "admin", vec![]),
    );
    let refused = callback(&fake, &admin).await;
    assert_eq!(refused["data"]["content"], "Only admins may do that.");
    assert_eq!(refused["data"]["flags"], 64);

    let dm = invocation(&fake, false);
    deliver(
        &fake,
        fixtures::slash_command_interaction(&dm, 7, "here", vec![]),
    );
    let refused = callback(&fake, &dm).await;
    assert_eq!(refused["data"]["content"], "This only works in a server.");
    stop(client, run).await;
}

#[tokio::test]
async fn auto_defer_answers_for_a_slow_handler_whose_reply_then_edits() {
    let fake = fake().await;
    let router = InteractionRouter::new().auto_defer(0.2, false).command(
        "slow",
        |ctx: InteractionContext| async move {
            tokio::time::sleep(Duration::from_millis(1200)).await;
            assert!(ctx.is_deferred());
            ctx.reply("done at last").await
        },
    );
    let (client, run) = start(&fake, router).await;
    let inv = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::slash_command_interaction(&inv, 8, "slow", vec![]),
    );
    let deferred = nth_request(&fake, &format!("/interactions/{}/", inv.id), 0).await;
    assert_eq!(body(&deferred)["type"], 5);
    let edit = nth_request(
        &fake,
        &format!(
            "/webhooks/{}/{}/messages/@original",
            inv.application_id, inv.token
        ),
        0,
    )
    .await;
    assert_eq!(body(&edit)["content"], "done at last");
    // the defer went out before the handler's own answer, within the window
    assert!(deferred.at < edit.at);
    stop(client, run).await;
}

#[tokio::test]
async fn answering_twice_or_too_late_is_a_typed_error() {
    let fake = fake().await;
    let (tx, mut errors) = mpsc::channel::<String>(4);
    let twice = tx.clone();
    let router = InteractionRouter::new()
        .command("twice", move |ctx: InteractionContext| {
            let tx = twice.clone();
            async move {
                ctx.reply("first").await?;
                let second = ctx.reply("second").await.unwrap_err();
                assert!(matches!(second, InteractionError::AlreadyAnswered { .. }));
                tx.send(second.to_string()).await.unwrap();
                Ok::<_, InteractionError>(())
            }
        })
        .command("late", move |ctx: InteractionContext| {
            let tx = tx.clone();
            async move {
                tokio::time::sleep(ctx.time_left() + Duration::from_millis(50)).await;
                let late = ctx.reply("too late").await.unwrap_err();
                assert!(matches!(late, InteractionError::TooLate { .. }));
                tx.send(late.to_string()).await.unwrap();
                Ok::<_, InteractionError>(())
            }
        });
    let (client, run) = start(&fake, router).await;
    let inv = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::slash_command_interaction(&inv, 9, "twice", vec![]),
    );
    let message = timeout(STEP, errors.recv()).await.unwrap().unwrap();
    assert!(
        message.contains(&inv.id.to_string()) && message.contains("twice"),
        "{message}"
    );
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r.path.contains(&format!("/interactions/{}/", inv.id)))
            .count(),
        1,
        "the second answer was never sent"
    );
    let late = invocation(&fake, true);
    deliver(
        &fake,
        fixtures::slash_command_interaction(&late, 10, "late", vec![]),
    );
    let message = timeout(STEP, errors.recv()).await.unwrap().unwrap();
    assert!(message.contains("defer"), "{message}");
    assert!(!fake
        .requests()
        .iter()
        .any(|r| r.path.contains(&format!("/interactions/{}/", late.id))));
    stop(client, run).await;
}

/// The fake builds interactions from what the bot registered and stored,
/// as Discord does: typed, checked options with resolved users; a button on
/// a message the bot sent; a modal submit; an autocomplete request.
#[tokio::test]
async fn the_fake_builds_interactions_from_registered_commands_and_stored_messages() {
    use acord::command::{CommandBuilder, CommandOptionBuilder, CreateMessage};
    use acord::model::{ChannelId, CommandOptionType};
    use acord_testkit::{ControlError, Invoker};

    let fake = fake().await;
    let router = InteractionRouter::new()
        .command("greet", |ctx: InteractionContext| async move {
            let who = ctx.options().user("who")?;
            let member = ctx.options().member("who")?;
            let times = ctx.options().integer("times").unwrap_or(1);
            assert!(member.joined_at.is_some());
            ctx.reply(format!("hello {} x{times}", who.username))
                .await?;
            Ok::<_, InteractionError>(())
        })
        .autocomplete("greet", "style", |ctx: InteractionContext| async move {
            let typed = ctx.options().string("style")?.to_owned();
            ctx.autocomplete(vec![CommandOptionChoice {
                name: format!("{typed}!"),
                name_localizations: None,
                value: ChoiceValue::String(format!("{typed}!")),
            }])
            .await
        })
        .component("press", |ctx: InteractionContext| async move {
            ctx.update_message(InteractionMessage::builder().content("pressed").build()?)
                .await?;
            Ok::<_, acord::interactions::HandlerError>(())
        })
        .modal("form", |ctx: InteractionContext| async move {
            ctx.reply_ephemeral(ctx.field("name").unwrap_or_default().to_owned())
                .await
        });
    let (client, run) = start(&fake, router).await;
    let app = client.http().current_application_id().await.unwrap();
    let who = CommandOptionBuilder::new(CommandOptionType::User, "who", "Who to greet")
        .required(true)
        .build()
        .unwrap();
    let times = CommandOptionBuilder::new(CommandOptionType::Integer, "times", "How often")
        .min_value(acord::model::CommandNumber::Integer(1))
        .max_value(acord::model::CommandNumber::Integer(3))
        .build()
        .unwrap();
    let style = CommandOptionBuilder::new(CommandOptionType::String, "style", "How")
        .autocomplete(true)
        .build()
        .unwrap();
    let greet = CommandBuilder::chat_input("greet", "Greets someone")
        .option(who)
        .option(times)
        .option(style)
        .build()
        .unwrap();
    client
        .http()
        .set_global_commands(app, &[greet])
        .await
        .unwrap();

    let (guild, channel) = first_channel(&fake);
    let someone = fake
        .member_ids(guild)
        .into_iter()
        .find(|u| *u != fake.bot_user_id())
        .unwrap();
    let here = Invoker::in_channel(channel);
    let options = |v: Value| v.as_object().unwrap().clone();

    // options the definition refuses never reach the bot
    assert!(matches!(
        fake.command_interaction(here, "greet", &options(json!({"times": 2}))),
        Err(ControlError::BadOption { .. })
    ));
    assert!(matches!(
        fake.command_interaction(
            here,
            "greet",
            &options(json!({"who": someone.to_string(), "times": 9}))
        ),
        Err(ControlError::BadOption { .. })
    ));
    assert!(matches!(
        fake.command_interaction(here, "nope", &options(json!({}))),
        Err(ControlError::UnknownCommand(_))
    ));

    let run_greet = fake
        .command_interaction(
            here,
            "greet",
            &options(json!({"who": someone.to_string(), "times": 2})),
        )
        .unwrap();
    assert_eq!(
        run_greet["data"]["options"][1]["value"], 2,
        "typed as an integer"
    );
    fake.send_interaction(&run_greet);
    let id = run_greet["id"].as_str().unwrap();
    let reply = body(&nth_request(&fake, &format!("/interactions/{id}/"), 0).await);
    assert!(
        reply["data"]["content"].as_str().unwrap().ends_with("x2"),
        "{reply}"
    );

    let typing = fake
        .autocomplete_interaction(here, "greet", &options(json!({"style": "lou"})), "style")
        .unwrap();
    fake.send_interaction(&typing);
    let id = typing["id"].as_str().unwrap();
    let choices = body(&nth_request(&fake, &format!("/interactions/{id}/"), 0).await);
    assert_eq!(choices["data"]["choices"][0]["name"], "lou!");

    // a button on a message the bot sent
    let button = ButtonBuilder::new(ButtonStyle::Secondary, "press")
        .label("Press")
        .build()
        .unwrap();
    let sent = client
        .http()
        .create_message(
            ChannelId::new(channel).unwrap(),
            &CreateMessage::builder()
                .content("a button")
                .component(ActionRowBuilder::new().push(button).build().unwrap())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let press = fake
        .component_interaction(here, sent.id.get(), "press", None)
        .unwrap();
    assert_eq!(press["message"]["id"], sent.id.to_string());
    fake.send_interaction(&press);
    let id = press["id"].as_str().unwrap();
    let update = body(&nth_request(&fake, &format!("/interactions/{id}/"), 0).await);
    assert_eq!(
        (update["type"].as_u64(), update["data"]["content"].as_str()),
        (Some(7), Some("pressed"))
    );

    let submit = fake
        .modal_submit_interaction(Invoker::user(channel, someone), "form", &[("name", "Ada")])
        .unwrap();
    fake.send_interaction(&submit);
    let id = submit["id"].as_str().unwrap();
    assert_eq!(
        body(&nth_request(&fake, &format!("/interactions/{id}/"), 0).await)["data"]["content"],
        "Ada"
    );
    stop(client, run).await;
}
