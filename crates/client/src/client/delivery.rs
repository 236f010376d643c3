//! [`Delivery`]: an event handed to the client from outside its own shards
//! (an event broker), with a notice once every handler for it finished.
//!
//! 1. The source (a broker worker) builds a [`Delivery`] from the raw
//!    dispatch and its [`EventMeta`] (`shard`, `seq`, `session`) with
//!    [`Delivery::new`], which also returns a [`DeliveryDone`] future, and
//!    sends the delivery to [`Client::run_deliveries`](crate::Client::run_deliveries).
//! 2. The client routes it exactly as an event from its own shards (cache,
//!    collectors, handlers, listeners, `raw_event`); every handler call
//!    holds a share of the delivery, and handlers read the metadata with
//!    [`Context::event_meta`](crate::Context::event_meta).
//! 3. When the last handler call has ended, [`DeliveryDone`] resolves to a
//!    [`DeliveryOutcome`]: how many calls ran, how many panicked, whether
//!    the payload failed to deserialise. The source acknowledges the event
//!    then, and only then.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use acord_core_gateway::Dispatch;
use tokio::sync::oneshot;

/// Where an event came from: the shard, its sequence number and the
/// gateway session that received it.
///
/// Events delivered through a broker are at-least-once: a worker that dies
/// mid-event has its events handled again by another worker. Two
/// deliveries with the same `(shard, seq, session)` are the same gateway
/// event; a handler with side effects that must not repeat keeps the
/// triples it has seen (in a shared store) and skips repeats.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventMeta {
    shard: u32,
    seq: u64,
    session: Arc<str>,
}

impl EventMeta {
    /// Metadata from its parts: the shard id, the dispatch `s` and the
    /// READY `session_id` of the shard's session.
    pub fn new(shard: u32, seq: u64, session: impl Into<Arc<str>>) -> Self {
        Self {
            shard,
            seq,
            session: session.into(),
        }
    }

    /// The shard that received the event.
    pub fn shard(&self) -> u32 {
        self.shard
    }

    /// The dispatch sequence number (`s`), unique within one session.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The session id (READY `session_id`) the event arrived in; empty
    /// when the publisher did not know it.
    pub fn session(&self) -> &str {
        &self.session
    }
}

/// One event for [`Client::run_deliveries`](crate::Client::run_deliveries):
/// the raw dispatch, its [`EventMeta`], and the sender of its
/// [`DeliveryDone`].
///
/// Dropping a delivery before the client routed it (the client shut down
/// first) resolves its [`DeliveryDone`] to an outcome that is not
/// [finished](DeliveryOutcome::is_finished): the event was not handled.
pub struct Delivery {
    pub(crate) meta: Arc<EventMeta>,
    pub(crate) dispatch: Dispatch,
    pub(crate) done: oneshot::Sender<DeliveryOutcome>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("event", &self.dispatch.name())
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// A delivery of `dispatch`, and the future that resolves once every
    /// handler call for it has ended.
    pub fn new(meta: EventMeta, dispatch: Dispatch) -> (Self, DeliveryDone) {
        let (done, rx) = oneshot::channel();
        (
            Self {
                meta: Arc::new(meta),
                dispatch,
                done,
            },
            DeliveryDone { rx },
        )
    }

    /// Where the event came from.
    pub fn meta(&self) -> &EventMeta {
        &self.meta
    }

    /// The raw dispatch.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }
}

/// Resolves to the [`DeliveryOutcome`] of a [`Delivery`] once every handler
/// call for it has ended (at once when nobody wanted the event).
///
/// # Cancel safety
/// Cancel safe: dropping it only drops the notice; the handlers run on.
#[derive(Debug)]
#[must_use = "the outcome says when the event may be acknowledged"]
pub struct DeliveryDone {
    rx: oneshot::Receiver<DeliveryOutcome>,
}

impl Future for DeliveryDone {
    type Output = DeliveryOutcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<DeliveryOutcome> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|r| r.unwrap_or(DeliveryOutcome::NOT_ROUTED))
    }
}

/// What became of a [`Delivery`]: resolved by [`DeliveryDone`].
///
/// A broker acknowledges an event that is
/// [finished](Self::is_finished); one that is not (the client shut down
/// before routing it, or a handler task was cancelled mid-call) should be
/// left for redelivery. A handler that panicked still finished: the panic
/// went to the error hook ([`ClientBuilder::on_error`](crate::ClientBuilder::on_error)),
/// as in a single-process bot, and redelivering the event would run the
/// handlers that succeeded a second time; [`panics`](Self::panics) tells a
/// broker to set the event aside (acord-redis moves it to its dead-letter
/// stream).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryOutcome {
    calls: u32,
    panics: u32,
    undecodable: bool,
    finished: bool,
}

impl DeliveryOutcome {
    const NOT_ROUTED: Self = Self {
        calls: 0,
        panics: 0,
        undecodable: false,
        finished: false,
    };

    /// Whether every handler call for the event ran to its end (returned
    /// or panicked): the event may be acknowledged.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Whether the event finished with no panic and a payload that
    /// deserialised.
    pub fn is_ok(&self) -> bool {
        self.finished && self.panics == 0 && !self.undecodable
    }

    /// How many handler, listener and `raw_event` calls the event got
    /// (0: nobody wanted it).
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// How many of those calls panicked.
    pub fn panics(&self) -> u32 {
        self.panics
    }

    /// Whether the payload did not match its event's type (reported to
    /// the error hook as [`DispatchError::Deserialize`](crate::DispatchError::Deserialize)).
    pub fn is_undecodable(&self) -> bool {
        self.undecodable
    }
}

/// The client's side of one delivery: shared by every handler call (as
/// [`Ack`]s) and by the event loop while it routes. The outcome is sent
/// when the last share drops.
pub(crate) struct Tracker {
    pub(crate) meta: Arc<EventMeta>,
    done: Option<oneshot::Sender<DeliveryOutcome>>,
    calls: AtomicU32,
    panics: AtomicU32,
    undecodable: AtomicBool,
    cancelled: AtomicBool,
}

impl Tracker {
    pub(crate) fn new(delivery: Delivery) -> (Arc<Self>, Dispatch) {
        let tracker = Arc::new(Self {
            meta: delivery.meta,
            done: Some(delivery.done),
            calls: AtomicU32::new(0),
            panics: AtomicU32::new(0),
            undecodable: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
        });
        (tracker, delivery.dispatch)
    }

    /// Marks the payload as not matching its event.
    pub(crate) fn undecodable(&self) {
        self.undecodable.store(true, Ordering::Relaxed);
    }

    /// A share for one handler call.
    pub(crate) fn ack(self: &Arc<Self>) -> Ack {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ack {
            tracker: self.clone(),
            finished: AtomicBool::new(false),
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let outcome = DeliveryOutcome {
                calls: self.calls.load(Ordering::Relaxed),
                panics: self.panics.load(Ordering::Relaxed),
                undecodable: self.undecodable.load(Ordering::Relaxed),
                finished: !self.cancelled.load(Ordering::Relaxed),
            };
            // the receiver may be gone (the source stopped waiting)
            let _ = done.send(outcome);
        }
    }
}

/// One handler call's share of a delivery; dropped without
/// [`finish`](Self::finish) (the task was cancelled), it marks the
/// delivery as not finished.
pub(crate) struct Ack {
    tracker: Arc<Tracker>,
    finished: AtomicBool,
}

impl Ack {
    /// The call ended; `ok: false` when it panicked.
    pub(crate) fn finish(&self, ok: bool) {
        if !ok {
            self.tracker.panics.fetch_add(1, Ordering::Relaxed);
        }
        self.finished.store(true, Ordering::Relaxed);
    }

    /// The call ended before the handler ran: the payload did not
    /// deserialise.
    pub(crate) fn undecodable(&self) {
        self.tracker.undecodable();
        self.finished.store(true, Ordering::Relaxed);
    }
}

impl Drop for Ack {
    fn drop(&mut self) {
        if !self.finished.load(Ordering::Relaxed) {
            self.tracker.cancelled.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn delivery() -> (Delivery, DeliveryDone) {
        Delivery::new(
            EventMeta::new(3, 42, "abc"),
            Dispatch::new("MESSAGE_CREATE", 42, &b"{}"[..]),
        )
    }

    #[tokio::test]
    async fn the_outcome_comes_when_the_last_share_drops() {
        let (d, done) = delivery();
        let (tracker, _dispatch) = Tracker::new(d);
        let a = tracker.ack();
        let b = tracker.ack();
        drop(tracker);
        a.finish(true);
        drop(a);
        b.finish(false);
        drop(b);
        let outcome = done.await;
        assert!(outcome.is_finished());
        assert!(!outcome.is_ok());
        assert_eq!((outcome.calls(), outcome.panics()), (2, 1));
    }

    #[tokio::test]
    async fn a_cancelled_call_or_an_unrouted_delivery_is_not_finished() {
        let (d, done) = delivery();
        let (tracker, _dispatch) = Tracker::new(d);
        drop(tracker.ack());
        drop(tracker);
        assert!(!done.await.is_finished());

        let (d, done) = delivery();
        drop(d);
        assert!(!done.await.is_finished());
    }

    #[tokio::test]
    async fn an_event_nobody_wants_is_finished_at_once() {
        let (d, done) = delivery();
        let (tracker, _dispatch) = Tracker::new(d);
        assert_eq!(tracker.meta.seq(), 42);
        drop(tracker);
        let outcome = done.await;
        assert!(outcome.is_ok());
        assert_eq!(outcome.calls(), 0);
    }

    /// Through a real client: the outcome waits for every handler call
    /// (two handlers and a listener here), counts a panic, and handlers
    /// see the meta.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn run_deliveries_reports_once_every_handler_call_ended() {
        use crate::event::kind::MessageCreate;
        use crate::model::Message;
        use crate::{Client, Context, EventHandler, Intents};
        use tokio::sync::{mpsc, Semaphore};

        struct Slow {
            entered: mpsc::UnboundedSender<EventMeta>,
            gate: Arc<Semaphore>,
        }
        impl EventHandler for Slow {
            async fn message_create(&self, ctx: Context, _msg: Box<Message>) {
                let _ = self.entered.send(ctx.event_meta().unwrap().clone());
                self.gate.acquire().await.unwrap().forget();
            }
        }
        struct Quick;
        impl EventHandler for Quick {
            async fn message_create(&self, _ctx: Context, _msg: Box<Message>) {}
        }

        let fake = acord_testkit::FakeDiscord::builder().start().await.unwrap();
        let (entered_tx, mut entered) = mpsc::unbounded_channel();
        let gate = Arc::new(Semaphore::new(0));
        let client = Client::builder(fake.token(), Intents::GUILD_MESSAGES)
            .api_base(fake.api_base())
            .event_handler(Slow {
                entered: entered_tx,
                gate: gate.clone(),
            })
            .event_handler(Quick)
            .on::<MessageCreate, _, _>(|_, msg| async move {
                assert!(msg.content != "boom", "listener panics on purpose");
            })
            .on_error(|_| {})
            .build()
            .await
            .unwrap();
        let (tx, rx) = mpsc::channel(8);
        let run = tokio::spawn(async move { client.run_deliveries(rx).await });
        let message = |seq: u64, content: &str| {
            use acord_testkit::fixtures;
            let author = fixtures::user(3, "u");
            let d = fixtures::message(100 + seq, 2, None, &author, content);
            Delivery::new(
                EventMeta::new(1, seq, "s"),
                Dispatch::new("MESSAGE_CREATE", seq, d.to_string().into_bytes()),
            )
        };

        let (d, done) = message(7, "boom");
        tx.send(d).await.unwrap();
        assert_eq!(entered.recv().await.unwrap(), EventMeta::new(1, 7, "s"));
        // the slow handler still runs: no outcome yet
        tokio::pin!(done);
        let early = tokio::time::timeout(Duration::from_millis(200), &mut done).await;
        assert!(early.is_err(), "resolved while a handler ran");
        gate.add_permits(1);
        let outcome = done.await;
        assert!(outcome.is_finished());
        // two handlers and the listener; on this first event each
        // handler's default `raw_event` runs too, once (then the client
        // knows it is not implemented)
        assert_eq!((outcome.calls(), outcome.panics()), (5, 1));

        // nobody wants an event acord does not know (the raw_event
        // defaults said so on the first event): done at once
        let (d, done) = Delivery::new(
            EventMeta::new(1, 8, "s"),
            Dispatch::new("SOME_FUTURE_EVENT", 8, &b"{}"[..]),
        );
        tx.send(d).await.unwrap();
        let outcome = done.await;
        assert!(outcome.is_ok());
        assert_eq!(outcome.calls(), 0);

        // a payload that is not a message: undecodable, finished
        let (d, done) = Delivery::new(
            EventMeta::new(1, 9, "s"),
            Dispatch::new("MESSAGE_CREATE", 9, &b"[1]"[..]),
        );
        tx.send(d).await.unwrap();
        let outcome = done.await;
        assert!(outcome.is_finished() && outcome.is_undecodable());

        drop(tx);
        run.await.unwrap().unwrap();
        fake.shutdown().await;
    }

    #[test]
    fn public_types_are_send_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Delivery>();
        check::<DeliveryDone>();
        check::<DeliveryOutcome>();
        check::<EventMeta>();
    }
}
