//! Static files compiled into the binary (see `manager/build.rs`), served
//! under content-hashed names with a year's cache.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The URL of a static file by its plain name (`app.css` →
/// `/static/app.1a2b3c4d5e.css`).
pub fn url(name: &str) -> String {
    match FILES.iter().find(|f| f.0 == name) {
        Some(f) => format!("/static/{}", f.1),
        None => {
            tracing::warn!(name, "no such static file");
            format!("/static/{name}")
        }
    }
}

/// Every static file: (plain name, hashed name, content type, bytes).
pub fn all() -> &'static [(&'static str, &'static str, &'static str, &'static [u8])] {
    FILES
}

pub async fn serve(Path(name): Path<String>) -> Response {
    let Some((_, _, ctype, bytes)) = FILES.iter().find(|f| f.1 == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut r = (*bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    r
}
