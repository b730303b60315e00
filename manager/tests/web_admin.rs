//! The web UI's administration and reports (issue #13, pages 9 and 10),
//! over real HTTP on 127.0.0.1 with a real sled store: pages are read as
//! HTML, forms posted as a browser without JavaScript posts them (CSRF
//! field, 303 back), and every effect is checked through the JSON API.

use bangtin_manager::reporting::STATS_CSV_HEADER;
use bangtin_tests::harness::manager::*;
use bangtin_tests::harness::web::{WebClient, attr_after, section, unescape};
use base64::Engine;
use chrono::{Duration, SecondsFormat, SubsecRound, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A signed request to the source routes with `key`: 404 for a bulletin
/// that does not exist means the signature was accepted, 401 refused.
async fn signed_get_status(s: &Server, id: &str, key_b64: &str) -> StatusCode {
    let src = SignedSource {
        id: id.to_string(),
        key: base64::engine::general_purpose::STANDARD.decode(key_b64).unwrap(),
        base: s.url.clone(),
        http: reqwest::Client::new(),
    };
    src.get("/api/v1/bulletins/khong-co/report").await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_units_accounts_tokens_sources_and_read_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |_| {}).await;
    let api = Client::token(&s, "tinh", PASSWORD).await;
    let (admin, _) = WebClient::sign_in(&s, "tinh", PASSWORD).await;

    // Units: a refused code is shown at its field, nothing stored.
    let p = admin
        .post(
            "/admin/units",
            &[
                ("code", "xa-moi"),
                ("name", "Xã Mới"),
                ("parent", PROVINCE),
                ("timezone", "Asia/Ho_Chi_Minh"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    let err = section(&p.body, "id=\"unit-code-error\"", "</p>");
    assert!(err.contains("mã đơn vị là dãy số"), "{err}");
    assert!(p.body.contains("value=\"Xã Mới\""), "the form keeps what was typed");
    // … and a good one is created through the API's handler.
    let p = admin
        .post(
            "/admin/units",
            &[
                ("code", "05449"),
                ("name", "Xã Bình Yên"),
                ("parent", PROVINCE),
                ("timezone", "Asia/Ho_Chi_Minh"),
            ],
        )
        .await;
    assert_eq!(
        (p.status, p.location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/units?done=05449")
    );
    let (_, units) = api.get("/api/v1/units").await;
    let new = units.as_array().unwrap().iter().find(|u| u["code"] == "05449").cloned();
    assert_eq!(new.as_ref().map(|u| &u["parent"]), Some(&json!(PROVINCE)), "{units}");
    assert!(!units.to_string().contains("Xã Mới"));
    let p = admin.get("/admin/units?done=05449").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("data-code=\"05449\"") && p.body.contains("Xã Bình Yên"));
    assert!(p.body.contains("id=\"admin-done\""));

    // Accounts: an editor needs a unit (the API's rule, at the field).
    let p = admin
        .post(
            "/admin/users",
            &[("username", "canbo"), ("password", PASSWORD), ("role", "editor")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(section(&p.body, "id=\"user-units-error\"", "</p>").contains("ít nhất một đơn vị"));
    assert!(!p.body.contains(PASSWORD), "a password is never sent back");
    let p = admin
        .post(
            "/admin/users",
            &[
                ("username", "canbo"),
                ("display_name", "Cán bộ xã Bình Yên"),
                ("password", PASSWORD),
                ("role", "editor"),
                ("units", "05449"),
            ],
        )
        .await;
    assert_eq!(
        (p.status, p.location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/users?done=canbo")
    );
    let (_, users) = api.get("/api/v1/users").await;
    let canbo = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "canbo")
        .unwrap()
        .clone();
    assert_eq!(canbo["units"], json!(["05449"]));
    assert_eq!(canbo["role"], "editor");
    assert_eq!(canbo["must_change_password"], true);
    let canbo_id = canbo["id"].as_str().unwrap().to_string();
    let p = admin.get("/admin/users").await;
    assert!(p.body.contains("data-username=\"canbo\""));

    // The new officer signs in and is sent to change the password first.
    let (officer, signed) = WebClient::sign_in(&s, "canbo", PASSWORD).await;
    assert_eq!(signed.location, "/boards");
    let p = officer.get("/reports").await;
    assert_eq!((p.status, p.location.as_str()), (StatusCode::SEE_OTHER, "/password"));
    let new_password = "mật-khẩu-mới-của-cán-bộ";
    let p = officer
        .post("/password", &[("password", new_password), ("repeat", new_password)])
        .await;
    assert_eq!((p.status, p.location.as_str()), (StatusCode::SEE_OTHER, "/boards"));
    let p = officer.get("/boards").await;
    assert_ne!(p.location, "/password", "the password was changed: no more detour");
    let p = officer.get("/reports").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);

    // An administrator resets it: changed again at the next sign-in.
    let p = admin
        .post(
            &format!("/admin/users/{canbo_id}/password"),
            &[("password", "mật-khẩu-tạm-thời-2026")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let (_, users) = api.get("/api/v1/users").await;
    let canbo = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "canbo")
        .unwrap()
        .clone();
    assert_eq!(canbo["must_change_password"], true);
    // Role and communes; a short password is refused at its field.
    let p = admin
        .post(&format!("/admin/users/{canbo_id}/password"), &[("password", "ngắn")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(section(&p.body, "id=\"reset-password-error\"", "</p>").contains("ít nhất 10"));
    let p = admin
        .post(
            &format!("/admin/users/{canbo_id}/access"),
            &[
                ("display_name", "Cán bộ hai xã"),
                ("role", "viewer"),
                ("units", "05449"),
                ("units", COMMUNE_A),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let (_, users) = api.get("/api/v1/users").await;
    let canbo = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "canbo")
        .unwrap()
        .clone();
    assert_eq!(
        (canbo["role"].as_str(), canbo["units"].clone()),
        (Some("viewer"), json!(["05449", COMMUNE_A]))
    );
    // Disabled: cannot sign in; enabled again.
    let p = admin
        .post(&format!("/admin/users/{canbo_id}/disabled"), &[("disabled", "true")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = WebClient::anonymous(&s)
        .post_raw(
            "/login",
            &[("username", "canbo"), ("password", "mật-khẩu-tạm-thời-2026")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    let p = admin
        .post(&format!("/admin/users/{canbo_id}/disabled"), &[("disabled", "false")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = admin.get(&format!("/admin/users/{canbo_id}")).await;
    assert!(section(&p.body, "id=\"user-state\"", "</dd>").contains("Đang dùng"));

    // API tokens: the token is in the answer to its creation only.
    let p = admin.post("/admin/tokens", &[("name", "đồng bộ lịch")]).await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    assert_eq!(p.cache_control, "no-store");
    let token = attr_after(&p.body, "id=\"token-secret\"", "value").unwrap();
    assert!(token.starts_with("bt_"), "{token}");
    let bearer = api.with(Auth::Bearer(token.clone()));
    assert_eq!(bearer.get("/api/v1/me").await.0, StatusCode::OK);
    let p = admin.get("/admin/tokens").await;
    assert!(p.body.contains("đồng bộ lịch"));
    assert!(!p.body.contains(&token), "the token is shown once");
    assert!(!p.body.contains("id=\"token-secret\""));
    let token_id = attr_after(&p.body, "data-test=\"token-row\"", "data-id").unwrap();
    let p = admin.post(&format!("/admin/tokens/{token_id}/revoke"), &[]).await;
    assert_eq!(
        (p.status, p.location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/tokens?done=revoked")
    );
    assert_eq!(bearer.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // An empty name: refused at the field.
    let p = admin.post("/admin/tokens", &[("name", " ")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("id=\"token-name-error\""));

    // Sources: the key is shown once; a new key replaces the old one.
    let p = admin
        .post(
            "/admin/sources",
            &[("name", "HTTTN tỉnh Thái Nguyên"), ("units", PROVINCE)],
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    assert_eq!(p.cache_control, "no-store");
    let key1 = attr_after(&p.body, "id=\"source-key\"", "value").unwrap();
    let src_id = attr_after(&p.body, "id=\"source-key-box\"", "data-source").unwrap();
    assert_eq!(
        signed_get_status(&s, &src_id, &key1).await,
        StatusCode::NOT_FOUND,
        "the key signs"
    );
    let p = admin.get("/admin/sources").await;
    assert!(p.body.contains(&format!("data-id=\"{src_id}\"")));
    assert!(
        !p.body.contains(&key1) && !p.body.contains("id=\"source-key\""),
        "the key is shown once"
    );
    let p = admin.post(&format!("/admin/sources/{src_id}/key"), &[]).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let key2 = attr_after(&p.body, "id=\"source-key\"", "value").unwrap();
    assert_ne!(key1, key2);
    assert_eq!(signed_get_status(&s, &src_id, &key1).await, StatusCode::UNAUTHORIZED);
    assert_eq!(signed_get_status(&s, &src_id, &key2).await, StatusCode::NOT_FOUND);
    // Stopped: everything it signs is refused.
    let p = admin
        .post(&format!("/admin/sources/{src_id}/disabled"), &[("disabled", "true")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let (_, list) = api.get("/api/v1/sources").await;
    assert_eq!(list[0]["disabled"], true, "{list}");
    assert_eq!(signed_get_status(&s, &src_id, &key2).await, StatusCode::UNAUTHORIZED);
    // No unit: refused at the field.
    let p = admin.post("/admin/sources", &[("name", "Không đơn vị")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("id=\"source-units-error\""));

    // The audit log lists all of it and filters by action.
    let p = admin.get("/admin/audit").await;
    assert_eq!(p.status, StatusCode::OK);
    for action in [
        "unit.create",
        "user.create",
        "user.update",
        "token.create",
        "token.delete",
        "source.create",
        "source.rotate_key",
        "source.update",
    ] {
        assert!(
            p.body.contains(&format!("data-action=\"{action}\"")),
            "{action} in the log"
        );
    }
    let p = admin.get("/admin/audit?action=source").await;
    assert!(p.body.contains("data-action=\"source.create\"") && p.body.contains("data-action=\"source.rotate_key\""));
    assert!(!p.body.contains("data-action=\"user.create\"") && !p.body.contains("data-action=\"unit.create\""));
    let p = admin.get("/admin/audit?action=unit.create&unit=05449").await;
    assert_eq!(p.body.matches("data-test=\"audit-row\"").count(), 1, "{}", p.body);
    let p = admin.get("/admin/audit?actor=canbo").await;
    assert!(p.body.contains("data-action=\"login\"") && !p.body.contains("data-action=\"unit.create\""));
    // Dates: today has the entries, a day long ago none; a bad date is
    // refused at its field.
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).date_naive();
    // The harness's own token, the form's, and its revocation.
    let p = admin
        .get(&format!("/admin/audit?from={today}&to={today}&action=token"))
        .await;
    assert_eq!(p.body.matches("data-test=\"audit-row\"").count(), 3, "{}", p.body);
    let p = admin.get("/admin/audit?from=2020-01-01&to=2020-01-02").await;
    assert!(p.body.contains("id=\"audit-empty\""));
    let p = admin.get("/admin/audit?from=hôm-qua").await;
    assert!(p.body.contains("id=\"audit-from-error\""));
    // Paging back by `before`: the older page starts after the entry asked.
    let newest = admin.get("/admin/audit").await;
    let seqs: Vec<String> = newest
        .body
        .split("data-seq=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next().map(str::to_string))
        .collect();
    assert!(seqs.len() > 10, "{seqs:?}");
    let p = admin.get(&format!("/admin/audit?before={}", seqs[0])).await;
    assert!(!p.body.contains(&format!("data-seq=\"{}\"", seqs[0])));
    assert_eq!(
        attr_after(&p.body, "data-test=\"audit-row\"", "data-seq").as_ref(),
        Some(&seqs[1])
    );
    assert!(p.body.contains("id=\"audit-newest\""));

    // Not an administrator: the same 403 as the API, pages and forged posts.
    let viewer = WebClient::sign_in_ready(&s, "canbo", "mật-khẩu-tạm-thời-2026", "mật-khẩu-thứ-ba-2026").await;
    for path in [
        "/admin",
        "/admin/units",
        "/admin/users",
        &format!("/admin/users/{canbo_id}"),
        "/admin/sources",
        "/admin/audit",
    ] {
        let p = viewer.get(path).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
        assert!(p.body.contains("administrators only"), "{path}");
    }
    let before = api.get("/api/v1/users").await.1.as_array().unwrap().len();
    let forged = [
        (
            "/admin/users".to_string(),
            vec![("username", "ke-gian"), ("password", PASSWORD), ("role", "admin")],
        ),
        (
            "/admin/units".to_string(),
            vec![("code", "99999"), ("name", "Giả"), ("timezone", "Asia/Ho_Chi_Minh")],
        ),
        ("/admin/sources".to_string(), vec![("name", "Giả"), ("units", PROVINCE)]),
        (format!("/admin/sources/{src_id}/key"), vec![]),
        (format!("/admin/sources/{src_id}/disabled"), vec![("disabled", "false")]),
        (format!("/admin/users/{canbo_id}/access"), vec![("role", "admin")]),
        (format!("/admin/users/{canbo_id}/disabled"), vec![("disabled", "true")]),
    ];
    for (path, fields) in &forged {
        let p = viewer.post(path, fields).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}: {}", p.body);
    }
    assert_eq!(api.get("/api/v1/users").await.1.as_array().unwrap().len(), before);
    let (_, units) = api.get("/api/v1/units").await;
    assert!(!units.to_string().contains("99999"));
    let (_, list) = api.get("/api/v1/sources").await;
    assert_eq!(
        (list.as_array().unwrap().len(), &list[0]["disabled"]),
        (1, &json!(true))
    );
    assert_eq!(
        signed_get_status(&s, &src_id, &key2).await,
        StatusCode::UNAUTHORIZED,
        "key not rotated"
    );
    let (_, users) = api.get("/api/v1/users").await;
    let canbo = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "canbo")
        .unwrap()
        .clone();
    assert_eq!(
        (canbo["role"].as_str(), &canbo["disabled"]),
        (Some("viewer"), &json!(false))
    );
    // Their own API tokens: every officer's, as in the API.
    let p = viewer.get("/admin/tokens").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("href=\"/admin/users\""), "only the tokens tab");
    assert!(!p.body.contains("id=\"token-revoke-form\""));
    let p = viewer.post("/admin/tokens", &[("name", "của tôi")]).await;
    assert_eq!(p.status, StatusCode::CREATED);
    // An administrator's token id: not theirs to revoke (404, as the API).
    let (_, mine) = api.get("/api/v1/tokens").await;
    let admin_token = mine[0]["id"].as_str().unwrap().to_string();
    let p = viewer
        .post("/admin/tokens/revoke", &[("id", admin_token.as_str())])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::OK);
    // No CSRF field: refused, for administrators too.
    let p = admin
        .post_raw(
            "/admin/units",
            &[("code", "05450"), ("name", "Xã Không Mã"), ("timezone", "UTC")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let (_, units) = api.get("/api/v1/units").await;
    assert!(!units.to_string().contains("05450"));
    s.stop().await;
}

fn rfc(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_draw_charts_of_a_board_list_deliveries_and_export_csv() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |_| {}).await;
    let api = Client::token(&s, "tinh", PASSWORD).await;
    let (board_id, board, _) = pair(&s, &api, COMMUNE_A, "Bảng chợ Định Hóa").await;
    let (st, _) = board.post("/api/v1/board/heartbeat", board_status(30, 0)).await;
    assert_eq!(st, StatusCode::OK);
    // An emergency bulletin to the commune; the board fetches it and shows
    // it for 20 s.
    let src = SignedSource::register(&s, &api, json!({"name": "HTTTN tỉnh", "units": [PROVINCE]})).await;
    let (st, v) = src
        .bulletin(&json!({
            "schema": "bangtin.bulletin/1", "id": "lu-quet-web", "version": 1,
            "source": { "system": "HTTTN tỉnh Thái Nguyên", "author": "Ban Chỉ huy PCTT tỉnh" },
            "priority": "emergency", "language": "vi",
            "title": "Cảnh báo lũ quét trên sông Chu",
            "board": { "items": [ { "type": "text", "headline": "Lũ quét", "body": "Không đi qua ngầm." } ] },
            "targets": { "areas": [ { "level": "commune", "code": COMMUNE_A } ] },
            "schedule": { "validTo": rfc(Utc::now() + Duration::days(1)) }
        }))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let r = board.request(Method::GET, "/api/v1/board/alerts").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t0 = (Utc::now() - Duration::seconds(60)).trunc_subsecs(3);
    let label = format!("alert:bulletin:{}:lu-quet-web", src.id);
    let (st, v) = board
        .post(
            "/api/v1/board/playlog",
            json!({"events": [{"seq": 1, "kind": "end", "at": rfc(t0 + Duration::seconds(20)), "started": rfc(t0),
                "show_version": 1, "layout": label, "zone": "tieu-de", "item": 0, "item_kind": "text", "label": "Lũ quét"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");

    let (admin, _) = WebClient::sign_in(&s, "tinh", PASSWORD).await;
    let p = admin.get(&format!("/reports?unit={COMMUNE_A}")).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    // The statistics of the commune: one board, 20 s on screen.
    let row = section(&p.body, &format!("data-unit=\"{COMMUNE_A}\""), "</tr>");
    assert!(row.contains("Xã Định Hóa") && row.contains("<td>1</td>"), "{row}");
    assert!(row.contains("20 giây"), "{row}");
    // Charts: SVG with a title and a description, bars for the board's
    // commune, its numbers in a table.
    let airtime = section(&p.body, "id=\"chart-airtime-communes\"", "</figure>");
    assert!(airtime.contains("<svg") && airtime.contains("role=\"img\""));
    assert!(airtime.contains("<title id=\"chart-airtime-communes-title\">Thời lượng phát tin theo xã</title>"));
    assert!(airtime.contains("<desc id=\"chart-airtime-communes-desc\">"));
    assert_eq!(airtime.matches("<rect class=\"bar\"").count(), 1, "{airtime}");
    assert!(airtime.contains("<title>Xã Định Hóa: 20 giây</title>"), "{airtime}");
    assert!(airtime.contains("<th scope=\"row\">Xã Định Hóa</th><td>20 giây</td>"));
    let ratio = section(&p.body, "id=\"chart-ratio-communes\"", "</figure>");
    assert_eq!(
        ratio.matches("<rect class=\"bar\"").count(),
        1,
        "online since its heartbeat"
    );
    assert!(!ratio.contains("<td>—</td>"), "{ratio}");
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).date_naive();
    let days = section(&p.body, "id=\"chart-airtime-days\"", "</figure>");
    assert!(
        days.contains(&format!(
            "<th scope=\"row\">{}</th><td>20 giây</td>",
            today.format("%d/%m/%Y")
        )),
        "{days}"
    );
    assert!(p.body.contains("id=\"chart-ratio-days\""));
    // The delivery of the bulletin to the board.
    let d = section(&p.body, "data-id=\"lu-quet-web\"", "</li>");
    assert!(
        d.contains("Cảnh báo lũ quét trên sông Chu") && d.contains("Khẩn cấp"),
        "{d}"
    );
    let b = section(d, &format!("data-board=\"{board_id}\""), "</tr>");
    assert!(b.contains("Bảng chợ Định Hóa") && b.contains("Đã phát"), "{b}");

    // CSV export of the chosen period, and the reporting periods' links.
    let csv = attr_after(&p.body, "id=\"export-csv\"", "href").unwrap();
    assert!(csv.starts_with(&format!("/api/v1/units/{COMMUNE_A}/stats?from=")) && csv.ends_with("&format=csv"));
    let r = admin.get(&csv).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "text/csv; charset=utf-8");
    assert!(r.body.starts_with(STATS_CSV_HEADER), "{}", r.body);
    assert!(r.body.contains("Xã Định Hóa,1,"));
    let json_link = attr_after(&p.body, "id=\"export-json\"", "href").unwrap();
    let r = admin.get(&json_link).await;
    assert!(r.content_type.starts_with("application/json"));
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["total"]["airtime_seconds"], 20.0, "{v}");
    assert_eq!(p.body.matches("data-test=\"export-preset\"").count(), 4);
    let body = unescape(&p.body);
    assert!(body.contains("-12-16&to=") && body.contains("-05-30&format=csv") && body.contains("-12-15&format=csv"));

    // The province: each commune and the total; a bad date at its field.
    let p = admin.get("/reports").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains(&format!("<option value=\"{PROVINCE}\" selected>")),
        "an administrator starts at the province"
    );
    assert!(p.body.contains(&format!("data-unit=\"{COMMUNE_B}\"")) && p.body.contains("class=\"total\""));
    let p = admin.get(&format!("/reports?unit={COMMUNE_A}&from=2026-13-01")).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("id=\"reports-from-error\""));

    // Another commune's officer: their unit only; ours is not found.
    let _b = user(&s, &api, "xa-b", "editor", COMMUNE_B).await;
    // Made through the API by an administrator: the password changes first.
    let other = WebClient::sign_in_ready(&s, "xa-b", PASSWORD, "mật-khẩu-xã-b-2026").await;
    let p = other.get("/reports").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(&format!("<option value=\"{COMMUNE_B}\" selected>")));
    assert!(!p.body.contains(&format!("value=\"{COMMUNE_A}\"")) && !p.body.contains("lu-quet-web"));
    let p = other.get(&format!("/reports?unit={COMMUNE_A}")).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(!p.body.contains("Bảng chợ Định Hóa"));
    let r = other.get(&format!("/api/v1/units/{COMMUNE_A}/stats?format=csv")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    s.stop().await;
}
