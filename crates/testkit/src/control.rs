//! The HTTP control API: `/__testkit/...` on the REST port (a prefix
//! Discord never uses), turned on with
//! [`FakeDiscordBuilder::control_api`](crate::FakeDiscordBuilder::control_api)
//! and by `serve`.
//!
//! Every endpoint calls the [`FakeDiscord`] method of the same name, so a
//! test in Python or JavaScript drives the fake exactly as a Rust test
//! does. Bodies and answers are JSON; ids are strings or numbers; `shard`
//! is a shard id, or absent / `"all"` for every shard. Control requests are
//! not logged as the bot's requests and not counted.
//!
//! | Method and path | Body or query | Calls |
//! |---|---|---|
//! | `GET /__testkit/guilds` | | guild, channel and member ids |
//! | `POST /__testkit/guilds` | `{name}` | [`FakeDiscord::add_guild`] |
//! | `POST /__testkit/guilds/{id}/channels` | `{name}` | [`FakeDiscord::add_channel`] |
//! | `POST /__testkit/guilds/{id}/members` | `{username}` | [`FakeDiscord::add_member`] |
//! | `POST /__testkit/messages` | `{channel_id, content, author_id?}` | [`FakeDiscord::send_user_message`] |
//! | `POST /__testkit/dispatch` | `{t, d, shard?}` | [`FakeDiscord::dispatch`] |
//! | `POST /__testkit/gateway/reconnect` | `{shard?}` | [`FakeDiscord::send_reconnect`] |
//! | `POST /__testkit/gateway/invalid-session` | `{shard?, resumable?}` | [`FakeDiscord::send_invalid_session`] |
//! | `POST /__testkit/gateway/heartbeat` | `{shard?}` | [`FakeDiscord::request_heartbeat`] |
//! | `POST /__testkit/gateway/close` | `{shard?, code}` | [`FakeDiscord::close_gateway`] |
//! | `POST /__testkit/gateway/drop` | `{shard?}` | [`FakeDiscord::close_gateway`] with 1006 |
//! | `POST /__testkit/gateway/heartbeat-acks` | `{enabled}` | [`FakeDiscord::set_heartbeat_acks`] |
//! | `POST /__testkit/gateway/corrupt` | `{shard?}` | [`FakeDiscord::send_corrupt_frame`] |
//! | `GET /__testkit/requests` | `?method=&path=&since=` | [`FakeDiscord::requests_matching`] |
//! | `GET /__testkit/requests/wait` | `?method=&path=&since=&timeout_ms=` | [`FakeDiscord::wait_for_request_matching`] |
//! | `GET /__testkit/counters` | | [`FakeDiscord::counters`] |
//! | `POST /__testkit/counters/reset` | | [`FakeDiscord::reset_counters`] |

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::Response;
use serde_json::{json, Value};

use crate::record::{Counters, RecordedRequest, RequestFilter};
use crate::server::{ControlError, FakeDiscord, Shared};
use crate::ShardTarget;

/// The path prefix of the control API.
pub(crate) const PREFIX: &str = "/__testkit/";

/// The longest `timeout_ms` a wait accepts.
const MAX_WAIT: Duration = Duration::from_secs(300);

/// The default `timeout_ms` of a wait.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// The largest control request body.
const MAX_BODY: usize = 1 << 20;

/// What a control call answers: a status and a JSON body (none for 204).
struct Answer {
    status: u16,
    body: Option<Value>,
}

impl Answer {
    fn ok(body: Value) -> Answer {
        Answer {
            status: 200,
            body: Some(body),
        }
    }

    fn done() -> Answer {
        Answer {
            status: 204,
            body: None,
        }
    }

    fn error(status: u16, message: impl std::fmt::Display) -> Answer {
        Answer {
            status,
            body: Some(json!({"error": message.to_string()})),
        }
    }
}

impl From<ControlError> for Answer {
    fn from(err: ControlError) -> Answer {
        let status = match err {
            ControlError::UnknownChannel(_)
            | ControlError::UnknownGuild(_)
            | ControlError::UnknownUser(_)
            | ControlError::UnknownCommand(_)
            | ControlError::UnknownMessage(_)
            | ControlError::UnknownComponent(_) => 404,
            _ => 400,
        };
        Answer::error(status, err)
    }
}

/// Serves one control request.
pub(crate) async fn handle(
    parts: http::request::Parts,
    incoming: Incoming,
    shared: Arc<Shared>,
) -> Response<Full<Bytes>> {
    let body = match Limited::new(incoming, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return respond(Answer::error(400, format!("unreadable body: {err}"))),
    };
    let fake = FakeDiscord::from_shared(shared);
    let path = parts.uri.path().strip_prefix(PREFIX).unwrap_or("");
    let query = parts.uri.query().unwrap_or("");
    let answer = route(&fake, parts.method.as_str(), path, query, &body).await;
    tracing::info!(
        method = %parts.method,
        path = %parts.uri.path(),
        status = answer.status,
        "control request"
    );
    respond(answer)
}

fn respond(answer: Answer) -> Response<Full<Bytes>> {
    let bytes = answer
        .body
        .map_or_else(Bytes::new, |body| Bytes::from(body.to_string()));
    let mut response = Response::new(Full::new(bytes));
    *response.status_mut() =
        http::StatusCode::from_u16(answer.status).unwrap_or(http::StatusCode::BAD_REQUEST);
    if answer.status != 204 {
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
    }
    response
}

async fn route(fake: &FakeDiscord, method: &str, path: &str, query: &str, body: &Bytes) -> Answer {
    let json = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => value,
            Err(err) => return Answer::error(400, format!("the body is not JSON: {err}")),
        }
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let result = match (method, segments.as_slice()) {
        ("GET", ["guilds"]) => Ok(guilds(fake)),
        ("POST", ["guilds"]) => text(&json, "name").map(|name| {
            let id = fake.add_guild(name);
            Answer::ok(json!({"id": id.to_string(), "channel_ids": ids(fake.channel_ids(id))}))
        }),
        ("POST", ["guilds", guild, "channels"]) => snowflake_text(guild).and_then(|guild| {
            let name = text(&json, "name")?;
            Ok(fake
                .add_channel(guild, name)
                .map_or_else(Answer::from, Answer::ok))
        }),
        ("POST", ["guilds", guild, "members"]) => snowflake_text(guild).and_then(|guild| {
            let username = text(&json, "username")?;
            Ok(fake
                .add_member(guild, username)
                .map_or_else(Answer::from, Answer::ok))
        }),
        ("POST", ["messages"]) => user_message(fake, &json),
        ("POST", ["dispatch"]) => dispatch(fake, &json),
        ("POST", ["interactions"]) => interaction(fake, &json),
        ("POST", ["gateway", action]) => gateway(fake, action, &json),
        ("GET", ["requests"]) => filter(query).map(|filter| {
            let (found, next) = fake.shared.log.requests_matching(&filter);
            let list: Vec<Value> = found.iter().map(|(i, r)| request_json(*i, r)).collect();
            Answer::ok(json!({"requests": list, "next": next}))
        }),
        ("GET", ["requests", "wait"]) => match (filter(query), wait_timeout(query)) {
            (Ok(filter), Ok(timeout)) => {
                Ok(match fake.wait_for_request_at(&filter, timeout).await {
                    Some((index, request)) => Answer::ok(request_json(index, &request)),
                    None => Answer::error(408, "no matching request in time"),
                })
            }
            (Err(err), _) | (_, Err(err)) => Err(err),
        },
        ("GET", ["counters"]) => Ok(Answer::ok(counters_json(&fake.counters()))),
        ("POST", ["counters", "reset"]) => {
            fake.reset_counters();
            Ok(Answer::done())
        }
        _ => Err(Answer::error(
            404,
            format!("no control endpoint {method} {PREFIX}{path}; see docs/testing.md"),
        )),
    };
    result.unwrap_or_else(|err| err)
}

fn ids(list: Vec<u64>) -> Vec<String> {
    list.into_iter().map(|id| id.to_string()).collect()
}

/// `GET /__testkit/guilds`: what a script needs to aim at.
fn guilds(fake: &FakeDiscord) -> Answer {
    let guilds: Vec<Value> = fake
        .guild_ids()
        .into_iter()
        .map(|id| {
            json!({
                "id": id.to_string(),
                "text_channel_ids": ids(fake.channel_ids(id)),
                "member_ids": ids(fake.member_ids(id)),
            })
        })
        .collect();
    Answer::ok(json!({
        "bot_user_id": fake.bot_user_id().to_string(),
        "guilds": guilds,
    }))
}

fn user_message(fake: &FakeDiscord, json: &Value) -> Result<Answer, Answer> {
    let channel = snowflake(json, "channel_id")?.ok_or_else(|| required("channel_id"))?;
    let content = text(json, "content")?;
    let author = snowflake(json, "author_id")?;
    Ok(fake
        .send_user_message(channel, author, content)
        .map_or_else(Answer::from, Answer::ok))
}

/// `POST /__testkit/interactions`: a member runs a registered command,
/// types into an autocomplete option, presses a button or picks from a
/// select on a stored message, or submits a modal; the interaction goes
/// out as INTERACTION_CREATE and comes back as the answer.
fn interaction(fake: &FakeDiscord, json: &Value) -> Result<Answer, Answer> {
    let channel = snowflake(json, "channel_id")?.ok_or_else(|| required("channel_id"))?;
    let invoker = crate::Invoker {
        channel_id: channel,
        user_id: snowflake(json, "user_id")?,
    };
    let empty = serde_json::Map::new();
    let options = match json.get("options") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(Answer::error(
                400,
                "`options` must be an object of name → value",
            ))
        }
    };
    let built = match text(json, "kind")? {
        "command" => fake.command_interaction(invoker, text(json, "command")?, options),
        "autocomplete" => fake.autocomplete_interaction(
            invoker,
            text(json, "command")?,
            options,
            text(json, "focused")?,
        ),
        "component" => {
            let message = snowflake(json, "message_id")?.ok_or_else(|| required("message_id"))?;
            let values = match json.get("values") {
                None | Some(Value::Null) => None,
                Some(Value::Array(v)) => Some(
                    v.iter()
                        .map(|x| x.as_str().map(str::to_owned))
                        .collect::<Option<Vec<String>>>()
                        .ok_or_else(|| Answer::error(400, "`values` must be strings"))?,
                ),
                Some(_) => return Err(Answer::error(400, "`values` must be an array")),
            };
            fake.component_interaction(invoker, message, text(json, "custom_id")?, values)
        }
        "modal" => {
            let fields: Vec<(String, String)> = match json.get("fields") {
                Some(Value::Object(map)) => map
                    .iter()
                    .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect::<Option<_>>()
                    .ok_or_else(|| Answer::error(400, "`fields` values must be strings"))?,
                None | Some(Value::Null) => Vec::new(),
                Some(_) => {
                    return Err(Answer::error(
                        400,
                        "`fields` must be an object of custom_id → value",
                    ))
                }
            };
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            fake.modal_submit_interaction(invoker, text(json, "custom_id")?, &pairs)
        }
        other => {
            return Err(Answer::error(
                400,
                format!("unknown `kind` {other:?}: command, autocomplete, component or modal"),
            ))
        }
    };
    Ok(match built {
        Ok(interaction) => {
            fake.send_interaction(&interaction);
            Answer::ok(interaction)
        }
        Err(err) => Answer::from(err),
    })
}

fn dispatch(fake: &FakeDiscord, json: &Value) -> Result<Answer, Answer> {
    let name = text(json, "t")?;
    let d = json.get("d").cloned().unwrap_or(Value::Null);
    fake.dispatch(shard(json)?, name, d);
    Ok(Answer::done())
}

fn gateway(fake: &FakeDiscord, action: &str, json: &Value) -> Result<Answer, Answer> {
    match action {
        "reconnect" => fake.send_reconnect(shard(json)?),
        "invalid-session" => {
            let resumable = json["resumable"].as_bool().unwrap_or(false);
            fake.send_invalid_session(shard(json)?, resumable);
        }
        "heartbeat" => fake.request_heartbeat(shard(json)?),
        "close" => {
            let code = json["code"]
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .ok_or_else(|| Answer::error(400, "`code` must be a close code (1000-4999)"))?;
            fake.close_gateway(shard(json)?, code);
        }
        "drop" => fake.close_gateway(shard(json)?, 1006),
        "heartbeat-acks" => {
            let enabled = json["enabled"]
                .as_bool()
                .ok_or_else(|| Answer::error(400, "`enabled` must be true or false"))?;
            fake.set_heartbeat_acks(enabled);
        }
        "corrupt" => fake.send_corrupt_frame(shard(json)?),
        other => {
            return Err(Answer::error(
                404,
                format!(
                    "no gateway action `{other}`: reconnect, invalid-session, heartbeat, \
                     close, drop, heartbeat-acks, corrupt"
                ),
            ))
        }
    }
    Ok(Answer::done())
}

fn required(key: &str) -> Answer {
    Answer::error(400, format!("`{key}` is required"))
}

/// A required string field.
fn text<'a>(json: &'a Value, key: &str) -> Result<&'a str, Answer> {
    match json.get(key) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(required(key)),
        Some(_) => Err(Answer::error(400, format!("`{key}` must be a string"))),
    }
}

/// An optional snowflake field, as a string or a number.
fn snowflake(json: &Value, key: &str) -> Result<Option<u64>, Answer> {
    match json.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| Answer::error(400, format!("`{key}` is not a snowflake"))),
        Some(Value::String(s)) => snowflake_text(s).map(Some),
        Some(_) => Err(Answer::error(400, format!("`{key}` is not a snowflake"))),
    }
}

fn snowflake_text(text: &str) -> Result<u64, Answer> {
    text.parse()
        .map_err(|_| Answer::error(400, format!("`{text}` is not a snowflake")))
}

/// `shard`: a shard id, or absent / `null` / `"all"` for every shard.
fn shard(json: &Value) -> Result<ShardTarget, Answer> {
    match json.get("shard") {
        None | Some(Value::Null) => Ok(ShardTarget::All),
        Some(Value::String(s)) if s == "all" => Ok(ShardTarget::All),
        Some(value) => value
            .as_u64()
            .and_then(|id| u32::try_from(id).ok())
            .map(ShardTarget::Shard)
            .ok_or_else(|| Answer::error(400, "`shard` must be a shard id or \"all\"")),
    }
}

fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key), percent_decode(value))
    })
}

/// Decodes `%XX` escapes and `+` (a query string's space).
fn percent_decode(text: &str) -> String {
    crate::rest::percent_decode(&text.replace('+', " "))
}

/// `method`, `path` and `since` of the query string.
fn filter(query: &str) -> Result<RequestFilter, Answer> {
    let mut filter = RequestFilter::new();
    for (key, value) in query_pairs(query) {
        filter = match key.as_str() {
            "method" => filter.method(value),
            "path" => filter.path(value),
            "since" => filter.since(
                value
                    .parse()
                    .map_err(|_| Answer::error(400, "`since` must be a whole number"))?,
            ),
            _ => filter,
        };
    }
    Ok(filter)
}

/// `timeout_ms` of the query string (default 10 s, at most 300 s).
fn wait_timeout(query: &str) -> Result<Duration, Answer> {
    match query_pairs(query).find(|(key, _)| key == "timeout_ms") {
        None => Ok(DEFAULT_WAIT),
        Some((_, value)) => value
            .parse()
            .map(|ms: u64| Duration::from_millis(ms).min(MAX_WAIT))
            .map_err(|_| Answer::error(400, "`timeout_ms` must be a whole number")),
    }
}

/// A recorded request for a script: its position, method, path, query,
/// status, headers (the token redacted) and body (JSON when it is JSON,
/// else `body_text`).
fn request_json(index: usize, request: &RecordedRequest) -> Value {
    let headers: serde_json::Map<String, Value> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let shown = if name.eq_ignore_ascii_case("authorization") {
                "<redacted>"
            } else {
                value.as_str()
            };
            (name.clone(), Value::from(shown))
        })
        .collect();
    let mut json = json!({
        "index": index,
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "status": request.status,
        "headers": headers,
        "body": request.json(),
    });
    if request.json().is_none() && !request.body.is_empty() {
        json["body_text"] = Value::from(String::from_utf8_lossy(&request.body).into_owned());
    }
    json
}

fn counters_json(c: &Counters) -> Value {
    json!({
        "rest_requests": c.rest_requests,
        "rate_limited": c.rate_limited,
        "invalid_requests": c.invalid_requests,
        "unauthorized": c.unauthorized,
        "user_agent_violations": c.user_agent_violations,
        "gateway_connections": c.gateway_connections,
        "identifies": c.identifies,
        "resumes": c.resumes,
        "identify_concurrency_violations": c.identify_concurrency_violations,
        "heartbeats_received": c.heartbeats_received,
        "invalid_sessions_sent": c.invalid_sessions_sent,
    })
}
