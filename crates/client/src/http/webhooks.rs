//! Webhooks: create, get, edit, delete (with the bot's token or the
//! webhook's), execute, and the messages a webhook sent
//! (discord-protocol.md §11.3, §11.4).
//!
//! Routes with the webhook token in the path are sent without the bot's
//! `Authorization` header, as Discord documents. The token is a route
//! parameter: errors and logs carry the route template
//! (`/webhooks/{webhook_id}/{webhook_token}`), never its value.

use acord_core_http::route;
use serde::Serialize;

use super::validate::{check_len, with_reason};
use super::{BoxFuture, Http};
use crate::command::{CreateMessage, EditMessage, ValidationError};
use crate::model::{ChannelId, GuildId, Message, MessageId, Webhook, WebhookId};
use crate::Result;

/// Webhook names: 1-80 characters.
const WEBHOOK_NAME_MAX: usize = 80;

fn check_webhook_name(field: &'static str, name: &str) -> Result<(), ValidationError> {
    check_len(field, name, 1, WEBHOOK_NAME_MAX)?;
    let lower = name.to_lowercase();
    if lower.contains("clyde") || lower.contains("discord") {
        return Err(ValidationError::Invalid {
            field,
            reason: "webhook names cannot contain \"clyde\" or \"discord\"",
        });
    }
    Ok(())
}

fn check_avatar(avatar: Option<&str>) -> Result<(), ValidationError> {
    match avatar {
        Some(a) if !a.starts_with("data:image/") => Err(ValidationError::Invalid {
            field: "avatar",
            reason: "must be a data URI: data:image/png;base64,…",
        }),
        _ => Ok(()),
    }
}

/// The body of Create Webhook (`POST /channels/{id}/webhooks`,
/// MANAGE_WEBHOOKS).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct CreateWebhook {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar: Option<String>,
}

impl CreateWebhook {
    /// A webhook called `name` (1-80 characters, without "clyde" or
    /// "discord").
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            avatar: None,
        }
    }

    /// Default avatar as a data URI (`data:image/png;base64,…`).
    pub fn avatar(mut self, avatar: impl Into<String>) -> Self {
        self.avatar = Some(avatar.into());
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for a bad name or an avatar that is not a data
    /// URI.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_webhook_name("name", &self.name)?;
        check_avatar(self.avatar.as_deref())
    }
}

/// The body of Modify Webhook: only the fields set are sent. Moving it to
/// another channel needs the bot's token (not the webhook's).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use]
pub struct EditWebhook {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<ChannelId>,
}

impl EditWebhook {
    /// Changes nothing until a field is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// New default name (1-80 characters).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// New default avatar as a data URI, or `None` to remove it.
    pub fn avatar(mut self, avatar: Option<impl Into<String>>) -> Self {
        self.avatar = Some(avatar.map(Into::into));
        self
    }

    /// Moves it to another channel of the guild (bot token only).
    pub fn channel(mut self, channel_id: ChannelId) -> Self {
        self.channel_id = Some(channel_id);
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for a bad name or an avatar that is not a data
    /// URI.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(name) = &self.name {
            check_webhook_name("name", name)?;
        }
        check_avatar(self.avatar.as_ref().and_then(Option::as_deref))
    }
}

/// The body of Execute Webhook: a [`CreateMessage`] (content, embeds,
/// components, poll, …; checked by its builder) plus the webhook's
/// overrides.
///
/// A webhook cannot reply, forward, send stickers or use a nonce: a
/// message with those is refused before sending.
///
/// ```
/// use acord::command::CreateMessage;
/// use acord::http::ExecuteWebhook;
/// let message = CreateMessage::builder().content("deploy finished").build().unwrap();
/// let body = ExecuteWebhook::new(message).username("CI");
/// assert_eq!(
///     serde_json::to_string(&body).unwrap(),
///     r#"{"content":"deploy finished","username":"CI"}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct ExecuteWebhook {
    #[serde(flatten)]
    message: CreateMessage,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_name: Option<String>,
    #[serde(skip)]
    thread_id: Option<ChannelId>,
}

impl ExecuteWebhook {
    /// Posts `message` with the webhook's default name and avatar.
    pub fn new(message: CreateMessage) -> Self {
        Self {
            message,
            username: None,
            avatar_url: None,
            thread_name: None,
            thread_id: None,
        }
    }

    /// Overrides the name shown (1-80 characters).
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Overrides the avatar shown (a URL).
    pub fn avatar_url(mut self, url: impl Into<String>) -> Self {
        self.avatar_url = Some(url.into());
        self
    }

    /// Forum and media channels: starts a post with this name (1-100).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = Some(name.into());
        self
    }

    /// Posts in this thread of the webhook's channel (`?thread_id=`).
    pub fn thread(mut self, thread_id: ChannelId) -> Self {
        self.thread_id = Some(thread_id);
        self
    }

    /// Checks what a webhook message may carry.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for a reply, forward, sticker or nonce, a
    /// username outside 1-80 characters or a thread name outside 1-100.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let m = &self.message;
        if m.message_reference.is_some() {
            return Err(ValidationError::Invalid {
                field: "message_reference",
                reason: "webhooks cannot reply to or forward messages",
            });
        }
        if !m.sticker_ids.is_empty() {
            return Err(ValidationError::Invalid {
                field: "sticker_ids",
                reason: "webhooks cannot send stickers",
            });
        }
        if m.nonce.is_some() || m.enforce_nonce.is_some() {
            return Err(ValidationError::Invalid {
                field: "nonce",
                reason: "webhooks do not take a nonce",
            });
        }
        if let Some(username) = &self.username {
            check_len("username", username, 1, WEBHOOK_NAME_MAX)?;
        }
        if let Some(name) = &self.thread_name {
            check_len("thread_name", name, 1, 100)?;
        }
        Ok(())
    }
}

impl Http {
    /// Creates a webhook in a channel (MANAGE_WEBHOOKS):
    /// `POST /channels/{channel.id}/webhooks` (audit-logged). The answer
    /// holds the token.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `webhook` breaks a limit or the reason is not 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (30007 max webhooks, `MissingPermissions`…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the webhook created.
    pub fn create_webhook<'a>(
        &'a self,
        channel_id: ChannelId,
        webhook: &'a CreateWebhook,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Webhook>> {
        Box::pin(async move {
            webhook.validate()?;
            let request = self
                .client
                .request(route!(POST "/channels/{channel_id}/webhooks", channel_id = channel_id))
                .json(webhook);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Fetches a webhook with the bot's token: `GET /webhooks/{webhook.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownWebhook`…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn webhook(&self, webhook_id: WebhookId) -> BoxFuture<'_, Result<Webhook>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/webhooks/{webhook_id}", webhook_id = webhook_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Fetches a webhook with its own token (no bot authorization):
    /// `GET /webhooks/{webhook.id}/{webhook.token}`. The answer has no
    /// `user`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownWebhook`,
    /// 50027 invalid webhook token…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn webhook_with_token<'a>(
        &'a self,
        webhook_id: WebhookId,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Webhook>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/webhooks/{webhook_id}/{webhook_token}",
                webhook_id = webhook_id, webhook_token = token))
                .without_auth()
                .send()
                .await?
                .json()?)
        })
    }

    /// Lists a channel's webhooks: `GET /channels/{channel.id}/webhooks`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn channel_webhooks(&self, channel_id: ChannelId) -> BoxFuture<'_, Result<Vec<Webhook>>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/channels/{channel_id}/webhooks", channel_id = channel_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Lists a guild's webhooks: `GET /guilds/{guild.id}/webhooks`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn guild_webhooks(&self, guild_id: GuildId) -> BoxFuture<'_, Result<Vec<Webhook>>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/guilds/{guild_id}/webhooks", guild_id = guild_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Edits a webhook with the bot's token:
    /// `PATCH /webhooks/{webhook.id}` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `edit` breaks a limit or the reason is not 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the webhook edited.
    pub fn edit_webhook<'a>(
        &'a self,
        webhook_id: WebhookId,
        edit: &'a EditWebhook,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Webhook>> {
        Box::pin(async move {
            edit.validate()?;
            let request = self
                .client
                .request(route!(PATCH "/webhooks/{webhook_id}", webhook_id = webhook_id))
                .json(edit);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Edits a webhook with its own token (no bot authorization; it cannot
    /// change channel): `PATCH /webhooks/{webhook.id}/{webhook.token}`
    /// (audit-logged).
    ///
    /// # Errors
    ///
    /// As [`edit_webhook`](Self::edit_webhook), and a validation error when
    /// `edit` sets a channel.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the webhook edited.
    pub fn edit_webhook_with_token<'a>(
        &'a self,
        webhook_id: WebhookId,
        token: &'a str,
        edit: &'a EditWebhook,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Webhook>> {
        Box::pin(async move {
            edit.validate()?;
            if edit.channel_id.is_some() {
                return Err(ValidationError::Invalid {
                    field: "channel_id",
                    reason: "moving a webhook needs the bot token: use edit_webhook",
                }
                .into());
            }
            let request = self
                .client
                .request(route!(PATCH "/webhooks/{webhook_id}/{webhook_token}",
                webhook_id = webhook_id, webhook_token = token))
                .without_auth()
                .json(edit);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Deletes a webhook with the bot's token:
    /// `DELETE /webhooks/{webhook.id}` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the webhook deleted.
    pub fn delete_webhook<'a>(
        &'a self,
        webhook_id: WebhookId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self
                .client
                .request(route!(DELETE "/webhooks/{webhook_id}", webhook_id = webhook_id));
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Deletes a webhook with its own token (no bot authorization):
    /// `DELETE /webhooks/{webhook.id}/{webhook.token}` (audit-logged).
    ///
    /// # Errors
    ///
    /// As [`delete_webhook`](Self::delete_webhook).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the webhook deleted.
    pub fn delete_webhook_with_token<'a>(
        &'a self,
        webhook_id: WebhookId,
        token: &'a str,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self
                .client
                .request(route!(DELETE "/webhooks/{webhook_id}/{webhook_token}",
                webhook_id = webhook_id, webhook_token = token))
                .without_auth();
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Posts through a webhook: `POST /webhooks/{webhook.id}/{webhook.token}`
    /// (no bot authorization), with `?wait=true` when `wait`.
    ///
    /// With `wait` Discord answers with the message (`Some`); without, it
    /// answers 204 as soon as the message is queued (`None`).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `body` carries what webhooks cannot send (see
    /// [`ExecuteWebhook::validate`]);
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`UnknownWebhook`: stop using it).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the message posted.
    pub fn execute_webhook<'a>(
        &'a self,
        webhook_id: WebhookId,
        token: &'a str,
        body: &'a ExecuteWebhook,
        wait: bool,
    ) -> BoxFuture<'a, Result<Option<Message>>> {
        Box::pin(async move {
            body.validate()?;
            let mut request = self
                .client
                .request(route!(POST "/webhooks/{webhook_id}/{webhook_token}",
                webhook_id = webhook_id, webhook_token = token))
                .without_auth()
                .json(body);
            if wait {
                request = request.query("wait", true);
            }
            if let Some(thread_id) = body.thread_id {
                request = request.query("thread_id", thread_id);
            }
            let response = request.send().await?;
            if wait {
                Ok(Some(response.json()?))
            } else {
                Ok(None)
            }
        })
    }

    /// Fetches a message the webhook sent:
    /// `GET /webhooks/{webhook.id}/{webhook.token}/messages/{message.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownMessage`,
    /// `UnknownWebhook`…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn webhook_message<'a>(
        &'a self,
        webhook_id: WebhookId,
        token: &'a str,
        message_id: MessageId,
    ) -> BoxFuture<'a, Result<Message>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(
                    route!(GET "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                webhook_id = webhook_id, webhook_token = token, message_id = message_id),
                )
                .without_auth()
                .send()
                .await?
                .json()?)
        })
    }

    /// Edits a message the webhook sent:
    /// `PATCH /webhooks/{webhook.id}/{webhook.token}/messages/{message.id}`.
    ///
    /// # Errors
    ///
    /// As [`webhook_message`](Self::webhook_message).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the message edited.
    pub fn edit_webhook_message<'a>(
        &'a self,
        webhook_id: WebhookId,
        token: &'a str,
        message_id: MessageId,
        edit: &'a EditMessage,
    ) -> BoxFuture<'a, Result<Message>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(
                    route!(PATCH "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                webhook_id = webhook_id, webhook_token = token, message_id = message_id),
                )
                .without_auth()
                .json(edit)
                .send()
                .await?
                .json()?)
        })
    }

    /// Deletes a message the webhook sent:
    /// `DELETE /webhooks/{webhook.id}/{webhook.token}/messages/{message.id}`.
    ///
    /// # Errors
    ///
    /// As [`webhook_message`](Self::webhook_message).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the message deleted.
    pub fn delete_webhook_message<'a>(
        &'a self,
        webhook_id: WebhookId,
        token: &'a str,
        message_id: MessageId,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.client
                .request(
                    route!(DELETE "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                webhook_id = webhook_id, webhook_token = token, message_id = message_id),
                )
                .without_auth()
                .send()
                .await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_limits() {
        assert!(CreateWebhook::new("ci").validate().is_ok());
        assert!(CreateWebhook::new("").validate().is_err());
        assert!(CreateWebhook::new("My Discord hook").validate().is_err());
        assert!(CreateWebhook::new("ci")
            .avatar("http://x/a.png")
            .validate()
            .is_err());
        let reply = CreateMessage::builder()
            .content("hi")
            .reply(ChannelId::new(1).unwrap(), MessageId::new(2).unwrap(), true)
            .build()
            .unwrap();
        assert!(ExecuteWebhook::new(reply).validate().is_err());
        let plain = CreateMessage::builder().content("hi").build().unwrap();
        let body = ExecuteWebhook::new(plain).thread(ChannelId::new(9).unwrap());
        assert!(body.validate().is_ok());
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"content":"hi"}"#);
    }
}
