//! The JSON API: `fn app(state) -> Router`, so tests can drive it with or
//! without a socket. The OpenAPI document is generated from the very same
//! route declarations, so it always matches the real routes.

pub mod account;
pub mod approval;
pub mod backup;
pub mod boards;
pub mod content;
pub mod feeds;
pub mod health;
pub mod ingest;
pub mod layouts;
pub mod live;
pub mod metrics;
pub mod notices;
pub mod playlog;
mod ranges;
mod refusals;
mod refusals_doc;
pub mod reports;
pub mod schedules;
pub mod screenshots;
pub mod speakers;
pub mod watch;

use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bangtin manager API",
        description = "Quản lý bảng tin điện tử: tài khoản, thư viện phương tiện, bố cục, lịch, bảng tin và chương trình đã ký. \
                       Managing public information boards: accounts, media, layouts, schedules, boards, signed shows. \
                       Errors are JSON `{\"error\": {\"code\", \"message\", \"field\", \"problems\"}}`.",
        version = "1"
    ),
    modifiers(&Security),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API token `bt_…` of an officer, or board credential `bb_…`"))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "source",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                crate::sources::HEADER_SIGNATURE,
                "Source systems: headers X-Bangtin-Source, X-Bangtin-Timestamp (Unix s, ±300 s), \
                 X-Bangtin-Nonce (16–64 chars, never reused) and X-Bangtin-Signature = \
                 hex(HMAC-SHA256(key, \"<timestamp>\\n<nonce>\\n<METHOD>\\n<path>\\n\" + body))",
            ))),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "Session cookie from /api/v1/auth/login; changes also need header X-CSRF-Token",
            ))),
        );
    }
}

/// The router and its OpenAPI document, from the same declarations; the
/// refusals each operation can answer are added from what it declares
/// (`refusals_doc`).
pub fn routes() -> (Router<Arc<AppState>>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(account::login))
        .routes(routes!(account::logout))
        .routes(routes!(account::me))
        .routes(routes!(account::list_users, account::create_user))
        .routes(routes!(account::update_user, account::delete_user))
        .routes(routes!(account::list_tokens, account::create_token))
        .routes(routes!(account::delete_token))
        .routes(routes!(account::list_units, account::create_unit))
        .routes(routes!(account::audit_log))
        .routes(routes!(backup::list_backups, backup::create_backup))
        .routes(routes!(content::list_media, content::upload_media))
        .routes(routes!(content::get_media, content::delete_media))
        .routes(routes!(content::media_content))
        .routes(routes!(content::media_thumbnail))
        .routes(routes!(layouts::validate_layout))
        .routes(routes!(layouts::list_layouts, layouts::create_layout))
        .routes(routes!(
            layouts::get_layout,
            layouts::update_layout,
            layouts::delete_layout
        ))
        .routes(routes!(layouts::layout_versions))
        .routes(routes!(layouts::layout_version))
        .routes(routes!(schedules::list_groups, schedules::create_group))
        .routes(routes!(schedules::update_group, schedules::delete_group))
        .routes(routes!(schedules::list_schedules, schedules::create_schedule))
        .routes(routes!(
            schedules::get_schedule,
            schedules::update_schedule,
            schedules::delete_schedule
        ))
        .routes(routes!(boards::request_pairing))
        .routes(routes!(boards::poll_pairing))
        .routes(routes!(boards::claim_board))
        .routes(routes!(boards::list_boards))
        .routes(routes!(boards::fleet))
        .routes(routes!(watch::offline_boards))
        .routes(routes!(watch::get_watch, watch::put_watch))
        .routes(routes!(boards::get_board, boards::update_board, boards::delete_board))
        .routes(routes!(boards::publish_board))
        .routes(routes!(boards::publish_unit))
        .routes(routes!(boards::board_show))
        .routes(routes!(boards::own_show))
        .routes(routes!(boards::own_media))
        .routes(routes!(boards::public_key))
        .routes(routes!(health::health))
        .routes(routes!(live::heartbeat))
        .routes(routes!(live::events))
        .routes(routes!(live::board_status))
        .routes(routes!(live::board_heartbeats))
        .routes(routes!(live::send_command))
        .routes(routes!(live::put_display))
        .routes(routes!(playlog::upload_playlog))
        .routes(routes!(playlog::playlog_report))
        .routes(routes!(screenshots::upload_screenshot))
        .routes(routes!(screenshots::get_screenshot))
        .routes(routes!(ingest::list_sources, ingest::create_source))
        .routes(routes!(ingest::update_source))
        .routes(routes!(ingest::rotate_source_key))
        .routes(routes!(feeds::list_feeds, feeds::create_feed))
        .routes(routes!(feeds::delete_feed))
        .routes(routes!(ingest::post_bulletin))
        .routes(routes!(ingest::post_alert))
        .routes(routes!(ingest::unit_bulletins))
        .routes(routes!(approval::approve))
        .routes(routes!(approval::reject))
        .routes(routes!(notices::list_notices, notices::create_notice))
        .routes(routes!(notices::cancel_notice))
        .routes(routes!(speakers::read_now))
        .routes(routes!(speakers::stop_all))
        .routes(routes!(speakers::list_speakers, speakers::create_speaker))
        .routes(routes!(speakers::delete_speaker))
        .routes(routes!(ingest::own_alerts))
        .routes(routes!(reports::bulletin_report))
        .routes(routes!(reports::alert_report))
        .routes(routes!(reports::unit_reports))
        .routes(routes!(reports::unit_stats))
        .split_for_parts();
    refusals_doc::complete(&mut doc);
    (router, doc)
}

/// The whole application.
pub fn app(state: Arc<AppState>) -> Router {
    let (api, doc) = routes();
    let doc = Arc::new(doc);
    let json_limit = state.cfg.max_json_bytes;
    let app = api
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let d = doc.clone();
                async move { axum::Json(d.as_ref().clone()) }
            }),
        )
        .merge(crate::web::routes())
        .fallback(crate::web::not_found)
        // A known path with another method: 405, and the router adds the
        // `Allow` header listing the path's methods.
        .method_not_allowed_fallback(|| async { AppError::method_not_allowed() })
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(axum::extract::DefaultBodyLimit::max(json_limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(AppError::internal("panic in a handler"))
        }))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::ERROR)),
        )
        // Outermost: every request has an id before anything logs, and the
        // answer carries it back (`x-request-id`).
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            RequestIds::default(),
        ))
        .with_state(state);
    crate::web::security_headers(app)
}

/// Request ids: this process's random prefix and a count, so ids are
/// unique across restarts without a lookup. A request that comes with
/// `x-request-id` (from a reverse proxy) keeps its own.
#[derive(Clone)]
struct RequestIds {
    prefix: Arc<str>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds {
            prefix: format!("{:08x}", rand::random::<u32>()).into(),
            next: Arc::default(),
        }
    }
}

impl tower_http::request_id::MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<tower_http::request_id::RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        axum::http::HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}

/// The span every log line of a request carries: its id, method and
/// route pattern; the board or officer fills in once authenticated.
fn request_span<B>(req: &axum::http::Request<B>) -> tracing::Span {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("other", axum::extract::MatchedPath::as_str);
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        request_id = id,
        method = %req.method(),
        route,
        board = tracing::field::Empty,
        officer = tracing::field::Empty,
    )
}

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

pub(crate) use crate::audit::{audit, new_id};

/// The source system behind a signed request (`X-Bangtin-*` headers), or
/// 401 naming what is wrong.
pub(crate) fn signed_source(
    store: &dyn crate::store::Store,
    headers: &axum::http::HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<crate::sources::SourceRecord, AppError> {
    use crate::sources::{HEADER_NONCE, HEADER_SIGNATURE, HEADER_SOURCE, HEADER_TIMESTAMP, SignedRequest};
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map_or("", str::trim);
    let r = SignedRequest {
        source: h(HEADER_SOURCE),
        timestamp: h(HEADER_TIMESTAMP),
        nonce: h(HEADER_NONCE),
        signature: h(HEADER_SIGNATURE),
        method,
        path,
        body,
    };
    Ok(crate::sources::verify(store, r, now())?)
}

pub(crate) const CREATED: StatusCode = StatusCode::CREATED;
