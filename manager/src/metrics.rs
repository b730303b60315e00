//! The manager's Prometheus metrics: what is counted as it happens
//! (requests, their latency, alerts accepted, alert sets issued). Figures
//! read from the state at each scrape (boards online per commune, their
//! heartbeats, alert sets not yet taken, store size) are added by
//! `api::metrics`, which also serves them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

/// One kind of request and how it ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Request {
    /// The route's pattern (`/api/v1/boards/{id}`), never the path itself,
    /// so ids do not make series without end; `other` for unknown paths.
    pub route: String,
    pub method: String,
    pub status: String,
}

/// One kind of request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Route {
    pub route: String,
    pub method: String,
}

/// Where an alert came from: `cap` (a source's CAP document), `bulletin`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Kind {
    pub kind: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ≈ 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Counters shared by the whole manager.
#[derive(Debug)]
pub struct Metrics {
    pub requests: Family<Request, Counter>,
    pub latency: Family<Route, Histogram, fn() -> Histogram>,
    pub alerts_accepted: Family<Kind, Counter>,
    pub alert_sets_issued: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            alerts_accepted: Family::default(),
            alert_sets_issued: Counter::default(),
        }
    }
}

impl Metrics {
    /// A request answered: `route` is the matched pattern.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let (route, method) = (route.to_string(), method.to_string());
        self.requests
            .get_or_create(&Request {
                route: route.clone(),
                method: method.clone(),
                status: status.to_string(),
            })
            .inc();
        self.latency.get_or_create(&Route { route, method }).observe(seconds);
    }

    /// Register the counters in `registry` (cheap: they are shared handles).
    pub fn register(&self, registry: &mut prometheus_client::registry::Registry) {
        registry.register(
            "bangtin_http_requests",
            "HTTP requests answered, by route pattern, method and status",
            self.requests.clone(),
        );
        registry.register(
            "bangtin_http_request_duration_seconds",
            "Time to answer HTTP requests (to the response head; event streams count until they open)",
            self.latency.clone(),
        );
        registry.register(
            "bangtin_alerts_accepted",
            "Alerts accepted from the source system (cap) and bulletins (bulletin)",
            self.alerts_accepted.clone(),
        );
        registry.register(
            "bangtin_alert_sets_issued",
            "Signed alert sets issued to boards (one a board whenever its alerts change)",
            self.alert_sets_issued.clone(),
        );
    }
}
