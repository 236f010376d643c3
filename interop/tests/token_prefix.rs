//! The `token` of IDENTIFY: twilight-gateway 0.18's `ConfigBuilder::new`
//! always prefixes the token with `Bot ` and sends that string in
//! IDENTIFY/RESUME. Discord's production gateway accepts that form, so the
//! fake does too (it used to close 4004 here). This test pins both facts,
//! so a change on either side is noticed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use acord_testkit::FakeDiscord;
use support::*;
use twilight_gateway::{Event, EventTypeFlags, StreamExt as _};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilight_sends_bot_prefixed_token_in_identify_and_the_fake_accepts_it() {
    captured_log();
    let fake = FakeDiscord::builder().start().await.unwrap();
    // The plain token, as a bot author would copy it from the portal.
    let mut shard = shard(&fake);

    let ready = tokio::time::timeout(WAIT, async {
        while let Some(item) = shard.next_event(EventTypeFlags::all()).await {
            match item {
                Ok(Event::Ready(_)) => return true,
                Ok(Event::GatewayClose(_)) => return false,
                _ => {}
            }
        }
        false
    })
    .await
    .expect("twilight saw READY or a close in time");
    assert!(ready, "the fake accepts `Bot <token>` in IDENTIFY");

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
    assert_eq!(fake.counters().identifies, 1);
    fake.shutdown().await;
}
