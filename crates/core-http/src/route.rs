//! [`Route`]: an HTTP method, a path template and its parameters; the one place
//! where rate-limit keys are derived ([`Route::ratelimit_key`]) and URLs built
//! ([`build_url`]).

use std::borrow::Cow;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use acord_core_signals::limits::DISCORD_EPOCH_MS;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::Url;

/// Characters kept as-is in a path parameter: RFC 3986 "unreserved" ones.
/// Everything else (`/`, `?`, `#`, `%`, `:`, spaces, non-ASCII such as a
/// unicode emoji) is percent-encoded, so a value can never change the path.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Messages older than this are deleted through a separate, stricter limit
/// on Discord's side, so their deletes get their own key.
const OLD_MESSAGE_AGE_MS: u64 = 14 * 24 * 60 * 60 * 1000;

/// What a token segment shows as wherever a route, path or URL is displayed.
const REDACTED: &str = "<redacted>";

/// Rewrites the segments of `path` that hold a webhook or interaction token
/// with `replace`: the segment after `webhooks/{id}/` (a webhook token, or
/// an interaction token in `webhooks/{application_id}/{token}`) and after
/// `interactions/{id}/`. Returns `None` when nothing was rewritten.
///
/// This looks at the shape of the path, not at parameter names, so a token
/// written into a template as literal text is found too.
fn rewrite_token_slots(path: &str, replace: impl Fn(&str) -> Option<String>) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out: Option<String> = None;
    for (i, segment) in segments.iter().enumerate() {
        let slot = i >= 2
            && !segment.is_empty()
            && ["webhooks", "interactions"]
                .iter()
                .any(|top| segments[i - 2].eq_ignore_ascii_case(top));
        let new = slot.then(|| replace(segment)).flatten();
        if new.is_some() && out.is_none() {
            // Everything before this segment, unchanged.
            out = Some(segments[..i].iter().map(|s| format!("{s}/")).collect());
        }
        if let Some(out) = &mut out {
            out.push_str(new.as_deref().unwrap_or(segment));
            if i + 1 < segments.len() {
                out.push('/');
            }
        }
    }
    out
}

/// Whether a template segment is exactly one `{placeholder}` (a name, not a
/// value).
fn is_placeholder(segment: &str) -> bool {
    segment.len() > 2
        && segment.starts_with('{')
        && segment.ends_with('}')
        && !segment[1..segment.len() - 1].contains(['{', '}'])
}

/// A template or path as it may be shown in errors, spans, logs and
/// `Debug`: a token written into it as literal text becomes `<redacted>`
/// (`/webhooks/1/abc` → `/webhooks/1/<redacted>`); a `{placeholder}` is a
/// name and stays.
pub(crate) fn redact_template(template: &str) -> Cow<'_, str> {
    match rewrite_token_slots(template, |segment| {
        (!is_placeholder(segment)).then(|| REDACTED.to_owned())
    }) {
        Some(redacted) => Cow::Owned(redacted),
        None => Cow::Borrowed(template),
    }
}

/// `url` as it may be shown: credentials (`user:password@`) in its
/// authority become `<redacted>@`. Works on text that does not parse as a
/// URL too, so an invalid URL can be shown in the error about it.
pub(crate) fn redact_userinfo(url: &str) -> Cow<'_, str> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => Cow::Owned(format!("{}{REDACTED}{}", &url[..start], &rest[at..])),
        None => Cow::Borrowed(url),
    }
}

/// [`redact_template`] for an owned template, without copying one that
/// needs no change.
pub(crate) fn redact_template_cow(template: Cow<'static, str>) -> Cow<'static, str> {
    match redact_template(&template) {
        Cow::Owned(redacted) => Cow::Owned(redacted),
        Cow::Borrowed(_) => template,
    }
}

/// An HTTP method Discord's REST API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method name in upper case.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    /// Whether repeating the request cannot change the outcome (RFC 9110
    /// §9.2.2): `GET`, `PUT` and `DELETE`. Only these are retried after a 5xx
    /// or a connection error.
    pub const fn is_idempotent(self) -> bool {
        matches!(self, Self::Get | Self::Put | Self::Delete)
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Self::Get => reqwest::Method::GET,
            Self::Post => reqwest::Method::POST,
            Self::Put => reqwest::Method::PUT,
            Self::Patch => reqwest::Method::PATCH,
            Self::Delete => reqwest::Method::DELETE,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a [`Route`] could not be turned into a path, key or URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The template names a parameter that was never given.
    #[error("route `{template}` needs parameter `{name}`: add `.param(\"{name}\", value)`")]
    MissingParam {
        /// The route template, with a token written into it redacted.
        template: String,
        /// The parameter name.
        name: String,
    },
    /// A parameter was given that the template does not contain.
    #[error("route `{template}` has no `{{{name}}}` placeholder: check the parameter name")]
    UnknownParam {
        /// The route template, with a token written into it redacted.
        template: String,
        /// The parameter name.
        name: String,
    },
    /// The same parameter was given twice.
    #[error("parameter `{name}` was given twice for route `{template}`")]
    DuplicateParam {
        /// The route template, with a token written into it redacted.
        template: String,
        /// The parameter name.
        name: String,
    },
    /// A parameter value was empty, which would produce an empty path segment.
    #[error("parameter `{name}` of route `{template}` is empty")]
    EmptyParam {
        /// The route template, with a token written into it redacted.
        template: String,
        /// The parameter name.
        name: String,
    },
    /// A parameter value would make a path segment `.` or `..`. URL parsers
    /// resolve those (percent-encoded as `%2E` too), so the request would go
    /// to another endpoint; no Discord resource has such a name.
    #[error("parameter `{name}` of route `{template}` makes a `.` or `..` path segment, which would change the endpoint: pass the real value")]
    DotSegment {
        /// The route template, with a token written into it redacted.
        template: String,
        /// The parameter name.
        name: String,
    },
    /// The template itself is malformed.
    #[error("route template `{template}` is malformed: {reason}")]
    InvalidTemplate {
        /// The route template, with a token written into it redacted.
        template: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The API base URL could not be parsed or joined with the path.
    #[error("API base `{base}` is not a valid http(s) URL")]
    InvalidBase {
        /// The base as given, with any `user:password@` redacted.
        base: String,
    },
}

/// One piece of a parsed template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'t> {
    Literal(&'t str),
    Param(&'t str),
}

/// Parses a template into literal and placeholder pieces.
fn parse_template(template: &str) -> Result<Vec<Piece<'_>>, RouteError> {
    let invalid = |reason| RouteError::InvalidTemplate {
        template: redact_template(template).into_owned(),
        reason,
    };
    if !template.starts_with('/') {
        return Err(invalid("it must start with `/`"));
    }
    if template.contains(['?', '#']) {
        return Err(invalid(
            "it must not contain `?` or `#`; use `.query(..)` on the request",
        ));
    }
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(invalid("`}` without a matching `{`"));
        }
        if open > 0 {
            pieces.push(Piece::Literal(&rest[..open]));
        }
        let after = &rest[open + 1..];
        let close = after
            .find(['{', '}'])
            .filter(|&i| after.as_bytes()[i] == b'}')
            .ok_or_else(|| invalid("`{` without a matching `}`"))?;
        let name = &after[..close];
        if name.is_empty() {
            return Err(invalid("empty placeholder `{}`"));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            return Err(invalid(
                "placeholder names may only use letters, digits, `_` and `.`",
            ));
        }
        pieces.push(Piece::Param(name));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest));
    }
    Ok(pieces)
}

/// A REST route: method, path template (`/channels/{channel_id}/messages`)
/// and parameter values.
///
/// The template is kept so the rate-limit key can be derived from it (see
/// [`Route::ratelimit_key`]); values are percent-encoded when the path is
/// built. Any endpoint can be called this way, including ones acord has not
/// wrapped yet.
///
/// ```
/// use acord_core_http::{build_url, Method, Route};
///
/// let route = Route::new(Method::Delete, "/users/@me/guilds/{guild_id}")
///     .param("guild_id", 81384788765712384u64);
/// let url = build_url("https://discord.com/api", 10, &route)?;
/// assert_eq!(url.as_str(), "https://discord.com/api/v10/users/@me/guilds/81384788765712384");
/// # Ok::<(), acord_core_http::RouteError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Route {
    method: Method,
    template: Cow<'static, str>,
    params: Vec<(Cow<'static, str>, String)>,
}

impl fmt::Debug for Route {
    // Parameter values are left out: a webhook or interaction token is a
    // parameter value and must not reach logs. A token written into the
    // template itself is redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("method", &self.method)
            .field("template", &redact_template(&self.template))
            .field(
                "params",
                &self.params.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl fmt::Display for Route {
    /// `METHOD template`, with a token written into the template redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, redact_template(&self.template))
    }
}

impl Route {
    /// Creates a route from a method and a path template relative to the
    /// versioned API base, with `{name}` placeholders.
    pub fn new(method: Method, template: impl Into<Cow<'static, str>>) -> Self {
        Self {
            method,
            template: template.into(),
            params: Vec::new(),
        }
    }

    /// Sets the value of the `{name}` placeholder. Values are percent-encoded
    /// when the path is built; give them raw (a unicode emoji as-is). A value
    /// that would make a whole segment `.` or `..` is refused when the path is
    /// built ([`RouteError::DotSegment`]), so it can never change the endpoint.
    #[must_use]
    pub fn param(mut self, name: impl Into<Cow<'static, str>>, value: impl fmt::Display) -> Self {
        self.params.push((name.into(), value.to_string()));
        self
    }

    /// The HTTP method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The path template as given, e.g. `/channels/{channel_id}/messages`.
    ///
    /// This is the raw text: if a webhook or interaction token was written
    /// into it (rather than given with [`param`](Self::param)), it is here.
    /// Show a route with `Display` or `Debug`, which redact it.
    pub fn template(&self) -> &str {
        &self.template
    }

    pub(crate) fn template_cow(&self) -> Cow<'static, str> {
        self.template.clone()
    }

    /// Checks that every placeholder has exactly one non-empty value and
    /// every value a placeholder; returns the parsed template.
    fn checked(&self) -> Result<Vec<Piece<'_>>, RouteError> {
        let pieces = parse_template(&self.template)?;
        let err_name = |name: &str| {
            (
                redact_template(&self.template).into_owned(),
                name.to_owned(),
            )
        };
        for (i, (name, value)) in self.params.iter().enumerate() {
            if self.params[..i].iter().any(|(n, _)| n == name) {
                let (template, name) = err_name(name);
                return Err(RouteError::DuplicateParam { template, name });
            }
            if !pieces.contains(&Piece::Param(name)) {
                let (template, name) = err_name(name);
                return Err(RouteError::UnknownParam { template, name });
            }
            if value.is_empty() {
                let (template, name) = err_name(name);
                return Err(RouteError::EmptyParam { template, name });
            }
        }
        for piece in &pieces {
            if let Piece::Param(name) = piece {
                if self.value(name).is_none() {
                    let (template, name) = err_name(name);
                    return Err(RouteError::MissingParam { template, name });
                }
            }
        }
        Ok(pieces)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Builds the percent-encoded path, e.g. `/users/@me/guilds/123`.
    ///
    /// # Errors
    ///
    /// A [`RouteError`] if the template is malformed or a parameter is
    /// missing, unknown, duplicated or empty, or would make a `.` or `..`
    /// segment ([`RouteError::DotSegment`]).
    pub fn path(&self) -> Result<String, RouteError> {
        let pieces = self.checked()?;
        let mut path = String::with_capacity(self.template.len() + 32);
        // Where the current segment starts, and its first placeholder.
        let mut start = 0;
        let mut param = None;
        for piece in pieces {
            match piece {
                Piece::Literal(text) => {
                    let mut parts = text.split('/');
                    if let Some(first) = parts.next() {
                        path.push_str(first);
                    }
                    for part in parts {
                        self.check_segment(&path[start..], param)?;
                        path.push('/');
                        start = path.len();
                        param = None;
                        path.push_str(part);
                    }
                }
                Piece::Param(name) => {
                    param.get_or_insert(name);
                    let value = self.value(name).unwrap_or_default();
                    path.extend(utf8_percent_encode(value, PATH_SEGMENT));
                }
            }
        }
        self.check_segment(&path[start..], param)?;
        Ok(path)
    }

    /// Refuses a built segment that a URL parser would resolve away,
    /// naming the placeholder that made it.
    fn check_segment(&self, segment: &str, param: Option<&str>) -> Result<(), RouteError> {
        if !is_dot_segment(segment) {
            return Ok(());
        }
        let template = redact_template(&self.template).into_owned();
        Err(match param {
            Some(name) => RouteError::DotSegment {
                template,
                name: name.to_owned(),
            },
            None => RouteError::InvalidTemplate {
                template,
                reason: "a `.` or `..` segment would be resolved away; remove it",
            },
        })
    }

    /// Derives the rate-limit key of this route (see [`RouteKey`]).
    ///
    /// # Errors
    ///
    /// The same [`RouteError`]s as [`Route::path`].
    pub fn ratelimit_key(&self) -> Result<RouteKey, RouteError> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        derive_key(self, now_ms)
    }

    /// Builds the full URL; the same as [`build_url`].
    ///
    /// # Errors
    ///
    /// See [`build_url`].
    pub fn to_url(&self, api_base: &str, api_version: u8) -> Result<Url, RouteError> {
        build_url(api_base, api_version, self)
    }
}

/// Builds a route, `route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = id)`.
///
/// The method is one of `GET`, `POST`, `PUT`, `PATCH`, `DELETE`; each
/// `name = value` pair becomes a [`Route::param`].
///
/// ```
/// use acord_core_http::{route, Method, Route};
///
/// let id = 41771983423143937u64;
/// let route = route!(POST "/channels/{channel_id}/messages", channel_id = id);
/// assert_eq!(route, Route::new(Method::Post, "/channels/{channel_id}/messages").param("channel_id", id));
/// ```
#[macro_export]
macro_rules! route {
    (@method GET) => { $crate::Method::Get };
    (@method POST) => { $crate::Method::Post };
    (@method PUT) => { $crate::Method::Put };
    (@method PATCH) => { $crate::Method::Patch };
    (@method DELETE) => { $crate::Method::Delete };
    ($method:ident $template:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::Route::new($crate::route!(@method $method), $template)
            $(.param(stringify!($name), $value))*
    };
}

/// Joins `api_base`, `/v{api_version}` and the route's path into a URL.
///
/// `api_base` is `https://discord.com/api` by default
/// ([`acord_core_signals::DEFAULT_API_BASE`]); point it at a proxy or at
/// acord-testkit. A trailing `/` on the base is ignored.
///
/// # Errors
///
/// [`RouteError::InvalidBase`] when the base is not an http(s) URL, and the
/// errors of [`Route::path`].
pub fn build_url(api_base: &str, api_version: u8, route: &Route) -> Result<Url, RouteError> {
    let path = route.path()?;
    let base = api_base.trim_end_matches('/');
    let invalid = || RouteError::InvalidBase {
        base: redact_userinfo(api_base).into_owned(),
    };
    let url = Url::parse(&format!("{base}/v{api_version}{path}")).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
        return Err(invalid());
    }
    Ok(url)
}

/// The rate-limit identity of a request, derived by [`Route::ratelimit_key`].
///
/// - `route` is the method plus the normalised template: every placeholder
///   and every all-digit literal segment becomes `{}`, the major parameter
///   becomes `{major}`, so two routes that differ only in a non-major
///   snowflake share a key. Reaction routes collapse everything after
///   `/reactions` (Discord limits them together whatever the emoji), and
///   deleting a message older than 14 days gets its own key (Discord limits
///   those separately). Emoji routes are keyed per guild like every guild
///   route; their headers can be inaccurate, so a 429 despite `remaining > 0`
///   becomes a learned sub-limit in the rate limiter.
/// - `major` is the top-level resource (`channel:ID`, `guild:ID`,
///   `webhook:ID:TOKENHASH`, `interaction:ID`) or empty. Tokens are hashed,
///   never stored.
/// - interaction callbacks and follow-ups (`/interactions/{id}/{token}/callback`,
///   `/webhooks/{application_id}/{interaction_token}…`) are exempt from the
///   global limit ([`RouteKey::is_global_exempt`]).
/// - `resource` is the method and the full path with every id
///   ([`RouteKey::resource`]), for limits narrower than a bucket. It is not
///   part of the key's identity: two keys are equal (and hash alike) when
///   `route`, `major` and the exemption match, whatever their resource.
///
/// No part of a key holds a webhook or interaction token, whether it was a
/// parameter or written into the template: tokens are hashed.
#[derive(Clone, Debug)]
pub struct RouteKey {
    route: Arc<str>,
    major: Arc<str>,
    resource: Arc<str>,
    global_exempt: bool,
}

impl PartialEq for RouteKey {
    fn eq(&self, other: &Self) -> bool {
        self.route == other.route
            && self.major == other.major
            && self.global_exempt == other.global_exempt
    }
}

impl Eq for RouteKey {}

impl std::hash::Hash for RouteKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.route.hash(state);
        self.major.hash(state);
        self.global_exempt.hash(state);
    }
}

impl RouteKey {
    /// The method and normalised template, e.g. `POST /channels/{major}/messages`.
    pub fn route(&self) -> &str {
        &self.route
    }

    /// The major parameter, e.g. `channel:123`, or `""`.
    pub fn major(&self) -> &str {
        &self.major
    }

    /// Whether Discord exempts this route from the global limit (interaction
    /// callbacks and follow-ups).
    pub fn is_global_exempt(&self) -> bool {
        self.global_exempt
    }

    /// The method and the full percent-encoded path with all its ids, e.g.
    /// `POST /applications/1/guilds/2/commands`: the resource a limit
    /// narrower than the bucket applies to (the default limiter keys learned
    /// sub-limits on it). A webhook or interaction token in the path is
    /// replaced by a hash of it, `<token:…>`.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    pub(crate) fn route_arc(&self) -> &Arc<str> {
        &self.route
    }

    pub(crate) fn major_arc(&self) -> &Arc<str> {
        &self.major
    }

    pub(crate) fn resource_arc(&self) -> &Arc<str> {
        &self.resource
    }
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.major.is_empty() {
            f.write_str(&self.route)
        } else {
            write!(f, "{} [{}]", self.route, self.major)
        }
    }
}

/// What one path segment is, for key derivation.
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    /// Literal text.
    Lit(&'a str),
    /// A whole-segment placeholder: name and value.
    Param(&'a str, &'a str),
    /// Anything mixing text and placeholders.
    Mixed,
}

impl<'a> Seg<'a> {
    /// The value a segment stands for, if it can be a resource id.
    fn value(self) -> Option<&'a str> {
        match self {
            Seg::Lit(text) => Some(text),
            Seg::Param(_, value) => Some(value),
            Seg::Mixed => None,
        }
    }

    fn name(self) -> Option<&'a str> {
        match self {
            Seg::Param(name, _) => Some(name),
            _ => None,
        }
    }

    fn is_lit(self, text: &str) -> bool {
        matches!(self, Seg::Lit(t) if t == text)
    }

    /// Variable parts (placeholders, snowflakes written into the template)
    /// normalise to `{}`.
    fn normalised(self) -> &'a str {
        match self {
            Seg::Lit(text) if !is_snowflake(text) => text,
            _ => "{}",
        }
    }
}

fn is_snowflake(text: &str) -> bool {
    !text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a URL parser (WHATWG, as in the `url` crate) treats `segment` as
/// `.` or `..` and resolves it: `%2E` in any case counts as a dot.
fn is_dot_segment(segment: &str) -> bool {
    matches!(
        segment.to_ascii_lowercase().as_str(),
        "." | ".." | "%2e" | ".%2e" | "%2e." | "%2e%2e"
    )
}

/// A stable, non-reversible tag for a token, so keys and logs never hold it.
fn token_tag(token: &str) -> String {
    // `BuildHasherDefault<DefaultHasher>` uses fixed keys: the same token
    // always gives the same tag within and across processes.
    let mut hasher =
        std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().build_hasher();
    hasher.write(token.as_bytes());
    format!("{:016x}", hasher.finish())
}

/// THE bucket-key derivation (discord-protocol.md §2.1). Everything that
/// decides which requests share a limit lives here.
fn derive_key(route: &Route, now_unix_ms: u64) -> Result<RouteKey, RouteError> {
    let pieces = route.checked()?;
    // Re-split the template by `/`, classifying each segment.
    let mut segs: Vec<Seg<'_>> = Vec::new();
    let mut current: Vec<Piece<'_>> = Vec::new();
    fn flush<'a>(route: &'a Route, current: &mut Vec<Piece<'a>>, segs: &mut Vec<Seg<'a>>) {
        let seg = match current.as_slice() {
            [] => None,
            [Piece::Literal(text)] => Some(Seg::Lit(text)),
            [Piece::Param(name)] => Some(Seg::Param(name, route.value(name).unwrap_or_default())),
            _ => Some(Seg::Mixed),
        };
        current.clear();
        if let Some(seg) = seg {
            segs.push(seg);
        }
    }
    for piece in &pieces {
        match *piece {
            Piece::Param(_) => current.push(*piece),
            Piece::Literal(text) => {
                let mut parts = text.split('/');
                if let Some(first) = parts.next() {
                    if !first.is_empty() {
                        current.push(Piece::Literal(first));
                    }
                }
                for part in parts {
                    flush(route, &mut current, &mut segs);
                    if !part.is_empty() {
                        current.push(Piece::Literal(part));
                    }
                }
            }
        }
    }
    flush(route, &mut current, &mut segs);

    let seg = |i: usize| segs.get(i).copied();
    let name_is = |s: Option<Seg<'_>>, names: &[&str]| {
        s.and_then(Seg::name)
            .is_some_and(|n| names.iter().any(|x| n.eq_ignore_ascii_case(x)))
    };

    // Major parameter: how many leading segments it covers, and its key.
    let mut global_exempt = false;
    let mut major = String::new();
    let mut major_len = 0;
    let top = seg(0);
    let id = seg(1).and_then(Seg::value);
    match (top, id) {
        (Some(t), Some(id)) if t.is_lit("channels") && id != "@me" => {
            major = format!("channel:{id}");
            major_len = 2;
        }
        (Some(t), Some(id)) if t.is_lit("guilds") && id != "@me" => {
            major = format!("guild:{id}");
            major_len = 2;
        }
        (Some(t), Some(id)) if t.is_lit("webhooks") => {
            major_len = 2;
            major = format!("webhook:{id}");
            // The token segment, if any: a placeholder or a literal that is
            // not the start of a sub-path.
            let token = seg(2).filter(|s| match s {
                Seg::Param(..) => true,
                Seg::Lit(text) => !matches!(*text, "messages" | "slack" | "github"),
                Seg::Mixed => false,
            });
            if let Some(token) = token.and_then(Seg::value) {
                major_len = 3;
                major.push(':');
                major.push_str(&token_tag(token));
            }
            // Interaction follow-ups and original-response routes are
            // `/webhooks/{application_id}/{interaction_token}…`.
            global_exempt = name_is(seg(1), &["application_id", "application.id"])
                || name_is(seg(2), &["interaction_token", "interaction.token"]);
        }
        (Some(t), Some(id)) if t.is_lit("interactions") => {
            // Each interaction is its own resource; the token is not needed in
            // the key because the id is unique (and must never be in it).
            major = format!("interaction:{id}");
            major_len = segs.len().min(3);
            global_exempt = segs.last().is_some_and(|s| s.is_lit("callback"));
        }
        _ => {}
    }

    let mut key = String::with_capacity(route.template.len() + 8);
    key.push_str(route.method.as_str());
    key.push(' ');
    for (i, s) in segs.iter().enumerate() {
        key.push('/');
        if i < major_len {
            // Segment 0 is the literal resource name (`channels`, …).
            key.push_str(if i == 0 { s.normalised() } else { "{major}" });
            continue;
        }
        if i > 0 && segs[i - 1].is_lit("reactions") {
            // Every reaction route below `/reactions` shares a limit,
            // whatever the emoji or user.
            key.push('*');
            break;
        }
        key.push_str(s.normalised());
    }
    if segs.is_empty() {
        key.push('/');
    }

    // Deleting a message older than 14 days has its own, stricter limit.
    if route.method == Method::Delete
        && major.starts_with("channel:")
        && segs.len() == 4
        && seg(2).is_some_and(|s| s.is_lit("messages"))
    {
        let message_ms = seg(3)
            .and_then(Seg::value)
            .and_then(|v| v.parse::<u64>().ok())
            .map(|id| (id >> 22).saturating_add(DISCORD_EPOCH_MS));
        if message_ms.is_some_and(|ms| now_unix_ms.saturating_sub(ms) > OLD_MESSAGE_AGE_MS) {
            key.push_str(" (old message)");
        }
    }

    Ok(RouteKey {
        route: key.into(),
        major: major.into(),
        resource: resource(route, &pieces).into(),
        global_exempt,
    })
}

/// `METHOD /full/path` with the values percent-encoded as in the URL and any
/// webhook or interaction token replaced by its tag.
fn resource(route: &Route, pieces: &[Piece<'_>]) -> String {
    let mut path = String::with_capacity(route.template.len() + 32);
    for piece in pieces {
        match *piece {
            Piece::Literal(text) => path.push_str(text),
            Piece::Param(name) => {
                path.extend(utf8_percent_encode(
                    route.value(name).unwrap_or_default(),
                    PATH_SEGMENT,
                ));
            }
        }
    }
    let path = rewrite_token_slots(&path, |token| Some(format!("<token:{}>", token_tag(token))))
        .unwrap_or(path);
    format!("{} {path}", route.method)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(route: &Route) -> RouteKey {
        route.ratelimit_key().unwrap()
    }

    #[test]
    fn builds_urls_with_version_and_encoding() {
        let route = Route::new(
            Method::Put,
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
        )
        .param("channel_id", 1)
        .param("message_id", 2)
        .param("emoji", "👍");
        let url = build_url("http://127.0.0.1:9/api/", 9, &route).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/api/v9/channels/1/messages/2/reactions/%F0%9F%91%8D/@me"
        );
        let custom = Route::new(Method::Get, "/x/{v}").param("v", "a/b?c#d e:f%");
        assert_eq!(custom.path().unwrap(), "/x/a%2Fb%3Fc%23d%20e%3Af%25");
        assert_eq!(
            route!(GET "/users/@me")
                .to_url("https://discord.com/api", 10)
                .unwrap()
                .as_str(),
            "https://discord.com/api/v10/users/@me"
        );
    }

    #[test]
    fn parameter_errors_are_typed() {
        let missing = Route::new(Method::Delete, "/users/@me/guilds/{guild_id}");
        assert!(
            matches!(missing.path(), Err(RouteError::MissingParam { name, .. }) if name == "guild_id")
        );
        let unknown = missing.clone().param("guild_id", 1).param("guild", 2);
        assert!(
            matches!(unknown.path(), Err(RouteError::UnknownParam { name, .. }) if name == "guild")
        );
        let dup = Route::new(Method::Get, "/guilds/{guild_id}")
            .param("guild_id", 1)
            .param("guild_id", 2);
        assert!(matches!(
            dup.ratelimit_key(),
            Err(RouteError::DuplicateParam { .. })
        ));
        let empty = Route::new(Method::Get, "/guilds/{guild_id}").param("guild_id", "");
        assert!(matches!(empty.path(), Err(RouteError::EmptyParam { .. })));
        for bad in [
            "users/@me",
            "/a/{",
            "/a/}",
            "/a/{}",
            "/a/{b c}",
            "/a?x=1",
            "/a/{b{c}}",
        ] {
            assert!(
                matches!(
                    Route::new(Method::Get, bad).path(),
                    Err(RouteError::InvalidTemplate { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            build_url("not a url", 10, &route!(GET "/gateway")),
            Err(RouteError::InvalidBase { .. })
        ));
        assert!(matches!(
            build_url("ftp://x/api", 10, &route!(GET "/gateway")),
            Err(RouteError::InvalidBase { .. })
        ));
        // Display says what to fix.
        let text = missing.path().unwrap_err().to_string();
        assert!(text.contains(".param(\"guild_id\""), "{text}");
    }

    #[test]
    fn dot_segments_are_refused() {
        let react = |emoji: &str| {
            Route::new(Method::Put, REACTION)
                .param("channel_id", 1)
                .param("message_id", 2)
                .param("emoji", emoji.to_owned())
        };
        for dots in [".", ".."] {
            let route = react(dots);
            assert!(
                matches!(route.path(), Err(RouteError::DotSegment { name, .. }) if name == "emoji")
            );
            assert!(route.to_url("https://discord.com/api", 10).is_err());
            assert_eq!(route.ratelimit_key().unwrap(), key(&react("👍")));
        }
        // Dots inside a longer value stay as they are.
        assert_eq!(
            react("...").path().unwrap(),
            "/channels/1/messages/2/reactions/.../@me"
        );
        assert_eq!(
            react("a.b").path().unwrap(),
            "/channels/1/messages/2/reactions/a.b/@me"
        );
        // Two placeholders that together make `..`.
        let joined = Route::new(Method::Get, "/x/{a}{b}")
            .param("a", ".")
            .param("b", ".");
        assert!(matches!(joined.path(), Err(RouteError::DotSegment { name, .. }) if name == "a"));
        // `%2E` in a value is a literal `%`, so it cannot sneak a dot in.
        assert_eq!(
            react("%2E").path().unwrap(),
            "/channels/1/messages/2/reactions/%252E/@me"
        );
        assert!(matches!(
            Route::new(Method::Get, "/x/%2e%2E/y").path(),
            Err(RouteError::InvalidTemplate { .. })
        ));
    }

    #[test]
    fn major_parameters() {
        let k = key(&route!(POST "/channels/{channel_id}/messages", channel_id = 5));
        assert_eq!(k.route(), "POST /channels/{major}/messages");
        assert_eq!(k.major(), "channel:5");
        assert!(!k.is_global_exempt());
        let g = key(
            &Route::new(Method::Get, "/guilds/{guild.id}/members/{user.id}")
                .param("guild.id", 7)
                .param("user.id", 8),
        );
        assert_eq!(g.route(), "GET /guilds/{major}/members/{}");
        assert_eq!(g.major(), "guild:7");
        let leave = key(&route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = 9));
        assert_eq!(leave.route(), "DELETE /users/@me/guilds/{}");
        assert_eq!(leave.major(), "");
        // A snowflake written into the template is still the major value.
        let lit = key(&route!(GET "/channels/123/messages/456"));
        assert_eq!(lit.route(), "GET /channels/{major}/messages/{}");
        assert_eq!(lit.major(), "channel:123");
    }

    #[test]
    fn webhooks_and_interactions() {
        let exec = key(
            &route!(POST "/webhooks/{webhook_id}/{webhook_token}", webhook_id = 1, webhook_token = "secret-token"),
        );
        assert_eq!(exec.route(), "POST /webhooks/{major}/{major}");
        assert!(exec.major().starts_with("webhook:1:"));
        assert!(!exec.major().contains("secret"));
        assert!(!exec.is_global_exempt());
        let other = key(
            &route!(POST "/webhooks/{webhook_id}/{webhook_token}", webhook_id = 1, webhook_token = "other"),
        );
        assert_ne!(exec.major(), other.major());
        let plain = key(&route!(GET "/webhooks/{webhook_id}", webhook_id = 1));
        assert_eq!(plain.major(), "webhook:1");

        let follow = key(
            &route!(POST "/webhooks/{application_id}/{interaction_token}", application_id = 3, interaction_token = "tok"),
        );
        assert!(follow.is_global_exempt());
        let original = key(
            &route!(PATCH "/webhooks/{application_id}/{interaction_token}/messages/@original", application_id = 3, interaction_token = "tok"),
        );
        assert!(original.is_global_exempt());
        assert_eq!(
            original.route(),
            "PATCH /webhooks/{major}/{major}/messages/@original"
        );
        let callback = key(
            &route!(POST "/interactions/{interaction_id}/{interaction_token}/callback", interaction_id = 11, interaction_token = "tok"),
        );
        assert!(callback.is_global_exempt());
        assert_eq!(callback.major(), "interaction:11");
        assert!(!format!("{callback:?}{callback}").contains("tok\""));
    }

    #[test]
    fn reactions_share_a_key_whatever_the_emoji() {
        let a = key(
            &route!(PUT "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", channel_id = 1, message_id = 2, emoji = "👍"),
        );
        let b = key(
            &route!(PUT "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", channel_id = 1, message_id = 3, emoji = "name:123"),
        );
        let c = key(&Route::new(
            Method::Put,
            "/channels/{channel_id}/messages/{message_id}/reactions/%F0%9F%98%80/@me",
        )
        .param("channel_id", 1)
        .param("message_id", 2));
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.route(), "PUT /channels/{major}/messages/{}/reactions/*");
    }

    #[test]
    fn old_message_deletes_are_keyed_apart() {
        let now_ms = 1_800_000_000_000u64;
        let fresh_id = (now_ms - DISCORD_EPOCH_MS - 1000) << 22;
        let old_id = (now_ms - DISCORD_EPOCH_MS - OLD_MESSAGE_AGE_MS - 1000) << 22;
        let del = |id: u64| {
            derive_key(&route!(DELETE "/channels/{channel_id}/messages/{message_id}", channel_id = 1, message_id = id), now_ms).unwrap()
        };
        assert_eq!(
            del(fresh_id).route(),
            "DELETE /channels/{major}/messages/{}"
        );
        assert_eq!(
            del(old_id).route(),
            "DELETE /channels/{major}/messages/{} (old message)"
        );
        assert_eq!(del(fresh_id).major(), del(old_id).major());
        // Only for deletes.
        let get = derive_key(&route!(GET "/channels/{channel_id}/messages/{message_id}", channel_id = 1, message_id = old_id), now_ms).unwrap();
        assert_eq!(get.route(), "GET /channels/{major}/messages/{}");
    }

    #[test]
    fn method_properties() {
        assert!(
            Method::Get.is_idempotent()
                && Method::Put.is_idempotent()
                && Method::Delete.is_idempotent()
        );
        assert!(!Method::Post.is_idempotent() && !Method::Patch.is_idempotent());
        assert_eq!(Method::Patch.to_string(), "PATCH");
    }

    #[test]
    fn debug_hides_values() {
        let r = route!(POST "/webhooks/{webhook_id}/{webhook_token}", webhook_id = 1, webhook_token = "hunter2");
        assert!(!format!("{r:?}").contains("hunter2"));
        assert!(!r.to_string().contains("hunter2"));
    }

    #[test]
    fn literal_tokens_are_redacted_wherever_a_route_is_shown() {
        let cases = [
            ("/webhooks/1/SeCrEt-tok_en", "/webhooks/1/<redacted>"),
            (
                "/webhooks/1/SeCrEt-tok_en/messages/@original",
                "/webhooks/1/<redacted>/messages/@original",
            ),
            (
                "/interactions/9/SeCrEt-tok_en/callback",
                "/interactions/9/<redacted>/callback",
            ),
            (
                "/webhooks/{id}/SeCrEt-tok_en{x}",
                "/webhooks/{id}/<redacted>",
            ),
            // Placeholders are names, not values: they stay.
            (
                "/webhooks/{webhook_id}/{webhook_token}",
                "/webhooks/{webhook_id}/{webhook_token}",
            ),
            (
                "/channels/{channel_id}/webhooks",
                "/channels/{channel_id}/webhooks",
            ),
            ("/webhooks/1", "/webhooks/1"),
        ];
        for (template, shown) in cases {
            assert_eq!(redact_template(template), shown);
        }
        let route = Route::new(
            Method::Get,
            "/webhooks/1/SeCrEt-tok_en/messages/{message_id}",
        );
        let missing = route.path().unwrap_err();
        let ratelimit_key = route
            .clone()
            .param("message_id", 2)
            .ratelimit_key()
            .unwrap();
        let shown =
            format!("{route:?} {route} {missing} {missing:?} {ratelimit_key:?} {ratelimit_key}");
        assert!(!shown.contains("SeCrEt"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        // A literal token on an interaction route is hashed in the key too.
        let odd = key(&Route::new(
            Method::Get,
            "/interactions/9/SeCrEt-tok_en/extra",
        ));
        assert_eq!(odd.route(), "GET /interactions/{major}/{major}/extra");
        assert!(!format!("{odd:?}").contains("SeCrEt"));
        assert!(!odd.is_global_exempt());
    }

    #[test]
    fn resources_name_the_full_path_without_tokens() {
        let a = key(
            &route!(POST "/applications/{application_id}/guilds/{guild_id}/commands", application_id = 7, guild_id = 1),
        );
        let b = key(
            &route!(POST "/applications/{application_id}/guilds/{guild_id}/commands", application_id = 7, guild_id = 2),
        );
        // One bucket key (no major parameter), two resources.
        assert_eq!(a, b);
        assert_eq!(a.resource(), "POST /applications/7/guilds/1/commands");
        assert_eq!(b.resource(), "POST /applications/7/guilds/2/commands");
        let hook = |token: &str| {
            key(
                &route!(POST "/webhooks/{webhook_id}/{webhook_token}", webhook_id = 1, webhook_token = token),
            )
        };
        let literal = key(&Route::new(Method::Post, "/webhooks/1/hunter2"));
        assert_eq!(hook("hunter2").resource(), literal.resource());
        assert_ne!(hook("hunter2").resource(), hook("other").resource());
        assert!(literal.resource().starts_with("POST /webhooks/1/<token:"));
        assert!(!literal.resource().contains("hunter2"));
    }

    #[test]
    fn userinfo_is_redacted() {
        assert_eq!(
            redact_userinfo("http://user:pass@proxy:3128/x?y@z"),
            "http://<redacted>@proxy:3128/x?y@z"
        );
        assert_eq!(
            redact_userinfo("user:pass@proxy:3128"),
            "<redacted>@proxy:3128"
        );
        assert_eq!(
            redact_userinfo("https://discord.com/api"),
            "https://discord.com/api"
        );
        let err = build_url("http://u:hunter2@ bad/api", 10, &route!(GET "/gateway")).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");
    }

    const TEMPLATES: &[&str] = &[
        "/channels/{channel_id}/messages/{message_id}",
        "/guilds/{guild_id}/members/{message_id}",
        "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
        "/guilds/{guild_id}/bans/{message_id}",
        "/channels/{channel_id}/pins/{message_id}",
    ];

    fn route_for(t: usize, method: Method, major: u64, minor: u64) -> Route {
        let template = TEMPLATES[t];
        let major_name = if template.starts_with("/guilds") {
            "guild_id"
        } else {
            "channel_id"
        };
        let mut r = Route::new(method, template)
            .param(major_name, major)
            .param("message_id", minor);
        if template.contains("{emoji}") {
            r = r.param("emoji", format!("e{minor}"));
        }
        r
    }

    const REACTION: &str = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me";

    /// Any printable string, often exactly `.` or `..`.
    fn param_value() -> impl Strategy<Value = String> {
        prop_oneof![Just(".".to_owned()), Just("..".to_owned()), "\\PC{1,40}",]
    }

    proptest! {
        #[test]
        fn non_major_snowflakes_share_a_key(t in 0..TEMPLATES.len(), major in 1u64.., a in 1u64.., b in 1u64..) {
            // GETs: old-message deletes are a documented exception.
            let ka = route_for(t, Method::Get, major, a).ratelimit_key().unwrap();
            let kb = route_for(t, Method::Get, major, b).ratelimit_key().unwrap();
            prop_assert_eq!(ka, kb);
        }

        #[test]
        fn different_majors_do_not_share(t in 0..TEMPLATES.len(), m1 in 1u64.., m2 in 1u64.., minor in 1u64..) {
            prop_assume!(m1 != m2);
            let k1 = route_for(t, Method::Patch, m1, minor).ratelimit_key().unwrap();
            let k2 = route_for(t, Method::Patch, m2, minor).ratelimit_key().unwrap();
            prop_assert_eq!(k1.route(), k2.route());
            prop_assert_ne!(k1, k2);
        }

        #[test]
        fn different_methods_do_not_share(t in 0..TEMPLATES.len(), major in 1u64.., minor in 1u64..) {
            let k1 = route_for(t, Method::Get, major, minor).ratelimit_key().unwrap();
            let k2 = route_for(t, Method::Put, major, minor).ratelimit_key().unwrap();
            prop_assert_ne!(k1, k2);
        }

        #[test]
        fn any_value_round_trips_through_encoding(value in param_value()) {
            let route = Route::new(Method::Put, REACTION)
                .param("channel_id", 1)
                .param("message_id", 2)
                .param("emoji", value.clone());
            // The key is derived from the template and raw values, whatever the value.
            let key = route.ratelimit_key().unwrap();
            prop_assert_eq!(key.route(), "PUT /channels/{major}/messages/{}/reactions/*");
            let url = build_url("https://discord.com/api", 10, &route);
            match route.path() {
                Ok(path) => {
                    let url = url.unwrap();
                    // `path()` and the URL agree: nothing was resolved away.
                    prop_assert_eq!(url.path().strip_prefix("/api/v10"), Some(path.as_str()));
                    let segments: Vec<&str> = url.path().split('/').skip(3).collect();
                    let template: Vec<&str> = REACTION.split('/').skip(1).collect();
                    prop_assert_eq!(segments.len(), template.len(), "{}", url);
                    for (seg, tpl) in segments.iter().zip(&template) {
                        if !tpl.contains('{') {
                            prop_assert_eq!(seg, tpl);
                        }
                    }
                    let decoded = percent_encoding::percent_decode_str(segments[5]).decode_utf8().unwrap();
                    prop_assert_eq!(decoded, value);
                }
                Err(e) => {
                    // Only a dot segment is refused, and `build_url` refuses it too.
                    prop_assert!(value == "." || value == "..", "{}", e);
                    let is_dot_segment = matches!(&e, RouteError::DotSegment { name, .. } if name == "emoji");
                    prop_assert!(is_dot_segment, "{}", e);
                    prop_assert_eq!(url.unwrap_err(), e);
                }
            }
        }
    }
}
