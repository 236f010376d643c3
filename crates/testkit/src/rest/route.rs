//! The route table: templates as discord-protocol.md §10-§11 write them,
//! matched segment by segment.

use super::error::ApiError;

/// Which handler serves a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    GetGateway,
    GetGatewayBot,
    GetCurrentUser,
    ModifyCurrentUser,
    GetUser,
    GetCurrentUserGuilds,
    LeaveGuild,
    GetCurrentApplication,
    CreateDm,
    GetGuild,
    GetAuditLog,
    ModifyGuild,
    ListEmojis,
    GetEmoji,
    CreateEmoji,
    ModifyEmoji,
    DeleteEmoji,
    GetGuildChannels,
    CreateGuildChannel,
    ListMembers,
    SearchMembers,
    BulkBan,
    GetMember,
    ModifyMember,
    ModifyCurrentMember,
    RemoveMember,
    AddMemberRole,
    RemoveMemberRole,
    GetBans,
    GetBan,
    CreateBan,
    RemoveBan,
    GetRoles,
    GetRole,
    CreateRole,
    ModifyRolePositions,
    ModifyRole,
    DeleteRole,
    GetChannel,
    ModifyChannel,
    DeleteChannel,
    TriggerTyping,
    EditPermissions,
    DeletePermission,
    GetInvites,
    CreateInvite,
    GetInvite,
    DeleteInvite,
    ModifyChannelPositions,
    GetMessages,
    GetPins,
    PinMessage,
    UnpinMessage,
    GetPinsDeprecated,
    GetMessage,
    CreateMessage,
    EditMessage,
    DeleteMessage,
    CrosspostMessage,
    BulkDelete,
    StartThreadFromMessage,
    StartThread,
    JoinThread,
    LeaveThread,
    AddThreadMember,
    RemoveThreadMember,
    GetThreadMember,
    ListThreadMembers,
    PublicArchivedThreads,
    PrivateArchivedThreads,
    ActiveThreads,
    CreateReaction,
    DeleteOwnReaction,
    DeleteUserReaction,
    GetReactions,
    DeleteAllReactions,
    DeleteAllReactionsForEmoji,
    InteractionCallback,
    CreateWebhook,
    ListWebhooks,
    GetWebhook,
    ModifyWebhook,
    DeleteWebhook,
    ExecuteFollowup,
    GetWebhookMessage,
    EditWebhookMessage,
    DeleteWebhookMessage,
    GetCommands,
    CreateCommand,
    BulkOverwriteCommands,
    GetCommand,
    EditCommand,
    DeleteCommand,
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `Authorization: Bot <token>` required.
    Bot,
    /// No authorization (the token in the path, or a public route).
    None,
}

/// One row of the table.
#[derive(Debug)]
struct RouteDef {
    method: &'static str,
    template: &'static str,
    endpoint: Endpoint,
    auth: Auth,
    /// Routes with the same group share one limit (and bucket hash);
    /// `None` = the limit is the method and template's own.
    shared_limit: Option<&'static str>,
    /// Exempt from the global limit (interaction routes, §2.1).
    global_exempt: bool,
}

const fn bot(method: &'static str, template: &'static str, endpoint: Endpoint) -> RouteDef {
    RouteDef {
        method,
        template,
        endpoint,
        auth: Auth::Bot,
        shared_limit: None,
        global_exempt: false,
    }
}

const fn reaction(method: &'static str, template: &'static str, endpoint: Endpoint) -> RouteDef {
    RouteDef {
        shared_limit: Some("reactions"),
        ..bot(method, template, endpoint)
    }
}

const fn interaction(method: &'static str, template: &'static str, endpoint: Endpoint) -> RouteDef {
    RouteDef {
        method,
        template,
        endpoint,
        auth: Auth::None,
        shared_limit: Some("interaction-webhook"),
        global_exempt: true,
    }
}

use Endpoint as E;

/// Literal routes come before the templated ones they could be mistaken
/// for (`@me`, `bulk-delete`, `@original`).
const ROUTES: &[RouteDef] = &[
    RouteDef {
        auth: Auth::None,
        ..bot("GET", "/gateway", E::GetGateway)
    },
    bot("GET", "/gateway/bot", E::GetGatewayBot),
    bot("GET", "/users/@me", E::GetCurrentUser),
    bot("PATCH", "/users/@me", E::ModifyCurrentUser),
    bot("GET", "/users/@me/guilds", E::GetCurrentUserGuilds),
    bot("DELETE", "/users/@me/guilds/{guild.id}", E::LeaveGuild),
    bot("POST", "/users/@me/channels", E::CreateDm),
    bot("GET", "/users/{user.id}", E::GetUser),
    bot("GET", "/applications/@me", E::GetCurrentApplication),
    // The older alias other libraries still call at login.
    bot("GET", "/oauth2/applications/@me", E::GetCurrentApplication),
    bot("GET", "/guilds/{guild.id}", E::GetGuild),
    bot("PATCH", "/guilds/{guild.id}", E::ModifyGuild),
    bot("GET", "/guilds/{guild.id}/audit-logs", E::GetAuditLog),
    bot("GET", "/guilds/{guild.id}/emojis", E::ListEmojis),
    bot("POST", "/guilds/{guild.id}/emojis", E::CreateEmoji),
    bot("GET", "/guilds/{guild.id}/emojis/{emoji.id}", E::GetEmoji),
    bot(
        "PATCH",
        "/guilds/{guild.id}/emojis/{emoji.id}",
        E::ModifyEmoji,
    ),
    bot(
        "DELETE",
        "/guilds/{guild.id}/emojis/{emoji.id}",
        E::DeleteEmoji,
    ),
    bot("GET", "/guilds/{guild.id}/channels", E::GetGuildChannels),
    bot("POST", "/guilds/{guild.id}/channels", E::CreateGuildChannel),
    bot(
        "PATCH",
        "/guilds/{guild.id}/channels",
        E::ModifyChannelPositions,
    ),
    bot("GET", "/guilds/{guild.id}/members", E::ListMembers),
    bot("GET", "/guilds/{guild.id}/members/search", E::SearchMembers),
    bot(
        "PATCH",
        "/guilds/{guild.id}/members/@me",
        E::ModifyCurrentMember,
    ),
    bot("GET", "/guilds/{guild.id}/members/{user.id}", E::GetMember),
    bot(
        "PATCH",
        "/guilds/{guild.id}/members/{user.id}",
        E::ModifyMember,
    ),
    bot(
        "DELETE",
        "/guilds/{guild.id}/members/{user.id}",
        E::RemoveMember,
    ),
    bot(
        "PUT",
        "/guilds/{guild.id}/members/{user.id}/roles/{role.id}",
        E::AddMemberRole,
    ),
    bot(
        "DELETE",
        "/guilds/{guild.id}/members/{user.id}/roles/{role.id}",
        E::RemoveMemberRole,
    ),
    bot("GET", "/guilds/{guild.id}/bans", E::GetBans),
    bot("POST", "/guilds/{guild.id}/bulk-ban", E::BulkBan),
    bot("GET", "/guilds/{guild.id}/bans/{user.id}", E::GetBan),
    bot("PUT", "/guilds/{guild.id}/bans/{user.id}", E::CreateBan),
    bot("DELETE", "/guilds/{guild.id}/bans/{user.id}", E::RemoveBan),
    bot("GET", "/guilds/{guild.id}/roles", E::GetRoles),
    bot("POST", "/guilds/{guild.id}/roles", E::CreateRole),
    bot("PATCH", "/guilds/{guild.id}/roles", E::ModifyRolePositions),
    bot("GET", "/guilds/{guild.id}/roles/{role.id}", E::GetRole),
    bot("PATCH", "/guilds/{guild.id}/roles/{role.id}", E::ModifyRole),
    bot(
        "DELETE",
        "/guilds/{guild.id}/roles/{role.id}",
        E::DeleteRole,
    ),
    bot("GET", "/channels/{channel.id}", E::GetChannel),
    bot("PATCH", "/channels/{channel.id}", E::ModifyChannel),
    bot("DELETE", "/channels/{channel.id}", E::DeleteChannel),
    bot("POST", "/channels/{channel.id}/typing", E::TriggerTyping),
    bot(
        "PUT",
        "/channels/{channel.id}/permissions/{overwrite.id}",
        E::EditPermissions,
    ),
    bot(
        "DELETE",
        "/channels/{channel.id}/permissions/{overwrite.id}",
        E::DeletePermission,
    ),
    bot("GET", "/channels/{channel.id}/invites", E::GetInvites),
    bot("POST", "/channels/{channel.id}/invites", E::CreateInvite),
    // Get Invite is public: it answers without a token too.
    RouteDef {
        auth: Auth::None,
        ..bot("GET", "/invites/{invite.code}", E::GetInvite)
    },
    bot("DELETE", "/invites/{invite.code}", E::DeleteInvite),
    bot("POST", "/channels/{channel.id}/threads", E::StartThread),
    bot(
        "PUT",
        "/channels/{channel.id}/thread-members/@me",
        E::JoinThread,
    ),
    bot(
        "DELETE",
        "/channels/{channel.id}/thread-members/@me",
        E::LeaveThread,
    ),
    bot(
        "PUT",
        "/channels/{channel.id}/thread-members/{user.id}",
        E::AddThreadMember,
    ),
    bot(
        "DELETE",
        "/channels/{channel.id}/thread-members/{user.id}",
        E::RemoveThreadMember,
    ),
    bot(
        "GET",
        "/channels/{channel.id}/thread-members/{user.id}",
        E::GetThreadMember,
    ),
    bot(
        "GET",
        "/channels/{channel.id}/thread-members",
        E::ListThreadMembers,
    ),
    bot(
        "GET",
        "/channels/{channel.id}/threads/archived/public",
        E::PublicArchivedThreads,
    ),
    bot(
        "GET",
        "/channels/{channel.id}/threads/archived/private",
        E::PrivateArchivedThreads,
    ),
    bot(
        "POST",
        "/channels/{channel.id}/messages/{message.id}/threads",
        E::StartThreadFromMessage,
    ),
    bot(
        "POST",
        "/channels/{channel.id}/messages/{message.id}/crosspost",
        E::CrosspostMessage,
    ),
    bot("GET", "/guilds/{guild.id}/threads/active", E::ActiveThreads),
    bot("GET", "/channels/{channel.id}/messages", E::GetMessages),
    bot("POST", "/channels/{channel.id}/messages", E::CreateMessage),
    bot("GET", "/channels/{channel.id}/messages/pins", E::GetPins),
    bot(
        "PUT",
        "/channels/{channel.id}/messages/pins/{message.id}",
        E::PinMessage,
    ),
    bot(
        "DELETE",
        "/channels/{channel.id}/messages/pins/{message.id}",
        E::UnpinMessage,
    ),
    bot("GET", "/channels/{channel.id}/pins", E::GetPinsDeprecated),
    bot(
        "PUT",
        "/channels/{channel.id}/pins/{message.id}",
        E::PinMessage,
    ),
    bot(
        "DELETE",
        "/channels/{channel.id}/pins/{message.id}",
        E::UnpinMessage,
    ),
    bot(
        "POST",
        "/channels/{channel.id}/messages/bulk-delete",
        E::BulkDelete,
    ),
    bot(
        "GET",
        "/channels/{channel.id}/messages/{message.id}",
        E::GetMessage,
    ),
    bot(
        "PATCH",
        "/channels/{channel.id}/messages/{message.id}",
        E::EditMessage,
    ),
    bot(
        "DELETE",
        "/channels/{channel.id}/messages/{message.id}",
        E::DeleteMessage,
    ),
    reaction(
        "PUT",
        "/channels/{channel.id}/messages/{message.id}/reactions/{emoji}/@me",
        E::CreateReaction,
    ),
    reaction(
        "DELETE",
        "/channels/{channel.id}/messages/{message.id}/reactions/{emoji}/@me",
        E::DeleteOwnReaction,
    ),
    reaction(
        "DELETE",
        "/channels/{channel.id}/messages/{message.id}/reactions/{emoji}/{user.id}",
        E::DeleteUserReaction,
    ),
    reaction(
        "GET",
        "/channels/{channel.id}/messages/{message.id}/reactions/{emoji}",
        E::GetReactions,
    ),
    reaction(
        "DELETE",
        "/channels/{channel.id}/messages/{message.id}/reactions/{emoji}",
        E::DeleteAllReactionsForEmoji,
    ),
    reaction(
        "DELETE",
        "/channels/{channel.id}/messages/{message.id}/reactions",
        E::DeleteAllReactions,
    ),
    RouteDef {
        shared_limit: Some("interaction-callback"),
        ..interaction(
            "POST",
            "/interactions/{interaction.id}/{interaction.token}/callback",
            E::InteractionCallback,
        )
    },
    interaction(
        "POST",
        "/webhooks/{application.id}/{interaction.token}",
        E::ExecuteFollowup,
    ),
    interaction(
        "GET",
        "/webhooks/{application.id}/{interaction.token}",
        E::GetWebhook,
    ),
    interaction(
        "PATCH",
        "/webhooks/{application.id}/{interaction.token}",
        E::ModifyWebhook,
    ),
    interaction(
        "DELETE",
        "/webhooks/{application.id}/{interaction.token}",
        E::DeleteWebhook,
    ),
    bot("GET", "/webhooks/{webhook.id}", E::GetWebhook),
    bot("PATCH", "/webhooks/{webhook.id}", E::ModifyWebhook),
    bot("DELETE", "/webhooks/{webhook.id}", E::DeleteWebhook),
    bot("POST", "/channels/{channel.id}/webhooks", E::CreateWebhook),
    bot("GET", "/channels/{channel.id}/webhooks", E::ListWebhooks),
    bot("GET", "/guilds/{guild.id}/webhooks", E::ListWebhooks),
    interaction(
        "GET",
        "/webhooks/{application.id}/{interaction.token}/messages/{message}",
        E::GetWebhookMessage,
    ),
    interaction(
        "PATCH",
        "/webhooks/{application.id}/{interaction.token}/messages/{message}",
        E::EditWebhookMessage,
    ),
    interaction(
        "DELETE",
        "/webhooks/{application.id}/{interaction.token}/messages/{message}",
        E::DeleteWebhookMessage,
    ),
    bot(
        "GET",
        "/applications/{application.id}/commands",
        E::GetCommands,
    ),
    bot(
        "POST",
        "/applications/{application.id}/commands",
        E::CreateCommand,
    ),
    bot(
        "PUT",
        "/applications/{application.id}/commands",
        E::BulkOverwriteCommands,
    ),
    bot(
        "GET",
        "/applications/{application.id}/commands/{command.id}",
        E::GetCommand,
    ),
    bot(
        "PATCH",
        "/applications/{application.id}/commands/{command.id}",
        E::EditCommand,
    ),
    bot(
        "DELETE",
        "/applications/{application.id}/commands/{command.id}",
        E::DeleteCommand,
    ),
    bot(
        "GET",
        "/applications/{application.id}/guilds/{guild.id}/commands",
        E::GetCommands,
    ),
    bot(
        "POST",
        "/applications/{application.id}/guilds/{guild.id}/commands",
        E::CreateCommand,
    ),
    bot(
        "PUT",
        "/applications/{application.id}/guilds/{guild.id}/commands",
        E::BulkOverwriteCommands,
    ),
    bot(
        "GET",
        "/applications/{application.id}/guilds/{guild.id}/commands/{command.id}",
        E::GetCommand,
    ),
    bot(
        "PATCH",
        "/applications/{application.id}/guilds/{guild.id}/commands/{command.id}",
        E::EditCommand,
    ),
    bot(
        "DELETE",
        "/applications/{application.id}/guilds/{guild.id}/commands/{command.id}",
        E::DeleteCommand,
    ),
];

/// A matched route.
#[derive(Clone, Debug)]
pub(crate) struct Matched {
    pub endpoint: Endpoint,
    pub template: &'static str,
    pub auth: Auth,
    pub global_exempt: bool,
    /// The limit group (method + template unless shared).
    pub limit_group: String,
    /// The major parameter value ("" when the route has none).
    pub major: String,
    pub params: Params,
}

/// Path parameters by template name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params(Vec<(&'static str, String)>);

impl Params {
    /// The raw (percent-decoded) value of a parameter.
    pub fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A snowflake parameter (checked when the route matched).
    pub fn id(&self, name: &str) -> u64 {
        self.raw(name).parse().unwrap_or(0)
    }

    /// Whether a parameter is present.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| *n == name)
    }
}

/// Finds the route for `method` and the path after `/api/vN`.
///
/// # Errors
///
/// 404 (code 0) for an unknown path, 405 for a known path with another
/// method, 400 / 50035 when a snowflake segment is not a snowflake.
pub(crate) fn route(method: &str, path: &str) -> Result<Matched, ApiError> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let mut path_known = false;
    for def in ROUTES {
        let Some(params) = match_template(def.template, &segments) else {
            continue;
        };
        if !def.method.eq_ignore_ascii_case(method) {
            path_known = true;
            continue;
        }
        for (name, value) in &params.0 {
            if name.ends_with(".id") && value.parse::<u64>().is_err() {
                let field = name.replace('.', "_");
                return Err(ApiError::field(
                    &[&field],
                    "NUMBER_TYPE_COERCE",
                    &format!("Value \"{value}\" is not snowflake."),
                ));
            }
        }
        let major = major_parameter(def.template, &params);
        let limit_group = def
            .shared_limit
            .map_or_else(|| format!("{} {}", def.method, def.template), str::to_owned);
        return Ok(Matched {
            endpoint: def.endpoint,
            template: def.template,
            auth: def.auth,
            global_exempt: def.global_exempt,
            limit_group,
            major,
            params,
        });
    }
    if path_known {
        Err(ApiError::method_not_allowed())
    } else {
        Err(ApiError::unknown_route())
    }
}

/// Matches the path segments against one template, walking both at once
/// (no allocation for the many templates that do not match).
fn match_template(template: &'static str, segments: &[String]) -> Option<Params> {
    let mut parts = template.split('/').filter(|s| !s.is_empty());
    let mut segments = segments.iter();
    let mut params = Vec::new();
    loop {
        match (parts.next(), segments.next()) {
            (None, None) => return Some(Params(params)),
            (Some(part), Some(segment)) => {
                if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if segment.is_empty() {
                        return None;
                    }
                    params.push((name, segment.clone()));
                } else if part != segment {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// The top-level resource id that splits buckets (§2.1): `channel_id`,
/// `guild_id`, or `webhook_id` + token (application id + interaction token
/// for follow-ups; interaction id + token for callbacks).
fn major_parameter(template: &str, params: &Params) -> String {
    if template.starts_with("/channels/") {
        params.raw("channel.id").to_owned()
    } else if template.starts_with("/guilds/") {
        params.raw("guild.id").to_owned()
    } else if params.has("webhook.id") {
        params.raw("webhook.id").to_owned()
    } else if template.starts_with("/webhooks/") {
        format!(
            "{}/{}",
            params.raw("application.id"),
            params.raw("interaction.token")
        )
    } else if template.starts_with("/interactions/") {
        format!(
            "{}/{}",
            params.raw("interaction.id"),
            params.raw("interaction.token")
        )
    } else {
        String::new()
    }
}

/// Decodes `%XX` escapes (invalid escapes stay as they are; invalid UTF-8
/// is replaced).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_routes_win_and_params_parse() {
        let m = route("GET", "/users/@me").unwrap();
        assert_eq!(m.endpoint, E::GetCurrentUser);
        let m = route("GET", "/users/42").unwrap();
        assert_eq!((m.endpoint, m.params.id("user.id")), (E::GetUser, 42));
        let m = route("POST", "/channels/7/messages/bulk-delete").unwrap();
        assert_eq!(m.endpoint, E::BulkDelete);
        assert_eq!(m.major, "7");
        let m = route("PUT", "/channels/7/messages/8/reactions/%F0%9F%91%8D/@me").unwrap();
        assert_eq!(m.endpoint, E::CreateReaction);
        assert_eq!(m.params.raw("emoji"), "👍");
        assert_eq!(m.limit_group, "reactions");
        let m = route("GET", "/webhooks/1/tok/messages/@original").unwrap();
        assert_eq!(m.major, "1/tok");
        assert!(m.global_exempt);
        let m = route("GET", "/applications/1/guilds/2/commands").unwrap();
        assert_eq!(m.endpoint, E::GetCommands);
        assert!(m.params.has("guild.id"));
    }

    #[test]
    fn bad_paths() {
        assert_eq!(route("GET", "/nope").unwrap_err().status, 404);
        assert_eq!(route("PUT", "/users/@me").unwrap_err().status, 405);
        let err = route("GET", "/channels/abc").unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(err.body["code"], 50035);
        assert!(err.body["errors"]["channel_id"]["_errors"].is_array());
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%3Ab"), "a:b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
