//! `acord-testkit serve`: runs the fake Discord as a process so any Discord
//! client can be pointed at it.
//!
//! ```text
//! cargo run -p acord-testkit --release -- serve [--shards N] [--max-concurrency C]
//!     [--heartbeat-ms H] [--bucket-limit L] [--bucket-window-ms W] [--token T]
//!     [--guilds G] [--rest-port P] [--gateway-port Q] [--no-rate-limits]
//!     [--privileged-intents [GUILD_MEMBERS,GUILD_PRESENCES,MESSAGE_CONTENT]]
//! ```
//!
//! `--privileged-intents` enables privileged intents as the Developer
//! Portal's switches do (all three without a list); without it, an
//! IDENTIFY asking for one is closed with 4014, as on Discord.
//!
//! Prints ONE JSON line on stdout — `{"api_base": …, "gateway_url": …,
//! "token": …, "control_base": …}` — then serves until killed (Ctrl-C),
//! logging every connection and request to stderr. The HTTP control API
//! (`control_base`, `/__testkit/...` on the REST port) drives the fake:
//! users who speak, dispatches, gateway faults, the request log, counters
//! (see `docs/testing.md`). Build with `--features zstd` for
//! `compress=zstd-stream`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use acord_core_signals::Intents;
use acord_testkit::{FakeDiscord, FakeDiscordBuilder};

const USAGE: &str =
    "usage: acord-testkit serve [--shards N] [--max-concurrency C] [--heartbeat-ms H] \
[--bucket-limit L] [--bucket-window-ms W] [--global-limit G] [--token T] [--guilds N] \
[--rest-port P] [--gateway-port Q] [--no-rate-limits] [--privileged-intents [LIST]]";

/// A command-line mistake, reported with the usage text.
#[derive(Debug, thiserror::Error)]
enum ArgError {
    #[error("unknown command or flag `{0}`")]
    Unknown(String),
    #[error("`{0}` needs a value")]
    MissingValue(String),
    #[error("`{flag}` takes a whole number, got `{value}`")]
    NotANumber { flag: String, value: String },
    #[error(
        "`{0}` is not a privileged intent; --privileged-intents takes \
         GUILD_MEMBERS, GUILD_PRESENCES and MESSAGE_CONTENT (comma-separated), or nothing for all three"
    )]
    NotPrivileged(String),
}

/// `--privileged-intents [LIST]`: the privileged intents "enabled in the
/// Developer Portal". Without a list (the next argument is another flag, or
/// there is none), all three.
fn privileged_intents(list: Option<&str>) -> Result<Intents, ArgError> {
    let Some(list) = list else {
        return Ok(Intents::PRIVILEGED);
    };
    list.split(',')
        .filter(|name| !name.is_empty())
        .try_fold(Intents::empty(), |intents, name| {
            Intents::from_name(&name.trim().to_ascii_uppercase())
                .filter(|intent| Intents::PRIVILEGED.contains(*intent))
                .map(|intent| intents | intent)
                .ok_or_else(|| ArgError::NotPrivileged(name.to_owned()))
        })
}

fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, ArgError> {
    let value = value.ok_or_else(|| ArgError::MissingValue(flag.to_owned()))?;
    value.parse().map_err(|_| ArgError::NotANumber {
        flag: flag.to_owned(),
        value,
    })
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<FakeDiscordBuilder, ArgError> {
    let mut args = args.into_iter().peekable();
    match args.next().as_deref() {
        Some("serve") => {}
        Some(other) => return Err(ArgError::Unknown(other.to_owned())),
        None => return Err(ArgError::Unknown(String::new())),
    }
    // `serve` is for clients in any language: the HTTP control API is on.
    let mut builder = FakeDiscord::builder().control_api(true);
    while let Some(flag) = args.next() {
        builder = match flag.as_str() {
            "--shards" => builder.shards(number(&flag, args.next())?),
            "--max-concurrency" => builder.max_concurrency(number(&flag, args.next())?),
            "--heartbeat-ms" => {
                builder.heartbeat_interval(Duration::from_millis(number(&flag, args.next())?))
            }
            "--bucket-limit" => builder.bucket_limit(number(&flag, args.next())?),
            "--bucket-window-ms" => {
                builder.bucket_window(Duration::from_millis(number(&flag, args.next())?))
            }
            "--global-limit" => builder.global_limit(number(&flag, args.next())?),
            "--guilds" => builder.guilds(number(&flag, args.next())?),
            "--rest-port" => builder.rest_addr(SocketAddr::from((
                [127, 0, 0, 1],
                number::<u16>(&flag, args.next())?,
            ))),
            "--gateway-port" => builder.gateway_addr(SocketAddr::from((
                [127, 0, 0, 1],
                number::<u16>(&flag, args.next())?,
            ))),
            "--token" => builder.token(args.next().ok_or(ArgError::MissingValue(flag))?),
            "--no-rate-limits" => builder.rate_limits(false),
            "--privileged-intents" => {
                let list = args.next_if(|next| !next.starts_with("--"));
                builder.privileged_intents(privileged_intents(list.as_deref())?)
            }
            _ => return Err(ArgError::Unknown(flag)),
        };
    }
    Ok(builder)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let builder = match parse(std::env::args().skip(1)) {
        Ok(builder) => builder,
        Err(err) => {
            eprintln!("acord-testkit: {err}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("acord-testkit: cannot start the tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let fake = match builder.start().await {
            Ok(fake) => fake,
            Err(err) => {
                eprintln!("acord-testkit: cannot bind: {err}");
                return ExitCode::FAILURE;
            }
        };
        let control_base = format!("{}/__testkit", fake.api_base().trim_end_matches("/api"));
        let line = serde_json::json!({
            "api_base": fake.api_base(),
            "gateway_url": fake.gateway_url(),
            "token": fake.token(),
            "control_base": control_base,
        });
        println!("{line}");
        tracing::info!(
            api_base = fake.api_base(),
            gateway_url = fake.gateway_url(),
            "fake Discord serving; Ctrl-C stops it"
        );
        if let Err(err) = tokio::signal::ctrl_c().await {
            eprintln!("acord-testkit: cannot listen for Ctrl-C: {err}");
        }
        fake.shutdown().await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_every_flag() {
        let parsed = parse(args(
            "serve --shards 4 --max-concurrency 2 --heartbeat-ms 500 --bucket-limit 3 \
             --bucket-window-ms 100 --global-limit 10 --token t --guilds 5 --no-rate-limits",
        ));
        assert!(parsed.is_ok());
    }

    #[test]
    fn privileged_intents_are_enabled_on_request() {
        let debug = |text: &str| format!("{:?}", parse(args(text)).unwrap());
        assert!(debug("serve").contains("privileged_intents: Intents(0x0)"));
        let all = debug("serve --privileged-intents");
        for name in ["GUILD_MEMBERS", "GUILD_PRESENCES", "MESSAGE_CONTENT"] {
            assert!(all.contains(name), "{all}");
        }
        let all_then_flag = debug("serve --privileged-intents --shards 2");
        assert!(all_then_flag.contains("MESSAGE_CONTENT"), "{all_then_flag}");
        let some = debug("serve --privileged-intents message_content,GUILD_MEMBERS");
        assert!(some.contains("MESSAGE_CONTENT") && some.contains("GUILD_MEMBERS"));
        assert!(!some.contains("GUILD_PRESENCES"), "{some}");
        assert!(matches!(
            parse(args("serve --privileged-intents GUILDS")),
            Err(ArgError::NotPrivileged(_))
        ));
    }

    #[test]
    fn rejects_mistakes() {
        assert!(matches!(parse(args("run")), Err(ArgError::Unknown(_))));
        assert!(matches!(parse(args("")), Err(ArgError::Unknown(_))));
        assert!(matches!(
            parse(args("serve --shards")),
            Err(ArgError::MissingValue(_))
        ));
        assert!(matches!(
            parse(args("serve --shards many")),
            Err(ArgError::NotANumber { .. })
        ));
        assert!(matches!(
            parse(args("serve --bogus")),
            Err(ArgError::Unknown(_))
        ));
    }
}
