//! The media library page of the web UI over real HTTP on 127.0.0.1: the
//! no-script multi-file form goes through the API's own upload (a result per
//! file, refusals in the manager's words), thumbnails, search, where a file
//! is used, delete refused while a board plays it, and the API's scoping —
//! another commune gets 404, a viewer sees no controls and cannot change
//! anything by a forged form.

use bangtin_tests::harness::manager::*;
use bangtin_tests::harness::web::{Page, WebClient};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// An officer signed in through the UI's own form (an account an
/// administrator made changes its password first), the library open to them.
async fn sign_in(s: &Server, user: &str) -> WebClient {
    let ui = WebClient::sign_in_ready(s, user, PASSWORD, &format!("{PASSWORD}-mới")).await;
    assert_eq!(ui.get("/media").await.status, StatusCode::OK);
    ui
}

/// The no-script upload form: `_csrf`, `unit`, then every file as `files`.
async fn upload(ui: &WebClient, unit: &str, files: &[(&str, &[u8])]) -> Page {
    let files: Vec<(&str, &str, &[u8])> = files.iter().map(|(name, b)| ("files", *name, *b)).collect();
    ui.upload("/media/upload", &[("unit", unit)], &files).await
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
    let ui_a = sign_in(&s, "a.editor").await;

    // An empty library with its upload form.
    let p = ui_a.get("/media").await;
    assert_eq!(p.status, StatusCode::OK);
    let html = p.body;
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
    let p = upload(
        &ui_a,
        COMMUNE_A,
        &[
            ("Ảnh chợ.png", &pic),
            ("video bão.mp4", &vid),
            ("thư.png", b"Kinh gui ba con, day la van ban, khong phai anh."),
            ("to-qua.png", &big),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "some files were stored");
    let r = results(&p.body);
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
    let html = ui_a.get("/media").await.body;
    assert_eq!(count(&html, "data-test=\"media-item\""), 2);
    for h in [&pic_sha, &vid_sha] {
        let thumb = format!("/api/v1/units/{COMMUNE_A}/media/{h}/thumbnail");
        assert!(html.contains(&format!("src=\"{thumb}\"")), "thumbnail of {h}");
        let p = ui_a.get(&thumb).await;
        assert_eq!((p.status, p.content_type.as_str()), (StatusCode::OK, "image/jpeg"));
        assert!(image::load_from_memory(&p.bytes).is_ok());
    }

    // Search: by name without Vietnamese marks or case; by type; the list alone for htmx.
    let html = ui_a.get(&format!("/media?unit={COMMUNE_A}&q=ANH+CHO")).await.body;
    assert_eq!(count(&html, "data-test=\"media-item\""), 1);
    assert!(html.contains("Ảnh chợ.png") && !html.contains("video bão.mp4"));
    let html = ui_a.get(&format!("/media?unit={COMMUNE_A}&kind=video")).await.body;
    assert_eq!(count(&html, "data-test=\"media-item\""), 1);
    assert!(html.contains("video bão.mp4"));
    let p = ui_a.get(&format!("/media/list?unit={COMMUNE_A}&q=bao")).await;
    assert_eq!(p.status, StatusCode::OK);
    let frag = p.body;
    assert!(frag.starts_with("<div id=\"media-list\""), "a fragment, not a page");
    assert!(frag.contains("video bão.mp4") && !frag.contains("Ảnh chợ.png"));
    let html = ui_a
        .get(&format!("/media?unit={COMMUNE_A}&q=kh%C3%B4ng-c%C3%B3"))
        .await
        .body;
    assert!(html.contains("id=\"media-no-match\""));

    // Previews: the picture as <img>, the video as <video controls>.
    let p = ui_a.get(&format!("/media/{COMMUNE_A}/{pic_sha}")).await;
    assert_eq!(p.status, StatusCode::OK);
    let html = p.body;
    assert!(html.contains(&format!(
        "<img class=\"shot\" src=\"/api/v1/units/{COMMUNE_A}/media/{pic_sha}/content\""
    )));
    let html = ui_a.get(&format!("/media/{COMMUNE_A}/{vid_sha}")).await.body;
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
    let html = ui_a.get("/media").await.body;
    assert_eq!(count(&html, "Dùng trong 1 bố cục"), 2, "usage in the list");
    assert_eq!(count(&html, "Đang phát trên 1 bảng"), 2);
    let html = ui_a.get(&format!("/media/{COMMUNE_A}/{vid_sha}")).await.body;
    assert!(html.contains(&format!(
        "<a href=\"/layouts/{}\">Bảng chợ</a>",
        lay["id"].as_str().unwrap()
    )));
    assert!(html.contains(&format!("<a href=\"/boards/{bid}\">Bảng LED chợ</a>")));

    // Deleting a file a board plays is refused with the manager's reason.
    let del = format!("/media/{COMMUNE_A}/{vid_sha}/delete");
    let p = ui_a.post(&del, &[]).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    let html = p.body;
    assert!(html.contains("id=\"media-delete-error\""));
    assert!(html.contains(&format!(
        "tệp đang được dùng trong chương trình đã phát hành của bảng {bid}"
    )));
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 2);

    // An unused file is deleted, and the list says so.
    let spare = png(40, 30, 9);
    let p = upload(&ui_a, COMMUNE_A, &[("thừa.png", &spare)]).await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", results(&p.body));
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 3);
    let p = ui_a
        .post(&format!("/media/{COMMUNE_A}/{}/delete", sha(&spare)), &[])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let loc = p.location;
    assert!(loc.starts_with(&format!("/media?unit={COMMUNE_A}&deleted=")), "{loc}");
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 2);
    let html = ui_a.get(&loc).await.body;
    assert!(html.contains("Đã xóa tệp “thừa.png”"));
    // Without the CSRF token nothing is stored nor deleted.
    let p = ui_a
        .upload_raw("/media/upload", &[("unit", COMMUNE_A)], &[("files", "x.png", &spare)])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = ui_a
        .post_raw(&format!("/media/{COMMUNE_A}/{pic_sha}/delete"), &[])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 2);

    // Another commune's editor: 404 for A's library, files, deletes and uploads.
    let ui_b = sign_in(&s, "b.editor").await;
    let p = ui_b.get("/media").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("Ảnh chợ.png"), "B's own (empty) library");
    for path in [
        format!("/media?unit={COMMUNE_A}"),
        format!("/media/list?unit={COMMUNE_A}"),
        format!("/media/{COMMUNE_A}/{pic_sha}"),
    ] {
        let p = ui_b.get(&path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!p.body.contains("Ảnh chợ.png"));
    }
    let p = ui_b.post(&format!("/media/{COMMUNE_A}/{pic_sha}/delete"), &[]).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let p = upload(&ui_b, COMMUNE_A, &[("b.png", &spare)]).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "{}", p.body);
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 2);

    // A viewer sees the library but no upload or delete control, and a
    // forged form changes nothing.
    let ui_v = sign_in(&s, "a.viewer").await;
    let p = ui_v.get("/media").await;
    assert_eq!(p.status, StatusCode::OK);
    let html = p.body;
    assert_eq!(count(&html, "data-test=\"media-item\""), 2);
    assert!(!html.contains("id=\"media-files\"") && !html.contains("/media/upload"));
    assert!(html.contains("id=\"media-read-only\""));
    let html = ui_v.get(&format!("/media/{COMMUNE_A}/{pic_sha}")).await.body;
    assert!(html.contains("id=\"media-preview\"") && !html.contains("id=\"media-delete\""));
    let p = upload(&ui_v, COMMUNE_A, &[("v.png", &spare)]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let r = results(&p.body);
    assert!(
        r.len() == 1 && !r[0].0 && r[0].1.contains("chỉ được xem"),
        "the manager's reason: {r:?}"
    );
    let p = ui_v.post(&format!("/media/{COMMUNE_A}/{pic_sha}/delete"), &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(library(&api_a, COMMUNE_A).await.len(), 2);

    // The page's script and style are served from the binary.
    let html = ui_a.get("/media").await.body;
    let js = html
        .split("src=\"")
        .filter_map(|p| p.split('"').next())
        .find(|p| p.starts_with("/static/media."))
        .expect("media.js linked");
    let p = ui_a.get(js).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.content_type.starts_with("text/javascript"));
    assert!(p.body.contains("upload.onprogress"));
    s.stop().await;
}
