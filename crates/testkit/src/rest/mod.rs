//! The fake REST API under `/api/v{9,10}` (discord-protocol.md §1, §2, §11).

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::server::Shared;

/// REST-side state that is not part of the world (rate-limit buckets).
#[derive(Debug, Default)]
pub(crate) struct RestState {}

impl RestState {
    pub fn new(_config: &Config) -> RestState {
        RestState::default()
    }
}

/// Serves REST until the fake is cancelled.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        tokio::select! {
            () = shared.cancel.cancelled() => return,
            accepted = listener.accept() => {
                if let Err(err) = accepted {
                    tracing::warn!(%err, "REST accept failed");
                }
            }
        }
    }
}
