//! A recording HTTP/1.1 proxy in front of the search node: peba is pointed at it, and every
//! request peba sends (method, path and query, content type, body) is forwarded unchanged on
//! a kept-alive connection to the node and recorded with the time it was sent and answered.

use crate::client::{Conn, read_body, read_headers};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One request peba sent to the node, as it was sent.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// `GET`, `POST`, `PUT`, `HEAD`, `DELETE`.
    pub method: String,
    /// Path and query string, e.g. `/ews-*/_search?ignore_unavailable=true&…`.
    pub target: String,
    /// `Content-Type` of the request.
    pub content_type: Option<String>,
    /// The request body.
    pub body: Vec<u8>,
    /// When the proxy had read the whole request.
    pub sent: Instant,
    /// When the proxy had the node's whole answer.
    pub answered: Instant,
    /// The node's status.
    pub status: u16,
}

/// A running proxy; stops accepting when dropped (open connections end with their client).
pub struct Proxy {
    /// Where it listens (`http://<addr>` is the `elasticsearch_host` to give peba).
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Exchange>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `node`.
    pub async fn start(node: SocketAddr) -> io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let accept_log = log.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let log = accept_log.clone();
                tokio::spawn(async move {
                    if let Err(e) = forward(client, node, log).await
                        && !matches!(
                            e.kind(),
                            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                        )
                    {
                        eprintln!("  proxy connection ended: {e}");
                    }
                });
            }
        });
        Ok(Proxy { addr, log, accept })
    }

    /// The URL to give peba.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Removes and returns everything recorded so far, in the order the answers arrived.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.log.lock().expect("proxy log"))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Serves one client connection: each request is read whole, sent to the node, answered and
/// recorded.
async fn forward(
    client: TcpStream,
    node: SocketAddr,
    log: Arc<Mutex<Vec<Exchange>>>,
) -> io::Result<()> {
    client.set_nodelay(true)?;
    let mut client = BufReader::with_capacity(64 * 1024, client);
    let mut upstream = Conn::connect(node).await?;
    let mut line = String::new();
    let mut reply = Vec::with_capacity(64 * 1024);
    loop {
        line.clear();
        if client.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad request line {line:?}"),
            ));
        };
        let (method, target) = (method.to_owned(), target.to_owned());
        let headers = read_headers(&mut client, &mut line).await?;
        let body = read_body(&mut client, &mut line, &headers, false).await?;
        let sent = Instant::now();
        let answer = upstream
            .send(&method, &target, headers.content_type.as_deref(), &body)
            .await?;
        let answered = Instant::now();
        reply.clear();
        reply.extend_from_slice(format!("HTTP/1.1 {} -\r\n", answer.status).as_bytes());
        if let Some(ct) = &answer.content_type {
            reply.extend_from_slice(format!("content-type: {ct}\r\n").as_bytes());
        }
        reply
            .extend_from_slice(format!("content-length: {}\r\n\r\n", answer.body.len()).as_bytes());
        reply.extend_from_slice(&answer.body);
        client.get_mut().write_all(&reply).await?;
        log.lock().expect("proxy log").push(Exchange {
            method,
            target,
            content_type: headers.content_type,
            body,
            sent,
            answered,
            status: answer.status,
        });
    }
}
