//! `ACORD_API_BASE` / `ACORD_GATEWAY_URL` point a client that sets neither
//! at another REST base and gateway. Its own test binary: environment
//! variables are process-wide, so no other test may run beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use acord::event::kind::Ready;
use acord::Client;
use acord_tests::{fake, intents, STEP};
use tokio::sync::mpsc;
use tokio::time::timeout;

#[tokio::test]
async fn the_environment_points_the_client_at_the_fake() {
    let fake = fake().await;
    // The only test in this process: setting the environment is safe.
    std::env::set_var("ACORD_API_BASE", fake.api_base());
    std::env::set_var("ACORD_GATEWAY_URL", fake.gateway_url());
    let (tx, mut ready) = mpsc::channel(1);
    let bot = Client::builder(fake.token(), intents())
        .on::<Ready, _, _>(move |_, _| {
            let tx = tx.clone();
            async move { tx.send(()).await.unwrap() }
        })
        .build()
        .await
        .unwrap();
    assert_eq!(bot.http().client().api_base(), fake.api_base());
    let shutdown = bot.shutdown_handle();
    let run = tokio::spawn(async move { bot.start().await });
    timeout(STEP, ready.recv()).await.unwrap().unwrap();
    shutdown.shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
    assert_eq!(fake.counters().identifies, 1);

    // an explicit setting wins over the environment
    std::env::set_var("ACORD_API_BASE", "http://127.0.0.1:9/api");
    let bot = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .build()
        .await
        .unwrap();
    assert_eq!(bot.http().client().api_base(), fake.api_base());
}
