//! Reads two facts out of a service's Rust source, so that its OpenAPI document is derived
//! from the code rather than from a list kept by hand: every error code an `ApiError` is
//! built with (`ApiError::not_found("unknown_market", …)`, `ApiError::new(StatusCode::X,
//! "code", …)`, with the status the constructor gives), and every route a `Router` registers
//! (`.route("/v1/path", get(…).post(…))`).
//!
//! Dependency-free on purpose: the services' build scripts include this file
//! (`#[path]`) to write their error-code tables at compile time, and their tests use
//! [`routes`] to check that each registered route is documented.

/// The HTTP status of each `ApiError` constructor that takes its code as an argument.
const CONSTRUCTORS: &[(&str, u16)] = &[
    ("bad_request", 400),
    ("unauthorized", 401),
    ("forbidden", 403),
    ("not_found", 404),
    ("conflict", 409),
    ("unprocessable", 422),
    ("bad_gateway", 502),
];

/// The status a `StatusCode::NAME` constant stands for (those `ApiError::new` is called with).
const STATUS_NAMES: &[(&str, u16)] = &[
    ("BAD_REQUEST", 400),
    ("UNAUTHORIZED", 401),
    ("FORBIDDEN", 403),
    ("NOT_FOUND", 404),
    ("METHOD_NOT_ALLOWED", 405),
    ("REQUEST_TIMEOUT", 408),
    ("CONFLICT", 409),
    ("PAYLOAD_TOO_LARGE", 413),
    ("UNSUPPORTED_MEDIA_TYPE", 415),
    ("UNPROCESSABLE_ENTITY", 422),
    ("TOO_MANY_REQUESTS", 429),
    ("INTERNAL_SERVER_ERROR", 500),
    ("BAD_GATEWAY", 502),
    ("SERVICE_UNAVAILABLE", 503),
    ("GATEWAY_TIMEOUT", 504),
];

/// `source` with comments removed (line comments, doc comments and block comments), so a
/// code in prose is not taken for one in use. String literals are kept as they are.
fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            // A `'"'` character literal opens no string.
            ('\'', Some('"')) => {
                out.push(c);
                out.extend(chars.by_ref().take(2));
            }
            ('/', Some('/')) => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                let mut last = ' ';
                for skipped in chars.by_ref() {
                    if last == '*' && skipped == '/' {
                        break;
                    }
                    last = skipped;
                }
            }
            _ => {
                in_string = c == '"';
                out.push(c);
            }
        }
    }
    out
}

/// `code` without its `#[cfg(test)]` items (a test's `ApiError` is no answer the service
/// gives). Braces inside string literals are assumed balanced, as they are in this repo.
fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let end = match (item.find('{'), item.find(';')) {
            (Some(open), semi) if semi.is_none_or(|s| open < s) => {
                matching_brace(&item[open..]).map_or(item.len(), |close| open + close + 1)
            }
            (_, Some(semi)) => semi + 1,
            _ => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The offset of the `}` closing the `{` that `text` starts with.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The string literal at the start of `text` (after whitespace), if there is one.
fn leading_literal(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

fn is_code(word: &str) -> bool {
    !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Every `(status, code)` an `ApiError` is built with in `source`, in order of appearance.
/// Codes passed as variables (an engine status's `code()`) are not seen: their owner adds
/// them from its own table.
pub fn error_codes(source: &str) -> Vec<(u16, String)> {
    let code = without_tests(&strip_comments(source));
    let mut found = Vec::new();
    for (at, _) in code.match_indices("ApiError::") {
        let rest = &code[at + "ApiError::".len()..];
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let (name, args) = rest.split_at(name_end);
        let Some(args) = args.trim_start().strip_prefix('(') else {
            continue;
        };
        let entry = if name == "new" {
            new_call(args)
        } else {
            CONSTRUCTORS
                .iter()
                .find(|(ctor, _)| *ctor == name)
                .and_then(|(_, status)| leading_literal(args).map(|lit| (*status, lit)))
        };
        if let Some((status, lit)) = entry.filter(|(_, lit)| is_code(lit)) {
            found.push((status, lit.to_string()));
        }
    }
    found
}

/// `ApiError::new(StatusCode::NAME, "code", …)` (the path before `StatusCode` may vary).
fn new_call(args: &str) -> Option<(u16, &str)> {
    let (status, rest) = args.split_once(',')?;
    let name = status.trim().rsplit("::").next()?;
    let status = STATUS_NAMES.iter().find(|(n, _)| *n == name)?.1;
    leading_literal(rest).map(|lit| (status, lit))
}

/// Every `(method, path)` a router in `source` registers with `.route("path", get(…)…)`, in
/// order; methods in upper case. A route whose method router is built elsewhere (e.g.
/// `intake::route()`) is listed with method `"*"`.
pub fn routes(source: &str) -> Vec<(String, String)> {
    let code = strip_comments(source);
    let mut found = Vec::new();
    for (at, _) in code.match_indices(".route(") {
        let args = &code[at + ".route(".len()..];
        let Some(path) = leading_literal(args) else {
            continue;
        };
        let after_path = &args[args.find(path).unwrap_or(0) + path.len() + 1..];
        let methods = top_level_calls(after_path);
        if methods.is_empty() {
            found.push(("*".to_string(), path.to_string()));
        }
        for method in methods {
            found.push((method.to_ascii_uppercase(), path.to_string()));
        }
    }
    found
}

const METHODS: &[&str] = &["get", "post", "put", "delete", "patch", "head", "options"];

/// The HTTP-method calls (`get(`, `.post(`) at the top level of a `.route(` call's second
/// argument, up to the parenthesis that closes the call.
fn top_level_calls(text: &str) -> Vec<String> {
    let mut depth = 0usize;
    let mut methods = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        match c {
            '(' => {
                if depth == 0 && METHODS.contains(&word.as_str()) {
                    methods.push(word.clone());
                }
                depth += 1;
                word.clear();
            }
            ')' if depth == 0 => break,
            ')' => {
                depth -= 1;
                word.clear();
            }
            c if c.is_ascii_alphanumeric() || c == '_' => word.push(c),
            _ => word.clear(),
        }
    }
    methods
}

/// A service's whole build script: the codes of its own `src` and of service-shell's HTTP
/// code, written to `$OUT_DIR/error_codes.rs` (which its OpenAPI document includes).
pub fn build_error_table() {
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("error_codes.rs");
    write_error_table(&["src", "../service-shell/src/http"], &out)
        .expect("reading the source for error codes");
}

/// For a build script: every `(status, code)` in the `.rs` files under `dirs`, sorted and
/// each once, written to `out` as a Rust expression of type `&[(u16, &str)]`; cargo is told
/// to run the script again when anything under `dirs` changes.
pub fn write_error_table(dirs: &[&str], out: &std::path::Path) -> std::io::Result<()> {
    let mut files = Vec::new();
    for dir in dirs {
        println!("cargo:rerun-if-changed={dir}");
        rust_files(std::path::Path::new(dir), &mut files)?;
    }
    let mut codes = Vec::new();
    for file in files {
        codes.extend(error_codes(&std::fs::read_to_string(file)?));
    }
    codes.sort();
    codes.dedup();
    let entries: Vec<String> = codes
        .iter()
        .map(|(status, code)| format!("    ({status}, {code:?}),\n"))
        .collect();
    std::fs::write(out, format!("&[\n{}]\n", entries.concat()))
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_with_their_status() {
        let source = r#"
            // ApiError::not_found("in_a_comment", "x")
            fn a() -> ApiError { ApiError::not_found("unknown_market", format!("no")) }
            fn b() -> ApiError {
                ApiError::conflict(
                    "insufficient_bond",
                    "m",
                )
            }
            fn c() -> ApiError {
                ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "invariant_violated", m)
            }
            fn d(code: &'static str) -> ApiError { ApiError::bad_request(code, "computed") }
            fn e() -> ApiError { ApiError::internal("not a code: it is a cause") }
            fn f() -> ApiError { ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", m) }
            fn g(c: char) -> bool { c == '"' }
            #[cfg(test)]
            mod tests { fn t() { ApiError::not_found("only_in_a_test", "x"); } }
            fn h() -> ApiError { ApiError::unauthorized("bad_signature", "x") }
        "#;
        let got = error_codes(source);
        let want = [
            (404, "unknown_market"),
            (409, "insufficient_bond"),
            (503, "invariant_violated"),
            (413, "payload_too_large"),
            (401, "bad_signature"),
        ];
        let want: Vec<(u16, String)> = want.iter().map(|(s, c)| (*s, c.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn routes_are_read_with_every_method() {
        let source = r#"
            let routes = Router::new()
                .route("/v1/tx", post(submit::one))
                .route("/v1/txs", post(submit::bulk).get(reads::tx_list))
                // .route("/v1/commented", get(x))
                .route(
                    "/v1/health",
                    get(|| async { Json(serde_json::json!({ "ok": true })) }),
                )
                .route("/v1/tx/ws", intake_ws::route())
                .route("/v1/proofs/accounts/{address}", get(account::<S>));
        "#;
        let got = routes(source);
        let want = [
            ("POST", "/v1/tx"),
            ("POST", "/v1/txs"),
            ("GET", "/v1/txs"),
            ("GET", "/v1/health"),
            ("*", "/v1/tx/ws"),
            ("GET", "/v1/proofs/accounts/{address}"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        assert_eq!(got, want);
    }
}
