//! Crash safety of `FileStore`: a writer killed with SIGKILL at random
//! moments leaves a whole token or none, never a corrupt or partial file,
//! and the next save removes the temporary files it left behind.
//!
//! One binary, two roles: run plainly it is the parent (20 kills, a few
//! seconds, part of `cargo test`); `CRASH_STORE_KILLS=1000` makes it the
//! `just crash-store` harness. The parent re-runs this executable as
//! `crash_store child <dir>`: a process that saves tokens in a tight loop
//! until it is killed. After each kill the parent loads through
//! `FileStore` (a complete token or a clean miss), saves once (which sweeps
//! the dead writer's temporary files) and counts what is left.
#![expect(clippy::unwrap_used, reason = "a test harness")]

#[cfg(unix)]
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        child(std::path::Path::new(&args[2]));
    }
    let kills = std::env::var("CRASH_STORE_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    unix::parent(kills)
}

/// SIGKILL and the pid check behind the temp sweep are unix.
#[cfg(not(unix))]
fn main() {
    println!("crash_store: unix only");
}

#[cfg(unix)]
fn child(dir: &std::path::Path) -> ! {
    use auth_http::TokenStore as _;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = auth_http::FileStore::in_dir(dir);
    let key = unix::key();
    runtime.block_on(async {
        for n in 0u64.. {
            store.save(&key, &unix::token(n)).await.unwrap();
        }
    });
    unreachable!("the loop ends when the parent kills this process")
}

#[cfg(unix)]
mod unix {
    use std::path::Path;
    use std::process::{Command, ExitCode, Stdio};
    use std::time::{Duration, Instant};

    use auth_core::{AccessToken, ClientCredentials, OAuthToken, TokenRequest, TokenUrl};
    use auth_http::{FileStore, TokenStore as _};
    use time::macros::datetime;

    pub(crate) fn key() -> auth_core::RequestKey {
        TokenRequest::new(
            TokenUrl::parse("https://as.example/token").unwrap(),
            ClientCredentials::new("crash", "s3cret"),
        )
        .key()
    }

    /// Token `n`: its value and expiry say which save wrote it, so a token
    /// pieced together from two saves would show.
    pub(crate) fn token(n: u64) -> OAuthToken {
        let issued = datetime!(2026-01-01 00:00 UTC);
        let expires = issued + time::Duration::seconds(i64::try_from(n % 1_000_000).unwrap() + 1);
        let value = format!("tok-{n}-{}", "x".repeat(usize::try_from(n % 4096).unwrap()));
        OAuthToken::new(
            AccessToken::new(value),
            issued,
            expires,
            "read".parse().unwrap(),
        )
    }

    /// True when `token` is one that [`token`] makes.
    fn is_whole(token: &OAuthToken) -> bool {
        let value = token.access_token().expose_secret();
        let Some(n) = value
            .strip_prefix("tok-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return false;
        };
        *token == self::token(n)
    }

    fn temp_files(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().ends_with(".tmp")
            })
            .count()
    }

    pub(crate) fn parent(kills: u32) -> ExitCode {
        let started = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = FileStore::in_dir(dir.path());
        let key = key();
        let (mut whole, mut misses, mut corrupt, mut temps_left_by_kills, mut leftover) =
            (0u32, 0u32, 0u32, 0usize, 0usize);
        for kill in 0..kills {
            let mut child = Command::new(&exe)
                .arg("child")
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap();
            // Past process start-up (a few ms), into the save loop.
            std::thread::sleep(Duration::from_micros(rand::random_range(0..30_000)));
            child.kill().unwrap(); // SIGKILL
            let status = child.wait().unwrap();
            assert!(
                status.code().is_none(),
                "the child exited on its own: {status}"
            );
            temps_left_by_kills += temp_files(dir.path());
            match runtime.block_on(store.load(&key)) {
                Ok(Some(token)) if is_whole(&token) => whole += 1,
                Ok(None) => misses += 1,
                Ok(Some(_)) => {
                    corrupt += 1;
                    eprintln!("kill {kill}: loaded a token no save wrote");
                }
                Err(e) => {
                    corrupt += 1;
                    eprintln!("kill {kill}: {e}: {:?}", std::error::Error::source(&e));
                }
            }
            runtime
                .block_on(store.save(&key, &token(u64::from(kill))))
                .unwrap();
            let left = temp_files(dir.path());
            if left > 0 {
                eprintln!("kill {kill}: {left} temporary files left after the next save");
            }
            leftover += left;
        }
        let wall = started.elapsed();
        println!(
            "crash-store: kills={kills} whole={whole} clean_misses={misses} corrupt={corrupt} \
             temps_left_by_kills={temps_left_by_kills} temps_left_after_next_save={leftover} \
             wall={:.1}s",
            wall.as_secs_f64()
        );
        if corrupt == 0 && leftover == 0 && whole > 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}
