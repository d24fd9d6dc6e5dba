//! A minimal HTTP/1.1 keep-alive client over one TCP connection: cheap enough that the load
//! generator does not need much of the two cores it shares with the server.

use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One kept-alive connection.
pub struct Conn {
    stream: BufReader<TcpStream>,
    addr: SocketAddr,
    request: Vec<u8>,
    line: String,
}

/// A response: status and body.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type`, when the server sent one.
    pub content_type: Option<String>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn bad(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

impl Conn {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream: BufReader::with_capacity(64 * 1024, stream),
            addr,
            request: Vec::with_capacity(4096),
            line: String::new(),
        })
    }

    /// Sends one request and reads the whole answer; reconnects once if the server had closed
    /// the kept-alive connection before the request was sent.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> io::Result<Response> {
        match self.send_once(method, path, content_type, body).await {
            Err(e)
                if e.kind() == io::ErrorKind::UnexpectedEof
                    || e.kind() == io::ErrorKind::BrokenPipe
                    || e.kind() == io::ErrorKind::ConnectionReset =>
            {
                *self = Conn::connect(self.addr).await?;
                self.send_once(method, path, content_type, body).await
            }
            other => other,
        }
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> io::Result<Response> {
        self.send("GET", path, None, b"").await
    }

    /// `POST path` with an XML body.
    pub async fn post_xml(&mut self, path: &str, body: &[u8]) -> io::Result<Response> {
        self.send("POST", path, Some("text/xml"), body).await
    }

    async fn send_once(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> io::Result<Response> {
        use std::io::Write as _;
        self.request.clear();
        write!(
            self.request,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: peba-bench\r\n",
            self.addr
        )?;
        if let Some(ct) = content_type {
            write!(self.request, "Content-Type: {ct}\r\n")?;
        }
        if method != "GET" || !body.is_empty() {
            write!(self.request, "Content-Length: {}\r\n", body.len())?;
        }
        self.request.extend_from_slice(b"\r\n");
        self.request.extend_from_slice(body);
        self.stream.get_mut().write_all(&self.request).await?;
        self.read_response(method == "HEAD").await
    }

    async fn read_response(&mut self, head: bool) -> io::Result<Response> {
        self.line.clear();
        if self.stream.read_line(&mut self.line).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = self
            .line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(format!("bad status line {:?}", self.line)))?;
        let headers = read_headers(&mut self.stream, &mut self.line).await?;
        let body = if head {
            Vec::new()
        } else {
            read_body(&mut self.stream, &mut self.line, &headers, true).await?
        };
        Ok(Response {
            status,
            content_type: headers.content_type,
            body,
        })
    }
}

/// The headers of an HTTP/1.1 message that matter for reading it.
#[derive(Debug, Default)]
pub struct Headers {
    /// `Content-Length`.
    pub length: Option<usize>,
    /// `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// `Content-Type`.
    pub content_type: Option<String>,
}

/// Reads header lines up to the empty line that ends them.
pub async fn read_headers<R: AsyncBufReadExt + Unpin>(
    stream: &mut R,
    line: &mut String,
) -> io::Result<Headers> {
    let mut headers = Headers::default();
    loop {
        line.clear();
        if stream.read_line(line).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            return Ok(headers);
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                headers.length = value.parse().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked")
            {
                headers.chunked = true;
            } else if name.eq_ignore_ascii_case("content-type") {
                headers.content_type = Some(value.to_owned());
            }
        }
    }
}

/// Reads the body `headers` announce (de-chunked). A body with neither length nor chunking
/// runs to the end of the stream when `until_close` (answers), else is empty (requests).
pub async fn read_body<R: AsyncBufReadExt + Unpin>(
    stream: &mut R,
    line: &mut String,
    headers: &Headers,
    until_close: bool,
) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if headers.chunked {
        loop {
            line.clear();
            stream.read_line(line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad("bad chunk size"))?;
            let start = body.len();
            body.resize(start + size, 0);
            stream.read_exact(&mut body[start..]).await?;
            line.clear();
            stream.read_line(line).await?;
            if size == 0 {
                break;
            }
        }
    } else if let Some(length) = headers.length {
        body.resize(length, 0);
        stream.read_exact(&mut body).await?;
    } else if until_close {
        stream.read_to_end(&mut body).await?;
    }
    Ok(body)
}
