//! A real browser for the web UI's tests: Debian's Chromium, headless,
//! driven through ChromeDriver (WebDriver) with fantoccini. Both are
//! processes of the test, on loopback, killed by PID when dropped; no
//! driver is ever downloaded. axe-core (fetched, pinned, by
//! `xtask/setup.sh` into `target/`) checks each page's accessibility.

use super::manager::free_port;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A headless Chromium session of a given window size.
pub struct Browser {
    pub c: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Browser")
    }
}

/// Where axe-core's script is (see `xtask/setup.sh`).
pub fn axe_path() -> PathBuf {
    if let Ok(p) = std::env::var("BANGTIN_AXE") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/axe-core/axe.min.js")
}

impl Browser {
    /// Start ChromeDriver and a Chromium session `w`×`h` CSS pixels.
    pub async fn start(w: u32, h: u32) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts (apt package chromium-driver; xtask/setup.sh installs it)");
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
                    "--lang=vi", format!("--window-size={w},{h}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut tries = 0;
        let c = loop {
            // ChromeDriver is on loopback: plain HTTP, no TLS stack.
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if tries < 100 => {
                    tries += 1;
                    if tries % 20 == 0 {
                        eprintln!("[browser] waiting for chromedriver: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("a Chromium session: {e}"),
            }
        };
        // The window's inner size is what pages see: make it exact.
        let inner: Value = c
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await
            .expect("size");
        if inner[0].as_u64() != Some(u64::from(w)) {
            let (iw, ih) = (
                inner[0].as_u64().unwrap_or(0) as u32,
                inner[1].as_u64().unwrap_or(0) as u32,
            );
            let _ = c
                .set_window_size(w + (w.saturating_sub(iw)), h + (h.saturating_sub(ih)))
                .await;
        }
        Browser {
            c,
            driver,
            _profile: profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.c.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Wait until the address contains `part` (a form posted and its
    /// redirect followed).
    pub async fn wait_url(&self, part: &str, timeout: Duration) {
        let t = std::time::Instant::now();
        loop {
            let u = self.c.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            if u.contains(part) {
                return;
            }
            assert!(t.elapsed() < timeout, "address with {part} within {timeout:?}: at {u}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The page's visible text (asked again while a navigation replaces
    /// the page under it).
    pub async fn text(&self) -> String {
        for _ in 0..50 {
            if let Ok(e) = self.c.find(Locator::Css("body")).await
                && let Ok(t) = e.text().await
            {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page's text");
    }

    /// Wait until an element matching `css` is there, and return it.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> fantoccini::elements::Element {
        self.c
            .wait()
            .at_most(timeout)
            .every(Duration::from_millis(100))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} within {timeout:?}: {e}"))
    }

    /// Fill a field.
    pub async fn fill(&self, css: &str, value: &str) {
        let e = self
            .c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        e.clear().await.ok();
        e.send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Set a field's value directly (time and date pickers differ by
    /// locale when typed into).
    pub async fn set_value(&self, css: &str, value: &str) {
        let e = self
            .c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        self.c
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                vec![serde_json::to_value(&e).expect("element"), json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("set {css}: {e}"));
    }

    /// Click an element, scrolled to the middle of the window first (a
    /// sticky bar must not be in the way).
    pub async fn click(&self, css: &str) {
        let e = self
            .c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        let _ = self
            .c
            .execute(
                "arguments[0].scrollIntoView({block: 'center'}); return true;",
                vec![serde_json::to_value(&e).expect("element")],
            )
            .await;
        e.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Sign in through the sign-in page.
    pub async fn sign_in(&self, base: &str, user: &str, password: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("#username", user).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]").await;
        self.wait_for("header nav", Duration::from_secs(10)).await;
    }

    /// axe-core's serious and critical violations on the current page:
    /// (rule, impact, help, first elements).
    pub async fn axe(&self) -> Vec<(String, String, String, Vec<String>)> {
        let src = std::fs::read_to_string(axe_path()).unwrap_or_else(|e| {
            panic!(
                "axe-core at {}: {e} (xtask/setup.sh fetches it: bash -c 'source xtask/setup.sh && bangtin_fetch_axe')",
                axe_path().display()
            )
        });
        self.c
            .execute(&format!("{src}\n;return true;"), vec![])
            .await
            .expect("axe-core loads");
        let r = self
            .c
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, {resultTypes: ['violations']}).then((r) => done(r.violations.map((v) =>
                  [v.id, v.impact || '', v.help, v.nodes.slice(0, 4).map((n) => n.target.join(' '))])))
                  .catch((e) => done([['axe-error', 'critical', String(e), []]]));"#,
                vec![],
            )
            .await
            .expect("axe runs");
        serde_json::from_value::<Vec<(String, String, String, Vec<String>)>>(r)
            .expect("axe's answer")
            .into_iter()
            .filter(|v| v.1 == "serious" || v.1 == "critical")
            .collect()
    }

    /// Assert the page has no serious or critical accessibility problem.
    pub async fn assert_accessible(&self, page: &str) {
        let v = self.axe().await;
        assert!(v.is_empty(), "axe-core on {page}: {v:#?}");
    }

    /// Does the page fit its width (no sideways scrolling)?
    pub async fn overflow_x(&self) -> i64 {
        let v: Value = self
            .c
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .expect("widths");
        v.as_i64().unwrap_or(0)
    }

    /// Save a screenshot of the window, scrolled to the top, as PNG.
    pub async fn screenshot(&self, out: &Path) {
        let _ = self.c.execute("window.scrollTo(0, 0); return true;", vec![]).await;
        let png = self.c.screenshot().await.expect("a screenshot");
        if let Some(d) = out.parent() {
            std::fs::create_dir_all(d).ok();
        }
        std::fs::write(out, png).expect("write the screenshot");
    }

    /// End the session (Chromium quits), then the driver (in `Drop`).
    pub async fn close(self) {
        let _ = self.c.clone().close().await;
    }
}

/// Every process descended from `root` (Chromium and its helpers under
/// ChromeDriver), from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent = std::collections::HashMap::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid …": the command may hold spaces; split
        // after its closing parenthesis.
        if let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u32>().ok())
        {
            parent.insert(pid, ppid);
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (c, pp) in &parent {
            if *pp == p && !out.contains(c) {
                out.push(*c);
                frontier.push(*c);
            }
        }
    }
    out
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A test that failed never closed its session: end the browser
        // ChromeDriver started (its processes, by PID), then the driver.
        for pid in descendants(self.driver.id()) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
