//! A browser without script for the manager's server-rendered web UI: it
//! signs in through the `/login` form, keeps the session cookie and the
//! page's CSRF token, posts forms as a browser does (the `_csrf` field) or
//! as htmx does (the CSRF header), and follows no redirect, so a test sees
//! each 303. With it, the few readers of HTML the tests need.

use super::manager::Server;
use reqwest::header::SET_COOKIE;
use reqwest::{RequestBuilder, StatusCode, redirect};

/// One answer: its status, the headers the tests read, and its body.
pub struct Page {
    pub status: StatusCode,
    /// `Location`; empty when there is none.
    pub location: String,
    pub content_type: String,
    pub cache_control: String,
    /// The body as text (lossy where it is not UTF-8).
    pub body: String,
    /// The body as sent.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} → {:?}", self.status, self.location)
    }
}

impl Page {
    async fn of(r: reqwest::Response) -> Page {
        let h = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let (status, location, content_type, cache_control) =
            (r.status(), h("location"), h("content-type"), h("cache-control"));
        let bytes = r.bytes().await.unwrap().to_vec();
        Page {
            status,
            location,
            content_type,
            cache_control,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }
}

/// An officer's browser: the session cookie and its CSRF token.
#[derive(Clone)]
pub struct WebClient {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

/// The session stays out of test output.
impl std::fmt::Debug for WebClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebClient({})", self.base)
    }
}

impl WebClient {
    /// Nobody signed in (for the sign-in form itself).
    pub fn anonymous(s: &Server) -> WebClient {
        WebClient {
            http: reqwest::Client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .unwrap(),
            base: s.url.clone(),
            cookie: String::new(),
            csrf: String::new(),
        }
    }

    /// Sign in through the `/login` form, as a person does, and read the
    /// CSRF token off the password page (the one page an account that must
    /// change its password may open). Also the form's answer: a 303 to
    /// `/boards`.
    pub async fn sign_in(s: &Server, user: &str, password: &str) -> (WebClient, Page) {
        let mut c = WebClient::anonymous(s);
        let r = c
            .http
            .post(format!("{}/login", c.base))
            .form(&[("username", user), ("password", password), ("next", "/boards")])
            .send()
            .await
            .unwrap();
        let cookie = r
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("bangtin_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_string);
        let signed = Page::of(r).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{user} signs in: {}", signed.body);
        c.cookie = cookie.expect("a session cookie");
        let p = c.get("/password").await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        c.csrf = attr(&p.body, "data-csrf").expect("data-csrf on the page");
        (c, signed)
    }

    /// Signed in and past the password page: an account whose password an
    /// administrator set is sent there first, changes it to `new_password`
    /// through the form and signs in again with it.
    pub async fn sign_in_ready(s: &Server, user: &str, password: &str, new_password: &str) -> WebClient {
        let (mut c, _) = WebClient::sign_in(s, user, password).await;
        let p = c.get("/boards").await;
        if p.status == StatusCode::SEE_OTHER {
            assert_eq!(
                (p.location.as_str(), p.body.as_str()),
                ("/password", ""),
                "{user}: a redirect to the password page"
            );
            let p = c
                .post("/password", &[("password", new_password), ("repeat", new_password)])
                .await;
            assert_eq!(
                (p.status, p.location.as_str()),
                (StatusCode::SEE_OTHER, "/boards"),
                "{user} changes the password: {}",
                p.body
            );
            c = WebClient::sign_in(s, user, new_password).await.0;
        }
        let p = c.get("/boards").await;
        assert_eq!(p.status, StatusCode::OK, "{user} is in: {}", p.body);
        c
    }

    fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        if self.cookie.is_empty() {
            r
        } else {
            r.header("cookie", &self.cookie)
        }
    }

    async fn send(r: RequestBuilder) -> Page {
        Page::of(r.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::send(self.request(reqwest::Method::GET, path)).await
    }

    /// Post a form as a browser without script does: the `_csrf` field (in
    /// place of any `fields` carry), then `fields` (a key may repeat).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = vec![("_csrf", self.csrf.as_str())];
        all.extend(fields.iter().filter(|(k, _)| *k != "_csrf"));
        self.post_raw(path, &all).await
    }

    /// Post exactly `fields`: no CSRF token unless they carry one.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::send(self.request(reqwest::Method::POST, path).form(fields)).await
    }

    /// Post a form as htmx does: the CSRF token in its header, not a field.
    pub async fn htmx(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self
            .request(reqwest::Method::POST, path)
            .header("hx-request", "true")
            .header("x-csrf-token", &self.csrf)
            .form(fields);
        Self::send(r).await
    }

    /// A multipart form as a browser without script posts it: `_csrf`,
    /// then `fields`, then `files` as (field, file name, content).
    pub async fn upload(&self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Page {
        let mut all = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.upload_raw(path, &all, files).await
    }

    /// A multipart form of exactly `fields` and `files`.
    pub async fn upload_raw(&self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Page {
        let boundary = "----bangtin-test-7f3a";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (name, file, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let r = self
            .request(reqwest::Method::POST, path)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body);
        Self::send(r).await
    }
}

/// HTML's character references decoded: the five named ones and numeric
/// ones (`&#233;`, `&#xE9;`); anything else is left as it is.
pub fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let c = match &rest[1..end] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => {
                u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32)
            }
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of the first attribute `name` in `html` (a tag or a whole
/// page), decoded; only a whole name counts (`value` is not `data-value`).
pub fn attr(html: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let mut from = 0;
    loop {
        let at = from + html[from..].find(&key)?;
        from = at + key.len();
        if html[..at].ends_with(|c: char| c.is_ascii_whitespace()) {
            let end = html[from..].find('"')?;
            return Some(unescape(&html[from..from + end]));
        }
    }
}

/// The value of attribute `name` in the first tag holding `marker`.
pub fn attr_after(html: &str, marker: &str, name: &str) -> Option<String> {
    let at = html.find(marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    attr(&html[tag_start..tag_end], name)
}

/// The part of `html` from `start` up to the next `end` (or to the end).
pub fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let a = html.find(start).unwrap_or_else(|| panic!("{start} in the page"));
    let rest = &html[a..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// The fields a browser would post from the form with id `form_id`: inputs
/// (radio buttons when checked), selects (the selected option, else the
/// first) and textareas; not buttons.
pub fn form_fields(page: &str, form_id: &str) -> Vec<(String, String)> {
    let start = page
        .find(&format!("id=\"{form_id}\""))
        .expect("the form is on the page");
    let end = start + page[start..].find("</form>").unwrap();
    let f = &page[start..end];
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = f[at..].find('<') {
        let i = at + i;
        let tag_end = i + f[i..].find('>').unwrap();
        let tag = &f[i..=tag_end];
        at = tag_end + 1;
        let Some(name) = attr(tag, "name") else { continue };
        if tag.starts_with("<input") {
            if attr(tag, "type").as_deref() == Some("radio") && !tag.contains(" checked") {
                continue;
            }
            out.push((name, attr(tag, "value").unwrap_or_default()));
        } else if tag.starts_with("<textarea") {
            let close = at + f[at..].find("</textarea>").unwrap();
            out.push((name, unescape(&f[at..close])));
        } else if tag.starts_with("<select") {
            let close = at + f[at..].find("</select>").unwrap();
            let opts = &f[at..close];
            let chosen = opts
                .split("<option")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .or_else(|| opts.split("<option").nth(1))
                .and_then(|o| attr(o, "value"))
                .unwrap_or_default();
            out.push((name, chosen));
        }
    }
    out
}

/// The message shown at input `id` (its `…-err` paragraph), decoded.
pub fn error_at(page: &str, id: &str) -> Option<String> {
    let pat = format!("id=\"{id}-err\">");
    let i = page.find(&pat)? + pat.len();
    let end = page[i..].find("</p>")?;
    Some(unescape(&page[i..i + end]))
}
