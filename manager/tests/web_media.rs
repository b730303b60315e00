//! The media library page of the web UI over real HTTP on 127.0.0.1: the
//! no-script multi-file form goes through the API's own upload (a result per
//! file, refusals in the manager's words), thumbnails, search, where a file
//! is used, delete refused while a board plays it, and the API's scoping —
//! another commune gets 404, a viewer sees no controls and cannot change
//! anything by a forged form.

use bangtin_tests::harness::manager::*;
use reqwest::{StatusCode, redirect};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A browser without script: the session cookie, the page's CSRF token.
struct Ui {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Ui {
    /// Signs in through the UI's own form, as a browser would.
    async fn login(s: &Server, user: &str) -> Ui {
        let http = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap();
        let r = http
            .post(format!("{}/login", s.url))
            .form(&[("username", user), ("password", PASSWORD), ("next", "/media")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {user}");
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("bangtin_session="))
            .expect("session cookie")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let mut ui = Ui {
            http,
            base: s.url.clone(),
            cookie,
            csrf: String::new(),
        };
        let (st, _) = ui.get("/media").await;
        if st == StatusCode::SEE_OTHER {
            // An account an administrator made: its own password first.
            let (_, html) = ui.get("/password").await;
            ui.csrf = attr(&html, "data-csrf").expect("the page carries the CSRF token");
            let new = format!("{PASSWORD}-mới");
            let (st, _, loc) = ui
                .post(
                    "/password",
                    &[("_csrf", &ui.csrf), ("password", &new), ("repeat", &new)],
                )
                .await;
            assert_eq!((st, loc.as_deref()), (StatusCode::SEE_OTHER, Some("/boards")));
        }
        let (st, html) = ui.get("/media").await;
        assert_eq!(st, StatusCode::OK);
        ui.csrf = attr(&html, "data-csrf").expect("the page carries the CSRF token");
        ui
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn get_bytes(&self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let ctype = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (r.status(), ctype, r.bytes().await.unwrap().to_vec())
    }

    /// A plain form post (no CSRF header: the `_csrf` field, as without script).
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, Option<String>) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (r.status(), r.text().await.unwrap(), loc)
    }

    /// The no-script upload form: `_csrf` (when given), `unit`, then every
    /// file as `files`, in one multipart body.
    async fn upload(&self, csrf: Option<&str>, unit: &str, files: &[(&str, &[u8])]) -> (StatusCode, String) {
        let boundary = "----bangtin-test-7f3a";
        let mut body = Vec::new();
        let text = |name: &str, value: &str, body: &mut Vec<u8>| {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        };
        if let Some(c) = csrf {
            text("_csrf", c, &mut body);
        }
        text("unit", unit, &mut body);
        for (name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let r = self
            .http
            .post(format!("{}/media/upload", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }
}

/// The value of the first `name="…"` attribute in `html`.
fn attr(html: &str, name: &str) -> Option<String> {
    let i = html.find(&format!("{name}=\""))? + name.len() + 2;
    let j = html[i..].find('"')?;
    Some(html[i..i + j].to_string())
}

/// The per-file results of an upload page: (ok, text) in order.
fn results(html: &str) -> Vec<(bool, String)> {
    html.split("data-test=\"upload-status\"")
        .skip(1)
        .map(|part| {
            let ok = part.trim_start().starts_with("data-ok=\"true\"");
            let start = part.find('>').unwrap() + 1;
            let end = part.find("</span>").unwrap();
            (ok, part[start..end].trim().to_string())
        })
        .collect()
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

async fn library(c: &Client, unit: &str) -> Vec<Value> {
    let (st, v) = c.get(&format!("/api/v1/units/{unit}/media")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_library_page_uploads_lists_searches_and_deletes_with_the_apis_rules() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    // A small limit, so one real picture is over it.
    let s = Server::start(dir.path(), |c| c.max_upload_bytes = 1_000_000).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let api_a = user(&s, &admin, "a.editor", "editor", COMMUNE_A).await;
    user(&s, &admin, "b.editor", "editor", COMMUNE_B).await;
    user(&s, &admin, "a.viewer", "viewer", COMMUNE_A).await;
    let ui_a = Ui::login(&s, "a.editor").await;

    // An empty library with its upload form.
    let (st, html) = ui_a.get("/media").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("id=\"media-files\""), "the editor gets the file input");
    assert!(html.contains("id=\"media-empty\""));
    assert!(
        html.contains("href=\"/media\" aria-current=\"page\""),
        "navigation marks the page"
    );

    // Four files in one form: a picture and a video are stored; a text file
    // named .png and a picture over the limit are refused in the manager's words.
    let pic = png(96, 54, 3);
    let vid = mp4(dir.path(), 1);
    let big = png(800, 600, 5);
    assert!(big.len() > 1_000_000);
    let (st, html) = ui_a
        .upload(
            Some(&ui_a.csrf),
            COMMUNE_A,
            &[
                ("Ảnh chợ.png", &pic),
                ("video bão.mp4", &vid),
                ("thư.png", b"Kinh gui ba con, day la van ban, khong phai anh."),
                ("to-qua.png", &big),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "some files were stored");
    let r = results(&html);
    assert_eq!(r.len(), 4, "{r:?}");
    assert!(r[0].0 && r[1].0, "{r:?}");
    assert!(!r[2].0 && r[2].1.contains("không nhận ra loại tệp"), "{r:?}");
    assert!(!r[3].0 && r[3].1.contains("tệp quá lớn: tối đa 1000000 byte"), "{r:?}");
    let lib = library(&api_a, COMMUNE_A).await;
    let mut names: Vec<&str> = lib.iter().filter_map(|m| m["name"].as_str()).collect();
    names.sort();
    assert_eq!(names, ["video bão.mp4", "Ảnh chợ.png"]);
    let (pic_sha, vid_sha) = (sha(&pic), sha(&vid));

    // Both listed, each with its thumbnail, which the browser can fetch.
    let (_, html) = ui_a.get("/media").await;
    assert_eq!(count(&html, "data-test=\"media-item\""), 2);
    for h in [&pic_sha, &vid_sha] {
        let thumb = format!("/api/v1/units/{COMMUNE_A}/media/{h}/thumbnail");
        assert!(html.contains(&format!("src=\"{thumb}\"")), "thumbnail of {h}");
        let (st, ctype, bytes) = ui_a.get_bytes(&thumb).await;
        assert_eq!((st, ctype.as_str()), (StatusCode::OK, "image/jpeg"));
        assert!(image::load_from_memory(&bytes).is_ok());
    }

    // Search: by name without Vietnamese marks or case; by type; the list alone for htmx.
    let (_, html) = ui_a.get(&format!("/media?unit={COMMUNE_A}&q=ANH+CHO")).await;
    assert_eq!(count(&html, "data-test=\"media-item\""), 1);
    assert!(html.contains("Ảnh chợ.png") && !html.contains("video bão.mp4"));
    let (_, html) = ui_a.get(&format!("/media?unit={COMMUNE_A}&kind=video")).await;
    assert_eq!(count(&html, "data-test=\"media-item\""), 1);
    assert!(html.contains("video bão.mp4"));
    let (st, frag) = ui_a.get(&format!("/media/list?unit={COMMUNE_A}&q=bao")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(frag.starts_with("<div id=\"media-list\""), "a fragment, not a page");
    assert!(frag.contains("video bão.mp4") && !frag.contains("Ảnh chợ.png"));
    let (_, html) = ui_a.get(&format!("/media?unit={COMMUNE_A}&q=kh%C3%B4ng-c%C3%B3")).await;
    assert!(html.contains("id=\"media-no-match\""));

    // Previews: the picture as <img>, the video as <video controls>.
    let (st, html) = ui_a.get(&format!("/media/{COMMUNE_A}/{pic_sha}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(&format!(
        "<img class=\"shot\" src=\"/api/v1/units/{COMMUNE_A}/media/{pic_sha}/content\""
    )));
    let (_, html) = ui_a.get(&format!("/media/{COMMUNE_A}/{vid_sha}")).await;
    assert!(html.contains(&format!(
        "<video class=\"shot\" src=\"/api/v1/units/{COMMUNE_A}/media/{vid_sha}/content\" controls"
    )));
    assert!(html.contains("Chưa được dùng"), "not used yet");

    // Used: a layout shows both, a board plays it.
    let (st, lay) = api_a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/layouts"),
            json!({"name": "Bảng chợ", "toml": layout_toml(&pic_sha, &vid_sha)}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{lay}");
    let (bid, _, _) = pair(&s, &api_a, COMMUNE_A, "Bảng LED chợ").await;
    let (st, v) = api_a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/schedules"),
            json!({"name": "Cả ngày", "target": {"board": bid}, "schedule": {"default_layout": lay["id"]}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = api_a.post(&format!("/api/v1/boards/{bid}/publish"), json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, html) = ui_a.get("/media").await;
    assert_eq!(count(&html, "Dùng trong 1 bố cục"), 2, "usage in the list");
    assert_eq!(count(&html, "Đang phát trên 1 bảng"), 2);
    let (_, html) = ui_a.get(&format!("/media/{COMMUNE_A}/{vid_sha}")).await;
    assert!(html.contains(&format!(
        "<a href=\"/layouts/{}\">Bảng chợ</a>",
        lay["id"].as_str().unwrap()
    )));
    assert!(html.contains(&format!("<a href=\"/boards/{bid}\">Bảng LED chợ</a>")));

    // Deleting a file a board plays is refused with the manager's reason.
    let del = format!("/media/{COMMUNE_A}/{vid_sha}/delete");
    let (st, html, _) = ui_a.post(&del, &[("_csrf", &ui_a.csrf)]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(html.contains("id=\"media-delete-error\""));
    assert!(html.contains(&format!(
        "tệp đang được dùng trong chương trình đã phát hành của bảng {bid}"
    )));
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 2);

    // An unused file is deleted, and the list says so.
    let spare = png(40, 30, 9);
    let (st, html) = ui_a.upload(Some(&ui_a.csrf), COMMUNE_A, &[("thừa.png", &spare)]).await;
    assert_eq!(st, StatusCode::OK, "{:?}", results(&html));
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 3);
    let (st, _, loc) = ui_a
        .post(
            &format!("/media/{COMMUNE_A}/{}/delete", sha(&spare)),
            &[("_csrf", &ui_a.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let loc = loc.unwrap();
    assert!(loc.starts_with(&format!("/media?unit={COMMUNE_A}&deleted=")), "{loc}");
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 2);
    let (_, html) = ui_a.get(&loc).await;
    assert!(html.contains("Đã xóa tệp “thừa.png”"));
    // Without the CSRF token nothing is stored nor deleted.
    let (st, _) = ui_a.upload(None, COMMUNE_A, &[("x.png", &spare)]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = ui_a.post(&format!("/media/{COMMUNE_A}/{pic_sha}/delete"), &[]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 2);

    // Another commune's editor: 404 for A's library, files, deletes and uploads.
    let ui_b = Ui::login(&s, "b.editor").await;
    let (st, html) = ui_b.get("/media").await;
    assert_eq!(st, StatusCode::OK);
    assert!(!html.contains("Ảnh chợ.png"), "B's own (empty) library");
    for path in [
        format!("/media?unit={COMMUNE_A}"),
        format!("/media/list?unit={COMMUNE_A}"),
        format!("/media/{COMMUNE_A}/{pic_sha}"),
    ] {
        let (st, html) = ui_b.get(&path).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("Ảnh chợ.png"));
    }
    let (st, _, _) = ui_b
        .post(
            &format!("/media/{COMMUNE_A}/{pic_sha}/delete"),
            &[("_csrf", &ui_b.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, html) = ui_b.upload(Some(&ui_b.csrf), COMMUNE_A, &[("b.png", &spare)]).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{html}");
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 2);

    // A viewer sees the library but no upload or delete control, and a
    // forged form changes nothing.
    let ui_v = Ui::login(&s, "a.viewer").await;
    let (st, html) = ui_v.get("/media").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(count(&html, "data-test=\"media-item\""), 2);
    assert!(!html.contains("id=\"media-files\"") && !html.contains("/media/upload"));
    assert!(html.contains("id=\"media-read-only\""));
    let (_, html) = ui_v.get(&format!("/media/{COMMUNE_A}/{pic_sha}")).await;
    assert!(html.contains("id=\"media-preview\"") && !html.contains("id=\"media-delete\""));
    let (st, html) = ui_v.upload(Some(&ui_v.csrf), COMMUNE_A, &[("v.png", &spare)]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let r = results(&html);
    assert!(
        r.len() == 1 && !r[0].0 && r[0].1.contains("chỉ được xem"),
        "the manager's reason: {r:?}"
    );
    let (st, _, _) = ui_v
        .post(
            &format!("/media/{COMMUNE_A}/{pic_sha}/delete"),
            &[("_csrf", &ui_v.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 2);

    // The page's script and style are served from the binary.
    let (_, html) = ui_a.get("/media").await;
    let js = html
        .split("src=\"")
        .filter_map(|p| p.split('"').next())
        .find(|p| p.starts_with("/static/media."))
        .expect("media.js linked");
    let (st, ctype, body) = ui_a.get_bytes(js).await;
    assert_eq!(st, StatusCode::OK);
    assert!(ctype.starts_with("text/javascript"));
    assert!(String::from_utf8(body).unwrap().contains("upload.onprogress"));
    s.stop().await;
}
