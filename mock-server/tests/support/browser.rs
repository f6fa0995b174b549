//! Headless Chromium for the browser tests, driven over the
//! `WebDriver` protocol (fantoccini) through a chromedriver this harness starts itself.
//!
//! [`Browser::start`] picks a free loopback port, starts `chromedriver` on
//! it in a process group of its own, and opens one session: headless
//! Chromium (`--headless=new --no-sandbox --disable-gpu
//! --disable-dev-shm-usage`) with its own temporary profile directory.
//! Dropping the [`Browser`] (also while a failed test unwinds) kills the
//! whole group, chromedriver and every Chromium process it started, and
//! removes the profile.
//!
//! Missing programs are a failure, never a skip: the panic names the Debian
//! packages (`chromium`, `chromium-driver`). `CHROMEDRIVER` and `CHROMIUM`
//! name other binaries.
//!
//! Console errors: the session asks for every browser log entry
//! (`goog:loggingPrefs`), and [`Browser::console_errors`] reads them from
//! chromedriver's log endpoint (`POST /session/{id}/se/log`): uncaught
//! exceptions, `console.error` calls, failed loads and Content-Security-Policy
//! violations all arrive there as `SEVERE`, without a hook in the page.
//!
//! Use: `mod support;` then `support::browser::Browser::start().await`.
#![allow(dead_code, reason = "each test uses a different subset")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::ffi::OsString;
use std::fmt;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long chromedriver may take to answer `/status`.
const DRIVER_START: Duration = Duration::from_secs(20);

/// What the tests wait for at most before they fail (a bound, not a speed
/// assertion).
pub(crate) const PATIENCE: Duration = Duration::from_secs(15);

const PACKAGES: &str = "the browser tests need headless Chromium and its WebDriver: \
     install the Debian packages `chromium` and `chromium-driver` \
     (`apt-get install chromium chromium-driver`; `.ci/run` does), \
     or name the binaries in CHROMIUM and CHROMEDRIVER";

/// The two programs, found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Programs {
    pub(crate) chromedriver: PathBuf,
    pub(crate) chromium: PathBuf,
}

/// Neither an override nor `PATH` names a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missing(pub(crate) Vec<&'static str>);

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not found: {}; {PACKAGES}", self.0.join(", "))
    }
}

impl Programs {
    /// From the environment: `CHROMEDRIVER`, `CHROMIUM`, else `PATH`.
    pub(crate) fn from_env() -> Result<Self, Missing> {
        Self::find(
            std::env::var_os("PATH").as_ref(),
            std::env::var_os("CHROMEDRIVER"),
            std::env::var_os("CHROMIUM"),
        )
    }

    /// An override must exist; else the first executable file of that
    /// name along `path` (Chromium also as `chromium-browser`).
    pub(crate) fn find(
        path: Option<&OsString>,
        chromedriver: Option<OsString>,
        chromium: Option<OsString>,
    ) -> Result<Self, Missing> {
        let search = |names: &[&str]| -> Option<PathBuf> {
            let path = path?;
            std::env::split_paths(path)
                .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
                .find(|candidate| is_executable(candidate))
        };
        let pick = |over: Option<OsString>, names: &[&str]| match over {
            Some(over) => Some(PathBuf::from(over)).filter(|p| is_executable(p)),
            None => search(names),
        };
        let driver = pick(chromedriver, &["chromedriver"]);
        let browser = pick(chromium, &["chromium", "chromium-browser"]);
        match (driver, browser) {
            (Some(chromedriver), Some(chromium)) => Ok(Self {
                chromedriver,
                chromium,
            }),
            (driver, browser) => {
                let mut missing = Vec::new();
                if driver.is_none() {
                    missing.push("chromedriver");
                }
                if browser.is_none() {
                    missing.push("chromium");
                }
                Err(Missing(missing))
            }
        }
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// chromedriver, one headless Chromium session and its profile; all gone
/// on drop.
pub(crate) struct Browser {
    client: Client,
    driver: Child,
    profile: PathBuf,
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Browser")
            .field("driver", &self.driver.id())
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; panics with the Debian
    /// package names when either is missing.
    pub(crate) async fn start() -> Self {
        let programs = Programs::from_env().unwrap_or_else(|missing| panic!("{missing}"));
        Self::start_with(&programs).await
    }

    /// Starts the given programs.
    pub(crate) async fn start_with(programs: &Programs) -> Self {
        let port = free_port();
        let profile = std::env::temp_dir().join(format!(
            "mock-server-chromium-{}-{port}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&profile).unwrap();
        let mut command = Command::new(&programs.chromedriver);
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt as _;
            // Its own group: the drop kills Chromium with it.
            command.process_group(0);
        }
        let driver = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {} ({e}); {PACKAGES}",
                programs.chromedriver.display()
            )
        });
        // From here on a panic drops `Guard`, which kills what was started.
        let mut guard = Guard {
            driver: Some(driver),
            profile: profile.clone(),
        };
        let url = format!("http://127.0.0.1:{port}");
        wait_for_driver(&url, guard.driver.as_mut().unwrap()).await;
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": programs.chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "chromedriver did not open a Chromium session ({e}); \
                     is {} a working Chromium?",
                    programs.chromium.display()
                )
            });
        let driver = guard.driver.take().unwrap();
        std::mem::forget(guard);
        Self {
            client,
            driver,
            profile,
        }
    }

    /// The `WebDriver` client.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The profile directory (Chromium's processes name it).
    pub(crate) fn profile(&self) -> &Path {
        &self.profile
    }

    /// The `SEVERE` browser log entries since the last call (chromedriver
    /// hands each entry out once).
    pub(crate) async fn console_errors(&self) -> Vec<String> {
        let entries = self.client.issue_cmd(BrowserLog).await.unwrap();
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Fails with the entries when the page logged an error.
    pub(crate) async fn assert_no_console_errors(&self) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "the browser logged errors: {errors:#?}");
    }

    /// Waits (at most [`PATIENCE`]) until the first element `css` matches
    /// has a text containing `text`; returns that text.
    pub(crate) async fn wait_for_text(&self, css: &str, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut last = String::new();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(seen) = element.text().await
            {
                if seen.contains(text) {
                    return seen;
                }
                last = seen;
            }
            assert!(
                Instant::now() < deadline,
                "{css:?} did not show {text:?} within {PATIENCE:?}; it showed {last:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Writes a PNG screenshot of the window.
    pub(crate) async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill(&mut self.driver);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Kills what `start_with` started if it panics half-way.
struct Guard {
    driver: Option<Child>,
    profile: PathBuf,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(driver) = &mut self.driver {
            kill(driver);
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// SIGKILL to chromedriver's group (Chromium and its helpers are in it),
/// then reaps chromedriver.
fn kill(driver: &mut Child) {
    #[cfg(unix)]
    {
        use rustix::process::{Pid, Signal, kill_process_group};
        let _ = kill_process_group(Pid::from_child(driver), Signal::KILL);
    }
    let _ = driver.kill();
    let _ = driver.wait();
}

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// Polls `/status` until chromedriver answers; fails when it exits first.
async fn wait_for_driver(url: &str, driver: &mut Child) {
    let address = url.trim_start_matches("http://").to_owned();
    let deadline = Instant::now() + DRIVER_START;
    loop {
        if let Some(status) = driver.try_wait().unwrap() {
            panic!("chromedriver exited at start ({status})");
        }
        if tokio::net::TcpStream::connect(&address).await.is_ok() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {address} within {DRIVER_START:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// chromedriver's browser log (`goog:loggingPrefs`); not in W3C `WebDriver`.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}
