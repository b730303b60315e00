//! The officers' web UI in a real browser: Debian's Chromium, headless,
//! driven through ChromeDriver, against a real manager on 127.0.0.1 and a
//! real headless board (`bangtin-player run --manager`, lavapipe).
//!
//! Each page visited is checked with axe-core (no serious or critical
//! problem) at desktop (1366×768) and phone (360×740) sizes, and the main
//! pages are saved to `images/` for the README.

use bangtin_tests::harness::boards::*;
use bangtin_tests::harness::browser::Browser;
use bangtin_tests::harness::manager::*;
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The board program cargo built for these tests.
const PLAYER: &str = env!("CARGO_BIN_EXE_bangtin-player");

fn images() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../images")
}

/// The board's card on the dashboard shows a thumbnail.
async fn card_thumb(b: &Browser, board: &str) -> Option<String> {
    b.c.find(Locator::Css(&format!("#live-{board} img[data-test=thumb]")))
        .await
        .ok()?
        .attr("src")
        .await
        .ok()
        .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_manage_boards_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("manager");
    seed(&data);
    let s = Server::start(&data, |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    // An editor of commune A (password set by the administrator: changed
    // at the first sign-in), a viewer of A, an editor of commune B.
    let _ed_a = user(&s, &admin, "bientap.a", "editor", COMMUNE_A).await;
    let _viewer = user(&s, &admin, "xem.a", "viewer", COMMUNE_A).await;
    let _ed_b = user(&s, &admin, "bientap.b", "editor", COMMUNE_B).await;
    let board_dir = dir.path().join("board");
    let p = spawn_player(PLAYER, &s.url, &board_dir, 2);
    let line = p.wait_line("pairing code):", Duration::from_secs(30)).await;
    let code = line.rsplit(' ').next().unwrap().to_string();

    let b = Browser::start(1366, 768).await;

    // Sign in: the sign-in page itself first.
    b.goto(&format!("{}/boards", s.url)).await;
    b.wait_for("#username", Duration::from_secs(5)).await;
    assert!(
        b.c.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("/login?next=%2Fboards")
            || b.c
                .current_url()
                .await
                .unwrap()
                .as_str()
                .contains("/login?next=/boards")
    );
    let html = b.c.source().await.unwrap();
    assert!(html.contains("<html lang=\"vi\">"), "Vietnamese by default");
    b.assert_accessible("sign in").await;
    // A wrong password: the manager's reason, no session.
    b.fill("#username", "bientap.a").await;
    b.fill("#password", "sai-mat-khau-roi").await;
    b.click("form[action='/login'] button[type=submit]").await;
    let err = b
        .wait_for("#login-error", Duration::from_secs(5))
        .await
        .text()
        .await
        .unwrap();
    assert!(err.contains("sai tên đăng nhập hoặc mật khẩu"), "{err}");

    // First sign-in of an account an administrator made: a new password
    // before anything else.
    b.sign_in(&s.url, "bientap.a", PASSWORD).await;
    assert!(
        b.c.current_url().await.unwrap().path() == "/password",
        "first login goes to /password"
    );
    b.assert_accessible("password change").await;
    b.fill("#password", "mat-khau-moi-cua-xa-A").await;
    b.fill("#repeat", "mat-khau-moi-cua-xa-A").await;
    b.click("form[action='/password'] button[type=submit]").await;
    b.wait_for("#board-cards, .muted", Duration::from_secs(5)).await;
    assert_eq!(b.c.current_url().await.unwrap().path(), "/boards");

    // Claim the headless board by the code on its screen.
    b.click("#claim summary").await;
    b.fill("#claim-code", &code.to_lowercase()).await;
    b.fill("#claim-name", "Bảng LED chợ Định Hóa").await;
    b.click("#claim-submit").await;
    b.wait_for("#board-name", Duration::from_secs(10)).await;
    let board =
        b.c.current_url()
            .await
            .unwrap()
            .path()
            .trim_start_matches("/boards/")
            .to_string();
    assert!(board.starts_with("brd"), "{board}");
    assert!(b.text().await.contains("Bảng LED chợ Định Hóa"));

    // Two layouts (through the API until the editor page drives them
    // here), and a schedule made in the browser: the first by default, the
    // second in the evening daypart, plus an entry that clashes with it.
    let layout = new_layout(&admin, &turns_toml()).await;
    let (st, v) = admin
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/layouts"),
            json!({"name": "Buổi tối", "toml": turns_toml().replace("Lịch tiêm chủng", "Chiếu phim tối nay")}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let evening = v["id"].as_str().unwrap().to_string();
    b.goto(&format!("{}/schedules", s.url)).await;
    b.fill("#new-name", "Lịch chợ Định Hóa").await;
    b.click("#sched-create").await;
    b.wait_for("#sched-title", Duration::from_secs(10)).await;
    b.c.find(Locator::Css("#s-default"))
        .await
        .unwrap()
        .select_by_value(&layout)
        .await
        .unwrap();
    b.c.find(Locator::Css("#layout-0"))
        .await
        .unwrap()
        .select_by_value(&evening)
        .await
        .unwrap();
    b.c.find(Locator::Css("#daypart-0"))
        .await
        .unwrap()
        .select_by_value("evening")
        .await
        .unwrap();
    b.click("#sched-save").await;
    b.wait_url("saved=1", Duration::from_secs(10)).await;
    // A clash: another layout at 19:00–20:00 with the same priority.
    b.c.find(Locator::Css("#layout-1"))
        .await
        .unwrap()
        .select_by_value(&layout)
        .await
        .unwrap();
    b.set_value("#start-1", "19:00").await;
    b.set_value("#end-1", "20:00").await;
    b.click("#sched-save").await;
    b.wait_url("saved=1", Duration::from_secs(10)).await;
    let clash = b
        .wait_for("#sched-conflicts", Duration::from_secs(5))
        .await
        .text()
        .await
        .unwrap();
    assert!(clash.contains("Mục 1 & 2"), "{clash}");
    // Dates the wrong way round are refused at their entry by the same
    // check as the API's, and nothing is saved.
    b.set_value("#from-2", "2026-12-20").await;
    b.set_value("#to-2", "2026-12-10").await;
    b.c.find(Locator::Css("#layout-2"))
        .await
        .unwrap()
        .select_by_value(&layout)
        .await
        .unwrap();
    b.click("#sched-save").await;
    let err = b
        .wait_for("#entry-2 .field-error", Duration::from_secs(5))
        .await
        .text()
        .await
        .unwrap();
    assert!(err.contains("ngày kết thúc trước ngày bắt đầu"), "{err}");
    let sched_id =
        b.c.current_url()
            .await
            .unwrap()
            .path()
            .trim_start_matches("/schedules/")
            .to_string();
    let (st, v) = admin.get(&format!("/api/v1/schedules/{sched_id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["schedule"]["entries"].as_array().unwrap().len(), 2, "{v}");
    assert!(
        b.text().await.contains("Buổi tối"),
        "the week view names the evening layout"
    );
    b.assert_accessible("schedule week view with an error").await;
    // Publish: the result per board updates by itself until received.
    b.goto(&format!("{}/schedules/{sched_id}", s.url)).await;
    b.wait_for("#sched-conflicts", Duration::from_secs(5)).await;
    b.assert_accessible("schedule week view").await;
    b.screenshot(&images().join("web-schedule.png")).await;
    b.click("#sched-publish").await;
    b.wait_for(
        &format!("[data-test=delivery-{board}][data-state=received]"),
        Duration::from_secs(30),
    )
    .await;
    b.assert_accessible("publish results").await;

    // Publish again from the dashboard's bulk action and time the click →
    // the new thumbnail on the page.
    b.goto(&format!("{}/boards", s.url)).await;
    b.wait_for(&format!("#card-{board}"), Duration::from_secs(5)).await;
    let before = card_thumb(&b, &board).await;
    b.click(&format!("#sel-{board}")).await;
    b.c.find(Locator::Css("#bulk-action"))
        .await
        .unwrap()
        .select_by_value("publish")
        .await
        .unwrap();
    let t_publish = Instant::now();
    b.click("#bulk-submit").await;
    let done = b
        .wait_for("#bulk-results", Duration::from_secs(10))
        .await
        .text()
        .await
        .unwrap();
    assert!(done.contains("✓"), "{done}");
    let shown = on_screen(&admin, &board, 2, Duration::from_secs(30)).await;
    let since = shown.show_since.expect("show_since").timestamp_millis();
    b.goto(&format!("{}/boards", s.url)).await;
    b.click(&format!("#sel-{board}")).await;
    let thumb = until(
        "the new thumbnail on the dashboard",
        Duration::from_secs(60),
        || async {
            // A thumbnail taken after the show went on screen (its address
            // carries when it was taken).
            let t = card_thumb(&b, &board).await;
            let taken = t
                .as_deref()
                .and_then(|t| t.rsplit("t=").next())
                .and_then(|v| v.parse::<i64>().ok());
            if t != before && taken.is_some_and(|taken| taken >= since) {
                return t;
            }
            // No reload: the page's own poll (htmx, every 5 s) swaps the
            // card's live part in place.
            tokio::time::sleep(Duration::from_millis(200)).await;
            None
        },
    )
    .await;
    eprintln!(
        "publish click → new screenshot on the dashboard: {:?}",
        t_publish.elapsed()
    );
    assert!(
        b.c.find(Locator::Css(&format!("#sel-{board}")))
            .await
            .unwrap()
            .is_selected()
            .await
            .unwrap(),
        "the in-place refresh keeps a ticked box ticked"
    );
    // The thumbnail is a real picture of the board's screen.
    let png = admin.request(reqwest::Method::GET, &thumb).send().await.unwrap();
    assert_eq!(png.status(), StatusCode::OK);
    assert_eq!(png.headers()["content-type"], "image/png");
    let text = b.text().await;
    assert!(text.contains("Đang hoạt động"), "{text}");
    b.assert_accessible("boards dashboard").await;
    b.screenshot(&images().join("web-dashboard.png")).await;

    // The board page: "chụp ngay" shows progress until the picture is in.
    b.click(&format!("#card-{board} h2 a")).await;
    b.wait_for("#board-name", Duration::from_secs(5)).await;
    b.click("#shot-now").await;
    let arrived = b
        .wait_for("[data-test=shot-done]", Duration::from_secs(30))
        .await
        .text()
        .await
        .unwrap();
    assert!(arrived.contains("Ảnh mới đã về"), "{arrived}");
    let img = b.wait_for("#shot-new", Duration::from_secs(5)).await;
    let loaded = until("the full screenshot loaded", Duration::from_secs(10), || async {
        let v: serde_json::Value =
            b.c.execute(
                "return arguments[0].naturalWidth",
                vec![serde_json::to_value(&img).unwrap()],
            )
            .await
            .ok()?;
        v.as_u64().filter(|w| *w > 0)
    })
    .await;
    assert_eq!(loaded, 384, "the full screenshot is the board's 384×192 screen");
    b.assert_accessible("board page").await;
    b.screenshot(&images().join("web-board.png")).await;

    // Display plan as a form: a bad time is refused at the field; a good
    // plan is published to the board.
    b.set_value("#off-start-0", "22:00").await;
    b.set_value("#off-end-0", "05:00").await;
    b.set_value("#bright-from-0", "18:00").await;
    b.fill("#bright-pc-0", "40").await;
    b.click("#save-display").await;
    b.wait_url("saved=1", Duration::from_secs(10)).await;
    let (st, v) = admin.get(&format!("/api/v1/boards/{board}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["display"]["off"][0]["start"], "22:00", "{v}");
    assert_eq!(v["display"]["brightness"][0]["percent"], 40, "{v}");

    // English on request, and back.
    b.click("a[href^='/lang/en']").await;
    b.wait_for("#board-name", Duration::from_secs(5)).await;
    assert!(b.c.source().await.unwrap().contains("<html lang=\"en\">"));
    assert!(b.text().await.contains("Take screenshot now"));
    b.click("a[href^='/lang/vi']").await;
    b.wait_for("#board-name", Duration::from_secs(5)).await;
    b.close().await;

    // A phone: the dashboard fits 360 px and stays accessible.
    let phone = Browser::start(360, 740).await;
    phone.sign_in(&s.url, "bientap.a", "mat-khau-moi-cua-xa-A").await;
    phone.wait_for(&format!("#card-{board}"), Duration::from_secs(5)).await;
    assert!(phone.overflow_x().await <= 0, "no sideways scrolling at 360 px");
    phone.assert_accessible("dashboard on a phone").await;
    phone.screenshot(&images().join("web-dashboard-phone.png")).await;
    phone.goto(&format!("{}/boards/{board}", s.url)).await;
    phone.wait_for("#board-name", Duration::from_secs(5)).await;
    assert!(phone.overflow_x().await <= 0, "the board page fits 360 px");
    phone.assert_accessible("board page on a phone").await;
    phone.close().await;

    // Another commune's editor sees none of it.
    let other = Browser::start(1366, 768).await;
    other.sign_in(&s.url, "bientap.b", PASSWORD).await;
    other.fill("#password", "mat-khau-moi-cua-xa-B").await;
    other.fill("#repeat", "mat-khau-moi-cua-xa-B").await;
    other.click("form[action='/password'] button[type=submit]").await;
    other.wait_for("main h1", Duration::from_secs(5)).await;
    assert!(!other.text().await.contains("Bảng LED chợ Định Hóa"));
    other.goto(&format!("{}/boards/{board}", s.url)).await;
    let t = other.text().await;
    assert!(t.contains("Không tìm thấy trang"), "{t}");
    other.close().await;

    // A viewer sees the board but no control; a forged change is refused.
    let viewer = Browser::start(1366, 768).await;
    viewer.sign_in(&s.url, "xem.a", PASSWORD).await;
    viewer.fill("#password", "mat-khau-nguoi-xem-A").await;
    viewer.fill("#repeat", "mat-khau-nguoi-xem-A").await;
    viewer.click("form[action='/password'] button[type=submit]").await;
    viewer.wait_for("main h1", Duration::from_secs(5)).await;
    viewer.goto(&format!("{}/boards/{board}", s.url)).await;
    viewer.wait_for("#board-name", Duration::from_secs(5)).await;
    assert!(
        viewer.c.find(Locator::Css("#shot-now")).await.is_err(),
        "no command for a viewer"
    );
    assert!(viewer.c.find(Locator::Css("#save-board")).await.is_err());
    let forged: serde_json::Value = viewer
        .c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            const body = new URLSearchParams({_csrf: document.body.dataset.csrf, action: 'restart'});
            fetch(arguments[0], {method: 'POST', body}).then((r) => done(r.status));"#,
            vec![json!(format!("/boards/{board}/command"))],
        )
        .await
        .unwrap();
    assert_eq!(forged, json!(403), "a viewer's forged command is refused");
    viewer.close().await;
    drop(p);
    s.stop().await;
}

/// A real drag with the mouse (WebDriver actions): press on `el`'s centre,
/// move by (dx, dy) in steps, release.
async fn drag(b: &Browser, el: fantoccini::elements::Element, dx: f64, dy: f64) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let mut m = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: el,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    for _ in 0..8 {
        m = m.then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(30)),
            x: dx / 8.0,
            y: dy / 8.0,
        });
    }
    let m = m.then(PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    });
    b.c.perform_actions(m).await.expect("the drag");
    let _ = b.c.release_actions().await;
}

async fn value(b: &Browser, css: &str) -> String {
    b.c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_upload_build_approve_and_warn_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("manager");
    seed(&data);
    // Previews are drawn by this very player program.
    let s = Server::start(&data, |c| c.player = Some(PLAYER.into())).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let _ed = user(&s, &admin, "bientap.a", "editor", COMMUNE_A).await;
    let board_dir = dir.path().join("board");
    let p = spawn_player(PLAYER, &s.url, &board_dir, 2);
    let (board, _group) = claim(&admin, &p, &board_dir.join("config")).await;

    let b = Browser::start(1366, 768).await;
    b.sign_in(&s.url, "bientap.a", PASSWORD).await;
    b.fill("#password", "mat-khau-moi-cua-xa-A").await;
    b.fill("#repeat", "mat-khau-moi-cua-xa-A").await;
    b.click("form[action='/password'] button[type=submit]").await;
    b.wait_url("/boards", Duration::from_secs(10)).await;

    // Media: a picture and a video picked at once; each file has its own
    // progress bar and result.
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let pic = files.join("anh-cho.png");
    std::fs::write(&pic, png(640, 360, 7)).unwrap();
    let vid = files.join("phim-ngan.mp4");
    std::fs::write(&vid, mp4(&files, 2)).unwrap();
    b.goto(&format!("{}/media?unit={COMMUNE_A}", s.url)).await;
    b.wait_for("#media-files", Duration::from_secs(5)).await;
    b.c.find(Locator::Css("#media-files"))
        .await
        .unwrap()
        .send_keys(&format!("{}\n{}", pic.display(), vid.display()))
        .await
        .unwrap();
    let t = Instant::now();
    loop {
        let ok =
            b.c.find_all(Locator::Css("[data-test=upload-status][data-ok=true]"))
                .await
                .unwrap()
                .len();
        if ok == 2 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "both files uploaded: {}",
            b.text().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bars: serde_json::Value =
        b.c.execute(
            "return Array.from(document.querySelectorAll('[data-test=upload-progress]')).map((e) => e.value)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(bars, json!([100, 100]), "a progress bar per file, each full");
    b.wait_for("[data-test=media-item][data-kind=video]", Duration::from_secs(10))
        .await;
    b.assert_accessible("media library").await;
    b.screenshot(&images().join("web-media.png")).await;

    // The layout editor: main + ticker, a zone made narrower by typing and
    // moved by dragging it with the mouse; saved; previewed by the player.
    b.goto(&format!("{}/layouts", s.url)).await;
    b.click("#tpl-main-ticker").await;
    b.fill("#editor-new-name", "Bảng chợ từ mẫu").await;
    b.click("#editor-new-start").await;
    b.wait_for("svg#editor-board", Duration::from_secs(10)).await;
    let board_w: f64 = value(&b, "#f-zone-0-width").await.parse().unwrap();
    b.fill("#f-zone-0-width", &format!("{}", (board_w / 2.0).round())).await;
    let x0: f64 = value(&b, "#f-zone-0-x").await.parse().unwrap();
    let rect = b.wait_for("#zone-rect-0", Duration::from_secs(5)).await;
    drag(&b, rect, 200.0, 0.0).await;
    let x1: f64 = value(&b, "#f-zone-0-x").await.parse().unwrap();
    assert!(x1 > x0, "dragging the zone moved its x field: {x0} → {x1}");
    b.assert_accessible("layout editor").await;
    b.click("#editor-save").await;
    b.wait_for("#editor-saved", Duration::from_secs(10)).await;
    let layout =
        b.c.current_url()
            .await
            .unwrap()
            .path()
            .trim_start_matches("/layouts/")
            .to_string();
    let (st, v) = admin.get(&format!("/api/v1/layouts/{layout}")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let saved_x = v["layout"]["zone"][0]["x"].as_f64().unwrap_or(-1.0);
    assert!(
        (saved_x - x1).abs() < 1.0,
        "the dragged position was saved: {saved_x} vs {x1}"
    );
    b.click("#editor-preview-btn").await;
    let img = b.wait_for("#editor-preview-img", Duration::from_secs(30)).await;
    let w = until("the preview picture", Duration::from_secs(30), || async {
        let v: serde_json::Value =
            b.c.execute(
                "return arguments[0].naturalWidth",
                vec![serde_json::to_value(&img).unwrap()],
            )
            .await
            .ok()?;
        v.as_u64().filter(|w| *w > 0)
    })
    .await;
    assert_eq!(w as f64, board_w, "the preview is the board's own size");
    b.screenshot(&images().join("web-editor.png")).await;

    // Scheduled and published (through the API here: the schedule pages are
    // the first test's), so the board plays the layout built above.
    schedule(&admin, &layout).await;
    assert_eq!(publish(&admin, &board).await, 1);
    on_screen(&admin, &board, 1, Duration::from_secs(30)).await;

    // A signed source's bulletin, approved from its card in one tap.
    let src = SignedSource::register(&s, &admin, json!({"name": "HTTTN tỉnh", "units": [PROVINCE]})).await;
    let (st, v) = src
        .bulletin(&json!({
            "schema": "bangtin.bulletin/1", "id": "tiem-chung", "version": 1,
            "source": { "system": "HTTTN tỉnh Thái Nguyên" },
            "priority": "normal", "language": "vi", "title": "Lịch tiêm chủng",
            "summary": "Tiêm chủng cho trẻ dưới 5 tuổi.",
            "board": { "items": [ { "type": "text", "body": "Trạm y tế xã tiêm chủng lúc 7h30 thứ Bảy." } ] },
            "targets": { "areas": [ { "level": "commune", "code": COMMUNE_A } ] }
        }))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    b.goto(&format!("{}/info?unit={COMMUNE_A}", s.url)).await;
    b.wait_for("[data-test=queue-card]", Duration::from_secs(5)).await;
    b.assert_accessible("approval queue").await;
    b.screenshot(&images().join("web-approval.png")).await;
    b.click("[data-test=queue-card] [data-test=approve]").await;
    b.wait_for("[data-test=decided]", Duration::from_secs(10)).await;
    let (_, q) = admin.get(&format!("/api/v1/units/{COMMUNE_A}/bulletins")).await;
    assert!(q.to_string().contains("approved"), "{q}");

    // A local emergency for the commune: form, confirmation, issued — the
    // board's screen switches to it; cancelled — the show comes back.
    b.goto(&format!("{}/info?unit={COMMUNE_A}", s.url)).await;
    b.click("#notice-new").await;
    b.fill("#notice-title", "Cảnh báo lũ quét").await;
    b.fill("#notice-text", "Nước sông Chu lên nhanh. Không qua ngầm tràn.")
        .await;
    b.click("#notice-level-emergency").await;
    let expires = (chrono::Utc::now() + chrono::Duration::hours(2))
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    b.set_value("#notice-expires", &expires).await;
    b.click("#notice-preview").await;
    b.wait_for("#notice-confirm", Duration::from_secs(10)).await;
    b.assert_accessible("emergency confirmation").await;
    b.screenshot(&images().join("web-emergency.png")).await;
    let lines_before = p.lines.lock().unwrap().len();
    b.click("#notice-confirm").await;
    let issued = until("the board shows the emergency", Duration::from_secs(20), || async {
        let l = p.lines.lock().unwrap();
        l[lines_before..]
            .iter()
            .find(|l| l.contains("màn hình: Alert"))
            .cloned()
    })
    .await;
    assert!(issued.contains("Alert"), "{issued}");
    b.wait_for("[data-test=notice-cancel]", Duration::from_secs(10)).await;
    b.assert_accessible("essential information with a notice").await;
    let lines_before = p.lines.lock().unwrap().len();
    b.click("[data-test=notice-cancel]").await;
    if let Ok(a) = b.c.get_alert_text().await {
        assert!(!a.is_empty());
        b.c.accept_alert().await.unwrap();
    }
    until("the board's show is back", Duration::from_secs(20), || async {
        let l = p.lines.lock().unwrap();
        l[lines_before..].iter().find(|l| l.contains("màn hình: Show")).cloned()
    })
    .await;
    b.close().await;

    // Every other page, as an administrator, checked by axe-core at
    // desktop size, and the main ones at phone size — the detail pages
    // (one file, one account) named through the API.
    let (_, media) = admin.get(&format!("/api/v1/units/{COMMUNE_A}/media")).await;
    let video_sha = media
        .as_array()
        .and_then(|m| m.iter().find(|m| m["kind"] == "video"))
        .and_then(|m| m["sha256"].as_str())
        .unwrap_or_else(|| panic!("the uploaded video is listed: {media}"))
        .to_string();
    let (_, users) = admin.get("/api/v1/users").await;
    let editor_id = users
        .as_array()
        .and_then(|u| u.iter().find(|u| u["username"] == "bientap.a"))
        .and_then(|u| u["id"].as_str())
        .unwrap_or_else(|| panic!("the editor is listed: {users}"))
        .to_string();
    for (w, h) in [(1366, 768), (360, 740)] {
        let a = Browser::start(w, h).await;
        a.sign_in(&s.url, "tinh", PASSWORD).await;
        for path in [
            "/layouts".to_string(),
            format!("/layouts/{layout}/versions"),
            format!("/media?unit={COMMUNE_A}"),
            format!("/media/{COMMUNE_A}/{video_sha}"),
            "/schedules".to_string(),
            format!("/info?unit={COMMUNE_A}"),
            format!("/speakers?unit={COMMUNE_A}"),
            format!("/reports?unit={COMMUNE_A}"),
            "/boards/watch".to_string(),
            "/admin/units".to_string(),
            "/admin/users".to_string(),
            format!("/admin/users/{editor_id}"),
            "/admin/tokens".to_string(),
            "/admin/sources".to_string(),
            "/admin/audit".to_string(),
        ] {
            a.goto(&format!("{}{path}", s.url)).await;
            a.wait_for("main h1", Duration::from_secs(10)).await;
            a.assert_accessible(&format!("{path} at {w}×{h}")).await;
            if w == 360 {
                assert!(a.overflow_x().await <= 0, "{path} fits 360 px");
            }
        }
        a.close().await;
    }
    drop(p);
    s.stop().await;
}
