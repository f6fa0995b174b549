//! The mock's web console (`/_mock/ui`) in headless Chromium, and the
//! browser harness the browser tests share (`support::browser`).
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use support::browser::{Browser, Programs};

#[test]
fn missing_browser_programs_fail_naming_the_debian_packages() {
    let missing = Programs::find(Some(OsString::from("/nonexistent")), None, None).unwrap_err();
    assert_eq!(missing.0, ["chromedriver", "chromium"]);
    let message = missing.to_string();
    assert!(
        message.contains("`chromium`") && message.contains("`chromium-driver`"),
        "{message}"
    );
    let driver_only = Programs::find(
        Some(OsString::from("/nonexistent")),
        None,
        Some(OsString::from("/bin/sh")),
    )
    .unwrap_err();
    assert_eq!(driver_only.0, ["chromedriver"]);
}

/// Processes whose command line names `needle`.
fn processes_naming(needle: &Path) -> Vec<String> {
    let needle = needle.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(&needle))
        .collect()
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_dropped_browser_leaves_no_chromium_process_behind() {
    let browser = Browser::start().await;
    browser.client().goto("about:blank").await.unwrap();
    let profile = browser.profile().to_owned();
    assert!(
        !processes_naming(&profile).is_empty(),
        "chromium runs with its own profile"
    );
    drop(browser);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_naming(&profile);
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "still running: {left:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!profile.exists(), "the profile is removed");
}
