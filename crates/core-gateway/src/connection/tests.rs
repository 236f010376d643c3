//! Payload-script tests of the sans-I/O connection: no network, no sleeps.

use super::*;
use proptest::prelude::*;

const URL: &str = "wss://gateway.example";
const RESUME_URL: &str = "wss://resume.example";

fn config() -> ConnectionConfig {
    ConnectionConfig::builder(
        "secret-token",
        Intents::GUILDS | Intents::GUILD_MESSAGES,
        URL,
    )
    .shard(1, 4)
    .seed(7)
    .build()
    .unwrap()
}

fn hello(ms: u64) -> String {
    format!(r#"{{"op":10,"d":{{"heartbeat_interval":{ms}}}}}"#)
}

fn ready(seq: u64) -> String {
    format!(
        r#"{{"op":0,"s":{seq},"t":"READY","d":{{"v":10,"session_id":"sess-1","resume_gateway_url":"{RESUME_URL}","shard":[1,4],"user":{{"id":"1"}},"guilds":[]}}}}"#
    )
}

fn dispatch(seq: u64, name: &str) -> String {
    format!(r#"{{"op":0,"s":{seq},"t":"{name}","d":{{"n":{seq}}}}}"#)
}

fn sent(conn: &mut Connection) -> Vec<Outgoing> {
    conn.send_iter().collect()
}

fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

fn json(o: &Outgoing) -> serde_json::Value {
    serde_json::from_str(o.as_str()).unwrap()
}

/// A presence `d` as a caller models it (fields in Discord's order).
#[derive(Serialize)]
struct Presence<'a> {
    since: Option<u64>,
    activities: Vec<serde_json::Value>,
    status: &'a str,
    afk: bool,
}

fn online() -> Presence<'static> {
    Presence {
        since: None,
        activities: Vec::new(),
        status: "online",
        afk: false,
    }
}

/// UPDATE_PRESENCE (op 3) going online.
fn online_command() -> Command {
    Command::new(GatewayOpcode::PresenceUpdate, &online()).unwrap()
}

/// Connected, identified and READY at `t0` with seq 1.
fn ready_conn(t0: Instant) -> Connection {
    let mut conn = Connection::new(config());
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    let out = sent(&mut conn);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind(), SendKind::Identify);
    conn.recv(&ready(1), t0).unwrap();
    events(&mut conn);
    conn
}

#[test]
fn hello_then_identify_with_everything() {
    let t0 = Instant::now();
    let mut conn = Connection::new(
        ConnectionConfig::builder("Bot secret-token", Intents::GUILDS, URL)
            .shard(1, 4)
            .large_threshold(100)
            .presence(&online())
            .build()
            .unwrap(),
    );
    assert_eq!(conn.stage(), Stage::Disconnected);
    assert_eq!(conn.connect_url(), URL);
    conn.on_connected();
    assert_eq!(conn.stage(), Stage::AwaitingHello);
    assert!(conn.send_iter().next().is_none());
    conn.recv(&hello(41250), t0).unwrap();
    assert_eq!(
        conn.heartbeat_interval(),
        Some(Duration::from_millis(41250))
    );
    assert_eq!(conn.stage(), Stage::Identifying);
    let out = sent(&mut conn);
    assert_eq!(out.len(), 1);
    let id = json(&out[0]);
    assert_eq!(id["op"], 2);
    assert_eq!(id["d"]["token"], "secret-token");
    assert_eq!(id["d"]["intents"], 1);
    assert_eq!(id["d"]["shard"], serde_json::json!([1, 4]));
    assert_eq!(id["d"]["large_threshold"], 100);
    assert_eq!(
        id["d"]["presence"],
        serde_json::json!({"since": null, "activities": [], "status": "online", "afk": false})
    );
    // the presence is sent exactly as the caller serialised it
    assert!(out[0]
        .as_str()
        .contains(r#","presence":{"since":null,"activities":[],"status":"online","afk":false}}"#));
    assert_eq!(id["d"]["properties"]["browser"], "acord");
    assert_eq!(id["d"]["properties"]["device"], "acord");
    assert!(format!("{:?}", out[0]).contains("<redacted>"));
    assert!(!format!("{:?}", out[0]).contains("secret-token"));
    assert!(!format!("{conn:?}").contains("secret-token"));
    assert!(matches!(
        events(&mut conn)[..],
        [Event::Hello { heartbeat_interval }] if heartbeat_interval == Duration::from_millis(41250)
    ));
}

#[test]
fn ready_stores_session_and_resume_url() {
    let t0 = Instant::now();
    let mut conn = Connection::new(config());
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    sent(&mut conn);
    events(&mut conn);
    conn.recv(&ready(1), t0).unwrap();
    assert_eq!(conn.stage(), Stage::Ready);
    assert!(conn.is_ready());
    assert_eq!(conn.session_id(), Some("sess-1"));
    assert_eq!(conn.resume_url(), Some(RESUME_URL));
    assert_eq!(conn.sequence(), Some(1));
    let ev = events(&mut conn);
    assert!(matches!(&ev[0], Event::Ready { session_id } if session_id == "sess-1"));
    assert!(matches!(&ev[1], Event::Dispatch(d) if d.name() == "READY" && d.seq() == 1));
}

#[test]
fn dispatches_track_sequence_and_keep_raw_d() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    for seq in 2..=5 {
        conn.recv(&dispatch(seq, "MESSAGE_CREATE"), t0).unwrap();
    }
    // an older (replayed) seq never moves the counter back
    conn.recv(&dispatch(3, "MESSAGE_CREATE"), t0).unwrap();
    assert_eq!(conn.sequence(), Some(5));
    let ds: Vec<Dispatch> = events(&mut conn)
        .into_iter()
        .filter_map(|e| match e {
            Event::Dispatch(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(ds.len(), 5);
    assert_eq!(ds[0].name(), "MESSAGE_CREATE");
    assert_eq!(ds[0].as_str(), r#"{"n":2}"#);
    // dispatch without `d` hands out `null`
    conn.recv(r#"{"op":0,"s":6,"t":"X"}"#, t0).unwrap();
    assert!(matches!(&events(&mut conn)[..], [Event::Dispatch(d)] if d.as_str() == "null"));
    // dispatch without `s` is an error and changes nothing
    assert!(conn.recv(r#"{"op":0,"t":"X","d":{}}"#, t0).is_err());
    assert_eq!(conn.sequence(), Some(6));
    assert!(conn.is_ready());
}

#[test]
fn heartbeat_carries_last_seq_and_is_jittered() {
    let t0 = Instant::now();
    let mut conn = Connection::new(config());
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    sent(&mut conn);
    // first beat within [t0, t0 + interval)
    let first = conn.next_deadline().unwrap();
    assert!(first >= t0 && first < t0 + Duration::from_millis(1000));
    // before the deadline nothing happens
    conn.handle_timeout(t0);
    if first > t0 {
        assert!(sent(&mut conn).is_empty());
    }
    conn.handle_timeout(first);
    let out = sent(&mut conn);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind(), SendKind::Heartbeat);
    assert_eq!(out[0].as_str(), r#"{"op":1,"d":null}"#);
    conn.recv(r#"{"op":11}"#, first + Duration::from_millis(30))
        .unwrap();
    assert_eq!(conn.keep_alive().latency(), Some(Duration::from_millis(30)));
    conn.recv(&ready(1), first).unwrap();
    conn.recv(&dispatch(2, "TYPING_START"), first).unwrap();
    let second = conn.next_deadline().unwrap();
    assert_eq!(second, first + Duration::from_millis(1000));
    conn.handle_timeout(second);
    assert_eq!(sent(&mut conn)[0].as_str(), r#"{"op":1,"d":2}"#);
    let ev = events(&mut conn);
    assert!(ev.iter().any(
        |e| matches!(e, Event::HeartbeatAck { latency: Some(l) } if *l == Duration::from_millis(30))
    ));
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::HeartbeatSent {
            seq: Some(2),
            requested: false
        }
    )));
}

#[test]
fn jitter_differs_between_seeds() {
    let t0 = Instant::now();
    let firsts: std::collections::HashSet<_> = (1..20u64)
        .map(|seed| {
            let mut c = Connection::new(
                ConnectionConfig::builder("t", Intents::GUILDS, URL)
                    .seed(seed)
                    .build()
                    .unwrap(),
            );
            c.on_connected();
            c.recv(&hello(10_000), t0).unwrap();
            c.next_deadline().unwrap()
        })
        .collect();
    assert!(firsts.len() > 10);
}

#[test]
fn server_heartbeat_request_is_answered_at_once() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    let deadline = conn.next_deadline().unwrap();
    conn.recv(r#"{"op":1,"d":null}"#, t0).unwrap();
    let out = sent(&mut conn);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].as_str(), r#"{"op":1,"d":1}"#);
    // the regular timer is unchanged
    assert_eq!(conn.next_deadline(), Some(deadline));
    assert!(events(&mut conn).iter().any(|e| matches!(
        e,
        Event::HeartbeatSent {
            requested: true,
            ..
        }
    )));
}

#[test]
fn heartbeats_jump_ahead_of_commands() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    conn.send_command(online_command());
    conn.recv(r#"{"op":1}"#, t0).unwrap();
    let kinds: Vec<_> = sent(&mut conn).iter().map(Outgoing::kind).collect();
    assert_eq!(kinds, [SendKind::Heartbeat, SendKind::Command]);
}

#[test]
fn missed_ack_is_a_zombie_that_resumes_on_the_resume_url() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    let first = conn.next_deadline().unwrap();
    conn.handle_timeout(first);
    assert_eq!(sent(&mut conn).len(), 1);
    // no ACK; next beat is due
    let second = conn.next_deadline().unwrap();
    conn.handle_timeout(second);
    assert!(sent(&mut conn).is_empty(), "no heartbeat on a zombie");
    let r = conn.should_reconnect().unwrap();
    assert_eq!(r.reason, ReconnectReason::Zombied);
    assert!(r.resume);
    assert_eq!(r.close_code, 4000);
    assert_eq!(r.wait, Duration::ZERO);
    assert_eq!(conn.connect_url(), RESUME_URL);
    assert_eq!(conn.next_deadline(), None);
    // the driver reconnects: HELLO -> RESUME with the last seq
    conn.on_connected();
    assert!(conn.should_reconnect().is_none());
    conn.recv(&hello(1000), second).unwrap();
    let out = sent(&mut conn);
    assert_eq!(out[0].kind(), SendKind::Resume);
    let resume = json(&out[0]);
    assert_eq!(resume["op"], 6);
    assert_eq!(resume["d"]["session_id"], "sess-1");
    assert_eq!(resume["d"]["seq"], 1);
    assert_eq!(resume["d"]["token"], "secret-token");
    assert_eq!(conn.stage(), Stage::Resuming);
    conn.recv(&dispatch(2, "MESSAGE_CREATE"), second).unwrap();
    conn.recv(r#"{"op":0,"s":3,"t":"RESUMED","d":null}"#, second)
        .unwrap();
    assert!(conn.is_ready());
    assert_eq!(conn.sequence(), Some(3));
    assert!(events(&mut conn)
        .iter()
        .any(|e| matches!(e, Event::Resumed)));
}

#[test]
fn ack_in_time_is_not_a_zombie() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    for _ in 0..5 {
        let at = conn.next_deadline().unwrap();
        conn.handle_timeout(at);
        assert_eq!(sent(&mut conn).len(), 1);
        conn.recv(r#"{"op":11,"d":null}"#, at).unwrap();
    }
    assert!(conn.should_reconnect().is_none());
    // a driver that stopped reading may forgive a missing ACK
    let at = conn.next_deadline().unwrap();
    conn.handle_timeout(at);
    conn.forgive_missing_ack();
    conn.handle_timeout(conn.next_deadline().unwrap());
    assert!(conn.should_reconnect().is_none());
}

#[test]
fn requested_heartbeat_awaiting_ack_is_not_a_zombie() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    let first = conn.next_deadline().unwrap();
    conn.handle_timeout(first);
    assert_eq!(sent(&mut conn).len(), 1);
    conn.recv(r#"{"op":11}"#, first + Duration::from_millis(20))
        .unwrap();
    // the server asks for a beat shortly before the regular one is due
    let second = conn.next_deadline().unwrap();
    conn.recv(r#"{"op":1}"#, second - Duration::from_millis(5))
        .unwrap();
    assert_eq!(sent(&mut conn).len(), 1);
    // its ACK is still on the way when the regular beat comes due
    conn.handle_timeout(second);
    assert!(conn.should_reconnect().is_none(), "not a zombie");
    let out = sent(&mut conn);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind(), SendKind::Heartbeat);
    // both ACKs arrive; the following beats carry on
    conn.recv(r#"{"op":11}"#, second + Duration::from_millis(10))
        .unwrap();
    conn.recv(r#"{"op":11}"#, second + Duration::from_millis(20))
        .unwrap();
    let third = conn.next_deadline().unwrap();
    conn.handle_timeout(third);
    assert!(conn.should_reconnect().is_none());
    assert_eq!(sent(&mut conn).len(), 1);
}

#[test]
fn regular_beat_without_its_own_ack_is_a_zombie_despite_requested_beats() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    let first = conn.next_deadline().unwrap();
    // a requested beat, then the regular one; one ACK comes back (ACKs
    // arrive in order, so it is the requested beat's)
    conn.recv(r#"{"op":1}"#, first - Duration::from_millis(1))
        .unwrap();
    conn.handle_timeout(first);
    assert!(conn.should_reconnect().is_none());
    assert_eq!(sent(&mut conn).len(), 2);
    conn.recv(r#"{"op":11}"#, first + Duration::from_millis(10))
        .unwrap();
    let second = conn.next_deadline().unwrap();
    conn.handle_timeout(second);
    assert!(sent(&mut conn).is_empty(), "no heartbeat on a zombie");
    let r = conn.should_reconnect().unwrap();
    assert_eq!(r.reason, ReconnectReason::Zombied);

    // and with no ACK at all, a requested beat after the regular one does
    // not hide the missing ACK either
    let mut conn = ready_conn(t0);
    let first = conn.next_deadline().unwrap();
    conn.handle_timeout(first);
    conn.recv(r#"{"op":1}"#, first + Duration::from_millis(10))
        .unwrap();
    assert_eq!(sent(&mut conn).len(), 2);
    conn.handle_timeout(conn.next_deadline().unwrap());
    assert_eq!(
        conn.should_reconnect().map(|r| r.reason),
        Some(ReconnectReason::Zombied)
    );
}

#[test]
fn op7_reconnect_resumes() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    conn.recv(r#"{"op":7,"d":null}"#, t0).unwrap();
    let r = conn.should_reconnect().unwrap();
    assert_eq!(r.reason, ReconnectReason::Requested);
    assert!(r.resume);
    assert_eq!(conn.connect_url(), RESUME_URL);
    // the server closing afterwards keeps the scheduled resume
    conn.recv_close_code(Some(1000));
    assert_eq!(
        conn.should_reconnect().unwrap().reason,
        ReconnectReason::Requested
    );
    assert!(conn.should_reconnect().unwrap().resume);
}

#[test]
fn op7_before_ready_identifies_again() {
    let t0 = Instant::now();
    let mut conn = Connection::new(config());
    conn.on_connected();
    conn.recv(r#"{"op":7}"#, t0).unwrap();
    let r = conn.should_reconnect().unwrap();
    assert!(!r.resume);
    assert_eq!(conn.connect_url(), URL);
}

#[test]
fn op9_true_resumes_at_once() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    conn.recv(r#"{"op":9,"d":true}"#, t0).unwrap();
    let r = conn.should_reconnect().unwrap();
    assert_eq!(
        r.reason,
        ReconnectReason::InvalidSession { resumable: true }
    );
    assert!(r.resume);
    assert_eq!(r.wait, Duration::ZERO);
    assert_eq!(conn.connect_url(), RESUME_URL);
}

#[test]
fn op9_false_identifies_after_a_random_wait() {
    let t0 = Instant::now();
    let mut waits = std::collections::HashSet::new();
    for seed in 0..10u64 {
        let mut conn = Connection::new(
            ConnectionConfig::builder("t", Intents::GUILDS, URL)
                .seed(seed)
                .build()
                .unwrap(),
        );
        conn.on_connected();
        conn.recv(&hello(1000), t0).unwrap();
        conn.recv(&ready(1), t0).unwrap();
        conn.recv(r#"{"op":9,"d":false}"#, t0).unwrap();
        let r = conn.should_reconnect().unwrap();
        assert_eq!(
            r.reason,
            ReconnectReason::InvalidSession { resumable: false }
        );
        assert!(!r.resume);
        assert!(r.wait >= Duration::from_secs(1) && r.wait <= Duration::from_secs(5));
        waits.insert(r.wait);
        assert_eq!(conn.session_id(), None);
        assert_eq!(conn.sequence(), None);
        assert_eq!(conn.connect_url(), URL);
        conn.on_connected();
        conn.recv(&hello(1000), t0).unwrap();
        assert_eq!(sent(&mut conn)[0].kind(), SendKind::Identify);
    }
    assert!(waits.len() > 5);
}

#[test]
fn op9_wait_range_is_configurable() {
    let t0 = Instant::now();
    let mut conn = Connection::new(
        ConnectionConfig::builder("t", Intents::GUILDS, URL)
            .invalid_session_wait(Duration::from_millis(10), Duration::from_millis(20))
            .build()
            .unwrap(),
    );
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    conn.recv(r#"{"op":9,"d":false}"#, t0).unwrap();
    let wait = conn.should_reconnect().unwrap().wait;
    assert!(wait >= Duration::from_millis(10) && wait <= Duration::from_millis(20));
}

#[test]
fn op9_bad_d_is_an_error() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    assert!(conn.recv(r#"{"op":9,"d":"yes"}"#, t0).is_err());
    assert!(conn.should_reconnect().is_none());
}

#[test]
fn every_documented_close_code_follows_the_verdict() {
    for code in CloseCode::ALL {
        let t0 = Instant::now();
        let mut conn = ready_conn(t0);
        conn.recv_close_code(Some(code.code()));
        match code.verdict() {
            CloseVerdict::Resume => {
                let r = conn.should_reconnect().unwrap();
                assert!(r.resume, "{code}");
                assert_eq!(conn.connect_url(), RESUME_URL, "{code}");
                assert_eq!(conn.failed(), None);
                conn.on_connected();
                conn.recv(&hello(1000), t0).unwrap();
                assert_eq!(sent(&mut conn)[0].kind(), SendKind::Resume, "{code}");
            }
            CloseVerdict::Reidentify => {
                let r = conn.should_reconnect().unwrap();
                assert!(!r.resume, "{code}");
                assert_eq!(conn.connect_url(), URL, "{code}");
                assert_eq!(conn.session_id(), None);
                conn.on_connected();
                conn.recv(&hello(1000), t0).unwrap();
                assert_eq!(sent(&mut conn)[0].kind(), SendKind::Identify, "{code}");
            }
            CloseVerdict::Fatal => {
                assert!(conn.should_reconnect().is_none(), "{code}");
                assert_eq!(conn.failed(), Some(code));
                assert_eq!(conn.stage(), Stage::Failed);
                let err = conn.failure().unwrap();
                assert!(err.is_fatal());
                assert!(err.to_string().contains(code.explanation()));
                // nothing brings a failed connection back
                conn.on_connected();
                conn.recv(&hello(1000), t0).unwrap();
                assert!(sent(&mut conn).is_empty());
                assert_eq!(conn.stage(), Stage::Failed);
            }
        }
    }
}

#[test]
fn fatal_4004_and_4014_explain_themselves() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    conn.recv_close_code(Some(4014));
    assert_eq!(conn.failed(), Some(CloseCode::DisallowedIntents));
    assert!(conn
        .failure()
        .unwrap()
        .to_string()
        .contains("Developer Portal"));
    let mut conn = ready_conn(t0);
    conn.recv_close_code(Some(4004));
    assert!(conn.failure().unwrap().to_string().contains("token"));
}

#[test]
fn unknown_codes_and_drops_try_to_resume() {
    for code in [
        None,
        Some(1000),
        Some(1001),
        Some(1006),
        Some(4999),
        Some(4006),
    ] {
        let t0 = Instant::now();
        let mut conn = ready_conn(t0);
        conn.recv_close_code(code);
        let r = conn.should_reconnect().unwrap();
        assert!(r.resume, "{code:?}");
        assert_eq!(r.reason, ReconnectReason::Closed(code));
    }
}

/// READY on `gateway` naming `resume_url` as the `resume_gateway_url`.
fn ready_with_resume_url(gateway: &str, resume_url: &str) -> Connection {
    let t0 = Instant::now();
    let mut conn = Connection::new(
        ConnectionConfig::builder("secret-token", Intents::GUILDS, gateway)
            .build()
            .unwrap(),
    );
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    let resume_url = serde_json::to_string(resume_url).unwrap();
    conn.recv(
        &format!(
            r#"{{"op":0,"s":1,"t":"READY","d":{{"session_id":"sess-1","resume_gateway_url":{resume_url}}}}}"#
        ),
        t0,
    )
    .unwrap();
    assert!(conn.is_ready());
    conn
}

/// Connects, says HELLO and checks the RESUME that follows.
fn expect_resume(conn: &mut Connection, session_id: &str, seq: u64, at: Instant) {
    conn.on_connected();
    conn.recv(&hello(1000), at).unwrap();
    let out = sent(conn);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind(), SendKind::Resume);
    let resume = json(&out[0]);
    assert_eq!(resume["d"]["session_id"], session_id);
    assert_eq!(resume["d"]["seq"], seq);
    assert_eq!(conn.stage(), Stage::Resuming);
}

#[test]
fn an_outage_keeps_the_session_through_connect_failures_and_drops() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    for seq in 2..=4 {
        conn.recv(&dispatch(seq, "MESSAGE_CREATE"), t0).unwrap();
    }
    // the network goes away: the socket drops, then connecting fails
    conn.recv_close_code(None);
    assert_eq!(conn.connect_url(), RESUME_URL);
    conn.on_connect_failed();
    assert_eq!(
        conn.connect_url(),
        URL,
        "the resume URL is left after it failed once"
    );
    for _ in 0..6 {
        conn.on_connect_failed();
        assert!(conn.next_is_resume());
        assert!(conn.should_reconnect().unwrap().resume);
    }
    // connections that drop before RESUMED: before HELLO, after RESUME, or
    // closed by the server with a code that allows resuming
    for close in [None, Some(1006), Some(4000), Some(1001), None, Some(4008)] {
        conn.on_connected();
        conn.recv_close_code(close);
        assert!(conn.next_is_resume(), "{close:?}");
        expect_resume(&mut conn, "sess-1", 4, t0);
        conn.recv_close_code(close);
        assert!(conn.next_is_resume(), "{close:?}");
        assert_eq!(conn.connect_url(), URL);
        conn.on_connect_failed();
    }
    assert_eq!(conn.session_id(), Some("sess-1"));
    assert_eq!(conn.sequence(), Some(4));
    // the network is back: the gap is replayed
    expect_resume(&mut conn, "sess-1", 4, t0);
    conn.recv(&dispatch(5, "MESSAGE_CREATE"), t0).unwrap();
    conn.recv(r#"{"op":0,"s":6,"t":"RESUMED","d":null}"#, t0)
        .unwrap();
    assert!(conn.is_ready());
    assert_eq!(conn.sequence(), Some(6));
}

#[test]
fn a_drop_while_resuming_on_the_resume_url_falls_back_to_the_main_url() {
    let t0 = Instant::now();
    // dropped after RESUME was sent
    let mut conn = ready_conn(t0);
    conn.recv_close_code(Some(4000));
    assert_eq!(conn.connect_url(), RESUME_URL);
    expect_resume(&mut conn, "sess-1", 1, t0);
    conn.recv_close_code(None);
    assert_eq!(conn.connect_url(), URL);
    assert_eq!(conn.resume_url(), None);
    expect_resume(&mut conn, "sess-1", 1, t0);

    // dropped before HELLO
    let mut conn = ready_conn(t0);
    conn.recv(r#"{"op":7}"#, t0).unwrap();
    conn.on_connected();
    conn.recv_close_code(None);
    assert_eq!(conn.connect_url(), URL);
    expect_resume(&mut conn, "sess-1", 1, t0);

    // a drop once the session is live again keeps the resume URL
    let mut conn = ready_conn(t0);
    conn.recv_close_code(None);
    expect_resume(&mut conn, "sess-1", 1, t0);
    conn.recv(r#"{"op":0,"s":2,"t":"RESUMED","d":null}"#, t0)
        .unwrap();
    conn.recv_close_code(None);
    assert_eq!(conn.connect_url(), RESUME_URL);
}

#[test]
fn only_the_gateway_ends_a_resumable_session() {
    let t0 = Instant::now();
    // op 9 `d: false` in answer to RESUME
    let mut conn = ready_conn(t0);
    conn.on_connect_failed();
    expect_resume(&mut conn, "sess-1", 1, t0);
    conn.recv(r#"{"op":9,"d":false}"#, t0).unwrap();
    assert!(!conn.next_is_resume());
    assert_eq!(conn.session_id(), None);
    // close codes whose verdict is "start a new session", while resuming
    for code in [4003, 4007, 4009] {
        let mut conn = ready_conn(t0);
        conn.recv_close_code(None);
        expect_resume(&mut conn, "sess-1", 1, t0);
        conn.recv_close_code(Some(code));
        assert!(!conn.next_is_resume(), "{code}");
        assert_eq!(conn.connect_url(), URL);
        conn.on_connected();
        conn.recv(&hello(1000), t0).unwrap();
        assert_eq!(sent(&mut conn)[0].kind(), SendKind::Identify, "{code}");
    }
}

#[test]
fn resumes_answered_with_op9_true_count_toward_max_resume_failures() {
    let t0 = Instant::now();
    let mut conn = Connection::new(
        ConnectionConfig::builder("t", Intents::GUILDS, URL)
            .max_resume_failures(2)
            .build()
            .unwrap(),
    );
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    conn.recv(&ready(5), t0).unwrap();
    conn.recv_close_code(Some(4000));
    assert_eq!(conn.connect_url(), RESUME_URL);
    // first answer: op 9 `d: true`; try again, on the main URL
    expect_resume(&mut conn, "sess-1", 5, t0);
    conn.recv(r#"{"op":9,"d":true}"#, t0).unwrap();
    assert!(conn.should_reconnect().unwrap().resume);
    assert_eq!(conn.connect_url(), URL);
    // drops in between neither count nor reset the count
    conn.on_connect_failed();
    expect_resume(&mut conn, "sess-1", 5, t0);
    conn.recv_close_code(None);
    // second answer: op 9 `d: true` again; the session goes
    expect_resume(&mut conn, "sess-1", 5, t0);
    conn.recv(r#"{"op":9,"d":true}"#, t0).unwrap();
    let r = conn.should_reconnect().unwrap();
    assert_eq!(
        r.reason,
        ReconnectReason::InvalidSession { resumable: true }
    );
    assert!(!r.resume);
    assert_eq!(conn.session_id(), None);
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    assert_eq!(sent(&mut conn)[0].kind(), SendKind::Identify);

    // a RESUMED in between starts the count again
    let mut conn = Connection::new(
        ConnectionConfig::builder("t", Intents::GUILDS, URL)
            .max_resume_failures(2)
            .build()
            .unwrap(),
    );
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    conn.recv(&ready(5), t0).unwrap();
    conn.recv_close_code(None);
    expect_resume(&mut conn, "sess-1", 5, t0);
    conn.recv(r#"{"op":9,"d":true}"#, t0).unwrap();
    expect_resume(&mut conn, "sess-1", 5, t0);
    conn.recv(r#"{"op":0,"s":6,"t":"RESUMED","d":null}"#, t0)
        .unwrap();
    conn.recv_close_code(None);
    expect_resume(&mut conn, "sess-1", 6, t0);
    conn.recv(r#"{"op":9,"d":true}"#, t0).unwrap();
    assert!(conn.should_reconnect().unwrap().resume);
}

#[test]
fn plain_ws_resume_url_is_refused_when_the_gateway_is_wss() {
    let t0 = Instant::now();
    let mut conn = ready_with_resume_url(URL, "ws://resume.example");
    assert_eq!(conn.resume_url(), None);
    conn.recv_close_code(Some(4000));
    assert_eq!(conn.connect_url(), URL, "no token in clear text");
    expect_resume(&mut conn, "sess-1", 1, t0);
}

#[test]
fn resume_urls_that_are_not_websocket_urls_are_refused() {
    for bad in [
        "not a url",
        "",
        "https://resume.example",
        "http://resume.example",
        "file:///etc/passwd",
        "wss//resume.example",
    ] {
        let mut conn = ready_with_resume_url(URL, bad);
        assert_eq!(conn.resume_url(), None, "{bad:?}");
        conn.recv_close_code(None);
        assert_eq!(conn.connect_url(), URL, "{bad:?}");
        assert!(conn.next_is_resume(), "{bad:?}");
    }
}

#[test]
fn websocket_resume_urls_that_keep_the_scheme_are_used() {
    for (gateway, resume) in [
        // our loopback fake: plain ws on both
        ("ws://127.0.0.1:1", "ws://127.0.0.1:2"),
        ("wss://gateway.example", "wss://resume.example/"),
        // an upgrade is fine
        ("ws://127.0.0.1:1", "wss://resume.example"),
    ] {
        let mut conn = ready_with_resume_url(gateway, resume);
        assert_eq!(conn.resume_url(), Some(resume));
        conn.recv_close_code(None);
        assert_eq!(conn.connect_url(), resume);
    }
}

/// Collects the fields of every WARN event emitted on this thread.
#[derive(Clone, Default)]
struct Warnings(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Warnings {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl tracing::Subscriber for Warnings {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
                use std::fmt::Write;
                let _ = write!(self.0, "{}={:?} ", field.name(), value);
            }
        }
        if *event.metadata().level() == tracing::Level::WARN {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn a_refused_resume_url_is_logged_once_without_the_token() {
    let warnings = Warnings::default();
    tracing::subscriber::with_default(warnings.clone(), || {
        let t0 = Instant::now();
        let mut conn = ready_with_resume_url(URL, "ws://resume.example");
        for _ in 0..3 {
            conn.recv_close_code(Some(4000));
            assert_eq!(conn.connect_url(), URL);
            expect_resume(&mut conn, "sess-1", 1, t0);
        }
    });
    let logged = warnings.take();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].contains("resume_gateway_url"), "{logged:?}");
    assert!(logged[0].contains(r#"scheme="ws""#), "{logged:?}");
    assert!(!logged[0].contains("secret-token"), "{logged:?}");
}

#[test]
fn session_survives_a_restart_and_resumes_with_the_same_id_and_seq() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    for seq in 2..=5 {
        conn.recv(&dispatch(seq, "GUILD_CREATE"), t0).unwrap();
    }
    // shutdown keeping the session
    assert_eq!(conn.close(false), 4000);
    let session = conn.session().expect("resumable after close(false)");
    assert_eq!(session.id(), "sess-1");
    assert_eq!(session.sequence(), 5);
    assert_eq!(session.resume_url(), Some(RESUME_URL));
    assert_eq!(session.shard(), Some([1, 4]));
    let saved = serde_json::to_string(&session).unwrap();
    assert!(!saved.contains("secret-token"), "{saved}");
    drop(conn);

    // the next process
    let session: Session = serde_json::from_str(&saved).unwrap();
    let config = ConnectionConfig::builder(
        "secret-token",
        Intents::GUILDS | Intents::GUILD_MESSAGES,
        URL,
    )
    .shard(1, 4)
    .session(session)
    .build()
    .unwrap();
    let mut conn = Connection::new(config);
    assert!(conn.next_is_resume());
    assert_eq!(conn.connect_url(), RESUME_URL);
    assert_eq!(conn.session_id(), Some("sess-1"));
    assert_eq!(conn.sequence(), Some(5));
    expect_resume(&mut conn, "sess-1", 5, t0);
    conn.recv(&dispatch(6, "MESSAGE_CREATE"), t0).unwrap();
    conn.recv(r#"{"op":0,"s":7,"t":"RESUMED","d":null}"#, t0)
        .unwrap();
    assert!(conn.is_ready());
    assert!(events(&mut conn)
        .iter()
        .any(|e| matches!(e, Event::Resumed)));
    assert_eq!(conn.session().unwrap().sequence(), 7);
}

#[test]
fn session_is_none_when_nothing_is_resumable() {
    let t0 = Instant::now();
    let mut conn = Connection::new(config());
    assert_eq!(conn.session(), None);
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    // dispatches before READY give a sequence but no session
    conn.recv(&dispatch(1, "X"), t0).unwrap();
    assert_eq!(conn.session(), None);
    conn.recv(&ready(2), t0).unwrap();
    assert_eq!(conn.session().unwrap().sequence(), 2);
    // a resumable reconnect keeps it
    conn.recv(r#"{"op":7}"#, t0).unwrap();
    assert!(conn.session().is_some());
    conn.recv_close_code(None);
    assert!(conn.session().is_some());
    // the gateway ends it
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    conn.recv(r#"{"op":9,"d":false}"#, t0).unwrap();
    assert_eq!(conn.session(), None);

    let mut conn = ready_conn(t0);
    conn.recv_close_code(Some(4009));
    assert_eq!(conn.session(), None);

    let mut conn = ready_conn(t0);
    conn.close(true);
    assert_eq!(conn.session(), None);

    let mut conn = ready_conn(t0);
    conn.recv_close_code(Some(4004));
    assert_eq!(
        conn.session(),
        None,
        "a fatal close leaves nothing to resume"
    );

    // after the resume URL failed, the session resumes on the gateway URL
    let mut conn = ready_conn(t0);
    conn.recv_close_code(None);
    conn.on_connect_failed();
    let session = conn.session().unwrap();
    assert_eq!((session.id(), session.resume_url()), ("sess-1", None));
}

#[test]
fn an_imported_session_the_gateway_rejects_identifies() {
    let t0 = Instant::now();
    let config = ConnectionConfig::builder("t", Intents::GUILDS, URL)
        .session(Session::new("expired", 12, Some(RESUME_URL.to_owned())))
        .build()
        .unwrap();
    let mut conn = Connection::new(config);
    assert_eq!(conn.connect_url(), RESUME_URL);
    expect_resume(&mut conn, "expired", 12, t0);
    conn.recv(r#"{"op":9,"d":false}"#, t0).unwrap();
    let r = conn.should_reconnect().unwrap();
    assert!(!r.resume);
    assert!(r.wait >= Duration::from_secs(1));
    assert_eq!(conn.connect_url(), URL);
    assert_eq!(conn.session(), None);
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    assert_eq!(sent(&mut conn)[0].kind(), SendKind::Identify);
    conn.recv(&ready(1), t0).unwrap();
    assert_eq!(conn.session().unwrap().id(), "sess-1");
}

#[test]
fn an_imported_resume_url_is_checked_like_one_from_ready() {
    let t0 = Instant::now();
    let import = |gateway: &str, resume_url: &str| {
        Connection::new(
            ConnectionConfig::builder("secret-token", Intents::GUILDS, gateway)
                .session(Session::new("saved", 3, Some(resume_url.to_owned())))
                .build()
                .unwrap(),
        )
    };
    let warnings = Warnings::default();
    tracing::subscriber::with_default(warnings.clone(), || {
        for bad in ["ws://resume.example", "https://resume.example", "nope"] {
            let mut conn = import(URL, bad);
            assert_eq!(conn.resume_url(), None, "{bad}");
            assert_eq!(conn.connect_url(), URL, "{bad}");
            // still resumed, on the gateway URL
            expect_resume(&mut conn, "saved", 3, t0);
        }
    });
    let logged = warnings.take();
    assert_eq!(logged.len(), 3, "{logged:?}");
    assert!(logged.iter().all(|l| !l.contains("secret-token")));
    // plain ws against a plain ws gateway (the loopback fake) is fine
    let conn = import("ws://127.0.0.1:1", "ws://127.0.0.1:2");
    assert_eq!(conn.connect_url(), "ws://127.0.0.1:2");
}

#[test]
fn an_imported_session_of_another_shard_or_without_id_is_ignored() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0); // shard [1, 4]
    conn.close(false);
    let of_shard_1 = conn.session().unwrap();
    let build = |shard: u32, session: Session| {
        Connection::new(
            ConnectionConfig::builder("t", Intents::GUILDS, URL)
                .shard(shard, 4)
                .session(session)
                .build()
                .unwrap(),
        )
    };
    let mut other = build(2, of_shard_1.clone());
    assert!(!other.next_is_resume());
    other.on_connected();
    other.recv(&hello(1000), t0).unwrap();
    assert_eq!(sent(&mut other)[0].kind(), SendKind::Identify);
    // the same shard resumes
    let mut same = build(1, of_shard_1);
    expect_resume(&mut same, "sess-1", 1, t0);
    // Session::new is tied to no shard
    let mut any = build(3, Session::new("mine", 9, None));
    assert_eq!(any.connect_url(), URL);
    expect_resume(&mut any, "mine", 9, t0);
    // an empty id is no session
    let empty = build(3, Session::new("", 9, None));
    assert!(!empty.next_is_resume());
    assert_eq!(empty.session(), None);
}

#[test]
fn session_is_serialisable_and_tolerant_of_missing_optional_fields() {
    let s: Session = serde_json::from_str(r#"{"id":"a","sequence":7}"#).unwrap();
    assert_eq!(
        (s.id(), s.sequence(), s.resume_url(), s.shard()),
        ("a", 7, None, None)
    );
    let s: Session = serde_json::from_str(
        r#"{"id":"a","sequence":7,"resume_url":null,"shard":[0,2],"later":"field"}"#,
    )
    .unwrap();
    assert_eq!(s.shard(), Some([0, 2]));
    assert!(serde_json::from_str::<Session>(r#"{"sequence":7}"#).is_err());
    assert!(serde_json::from_str::<Session>(r#"{"id":"a","sequence":-1}"#).is_err());
    let json = serde_json::to_value(Session::new("a", 7, None)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"id": "a", "sequence": 7, "resume_url": null})
    );
}

#[test]
fn priority_sends_skip_commands() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    conn.send_command(online_command());
    assert!(conn.has_pending_send(false));
    assert!(!conn.has_pending_send(true));
    assert!(conn.poll_priority_send().is_none());
    conn.recv(r#"{"op":1}"#, t0).unwrap();
    assert_eq!(
        conn.poll_priority_send().unwrap().kind(),
        SendKind::Heartbeat
    );
    assert_eq!(conn.poll_send().unwrap().kind(), SendKind::Command);
}

#[test]
fn resume_rejected_with_op9_false_identifies_on_the_original_url() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    conn.recv_close_code(Some(4001));
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    assert_eq!(sent(&mut conn)[0].kind(), SendKind::Resume);
    conn.recv(r#"{"op":9,"d":false}"#, t0).unwrap();
    let r = conn.should_reconnect().unwrap();
    assert!(!r.resume);
    assert_eq!(conn.connect_url(), URL);
}

#[test]
fn user_commands_wait_for_ready_and_respect_the_size_limit() {
    let t0 = Instant::now();
    let mut conn = Connection::new(config());
    conn.send_command(online_command());
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    let out = sent(&mut conn);
    assert_eq!(out.len(), 1, "only IDENTIFY before READY");
    assert_eq!(conn.queued_commands(), 1);
    conn.recv(&ready(1), t0).unwrap();
    let out = sent(&mut conn);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind(), SendKind::Command);
    assert_eq!(json(&out[0])["op"], 3);
    let status = "x".repeat(5000);
    let huge = Presence {
        status: &status,
        ..online()
    };
    assert!(matches!(
        Command::new(GatewayOpcode::PresenceUpdate, &huge),
        Err(GatewayError::PayloadTooLarge { limit: 4096, .. })
    ));
}

#[test]
fn identify_over_4096_bytes_is_refused_at_build() {
    let presence = Presence {
        activities: vec![serde_json::json!({"name": "a".repeat(5000), "type": 0})],
        ..online()
    };
    let err = ConnectionConfig::builder("t", Intents::GUILDS, URL)
        .presence(&presence)
        .build()
        .unwrap_err();
    assert!(matches!(err, GatewayError::PayloadTooLarge { .. }));
    assert!(ConnectionConfig::builder("t", Intents::GUILDS, URL)
        .shard(4, 4)
        .build()
        .is_err());
    assert!(ConnectionConfig::builder("t", Intents::GUILDS, URL)
        .large_threshold(10)
        .build()
        .is_err());
    assert!(ConnectionConfig::builder("t", Intents::GUILDS, "not a url")
        .build()
        .is_err());
    let bearer = ConnectionConfig::builder(Token::bearer("t"), Intents::GUILDS, URL)
        .build()
        .unwrap_err();
    assert!(matches!(bearer, GatewayError::Payload { .. }));
}

/// Data whose serialisation always fails.
struct Unserialisable;

impl Serialize for Unserialisable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("presence refuses to serialise"))
    }
}

#[test]
fn presence_errors_are_reported_by_build() {
    let err = ConnectionConfig::builder("t", Intents::GUILDS, URL)
        .presence(&Unserialisable)
        .build()
        .unwrap_err();
    assert!(matches!(err, GatewayError::Serialize(_)), "{err:?}");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("presence refuses to serialise"), "{source}");
    // through the shard builder too
    #[cfg(feature = "runtime")]
    {
        let err = crate::ShardConfig::builder("t", Intents::GUILDS, URL)
            .presence(&Unserialisable)
            .build()
            .unwrap_err();
        assert!(matches!(err, GatewayError::Serialize(_)), "{err:?}");
    }
    // IDENTIFY's presence is an object
    for not_an_object in [
        serde_json::json!("online"),
        serde_json::json!(null),
        serde_json::json!([1]),
    ] {
        let err = ConnectionConfig::builder("t", Intents::GUILDS, URL)
            .presence(&not_an_object)
            .build()
            .unwrap_err();
        assert!(matches!(err, GatewayError::Payload { .. }), "{err:?}");
    }
    // the last presence wins, an error included
    let config = ConnectionConfig::builder("t", Intents::GUILDS, URL)
        .presence(&Unserialisable)
        .presence(&online())
        .build()
        .unwrap();
    let mut conn = Connection::new(config);
    conn.on_connected();
    conn.recv(&hello(1000), Instant::now()).unwrap();
    assert_eq!(
        json(&sent(&mut conn)[0])["d"]["presence"]["status"],
        "online"
    );
    assert!(ConnectionConfig::builder("t", Intents::GUILDS, URL)
        .presence(&online())
        .presence(&Unserialisable)
        .build()
        .is_err());
}

#[cfg(feature = "runtime")]
#[test]
fn core_http_token_serves_the_gateway() {
    let http = acord_core_http::Token::bot("Bot shared.secret");
    let config = ConnectionConfig::builder(&http, Intents::GUILDS, URL)
        .build()
        .unwrap();
    assert_eq!(config.token(), &http);
    assert!(!format!("{config:?}").contains("shared.secret"));
    let mut conn = Connection::new(config);
    conn.on_connected();
    conn.recv(&hello(1000), Instant::now()).unwrap();
    let identify = json(&sent(&mut conn)[0]);
    assert_eq!(identify["d"]["token"], "shared.secret");
}

#[test]
fn graceful_close_keeps_or_ends_the_session() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    assert_eq!(conn.close(false), 4000);
    assert_eq!(conn.stage(), Stage::Closed);
    assert_eq!(conn.session_id(), Some("sess-1"));
    conn.reopen();
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    assert_eq!(sent(&mut conn)[0].kind(), SendKind::Resume);
    assert_eq!(conn.close(true), 1000);
    assert_eq!(conn.session_id(), None);
    conn.reopen();
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    assert_eq!(sent(&mut conn)[0].kind(), SendKind::Identify);
}

#[test]
fn broken_hello_schedules_a_reconnect() {
    let t0 = Instant::now();
    let mut conn = Connection::new(config());
    conn.on_connected();
    assert!(conn
        .recv(r#"{"op":10,"d":{"heartbeat_interval":"x"}}"#, t0)
        .is_err());
    assert!(conn.should_reconnect().is_some());
    let mut conn = Connection::new(config());
    conn.on_connected();
    assert!(conn
        .recv(r#"{"op":10,"d":{"heartbeat_interval":0}}"#, t0)
        .is_err());
    assert!(conn.should_reconnect().is_some());
}

#[test]
fn rate_limited_dispatch_is_surfaced() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    conn.recv(
        r#"{"op":0,"s":2,"t":"RATE_LIMITED","d":{"opcode":8,"retry_after":2.5,"meta":{"guild_id":"9","nonce":"abc"}}}"#,
        t0,
    )
    .unwrap();
    let ev = events(&mut conn);
    assert!(
        matches!(&ev[0], Event::RateLimited(rl) if rl.opcode == 8 && rl.guild_id() == Some("9"))
    );
    assert!(matches!(&ev[1], Event::Dispatch(d) if d.name() == "RATE_LIMITED"));
}

#[test]
fn malformed_rate_limited_is_still_delivered_raw() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    let err = conn
        .recv(
            r#"{"op":0,"s":2,"t":"RATE_LIMITED","d":{"opcode":"eight"}}"#,
            t0,
        )
        .unwrap_err();
    assert!(matches!(err, GatewayError::Payload { .. }), "{err:?}");
    let ev = events(&mut conn);
    assert!(
        matches!(&ev[..], [Event::Dispatch(d)] if d.name() == "RATE_LIMITED" && d.seq() == 2 && d.as_str() == r#"{"opcode":"eight"}"#),
        "{ev:?}"
    );
    assert_eq!(conn.sequence(), Some(2));
    assert!(conn.is_ready());
}

#[test]
fn dispatch_without_a_name_is_an_error_but_its_sequence_counts() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    // the gateway sent seq 2: heartbeats and RESUME must say so, even if
    // the payload cannot be delivered (no name)
    assert!(conn.recv(r#"{"op":0,"s":2,"d":{}}"#, t0).is_err());
    assert!(events(&mut conn).is_empty());
    assert_eq!(conn.sequence(), Some(2));
    assert!(conn.is_ready());
}

#[test]
fn ready_without_a_session_id_is_delivered_but_starts_no_session() {
    let t0 = Instant::now();
    for d in [
        r#"{"v":10,"resume_gateway_url":"wss://resume.example"}"#,
        r#"{"v":10,"session_id":"","resume_gateway_url":"wss://resume.example"}"#,
        r#"{"v":10,"session_id":7}"#,
        "null",
    ] {
        let mut conn = Connection::new(config());
        conn.on_connected();
        conn.recv(&hello(1000), t0).unwrap();
        assert_eq!(sent(&mut conn)[0].kind(), SendKind::Identify);
        events(&mut conn);
        let text = format!(r#"{{"op":0,"s":1,"t":"READY","d":{d}}}"#);
        assert!(conn.recv(&text, t0).is_err(), "{d}");
        let ev = events(&mut conn);
        assert!(
            matches!(&ev[..], [Event::Dispatch(x)] if x.name() == "READY" && x.as_str() == d),
            "{d}: {ev:?}"
        );
        assert_eq!(conn.session_id(), None, "{d}");
        assert_eq!(conn.stage(), Stage::Identifying, "{d}");
        assert!(!conn.is_ready(), "{d}");
        // nothing to resume: the next connection identifies
        conn.recv_close_code(None);
        assert!(!conn.next_is_resume(), "{d}");
        assert_eq!(conn.connect_url(), URL);
    }
}

#[test]
fn ready_with_a_broken_resume_url_still_starts_the_session() {
    let t0 = Instant::now();
    let mut conn = Connection::new(config());
    conn.on_connected();
    conn.recv(&hello(1000), t0).unwrap();
    conn.recv(
        r#"{"op":0,"s":1,"t":"READY","d":{"session_id":"sess-1","resume_gateway_url":5}}"#,
        t0,
    )
    .unwrap();
    assert!(conn.is_ready());
    assert_eq!(conn.session_id(), Some("sess-1"));
    assert_eq!(conn.resume_url(), None);
    conn.recv_close_code(None);
    assert_eq!(conn.connect_url(), URL);
    assert!(conn.next_is_resume());
}

#[test]
fn unknown_opcodes_are_ignored() {
    let t0 = Instant::now();
    let mut conn = ready_conn(t0);
    conn.recv(r#"{"op":200,"d":{}}"#, t0).unwrap();
    conn.recv(r#"{"op":2,"d":{}}"#, t0).unwrap();
    assert!(conn.is_ready());
    assert!(events(&mut conn).is_empty());
}

#[test]
fn query_string() {
    assert_eq!(Connection::query(None), "v=10&encoding=json");
    assert_eq!(
        Connection::query(Some(Compression::ZlibStream)),
        "v=10&encoding=json&compress=zlib-stream"
    );
}

#[test]
fn a_custom_keep_alive_plugs_in() {
    #[derive(Debug, Default)]
    struct Counting {
        inner: StandardKeepAlive,
        beats: u32,
    }
    impl KeepAlive for Counting {
        fn start(&mut self, i: Duration, now: Instant, _jitter: f64) {
            // no jitter: beat at once
            self.inner.start(i, now, 0.0)
        }
        fn stop(&mut self) {
            self.inner.stop()
        }
        fn next_beat(&self) -> Option<Instant> {
            self.inner.next_beat()
        }
        fn heartbeat_sent(&mut self, now: Instant, requested: bool) {
            self.beats += 1;
            self.inner.heartbeat_sent(now, requested)
        }
        fn ack(&mut self, now: Instant) -> Option<Duration> {
            self.inner.ack(now)
        }
        fn latency(&self) -> Option<Duration> {
            self.inner.latency()
        }
        fn last_ack(&self) -> Option<Instant> {
            self.inner.last_ack()
        }
    }
    let t0 = Instant::now();
    let mut conn = Connection::with_keep_alive(config(), Counting::default());
    conn.on_connected();
    conn.recv(&hello(500), t0).unwrap();
    assert_eq!(conn.next_deadline(), Some(t0));
    conn.handle_timeout(t0);
    assert_eq!(conn.keep_alive().beats, 1);
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("op".to_owned()),
                    Just("d".to_owned()),
                    Just("s".to_owned()),
                    Just("t".to_owned()),
                    Just("heartbeat_interval".to_owned()),
                    Just("session_id".to_owned()),
                    Just("resume_gateway_url".to_owned()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_json_never_panics(
        values in proptest::collection::vec((arb_json(), 0u8..12, any::<Option<u64>>()), 1..16)
    ) {
        let t0 = Instant::now();
        let mut conn = Connection::new(config());
        conn.on_connected();
        for (i, (d, op, seq)) in values.iter().enumerate() {
            let now = t0 + Duration::from_millis(i as u64 * 250);
            // the random value on its own, and inside a well-formed envelope
            let _ = conn.recv(&d.to_string(), now);
            let env = serde_json::json!({"op": op, "d": d, "s": seq, "t": "READY"});
            let _ = conn.recv(&env.to_string(), now);
            conn.handle_timeout(now);
            let _ = conn.send_iter().count();
            while conn.poll_event().is_some() {}
            if conn.should_reconnect().is_some() {
                conn.on_connected();
            }
        }
    }

    #[test]
    fn random_text_never_panics(inputs in proptest::collection::vec(".{0,80}", 1..20)) {
        let t0 = Instant::now();
        let mut conn = Connection::new(config());
        conn.on_connected();
        for (i, text) in inputs.iter().enumerate() {
            let now = t0 + Duration::from_millis(i as u64 * 100);
            let _ = conn.recv(text, now);
            conn.handle_timeout(now);
            let _ = conn.send_iter().count();
            while conn.poll_event().is_some() {}
        }
    }

    #[test]
    fn random_payload_scripts_never_panic(
        script in proptest::collection::vec((0u8..14, any::<Option<u64>>(), 0u8..6, any::<u16>(), any::<bool>()), 1..40)
    ) {
        let t0 = Instant::now();
        let mut conn = Connection::new(config());
        conn.on_connected();
        let names = ["READY", "RESUMED", "MESSAGE_CREATE", "RATE_LIMITED", "GUILD_CREATE", ""];
        for (i, (op, seq, name, code, flag)) in script.iter().enumerate() {
            let now = t0 + Duration::from_millis(i as u64 * 300);
            let s = seq.map_or("null".to_owned(), |s| s.to_string());
            let text = match op {
                0 => format!(r#"{{"op":0,"s":{s},"t":"{}","d":{{"session_id":"x"}}}}"#, names[*name as usize]),
                10 => format!(r#"{{"op":10,"d":{{"heartbeat_interval":{}}}}}"#, code),
                9 => format!(r#"{{"op":9,"d":{flag}}}"#),
                n => format!(r#"{{"op":{n},"d":null}}"#),
            };
            let _ = conn.recv(&text, now);
            if *flag && *code % 7 == 0 {
                conn.recv_close_code(Some(4000 + code % 16));
            }
            if conn.should_reconnect().is_some() {
                let _ = conn.connect_url();
                conn.on_connected();
            }
            conn.handle_timeout(now);
            for o in conn.send_iter() {
                prop_assert!(o.as_str().len() <= 4096);
            }
            while conn.poll_event().is_some() {}
        }
    }
}
