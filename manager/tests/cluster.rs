//! Managers on PostgreSQL (issue #16): the store behind the same trait as
//! sled, its schema and its errors, and several managers sharing one
//! database. Every test starts its own PostgreSQL server (Debian's, on
//! loopback, in a temporary directory: `harness::postgres`).

use bangtin_manager::journal::Stream;
use bangtin_manager::pg::PgStore;
use bangtin_manager::store::{Op, SledStore, Store, StoreExt, prefix_end};
use bangtin_tests::harness::postgres::Postgres;

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
