//! Gateway connection parameters: encodings, transport compression and the
//! shard a guild belongs to (discord-protocol.md §3.2, §3.15).

use std::fmt;

/// The `encoding` query parameter of the gateway URL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// JSON text (the default).
    #[default]
    Json,
    /// Erlang External Term Format (binary frames).
    Etf,
}

impl Encoding {
    /// The query-string value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Etf => "etf",
        }
    }

    /// Parses a query-string value.
    pub fn from_query(value: &str) -> Option<Self> {
        match value {
            "json" => Some(Self::Json),
            "etf" => Some(Self::Etf),
            _ => None,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The optional `compress` query parameter: transport compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// One zlib context per connection; each message ends in `00 00 FF FF`.
    ZlibStream,
    /// One zstd context per connection; each message is one frame chunk.
    ZstdStream,
}

impl Compression {
    /// The query-string value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ZlibStream => "zlib-stream",
            Self::ZstdStream => "zstd-stream",
        }
    }

    /// Parses a query-string value.
    pub fn from_query(value: &str) -> Option<Self> {
        match value {
            "zlib-stream" => Some(Self::ZlibStream),
            "zstd-stream" => Some(Self::ZstdStream),
            _ => None,
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The four bytes (`Z_SYNC_FLUSH`) that end every zlib-stream message.
pub const ZLIB_SUFFIX: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// The shard that receives events of a guild:
/// `(guild_id >> 22) % shard_count`. A `shard_count` of 0 is treated as 1.
///
/// ```
/// assert_eq!(acord_core_signals::shard_for_guild(41771983423143937, 2), 0);
/// assert_eq!(acord_core_signals::shard_for_guild(41771983423143937, 7), 2);
/// ```
pub const fn shard_for_guild(guild_id: u64, shard_count: u32) -> u32 {
    let count = if shard_count == 0 {
        1
    } else {
        shard_count as u64
    };
    ((guild_id >> 22) % count) as u32
}

/// The identify rate-limit key of a shard: `shard_id % max_concurrency`
/// (a `max_concurrency` of 0 is treated as 1).
pub const fn identify_rate_limit_key(shard_id: u32, max_concurrency: u32) -> u32 {
    let mc = if max_concurrency == 0 {
        1
    } else {
        max_concurrency
    };
    shard_id % mc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values() {
        assert_eq!(Encoding::Json.as_str(), "json");
        assert_eq!(Encoding::Etf.as_str(), "etf");
        assert_eq!(Compression::ZlibStream.as_str(), "zlib-stream");
        assert_eq!(Compression::ZstdStream.as_str(), "zstd-stream");
        for e in [Encoding::Json, Encoding::Etf] {
            assert_eq!(Encoding::from_query(e.as_str()), Some(e));
        }
        for c in [Compression::ZlibStream, Compression::ZstdStream] {
            assert_eq!(Compression::from_query(&c.to_string()), Some(c));
        }
        assert_eq!(Encoding::from_query("xml"), None);
        assert_eq!(Compression::from_query("gzip"), None);
    }

    #[test]
    fn sharding_formula() {
        let guild = 197038439483310086u64; // timestamp part 46977446054
        assert_eq!(shard_for_guild(guild, 1), 0);
        assert_eq!(shard_for_guild(guild, 0), 0);
        assert_eq!(shard_for_guild(guild, 16), ((guild >> 22) % 16) as u32);
        assert_eq!(identify_rate_limit_key(13, 4), 1);
        assert_eq!(identify_rate_limit_key(13, 0), 0);
    }
}
