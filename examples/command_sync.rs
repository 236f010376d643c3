//! Registering application commands with `client.commands().sync_global()`:
//! Discord's commands are read, compared with the definitions, and
//! overwritten in one request only when something differs, so a bot can
//! sync at every start without rewriting its commands.
//!
//! The definitions cover a slash command with options (a required string
//! with a length limit, integer choices, a channel restricted to text
//! channels, an autocompleted string), localisations, a subcommand group,
//! default member permissions and contexts, and user and message
//! context-menu commands.
//!
//! Offline (the default): syncs against acord-testkit's fake Discord twice
//! and prints both reports, the first with every command created, the
//! second with every command unchanged (nothing sent); exits 0 when so —
//! no token, no network: `cargo run --example command_sync`.
//!
//! Online: `DISCORD_TOKEN=... cargo run --example command_sync` syncs the
//! bot's global commands once and prints the report;
//! `DISCORD_GUILD_ID=...` syncs that guild's commands instead (they update
//! at once; global ones can take a while to show). `ACORD_API_BASE`
//! points it at another REST base (a proxy).

use std::process::ExitCode;

use acord::command::{CommandBuilder, CommandDefinition, CommandOptionBuilder, ValidationError};
use acord::model::{
    ChannelType, ChoiceValue, CommandNumber, CommandOptionType as T, GuildId,
    InteractionContextType, Permissions,
};
use acord::sync::{CommandSync, SyncReport};
use acord::{Client, Intents};
use acord_testkit::FakeDiscord;

/// The bot's commands, as code.
fn definitions() -> Result<Vec<CommandDefinition>, ValidationError> {
    let text = CommandOptionBuilder::new(T::String, "text", "What to say")
        .description_localization("de", "Was gesagt werden soll")
        .required(true)
        .max_length(200)
        .build()?;
    let times = CommandOptionBuilder::new(T::Integer, "times", "How often")
        .localized_choice("once", ChoiceValue::Integer(1), [("de", "einmal")])
        .localized_choice("twice", ChoiceValue::Integer(2), [("de", "zweimal")])
        .build()?;
    let echo = CommandBuilder::chat_input("echo", "Repeats what you say")
        .name_localization("de", "wiederhole")
        .description_localization("de", "Wiederholt, was du sagst")
        .options([text, times])
        .contexts([InteractionContextType::Guild, InteractionContextType::BotDm])
        .build()?;

    let channel = CommandOptionBuilder::new(T::Channel, "channel", "Where logs go")
        .channel_types([ChannelType::GuildText])
        .required(true)
        .build()?;
    let level = CommandOptionBuilder::new(T::Integer, "level", "Least severity logged")
        .min_value(CommandNumber::Integer(0))
        .max_value(CommandNumber::Integer(5))
        .build()?;
    let set = CommandOptionBuilder::new(T::SubCommand, "set", "Sets the log channel")
        .option(channel)
        .option(level)
        .build()?;
    let off = CommandOptionBuilder::new(T::SubCommand, "off", "Stops logging").build()?;
    let log = CommandOptionBuilder::new(T::SubCommandGroup, "log", "Logging")
        .option(set)
        .option(off)
        .build()?;
    let tag = CommandOptionBuilder::new(T::String, "tag", "A tag to show")
        .autocomplete(true)
        .build()?;
    let show = CommandOptionBuilder::new(T::SubCommand, "show", "Shows a tag")
        .option(tag)
        .build()?;
    let config = CommandBuilder::chat_input("config", "Server settings")
        .options([log, show])
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .contexts([InteractionContextType::Guild])
        .build()?;

    Ok(vec![
        CommandBuilder::chat_input("ping", "Checks the bot is alive").build()?,
        echo,
        config,
        CommandBuilder::user("Show profile").build()?,
        CommandBuilder::message("Bookmark").build()?,
    ])
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match std::env::var("DISCORD_TOKEN") {
        Ok(token) if !token.trim().is_empty() => online(token).await,
        _ => offline().await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&*e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

/// One sync against Discord.
async fn online(token: String) -> Result<ExitCode, Box<dyn std::error::Error>> {
    // No gateway connection is needed: `commands()` fetches the
    // application ID once with GET /applications/@me.
    let client = Client::builder(token, Intents::empty()).build().await?;
    let defs = definitions()?;
    let report = match std::env::var("DISCORD_GUILD_ID") {
        Ok(id) => {
            let guild = id
                .trim()
                .parse::<u64>()
                .ok()
                .and_then(GuildId::new)
                .ok_or("DISCORD_GUILD_ID is not a guild ID")?;
            client.commands().sync_guild(guild, &defs).await?
        }
        Err(_) => client.commands().sync_global(&defs).await?,
    };
    print_report(&report);
    Ok(ExitCode::SUCCESS)
}

/// Two syncs against the fake Discord: everything is created, then nothing
/// is sent.
async fn offline() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let fake = FakeDiscord::builder().start().await?;
    println!(
        "no DISCORD_TOKEN: syncing against the fake Discord at {}",
        fake.api_base()
    );
    let client = Client::builder(fake.token(), Intents::empty())
        .api_base(fake.api_base())
        .build()
        .await?;
    let defs = definitions()?;

    let first = client.commands().sync_global(&defs).await?;
    print_report(&first);
    let puts = |fake: &FakeDiscord| {
        fake.requests()
            .iter()
            .filter(|r| r.method == "PUT" && r.path.ends_with("/commands"))
            .count()
    };
    let before = puts(&fake);

    // The next start: the same definitions, nothing to send.
    let second = client.commands().sync_global(&defs).await?;
    print_report(&second);
    let sent = puts(&fake) - before;
    println!("bulk overwrites sent by the second sync: {sent}");

    fake.shutdown().await;
    let ok = first.created.len() == defs.len() && second.is_unchanged() && sent == 0;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_report(report: &SyncReport) {
    println!("{report}");
    for command in &report.commands {
        println!("  {} (id {})", command.name, command.id);
    }
}

// `CommandSync` works without a client too:
// `CommandSync::new(&http, application_id).sync_global(&defs)`.
#[allow(dead_code)]
async fn without_a_client(http: &acord::Http) -> acord::Result<SyncReport> {
    CommandSync::current_application(http)
        .sync_global(&definitions()?)
        .await
}
