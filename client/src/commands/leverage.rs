//! `vigil leverage MARKET [LEVERAGE]`: an account's leverage in a market (PROTOCOL.md
//! Part 4 §22). With a number it signs a `SetLeverage` whose `signer` is the key's own
//! account, or with `--as ACCOUNT` the agent key acting for that account (agents may change
//! this trading setting); without one it shows the current setting from the account view.

use super::market::{expires_in, fresh_nonce};
use super::trade::{MarketSetting, as_agent_words};
use super::{Output, receipt};
use crate::cli::{Cli, LeverageArgs};
use protocol::action::{Action, SetLeverage};
use protocol::engine::view::LeverageView;
use serde_json::json;

/// Signature lifetime of a SetLeverage, in seconds.
const EXPIRY_SECS: u64 = 60;

pub async fn run(cli: &Cli, args: &LeverageArgs) -> anyhow::Result<Output> {
    let at = MarketSetting::resolve(cli, &args.signer.name, &args.agent_for, &args.market).await?;
    let (account, market, symbol) = (at.account, at.market, &at.symbol);
    let Some(leverage) = args.leverage else {
        let view = at.endpoints.sequencer().account(&account).await?;
        let Some(current) = view.leverage.iter().find(|l| l.market == market) else {
            anyhow::bail!(
                "the sequencer's account view has no leverage for {symbol}: it predates `SetLeverage`; upgrade it"
            );
        };
        return Ok(Output {
            text: format!("{account} in {symbol}: {}", words(current)),
            json: serde_json::to_value(current)?,
        });
    };
    let action = Action::SetLeverage(SetLeverage {
        signer: at.signer(),
        account,
        market,
        leverage,
        nonce: fresh_nonce(),
        expires_at: expires_in(EXPIRY_SECS),
    });
    let accepted = at.endpoints.sign_and_submit(&at.key, action).await?;
    let headline = format!(
        "leverage of {account} in {symbol} set to {leverage}x: resting orders, fills that add risk and withdrawals there need initial margin at 1/{leverage} of the notional (at least the market's)"
    ) + &as_agent_words(account, at.agent);
    let mut output = receipt::render(&headline, &accepted, &at.markets, None);
    output.json["market"] = json!(market);
    output.json["leverage"] = json!(leverage);
    Ok(output)
}

/// `5x (max 10x): new risk needs 20.00 % initial margin`.
fn words(l: &LeverageView) -> String {
    format!(
        "{}x (max {}x): new risk needs {}.{:02} % initial margin",
        l.leverage,
        l.max_leverage,
        l.initial_margin_bps / 100,
        l.initial_margin_bps % 100
    )
}

/// One line for `vigil account`: every market's leverage, `BTC-PERP 5x (max 10x)`.
pub fn summary_line(
    views: &[LeverageView],
    markets: &[protocol::api::sequencer::MarketInfo],
) -> Option<String> {
    let parts: Vec<String> = views
        .iter()
        .map(|l| {
            format!(
                "{} {}x (max {}x)",
                super::market::symbol(markets, l.market),
                l.leverage,
                l.max_leverage
            )
        })
        .collect();
    (!parts.is_empty()).then(|| format!("leverage               {}", parts.join(", ")))
}
