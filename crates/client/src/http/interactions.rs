//! Interaction callbacks, the original response and follow-ups
//! (discord-protocol.md §10.3, §10.4).
//!
//! These routes carry the interaction token in the path and are sent
//! without the bot's `Authorization` header; they are exempt from the
//! global rate limit. The token travels as a route parameter: errors and
//! logs show the template (`/webhooks/{application_id}/{interaction_token}`),
//! never its value, and [`InteractionToken`]'s `Debug` is redacted.
//!
//! Answer within 3 seconds ([`create_interaction_response`], or
//! [`defer_interaction`] and edit [`@original`](Http::edit_original_response)
//! later); the token then serves edits and follow-ups for 15 minutes.
//!
//! [`create_interaction_response`]: Http::create_interaction_response
//! [`defer_interaction`]: Http::defer_interaction

use acord_core_http::route;

use super::{BoxFuture, Http};
use crate::command::{EditMessage, InteractionMessage, InteractionResponse, ValidationError};
use crate::model::{ApplicationId, InteractionId, InteractionToken, Message, MessageId};
use crate::Result;

fn check_not_empty(message: &InteractionMessage) -> Result<(), ValidationError> {
    let empty = message.content.as_deref().is_none_or(str::is_empty)
        && message.embeds.is_empty()
        && message.components.is_empty()
        && message.attachments.is_empty()
        && message.poll.is_none();
    if empty {
        Err(ValidationError::EmptyMessage)
    } else {
        Ok(())
    }
}

impl Http {
    /// Answers an interaction (once, within 3 seconds):
    /// `POST /interactions/{interaction.id}/{interaction.token}/callback`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses:
    /// 10062 unknown interaction (too late, or a bad token), 40060 already
    /// acknowledged…
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the interaction answered; a second answer is refused with 40060.
    pub fn create_interaction_response<'a>(
        &'a self,
        interaction_id: InteractionId,
        token: &'a InteractionToken,
        response: &'a InteractionResponse,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.client
                .request(
                    route!(POST "/interactions/{interaction_id}/{interaction_token}/callback",
                interaction_id = interaction_id, interaction_token = token.as_str()),
                )
                .without_auth()
                .json(response)
                .send()
                .await?;
            Ok(())
        })
    }

    /// Acknowledges an interaction now and answers later by editing
    /// `@original` (callback type 5: the user sees "thinking…"; only they
    /// see it when `ephemeral`).
    ///
    /// # Errors
    ///
    /// As [`create_interaction_response`](Self::create_interaction_response).
    ///
    /// # Cancel safety
    ///
    /// As [`create_interaction_response`](Self::create_interaction_response).
    pub fn defer_interaction<'a>(
        &'a self,
        interaction_id: InteractionId,
        token: &'a InteractionToken,
        ephemeral: bool,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.create_interaction_response(
                interaction_id,
                token,
                &InteractionResponse::deferred_message(ephemeral),
            )
            .await
        })
    }

    /// Fetches the original response:
    /// `GET /webhooks/{application.id}/{interaction.token}/messages/@original`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): 10062 or 10008
    /// when the token expired or nothing was sent…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn original_response<'a>(
        &'a self,
        application_id: ApplicationId,
        token: &'a InteractionToken,
    ) -> BoxFuture<'a, Result<Message>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(
                    route!(GET "/webhooks/{application_id}/{interaction_token}/messages/@original",
                application_id = application_id, interaction_token = token.as_str()),
                )
                .without_auth()
                .send()
                .await?
                .json()?)
        })
    }

    /// Edits the original response (also how a deferred interaction is
    /// answered):
    /// `PATCH /webhooks/{application.id}/{interaction.token}/messages/@original`.
    ///
    /// # Errors
    ///
    /// As [`original_response`](Self::original_response).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the response edited.
    pub fn edit_original_response<'a>(
        &'a self,
        application_id: ApplicationId,
        token: &'a InteractionToken,
        edit: &'a EditMessage,
    ) -> BoxFuture<'a, Result<Message>> {
        Box::pin(async move {
            Ok(self
            .client
            .request(
                route!(PATCH "/webhooks/{application_id}/{interaction_token}/messages/@original",
                application_id = application_id, interaction_token = token.as_str()),
            )
            .without_auth()
            .json(edit)
            .send()
            .await?
            .json()?)
        })
    }

    /// Deletes the original response:
    /// `DELETE /webhooks/{application.id}/{interaction.token}/messages/@original`.
    ///
    /// # Errors
    ///
    /// As [`original_response`](Self::original_response).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the response deleted.
    pub fn delete_original_response<'a>(
        &'a self,
        application_id: ApplicationId,
        token: &'a InteractionToken,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.client
            .request(
                route!(DELETE "/webhooks/{application_id}/{interaction_token}/messages/@original",
                application_id = application_id, interaction_token = token.as_str()),
            )
            .without_auth()
            .send()
            .await?;
            Ok(())
        })
    }

    /// Sends a follow-up message (ephemeral with the EPHEMERAL flag):
    /// `POST /webhooks/{application.id}/{interaction.token}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for an
    /// empty message; [`ClientError::Http`](crate::ClientError::Http) when
    /// Discord refuses (10062 expired token, 40094 too many follow-ups…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the follow-up posted.
    pub fn create_followup<'a>(
        &'a self,
        application_id: ApplicationId,
        token: &'a InteractionToken,
        message: &'a InteractionMessage,
    ) -> BoxFuture<'a, Result<Message>> {
        Box::pin(async move {
            check_not_empty(message)?;
            Ok(self
                .client
                .request(
                    route!(POST "/webhooks/{application_id}/{interaction_token}",
                application_id = application_id, interaction_token = token.as_str()),
                )
                .without_auth()
                .json(message)
                .send()
                .await?
                .json()?)
        })
    }

    /// Fetches a follow-up message:
    /// `GET /webhooks/{application.id}/{interaction.token}/messages/{message.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownMessage`,
    /// 10062 expired token…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn followup<'a>(
        &'a self,
        application_id: ApplicationId,
        token: &'a InteractionToken,
        message_id: MessageId,
    ) -> BoxFuture<'a, Result<Message>> {
        Box::pin(async move {
            Ok(self
            .client
            .request(
                route!(GET "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
                application_id = application_id, interaction_token = token.as_str(),
                message_id = message_id),
            )
            .without_auth()
            .send()
            .await?
            .json()?)
        })
    }

    /// Edits a follow-up message:
    /// `PATCH /webhooks/{application.id}/{interaction.token}/messages/{message.id}`.
    ///
    /// # Errors
    ///
    /// As [`followup`](Self::followup).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the message edited.
    pub fn edit_followup<'a>(
        &'a self,
        application_id: ApplicationId,
        token: &'a InteractionToken,
        message_id: MessageId,
        edit: &'a EditMessage,
    ) -> BoxFuture<'a, Result<Message>> {
        Box::pin(async move {
            Ok(self
            .client
            .request(
                route!(PATCH "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
                application_id = application_id, interaction_token = token.as_str(),
                message_id = message_id),
            )
            .without_auth()
            .json(edit)
            .send()
            .await?
            .json()?)
        })
    }

    /// Deletes a follow-up message:
    /// `DELETE /webhooks/{application.id}/{interaction.token}/messages/{message.id}`.
    ///
    /// # Errors
    ///
    /// As [`followup`](Self::followup).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the message deleted.
    pub fn delete_followup<'a>(
        &'a self,
        application_id: ApplicationId,
        token: &'a InteractionToken,
        message_id: MessageId,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.client
            .request(route!(DELETE "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
                application_id = application_id, interaction_token = token.as_str(),
                message_id = message_id))
            .without_auth()
            .send()
            .await?;
            Ok(())
        })
    }
}
