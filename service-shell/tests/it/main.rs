//! The integration tests of `service-shell`: one binary. The shared HTTP server against
//! hostile connections, over real sockets on 127.0.0.1:0.

mod server;
