//! A headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`) for
//! the tests of the server's page: started per test, its whole process group stopped when
//! dropped; screenshots under `target/browser-screenshots/`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A chromedriver and a headless Chromium session, stopped when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Chromium's processes are chromedriver's children: killing the driver alone would leave
        // them running (a test run once left 144 of them, 12 GB). The driver leads its own
        // process group, and the whole group goes.
        // SAFETY: kill(2) on a process group this test created.
        unsafe { libc::kill(-(self.driver.id() as libc::pid_t), libc::SIGKILL) };
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn binaries() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let driver = std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join("chromedriver"))
                    .find(|p| p.is_file())
            })
        })?;
    (chromium.is_file() && driver.is_file()).then_some((chromium, driver))
}

/// A browser, or None (and SKIPPED said) when none is installed.
pub async fn browser(test: &str) -> Option<Browser> {
    browser_with(test, &["--window-size=1280,1000"]).await
}

pub async fn browser_with(test: &str, extra: &[&str]) -> Option<Browser> {
    let Some((chromium, driver)) = binaries() else {
        assert!(
            !entente::testdata::switched_on("ENTENTE_REQUIRE_BROWSER"),
            "{test}: ENTENTE_REQUIRE_BROWSER is set but chromium / chromedriver are missing \
             (apt-get install chromium chromium-driver)"
        );
        entente::testdata::say_skipped(test, "chromium and chromedriver are not installed");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new(driver)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--lang=en-US",
    ];
    args.extend_from_slice(extra);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": args }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => break client,
            Err(e) if start.elapsed() > Duration::from_secs(30) => {
                panic!("no WebDriver session: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    Some(Browser { client, driver })
}

pub async fn screenshot(client: &Client, name: &str) {
    let dir = Path::new(ROOT).join("target/browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.expect("a screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Wait until `script` (a JavaScript expression) is truthy; its value.
pub async fn until(client: &Client, script: &str) -> Value {
    let start = Instant::now();
    loop {
        let value = client
            .execute(&format!("return ({script});"), vec![])
            .await
            .unwrap();
        if !matches!(value, Value::Null | Value::Bool(false)) && value != json!("") {
            return value;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {script}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
