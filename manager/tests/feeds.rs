//! Feeds (issue #6): a source that only publishes RSS 2.0, Atom or JSON
//! Feed is polled by the manager, and its entries arrive as that source's
//! bulletins under the rules of `POST /api/v1/bulletins` — pending in the
//! targeted commune's queue, an unchanged entry never twice, an edited
//! entry as a new version — while broken feeds are recorded in the feed's
//! status and polled again. Real manager and sled store; the feeds are
//! served by a small axum server on 127.0.0.1 inside the test.

use axum::body::Body;
use axum::http::{HeaderMap, Uri, header};
use axum::response::Response;
use bangtin_tests::harness::manager::{COMMUNE_A, COMMUNE_B, Client, PASSWORD, PROVINCE, Server, seed};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the feed host answers on one path.
#[derive(Clone)]
struct Page {
    status: u16,
    ctype: &'static str,
    body: Vec<u8>,
    /// Sent as ETag; a request with a matching If-None-Match gets 304.
    etag: Option<String>,
    /// Send the body in pieces without a Content-Length.
    chunked: bool,
}

impl Page {
    fn ok(ctype: &'static str, body: impl Into<Vec<u8>>) -> Page {
        Page {
            status: 200,
            ctype,
            body: body.into(),
            etag: None,
            chunked: false,
        }
    }
}

#[derive(Default)]
struct FeedHost {
    pages: Mutex<HashMap<String, Page>>,
    hits: Mutex<HashMap<String, u32>>,
    /// If-None-Match values received, in order.
    conditional: Mutex<Vec<String>>,
    not_modified: Mutex<u32>,
}

impl FeedHost {
    fn set(&self, path: &str, p: Page) {
        self.pages.lock().unwrap().insert(path.to_string(), p);
    }

    fn hits(&self, path: &str) -> u32 {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    fn answer(&self, path: &str, headers: &HeaderMap) -> Response {
        *self.hits.lock().unwrap().entry(path.to_string()).or_default() += 1;
        let inm = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(v) = &inm {
            self.conditional.lock().unwrap().push(v.clone());
        }
        let Some(p) = self.pages.lock().unwrap().get(path).cloned() else {
            return Response::builder().status(404).body(Body::empty()).unwrap();
        };
        if p.etag.is_some() && inm == p.etag {
            *self.not_modified.lock().unwrap() += 1;
            return Response::builder().status(304).body(Body::empty()).unwrap();
        }
        let mut r = Response::builder()
            .status(p.status)
            .header(header::CONTENT_TYPE, p.ctype);
        if let Some(e) = &p.etag {
            r = r.header(header::ETAG, e);
        }
        let body = if p.chunked {
            let pieces: Vec<Result<Vec<u8>, std::io::Error>> =
                p.body.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
            Body::from_stream(futures_util::stream::iter(pieces))
        } else {
            Body::from(p.body)
        };
        r.body(body).unwrap()
    }
}

/// A feed host on 127.0.0.1: its base URL and its pages.
async fn feed_host() -> (String, Arc<FeedHost>) {
    let host = Arc::new(FeedHost::default());
    let h = host.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let h = h.clone();
        async move { h.answer(uri.path(), &headers) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, host)
}

fn now_rfc2822(ago_min: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(ago_min)).to_rfc2822()
}

/// An RSS 2.0 feed of two items; the first one's title and publication
/// date (RFC 2822) are given.
fn rss(first_title: &str, published: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>Cổng thông tin xã Định Hóa</title>
<link>https://dinhhoa.example/</link>
<language>vi</language>
<item>
  <guid isPermaLink="false">dinhhoa-2026-001</guid>
  <title>{first_title}</title>
  <link>https://dinhhoa.example/tin/1</link>
  <description>&lt;p&gt;Trạm y tế xã tổ chức &lt;b&gt;tiêm chủng&lt;/b&gt; cho trẻ &amp;lt; 5 tuổi&amp;nbsp;vào sáng thứ Hai.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</description>
  <category>Y tế</category>
  <pubDate>{published}</pubDate>
</item>
<item>
  <title>Thông báo cắt điện</title>
  <link>https://dinhhoa.example/tin/2</link>
  <description>Cắt điện từ 8h đến 11h ngày 5/6 &amp;ndash; khu vực chợ.</description>
</item>
</channel>
</rss>"#
    )
}

fn atom() -> String {
    let now = chrono::Utc::now().to_rfc3339();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="vi">
  <title>UBND tỉnh Thái Nguyên</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6</id>
  <updated>{now}</updated>
  <entry>
    <title type="html">Cảnh báo &amp;quot;nắng nóng&amp;quot;</title>
    <id>tag:tinh.example,2026:canh-bao-1</id>
    <updated>{now}</updated>
    <published>{now}</published>
    <summary type="text">Nhiệt độ cao nhất 39 °C; hạn chế ra ngoài.</summary>
    <content type="html">&lt;p&gt;Nhiệt độ &lt;em&gt;39&amp;deg;C&lt;/em&gt;&lt;/p&gt;</content>
    <author><name>Sở VHTTDL</name></author>
    <category term="thoi-tiet" label="Thời tiết"/>
  </entry>
</feed>"#
    )
}

fn json_feed() -> String {
    json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Đài truyền thanh xã",
        "language": "vi-VN",
        "items": [{
            "id": "jf-42",
            "title": "Họp dân khu phố 3",
            "content_text": "Mời bà con dự họp lúc 19h tại nhà văn hóa.",
            "date_published": chrono::Utc::now().to_rfc3339(),
            "tags": ["Dân vận"]
        }]
    })
    .to_string()
}

/// A manager whose feeds may be polled every second, an administrator,
/// and a source covering the province.
async fn setup(dir: &std::path::Path, min_interval: u64) -> (Server, Client, String) {
    seed(dir);
    let s = Server::start(dir, |c| {
        c.min_feed_interval_s = min_interval;
        c.requests_per_second = 1000;
    })
    .await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let (st, v) = admin
        .post(
            "/api/v1/sources",
            json!({"name": "Cổng thông tin tỉnh", "units": [PROVINCE]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    (s, admin, v["source"]["id"].as_str().unwrap().to_string())
}

async fn add_feed(admin: &Client, source: &str, url: &str) -> String {
    let (st, v) = admin
        .post(
            "/api/v1/feeds",
            json!({"source": source, "url": url, "interval_s": 1, "targets": {"areas": [COMMUNE_A]}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["priority"], "normal", "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// Poll `f` until it gives a value, for at most `secs` seconds.
async fn until<T>(what: &str, secs: u64, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn queue(c: &Client, unit: &str) -> Vec<Value> {
    let (st, v) = c.get(&format!("/api/v1/units/{unit}/bulletins")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

async fn feed_status(admin: &Client, id: &str) -> Value {
    let (st, v) = admin.get("/api/v1/feeds").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("feed {id} listed: {v}"))["status"]
        .clone()
}

fn doc(b: &Value) -> Value {
    serde_json::from_str(b["document"].as_str().unwrap()).unwrap()
}

fn by_title<'a>(q: &'a [Value], title: &str) -> &'a Value {
    q.iter()
        .find(|b| b["title"] == title)
        .unwrap_or_else(|| panic!("no bulletin titled {title:?} in {q:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_atom_and_json_entries_become_pending_bulletins() {
    let dir = tempfile::tempdir().unwrap();
    let (s, admin, src) = setup(dir.path(), 1).await;
    let (host_url, host) = feed_host().await;
    host.set(
        "/rss.xml",
        Page::ok(
            "application/rss+xml",
            rss("Lịch tiêm chủng mở rộng tháng 6", &now_rfc2822(60)),
        ),
    );
    host.set("/atom.xml", Page::ok("application/atom+xml", atom()));
    host.set("/feed.json", Page::ok("application/feed+json", json_feed()));
    let f_rss = add_feed(&admin, &src, &format!("{host_url}/rss.xml")).await;
    let f_atom = add_feed(&admin, &src, &format!("{host_url}/atom.xml")).await;
    let f_json = add_feed(&admin, &src, &format!("{host_url}/feed.json")).await;

    let q = until("four bulletins in commune A's queue", 20, async || {
        let q = queue(&admin, COMMUNE_A).await;
        (q.len() >= 4).then_some(q)
    })
    .await;
    assert_eq!(q.len(), 4, "{q:?}");
    for b in &q {
        assert_eq!(b["state"], "pending", "normal bulletins wait for approval: {b}");
        assert_eq!(b["priority"], "normal");
        assert_eq!(b["version"], 1);
        assert_eq!(b["source"], src.as_str());
        assert_eq!(b["areas"], json!([COMMUNE_A]));
        let id = b["id"].as_str().unwrap();
        assert!(
            id.len() <= 128 && id.bytes().all(|c| c.is_ascii_alphanumeric() || b"._:-".contains(&c)),
            "{id}"
        );
    }

    // RSS: HTML stripped, entities decoded, script dropped, category and date kept.
    let b = by_title(&q, "Lịch tiêm chủng mở rộng tháng 6");
    assert!(b["id"].as_str().unwrap().starts_with("dinhhoa-2026-001-"), "{b}");
    let d = doc(b);
    let text = "Trạm y tế xã tổ chức tiêm chủng cho trẻ < 5 tuổi vào sáng thứ Hai.";
    assert_eq!(d["summary"], text, "{d}");
    assert_eq!(d["board"]["items"][0]["type"], "text");
    assert_eq!(d["board"]["items"][0]["headline"], "Lịch tiêm chủng mở rộng tháng 6");
    assert_eq!(d["board"]["items"][0]["body"], text);
    assert_eq!(d["category"], "Y tế");
    assert_eq!(d["language"], "vi");
    assert_eq!(d["source"]["system"], "Cổng thông tin tỉnh");
    assert!(
        d["schedule"]["validFrom"].as_str().unwrap().ends_with("+07:00"),
        "valid from the entry's publication: {d}"
    );
    // …and in force for the feed's keep_days (7), never for good: a feed
    // polled for months must not keep every entry it ever had on the boards.
    let from = chrono::DateTime::parse_from_rfc3339(d["schedule"]["validFrom"].as_str().unwrap()).unwrap();
    let to = chrono::DateTime::parse_from_rfc3339(d["schedule"]["validTo"].as_str().unwrap()).unwrap();
    assert_eq!(to - from, chrono::Duration::days(7), "{d}");
    // An item without guid is known by its link.
    let b = by_title(&q, "Thông báo cắt điện");
    assert!(b["id"].as_str().unwrap().starts_with("dinhhoa.example-tin-2-"), "{b}");
    assert_eq!(doc(b)["summary"], "Cắt điện từ 8h đến 11h ngày 5/6 – khu vực chợ.");

    // Atom: HTML title, plain summary, HTML content, author, category label.
    let d = doc(by_title(&q, "Cảnh báo \"nắng nóng\""));
    assert_eq!(d["summary"], "Nhiệt độ cao nhất 39 °C; hạn chế ra ngoài.");
    assert_eq!(d["board"]["items"][0]["body"], "Nhiệt độ 39°C");
    assert_eq!(d["source"]["author"], "Sở VHTTDL");
    assert_eq!(d["category"], "Thời tiết");

    // JSON Feed 1.1.
    let d = doc(by_title(&q, "Họp dân khu phố 3"));
    assert_eq!(
        d["board"]["items"][0]["body"],
        "Mời bà con dự họp lúc 19h tại nhà văn hóa."
    );
    assert_eq!(d["language"], "vi-VN");
    assert_eq!(d["category"], "Dân vận");

    // Only the targeted commune gets them.
    assert!(queue(&admin, COMMUNE_B).await.is_empty());

    // Each feed's status says how it went.
    for (f, n) in [(&f_rss, 2), (&f_atom, 1), (&f_json, 1)] {
        let st = feed_status(&admin, f).await;
        assert_eq!(st["entries_taken"], n, "{st}");
        assert_eq!(st["entries_seen"], n, "{st}");
        assert!(st["last_ok"].is_string() && st["last_poll"].is_string(), "{st}");
        assert!(st["last_error"].is_null(), "{st}");
        assert_eq!(st["failing"], false);
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repolls_take_nothing_twice_and_an_edit_is_a_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let (s, admin, src) = setup(dir.path(), 1).await;
    let (host_url, host) = feed_host().await;
    let first = "Lịch tiêm chủng mở rộng tháng 6";
    let date = now_rfc2822(60);
    let body = rss(first, &date);
    host.set("/rss.xml", Page::ok("application/rss+xml", body.clone()));
    let feed = add_feed(&admin, &src, &format!("{host_url}/rss.xml")).await;
    let q = until("two bulletins", 20, async || {
        let q = queue(&admin, COMMUNE_A).await;
        (q.len() >= 2).then_some(q)
    })
    .await;
    let id1 = by_title(&q, first)["id"].as_str().unwrap().to_string();

    // The server sends no validators: every poll reads the whole feed, and
    // the same entries are duplicates.
    let seen = host.hits("/rss.xml");
    until("three more polls", 20, async || {
        (host.hits("/rss.xml") >= seen + 3).then_some(())
    })
    .await;
    let q = queue(&admin, COMMUNE_A).await;
    assert_eq!(q.len(), 2, "{q:?}");
    assert!(q.iter().all(|b| b["version"] == 1), "{q:?}");
    // The poller counts an entry once its bulletin is stored, a moment
    // after the bulletin shows in the queue.
    until("entries_taken = 2", 20, async || {
        (feed_status(&admin, &feed).await["entries_taken"] == 2).then_some(())
    })
    .await;
    let (_, log) = admin.get("/api/v1/audit?limit=200").await;
    let received = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "bulletin.receive")
        .count();
    assert_eq!(received, 2, "nothing was taken twice: {log}");

    // An edited entry becomes version 2 of the same bulletin, pending again.
    let edited = "Lịch tiêm chủng mở rộng tháng 6 (đổi sang chiều thứ Ba)";
    host.set("/rss.xml", Page::ok("application/rss+xml", rss(edited, &date)));
    let b = until("version 2", 20, async || {
        queue(&admin, COMMUNE_A)
            .await
            .into_iter()
            .find(|b| b["id"] == id1.as_str() && b["version"] == 2)
    })
    .await;
    assert_eq!(b["title"], edited);
    assert_eq!(b["state"], "pending");
    let q = queue(&admin, COMMUNE_A).await;
    assert_eq!(q.len(), 2, "a new version replaces, never adds: {q:?}");
    assert_eq!(by_title(&q, "Thông báo cắt điện")["version"], 1);
    // The poller counts an entry once its bulletin is stored, a moment
    // after the bulletin shows in the queue.
    until("entries_taken = 3", 20, async || {
        (feed_status(&admin, &feed).await["entries_taken"] == 3).then_some(())
    })
    .await;

    // With an ETag the poller asks conditionally and the server answers 304.
    let mut p = Page::ok("application/rss+xml", rss(edited, &date));
    p.etag = Some("\"v3\"".into());
    host.set("/rss.xml", p);
    until("a 304", 20, async || {
        (*host.not_modified.lock().unwrap() >= 2).then_some(())
    })
    .await;
    assert!(host.conditional.lock().unwrap().iter().all(|v| v == "\"v3\""));
    let st = feed_status(&admin, &feed).await;
    assert_eq!(st["etag"], "\"v3\"", "{st}");
    assert_eq!(st["failing"], false, "{st}");
    assert_eq!(st["entries_taken"], 3, "{st}");

    // A deleted feed is no longer polled; what it brought stays.
    let (st, v) = admin
        .call(reqwest::Method::DELETE, &format!("/api/v1/feeds/{feed}"), None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{v}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hits = host.hits("/rss.xml");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(host.hits("/rss.xml"), hits, "deleted feed still polled");
    assert_eq!(queue(&admin, COMMUNE_A).await.len(), 2);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_feeds_are_recorded_and_polled_again() {
    let dir = tempfile::tempdir().unwrap();
    let (s, admin, src) = setup(dir.path(), 1).await;
    let (host_url, host) = feed_host().await;
    let mut p = Page::ok("text/plain", "lỗi máy chủ");
    p.status = 500;
    host.set("/rss.xml", p);
    let feed = add_feed(&admin, &src, &format!("{host_url}/rss.xml")).await;

    let error_with = async |needle: &str| {
        until(needle, 20, async || {
            let st = feed_status(&admin, &feed).await;
            let e = st["last_error"].as_str().unwrap_or_default().to_string();
            (st["failing"] == true && e.contains(needle)).then_some(st)
        })
        .await
    };
    let st = error_with("HTTP 500").await;
    assert!(
        st["last_error"].as_str().unwrap().contains("máy chủ của feed trả lời"),
        "Vietnamese first: {st}"
    );
    assert!(st["last_error_at"].is_string() && st["last_ok"].is_null(), "{st}");
    // Still polled after failing: the failures add up.
    let st = until("failures in a row", 20, async || {
        let st = feed_status(&admin, &feed).await;
        (st["consecutive_failures"].as_u64() >= Some(2)).then_some(st)
    })
    .await;
    assert_eq!(st["entries_taken"], 0);

    // Broken XML.
    host.set(
        "/rss.xml",
        Page::ok(
            "application/rss+xml",
            "<rss version=\"2.0\"><channel><item><title>Thiếu thẻ đóng</ti",
        ),
    );
    error_with("không đọc được feed").await;
    // Not a feed at all.
    host.set("/rss.xml", Page::ok("text/html", "<html><body>Trang chủ</body></html>"));
    error_with("no root element").await;
    // Entity declarations ("billion laughs") are refused, not expanded.
    host.set(
        "/rss.xml",
        Page::ok(
            "application/rss+xml",
            r#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<rss version="2.0"><channel><title>t</title><item><guid>x</guid><title>&b;</title></item></channel></rss>"#,
        ),
    );
    error_with("ENTITY").await;
    // Too large, announced by Content-Length ...
    let huge = format!("<rss version=\"2.0\"><channel>{}</channel></rss>", " ".repeat(3 << 20));
    host.set("/rss.xml", Page::ok("application/rss+xml", huge.clone()));
    error_with("MiB").await;
    // ... or not: the body is given up past the cap.
    let mut p = Page::ok("application/rss+xml", huge);
    p.chunked = true;
    host.set("/rss.xml", p);
    let before = feed_status(&admin, &feed).await["last_error_at"].clone();
    let st = until("the streamed body refused", 20, async || {
        let st = feed_status(&admin, &feed).await;
        (st["last_error_at"] != before && st["last_error"].as_str().unwrap_or_default().contains("MiB")).then_some(st)
    })
    .await;
    assert_eq!(st["failing"], true);
    assert!(
        queue(&admin, COMMUNE_A).await.is_empty(),
        "nothing taken from broken feeds"
    );

    // Unreachable server: a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = add_feed(&admin, &src, &format!("http://127.0.0.1:{port}/rss.xml")).await;
    until("the unreachable feed's error", 20, async || {
        let st = feed_status(&admin, &dead).await;
        st["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("không kết nối được"))
            .then_some(())
    })
    .await;

    // Fixed: the next poll takes the entries; the old error stays on record.
    host.set(
        "/rss.xml",
        Page::ok("application/rss+xml", rss("Tin đã sửa", &now_rfc2822(5))),
    );
    let st = until("recovery", 20, async || {
        let st = feed_status(&admin, &feed).await;
        (st["failing"] == false && st["entries_taken"] == 2).then_some(st)
    })
    .await;
    assert_eq!(st["consecutive_failures"], 0);
    assert!(st["last_error"].as_str().unwrap().contains("MiB"), "{st}");
    let at = |k: &str| chrono::DateTime::parse_from_rfc3339(st[k].as_str().unwrap()).unwrap();
    assert!(at("last_ok") > at("last_error_at"), "{st}");
    let q = queue(&admin, COMMUNE_A).await;
    assert_eq!(q.len(), 2, "{q:?}");
    by_title(&q, "Tin đã sửa");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_configuration_is_checked_and_for_administrators_only() {
    let dir = tempfile::tempdir().unwrap();
    // The production minimum interval: 60 s.
    let (s, admin, province_src) = setup(dir.path(), 60).await;
    let (host_url, host) = feed_host().await;
    host.set("/rss.xml", Page::ok("application/rss+xml", rss("Tin", &now_rfc2822(5))));
    let url = format!("{host_url}/rss.xml");
    let (st, v) = admin
        .post("/api/v1/sources", json!({"name": "Xã Định Hóa", "units": [COMMUNE_A]}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let commune_src = v["source"]["id"].as_str().unwrap().to_string();
    let good = || json!({"source": commune_src, "url": url, "interval_s": 300, "targets": {"areas": [COMMUNE_A]}});

    // Officers who are not administrators are refused; anonymous callers too.
    let (st, v) = admin
        .post(
            "/api/v1/users",
            json!({"username": "a.edit", "password": PASSWORD, "role": "editor", "units": [COMMUNE_A]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let editor = Client::token(&s, "a.edit", PASSWORD).await;
    let (st, v) = editor.post("/api/v1/feeds", good()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("quản trị viên"), "{v}");
    assert_eq!(editor.get("/api/v1/feeds").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        editor
            .call(reqwest::Method::DELETE, "/api/v1/feeds/feed_1", None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let anon = Client::anonymous(&s);
    assert_eq!(anon.post("/api/v1/feeds", good()).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(anon.get("/api/v1/feeds").await.0, StatusCode::UNAUTHORIZED);

    // Bad configurations: 4xx naming the field, nothing stored.
    let with = |patch: Value| {
        let mut b = good();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    for (body, field, words) in [
        (
            with(json!({"url": "ftp://dinhhoa.example/rss.xml"})),
            "url",
            "http hoặc https",
        ),
        (with(json!({"url": "không phải URL"})), "url", "URL không hợp lệ"),
        (with(json!({"url": "http://user:pw@127.0.0.1/rss"})), "url", "mật khẩu"),
        (with(json!({"interval_s": 30})), "interval_s", "từ 60"),
        (with(json!({"interval_s": 90_000_000})), "interval_s", "giây"),
        (
            with(json!({"targets": {"areas": [COMMUNE_B]}})),
            "targets.areas",
            "không được gửi tới",
        ),
        (
            with(json!({"targets": {"areas": ["99999"]}})),
            "targets.areas",
            "không có đơn vị",
        ),
        (with(json!({"targets": {"areas": ["xã"]}})), "targets.areas", "chữ số"),
        (
            with(json!({"targets": {"boards": ["brd_404"]}})),
            "targets.boards",
            "không có bảng tin",
        ),
        (with(json!({"targets": {}})), "targets", "ít nhất một"),
        (with(json!({"priority": "gấp"})), "priority", "không hợp lệ"),
        (with(json!({"category": "x".repeat(101)})), "category", "100 ký tự"),
        (with(json!({"keep_days": 0})), "keep_days", "từ 1 đến 365"),
        (with(json!({"keep_days": 366})), "keep_days", "từ 1 đến 365"),
    ] {
        let (st, v) = admin.post("/api/v1/feeds", body.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert_eq!(v["error"]["field"], field, "{body}: {v}");
        let m = v["error"]["message"].as_str().unwrap();
        assert!(m.contains(words) && m.contains('('), "{body}: {m}");
    }
    // A source that does not exist is not found (404), at its field.
    let (st, v) = admin.post("/api/v1/feeds", with(json!({"source": "src_999"}))).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["error"]["field"], "source", "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("không có nguồn tin"),
        "{v}"
    );
    // Malformed bodies are 400 with the reason.
    for body in [
        with(json!({"colour": "đỏ"})),
        with(json!({"interval_s": -5})),
        json!({"url": url}),
    ] {
        let (st, v) = admin.post("/api/v1/feeds", body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert!(v["error"]["message"].is_string(), "{v}");
    }
    let (_, list) = admin.get("/api/v1/feeds").await;
    assert_eq!(list, json!([]), "nothing stored");

    // A good one; the same URL again for the same source is a conflict.
    let (st, v) = admin.post("/api/v1/feeds", good()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["interval_s"], 300);
    assert_eq!(v["max_age_days"], 7);
    assert_eq!(v["keep_days"], 7);
    let (st, v) = admin.post("/api/v1/feeds", good()).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["field"], "url");
    // The province's source may target its communes, and priority is kept.
    let (st, v) = admin
        .post(
            "/api/v1/feeds",
            json!({"source": province_src, "url": url, "targets": {"areas": [PROVINCE, COMMUNE_B]},
                   "priority": "priority", "category": "Chính sách"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["interval_s"], 900, "default interval");
    assert_eq!(v["priority"], "priority");
    let other = v["id"].as_str().unwrap().to_string();

    let (_, list) = admin.get("/api/v1/feeds").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    for path in [format!("/api/v1/feeds/{id}"), format!("/api/v1/feeds/{other}")] {
        let (st, v) = admin.call(reqwest::Method::DELETE, &path, None).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{v}");
        let (st, v) = admin.call(reqwest::Method::DELETE, &path, None).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    }
    assert_eq!(admin.get("/api/v1/feeds").await.1, json!([]));
    let (_, log) = admin.get("/api/v1/audit?limit=200").await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("feed."))
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "feed.create").count(),
        2,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "feed.delete").count(),
        2,
        "{actions:?}"
    );
    s.stop().await;
}
