//! The event broker against a real redis-server (started by each test on a
//! free loopback port) and acord-testkit's fake Discord: a gateway
//! publisher connected to the fake, workers handling the events with an
//! acord `Client`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use acord::cache::CacheConfig;
use acord::event::Ready;
use acord::model::Message;
use acord::{Client, Context, EventHandler, EventMeta, Intents};
use acord_core_gateway::{Dispatch, ShardManager};
use acord_core_http::HttpClient;
use acord_redis::{ConnectionManager, RedisBroker};
use acord_testkit::FakeDiscord;
use tokio::sync::{mpsc, Semaphore};
use tokio::time::{timeout, Instant};

mod support;
use support::RedisServer;

const WAIT: Duration = Duration::from_secs(20);

fn intents() -> Intents {
    Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT
}

async fn fake() -> FakeDiscord {
    FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .guilds(1)
        .start()
        .await
        .unwrap()
}

fn first_channel(fake: &FakeDiscord) -> u64 {
    fake.channel_ids(fake.guild_ids()[0])[0]
}

/// A one-shard manager on the fake, not started.
async fn manager(fake: &FakeDiscord) -> ShardManager {
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .build()
        .unwrap();
    let info = http.fetch_gateway_bot().await.unwrap();
    ShardManager::builder(fake.token(), intents(), info)
        .shard_count(1)
        .build()
        .unwrap()
}

/// What a worker's handler reports.
#[derive(Debug)]
enum Seen {
    Ready,
    /// Entered the handler of a "block"/"hang" message.
    Entered(&'static str, EventMeta),
    /// Finished a message: worker, content, meta.
    Message(&'static str, String, EventMeta),
}

struct Recorder {
    name: &'static str,
    seen: mpsc::UnboundedSender<Seen>,
    /// "block…" messages wait for a permit.
    gate: Arc<Semaphore>,
    /// "hang" never finishes in this worker.
    hangs: bool,
}

impl EventHandler for Recorder {
    async fn ready(&self, _ctx: Context, _ready: Box<Ready>) {
        let _ = self.seen.send(Seen::Ready);
    }

    async fn message_create(&self, ctx: Context, msg: Box<Message>) {
        let meta = ctx
            .event_meta()
            .expect("broker events carry their meta")
            .clone();
        if msg.content.starts_with("block") || (msg.content == "hang" && self.hangs) {
            let _ = self.seen.send(Seen::Entered(self.name, meta.clone()));
            if msg.content == "hang" {
                std::future::pending::<()>().await;
            }
            self.gate.acquire().await.unwrap().forget();
        }
        if msg.content == "panic" {
            panic!("this handler panics on purpose");
        }
        let _ = self
            .seen
            .send(Seen::Message(self.name, msg.content.clone(), meta));
    }
}

async fn worker_client(fake: &FakeDiscord, recorder: Recorder) -> Client {
    Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .cache(CacheConfig::none())
        .event_handler(recorder)
        .on_error(|_| {})
        .build()
        .await
        .unwrap()
}

/// Starts a worker in its own task; returns the client's shutdown handle
/// and the task.
fn spawn_worker(
    conn: ConnectionManager,
    prefix: &'static str,
    name: &'static str,
    client: Client,
) -> (
    acord::ShutdownHandle,
    tokio::task::JoinHandle<Result<(), acord_redis::BrokerError>>,
) {
    let shutdown = client.shutdown_handle();
    let task = tokio::spawn(async move {
        RedisBroker::worker(conn)
            .prefix(prefix)
            .consumer(name)
            .claim_idle(Duration::from_millis(600))
            .block(Duration::from_millis(100))
            .run(&client)
            .await
    });
    (shutdown, task)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    timeout(WAIT, rx.recv())
        .await
        .expect("no event handled in time")
        .expect("handlers gone")
}

/// Pending entries of the `workers` group on a stream.
async fn pending(conn: &mut ConnectionManager, key: &str) -> u64 {
    let reply: redis::Value = redis::cmd("XPENDING")
        .arg(key)
        .arg("workers")
        .query_async(conn)
        .await
        .unwrap();
    match reply {
        redis::Value::Array(parts) => match parts.first() {
            Some(redis::Value::Int(n)) => *n as u64,
            other => panic!("XPENDING count: {other:?}"),
        },
        other => panic!("XPENDING: {other:?}"),
    }
}

/// Waits (polling Redis, with a deadline) until `key` has `want` pending
/// entries.
async fn wait_pending(conn: &mut ConnectionManager, key: &str, want: u64) {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = pending(conn, key).await;
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{key}: {now} pending, waited for {want}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn xlen(conn: &mut ConnectionManager, key: &str) -> u64 {
    redis::cmd("XLEN").arg(key).query_async(conn).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_handle_each_event_once_and_ack_after_the_handler() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = fake().await;
    let channel = first_channel(&fake);
    let manager = Arc::new(manager(&fake).await);
    let publisher = tokio::spawn({
        let (manager, conn) = (manager.clone(), redis.conn().await);
        async move {
            RedisBroker::publisher(conn)
                .prefix("two")
                .run(&manager)
                .await
        }
    });
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(0));
    let mut workers = Vec::new();
    for name in ["a", "b"] {
        let recorder = Recorder {
            name,
            seen: seen_tx.clone(),
            gate: gate.clone(),
            hangs: false,
        };
        let client = worker_client(&fake, recorder).await;
        workers.push(spawn_worker(redis.conn().await, "two", name, client));
    }
    // READY went gateway → Redis → a worker
    assert!(matches!(next(&mut seen).await, Seen::Ready));

    for i in 0..20 {
        fake.send_user_message(channel, None, &format!("m{i}"))
            .unwrap();
    }
    let mut handled = Vec::new();
    while handled.len() < 20 {
        match next(&mut seen).await {
            Seen::Message(worker, content, meta) => handled.push((worker, content, meta)),
            other => panic!("unexpected {other:?}"),
        }
    }
    let mut contents: Vec<&str> = handled.iter().map(|(_, c, _)| c.as_str()).collect();
    contents.sort_unstable();
    contents.dedup();
    assert_eq!(contents.len(), 20, "each message handled once: {handled:?}");
    let mut metas: Vec<&EventMeta> = handled.iter().map(|(_, _, m)| m).collect();
    assert!(metas
        .iter()
        .all(|m| m.shard() == 0 && m.seq() > 0 && !m.session().is_empty()));
    metas.sort_by_key(|m| m.seq());
    metas.dedup();
    assert_eq!(metas.len(), 20, "(shard, seq, session) tells events apart");
    let by_a = handled.iter().filter(|(w, ..)| *w == "a").count();
    eprintln!("worker a handled {by_a} of 20, worker b {}", 20 - by_a);

    let mut conn = redis.conn().await;
    let key = "two:events:messages";
    wait_pending(&mut conn, key, 0).await;

    // a handler that is still running keeps its entry pending, even for
    // several claim_idle periods (its worker keeps it fresh)
    fake.send_user_message(channel, None, "block").unwrap();
    let Seen::Entered(blocked_in, _) = next(&mut seen).await else {
        panic!("expected the blocked handler")
    };
    assert_eq!(pending(&mut conn, key).await, 1);
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(
        pending(&mut conn, key).await,
        1,
        "acked before the handler finished"
    );
    assert!(seen.try_recv().is_err(), "nothing else was handled");
    gate.add_permits(1);
    match next(&mut seen).await {
        Seen::Message(worker, content, _) => {
            assert_eq!((worker, content.as_str()), (blocked_in, "block"));
        }
        other => panic!("unexpected {other:?}"),
    }
    wait_pending(&mut conn, key, 0).await;

    for (shutdown, _) in &workers {
        shutdown.shutdown();
    }
    for (_, task) in workers {
        timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    }
    assert!(seen.try_recv().is_err(), "an event was handled twice");
    manager.close(true).await;
    timeout(WAIT, publisher).await.unwrap().unwrap().unwrap();
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_event_has_its_event_reclaimed_by_another() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = fake().await;
    let channel = first_channel(&fake);
    let manager = Arc::new(manager(&fake).await);
    let publisher = tokio::spawn({
        let (manager, conn) = (manager.clone(), redis.conn().await);
        async move {
            RedisBroker::publisher(conn)
                .prefix("kill")
                .run(&manager)
                .await
        }
    });
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(0));
    let recorder = |name, hangs| Recorder {
        name,
        seen: seen_tx.clone(),
        gate: gate.clone(),
        hangs,
    };
    // worker a alone: it gets READY and the message, and hangs on it
    let client_a = worker_client(&fake, recorder("a", true)).await;
    let (_, task_a) = spawn_worker(redis.conn().await, "kill", "a", client_a);
    assert!(matches!(next(&mut seen).await, Seen::Ready));
    fake.send_user_message(channel, None, "hang").unwrap();
    let Seen::Entered("a", meta_a) = next(&mut seen).await else {
        panic!("worker a did not take the message")
    };
    let mut conn = redis.conn().await;
    let key = "kill:events:messages";
    assert_eq!(pending(&mut conn, key).await, 1);
    // the worker dies mid-event: no ack, no more renewals
    task_a.abort();
    assert!(task_a.await.unwrap_err().is_cancelled());

    let started = Instant::now();
    let client_b = worker_client(&fake, recorder("b", false)).await;
    let (shutdown_b, task_b) = spawn_worker(redis.conn().await, "kill", "b", client_b);
    match next(&mut seen).await {
        Seen::Message("b", content, meta_b) => {
            assert_eq!(content, "hang");
            assert_eq!(meta_b, meta_a, "the same event, recognisable by its meta");
        }
        other => panic!("unexpected {other:?}"),
    }
    eprintln!(
        "re-claimed and handled {:?} after worker a died",
        started.elapsed()
    );
    wait_pending(&mut conn, key, 0).await;

    shutdown_b.shutdown();
    timeout(WAIT, task_b).await.unwrap().unwrap().unwrap();
    manager.close(true).await;
    timeout(WAIT, publisher).await.unwrap().unwrap().unwrap();
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_stay_bounded() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let publisher = RedisBroker::publisher(redis.conn().await)
        .prefix("bounded")
        .max_len(50)
        .build();
    let payload = br#"{"id":"1","channel_id":"2","content":"x"}"#;
    for seq in 1..=1000u64 {
        let d = Dispatch::new("MESSAGE_CREATE", seq, &payload[..]);
        publisher.publish(0, "session", &d).await.unwrap();
        let d = Dispatch::new("PRESENCE_UPDATE", seq, &b"{}"[..]);
        publisher.publish(0, "session", &d).await.unwrap();
    }
    let mut conn = redis.conn().await;
    for group in ["messages", "presences"] {
        let len = xlen(&mut conn, &publisher.stream_key(group)).await;
        // MAXLEN ~ trims whole nodes (100 entries by default)
        assert!((50..=150).contains(&len), "{group}: {len} entries");
    }
    // the newest entries are kept, with the raw bytes of `d`
    let last: redis::Value = redis::cmd("XREVRANGE")
        .arg(publisher.stream_key("messages"))
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(&mut conn)
        .await
        .unwrap();
    let text = format!("{last:?}");
    assert!(text.contains("1000"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_entries_are_dead_lettered_and_the_worker_goes_on() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = fake().await;
    let channel = first_channel(&fake);
    // real MESSAGE_CREATE payloads (no gateway session: nobody receives
    // them from the fake)
    let panic_d = fake.send_user_message(channel, None, "panic").unwrap();
    let after_d = fake.send_user_message(channel, None, "after").unwrap();
    let key = "bad:events:messages";
    let mut conn = redis.conn().await;
    let add = |fields: Vec<(&'static str, String)>| {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(key).arg("*");
        for (f, v) in fields {
            cmd.arg(f).arg(v);
        }
        cmd
    };
    let good = |d: String, seq: u64| {
        vec![
            ("t", "MESSAGE_CREATE".to_owned()),
            ("s", "0".to_owned()),
            ("q", seq.to_string()),
            ("i", "sess".to_owned()),
            ("d", d),
        ]
    };
    let entries = [
        vec![("x", "junk".to_owned())],
        vec![
            ("t", "MESSAGE_CREATE".to_owned()),
            ("s", "abc".to_owned()),
            ("q", "1".to_owned()),
            ("i", "sess".to_owned()),
            ("d", "{}".to_owned()),
        ],
        good("not json".to_owned(), 2),
        good(panic_d.to_string(), 3),
        good(after_d.to_string(), 4),
    ];
    for fields in entries {
        let _: String = add(fields).query_async(&mut conn).await.unwrap();
    }

    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let panics = Arc::new(AtomicU32::new(0));
    let client = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .cache(CacheConfig::none())
        .event_handler(Recorder {
            name: "w",
            seen: seen_tx,
            gate: Arc::new(Semaphore::new(0)),
            hangs: false,
        })
        .on_error({
            let panics = panics.clone();
            move |e| {
                if matches!(e, acord::DispatchError::Panic { .. }) {
                    panics.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .build()
        .await
        .unwrap();
    let (shutdown, task) = spawn_worker(redis.conn().await, "bad", "w", client);
    match next(&mut seen).await {
        Seen::Message("w", content, meta) => {
            assert_eq!(content, "after");
            assert_eq!(meta, EventMeta::new(0, 4, "sess"));
        }
        other => panic!("unexpected {other:?}"),
    }
    wait_pending(&mut conn, key, 0).await;
    let deadline = Instant::now() + WAIT;
    while xlen(&mut conn, "bad:dead").await < 4 {
        assert!(Instant::now() < deadline, "dead letters missing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dead: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
        .arg("bad:dead")
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .unwrap();
    let reasons: Vec<&str> = dead
        .iter()
        .map(|(_, fields)| {
            fields
                .iter()
                .find(|(f, _)| f == "reason")
                .map(|(_, v)| v.as_str())
                .unwrap()
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "no event name `t`",
            "no shard number `s`",
            "the payload did not deserialise",
            "a handler panicked",
        ]
    );
    // the dead letter keeps the original fields
    assert!(dead[0].1.contains(&("x".to_owned(), "junk".to_owned())));
    assert!(dead[3].1.contains(&("q".to_owned(), "3".to_owned())));
    assert_eq!(panics.load(Ordering::Relaxed), 1);
    assert!(!task.is_finished(), "the worker goes on");
    shutdown.shutdown();
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    fake.shutdown().await;
}
