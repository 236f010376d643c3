//! The fake gateway (discord-protocol.md §3-§7).

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::server::Shared;

/// Which shard(s) a gateway control command targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShardTarget {
    /// Every connected shard.
    All,
    /// One shard id.
    Shard(u32),
}

/// Gateway sessions and connections.
#[derive(Debug, Default)]
pub(crate) struct Hub {}

impl Hub {
    pub fn new(_config: &Config) -> Hub {
        Hub::default()
    }
}

/// Serves the gateway until the fake is cancelled.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        tokio::select! {
            () = shared.cancel.cancelled() => return,
            accepted = listener.accept() => {
                if let Err(err) = accepted {
                    tracing::warn!(%err, "gateway accept failed");
                }
            }
        }
    }
}
