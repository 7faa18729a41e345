//! What `vigil bench` shows on a terminal while it runs: a spinner naming each phase that
//! has no count (funding the accounts and waiting for their deposits, signing the orders,
//! measuring signature recovery), and a bar while the orders go out. Each phase is drawn
//! as it starts, and the bar once more when the last order is answered, whatever the
//! terminal's refresh rate; the spinner ticks on its own so a long phase visibly moves.
//!
//! The bar's rate is done ÷ time since the orders started, as the report computes it at
//! the end: indicatif's own `{per_sec}` is a smoothed recent estimate that lagged far
//! behind (2.46/s at 106 orders against a final 746/s).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::time::Duration;

/// How often the spinner moves (and the elapsed time is redrawn).
const TICK: Duration = Duration::from_millis(100);

/// A progress display on `target` (`ProgressDrawTarget::hidden()` for none), ticking on
/// its own when visible.
pub fn bar(target: ProgressDrawTarget) -> ProgressBar {
    let hidden = target.is_hidden();
    let bar = ProgressBar::with_draw_target(None, target)
        .with_style(phase_style())
        .with_message("reading the settlement layer's parameters and the markets");
    if !hidden {
        bar.enable_steady_tick(TICK);
    }
    bar
}

/// Starts a phase without a count: the spinner, `message` and the time it has taken.
pub(crate) fn phase(progress: &ProgressBar, message: String) {
    // The style and message first: `reset` draws, and must not draw the old phase anew.
    progress.set_style(phase_style());
    progress.set_message(message);
    progress.reset();
    progress.force_draw();
}

/// Starts the orders: a bar to `count`, with the live rate.
pub(crate) fn orders(progress: &ProgressBar, count: u64) {
    progress.set_length(count);
    progress.set_style(orders_style());
    progress.set_message("orders");
    progress.reset();
    progress.force_draw();
}

/// The orders are all answered: the bar as it ends (the count reached, the final rate).
pub(crate) fn orders_done(progress: &ProgressBar) {
    progress.force_draw();
}

fn phase_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn orders_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg} ({rate})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .with_key("rate", average_rate)
}

/// Done ÷ time since the orders started, e.g. `746/s`.
fn average_rate(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let secs = state.elapsed().as_secs_f64();
    let rate = if secs > 0.0 {
        state.pos() as f64 / secs
    } else {
        0.0
    };
    let _ = write!(out, "{rate:.0}/s");
}
