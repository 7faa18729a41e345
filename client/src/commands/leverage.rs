//! `vigil leverage MARKET [LEVERAGE]`: an account's leverage in a market (PROTOCOL.md
//! Part 4 §22). With a number it signs a `SetLeverage` whose `signer` is the key's own
//! account, or with `--as ACCOUNT` the agent key acting for that account (agents may change
//! this trading setting); without one it shows the current setting from the account view.

use super::market::{expires_in, find, fresh_nonce, markets};
use super::network::{Endpoints, signer};
use super::trade::{acting_for, as_agent_words};
use super::{Output, receipt};
use crate::cli::{Cli, LeverageArgs};
use protocol::action::{Action, SetLeverage};
use protocol::engine::view::LeverageView;
use serde_json::json;

/// Signature lifetime of a SetLeverage, in seconds.
const EXPIRY_SECS: u64 = 60;

pub async fn run(cli: &Cli, args: &LeverageArgs) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let (account, agent) = acting_for(key.address, &args.agent_for);
    let seq = endpoints.sequencer();
    let markets = markets(&seq).await?;
    let info = find(&markets, &args.market)?;
    let market = info.params.id;
    let symbol = info.params.symbol.clone();
    let Some(leverage) = args.leverage else {
        let view = seq.account(&account).await?;
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
        signer: agent.unwrap_or(account),
        account,
        market,
        leverage,
        nonce: fresh_nonce(),
        expires_at: expires_in(EXPIRY_SECS),
    });
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    let headline = format!(
        "leverage of {account} in {symbol} set to {leverage}x: resting orders, fills that add risk and withdrawals there need initial margin at 1/{leverage} of the notional (at least the market's)"
    ) + &as_agent_words(account, agent);
    let mut output = receipt::render(&headline, &accepted, &markets, None);
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
