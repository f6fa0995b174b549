//! Counts the heap allocations the mock makes per token request, for the
//! allocations bench and its test: the mock in-process on a current-thread
//! runtime (opaque tokens), a warm-up that wraps the journal's ring, then
//! valid F1 `client_secret_basic` requests one at a time on one kept-alive
//! connection.
//!
//! `allocation_counter` is a counting global allocator around `System`
//! that counts per thread (the workspace forbids the `unsafe` a hand-made
//! `GlobalAlloc` needs). The whole server runs on the measured thread; the
//! client is another thread that sends pre-built request bytes and reads
//! into a reused buffer, so nothing it does is counted, and it allocates
//! nothing per request anyway.
//!
//! One allocation is not per request: hyper renders its cached `Date`
//! value once per wall-clock second, and when its `http2` feature is on
//! (any crate in the build can turn it on; the workspace's dev-dependencies
//! do) that render allocates the 29-byte header value. [`Count`] says how
//! many seconds began while it counted, so a bound can allow for them.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{SystemTime, UNIX_EPOCH};

use mock_server::{MockServer, TokenFormat};
use tokio::sync::oneshot;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Checklist fixture F1, `client_secret_basic`, `scope=read`.
const REQUEST: &[u8] = b"POST /token HTTP/1.1\r\n\
Host: 127.0.0.1\r\n\
Authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW\r\n\
Content-Type: application/x-www-form-urlencoded\r\n\
Content-Length: 40\r\n\
\r\n\
grant_type=client_credentials&scope=read";

/// What [`count`] counted.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code, reason = "the bench and the test each read some fields")]
pub(crate) struct Count {
    /// Heap allocations, in total, of the counted requests.
    pub(crate) allocations: u64,
    /// Bytes those allocations asked for.
    pub(crate) bytes: u64,
    /// Wall-clock seconds that began between the last warm-up request and
    /// the end of the count: hyper's `Date` renders that may have allocated.
    pub(crate) seconds_begun: u64,
}

/// Heap allocations and bytes, in total, of `requests` token requests
/// after the warm-up.
pub(crate) fn count(requests: u64) -> Result<Count, BoxError> {
    let requests = requests.max(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let server = runtime.block_on(
        MockServer::builder()
            .token_format(TokenFormat::Opaque)
            .start(),
    )?;
    // Enough to wrap the journal's ring (256 slots by default) a few times,
    // so every slot holds its buffers before the count starts.
    let warm_up = 2_000;
    let (warm, warmed) = oneshot::channel();
    let (done, finished) = oneshot::channel();
    let (go, start) = std::sync::mpsc::channel::<()>();
    let addr = server.local_addr();
    let client = std::thread::spawn(move || client(addr, warm_up, requests, warm, &start, done));
    let last_warm_up = runtime.block_on(warmed)??;
    go.send(())?;
    let mut answered: Result<(), BoxError> = Ok(());
    let info = allocation_counter::measure(|| {
        answered = runtime
            .block_on(finished)
            .map_err(BoxError::from)
            .and_then(|r| r);
    });
    let counted_until = SystemTime::now();
    answered?;
    client.join().map_err(|_| "the client thread panicked")?;
    if server.token_requests() < usize::try_from(warm_up + requests)? {
        return Err("the mock counted fewer token requests than were sent".into());
    }
    runtime.block_on(server.shutdown());
    Ok(Count {
        allocations: info.count_total,
        bytes: info.bytes_total,
        seconds_begun: unix_seconds(counted_until)?.saturating_sub(unix_seconds(last_warm_up)?),
    })
}

fn unix_seconds(time: SystemTime) -> Result<u64, BoxError> {
    Ok(time.duration_since(UNIX_EPOCH)?.as_secs())
}

/// Sends `warm_up` requests, reports when the last of them was sent,
/// waits for the go, sends `requests` more, reports. Every answer must be
/// a 200.
fn client(
    addr: SocketAddr,
    warm_up: u64,
    requests: u64,
    warm: oneshot::Sender<Result<SystemTime, BoxError>>,
    start: &std::sync::mpsc::Receiver<()>,
    done: oneshot::Sender<Result<(), BoxError>>,
) {
    let connected = TcpStream::connect(addr).and_then(|stream| {
        stream.set_nodelay(true)?;
        Ok(stream)
    });
    let mut stream = match connected {
        Ok(stream) => stream,
        Err(error) => {
            let _ = warm.send(Err(error.into()));
            return;
        }
    };
    let mut buffer = vec![0_u8; 16 * 1024];
    let warmed = exchange(&mut stream, &mut buffer, warm_up.saturating_sub(1)).and_then(|()| {
        let last = SystemTime::now();
        exchange(&mut stream, &mut buffer, 1).map(|()| last)
    });
    let _ = warm.send(warmed);
    if start.recv().is_ok() {
        let _ = done.send(exchange(&mut stream, &mut buffer, requests));
    }
}

/// `count` request/answer round trips; allocates only on error.
fn exchange(stream: &mut TcpStream, buffer: &mut [u8], count: u64) -> Result<(), BoxError> {
    for _ in 0..count {
        stream.write_all(REQUEST)?;
        let mut filled = 0;
        let total = loop {
            let read = stream.read(buffer.get_mut(filled..).ok_or("answer too large")?)?;
            if read == 0 {
                return Err("the mock closed the connection".into());
            }
            filled += read;
            if let Some(total) = answer_length(buffer.get(..filled).unwrap_or_default())? {
                break total;
            }
        };
        if filled != total {
            return Err("more bytes than one answer".into());
        }
        if !buffer.starts_with(b"HTTP/1.1 200 ") {
            return Err("the token request was not answered 200".into());
        }
    }
    Ok(())
}

/// The whole answer's length once its head is complete.
fn answer_length(bytes: &[u8]) -> Result<Option<usize>, BoxError> {
    let Some(head) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head_text = std::str::from_utf8(bytes.get(..head).unwrap_or_default())?;
    let length = head_text
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .ok_or("an answer without Content-Length")?;
    let total = head + 4 + length;
    Ok((bytes.len() >= total).then_some(total))
}
