//! Behind a reverse proxy (nginx on the same machine, docs/guide-manager):
//! per-address limits count each client named by `X-Forwarded-For`, and
//! only when the request comes from a proxy the operator trusts — over
//! real HTTP on 127.0.0.1 with a real store.

use bangtin_tests::harness::manager::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

static NAMES: AtomicUsize = AtomicUsize::new(0);

/// Failed sign-ins from `client` (as the proxy reports it) until refused
/// with 429, at most `n`; how many went through first.
async fn until_limited(anon: &Client, client: &str, n: usize) -> usize {
    for i in 0..n {
        let r = anon
            .request(Method::POST, "/api/v1/auth/login")
            .header("x-forwarded-for", client)
            // A different name each time: only the per-address limit counts.
            .json(&json!({"username": format!("khong-co-{}", NAMES.fetch_add(1, Ordering::Relaxed)), "password": "sai-mat-khau-roi"}))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            return i;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_names_the_client_and_an_untrusted_header_is_ignored() {
    // Sign-ins: 1 a minute per name, so 4 a minute per address.
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |c| {
        c.login_per_minute = 1;
        c.trusted_proxies = vec!["127.0.0.1".into(), "::1".into()];
    })
    .await;
    let anon = Client::anonymous(&s);
    // One client is stopped after 4; the next client behind the same proxy
    // is not (without the header, both would be 127.0.0.1's).
    assert_eq!(until_limited(&anon, "203.0.113.7", 10).await, 4);
    assert_eq!(until_limited(&anon, "203.0.113.7", 1).await, 0);
    assert_eq!(until_limited(&anon, "198.51.100.20", 1).await, 1);
    // A client cannot escape by writing its own header: the proxy appends
    // the real address, and that is the one counted.
    assert_eq!(until_limited(&anon, "1.2.3.4, 203.0.113.7", 1).await, 0);

    // Not trusted (the default): the header is anyone's to write and is
    // ignored; every sign-in counts for the connecting address.
    let dir2 = tempfile::tempdir().unwrap();
    seed(dir2.path());
    let s2 = Server::start(dir2.path(), |c| c.login_per_minute = 1).await;
    let anon2 = Client::anonymous(&s2);
    assert_eq!(until_limited(&anon2, "203.0.113.7", 10).await, 4);
    assert_eq!(until_limited(&anon2, "198.51.100.20", 1).await, 0);
}
