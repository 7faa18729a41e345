//! The one Prometheus text-exposition writer (format 0.0.4) every service's `GET /metrics`
//! renders with: `# HELP`/`# TYPE` headers, plain samples, labelled families and
//! histograms. Each service keeps its own storage (atomics on the sequencer's hot path, a
//! plain struct in the verifier); only the text format lives here, once.

use std::fmt::{Display, Write};

/// A metric family's type, as written after `# TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// An exposition being written; [`Exposition::finish`] gives the text.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    pub fn new() -> Exposition {
        Exposition {
            out: String::with_capacity(4096),
        }
    }

    fn header(&mut self, name: &str, kind: Kind, help: &str) {
        // Writing to a String cannot fail.
        let _ = writeln!(
            self.out,
            "# HELP {name} {help}\n# TYPE {name} {}",
            kind.name()
        );
    }

    /// One unlabelled sample of a family of `kind`.
    pub fn sample(&mut self, name: &str, kind: Kind, help: &str, value: impl Display) -> &mut Self {
        self.header(name, kind, help);
        let _ = writeln!(self.out, "{name} {value}");
        self
    }

    pub fn counter(&mut self, name: &str, help: &str, value: impl Display) -> &mut Self {
        self.sample(name, Kind::Counter, help, value)
    }

    pub fn gauge(&mut self, name: &str, help: &str, value: impl Display) -> &mut Self {
        self.sample(name, Kind::Gauge, help, value)
    }

    /// A family with one label: one sample per `(label value, sample value)`.
    pub fn labelled<L: Display, V: Display>(
        &mut self,
        name: &str,
        kind: Kind,
        help: &str,
        label: &str,
        samples: impl IntoIterator<Item = (L, V)>,
    ) -> &mut Self {
        self.header(name, kind, help);
        for (value_of_label, value) in samples {
            let _ = writeln!(self.out, "{name}{{{label}=\"{value_of_label}\"}} {value}");
        }
        self
    }

    /// A histogram: `buckets` are `(upper bound, cumulative count)` in increasing order;
    /// the `+Inf` bucket is `count`.
    pub fn histogram<B: Display>(
        &mut self,
        name: &str,
        help: &str,
        buckets: impl IntoIterator<Item = (B, u64)>,
        sum: impl Display,
        count: u64,
    ) -> &mut Self {
        self.header(name, Kind::Histogram, help);
        for (bound, cumulative) in buckets {
            let _ = writeln!(self.out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(self.out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(self.out, "{name}_sum {sum}\n{name}_count {count}");
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// The `GET /metrics` answer for an exposition's text, with the text format's content type.
pub fn response(text: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    ([(axum::http::header::CONTENT_TYPE, content_type)], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_kind_renders_in_the_text_format() {
        let mut e = Exposition::new();
        e.counter("a_total", "As.", 3)
            .gauge("b", "B now.", 1.5)
            .labelled("c", Kind::Gauge, "Cs by x.", "x", [("p", 1), ("q", 2)])
            .histogram("d", "Ds.", [(0.5, 1), (1.0, 2)], 1.25, 3);
        let expected = "# HELP a_total As.\n# TYPE a_total counter\na_total 3\n\
# HELP b B now.\n# TYPE b gauge\nb 1.5\n\
# HELP c Cs by x.\n# TYPE c gauge\nc{x=\"p\"} 1\nc{x=\"q\"} 2\n\
# HELP d Ds.\n# TYPE d histogram\nd_bucket{le=\"0.5\"} 1\nd_bucket{le=\"1\"} 2\n\
d_bucket{le=\"+Inf\"} 3\nd_sum 1.25\nd_count 3\n";
        assert_eq!(e.finish(), expected);
    }
}
