//! End-to-end tests of `ShardManager` (identify waves, merged events,
//! restarts, dispatcher) against acord-testkit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use acord_core_gateway::{GatewayBotInfo, ShardEvent, ShardManager, ShardStatus};
use acord_core_http::HttpClient;
use acord_testkit::{FakeDiscord, ShardTarget};
use common::*;
use tokio::sync::mpsc;

async fn fake(shards: u32, mc: u32, window: Duration) -> FakeDiscord {
    FakeDiscord::builder()
        .shards(shards)
        .max_concurrency(mc)
        .identify_window(window)
        .privileged_intents(acord_core_signals::Intents::MESSAGE_CONTENT)
        .guilds(4)
        .start()
        .await
        .unwrap()
}

async fn gateway_info(fake: &FakeDiscord) -> GatewayBotInfo {
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .build()
        .unwrap();
    http.fetch_gateway_bot().await.unwrap()
}

async fn next(rx: &mut mpsc::Receiver<(u32, ShardEvent)>) -> (u32, ShardEvent) {
    tokio::time::timeout(GUARD, rx.recv())
        .await
        .expect("timed out waiting for a manager event")
        .expect("event stream ended")
}

#[tokio::test]
async fn sixteen_shards_identify_in_four_waves_and_restart_alone() {
    let window = Duration::from_millis(300);
    let fake = fake(16, 4, window).await;
    let info = gateway_info(&fake).await;
    assert_eq!(info.shards, 16);
    assert_eq!(info.session_start_limit.max_concurrency, 4);
    let manager = ShardManager::builder(fake.token(), intents(), info)
        .identify_window(window)
        .configure(|b| b.backoff(Duration::from_millis(20), Duration::from_millis(200)))
        .build()
        .unwrap();
    let mut rx = manager.take_events().unwrap();
    manager.start().unwrap();

    // every shard gets READY, tagged with its id, carrying its shard pair
    let mut ready = BTreeSet::new();
    while ready.len() < 16 {
        if let (id, ShardEvent::Dispatch(d)) = next(&mut rx).await {
            if d.name() == "READY" {
                let v: serde_json::Value = d.deserialize().unwrap();
                assert_eq!(v["shard"], serde_json::json!([id, 16]));
                ready.insert(id);
            }
        }
    }
    let c = fake.counters();
    if c.identifies != 16 {
        for p in fake.gateway_payloads() {
            if p.op == 2 {
                let v: serde_json::Value = serde_json::from_str(&p.json).unwrap();
                eprintln!(
                    "identify {} conn {} at {:?}",
                    v["d"]["shard"], p.connection, p.at
                );
            }
        }
        while let Ok((id, e)) = rx.try_recv() {
            if !matches!(e, ShardEvent::Dispatch(_)) {
                eprintln!("{id}: {e:?}");
            }
        }
    }
    assert_eq!(c.identifies, 16, "{c:?}");
    assert_eq!(c.identify_concurrency_violations, 0);

    // identify times per shard, from what the fake received
    let mut at = BTreeMap::new();
    for p in fake.gateway_payloads() {
        if p.op == 2 {
            let v: serde_json::Value = serde_json::from_str(&p.json).unwrap();
            let shard = v["d"]["shard"][0]
                .as_u64()
                .expect("IDENTIFY carries a shard") as u32;
            at.insert(shard, p.at);
        }
    }
    assert_eq!(at.len(), 16);
    for wave in 1..4u32 {
        let prev_last = (0..4).map(|b| at[&(4 * (wave - 1) + b)]).max().unwrap();
        let first = (0..4).map(|b| at[&(4 * wave + b)]).min().unwrap();
        assert!(
            first > prev_last,
            "wave {wave} started before wave {} ended",
            wave - 1
        );
        for bucket in 0..4 {
            let gap = at[&(4 * wave + bucket)].duration_since(at[&(4 * (wave - 1) + bucket)]);
            assert!(
                gap >= window,
                "bucket {bucket} identified twice within {gap:?}"
            );
        }
    }
    for info in manager.infos() {
        assert_eq!(info.status, ShardStatus::Ready, "{info:?}");
    }

    // restart shard 5 from scratch while the others keep running
    manager.restart(5, false).await.unwrap();
    loop {
        match next(&mut rx).await {
            (5, ShardEvent::Ready { .. }) => break,
            (id, ShardEvent::Reconnecting { .. }) if id != 5 => panic!("shard {id} reconnected"),
            _ => {}
        }
    }
    assert_eq!(fake.counters().identifies, 17);
    assert_eq!(manager.info(5).unwrap().reidentifies, 1);
    assert_eq!(manager.info(4).unwrap().reconnects, 0);
    manager.close(true).await;
    fake.shutdown().await;
}

#[tokio::test]
async fn dispatcher_listens_and_waits_across_shards() {
    let fake = fake(2, 2, WINDOW).await;
    let info = gateway_info(&fake).await;
    let manager = ShardManager::builder(fake.token(), intents(), info)
        .identify_window(WINDOW)
        .build()
        .unwrap();
    let dispatcher = manager.dispatcher();
    let (tx, mut heard) = mpsc::channel(16);
    dispatcher.listen("MESSAGE_CREATE", move |shard, d| {
        let tx = tx.clone();
        async move {
            let v: serde_json::Value = d.deserialize().unwrap();
            let _ = tx
                .send((shard, v["content"].as_str().unwrap().to_owned()))
                .await;
        }
    });
    let both_ready = {
        let a = dispatcher.wait_for(|id, _| id == 0, "READY");
        let b = dispatcher.wait_for(|id, _| id == 1, "READY");
        async move { (a.await.unwrap(), b.await.unwrap()) }
    };
    manager.start().unwrap();
    tokio::time::timeout(GUARD, both_ready).await.unwrap();

    let wait = dispatcher.wait_for(
        |_, d| d.as_str().contains("for shard one"),
        "MESSAGE_CREATE",
    );
    let mut msg = message(&fake, 1);
    msg["content"] = "for shard one".into();
    fake.dispatch(ShardTarget::Shard(1), "MESSAGE_CREATE", msg);
    let (shard, d) = tokio::time::timeout(GUARD, wait).await.unwrap().unwrap();
    assert_eq!(shard, 1);
    assert_eq!(d.name(), "MESSAGE_CREATE");
    let (shard, content) = tokio::time::timeout(GUARD, heard.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((shard, content.as_str()), (1, "for shard one"));
    assert!(manager.messenger_for_guild(fake.guild_ids()[0]).is_some());

    // a fatal close on one shard surfaces through wait_for_fatal
    let fatal = dispatcher.wait_for_fatal();
    fake.close_gateway(ShardTarget::Shard(0), 4013);
    let (shard, error) = tokio::time::timeout(GUARD, fatal).await.unwrap().unwrap();
    assert_eq!(shard, 0);
    assert!(error.is_fatal());
    eventually("shard 0 failed", || {
        manager.info(0).unwrap().status == ShardStatus::Failed
    })
    .await;
    assert_eq!(manager.info(1).unwrap().status, ShardStatus::Ready);
    manager.close(true).await;
    fake.shutdown().await;
}

#[tokio::test]
async fn a_range_runs_its_shards_and_more_can_be_added() {
    let fake = fake(2, 2, WINDOW).await;
    let info = gateway_info(&fake).await;
    let manager = ShardManager::builder(fake.token(), intents(), info)
        .range(0..1, 2)
        .identify_window(WINDOW)
        .build()
        .unwrap();
    let mut rx = manager.take_events().unwrap();
    manager.start().unwrap();
    loop {
        if let (id, ShardEvent::Ready { .. }) = next(&mut rx).await {
            assert_eq!(id, 0);
            break;
        }
    }
    assert_eq!(manager.infos().len(), 1);
    assert!(manager.messenger(1).is_none());
    manager.add_shard(1).unwrap();
    loop {
        if let (1, ShardEvent::Ready { .. }) = next(&mut rx).await {
            break;
        }
    }
    assert_eq!(fake.counters().identifies, 2);
    assert!(matches!(
        manager.add_shard(2),
        Err(acord_core_gateway::GatewayError::InvalidShard { shard: 2, count: 2 })
    ));
    manager.close(true).await;
    fake.shutdown().await;
}

#[tokio::test]
async fn close_lets_running_handlers_finish() {
    // A handler that is still running when the manager closes is not
    // aborted: close waits for it (bounded), and what was flushed is
    // delivered.
    let fake = fake(1, 1, Duration::from_millis(50)).await;
    let info = gateway_info(&fake).await;
    let manager = ShardManager::builder(fake.token(), intents(), info)
        .build()
        .unwrap();
    let dispatcher = manager.dispatcher();
    let started = std::sync::Arc::new(tokio::sync::Notify::new());
    let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (started, finished) = (started.clone(), finished.clone());
        dispatcher.listen("MESSAGE_CREATE", move |_, _| {
            let (started, finished) = (started.clone(), finished.clone());
            async move {
                started.notify_one();
                tokio::time::sleep(Duration::from_millis(300)).await;
                finished.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        });
    }
    let ready = dispatcher.wait_for(|_, _| true, "READY");
    manager.start().unwrap();
    tokio::time::timeout(GUARD, ready).await.unwrap().unwrap();
    let guild = fake.guild_ids()[0];
    fake.dispatch(
        ShardTarget::All,
        "MESSAGE_CREATE",
        serde_json::json!({"id": "1", "channel_id": "2", "guild_id": guild.to_string()}),
    );
    tokio::time::timeout(GUARD, started.notified())
        .await
        .unwrap();
    tokio::time::timeout(GUARD, manager.close(true))
        .await
        .unwrap();
    assert!(
        finished.load(std::sync::atomic::Ordering::SeqCst),
        "the running handler was aborted by close"
    );
}

/// `close(false)` keeps every shard's session; a manager of the next
/// process given them RESUMEs each shard instead of identifying.
#[tokio::test]
async fn sessions_saved_at_close_resume_every_shard_of_the_next_manager() {
    let window = Duration::from_millis(100);
    let fake = fake(2, 2, window).await;
    let info = gateway_info(&fake).await;
    let manager = ShardManager::builder(fake.token(), intents(), info.clone())
        .identify_window(window)
        .build()
        .unwrap();
    let mut rx = manager.take_events().unwrap();
    manager.start().unwrap();
    let mut ready = BTreeSet::new();
    while ready.len() < 2 {
        if let (id, ShardEvent::Ready { .. }) = next(&mut rx).await {
            ready.insert(id);
        }
    }
    manager.close(false).await;
    let sessions = manager.sessions();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let again = ShardManager::builder(fake.token(), intents(), info)
        .identify_window(window)
        .sessions(sessions)
        .build()
        .unwrap();
    let mut rx = again.take_events().unwrap();
    again.start().unwrap();
    let mut resumed = BTreeSet::new();
    while resumed.len() < 2 {
        match next(&mut rx).await {
            (id, ShardEvent::Resumed) => {
                resumed.insert(id);
            }
            (id, ShardEvent::Ready { .. }) => panic!("shard {id} identified"),
            _ => {}
        }
    }
    assert_eq!(fake.counters().identifies, 2);
    again.close(true).await;
}

/// A manager connects a shard only when it is in the next wave of the
/// identify queue: shards waiting their turn do not each hold a socket (a
/// thousand shards would otherwise open a thousand at start).
#[tokio::test]
async fn shards_connect_one_wave_ahead_of_their_identify() {
    let window = Duration::from_millis(300);
    let fake = fake(12, 2, window).await;
    let info = gateway_info(&fake).await;
    let manager = ShardManager::builder(fake.token(), intents(), info)
        .identify_window(window)
        .build()
        .unwrap();
    let mut rx = manager.take_events().unwrap();
    manager.start().unwrap();
    let watch = {
        let fake = fake.clone();
        tokio::spawn(async move {
            // sockets the fake accepted that have not identified yet
            let mut most = 0;
            loop {
                let c = fake.counters();
                most = most.max(c.gateway_connections.saturating_sub(c.identifies));
                if c.identifies >= 12 {
                    return most;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let mut ready = BTreeSet::new();
    while ready.len() < 12 {
        if let (id, ShardEvent::Dispatch(d)) = next(&mut rx).await {
            if d.name() == "READY" {
                ready.insert(id);
            }
        }
    }
    let most = tokio::time::timeout(GUARD, watch).await.unwrap().unwrap();
    // one wave of 2 holds the gate; one more socket may be counted while
    // the IDENTIFY that freed its permit is still on its way to the fake
    assert!(most <= 3, "{most} sockets were open without an IDENTIFY");
    let c = fake.counters();
    assert_eq!((c.identifies, c.identify_concurrency_violations), (12, 0));
    manager.close(true).await;
}
