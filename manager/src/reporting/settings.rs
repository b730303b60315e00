//! Sources' push settings.

use super::*;

/// A source's push setting refused: which field and why (HTTP 422).
#[derive(Debug, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BadSetting {
    pub field: &'static str,
    pub reason: String,
}

/// Check a source's `report_url`: http or https, a host, no credentials,
/// at most 2000 characters.
pub fn check_report_url(s: &str) -> Result<String, BadSetting> {
    let bad = |m: &str| {
        Err(BadSetting {
            field: "report_url",
            reason: m.to_string(),
        })
    };
    if s.chars().count() > 2000 {
        return bad("URL dài quá 2000 ký tự (URL longer than 2000 characters)");
    }
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return bad(
            "URL không được chứa khoảng trắng hay ký tự điều khiển (URL must not contain spaces or control characters)",
        );
    }
    let Ok(u) = reqwest::Url::parse(s) else {
        return bad("URL không hợp lệ (invalid URL)");
    };
    if !matches!(u.scheme(), "http" | "https") {
        return bad("chỉ nhận URL http hoặc https (only http or https URLs)");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return bad("URL không được chứa tên người dùng hay mật khẩu (URL must not contain credentials)");
    }
    if u.host_str().is_none_or(str::is_empty) {
        return bad("URL thiếu máy chủ (URL has no host)");
    }
    // The grammar the OpenAPI document states (`crate::patterns::URL`).
    if !crate::patterns::url(s) {
        return bad(
            "URL không hợp lệ: cần dạng http(s)://máy[:cổng][/đường-dẫn], máy là địa chỉ IPv4 hoặc tên miền \
             (invalid URL: expected http(s)://host[:port][/path] with an IPv4 address or a name)",
        );
    }
    Ok(s.to_string())
}

/// Check a source's `report_every_s`: 1–3600.
pub fn check_report_every(v: u32) -> Result<u32, BadSetting> {
    if (1..=MAX_REPORT_EVERY_S).contains(&v) {
        Ok(v)
    } else {
        Err(BadSetting {
            field: "report_every_s",
            reason: format!(
                "chu kỳ gửi báo cáo phải từ 1 đến {MAX_REPORT_EVERY_S} giây (report_every_s must be 1–{MAX_REPORT_EVERY_S})"
            ),
        })
    }
}
