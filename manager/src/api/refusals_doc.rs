//! The refusals every operation can answer, written into the OpenAPI
//! document from what the operation declares, so the document lists each
//! status the server really sends (checked by Schemathesis in
//! `xtask/contract.sh`):
//!
//! - signed in as an officer or a board (`session`, `token`): 401 without
//!   valid credentials, 403 for a disabled account or board, a viewer's
//!   change or a missing CSRF token, 429 beyond the request rate;
//! - signed by a source system (`source`): 401 for a bad signature;
//! - a path parameter: 400 when it does not decode, 404 when nothing has
//!   that id (or it belongs to a unit the caller may not see);
//! - a query parameter: 400 when it does not parse;
//! - a JSON body: 400 for malformed JSON or wrong types, 413 beyond
//!   `max_json_bytes`, 415 without `Content-Type: application/json`;
//! - another body (files, screenshots, CAP XML): 413 and 415.
//!
//! 409 and 422 come from each operation's own rules, so each handler
//! declares them itself. Statuses a handler declares keep its description.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, Object, OpenApi, Ref, RefOr, Type};

/// Shared responses under `#/components/responses/`: status, name, meaning.
const SHARED: &[(u16, &str, &str)] = &[
    (
        400,
        "BadRequest",
        "Malformed request: JSON, path or query parameter that does not parse",
    ),
    (
        401,
        "Unauthorized",
        "Missing, unknown or expired credentials, or a bad source signature",
    ),
    (
        403,
        "Forbidden",
        "Not allowed: a disabled account or board, a viewer's change, a missing CSRF token, another unit's change",
    ),
    (
        404,
        "NotFound",
        "No such object, or one in a unit the caller may not see",
    ),
    (409, "Conflict", "Conflicts with the current state"),
    (413, "TooLarge", "Request body too large"),
    (415, "UnsupportedMedia", "Wrong Content-Type or file kind"),
    (
        422,
        "Invalid",
        "Well-formed but refused by a rule; `field` names the field",
    ),
    (
        429,
        "RateLimited",
        "Too many requests; retry after `Retry-After` seconds",
    ),
];

fn shared_name(status: u16) -> Option<&'static str> {
    SHARED.iter().find(|(s, _, _)| *s == status).map(|(_, n, _)| *n)
}

fn error_response(status: u16, description: &str) -> Response {
    let body = ContentBuilder::new()
        .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
        .build();
    let mut r = ResponseBuilder::new()
        .description(description)
        .content("application/json", body);
    if status == 429 {
        r = r.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Object::with_type(Type::Integer))
                .description(Some("Seconds to wait"))
                .build(),
        );
    }
    r.build()
}

/// The statuses `op` can be refused with, from what it declares.
fn refusals(op: &Operation) -> Vec<u16> {
    let mut out = Vec::new();
    let schemes: Vec<String> = op
        .security
        .iter()
        .flatten()
        .filter_map(|r| serde_json::to_value(r).ok())
        .filter_map(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
        .flatten()
        .collect();
    if schemes.iter().any(|s| s == "session" || s == "token") {
        out.extend([401, 403, 429]);
    } else if schemes.iter().any(|s| s == "source") {
        out.push(401);
    }
    let params = op.parameters.iter().flatten();
    for p in params {
        match p.parameter_in {
            ParameterIn::Path => out.extend([400, 404]),
            ParameterIn::Query => out.push(400),
            _ => {}
        }
    }
    if let Some(body) = &op.request_body {
        if body.content.contains_key("application/json") {
            out.extend([400, 413, 415]);
        } else {
            out.extend([413, 415]);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Write the shared error responses into `doc`'s components and each
/// operation's refusals into its responses.
pub fn complete(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (status, name, description) in SHARED {
        components
            .responses
            .insert((*name).to_string(), RefOr::T(error_response(*status, description)));
    }
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            for status in refusals(op) {
                let Some(name) = shared_name(status) else { continue };
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_lists_its_refusals_with_the_error_body() {
        let (_, doc) = super::super::routes();
        let v = serde_json::to_value(&doc).unwrap();
        let me = &v["paths"]["/api/v1/me"]["get"]["responses"];
        for s in ["401", "403", "429"] {
            assert!(me.get(s).is_some(), "GET /api/v1/me lists {s}: {me}");
        }
        let del = &v["paths"]["/api/v1/layouts/{id}"]["delete"]["responses"];
        for s in ["400", "401", "403", "404", "409", "429"] {
            assert!(del.get(s).is_some(), "DELETE /api/v1/layouts/{{id}} lists {s}: {del}");
        }
        assert_eq!(
            v["components"]["responses"]["NotFound"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
        assert!(v["components"]["responses"]["RateLimited"]["headers"]["Retry-After"].is_object());
    }
}
