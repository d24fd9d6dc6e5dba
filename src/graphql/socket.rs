//! The WebSocket under a GraphQL session: keep-alive pings while the session is quiet, and a
//! proper close frame (1001, going away) when the server shuts down.
//!
//! The session writes into a queue; this pump alone writes to the socket, interleaving a
//! WebSocket ping every `ping_every` (half the idle timeout), so that an open subscription
//! without events is not taken for an idle connection, and proxies see traffic.

use crate::shutdown::Shutdown;
use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use futures::channel::mpsc;
use futures::stream::SplitStream;
use futures::{SinkExt, StreamExt};
use std::future::Future;
use std::time::Duration;

/// Messages the session may queue ahead of the socket.
const QUEUE: usize = 16;

/// Runs `session` (given the queue to write to and the socket's incoming half) over `socket`
/// until the session ends, the client goes away, or the server shuts down.
pub async fn pump<F, Fut>(socket: WebSocket, ping_every: Duration, shutdown: Shutdown, session: F)
where
    F: FnOnce(mpsc::Sender<Message>, SplitStream<WebSocket>) -> Fut,
    Fut: Future<Output = ()>,
{
    let (mut sink, incoming) = socket.split();
    let (outgoing, mut queue) = mpsc::channel(QUEUE);
    let session = session(outgoing, incoming);
    tokio::pin!(session);
    let mut session_over = false;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    loop {
        let sent = tokio::select! {
            () = &mut session, if !session_over => {
                session_over = true;
                Ok(())
            }
            message = queue.next() => match message {
                Some(message) => sink.send(message).await,
                // The session ended and everything it queued is out.
                None => break,
            },
            _ = ping.tick() => sink.send(Message::Ping(Default::default())).await,
            () = shutdown.requested() => {
                let close = CloseFrame {
                    code: close_code::AWAY,
                    reason: "server shutting down".into(),
                };
                let _ = sink.send(Message::Close(Some(close))).await;
                break;
            }
        };
        if sent.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}
