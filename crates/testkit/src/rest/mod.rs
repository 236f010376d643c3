//! The fake REST API under `/api/v{9,10}` (discord-protocol.md §1, §2, §11).
//!
//! Every request goes through the same steps, in [`process`]:
//!
//! 1. `/attachments/...` (the fake's CDN for uploaded files) is served
//!    without checks.
//! 2. `User-Agent` must start with `DiscordBot` (documented form
//!    `DiscordBot ($url, $version)`); a request
//!    that does not is answered normally but counted as a violation.
//! 3. The version: `v9` and `v10` are served; any other version, or none
//!    (Discord's default v6), answers 400 / 50041.
//! 4. The route: unknown path → 404 `{code: 0, message: "404: Not Found"}`,
//!    other method → 405, a non-snowflake id → 400 / 50035.
//! 5. `Authorization: Bot <token>` on routes that need it → 401 / 40001.
//! 6. Injections scripted with `FakeDiscord::inject` (also for paths the
//!    fake does not implement).
//! 7. The global limit, then the route's bucket (§2); every routed
//!    response carries the `X-RateLimit-*` headers except a global 429,
//!    which, as documented, carries only `Retry-After`, `X-RateLimit-Global`
//!    and `X-RateLimit-Scope`.
//! 8. The body (`Content-Type`, JSON, multipart), then the handler.
//!
//! Every request is recorded with the status it got; 401/403/429 (except
//! shared-scope 429s) count as invalid requests (§2.4).

mod audit_log;
mod body;
mod channels;
mod commands;
mod emojis;
mod error;
mod guilds;
mod interactions;
mod invites;
mod ratelimit;
mod route;
mod threads;
mod users;
mod validate;
mod webhooks;

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use acord_core_signals::{headers, JsonErrorCode, RateLimitScope, SUPPORTED_API_VERSIONS};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::config::Config;
use crate::inject::InjectedResponse;
use crate::record::{lock, CounterSet, RecordedRequest};
use crate::server::Shared;
use crate::world::World;

pub(crate) use self::channels::{user_message, UserMessageError};
pub(crate) use self::interactions::endpoint_reply;
pub(crate) use self::route::percent_decode;

use self::body::Parsed;
use self::error::ApiError;
use self::ratelimit::{BucketState, RateLimiter};
use self::route::{Auth, Endpoint, Params};

/// REST-side state that is not part of the world (rate-limit buckets).
#[derive(Debug)]
pub(crate) struct RestState {
    limiter: Mutex<RateLimiter>,
}

impl RestState {
    pub fn new(config: &Config) -> RestState {
        RestState {
            limiter: Mutex::new(RateLimiter::new(
                config.bucket_limit,
                config.bucket_window,
                config.global_limit,
                config.global_window,
            )),
        }
    }
}

/// Now, on tokio's clock: with paused time (`tokio::time::pause`) the
/// fake's windows and deadlines follow the test's clock, like the client's
/// timers do; otherwise it is the real time.
fn clock_now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Sees every dispatch pushed through `FakeDiscord::dispatch` and applies
/// it to the world (`World::observe`): an INTERACTION_CREATE makes the
/// interaction known, so its callback and follow-up routes answer
/// (discord-protocol.md §10.4); a MESSAGE_CREATE from a "user" can be
/// fetched and replied to; GUILD_CREATE, GUILD_MEMBER_ADD/REMOVE and
/// CHANNEL_* keep guilds in step.
pub(crate) fn observe_dispatch(shared: &Shared, name: &str, d: &Value) {
    lock(&shared.world).observe(name, d, clock_now());
}

/// Serves REST until the fake is cancelled.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = shared.cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::info!(%peer, "REST connection");
                    let shared = Arc::clone(&shared);
                    connections.spawn(
                        serve_connection(stream, shared)
                            .instrument(tracing::debug_span!("rest_connection", %peer)),
                    );
                }
                Err(err) => tracing::warn!(%err, "REST accept failed"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(stream: tokio::net::TcpStream, shared: Arc<Shared>) {
    let cancel = shared.cancel.clone();
    let service = service_fn(move |request| handle(request, Arc::clone(&shared)));
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(%err, "REST connection ended with an error");
            }
        }
        () = cancel.cancelled() => {
            connection.as_mut().graceful_shutdown();
            if let Err(err) = connection.await {
                tracing::debug!(%err, "REST connection ended with an error");
            }
        }
    }
}

/// One hyper request: read the body, process, record, emit dispatches.
async fn handle(
    request: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, incoming) = request.into_parts();
    if shared.config.control_api && parts.uri.path().starts_with(crate::control::PREFIX) {
        return Ok(crate::control::handle(parts, incoming, shared).await);
    }
    let at = clock_now();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let (body, outcome) = match Limited::new(incoming, body::MAX_REQUEST_BYTES)
        .collect()
        .await
    {
        Ok(collected) => {
            let body = collected.to_bytes();
            let request = ApiRequest {
                method: &method,
                path: &path,
                query: query.as_deref(),
                headers: &headers,
                body: &body,
            };
            let outcome = process(&shared, &request, at);
            (body, outcome)
        }
        Err(err) => {
            tracing::debug!(%err, "REST body could not be read");
            CounterSet::bump(&shared.counters.rest_requests);
            let error = if err.downcast_ref::<LengthLimitError>().is_some() {
                // §1.5: over 25 MiB; the status is not documented, the
                // protocol document picks 413 with code 40005.
                ApiError::code(
                    JsonErrorCode::RequestEntityTooLarge,
                    "Request entity too large",
                )
            } else {
                ApiError::with_status(
                    400,
                    JsonErrorCode::GeneralError,
                    "The request body could not be read.",
                )
            };
            (Bytes::new(), Outcome::error(error))
        }
    };
    let status = outcome.status;
    tracing::info!(%method, path = %redact_tokens(&path), status, "REST request");
    // The request's own dispatches are queued (each session gives them
    // their sequence numbers) before the request is logged: whoever sees
    // the request in the log — `wait_for_request`, the control API — and
    // then dispatches something gets it after them, as on Discord, where
    // the bot's own MESSAGE_CREATE is not overtaken by a later event.
    for event in outcome.events {
        shared.gateway.emit(event.guild_id, event.name, event.d);
    }
    shared.log.push_request(RecordedRequest {
        method,
        path,
        query,
        headers,
        body,
        status,
        at,
    });
    let mut response = Response::new(Full::new(outcome.body));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in outcome.headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    Ok(response)
}

/// The path with webhook and interaction tokens replaced, for logs.
fn redact_tokens(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    segments
        .iter()
        .enumerate()
        .map(|(i, segment)| {
            let token_slot = i >= 2
                && matches!(segments[i - 2], "webhooks" | "interactions")
                && !segment.is_empty();
            if token_slot {
                "<token>"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A request as the pipeline sees it.
#[derive(Debug)]
pub(crate) struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a [(String, String)],
    pub body: &'a Bytes,
}

impl ApiRequest<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A dispatch a REST call causes on the gateway.
#[derive(Debug)]
pub(crate) struct Event {
    pub guild_id: Option<u64>,
    pub name: &'static str,
    pub d: Value,
}

/// What a handler answers.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub raw: Option<(String, Bytes)>,
    pub events: Vec<Event>,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Reply {
        Reply::json(200, body)
    }

    /// Any status with a JSON body.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            raw: None,
            events: Vec::new(),
        }
    }

    /// 204 No Content.
    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
            raw: None,
            events: Vec::new(),
        }
    }

    /// Adds a gateway dispatch.
    pub fn emit(mut self, guild_id: Option<u64>, name: &'static str, d: Value) -> Reply {
        self.events.push(Event { guild_id, name, d });
        self
    }

    /// Adds a dispatch built elsewhere (an audit-log entry's).
    pub fn push(mut self, event: Event) -> Reply {
        self.events.push(event);
        self
    }
}

/// What the pipeline answers.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub events: Vec<Event>,
}

impl Outcome {
    fn json(status: u16, body: &Value) -> Outcome {
        Outcome {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(body.to_string()),
            events: Vec::new(),
        }
    }

    fn error(error: ApiError) -> Outcome {
        Outcome::json(error.status, &error.body)
    }

    fn from_reply(reply: Reply) -> Outcome {
        let mut outcome = match (reply.body, reply.raw) {
            (_, Some((content_type, bytes))) => Outcome {
                status: reply.status,
                headers: vec![("content-type".into(), content_type)],
                body: bytes,
                events: Vec::new(),
            },
            (Some(body), None) => Outcome::json(reply.status, &body),
            (None, None) => Outcome {
                status: reply.status,
                headers: Vec::new(),
                body: Bytes::new(),
                events: Vec::new(),
            },
        };
        outcome.events = reply.events;
        outcome
    }
}

/// Everything a handler can use.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub shared: &'a Shared,
    pub params: &'a Params,
    pub query: Vec<(String, String)>,
    pub body: Parsed,
    pub now: Instant,
    /// The percent-decoded `X-Audit-Log-Reason`.
    pub audit_reason: Option<String>,
}

impl Ctx<'_> {
    /// The first value of a query parameter.
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The JSON body (`Null` when there was none).
    pub fn json(&self) -> &Value {
        &self.body.json
    }

    /// The world, locked. Keep the guard short; never across an await (the
    /// handlers are synchronous).
    pub fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.shared.world)
    }

    /// `http://127.0.0.1:P`, for URLs of uploaded files.
    pub fn origin(&self) -> &str {
        self.shared
            .api_base
            .strip_suffix("/api")
            .unwrap_or(&self.shared.api_base)
    }

    /// A boolean query parameter (`true`/`True`/`1`, §1.3).
    pub fn query_bool(&self, key: &str) -> bool {
        self.query(key)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }
}

fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                route::percent_decode(&k.replace('+', " ")),
                route::percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// Whether Discord would take a User-Agent as a bot's: the documented form
/// is `DiscordBot ($url, $versionNumber)` with any text after it, and in
/// practice Discord accepts every User-Agent that starts with `DiscordBot`
/// (discord.py sends `DiscordBot (https://github.com/Rapptz/discord.py
/// 2.7.1) Python/3.11 aiohttp/3.14.5`, without the comma).
pub(crate) fn user_agent_ok(user_agent: &str) -> bool {
    user_agent.starts_with("DiscordBot")
}

fn seconds(duration: Duration) -> f64 {
    // Rounded up to the millisecond, so waiting `retry_after` is enough.
    let millis = duration.as_nanos().div_ceil(1_000_000);
    millis as f64 / 1000.0
}

fn rate_limit_headers(state: &BucketState) -> Vec<(String, String)> {
    let reset = SystemTime::now()
        .checked_add(state.reset_after)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    vec![
        (headers::LIMIT.into(), state.limit.to_string()),
        (headers::REMAINING.into(), state.remaining.to_string()),
        (headers::RESET.into(), format!("{:.3}", seconds(reset))),
        (
            headers::RESET_AFTER.into(),
            format!("{:.3}", seconds(state.reset_after)),
        ),
        (headers::BUCKET.into(), state.bucket.clone()),
    ]
}

/// A 429 as §2.2/§2.3 describe it for `scope`.
fn too_many_requests(
    scope: RateLimitScope,
    retry_after: Duration,
    bucket: Option<&BucketState>,
) -> Outcome {
    let global = scope == RateLimitScope::Global;
    let message = match scope {
        RateLimitScope::Shared => "The resource is being rate limited.",
        _ => "You are being rate limited.",
    };
    let body = json!({
        "message": message,
        "retry_after": seconds(retry_after),
        "global": global,
    });
    let mut outcome = Outcome::json(429, &body);
    if let Some(state) = bucket {
        outcome.headers.extend(rate_limit_headers(state));
    }
    let whole_seconds = retry_after.as_nanos().div_ceil(1_000_000_000);
    outcome
        .headers
        .push((headers::RETRY_AFTER.into(), whole_seconds.to_string()));
    if global {
        outcome
            .headers
            .push((headers::GLOBAL.into(), "true".into()));
    }
    outcome
        .headers
        .push((headers::SCOPE.into(), scope.as_str().into()));
    outcome
}

/// Runs the pipeline for one request and updates counters and the
/// invalid-request log. Synchronous: no lock is ever held across an await.
pub(crate) fn process(shared: &Shared, request: &ApiRequest<'_>, now: Instant) -> Outcome {
    if let Some(rest) = request.path.strip_prefix("/attachments/") {
        return serve_attachment(shared, request.method, rest);
    }
    CounterSet::bump(&shared.counters.rest_requests);
    let (outcome, shared_scope) = process_api(shared, request, now);
    match outcome.status {
        401 => CounterSet::bump(&shared.counters.unauthorized),
        429 => CounterSet::bump(&shared.counters.rate_limited),
        _ => {}
    }
    if acord_core_signals::is_invalid_request_status(outcome.status) && !shared_scope {
        shared.log.push_invalid(now);
    }
    outcome
}

/// The fake CDN: `GET /attachments/{channel}/{attachment}/{filename}`.
fn serve_attachment(shared: &Shared, method: &str, rest: &str) -> Outcome {
    let id = rest.split('/').nth(1).and_then(|s| s.parse::<u64>().ok());
    let file = id.and_then(|id| lock(&shared.world).files.get(&id).cloned());
    match file {
        Some(file) if method == "GET" => Outcome {
            status: 200,
            headers: vec![("content-type".into(), file.content_type)],
            body: file.data,
            events: Vec::new(),
        },
        _ => Outcome::error(ApiError::unknown_route()),
    }
}

/// Returns the outcome and whether it is a shared-scope 429.
fn process_api(shared: &Shared, request: &ApiRequest<'_>, now: Instant) -> (Outcome, bool) {
    let config = &shared.config;
    if !request.header("user-agent").is_some_and(user_agent_ok) {
        CounterSet::bump(&shared.counters.user_agent_violations);
    }
    let Some(versioned) = request.path.strip_prefix("/api/") else {
        return (Outcome::error(ApiError::unknown_route()), false);
    };
    let (version, path) = versioned.split_once('/').unwrap_or((versioned, ""));
    let supported = version
        .strip_prefix('v')
        .and_then(|v| v.parse::<u8>().ok())
        .is_some_and(|v| SUPPORTED_API_VERSIONS.contains(&v));
    if !supported {
        // v3-v5 are discontinued (400, §1.1); the deprecated v6-v8 and the
        // unversioned default (v6) are not served by the fake either, and
        // the documented "invalid API version" error says so most clearly.
        let error = ApiError::code(JsonErrorCode::InvalidApiVersion, "Invalid API version");
        return (Outcome::error(error), false);
    }
    let routed = route::route(request.method, path);
    if let Ok(matched) = &routed {
        if matched.auth == Auth::Bot {
            let presented = request
                .header("authorization")
                .and_then(|value| value.strip_prefix("Bot "));
            if presented != Some(config.token.as_str()) {
                return (Outcome::error(ApiError::unauthorized()), false);
            }
        }
    }
    // Injections also answer paths the fake does not implement, so a
    // client's handling of any route can be scripted.
    if let Some(injected) = take_injection(shared, request.method, request.path) {
        let peek = routed
            .as_ref()
            .ok()
            .filter(|_| config.rate_limits)
            .map(|m| {
                let bucket = ratelimit::bucket_hash(&m.limit_group);
                lock(&shared.rest.limiter).peek(&bucket, &m.major, now)
            });
        return injected_outcome(injected, peek);
    }
    let matched = match routed {
        Ok(matched) => matched,
        Err(error) => return (Outcome::error(error), false),
    };
    let bucket = ratelimit::bucket_hash(&matched.limit_group);

    // Only the application's interaction webhook is exempt from the
    // global limit, not channel webhooks on the same templates (§2.1).
    let exempt = matched.global_exempt
        && (!matched.template.starts_with("/webhooks/")
            || matched.params.id("application.id") == lock(&shared.world).application_id);
    let mut state = None;
    if config.rate_limits {
        let mut limiter = lock(&shared.rest.limiter);
        if !exempt {
            if let Err(retry_after) = limiter.acquire_global(now) {
                drop(limiter);
                let outcome = too_many_requests(RateLimitScope::Global, retry_after, None);
                return (outcome, false);
            }
        }
        match limiter.acquire(&bucket, &matched.major, now) {
            Ok(after) => state = Some(after),
            Err(exhausted) => {
                drop(limiter);
                let retry_after = exhausted.reset_after;
                let outcome =
                    too_many_requests(RateLimitScope::User, retry_after, Some(&exhausted));
                return (outcome, false);
            }
        }
    }

    // GET and HEAD bodies carry no meaning: they are recorded, not parsed.
    let body = if matches!(request.method, "GET" | "HEAD") {
        Ok(Parsed::default())
    } else {
        body::parse(request.header("content-type"), request.body)
    };
    let result = body.and_then(|body| {
        let mut ctx = Ctx {
            shared,
            params: &matched.params,
            query: parse_query(request.query),
            body,
            now,
            audit_reason: request
                .header(headers::AUDIT_LOG_REASON)
                .map(route::percent_decode),
        };
        dispatch(&mut ctx, matched.endpoint)
    });
    let mut outcome = match result {
        Ok(reply) => Outcome::from_reply(reply),
        Err(error) => Outcome::error(error),
    };
    if let Some(state) = state {
        outcome.headers.extend(rate_limit_headers(&state));
    }
    tracing::trace!(template = matched.template, "routed");
    (outcome, false)
}

/// Takes the first matching injection, decrementing its `times`.
fn take_injection(shared: &Shared, method: &str, path: &str) -> Option<InjectedResponse> {
    let mut injections = lock(&shared.injections);
    let index = injections.iter().position(|i| i.matches(method, path))?;
    let injection = &mut injections[index];
    injection.times -= 1;
    let response = injection.response.clone();
    if injection.times == 0 {
        injections.remove(index);
    }
    Some(response)
}

fn injected_outcome(injected: InjectedResponse, peek: Option<BucketState>) -> (Outcome, bool) {
    match injected {
        InjectedResponse::RateLimited { scope, retry_after } => {
            let bucket = match scope {
                RateLimitScope::Global => None,
                RateLimitScope::User => peek.map(|mut state| {
                    // A user-scope 429 means this bucket is exhausted.
                    state.remaining = 0;
                    state.reset_after = state.reset_after.max(retry_after);
                    state
                }),
                RateLimitScope::Shared => peek,
            };
            let outcome = too_many_requests(scope, retry_after, bucket.as_ref());
            (outcome, scope == RateLimitScope::Shared)
        }
        InjectedResponse::Status { status, body } => {
            let mut outcome = Outcome::json(status, &body);
            if let Some(state) = peek {
                outcome.headers.extend(rate_limit_headers(&state));
            }
            (outcome, false)
        }
    }
}

/// Whether a `/webhooks/{id}/{token}` route is the application's
/// interaction webhook (else a channel webhook).
fn interaction_webhook(ctx: &Ctx<'_>) -> bool {
    ctx.params.id("application.id") == ctx.world().application_id
}

fn dispatch(ctx: &mut Ctx<'_>, endpoint: Endpoint) -> Result<Reply, ApiError> {
    use Endpoint as E;
    match endpoint {
        E::GetGateway => users::get_gateway(ctx),
        E::GetGatewayBot => users::get_gateway_bot(ctx),
        E::GetCurrentUser => users::get_current_user(ctx),
        E::ModifyCurrentUser => users::modify_current_user(ctx),
        E::GetUser => users::get_user(ctx),
        E::GetCurrentUserGuilds => users::get_current_user_guilds(ctx),
        E::LeaveGuild => users::leave_guild(ctx),
        E::GetCurrentApplication => users::get_current_application(ctx),
        E::CreateDm => users::create_dm(ctx),
        E::GetGuild => guilds::get_guild(ctx),
        E::GetAuditLog => audit_log::get(ctx),
        E::ModifyGuild => guilds::modify_guild(ctx),
        E::ListEmojis => emojis::list(ctx),
        E::GetEmoji => emojis::get(ctx),
        E::CreateEmoji => emojis::create(ctx),
        E::ModifyEmoji => emojis::modify(ctx),
        E::DeleteEmoji => emojis::delete(ctx),
        E::GetGuildChannels => guilds::get_channels(ctx),
        E::CreateGuildChannel => guilds::create_channel(ctx),
        E::ListMembers => guilds::list_members(ctx),
        E::SearchMembers => guilds::search_members(ctx),
        E::BulkBan => guilds::bulk_ban(ctx),
        E::GetMember => guilds::get_member(ctx),
        E::ModifyMember | E::ModifyCurrentMember => guilds::modify_member(ctx),
        E::RemoveMember => guilds::remove_member(ctx),
        E::AddMemberRole => guilds::member_role(ctx, true),
        E::RemoveMemberRole => guilds::member_role(ctx, false),
        E::GetBans => guilds::get_bans(ctx),
        E::GetBan => guilds::get_ban(ctx),
        E::CreateBan => guilds::create_ban(ctx),
        E::RemoveBan => guilds::remove_ban(ctx),
        E::GetRoles => guilds::get_roles(ctx),
        E::GetRole => guilds::get_role(ctx),
        E::CreateRole => guilds::create_role(ctx),
        E::ModifyRolePositions => guilds::modify_role_positions(ctx),
        E::ModifyRole => guilds::modify_role(ctx),
        E::DeleteRole => guilds::delete_role(ctx),
        E::GetChannel => channels::get_channel(ctx),
        E::ModifyChannel => channels::modify_channel(ctx),
        E::DeleteChannel => channels::delete_channel(ctx),
        E::TriggerTyping => channels::trigger_typing(ctx),
        E::EditPermissions => channels::edit_permissions(ctx),
        E::DeletePermission => channels::delete_permission(ctx),
        E::GetInvites => invites::get_channel_invites(ctx),
        E::CreateInvite => invites::create(ctx),
        E::GetInvite => invites::get(ctx),
        E::DeleteInvite => invites::delete(ctx),
        E::ModifyChannelPositions => guilds::modify_channel_positions(ctx),
        E::GetMessages => channels::get_messages(ctx),
        E::GetMessage => channels::get_message(ctx),
        E::GetPins => channels::get_pins(ctx, false),
        E::GetPinsDeprecated => channels::get_pins(ctx, true),
        E::PinMessage => channels::pin(ctx, true),
        E::UnpinMessage => channels::pin(ctx, false),
        E::CreateMessage => channels::create_message(ctx),
        E::EditMessage => channels::edit_message(ctx),
        E::DeleteMessage => channels::delete_message(ctx),
        E::CrosspostMessage => channels::crosspost(ctx),
        E::BulkDelete => channels::bulk_delete(ctx),
        E::StartThreadFromMessage => threads::start_from_message(ctx),
        E::StartThread => threads::start_without_message(ctx),
        E::JoinThread | E::AddThreadMember => threads::membership(ctx, true),
        E::LeaveThread | E::RemoveThreadMember => threads::membership(ctx, false),
        E::GetThreadMember => threads::get_member(ctx),
        E::ListThreadMembers => threads::list_members(ctx),
        E::PublicArchivedThreads => threads::archived(ctx, false),
        E::PrivateArchivedThreads => threads::archived(ctx, true),
        E::ActiveThreads => threads::active(ctx),
        E::CreateReaction => channels::create_reaction(ctx),
        E::DeleteOwnReaction | E::DeleteUserReaction => channels::delete_reaction(ctx),
        E::GetReactions => channels::get_reactions(ctx),
        E::DeleteAllReactions | E::DeleteAllReactionsForEmoji => {
            channels::delete_all_reactions(ctx)
        }
        E::InteractionCallback => interactions::callback(ctx),
        E::ExecuteFollowup if interaction_webhook(ctx) => interactions::execute_followup(ctx),
        E::GetWebhookMessage if interaction_webhook(ctx) => interactions::get_message(ctx),
        E::EditWebhookMessage if interaction_webhook(ctx) => interactions::edit_message(ctx),
        E::DeleteWebhookMessage if interaction_webhook(ctx) => interactions::delete_message(ctx),
        E::ExecuteFollowup => webhooks::execute(ctx),
        E::GetWebhookMessage => webhooks::get_message(ctx),
        E::EditWebhookMessage => webhooks::edit_message(ctx),
        E::DeleteWebhookMessage => webhooks::delete_message(ctx),
        E::CreateWebhook => webhooks::create(ctx),
        E::ListWebhooks => webhooks::list(ctx),
        E::GetWebhook => webhooks::get(ctx),
        E::ModifyWebhook => webhooks::modify(ctx),
        E::DeleteWebhook => webhooks::delete(ctx),
        E::GetCommands => commands::list(ctx),
        E::CreateCommand => commands::create(ctx),
        E::BulkOverwriteCommands => commands::bulk_overwrite(ctx),
        E::GetCommand => commands::get(ctx),
        E::EditCommand => commands::edit(ctx),
        E::DeleteCommand => commands::delete(ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents() {
        assert!(user_agent_ok(
            "DiscordBot (https://github.com/acord-rs/acord, 0.1.0)"
        ));
        assert!(user_agent_ok("DiscordBot (https://x.y, 1) extra/1.0"));
        assert!(user_agent_ok(
            "DiscordBot (https://github.com/Rapptz/discord.py 2.7.1) Python/3.11 aiohttp/3.14.5"
        ));
        assert!(!user_agent_ok("curl/8.0"));
        assert!(!user_agent_ok("discordbot (https://x.y, 1)"));
        assert!(!user_agent_ok("Mozilla/5.0 DiscordBot (https://x.y, 1)"));
    }

    /// Arbitrary bytes never panic the parsers that read network input.
    #[test]
    fn parsers_survive_garbage() {
        let mut gen = crate::fixtures::Generator::new(0xF00D);
        let alphabet: &[u8] = b"/%@{}abcv019-_:\r\n\"=;[] \x00\xff";
        for round in 0..1000 {
            let len = (gen.next_u64() % 96) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if gen.next_u64() % 4 == 0 {
                        (gen.next_u64() & 0xFF) as u8
                    } else {
                        alphabet[(gen.next_u64() % alphabet.len() as u64) as usize]
                    }
                })
                .collect();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let _ = route::route("GET", &text);
            let _ = route::route(
                "DELETE",
                &format!("/channels/1/messages/2/reactions/{text}/@me"),
            );
            let _ = route::percent_decode(&text);
            let _ = user_agent_ok(&text);
            let _ = parse_query(Some(&text));
            let _ = crate::fixtures::parse_iso8601(&text);
            let boundary = if round % 2 == 0 { "b" } else { "\r\n" };
            let mut body = format!("--{boundary}\r\n").into_bytes();
            body.extend_from_slice(&bytes);
            if round % 3 == 0 {
                body.extend_from_slice(format!("\r\n--{boundary}--").as_bytes());
            }
            let content_type = format!("multipart/form-data; boundary={boundary}");
            let _ = body::parse(Some(&content_type), &Bytes::from(body));
            let _ = body::parse(Some("application/json"), &Bytes::from(bytes.clone()));
            let _ = body::parse(
                Some("application/x-www-form-urlencoded"),
                &Bytes::from(bytes),
            );
        }
    }

    #[test]
    fn tokens_are_redacted_in_logs() {
        assert_eq!(
            redact_tokens("/api/v10/webhooks/1/secret/messages/@original"),
            "/api/v10/webhooks/1/<token>/messages/@original"
        );
        assert_eq!(
            redact_tokens("/api/v10/interactions/5/tok/callback"),
            "/api/v10/interactions/5/<token>/callback"
        );
        assert_eq!(redact_tokens("/api/v10/webhooks/1"), "/api/v10/webhooks/1");
        assert_eq!(redact_tokens("/api/v10/users/@me"), "/api/v10/users/@me");
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(seconds(Duration::from_micros(1)), 0.001);
        assert_eq!(seconds(Duration::from_millis(64_570)), 64.57);
    }
}
