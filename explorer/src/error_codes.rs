//! The explorer's error codes: what its own answers carry besides the codes every service
//! answers (service-shell's `error_codes`, re-exported here). A read it passes through
//! keeps the upstream's answer, code and all.

pub use service_shell::http::error_codes::*;

service_shell::error_codes! {
    UNRECOGNIZED_SEARCH = (BAD_REQUEST, "unrecognized_search", "the search is not a transaction hash, an address or a batch index");
    NO_SUCH_ASSET = (NOT_FOUND, "no_such_asset", "no page asset has this name");
    NO_SUCH_BATCH = (NOT_FOUND, "no_such_batch", "neither the sequencer nor the L1 knows a batch with this index");
    NO_SUCH_VERIFIER = (NOT_FOUND, "no_such_verifier", "no verifier has this number (they are numbered from 1)");
    NOT_READABLE = (NOT_FOUND, "not_readable", "the path is not one of the upstream reads the explorer passes through");
    UPSTREAM_UNREACHABLE = (BAD_GATEWAY, "upstream_unreachable", "the upstream service did not answer");
}
