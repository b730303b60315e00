//! One error type for every route: a status, a stable code, a message in
//! Vietnamese with the English meaning, and the field it concerns.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `bad_request`, `unauthorized`, `forbidden`,
    /// `not_found`, `method_not_allowed`, `conflict`, `too_large`,
    /// `unsupported_media`, `rate_limited`, `invalid`, `internal`.
    pub code: &'static str,
    pub message: String,
    /// The field the problem concerns, e.g. `zone[1].item[0].speed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Further problems of a validation, each with its field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub detail: ErrorDetail,
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, AppError>;

impl AppError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            status,
            detail: ErrorDetail {
                code,
                message: message.into(),
                field: None,
                problems: Vec::new(),
            },
            retry_after: None,
        }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", m)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "cần đăng nhập hoặc mã truy cập hợp lệ (authentication required)",
        )
    }
    pub fn unauthorized_because(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", m)
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", m)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("không tìm thấy {what} (not found)"),
        )
    }
    /// 405; the router adds `Allow` with the path's methods.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "phương thức không dùng được cho đường dẫn này; xem tiêu đề Allow (method not allowed; see Allow)",
        )
    }
    /// 404 with its own message: an id in the body that names nothing.
    pub fn not_found_because(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", m)
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", m)
    }
    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("tệp quá lớn: tối đa {limit} byte (too large)"),
        )
    }
    pub fn unsupported(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media", m)
    }
    pub fn unprocessable(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m)
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("quá nhiều yêu cầu, thử lại sau {retry_after} giây (too many requests)"),
        );
        e.retry_after = Some(retry_after);
        e
    }
    pub fn internal(m: impl std::fmt::Display) -> Self {
        tracing::error!("lỗi nội bộ (internal error): {m}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "lỗi nội bộ máy chủ; đã ghi nhật ký (internal error; logged)",
        )
    }
    pub fn field(mut self, f: impl Into<String>) -> Self {
        self.detail.field = Some(f.into());
        self
    }
    /// A 422 listing every problem of a validation.
    pub fn invalid(problems: Vec<Problem>) -> Self {
        let first = problems.first().cloned();
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            first
                .as_ref()
                .map_or_else(|| "dữ liệu không hợp lệ (invalid)".to_string(), |p| p.message.clone()),
        );
        e.detail.field = first.map(|p| p.field);
        e.detail.problems = problems;
        e
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry = self.retry_after;
        let mut r = (self.status, Json(ErrorBody { error: self.detail })).into_response();
        if let Some(s) = retry
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        AppError::internal(e)
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                AppError::unsupported("cần Content-Type: application/json (expected a JSON body)")
            }
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "nội dung yêu cầu quá lớn (request body too large)",
            ),
            other => AppError::bad_request(format!("JSON không hợp lệ: {} (invalid JSON)", other.body_text())),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::bad_request(format!("đường dẫn không hợp lệ: {} (invalid path)", r.body_text()))
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::bad_request(format!(
            "tham số truy vấn không hợp lệ: {} (invalid query)",
            r.body_text()
        ))
    }
}

/// `axum::Json` whose rejections are [`AppError`]s (JSON, 4xx, with reason).
///
/// A whole number written with a fraction (`60.0`) is taken where an
/// integer is expected: JSON Schema, and so the OpenAPI document, calls it
/// an integer, and the number is the same.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for AppJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(mut v) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        whole_floats_as_integers(&mut v);
        serde_path_to_error::deserialize(v).map(AppJson).map_err(|e| {
            AppError::bad_request(format!(
                "JSON không hợp lệ: Failed to deserialize the JSON body into the target type: {e} (invalid JSON)"
            ))
        })
    }
}

fn whole_floats_as_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                // Within ±2^63 (u64 above): exactly representable.
                if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
                    *v = Value::from(f as i64);
                } else if (0.0..1.844_674_407_370_955_2e19).contains(&f) {
                    *v = Value::from(f as u64);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(whole_floats_as_integers),
        Value::Object(o) => o.values_mut().for_each(whole_floats_as_integers),
        _ => {}
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// `axum::extract::Path` with [`AppError`] rejections.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct AppPath<T>(pub T);

/// `axum::extract::Query` with [`AppError`] rejections.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct AppQuery<T>(pub T);
