//! Writes `$OUT_DIR/error_codes.rs`: every `(HTTP status, code)` this crate's source and
//! service-shell's HTTP code build an `ApiError` with, read by `source_scan` (shared with
//! service-shell), so the OpenAPI document lists the codes without a hand-kept copy.

#[allow(dead_code)]
#[path = "../service-shell/src/http/source_scan.rs"]
mod source_scan;

fn main() {
    source_scan::build_error_table();
}
