//! `peba healthcheck`: asks a running server's `GET /heartbeat` over loopback, so a container
//! image without a shell or an HTTP client can have a health check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long the whole probe may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest answer read (the heartbeat answer is a few hundred bytes).
const MAX_ANSWER: u64 = 16 * 1024;

/// Why the server is not healthy.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// Nothing answered in time.
    #[error("no answer from http://{address}/heartbeat within {timeout:?}")]
    Timeout {
        /// Where it asked.
        address: SocketAddr,
        /// The bound.
        timeout: Duration,
    },
    /// The connection failed.
    #[error("cannot reach http://{address}/heartbeat: {source}")]
    Io {
        /// Where it asked.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server answered, but not healthy.
    #[error("http://{address}/heartbeat answered {status_line:?}")]
    Unhealthy {
        /// Where it asked.
        address: SocketAddr,
        /// The answer's status line.
        status_line: String,
    },
}

/// The address to probe for a server listening on `bind`: an unspecified address (`0.0.0.0`,
/// `::`) is reached over loopback.
pub fn probe_address(bind: SocketAddr) -> SocketAddr {
    match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, bind.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, bind.port()).into(),
        _ => bind,
    }
}

/// Succeeds when `GET /heartbeat` at `address` answers 200 (the store is reachable).
pub async fn probe(address: SocketAddr) -> Result<(), HealthError> {
    match tokio::time::timeout(PROBE_TIMEOUT, status_line(address)).await {
        Err(_) => Err(HealthError::Timeout {
            address,
            timeout: PROBE_TIMEOUT,
        }),
        Ok(Err(source)) => Err(HealthError::Io { address, source }),
        Ok(Ok(line)) if line.split(' ').nth(1) == Some("200") => Ok(()),
        Ok(Ok(status_line)) => Err(HealthError::Unhealthy {
            address,
            status_line,
        }),
    }
}

async fn status_line(address: SocketAddr) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    let request =
        format!("GET /heartbeat HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.take(MAX_ANSWER).read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_are_probed_over_loopback() {
        let probe = |bind: &str| probe_address(bind.parse().unwrap()).to_string();
        assert_eq!(probe("0.0.0.0:9922"), "127.0.0.1:9922");
        assert_eq!(probe("[::]:80"), "[::1]:80");
        assert_eq!(probe("10.1.2.3:9922"), "10.1.2.3:9922");
    }
}
