//! Managers on PostgreSQL (issue #16): the store behind the same trait as
//! sled, its schema and its errors, and several managers sharing one
//! database. Every test starts its own PostgreSQL server (Debian's, on
//! loopback, in a temporary directory: `harness::postgres`).

use bangtin_manager::Config;
use bangtin_manager::journal::Stream;
use bangtin_manager::pg::PgStore;
use bangtin_manager::store::{Op, SledStore, Store, StoreExt, prefix_end};
use bangtin_tests::harness::manager::{
    COMMUNE_A, Client, PASSWORD, Server, board_showing, pair, png, seed_config, user,
};
use bangtin_tests::harness::postgres::{Postgres, ServerTls, TestCerts, off_runtime};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The same operations on both stores give the same answers.
fn exercise(s: &dyn Store) -> Vec<String> {
    let mut seen = Vec::new();
    s.apply(vec![Op::put("a/1", &1u32), Op::put("a/2", &2u32), Op::put("b/1", &"x")])
        .unwrap();
    s.apply(vec![
        Op::del("a/1"),
        Op::put("a/3", &3u32),
        Op::put("a/3", &33u32),
        Op::del("zz"),
    ])
    .unwrap();
    // A put then a delete of one key in one batch: the delete wins.
    s.apply(vec![Op::put("c/1", &1u32), Op::del("c/1")]).unwrap();
    s.flush().unwrap();
    seen.push(format!("{:?}", s.scan_json::<u32>("a/").unwrap()));
    seen.push(format!("{:?}", s.get_json::<String>("b/1").unwrap()));
    seen.push(format!("{:?}", s.get("c/1").unwrap()));
    let ops = (0..5000u32).map(|i| Op::put(format!("h/b1/{i:05}"), &i)).collect();
    s.apply(ops).unwrap();
    s.apply(vec![Op::put("h/b10/00000", &0u32), Op::put("h/b2/00000", &0u32)])
        .unwrap();
    let keys = |v: Vec<(String, Vec<u8>)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    seen.push(format!(
        "{:?}",
        keys(s.range("h/b1/", &prefix_end("h/b1/"), 3, true).unwrap())
    ));
    seen.push(format!(
        "{:?}",
        keys(s.range("h/b1/00010", "h/b1/00013", 100, false).unwrap())
    ));
    seen.push(format!("{:?}", s.range("b", "a", 10, false).unwrap()));
    seen.push(format!("{}", s.delete_prefix("h/b1/").unwrap()));
    seen.push(format!("{:?}", keys(s.scan("h/").unwrap())));
    // Keys compare byte by byte (not by a locale's rules).
    s.apply(vec![
        Op::put("k/B", &1u8),
        Op::put("k/a", &2u8),
        Op::put("k/_", &3u8),
        Op::put("k/~", &4u8),
    ])
    .unwrap();
    seen.push(format!("{:?}", keys(s.scan("k/").unwrap())));
    let mut all = Vec::new();
    s.each(&mut |k, _| {
        all.push(String::from_utf8_lossy(k).into_owned());
        Ok(())
    })
    .unwrap();
    seen.push(format!(
        "each {:?}",
        all.iter().filter(|k| !k.starts_with("meta/")).collect::<Vec<_>>()
    ));
    let (a, b) = (s.next_id().unwrap(), s.next_id().unwrap());
    assert!(b > a, "ids increase: {a} {b}");
    // The logs.
    let j = s.journal();
    j.append(
        Stream::Play,
        "2026-12-07T09",
        "b1",
        &[b"{\"a\":1}".to_vec(), b"{\"a\":2}".to_vec()],
    )
    .unwrap();
    j.append(Stream::Play, "2026-12-07T10", "b1", &[b"{\"a\":3}".to_vec()])
        .unwrap();
    j.append(Stream::Play, "2026-12-07T10", "b2", &[b"{\"b\":1}".to_vec()])
        .unwrap();
    j.append(Stream::Beats, "2026-12-07", "b1", &[b"{}".to_vec()]).unwrap();
    j.sync().unwrap();
    seen.push(format!("{:?}", j.buckets(Stream::Play).unwrap()));
    seen.push(format!("{:?}", j.buckets(Stream::Beats).unwrap()));
    let mut boards = j.boards(Stream::Play, "2026-12-07T10").unwrap();
    boards.sort();
    seen.push(format!("{boards:?}"));
    let r = j.read(Stream::Play, "2026-12-07T09", "b1", 0).unwrap();
    seen.push(format!("{:?}", r.records));
    j.append(Stream::Play, "2026-12-07T09", "b1", &[b"{\"a\":4}".to_vec()])
        .unwrap();
    let more = j.read(Stream::Play, "2026-12-07T09", "b1", r.end).unwrap();
    seen.push(format!("after {:?}", more.records));
    let again = j.read(Stream::Play, "2026-12-07T09", "b1", more.end).unwrap();
    seen.push(format!("nothing new {:?} {}", again.records, again.end == more.end));
    let none = j.read(Stream::Play, "2026-12-07T09", "nobody", 7).unwrap();
    seen.push(format!("{:?} {}", none.records, none.end));
    j.forget("b1").unwrap();
    seen.push(format!(
        "{:?}",
        j.read(Stream::Play, "2026-12-07T10", "b1", 0).unwrap().records
    ));
    j.drop_if_empty(Stream::Play, "2026-12-07T09").unwrap();
    j.drop_if_empty(Stream::Play, "2026-12-07T10").unwrap();
    seen.push(format!("{:?}", j.buckets(Stream::Play).unwrap()));
    j.drop_bucket(Stream::Play, "2026-12-07T10").unwrap();
    seen.push(format!("{:?}", j.buckets(Stream::Play).unwrap()));
    seen.push(format!(
        "{}",
        j.append(Stream::Play, "../x", "b1", &[b"{}".to_vec()]).is_err()
    ));
    seen
}

#[test]
fn postgres_answers_as_sled_does() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(dir.path()).unwrap();
    let want = exercise(&sled);
    let store = PgStore::open(&pg.new_db(), 4).unwrap();
    let got = exercise(&store);
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w, g);
    }
    assert_eq!(want.len(), got.len());
    assert!(store.shared_by_processes() && !sled.shared_by_processes());
}

#[test]
fn a_newer_or_unreachable_database_is_refused_with_a_reason() {
    let pg = Postgres::start();
    let url = pg.new_db();
    let store = PgStore::open(&url, 1).unwrap();
    assert_eq!(store.schema_version().unwrap(), bangtin_manager::pg::SCHEMA_VERSION);
    store.apply(vec![Op::put("units/19", &"kept")]).unwrap();
    drop(store);
    // Opening again migrates nothing and keeps what is there.
    let store = PgStore::open(&url, 1).unwrap();
    assert_eq!(store.get_json::<String>("units/19").unwrap().as_deref(), Some("kept"));
    drop(store);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.execute("UPDATE bangtin_schema SET version = 99", &[]).unwrap();
    let e = PgStore::open(&url, 1).unwrap_err().to_string();
    assert!(e.contains("phiên bản lược đồ 99") && e.contains("newer"), "{e}");
    assert!(!e.contains(&url), "the password stays out of messages: {e}");
    let v: i32 = c.query_one("SELECT version FROM bangtin_schema", &[]).unwrap().get(0);
    assert_eq!(v, 99, "nothing written to a newer database");
    let port = bangtin_tests::harness::manager::free_port();
    let e = PgStore::open(&format!("postgres://bangtin:secret@127.0.0.1:{port}/bangtin"), 1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cannot connect to PostgreSQL") && e.contains(&port.to_string()),
        "{e}"
    );
    assert!(!e.contains("secret"), "{e}");
    let e = PgStore::open(&url.replace(&pg.port.to_string(), &format!("{}/nosuchdb", pg.port)), 1);
    assert!(e.is_err());
}

/// A server that takes TLS only, its certificate for `db.tinh.example`
/// and `localhost` (not 127.0.0.1) signed by a CA of the test's own; the
/// CA's file, and another CA's, in `dir`.
fn tls_only_server(dir: &std::path::Path) -> (Postgres, String, String) {
    let certs = TestCerts::new(&["db.tinh.example", "localhost"]);
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &certs.ca_pem).unwrap();
    let other = dir.join("other-ca.pem");
    std::fs::write(&other, TestCerts::new(&["localhost"]).ca_pem).unwrap();
    let pg = Postgres::start_tls(ServerTls { certs, only: true });
    (pg, ca.display().to_string(), other.display().to_string())
}

/// Whether this connection of `store` is encrypted, as the server sees it.
fn ssl_in_use(store: &PgStore) -> bool {
    store
        .pool()
        .run(|c| {
            c.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
                .map(|r| r.get::<_, bool>(0))
        })
        .unwrap()
}

/// TLS to PostgreSQL: `sslmode` and `sslrootcert` in the store address
/// as libpq reads them; a certificate that does not check out stops the
/// connection before a password is sent, with a message saying what to
/// do; a server that wants TLS refuses a plain connection.
#[test]
fn tls_to_postgres_checks_the_servers_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (pg, ca, other) = tls_only_server(dir.path());
    let plain = pg.url("postgres");
    let at = |host: &str, query: &str| format!("{}?{query}", plain.replace("127.0.0.1", host));
    let open = |url: &str| PgStore::open(url, 1).map_err(|e| e.to_string());

    // Chain and name checked.
    let full = open(&at("localhost", &format!("sslmode=verify-full&sslrootcert={ca}"))).unwrap();
    assert!(ssl_in_use(&full));
    full.apply(vec![Op::put("units/tls", &"qua TLS")]).unwrap();
    assert_eq!(
        full.get_json::<String>("units/tls").unwrap().as_deref(),
        Some("qua TLS")
    );
    drop(full);
    // The certificate does not name 127.0.0.1: verify-full refuses it,
    // verify-ca (the chain only) takes it.
    let e = open(&at("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={ca}"))).unwrap_err();
    assert!(
        e.contains("not valid for name") && e.contains("sslrootcert=FILE"),
        "{e}"
    );
    assert!(!e.contains(&pg_password(&plain)), "no password in messages: {e}");
    let ca_only = open(&at("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}"))).unwrap();
    assert!(ssl_in_use(&ca_only));
    drop(ca_only);
    // Signed by a CA not trusted.
    let e = open(&at("localhost", &format!("sslmode=verify-full&sslrootcert={other}"))).unwrap_err();
    assert!(e.contains("UnknownIssuer") && e.contains("sslmode=verify-full"), "{e}");
    let e = open(&at("localhost", &format!("sslmode=require&sslrootcert={other}"))).unwrap_err();
    assert!(
        e.contains("UnknownIssuer"),
        "require with a root named checks the chain: {e}"
    );
    // The system's roots do not hold the test's CA.
    let e = open(&at("localhost", "sslmode=verify-full")).unwrap_err();
    assert!(e.contains("UnknownIssuer") || e.contains("system root"), "{e}");
    // Encryption only (libpq's `require`), logged as weak.
    let enc = open(&at("localhost", "sslmode=require")).unwrap();
    assert!(ssl_in_use(&enc));
    drop(enc);
    // Plain TCP to a server that wants TLS; on loopback plain is the
    // default.
    for url in [at("localhost", "sslmode=disable"), plain.clone()] {
        let e = open(&url).unwrap_err();
        assert!(e.contains("pg_hba.conf") && e.contains("no encryption"), "{e}");
    }
}

fn pg_password(url: &str) -> String {
    url.split_once("postgres:")
        .and_then(|(_, r)| r.split_once('@'))
        .map(|(p, _)| p.to_string())
        .unwrap()
}

/// A whole manager on a database it reaches over verified TLS: every
/// connection it opens (the pool, the leader's, the notification relay)
/// is encrypted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_runs_on_postgres_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (pg, ca, _) = tls_only_server(dir.path());
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={ca}",
        pg.url("postgres").replace("127.0.0.1", "localhost")
    );
    let data = tempfile::tempdir().unwrap();
    seed_config(Config {
        data_dir: data.path().to_path_buf(),
        store: Some(url.clone()),
        ..Config::default()
    });
    let s = Server::on_postgres(data.path(), &url).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let a = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    let (st, v) = a.call(Method::GET, "/api/v1/boards", None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (st, v) = a.call(Method::GET, "/api/v1/health", None).await;
        if st == StatusCode::OK && v["leader"] == true {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no leader: {st} {v}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let check = url.clone();
    let (encrypted, all) = off_runtime(move || {
        let store = PgStore::open(&check, 1).unwrap();
        store
            .pool()
            .run(|c| {
                c.query_one(
                    "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_activity a \
                     JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'bangtin-manager'",
                    &[],
                )
                .map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1)))
            })
            .unwrap()
    });
    assert!(all >= 3, "the pool, the leader and the relay at least: {all}");
    assert_eq!(encrypted, all, "every connection of the manager is encrypted");
    s.stop().await;
}

/// One manager leads the background work; when its connection goes (the
/// process died), another leads within seconds. Messages reach every
/// manager, the sender included.
#[test]
fn one_manager_leads_and_another_takes_over() {
    use bangtin_manager::pg::Cluster;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};
    let pg = Postgres::start();
    let url = pg.new_db();
    let (tx_a, rx_a) = mpsc::channel::<String>();
    let (tx_b, rx_b) = mpsc::channel::<String>();
    let a = Cluster::start(&url, move |l| {
        let _ = tx_a.send(l.to_string());
    });
    let b = Cluster::start(&url, move |l| {
        let _ = tx_b.send(l.to_string());
    });
    let leading = |c: &Cluster| *c.leader().borrow();
    let t = Instant::now();
    while !(leading(&a) || leading(&b)) {
        assert!(t.elapsed() < Duration::from_secs(5), "someone leads");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(leading(&a) != leading(&b), "exactly one leads");
    let (first, second) = if leading(&a) { (a, b) } else { (b, a) };
    first.tell("from the first".into());
    for rx in [&rx_a, &rx_b] {
        assert_eq!(rx.recv_timeout(Duration::from_secs(2)).unwrap(), "from the first");
    }
    let t = Instant::now();
    drop(first);
    while !leading(&second) {
        assert!(t.elapsed() < Duration::from_secs(5), "the other takes over");
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("leadership moved in {:?}", t.elapsed());
}

/// A database seeded for two managers, and their data directories: the
/// second holds a copy of the first's signing key, as docs/cluster.md
/// says to do.
fn two_data_dirs(pg: &Postgres) -> (String, tempfile::TempDir, tempfile::TempDir) {
    let url = pg.new_db();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    seed_config(Config {
        data_dir: a.path().to_path_buf(),
        store: Some(url.clone()),
        ..Config::default()
    });
    std::fs::copy(a.path().join("show-signing.key"), b.path().join("show-signing.key")).unwrap();
    (url, a, b)
}

fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Issue #16, item 3: a file uploaded to one manager is served by every
/// other on the database — to boards (whole, and a download cut on one
/// manager resumed on another), to officers (content and thumbnail) —
/// and so are boards' screenshots; what is deleted on one is gone on all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_and_screenshots_are_served_by_every_manager() {
    let pg = Postgres::start();
    let (url, da, db) = two_data_dirs(&pg);
    let sa = Server::on_postgres(da.path(), &url).await;
    let sb = Server::on_postgres(db.path(), &url).await;
    let admin = Client::token(&sa, "tinh", PASSWORD).await;
    let a = user(&sa, &admin, "xa.a", "editor", COMMUNE_A).await;
    let a_on_b = a.at(&sb);

    // Over 1 MiB: more than one chunk in the database.
    let pic = png(800, 600, 5);
    assert!(pic.len() > 1 << 20);
    let (st, m) = a.upload(COMMUNE_A, "anh.png", pic.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    let sha = m["sha256"].as_str().unwrap().to_string();
    assert_eq!(m["has_thumbnail"], true, "{m}");
    let cached_on_b = db.path().join("media").join(&sha[..2]).join(&sha);
    assert!(!cached_on_b.exists(), "B has no copy until asked");
    let (id, board, _, _) = board_showing(&sa, &a, &sha).await;

    // A board's download, cut on A at 700,000 bytes, resumed on B.
    let board_on_b = board.at(&sb);
    let get = |c: &Client, range: &str| {
        let mut r = c.request(Method::GET, &format!("/api/v1/board/media/{sha}"));
        if !range.is_empty() {
            r = r.header("range", range);
        }
        r.send()
    };
    let head = get(&board, "bytes=0-699999").await.unwrap();
    assert_eq!(head.status(), StatusCode::PARTIAL_CONTENT);
    let mut got = head.bytes().await.unwrap().to_vec();
    assert_eq!(got.len(), 700_000);
    let tail = get(&board_on_b, "bytes=700000-").await.unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        tail.headers()["content-range"].to_str().unwrap(),
        format!("bytes 700000-{}/{}", pic.len() - 1, pic.len())
    );
    got.extend_from_slice(&tail.bytes().await.unwrap());
    assert_eq!(sha256(&got), sha);
    assert_eq!(std::fs::read(&cached_on_b).unwrap(), pic, "B keeps its copy");
    let whole = get(&board_on_b, "").await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.bytes().await.unwrap(), pic);

    // Officers: the file and its thumbnail, from B.
    let r = a_on_b
        .request(Method::GET, &format!("/api/v1/units/{COMMUNE_A}/media/{sha}/content"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap(), pic);
    let r = a_on_b
        .request(Method::GET, &format!("/api/v1/units/{COMMUNE_A}/media/{sha}/thumbnail"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let thumb = std::fs::read(da.path().join("thumbs").join(format!("{sha}.jpg"))).unwrap();
    assert_eq!(r.bytes().await.unwrap(), thumb);

    // Screenshots: sent to A, seen from B; the next one, sent to B, seen
    // from A, and the older one gone from the database.
    let shoot = |c: &Client, body: Vec<u8>| {
        c.request(Method::PUT, "/api/v1/board/screenshot?kind=thumb")
            .header("content-type", "image/png")
            .body(body)
            .send()
    };
    let shot = |c: &Client| {
        c.request(Method::GET, &format!("/api/v1/boards/{id}/screenshot?kind=thumb"))
            .send()
    };
    let first = png(320, 180, 1);
    assert_eq!(
        shoot(&board, first.clone()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let r = shot(&a_on_b).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap(), first);
    let second = png(320, 180, 2);
    assert_eq!(
        shoot(&board_on_b, second.clone()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(shot(&a).await.unwrap().bytes().await.unwrap(), second);
    let store = PgStore::open(&url, 1).unwrap();
    let screens = format!("screen/{id}/");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.blobs(&screens).unwrap().len() != 1 {
        assert!(std::time::Instant::now() < deadline, "{:?}", store.blobs(&screens));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A file no show uses, deleted on A after B served it: gone on both.
    let other = png(64, 64, 9);
    let (st, m) = a.upload(COMMUNE_A, "khac.png", other.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    let sha2 = m["sha256"].as_str().unwrap().to_string();
    let content = format!("/api/v1/units/{COMMUNE_A}/media/{sha2}/content");
    let r = a_on_b.request(Method::GET, &content).send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap(), other);
    assert!(store.has_blob(&sha2).unwrap() && store.has_blob(&format!("thumb/{sha2}")).unwrap());
    let r = a
        .request(Method::DELETE, &format!("/api/v1/units/{COMMUNE_A}/media/{sha2}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = a_on_b.request(Method::GET, &content).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!store.has_blob(&sha2).unwrap());
    assert!(!store.has_blob(&format!("thumb/{sha2}")).unwrap());
    assert!(store.has_blob(&sha).unwrap(), "the one in use stays");

    // A board deleted on B: its screenshots are gone from the database.
    let r = a_on_b
        .request(Method::DELETE, &format!("/api/v1/boards/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(store.blobs(&screens).unwrap().is_empty());
    sa.stop().await;
    sb.stop().await;

    // B's copies of what was deleted through A are swept (hourly, once an
    // hour old; here at once); the file in use stays.
    let deleted_on_b = db.path().join("media").join(&sha2[..2]).join(&sha2);
    assert!(deleted_on_b.exists(), "B served it, so B cached it");
    let swept = off_runtime({
        let (data, url) = (db.path().to_path_buf(), url.clone());
        move || {
            let s = bangtin_manager::AppState::open(Config {
                data_dir: data,
                store: Some(url),
                ..Config::default()
            })
            .unwrap();
            (
                s.sweep_caches(std::time::Duration::from_secs(3600)).unwrap(),
                s.sweep_caches(std::time::Duration::ZERO).unwrap(),
            )
        }
    });
    assert_eq!(swept.0, 0, "nothing an hour old yet");
    assert!(swept.1 >= 1, "{swept:?}");
    assert!(!deleted_on_b.exists(), "the deleted file's copy is swept");
    assert_eq!(std::fs::read(&cached_on_b).unwrap(), pic, "the file in use stays");
}

/// A second manager started without the cluster's key file is refused,
/// and told which file to copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_without_the_clusters_key_is_refused() {
    let pg = Postgres::start();
    let (url, _a, _b) = two_data_dirs(&pg);
    let c = tempfile::tempdir().unwrap();
    let e = bangtin_manager::AppState::open(Config {
        data_dir: c.path().to_path_buf(),
        store: Some(url),
        ..Config::default()
    })
    .unwrap_err();
    let e = format!("{e:#}");
    assert!(e.contains("show-signing.key") && e.contains("copy"), "{e}");
    assert!(!c.path().join("show-signing.key").exists(), "no key of its own");
}

/// `bangtin-manager migrate` with `args`, off the async workers: its exit
/// status and what it printed.
async fn migrate_cmd(args: Vec<String>) -> (i32, String) {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_bangtin-manager"));
    c.arg("migrate")
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("BANGTIN_STORE");
    let out = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Issue #16, item 5: a sled manager's data directory moves to PostgreSQL
/// — records, proof of play, heartbeat history, media, screenshots and
/// the signing key — and a manager started on the database with only the
/// key file serves it all; refused: a directory a manager runs on, a
/// database not empty, an address that is not PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sled_manager_moves_to_postgres() {
    let pg = Postgres::start();
    let url = pg.new_db();
    let old = tempfile::tempdir().unwrap();
    bangtin_tests::harness::manager::seed(old.path());
    let s = Server::start(old.path(), |c| c.requests_per_second = 1000).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let a = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    let pic = png(800, 600, 7);
    let (st, m) = a.upload(COMMUNE_A, "anh.png", pic.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    let sha = m["sha256"].as_str().unwrap().to_string();
    let (id, board, pinned, layout) = board_showing(&s, &a, &sha).await;
    for _ in 0..2 {
        let (st, _) = board
            .post(
                "/api/v1/board/heartbeat",
                bangtin_tests::harness::manager::board_status(30, 1),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
    }
    let play = |seq: u64, kind: &str, started: &str, at: &str| {
        json!({"seq": seq, "kind": kind, "at": at, "started": started, "show_version": 1,
               "layout": format!("{layout}@1"), "zone": "anh", "item": 0,
               "item_kind": "image", "label": "Ảnh chợ"})
    };
    let events = json!({"events": [
        play(1, "start", "2026-11-23T01:00:00Z", "2026-11-23T01:00:00Z"),
        play(2, "end", "2026-11-23T01:00:00Z", "2026-11-23T01:00:08Z"),
    ]});
    let (st, ack) = board.post("/api/v1/board/playlog", events).await;
    assert_eq!((st, &ack["stored"]), (StatusCode::OK, &json!(2)), "{ack}");
    let shot = png(32, 16, 5);
    let r = board
        .request(Method::PUT, "/api/v1/board/screenshot?kind=thumb")
        .body(shot.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let report_path = format!("/api/v1/boards/{id}/playlog?date=2026-11-23");
    let (st, report) = a.get(&report_path).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    let (_, boards) = a.get(&format!("/api/v1/units/{COMMUNE_A}/boards")).await;
    let (_, beats) = a.get(&format!("/api/v1/boards/{id}/heartbeats")).await;
    assert!(!beats["beats"].as_array().unwrap().is_empty(), "{beats}");

    let from = old.path().display().to_string();
    let (code, out) = migrate_cmd(vec!["--from".into(), from.clone(), "--to".into(), url.clone()]).await;
    assert_eq!(code, 2, "a manager runs on it: {out}");
    assert!(out.contains("stop it first"), "{out}");
    s.stop().await;
    let (code, out) = migrate_cmd(vec!["--from".into(), from.clone(), "--to".into(), "/var/lib/x".into()]).await;
    assert_eq!(code, 2, "{out}");
    let (code, out) = migrate_cmd(vec!["--from".into(), from.clone(), "--to".into(), url.clone()]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("counts match"), "{out}");
    assert!(out.contains("tệp phương tiện (media files): nguồn 1, đích 1"), "{out}");
    assert!(out.contains("nhật ký phát (proof of play): nguồn 2, đích 2"), "{out}");
    assert!(!out.contains(&url), "no password printed: {out}");
    let (code, out) = migrate_cmd(vec!["--from".into(), from.clone(), "--to".into(), url.clone()]).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not empty"), "{out}");

    // A manager on the database, with nothing of the old directory but
    // its key file.
    let new = tempfile::tempdir().unwrap();
    std::fs::copy(old.path().join("show-signing.key"), new.path().join("show-signing.key")).unwrap();
    let s = Server::on_postgres(new.path(), &url).await;
    let a = a.at(&s);
    let board = board.at(&s);
    assert_eq!(a.get(&format!("/api/v1/units/{COMMUNE_A}/boards")).await.1, boards);
    assert_eq!(a.get(&report_path).await, (StatusCode::OK, report));
    let (_, after) = a.get(&format!("/api/v1/boards/{id}/heartbeats")).await;
    assert_eq!(after["beats"], beats["beats"]);
    let r = board
        .request(Method::GET, &format!("/api/v1/board/media/{sha}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap(), pic);
    let r = a
        .request(Method::GET, &format!("/api/v1/boards/{id}/screenshot?kind=thumb"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap(), shot);
    let (st, key) = Client::anonymous(&s).get("/api/v1/public-key").await;
    assert_eq!(st, StatusCode::OK, "{key}");
    assert_eq!(key["key"], pinned, "boards keep trusting the same key");
    // New ids come after the old ones: a new board does not take one.
    let (id2, _, _) = pair(&s, &a, COMMUNE_A, "Bảng mới").await;
    let n = |id: &str| id.trim_start_matches("brd_").parse::<u64>().unwrap();
    assert!(n(&id2) > n(&id), "{id2} after {id}");
    s.stop().await;
}
