//! Load tools for the manager, run by `bangtin-load` (`src/bin/bangtin-load.rs`):
//! `bench` (the board routes' latency), `fleet` (many simulated boards,
//! issue #4), `soak` (memory and disk over long runs, issue #11) and
//! `fanout` (one emergency to a province's boards, issue #12),
//! `dashboard` (the officers' boards page over many boards, issue #13). Each
//! fills a fresh data directory, starts `bangtin-manager serve` as a
//! process of its own on loopback and drives it from this process.

pub mod bench;
pub mod cluster;
pub mod dashboard;
pub mod fanout;
pub mod fleet;
pub mod manager;
pub mod soak;

/// The `p` quantile (0–1) of `v`, sorting it; NaN when empty.
pub fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}
