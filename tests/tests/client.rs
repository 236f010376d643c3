//! Whole bots on acord's `Client`, end to end against acord-testkit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acord::core::gateway::Dispatch;
use acord::core::http::{route, HttpClient};
use acord::core::signals::{shard_for_guild, CloseCode};
use acord::event::kind::{GuildCreate, MessageCreate, Ready, TypingStart};
use acord::event::EventTypeFlags;
use acord::model::Message;
use acord::{Client, ClientError, Context, DispatchError, EventHandler, Intents};
use acord_testkit::{FakeDiscord, ShardTarget};
use acord_tests::{client, fake, first_channel, user_message, STEP};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// Starts the client in a task; returns it with the task.
fn spawn<S: Send + Sync + 'static>(
    client: Client<S>,
) -> (Arc<Client<S>>, JoinHandle<Result<(), ClientError>>) {
    let client = Arc::new(client);
    let runner = client.clone();
    (client, tokio::spawn(async move { runner.start().await }))
}

/// A listener that reports READY on a channel.
fn ready_channel() -> (mpsc::Sender<u32>, mpsc::Receiver<u32>) {
    mpsc::channel(16)
}

async fn say(fake: &FakeDiscord, id: u64, content: &str) {
    let (guild, channel) = first_channel(fake);
    fake.dispatch(
        ShardTarget::All,
        "MESSAGE_CREATE",
        user_message(id, guild, channel, content),
    );
}

struct PingPong;

impl EventHandler for PingPong {
    async fn message_create(&self, ctx: Context, msg: Box<Message>) {
        if msg.content != "ping" || msg.author.bot {
            return;
        }
        ctx.http()
            .request(route!(POST "/channels/{channel_id}/messages", channel_id = msg.channel_id))
            .json(&json!({ "content": "pong" }))
            .send()
            .await
            .unwrap();
    }
}

async fn wait_for_pong(fake: &FakeDiscord) -> serde_json::Value {
    let (_, channel) = first_channel(fake);
    let pong = fake
        .wait_for_request(
            |r| r.method == "POST" && r.path.ends_with(&format!("/channels/{channel}/messages")),
            STEP,
        )
        .await
        .expect("the bot answered");
    serde_json::from_slice(&pong.body).unwrap()
}

#[tokio::test]
async fn ping_reaches_the_handler_and_pong_reaches_the_fake() {
    let fake = fake().await;
    let (tx, mut ready) = ready_channel();
    let bot = client(&fake)
        .event_handler(PingPong)
        .on::<Ready, _, _>(move |ctx, _| {
            let tx = tx.clone();
            async move {
                tx.send(ctx.shard_id()).await.unwrap();
            }
        })
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    assert_eq!(timeout(STEP, ready.recv()).await.unwrap(), Some(0));
    say(&fake, 1_300_000_000_000_000_001, "ping").await;
    assert_eq!(wait_for_pong(&fake).await["content"], "pong");
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn closure_listeners_are_typed_by_event_and_state_is_typed() {
    #[derive(Default)]
    struct Stats {
        pings: AtomicUsize,
    }
    let fake = fake().await;
    let (tx, mut ready) = ready_channel();
    let bot = client(&fake)
        .data(Stats::default())
        .on::<Ready, _, _>(move |_, ready| {
            let tx = tx.clone();
            async move {
                assert!(ready.user.bot);
                tx.send(0).await.unwrap();
            }
        })
        .on::<MessageCreate, _, _>(|ctx: Context<Stats>, msg| async move {
            if msg.content == "ping" {
                let n = ctx.data().pings.fetch_add(1, Ordering::SeqCst) + 1;
                ctx.http()
                    .request(
                        route!(POST "/channels/{channel_id}/messages", channel_id = msg.channel_id),
                    )
                    .json(&json!({ "content": format!("pong {n}") }))
                    .send()
                    .await
                    .unwrap();
            }
        })
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    timeout(STEP, ready.recv()).await.unwrap();
    say(&fake, 1_300_000_000_000_000_002, "ping").await;
    assert_eq!(wait_for_pong(&fake).await["content"], "pong 1");
    assert_eq!(bot.data().pings.load(Ordering::SeqCst), 1);
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn wait_for_resolves_on_a_match_and_times_out_otherwise() {
    let fake = fake().await;
    let (tx, mut contexts) = mpsc::channel::<Context>(4);
    let bot = client(&fake)
        .on::<Ready, _, _>(move |ctx, _| {
            let tx = tx.clone();
            async move {
                tx.send(ctx).await.unwrap();
            }
        })
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    let ctx = timeout(STEP, contexts.recv()).await.unwrap().unwrap();

    // Registered at the call: the event sent right after is not missed.
    let waiting = ctx.wait_for::<MessageCreate>(|m| m.content == "second", STEP);
    say(&fake, 1_300_000_000_000_000_011, "first").await;
    say(&fake, 1_300_000_000_000_000_012, "second").await;
    let got = waiting.await.unwrap();
    assert_eq!(got.content, "second");
    assert_eq!(got.id.get(), 1_300_000_000_000_000_012);

    let err = ctx
        .wait_for::<MessageCreate>(|m| m.content == "never", Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains("MESSAGE_CREATE"), "{err}");

    // Collectors end with the client.
    let pending = ctx.wait_for::<MessageCreate>(|_| false, STEP);
    bot.shutdown_handle().shutdown();
    assert!(matches!(pending.await, Err(ClientError::Closed)));
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn a_panicking_handler_is_reported_and_the_next_event_is_delivered() {
    struct Panicky;
    impl EventHandler for Panicky {
        async fn message_create(&self, ctx: Context, msg: Box<Message>) {
            if msg.content == "boom" {
                panic!("handler exploded on purpose");
            }
            PingPong.message_create(ctx, msg).await;
        }
    }
    let fake = fake().await;
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = errors.clone();
    let (tx, mut ready) = ready_channel();
    let bot = client(&fake)
        .event_handler(Panicky)
        .on::<Ready, _, _>(move |_, _| {
            let tx = tx.clone();
            async move { tx.send(0).await.unwrap() }
        })
        .on_error(move |e| seen.lock().unwrap().push(e))
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    timeout(STEP, ready.recv()).await.unwrap();
    say(&fake, 1_300_000_000_000_000_021, "boom").await;
    say(&fake, 1_300_000_000_000_000_022, "ping").await;
    assert_eq!(wait_for_pong(&fake).await["content"], "pong");
    let errors = std::mem::take(&mut *errors.lock().unwrap());
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        DispatchError::Panic {
            event,
            shard,
            message,
        } => {
            assert_eq!((*event, *shard), ("MESSAGE_CREATE", 0));
            assert!(message.contains("exploded"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn a_payload_that_does_not_deserialise_is_skipped_and_raw_event_still_gets_it() {
    struct RawToo {
        raw: mpsc::Sender<(String, usize)>,
    }
    impl EventHandler for RawToo {
        async fn message_create(&self, ctx: Context, msg: Box<Message>) {
            PingPong.message_create(ctx, msg).await;
        }
        async fn raw_event(&self, _ctx: Context, dispatch: Dispatch) {
            let _ = self
                .raw
                .send((dispatch.name().to_owned(), dispatch.as_bytes().len()))
                .await;
        }
    }
    let fake = fake().await;
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = errors.clone();
    let (raw_tx, mut raw) = mpsc::channel(64);
    let bot = client(&fake)
        .event_handler(RawToo { raw: raw_tx })
        .on_error(move |e| seen.lock().unwrap().push(e))
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    loop {
        let (name, _) = timeout(STEP, raw.recv()).await.unwrap().unwrap();
        if name == "READY" {
            break;
        }
    }
    let (guild, channel) = first_channel(&fake);
    // a MESSAGE_CREATE without an author, a timestamp or a valid id
    fake.dispatch(
        ShardTarget::All,
        "MESSAGE_CREATE",
        json!({"id": "not-a-snowflake", "channel_id": channel.to_string(), "guild_id": guild.to_string(), "content": "ping"}),
    );
    say(&fake, 1_300_000_000_000_000_031, "ping").await;
    assert_eq!(wait_for_pong(&fake).await["content"], "pong");
    let mut raw_messages = 0;
    while raw_messages < 2 {
        let (name, _) = timeout(STEP, raw.recv()).await.unwrap().unwrap();
        raw_messages += usize::from(name == "MESSAGE_CREATE");
    }
    let errors = std::mem::take(&mut *errors.lock().unwrap());
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        DispatchError::Deserialize { shard, error } => {
            assert_eq!((*shard, error.name()), (0, "MESSAGE_CREATE"));
        }
        other => panic!("unexpected {other:?}"),
    }
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn events_no_handler_wants_are_not_deserialised() {
    // Only message_create is implemented. The first TYPING_START is parsed
    // (a malformed one is reported); once a valid one has run into the
    // default body, TYPING_START is no longer parsed, so a malformed one
    // cannot fail any more.
    let fake = fake().await;
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = errors.clone();
    let bot = typing_client(&fake)
        .cache(acord::cache::CacheConfig::none())
        .event_handler(PingPong)
        .on_error(move |e| seen.lock().unwrap().push(e))
        .build()
        .await
        .unwrap();
    assert!(bot.wanted_events().contains(EventTypeFlags::TYPING_START));
    let (bot, run) = spawn(bot);
    let (guild, channel) = first_channel(&fake);
    let malformed = json!({"channel_id": "garbage", "guild_id": guild.to_string()});
    let typing = json!({"channel_id": channel.to_string(), "guild_id": guild.to_string(), "user_id": "1200000000000000001", "timestamp": 1_700_000_000});
    // wait for the session
    let deadline = tokio::time::Instant::now() + STEP;
    while fake.counters().identifies == 0
        || !bot
            .shard_manager()
            .infos()
            .iter()
            .all(|i| i.status == acord::core::gateway::ShardStatus::Ready)
    {
        assert!(tokio::time::Instant::now() < deadline, "READY");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    fake.dispatch(ShardTarget::All, "TYPING_START", malformed.clone());
    fake.dispatch(ShardTarget::All, "TYPING_START", typing);
    while bot.wanted_events().contains(EventTypeFlags::TYPING_START) {
        assert!(tokio::time::Instant::now() < deadline, "learned");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    fake.dispatch(ShardTarget::All, "TYPING_START", malformed);
    say(&fake, 1_300_000_000_000_000_042, "ping").await;
    wait_for_pong(&fake).await;
    let errors = std::mem::take(&mut *errors.lock().unwrap());
    assert_eq!(errors.len(), 1, "only the first malformed one: {errors:?}");
    assert!(
        matches!(&errors[0], DispatchError::Deserialize { error, .. } if error.name() == "TYPING_START")
    );
    assert!(bot.wanted_events().contains(EventTypeFlags::MESSAGE_CREATE));
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
}

/// A client that also receives typing events.
fn typing_client(fake: &FakeDiscord) -> acord::ClientBuilder {
    Client::builder(
        fake.token(),
        acord_tests::intents() | Intents::GUILD_MESSAGE_TYPING,
    )
    .api_base(fake.api_base())
}

#[tokio::test]
async fn a_collector_gets_events_no_handler_wants() {
    let fake = fake().await;
    let (tx, mut contexts) = mpsc::channel::<Context>(4);
    let bot = typing_client(&fake)
        .event_handler(PingPong)
        .on::<Ready, _, _>(move |ctx, _| {
            let tx = tx.clone();
            async move { tx.send(ctx).await.unwrap() }
        })
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    let ctx = timeout(STEP, contexts.recv()).await.unwrap().unwrap();
    let (guild, channel) = first_channel(&fake);
    let typing = ctx.wait_for::<TypingStart>(|_| true, STEP);
    fake.dispatch(
        ShardTarget::All,
        "TYPING_START",
        json!({"channel_id": channel.to_string(), "guild_id": guild.to_string(), "user_id": "1200000000000000001", "timestamp": 1_700_000_000}),
    );
    let typing = typing.await.unwrap();
    assert_eq!(typing.channel_id.get(), channel);
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_closes_every_shard_with_1000_and_start_returns_ok() {
    let fake = FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .shards(2)
        .max_concurrency(2)
        .start()
        .await
        .unwrap();
    let (tx, mut ready) = ready_channel();
    let bot = client(&fake)
        .on::<Ready, _, _>(move |ctx, _| {
            let tx = tx.clone();
            async move { tx.send(ctx.shard_id()).await.unwrap() }
        })
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    let mut shards = BTreeSet::new();
    while shards.len() < 2 {
        shards.insert(timeout(STEP, ready.recv()).await.unwrap().unwrap());
    }
    assert_eq!(shards, BTreeSet::from([0, 1]));
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
    let closes = fake.client_closes();
    assert_eq!(closes.len(), 2, "{closes:?}");
    assert!(closes.iter().all(|c| c.code == 1000), "{closes:?}");
    let closed: BTreeSet<u32> = closes
        .iter()
        .filter_map(|c| c.shard)
        .map(|s| s[0])
        .collect();
    assert_eq!(closed, BTreeSet::from([0, 1]));
}

#[tokio::test]
async fn a_privileged_intent_not_enabled_ends_start_with_4014() {
    let fake = fake().await;
    let bot = Client::builder(fake.token(), Intents::GUILDS | Intents::GUILD_MEMBERS)
        .api_base(fake.api_base())
        .build()
        .await
        .unwrap();
    let err = timeout(STEP, bot.start()).await.unwrap().unwrap_err();
    assert_eq!(err.close_code(), Some(CloseCode::DisallowedIntents));
    assert!(err.is_fatal());
    let text = err.to_string();
    assert!(text.contains("4014"), "{text}");
    assert!(text.to_lowercase().contains("intent"), "{text}");
}

#[tokio::test]
async fn an_authentication_failure_close_ends_start_with_4004() {
    let fake = fake().await;
    let (tx, mut ready) = ready_channel();
    let bot = client(&fake)
        .on::<Ready, _, _>(move |_, _| {
            let tx = tx.clone();
            async move { tx.send(0).await.unwrap() }
        })
        .build()
        .await
        .unwrap();
    let (_bot, run) = spawn(bot);
    timeout(STEP, ready.recv()).await.unwrap();
    fake.close_gateway(ShardTarget::All, 4004);
    let err = timeout(STEP, run).await.unwrap().unwrap().unwrap_err();
    assert_eq!(err.close_code(), Some(CloseCode::AuthenticationFailed));
    assert!(err.to_string().contains("4004"), "{err}");
}

#[tokio::test]
async fn a_bad_token_fails_build_with_401() {
    let fake = fake().await;
    let err = Client::builder("not-the-token", Intents::GUILDS)
        .api_base(fake.api_base())
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(
        err.is_fatal(),
        "a wrong token is as fatal as close code 4004"
    );
    assert!(!format!("{err:?}{err}").contains("not-the-token"));
}

#[tokio::test]
async fn shard_ranges_of_one_bot_each_receive_only_their_guilds() {
    let fake = FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .shards(4)
        .max_concurrency(4)
        .guilds(12)
        .start()
        .await
        .unwrap();
    let guilds = fake.guild_ids();
    let mut runs = Vec::new();
    let mut received = Vec::new();
    for range in [0..2, 2..4] {
        let (tx, rx) = mpsc::channel(64);
        let tx2 = tx.clone();
        let bot = client(&fake)
            .shard_range(range.clone(), 4)
            .on::<GuildCreate, _, _>(move |ctx, guild| {
                let tx = tx.clone();
                async move {
                    let _ = tx
                        .send(("GUILD_CREATE", ctx.shard_id(), guild.id().get()))
                        .await;
                }
            })
            .on::<MessageCreate, _, _>(move |ctx, msg| {
                let tx = tx2.clone();
                async move {
                    let guild = msg.guild_id.map_or(0, |g| g.get());
                    let _ = tx.send(("MESSAGE_CREATE", ctx.shard_id(), guild)).await;
                }
            })
            .build()
            .await
            .unwrap();
        runs.push(spawn(bot));
        received.push((range, rx));
    }
    for (range, rx) in &mut received {
        let expected: BTreeSet<u64> = guilds
            .iter()
            .copied()
            .filter(|g| range.contains(&shard_for_guild(*g, 4)))
            .collect();
        assert!(!expected.is_empty());
        let mut got = BTreeSet::new();
        while got.len() < expected.len() {
            let (kind, shard, guild) = timeout(STEP, rx.recv()).await.unwrap().unwrap();
            assert_eq!(kind, "GUILD_CREATE");
            assert!(range.contains(&shard));
            assert_eq!(
                shard_for_guild(guild, 4),
                shard,
                "guild {guild} on shard {shard}"
            );
            got.insert(guild);
        }
        assert_eq!(got, expected);
    }
    // A message in a guild of shard 2 or 3 reaches only the second process.
    let guild = *guilds
        .iter()
        .find(|g| shard_for_guild(**g, 4) >= 2)
        .unwrap();
    let channel = fake.channel_ids(guild)[0];
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .build()
        .unwrap();
    http.request(route!(POST "/channels/{channel_id}/messages", channel_id = channel))
        .json(&json!({"content": "for shard 2 or 3"}))
        .send()
        .await
        .unwrap();
    let (kind, shard, got) = timeout(STEP, received[1].1.recv()).await.unwrap().unwrap();
    assert_eq!(
        (kind, shard, got),
        ("MESSAGE_CREATE", shard_for_guild(guild, 4), guild)
    );
    for (bot, run) in runs {
        bot.shutdown_handle().shutdown();
        timeout(STEP, run).await.unwrap().unwrap().unwrap();
    }
    // the first process saw nothing more
    assert!(received[0].1.try_recv().is_err());
}

#[tokio::test]
async fn guild_leave_removes_the_guild_and_the_handler_gets_guild_delete() {
    use acord::event::GuildCreate as GuildCreatePayload;
    use acord::model::UnavailableGuild;

    struct Leaver {
        target: u64,
        deleted: mpsc::Sender<(u64, Option<bool>)>,
    }
    impl EventHandler for Leaver {
        async fn guild_create(&self, ctx: Context, guild: Box<GuildCreatePayload>) {
            // the model action, from a handler: leave the first guild
            if let GuildCreatePayload::Available(guild) = *guild {
                if guild.id.get() == self.target {
                    guild.leave(&ctx).await.unwrap();
                }
            }
        }
        async fn guild_delete(&self, _ctx: Context, guild: UnavailableGuild) {
            self.deleted
                .send((guild.id.get(), guild.unavailable))
                .await
                .unwrap();
        }
    }
    let fake = fake().await;
    let (tx, mut deleted) = mpsc::channel(4);
    let first = fake.guild_ids()[0];
    let bot = client(&fake)
        .event_handler(Leaver {
            target: first,
            deleted: tx,
        })
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    let (id, unavailable) = timeout(STEP, deleted.recv()).await.unwrap().unwrap();
    // removed, not an outage: no `unavailable`
    assert_eq!((id, unavailable), (first, None));
    assert!(!fake.guild_ids().contains(&first));
    // and the typed endpoint says so too
    let err = bot
        .http()
        .guild(acord::model::GuildId::new(first).unwrap(), false)
        .await
        .unwrap_err();
    assert!(err.status().is_some_and(|s| s == 403 || s == 404), "{err}");
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn sequential_per_channel_keeps_one_channels_order() {
    // Each handler call sleeps longer for earlier messages; with per-channel
    // lanes they still finish in the order they arrived.
    struct Slow {
        done: mpsc::Sender<String>,
    }
    impl EventHandler for Slow {
        async fn message_create(&self, _ctx: Context, msg: Box<Message>) {
            let n: u64 = msg.content.parse().unwrap();
            tokio::time::sleep(Duration::from_millis(50 * (5 - n))).await;
            self.done.send(msg.content.clone()).await.unwrap();
        }
    }
    for sequential in [true, false] {
        let fake = fake().await;
        let (tx, mut done) = mpsc::channel(16);
        let (rtx, mut ready) = ready_channel();
        let mut builder = client(&fake)
            .event_handler(Slow { done: tx })
            .on::<Ready, _, _>(move |_, _| {
                let rtx = rtx.clone();
                async move { rtx.send(0).await.unwrap() }
            });
        if sequential {
            builder = builder.sequential_per_channel();
        }
        let (bot, run) = spawn(builder.build().await.unwrap());
        timeout(STEP, ready.recv()).await.unwrap();
        for n in 0..5u64 {
            say(&fake, 1_300_000_000_000_000_100 + n, &n.to_string()).await;
        }
        let mut order = Vec::new();
        while order.len() < 5 {
            order.push(timeout(STEP, done.recv()).await.unwrap().unwrap());
        }
        if sequential {
            assert_eq!(order, ["0", "1", "2", "3", "4"]);
        } else {
            // concurrent: the slowest (first) finishes last
            assert_eq!(order.last().map(String::as_str), Some("0"), "{order:?}");
        }
        bot.shutdown_handle().shutdown();
        timeout(STEP, run).await.unwrap().unwrap().unwrap();
    }
}

#[tokio::test]
async fn handlers_and_listeners_of_one_event_all_get_it_and_data_can_come_last() {
    struct Counting(Arc<AtomicUsize>);
    impl EventHandler for Counting {
        async fn message_create(&self, _ctx: Context, _msg: Box<Message>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let fake = fake().await;
    let seen = Arc::new(AtomicUsize::new(0));
    let (tx, mut got) = mpsc::channel(8);
    let (rtx, mut ready) = ready_channel();
    // a handler and a listener registered before `.data()` keep working
    let bot = client(&fake)
        .event_handler(Counting(seen.clone()))
        .on::<MessageCreate, _, _>({
            let tx = tx.clone();
            move |_ctx, msg| {
                let tx = tx.clone();
                async move { tx.send(format!("listener {}", msg.content)).await.unwrap() }
            }
        })
        .data(String::from("state"))
        .on::<Ready, _, _>(move |_, _| {
            let rtx = rtx.clone();
            async move { rtx.send(0).await.unwrap() }
        })
        .on::<MessageCreate, _, _>(move |ctx: Context<String>, msg| {
            let tx = tx.clone();
            async move {
                tx.send(format!("{} {}", ctx.data(), msg.content))
                    .await
                    .unwrap()
            }
        })
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    timeout(STEP, ready.recv()).await.unwrap();
    say(&fake, 1_300_000_000_000_000_201, "hello").await;
    let mut texts = BTreeSet::new();
    while texts.len() < 2 {
        texts.insert(timeout(STEP, got.recv()).await.unwrap().unwrap());
    }
    assert_eq!(
        texts,
        BTreeSet::from(["listener hello".to_owned(), "state hello".to_owned()])
    );
    let deadline = tokio::time::Instant::now() + STEP;
    while seen.load(Ordering::SeqCst) < 1 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn the_shard_handle_sends_typed_gateway_commands() {
    use acord::command::{ActivityCreate, RequestGuildMembers, UpdatePresence};
    use acord::event::kind::GuildMembersChunk;
    use acord::model::{GuildId, Status};

    let fake = FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT | Intents::GUILD_MEMBERS)
        .members_per_guild(5)
        .start()
        .await
        .unwrap();
    let (tx, mut contexts) = mpsc::channel::<Context>(4);
    let bot = Client::builder(
        fake.token(),
        acord_tests::intents() | Intents::GUILD_MEMBERS,
    )
    .api_base(fake.api_base())
    .on::<Ready, _, _>(move |ctx, _| {
        let tx = tx.clone();
        async move { tx.send(ctx).await.unwrap() }
    })
    .build()
    .await
    .unwrap();
    let (bot, run) = spawn(bot);
    let ctx = timeout(STEP, contexts.recv()).await.unwrap().unwrap();
    let shard = ctx.shard();
    assert_eq!(shard.id(), 0);

    let presence = UpdatePresence::builder(Status::Idle)
        .activity(ActivityCreate::playing("with the fake"))
        .build()
        .unwrap();
    shard.update_presence(&presence).await.unwrap();
    let sent = fake
        .wait_for_gateway_payload(|p| p.op == 3, STEP)
        .await
        .expect("op 3 reached the fake");
    let sent: serde_json::Value = serde_json::from_str(&sent.json).unwrap();
    assert_eq!(sent["d"]["status"], "idle");
    assert_eq!(sent["d"]["activities"][0]["name"], "with the fake");

    // members arrive as chunks; a collector registered before the request
    let guild = GuildId::new(fake.guild_ids()[0]).unwrap();
    let chunk = ctx.wait_for::<GuildMembersChunk>(move |c| c.guild_id == guild, STEP);
    let request = RequestGuildMembers::all(guild).nonce("n1").build().unwrap();
    shard.request_guild_members(&request).await.unwrap();
    let chunk = chunk.await.unwrap();
    assert!(!chunk.members.is_empty());
    assert_eq!(chunk.nonce.as_deref(), Some("n1"));

    // the latency of the shard is measured from heartbeats
    assert!(shard.info().is_some());
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
    // a stopped shard refuses commands with a typed error
    assert!(shard.update_presence(&presence).await.is_err());
}

#[tokio::test]
async fn a_custom_http_client_must_carry_the_same_token() {
    let fake = fake().await;
    let other = HttpClient::builder("another-token")
        .api_base(fake.api_base())
        .build()
        .unwrap();
    let err = client(&fake).http(other).build().await.unwrap_err();
    assert!(matches!(err, ClientError::Config { .. }), "{err}");
    assert!(!format!("{err:?}{err}").contains("another-token"));

    // the same token: its settings (here a user agent suffix) come along
    let same = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .user_agent_suffix("custom-client")
        .build()
        .unwrap();
    let bot = client(&fake).http(same).build().await.unwrap();
    bot.http().current_user().await.unwrap();
    let last = fake.requests().pop().unwrap();
    assert!(
        last.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("user-agent") && v.contains("custom-client")),
        "{:?}",
        last.headers
    );
}

#[tokio::test]
async fn client_wait_for_sees_ready_and_a_panicking_filter_only_ends_its_collector() {
    let fake = fake().await;
    let bot = client(&fake).event_handler(PingPong).build().await.unwrap();
    // registered before start: READY cannot be missed
    let ready = bot.wait_for::<Ready>(|_| true, STEP);
    let boom = bot.wait_for::<MessageCreate>(|_| panic!("filter exploded on purpose"), STEP);
    let (bot, run) = spawn(bot);
    let ready = ready.await.unwrap();
    assert!(ready.user.bot);
    say(&fake, 1_300_000_000_000_000_301, "ping").await;
    assert!(matches!(boom.await, Err(ClientError::Closed)));
    // the event loop lives on: the handler answered
    assert_eq!(wait_for_pong(&fake).await["content"], "pong");
    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
}

/// A bot shut down with `shutdown_resumable` hands its sessions to the next
/// "process": that client RESUMEs (no READY, no second IDENTIFY) and its
/// handler gets the message said while the bot was down, once.
#[tokio::test]
async fn sessions_saved_at_a_resumable_shutdown_resume_in_the_next_client() {
    let fake = fake().await;
    let (tx, mut ready) = ready_channel();
    let bot = client(&fake)
        .on::<Ready, _, _>(move |ctx, _| {
            let tx = tx.clone();
            async move {
                tx.send(ctx.shard_id()).await.unwrap();
            }
        })
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    assert_eq!(timeout(STEP, ready.recv()).await.unwrap(), Some(0));
    bot.shutdown_handle().shutdown_resumable();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
    let sessions = bot.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(fake.client_closes().last().map(|c| c.code), Some(4000));

    // while no process runs, a user speaks
    say(&fake, 1_300_000_000_000_000_077, "said while down").await;

    let (tx, mut got) = mpsc::channel::<String>(16);
    let (ready_tx, mut ready) = ready_channel();
    let again = client(&fake)
        .sessions(sessions)
        .on::<Ready, _, _>(move |ctx, _| {
            let ready_tx = ready_tx.clone();
            async move {
                ready_tx.send(ctx.shard_id()).await.unwrap();
            }
        })
        .on::<MessageCreate, _, _>(move |_, msg| {
            let tx = tx.clone();
            async move {
                tx.send(msg.content).await.unwrap();
            }
        })
        .build()
        .await
        .unwrap();
    let (again, run) = spawn(again);
    assert_eq!(
        timeout(STEP, got.recv()).await.unwrap().as_deref(),
        Some("said while down")
    );
    let counters = fake.counters();
    assert_eq!((counters.identifies, counters.resumes), (1, 1));
    assert!(ready.try_recv().is_err(), "the resumed client got READY");
    again.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
    assert!(got.try_recv().is_err(), "a message came twice");
    fake.shutdown().await;
}
