//! Application commands, global and per guild (discord-protocol.md §10.6).
//!
//! Every method takes the application ID explicitly: interactions carry it
//! ([`Interaction::application_id`](crate::model::Interaction)), READY
//! sets it on the client's [`Http`] ([`Http::application_id`]), and
//! [`Http::current_application_id`] fetches it when neither is at hand.
//! Build the bodies with [`CommandBuilder`](crate::command::CommandBuilder),
//! which checks the documented limits.
//!
//! To bring Discord's commands in line with a list of definitions, sending
//! nothing when they already match, use
//! [`CommandSync`](crate::sync::CommandSync) (or
//! [`Client::commands`](crate::Client::commands)).

use acord_core_http::route;

use super::{BoxFuture, Http};
use crate::command::CommandDefinition;
use crate::model::{ApplicationCommand, ApplicationId, CommandId, GuildId, PartialApplication};
use crate::Result;

impl Http {
    /// The bot's application ID: the one READY set (see
    /// [`application_id`](Self::application_id)), or else fetched once with
    /// `GET /applications/@me` and remembered.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when the fetch
    /// fails.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn current_application_id(&self) -> BoxFuture<'_, Result<ApplicationId>> {
        Box::pin(async move {
            if let Some(id) = self.application_id() {
                return Ok(id);
            }
            let app: PartialApplication = self
                .client
                .request(route!(GET "/applications/@me"))
                .send()
                .await?
                .json()?;
            self.set_application_id(app.id);
            Ok(app.id)
        })
    }

    /// Lists the global commands:
    /// `GET /applications/{application.id}/commands?with_localizations=true`
    /// (with the full `name_localizations` and `description_localizations`,
    /// which Discord otherwise leaves out).
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn global_commands(
        &self,
        application_id: ApplicationId,
    ) -> BoxFuture<'_, Result<Vec<ApplicationCommand>>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/applications/{application_id}/commands",
                application_id = application_id))
                .query("with_localizations", true)
                .send()
                .await?
                .json()?)
        })
    }

    /// Fetches one global command:
    /// `GET /applications/{application.id}/commands/{command.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): 10063 unknown
    /// command…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn global_command(
        &self,
        application_id: ApplicationId,
        command_id: CommandId,
    ) -> BoxFuture<'_, Result<ApplicationCommand>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(
                    route!(GET "/applications/{application_id}/commands/{command_id}",
                application_id = application_id, command_id = command_id),
                )
                .send()
                .await?
                .json()?)
        })
    }

    /// Creates a global command, or overwrites the one with the same name
    /// and type: `POST /applications/{application.id}/commands`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (30032 max commands, 30034 daily creates…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the command created.
    pub fn create_global_command<'a>(
        &'a self,
        application_id: ApplicationId,
        command: &'a CommandDefinition,
    ) -> BoxFuture<'a, Result<ApplicationCommand>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(POST "/applications/{application_id}/commands",
                application_id = application_id))
                .json(command)
                .send()
                .await?
                .json()?)
        })
    }

    /// Edits a global command:
    /// `PATCH /applications/{application.id}/commands/{command.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the command edited.
    pub fn edit_global_command<'a>(
        &'a self,
        application_id: ApplicationId,
        command_id: CommandId,
        command: &'a CommandDefinition,
    ) -> BoxFuture<'a, Result<ApplicationCommand>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(
                    route!(PATCH "/applications/{application_id}/commands/{command_id}",
                application_id = application_id, command_id = command_id),
                )
                .json(command)
                .send()
                .await?
                .json()?)
        })
    }

    /// Deletes a global command:
    /// `DELETE /applications/{application.id}/commands/{command.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the command deleted.
    pub fn delete_global_command(
        &self,
        application_id: ApplicationId,
        command_id: CommandId,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.client
                .request(
                    route!(DELETE "/applications/{application_id}/commands/{command_id}",
                application_id = application_id, command_id = command_id),
                )
                .send()
                .await?;
            Ok(())
        })
    }

    /// Replaces all global commands with `commands` (an empty list removes
    /// them all): `PUT /applications/{application.id}/commands`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// command that breaks Discord's rules, more commands of a type than
    /// Discord allows, or two commands of one type with one name;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; sending the same list twice is harmless.
    pub fn set_global_commands<'a>(
        &'a self,
        application_id: ApplicationId,
        commands: &'a [CommandDefinition],
    ) -> BoxFuture<'a, Result<Vec<ApplicationCommand>>> {
        Box::pin(async move {
            CommandDefinition::validate_list(commands, false)?;
            Ok(self
                .client
                .request(route!(PUT "/applications/{application_id}/commands",
                application_id = application_id))
                .json(commands)
                .send()
                .await?
                .json()?)
        })
    }

    /// Lists a guild's commands:
    /// `GET /applications/{application.id}/guilds/{guild.id}/commands?with_localizations=true`
    /// (with the full localisation maps).
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn guild_commands(
        &self,
        application_id: ApplicationId,
        guild_id: GuildId,
    ) -> BoxFuture<'_, Result<Vec<ApplicationCommand>>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(
                    route!(GET "/applications/{application_id}/guilds/{guild_id}/commands",
                application_id = application_id, guild_id = guild_id),
                )
                .query("with_localizations", true)
                .send()
                .await?
                .json()?)
        })
    }

    /// Fetches one guild command:
    /// `GET /applications/{application.id}/guilds/{guild.id}/commands/{command.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): 10063 unknown
    /// command…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn guild_command(
        &self,
        application_id: ApplicationId,
        guild_id: GuildId,
        command_id: CommandId,
    ) -> BoxFuture<'_, Result<ApplicationCommand>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(
                    GET "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                    application_id = application_id,
                    guild_id = guild_id,
                    command_id = command_id
                ))
                .send()
                .await?
                .json()?)
        })
    }

    /// Creates a guild command, or overwrites the one with the same name
    /// and type: `POST /applications/{application.id}/guilds/{guild.id}/commands`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (30034: 200 creates a day per guild…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the command created.
    pub fn create_guild_command<'a>(
        &'a self,
        application_id: ApplicationId,
        guild_id: GuildId,
        command: &'a CommandDefinition,
    ) -> BoxFuture<'a, Result<ApplicationCommand>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(
                    route!(POST "/applications/{application_id}/guilds/{guild_id}/commands",
                application_id = application_id, guild_id = guild_id),
                )
                .json(command)
                .send()
                .await?
                .json()?)
        })
    }

    /// Edits a guild command:
    /// `PATCH /applications/{application.id}/guilds/{guild.id}/commands/{command.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the command edited.
    pub fn edit_guild_command<'a>(
        &'a self,
        application_id: ApplicationId,
        guild_id: GuildId,
        command_id: CommandId,
        command: &'a CommandDefinition,
    ) -> BoxFuture<'a, Result<ApplicationCommand>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(
                    PATCH "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                    application_id = application_id,
                    guild_id = guild_id,
                    command_id = command_id
                ))
                .json(command)
                .send()
                .await?
                .json()?)
        })
    }

    /// Deletes a guild command:
    /// `DELETE /applications/{application.id}/guilds/{guild.id}/commands/{command.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the command deleted.
    pub fn delete_guild_command(
        &self,
        application_id: ApplicationId,
        guild_id: GuildId,
        command_id: CommandId,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.client
                .request(route!(
                    DELETE "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                    application_id = application_id,
                    guild_id = guild_id,
                    command_id = command_id
                ))
                .send()
                .await?;
            Ok(())
        })
    }

    /// Replaces all of a guild's commands with `commands`:
    /// `PUT /applications/{application.id}/guilds/{guild.id}/commands`.
    ///
    /// # Errors
    ///
    /// As [`set_global_commands`](Self::set_global_commands).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; sending the same list twice is harmless.
    pub fn set_guild_commands<'a>(
        &'a self,
        application_id: ApplicationId,
        guild_id: GuildId,
        commands: &'a [CommandDefinition],
    ) -> BoxFuture<'a, Result<Vec<ApplicationCommand>>> {
        Box::pin(async move {
            CommandDefinition::validate_list(commands, true)?;
            Ok(self
                .client
                .request(
                    route!(PUT "/applications/{application_id}/guilds/{guild_id}/commands",
                application_id = application_id, guild_id = guild_id),
                )
                .json(commands)
                .send()
                .await?
                .json()?)
        })
    }
}
