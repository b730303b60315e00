//! The fleet simulator (`bangtin-load fleet`) and the emergency fan-out
//! (`bangtin-load fanout`) against a real manager
//! process: a few boards for a couple of seconds must get every answer right
//! and be seen by the manager, so the benchmark cannot rot unnoticed. It
//! lives here because only this crate's tests know where cargo put the
//! `bangtin-manager` binary.

use bangtin_tests::tools::fleet::{FleetArgs, measure};
use std::path::Path;

#[test]
fn small_fleet_gets_every_answer_and_is_seen() {
    let a = FleetArgs {
        boards: vec![50],
        seconds: 2.0,
        heartbeat: 1.0,
        playlog_every: 1.0,
        playlog_events: 20,
        warmup: 0.2,
        clients: 2,
        timeout: 10.0,
        ..FleetArgs::default()
    };
    let r = measure(Path::new(env!("CARGO_BIN_EXE_bangtin-manager")), &a, 50).expect("fleet runs");
    assert_eq!(r.errors(), 0, "{r:#?}");
    assert_eq!(r.routes.len(), 3);
    for route in &r.routes {
        // 50 boards, one of each request a second, for 2 s.
        assert!(route.ok >= 80, "{}: {route:?}", route.route);
        assert!(route.p99_ms.is_finite() && route.p99_ms >= 0.0);
    }
    assert_eq!(r.full_shows, 0, "If-None-Match with the current version answers 304");
    assert_eq!(r.boards_beating, 50);
    assert_eq!(r.boards_seen, 50, "the manager lists every board as seen: {r:#?}");
    assert_eq!(r.playlog_stored, r.playlog_sent, "{r:#?}");
    assert!(r.playlog_sent >= 80 * 20);
    assert!(r.offered_rps > 100.0 && r.achieved_rps > 100.0, "{r:#?}");
    let m = r.server_loaded.expect("manager memory read");
    assert!(m.rss_kib > 1000 && m.pss_kib > 0, "{m:?}");
}

/// The emergency fan-out (`bangtin-load fanout`) on a small province: every
/// board of every commune must fetch and verify the set with the alert,
/// then the set without it after the cancel (the tool fails otherwise).
#[test]
fn small_province_gets_an_emergency_and_its_cancel_on_every_board() {
    use bangtin_tests::tools::fanout::{FanoutArgs, run};
    let a = FanoutArgs {
        boards: 60,
        communes: 6,
        rounds: 1,
        p99_ms: 10_000.0,
        data: None,
        postgres: false,
        managers: 1,
    };
    run(Path::new(env!("CARGO_BIN_EXE_bangtin-manager")), a).expect("every board verified the alert and the cancel");
}

/// The same two tools against two managers on one PostgreSQL behind
/// haproxy (issue #16): the boards spread over both, every answer right,
/// and the emergency reaches boards whichever manager holds their stream.
#[test]
fn two_managers_on_postgres_serve_a_fleet_and_an_emergency() {
    use bangtin_tests::tools::fanout::{FanoutArgs, run};
    let exe = Path::new(env!("CARGO_BIN_EXE_bangtin-manager"));
    let a = FleetArgs {
        boards: vec![50],
        seconds: 2.0,
        heartbeat: 1.0,
        playlog_every: 1.0,
        warmup: 0.5,
        clients: 2,
        timeout: 10.0,
        postgres: true,
        managers: 2,
        ..FleetArgs::default()
    };
    let r = measure(exe, &a, 50).expect("fleet runs");
    assert_eq!(r.errors(), 0, "{r:#?}");
    assert_eq!(r.boards_seen, 50, "{r:#?}");
    assert_eq!(r.playlog_stored, r.playlog_sent, "{r:#?}");
    assert!(r.postgres_loaded.is_some_and(|m| m.rss_kib > 0), "{r:#?}");
    let f = FanoutArgs {
        boards: 40,
        communes: 4,
        rounds: 1,
        p99_ms: 10_000.0,
        data: None,
        postgres: true,
        managers: 2,
    };
    run(exe, f).expect("every board verified the alert and the cancel");
}
