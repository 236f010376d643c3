//! The one disagreement between twilight-gateway 0.18 and the fake: the
//! `token` of IDENTIFY.
//!
//! discord-protocol.md §3.7: IDENTIFY `token` is "bot token, without the
//! `Bot ` prefix" (and §3.9 shows RESUME with `"token":"<token>"`).
//! twilight-gateway's `ConfigBuilder::new` always prefixes the token with
//! `Bot ` and sends that string in IDENTIFY/RESUME; Discord's production
//! gateway evidently tolerates it (twilight ships this way), but that
//! leniency is undocumented. The fake follows the document and closes 4004.
//! This test pins both facts, so a change on either side is noticed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use acord_testkit::FakeDiscord;
use support::*;
use twilight_gateway::{Event, EventTypeFlags, StreamExt as _};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilight_sends_bot_prefixed_token_in_identify_and_fake_closes_4004() {
    captured_log();
    let fake = FakeDiscord::builder().start().await.unwrap();
    // The plain token, as a bot author would copy it from the portal.
    let mut shard = shard(&fake);

    let close = tokio::time::timeout(WAIT, async {
        while let Some(item) = shard.next_event(EventTypeFlags::all()).await {
            if let Ok(Event::GatewayClose(frame)) = item {
                return frame.map(|f| f.code);
            }
        }
        None
    })
    .await
    .expect("twilight saw a close in time");
    assert_eq!(
        close,
        Some(4004),
        "the fake rejects `Bot <token>` in IDENTIFY"
    );

    let identify = fake
        .wait_for_gateway_payload(|p| p.op == 2, WAIT)
        .await
        .expect("IDENTIFY recorded");
    let identify: serde_json::Value = serde_json::from_str(&identify.json).unwrap();
    assert_eq!(
        identify["d"]["token"],
        serde_json::json!(format!("Bot {}", fake.token())),
        "twilight puts the `Bot ` prefix into IDENTIFY.token"
    );
    // 4004 is fatal for twilight (Reconnect = false, §4.1): no retry.
    assert_eq!(fake.counters().identifies, 1);
    assert_eq!(fake.counters().gateway_connections, 1);
    fake.shutdown().await;
}
