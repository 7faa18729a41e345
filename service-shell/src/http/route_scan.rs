//! Reads the routes a `Router` registers (`.route("/v1/path", get(…).post(…))`) out of a
//! service's Rust source, so that the services' tests can check that every registered
//! route is in the OpenAPI document (`openapi::undocumented_routes`): axum's `Router` does
//! not list its routes.

/// `source` with comments removed (line comments, doc comments and block comments), so a
/// route in prose is not taken for one in use. String literals are kept as they are.
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

/// The string literal at the start of `text` (after whitespace), if there is one.
fn leading_literal(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
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

#[cfg(test)]
mod tests {
    use super::*;

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
