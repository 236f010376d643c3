//! `Connection` driven over a real WebSocket against the fake Discord on
//! loopback, with no `Shard`: a session saved at shutdown is resumed by a
//! new `Connection` (a process restart), and an expired one falls back to
//! IDENTIFY.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use acord_core_gateway::{Connection, ConnectionConfig, Event, Session};
use acord_core_signals::Intents;
use acord_testkit::{FakeDiscord, ShardTarget};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Failure guard for waits; the tests finish far sooner.
const GUARD: Duration = Duration::from_secs(15);

fn config(fake: &FakeDiscord) -> acord_core_gateway::ConnectionConfigBuilder {
    ConnectionConfig::builder(fake.token(), Intents::GUILDS, fake.gateway_url())
        .invalid_session_wait(Duration::from_millis(10), Duration::from_millis(20))
}

/// Opens a socket to `conn.connect_url()` and tells the connection.
async fn connect(conn: &mut Connection) -> Ws {
    let mut url = url::Url::parse(conn.connect_url()).unwrap();
    url.set_query(Some(&Connection::query(None)));
    let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    conn.on_connected();
    ws
}

/// A minimal driver: sends what the connection queues, runs its timer and
/// feeds it every text message, until an event matches `done`. Returns
/// every event seen.
async fn drive_until(
    conn: &mut Connection,
    ws: &mut Ws,
    done: impl Fn(&Event) -> bool,
) -> Vec<Event> {
    let guard = tokio::time::Instant::now() + GUARD;
    let mut seen = Vec::new();
    loop {
        for out in conn.send_iter() {
            ws.send(Message::Text(out.into_text().into()))
                .await
                .unwrap();
        }
        while let Some(event) = conn.poll_event() {
            let stop = done(&event);
            seen.push(event);
            if stop {
                return seen;
            }
        }
        assert!(
            conn.should_reconnect().is_none(),
            "unexpected reconnect; seen: {seen:#?}"
        );
        let wake = conn
            .next_deadline()
            .map_or(guard, |d| tokio::time::Instant::from_std(d).min(guard));
        match tokio::time::timeout_at(wake, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                conn.recv(text.as_str(), Instant::now()).unwrap();
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                conn.recv_close_code(frame.map(|f| u16::from(f.code)));
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("socket error {e}; seen: {seen:#?}"),
            Ok(None) => conn.recv_close_code(None),
            Err(_) => {
                assert!(
                    tokio::time::Instant::now() < guard,
                    "timed out; seen: {seen:#?}"
                );
                conn.handle_timeout(Instant::now());
            }
        }
    }
}

/// Closes the socket with `code` and waits for the server's answer.
async fn close(ws: &mut Ws, code: u16) {
    ws.close(Some(CloseFrame {
        code: WsCloseCode::from(code),
        reason: "".into(),
    }))
    .await
    .unwrap();
    while let Ok(Some(Ok(_))) = tokio::time::timeout(GUARD, ws.next()).await {}
}

fn dispatches<'a>(events: &'a [Event], name: &'a str) -> impl Iterator<Item = u64> + 'a {
    events.iter().filter_map(move |e| match e {
        Event::Dispatch(d) if d.name() == name => Some(d.seq()),
        _ => None,
    })
}

#[tokio::test]
async fn a_session_saved_at_shutdown_resumes_in_a_new_connection() {
    let fake = FakeDiscord::builder().start().await.unwrap();
    let guilds = fake.guild_ids().len();

    // first run: IDENTIFY, READY, the guilds, one more event
    let mut conn = Connection::new(config(&fake).build().unwrap());
    let mut ws = connect(&mut conn).await;
    let mut seen = drive_until(&mut conn, &mut ws, |e| matches!(e, Event::Ready { .. })).await;
    while dispatches(&seen, "GUILD_CREATE").count() < guilds {
        seen.extend(drive_until(&mut conn, &mut ws, |e| matches!(e, Event::Dispatch(_))).await);
    }
    fake.dispatch(
        ShardTarget::All,
        "GUILD_UPDATE",
        json!({"n": 1, "guild_id": "5"}),
    );
    drive_until(
        &mut conn,
        &mut ws,
        |e| matches!(e, Event::Dispatch(d) if d.name() == "GUILD_UPDATE"),
    )
    .await;

    // shutdown keeping the session; save it
    let code = conn.close(false);
    assert_eq!(code, 4000);
    close(&mut ws, code).await;
    let saved = serde_json::to_string(&conn.session().expect("resumable")).unwrap();
    let last_seq = conn.sequence().unwrap();
    drop(conn);

    // events while the bot is down
    for n in 2..=3 {
        fake.dispatch(
            ShardTarget::All,
            "GUILD_UPDATE",
            json!({"n": n, "guild_id": "5"}),
        );
    }

    // second run: RESUME from the saved session, the gap is replayed
    let session: Session = serde_json::from_str(&saved).unwrap();
    assert_eq!(session.sequence(), last_seq);
    let resume_url = session.resume_url().unwrap().to_owned();
    let mut conn = Connection::new(config(&fake).session(session).build().unwrap());
    assert_eq!(conn.connect_url(), resume_url);
    let mut ws = connect(&mut conn).await;
    let seen = drive_until(&mut conn, &mut ws, |e| matches!(e, Event::Resumed)).await;
    let replayed: Vec<u64> = dispatches(&seen, "GUILD_UPDATE").collect();
    assert_eq!(replayed, [last_seq + 1, last_seq + 2], "{seen:#?}");
    assert!(conn.is_ready());

    let counters = fake.counters();
    assert_eq!((counters.identifies, counters.resumes), (1, 1));
    let resume = fake
        .gateway_payloads()
        .into_iter()
        .find(|p| p.op == 6)
        .unwrap();
    let resume: serde_json::Value = serde_json::from_str(&resume.json).unwrap();
    assert_eq!(resume["d"]["seq"], last_seq);

    close(&mut ws, conn.close(true)).await;
    fake.shutdown().await;
}

#[tokio::test]
async fn an_expired_saved_session_falls_back_to_identify() {
    let fake = FakeDiscord::builder().start().await.unwrap();
    let session = Session::new("no-such-session", 40, Some(fake.gateway_url().to_owned()));
    let mut conn = Connection::new(config(&fake).session(session).build().unwrap());
    let mut ws = connect(&mut conn).await;
    let guard = tokio::time::Instant::now() + GUARD;
    // RESUME, answered with op 9 `d: false`
    loop {
        for out in conn.send_iter() {
            ws.send(Message::Text(out.into_text().into()))
                .await
                .unwrap();
        }
        if conn.should_reconnect().is_some() {
            break;
        }
        match tokio::time::timeout_at(guard, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                conn.recv(text.as_str(), Instant::now()).unwrap();
            }
            other => panic!("expected op 9, got {other:?}"),
        }
    }
    let r = conn.should_reconnect().unwrap();
    assert!(!r.resume);
    assert_eq!(conn.session(), None);
    close(&mut ws, r.close_code).await;
    tokio::time::sleep(r.wait).await;

    let mut ws = connect(&mut conn).await;
    let seen = drive_until(&mut conn, &mut ws, |e| matches!(e, Event::Ready { .. })).await;
    assert!(seen.iter().any(|e| matches!(e, Event::Ready { .. })));
    let counters = fake.counters();
    assert_eq!((counters.resumes, counters.identifies), (1, 1));
    assert_eq!(counters.invalid_sessions_sent, 1);
    close(&mut ws, conn.close(true)).await;
    fake.shutdown().await;
}
