//! Byte ranges (RFC 9110 §14): boards resume cut media downloads with
//! `Range: bytes=N-`.

use crate::error::{ApiResult, AppError};
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// No header, or one we do not serve (other units, several ranges,
    /// malformed): the whole file, as RFC 9110 allows.
    Whole,
    /// Bytes `first..=last`.
    Part(u64, u64),
    /// Starts past the end: 416.
    Unsatisfiable,
}

pub fn parse_range(h: &str, len: u64) -> Wanted {
    let Some(spec) = h
        .trim()
        .get(..6)
        .filter(|u| u.eq_ignore_ascii_case("bytes="))
        .and_then(|_| h.trim().get(6..))
    else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())).then(|| s.parse::<u64>().ok());
    match (num(a), num(b)) {
        // bytes=N-, and bytes=N-M with M past any file
        (Some(Some(first)), None) if b.is_empty() => {
            if first >= len {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(first, len - 1)
            }
        }
        (Some(Some(first)), Some(None)) => {
            if first >= len {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(first, len - 1)
            }
        }
        (Some(Some(first)), Some(Some(last))) if first <= last => {
            if first >= len {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(first, last.min(len - 1))
            }
        }
        // bytes=-N: the last N bytes
        (None, Some(Some(n))) if a.is_empty() => {
            if n == 0 || len == 0 {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(len - n.min(len), len - 1)
            }
        }
        // Numbers too large for u64 start past any file.
        (Some(None), _) => Wanted::Unsatisfiable,
        _ => Wanted::Whole,
    }
}

/// Send the file at `path`, or the part `range` asks for.
pub(crate) async fn send_file_range(
    path: std::path::PathBuf,
    mime: &str,
    range: Option<&HeaderValue>,
) -> ApiResult<Response> {
    let mut f = tokio::fs::File::open(&path)
        .await
        .map_err(|_| AppError::not_found("nội dung tệp"))?;
    let len = f.metadata().await.map_err(AppError::internal)?.len();
    let wanted = range
        .and_then(|v| v.to_str().ok())
        .map_or(Wanted::Whole, |h| parse_range(h, len));
    let (status, first, count) = match wanted {
        Wanted::Whole => (StatusCode::OK, 0, len),
        Wanted::Part(first, last) => (StatusCode::PARTIAL_CONTENT, first, last - first + 1),
        Wanted::Unsatisfiable => {
            let mut r = AppError {
                status: StatusCode::RANGE_NOT_SATISFIABLE,
                ..AppError::bad_request(format!(
                    "đoạn yêu cầu nằm ngoài tệp dài {len} byte (range not satisfiable)"
                ))
            }
            .field("Range")
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    if first > 0 {
        f.seek(std::io::SeekFrom::Start(first))
            .await
            .map_err(AppError::internal)?;
    }
    let stream = tokio_util::io::ReaderStream::new(f.take(count));
    let mut r = (status, Body::from_stream(stream)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).map_err(AppError::internal)?,
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        let v = format!("bytes {first}-{}/{len}", first + count - 1);
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&v).map_err(AppError::internal)?,
        );
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        assert_eq!(parse_range("bytes=10-", 100), Wanted::Part(10, 99));
        assert_eq!(parse_range("bytes=0-0", 100), Wanted::Part(0, 0));
        assert_eq!(parse_range("bytes=90-200", 100), Wanted::Part(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), Wanted::Part(90, 99));
        assert_eq!(parse_range("bytes=-1000", 100), Wanted::Part(0, 99));
        assert_eq!(parse_range("Bytes= 5-9 ", 100), Wanted::Part(5, 9));
        assert_eq!(parse_range("bytes=100-", 100), Wanted::Unsatisfiable);
        assert_eq!(
            parse_range("bytes=99999999999999999999999-", 100),
            Wanted::Unsatisfiable
        );
        assert_eq!(parse_range("bytes=-0", 100), Wanted::Unsatisfiable);
        assert_eq!(parse_range("bytes=3-99999999999999999999999", 100), Wanted::Part(3, 99));
        assert_eq!(parse_range("bytes=0-", 0), Wanted::Unsatisfiable);
        assert_eq!(parse_range("bytes=5-3", 100), Wanted::Whole);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Wanted::Whole);
        assert_eq!(parse_range("items=0-1", 100), Wanted::Whole);
        assert_eq!(parse_range("bytes=a-b", 100), Wanted::Whole);
        assert_eq!(parse_range("bytes=", 100), Wanted::Whole);
        assert_eq!(parse_range("", 100), Wanted::Whole);
        assert_eq!(parse_range("bytesé", 100), Wanted::Whole);
    }
}
