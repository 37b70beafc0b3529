//! A real HTTP CONNECT proxy on 127.0.0.1, as a company network would have:
//! it records each CONNECT (request line, headers) and every byte the client
//! sent through it, so a test can prove the key never crossed it in clear.
//! It opens tunnels to 127.0.0.1 only, and stops accepting when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// How the proxy answers a CONNECT.
#[derive(Debug, Clone)]
pub enum ProxyMode {
    /// Opens the tunnel.
    Open,
    /// Answers every CONNECT with this status (403, 502, ...) and closes.
    Refuse(u16),
    /// Opens the tunnel only with `Proxy-Authorization: Basic base64(user:password)`, else 407.
    RequireAuth { user: String, password: String },
}

/// One connection to the proxy, as it saw it.
#[derive(Debug, Clone, Default)]
pub struct Tunnel {
    /// `CONNECT 127.0.0.1:PORT HTTP/1.1`, or whatever else came.
    pub request_line: String,
    /// Lowercase names.
    pub headers: Vec<(String, String)>,
    /// What the proxy answered.
    pub status: u16,
    /// Every byte the client sent, the request head included.
    pub from_client: Vec<u8>,
}

impl Tunnel {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Shared = Arc<Mutex<Vec<Arc<Mutex<Tunnel>>>>>;

pub struct TestProxy {
    addr: SocketAddr,
    tunnels: Shared,
    stop: Arc<AtomicBool>,
}

impl TestProxy {
    pub fn start(mode: ProxyMode) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let tunnels: Shared = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (for_thread, stopping) = (Arc::clone(&tunnels), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let record = Arc::new(Mutex::new(Tunnel::default()));
                for_thread.lock().unwrap().push(Arc::clone(&record));
                let mode = mode.clone();
                std::thread::spawn(move || handle(stream, &mode, &record));
            }
        });
        TestProxy {
            addr,
            tunnels,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://USER:PASSWORD@127.0.0.1:PORT`
    pub fn url_with_credentials(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}", self.addr)
    }

    /// Every connection so far, in arrival order.
    pub fn tunnels(&self) -> Vec<Tunnel> {
        self.tunnels
            .lock()
            .unwrap()
            .iter()
            .map(|t| t.lock().unwrap().clone())
            .collect()
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn handle(client: TcpStream, mode: &ProxyMode, record: &Mutex<Tunnel>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        head.extend_from_slice(&line);
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.lines();
    let request_line = lines.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    {
        let mut r = record.lock().unwrap();
        r.request_line = request_line.clone();
        r.headers = headers.clone();
        r.from_client = head;
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let status = match mode {
        _ if method != "CONNECT" => 405,
        ProxyMode::Refuse(code) => *code,
        ProxyMode::RequireAuth { user, password } => {
            let expected = format!(
                "Basic {}",
                super::base64_encode(format!("{user}:{password}").as_bytes())
            );
            let given = headers
                .iter()
                .find(|(n, _)| n == "proxy-authorization")
                .map(|(_, v)| v.as_str());
            if given == Some(expected.as_str()) {
                200
            } else {
                407
            }
        }
        ProxyMode::Open => 200,
    };
    // Never a tunnel anywhere but this machine.
    let upstream = match status {
        200 if target.starts_with("127.0.0.1:") || target.starts_with("localhost:") => {
            TcpStream::connect(target.replace("localhost:", "127.0.0.1:")).ok()
        }
        _ => None,
    };
    let status = if status == 200 && upstream.is_none() {
        502
    } else {
        status
    };
    record.lock().unwrap().status = status;
    let mut client_out = client;
    let Some(upstream) = upstream else {
        let extra = if status == 407 {
            "Proxy-Authenticate: Basic realm=\"test\"\r\n"
        } else {
            ""
        };
        let _ = write!(
            client_out,
            "HTTP/1.1 {status} No\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let _ = client_out.shutdown(Shutdown::Both);
        return;
    };
    let _ = client_out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    // Upstream to client on a thread of its own; client to upstream here, recorded.
    let (mut up_read, mut up_write) = (upstream.try_clone().unwrap(), upstream);
    let mut down = client_out.try_clone().unwrap();
    let pump = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut down);
        let _ = down.shutdown(Shutdown::Write);
    });
    let mut buf = [0u8; 16 * 1024];
    loop {
        // Bytes the BufReader already holds come first.
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        record
            .lock()
            .unwrap()
            .from_client
            .extend_from_slice(&buf[..n]);
        if up_write.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = up_write.shutdown(Shutdown::Write);
    let _ = pump.join();
}
