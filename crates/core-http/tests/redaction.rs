//! Webhook and interaction tokens, and proxy credentials, never reach an
//! error, a `Debug` or the tracing output, even when a token is written
//! into a route template instead of passed as a parameter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acord_core_http::{HttpClient, InMemoryRatelimiter, Method, Route};
use acord_testkit::FakeDiscord;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span field and event of acord-core-http as text.
#[derive(Clone, Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    next_id: Arc<AtomicU64>,
}

impl Capture {
    fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = format!(
            "span {} {}",
            span.metadata().target(),
            span.metadata().name()
        );
        span.record(&mut Line(&mut line));
        if span.metadata().target().starts_with("acord_core_http") {
            self.lines.lock().unwrap().push(line);
        }
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = String::from("record");
        values.record(&mut Line(&mut line));
        self.lines.lock().unwrap().push(line);
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if event.metadata().target().starts_with("acord_core_http") {
            let mut line = format!("event {}", event.metadata().target());
            event.record(&mut Line(&mut line));
            self.lines.lock().unwrap().push(line);
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

const WEBHOOK_TOKEN: &str = "WEBHOOKsecretTOKENabc123";
const INTERACTION_TOKEN: &str = "aW50ZXJhY3Rpb246c2VjcmV0";
const FOLLOWUP_TOKEN: &str = "FOLLOWUPsecretTOKENxyz789";
const SECRETS: [&str; 3] = [WEBHOOK_TOKEN, INTERACTION_TOKEN, FOLLOWUP_TOKEN];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows a token: {text}");
    }
}

// A current-thread runtime: the client and the fake run on this thread,
// under the subscriber set as this thread's default.
#[tokio::test]
async fn literal_tokens_in_templates_never_reach_errors_debug_or_tracing() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let fake = FakeDiscord::builder().start().await.unwrap();
    let app = fake.bot_user_id();
    let events = Arc::new(Mutex::new(String::new()));
    let seen = Arc::clone(&events);
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .ratelimiter(Arc::new(
            InMemoryRatelimiter::builder()
                .on_event(move |e| {
                    let _ = write!(seen.lock().unwrap(), "{e:?}");
                })
                .build(),
        ))
        .retries(0, Duration::from_millis(10))
        .build()
        .unwrap();
    // Tokens written into the template text, not given as parameters.
    let routes = [
        Route::new(Method::Post, format!("/webhooks/1234/{WEBHOOK_TOKEN}")),
        Route::new(
            Method::Patch,
            format!("/webhooks/1234/{WEBHOOK_TOKEN}/messages/@original"),
        ),
        Route::new(
            Method::Post,
            format!("/interactions/99/{INTERACTION_TOKEN}/callback"),
        ),
        Route::new(Method::Post, format!("/webhooks/{app}/{FOLLOWUP_TOKEN}")),
        Route::new(
            Method::Get,
            format!("/webhooks/{app}/{FOLLOWUP_TOKEN}/messages/{{message_id}}"),
        )
        .param("message_id", 5),
    ];
    for route in routes {
        assert_clean("Route Debug", &format!("{route:?}"));
        assert_clean("Route Display", &route.to_string());
        let key = route.ratelimit_key().unwrap();
        assert_clean("RouteKey", &format!("{key:?} {key}"));
        let request = http
            .request(route.clone())
            .json(&serde_json::json!({ "type": 1 }));
        assert_clean("RequestBuilder Debug", &format!("{request:?}"));
        let err = request
            .send()
            .await
            .expect_err("unknown webhooks and interactions");
        assert_clean("HttpError", &format!("{err} | {err:?}"));
        assert_clean("RouteLabel", err.route().unwrap().template());
    }
    // A route error on a template with a literal token.
    let missing = Route::new(
        Method::Get,
        format!("/webhooks/1234/{WEBHOOK_TOKEN}/messages/{{message_id}}"),
    );
    let err = http.request(missing).send().await.unwrap_err();
    assert!(err.is_route(), "{err}");
    assert_clean("RouteError", &format!("{err} | {err:?}"));
    assert_clean("RatelimitEvent", &events.lock().unwrap());
    let traced = capture.text();
    assert!(
        traced.contains("http_request"),
        "nothing was captured: {traced}"
    );
    assert!(
        traced.contains("route=/webhooks/1234/<redacted>"),
        "the span shows no route: {traced}"
    );
    assert_clean("tracing output", &traced);
    fake.shutdown().await;
}

#[test]
fn proxy_credentials_are_not_echoed() {
    // An unusable proxy URL that carries credentials.
    let err = HttpClient::unauthenticated()
        .proxy("http://bot:hunter2-secret@proxy.internal:notaport")
        .build()
        .expect_err("an invalid proxy URL");
    let text = format!("{err} | {err:?}");
    assert!(!text.contains("hunter2-secret"), "{text}");
    assert!(text.contains("proxy"), "{text}");
    // A usable one never shows up in `Debug` either.
    let builder = HttpClient::unauthenticated().proxy("http://bot:hunter2-secret@127.0.0.1:3128");
    let debug = format!("{builder:?}");
    assert!(!debug.contains("hunter2-secret"), "{debug}");
    let client = builder.build().unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("hunter2-secret"), "{debug}");
}
