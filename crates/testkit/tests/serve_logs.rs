//! Issue 3 point 5: the fake logs (tracing, info level) one line per REST
//! request (method, path, status) and one per gateway connection when it
//! ends (id, query, close code) — what `acord-testkit serve` prints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gateway_support::{builder, Client};

/// A `MakeWriter` that appends every log line to a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Waits until a captured line contains every one of `parts`.
    async fn wait_for_line(&self, parts: &[&str]) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let text = self.text();
            if let Some(line) = text
                .lines()
                .find(|line| parts.iter().all(|part| line.contains(part)))
            {
                return line.to_owned();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no log line with {parts:?} in:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A current-thread runtime: the fake's tasks run on this thread, under the
// subscriber set as this thread's default.
#[tokio::test]
async fn every_request_and_connection_is_logged_at_info() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = builder().start().await.unwrap();

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = http
        .get(format!("{}/v10/users/@me", fake.api_base()))
        .header("authorization", format!("Bot {}", fake.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = http
        .get(format!("{}/v10/nowhere", fake.api_base()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    capture
        .wait_for_line(&[
            "INFO",
            "method=GET",
            "path=/api/v10/users/@me",
            "status=200",
        ])
        .await;
    capture
        .wait_for_line(&["INFO", "method=GET", "path=/api/v10/nowhere", "status=404"])
        .await;

    let mut client = Client::connect(&fake, false).await;
    client.expect_op(10).await;
    client.close(4321).await;
    let ended = capture
        .wait_for_line(&["INFO", "gateway connection ended", "close_code=4321"])
        .await;
    assert!(ended.contains("query=\"v=10&encoding=json\""), "{ended}");
    assert!(ended.contains("closed_by=\"client\""), "{ended}");
    assert!(ended.contains("connection="), "{ended}");

    // An IDENTIFY's record keeps the token; its Debug output does not.
    let mut client = Client::connect(&fake, false).await;
    client.expect_op(10).await;
    client
        .identify(fake.token(), acord_core_signals::Intents::GUILDS, None)
        .await;
    client.expect_dispatch("READY").await;
    let identify = fake
        .wait_for_gateway_payload(|p| p.op == 2, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(identify.json.contains(fake.token()));
    let shown = format!("{identify:?}");
    assert!(!shown.contains(fake.token()), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    client.close(4000).await;

    // A close by the server is logged with its code too.
    let mut client = Client::connect_query(&fake, "v=8").await;
    assert_eq!(client.closed().await, Some(4012));
    let ended = capture
        .wait_for_line(&["gateway connection ended", "close_code=4012"])
        .await;
    assert!(ended.contains("closed_by=\"server\""), "{ended}");

    // The bot token never shows up in the logs, nor in Debug output.
    fake.shutdown().await;
    assert!(!capture.text().contains(fake.token()));
    let first = fake
        .requests()
        .into_iter()
        .find(|r| r.header("authorization").is_some())
        .unwrap();
    assert_eq!(
        first.header("authorization"),
        Some(format!("Bot {}", fake.token()).as_str()),
        "the record keeps the header as received"
    );
    assert!(!format!("{first:?}").contains(fake.token()));
    assert!(!format!("{fake:?}").contains(fake.token()));
    assert!(!format!("{:?}", builder().token("s3cret-token")).contains("s3cret-token"));
}
