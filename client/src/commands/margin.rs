//! `vigil margin mode|add|remove --market M`: cross or isolated margin per market and an
//! isolated position's own margin (PROTOCOL.md Part 4 §26). `mode` with `cross` or
//! `isolated` signs a `SetMarginMode`, without one it shows the mode from the account view;
//! `add` and `remove` sign an `IsolatedMargin`. The `signer` is the key's own account, or
//! with `--as ACCOUNT` the agent key acting for that account (the money stays in it).

use super::market::{expires_in, fresh_nonce};
use super::trade::{MarketSetting, as_agent_words};
use super::{Output, receipt};
use crate::cli::{Cli, MarginCommand, MarginModeArg, MarginModeArgs, MarginMoveArgs};
use crate::units::format_usdc_fixed;
use protocol::action::{Action, IsolatedMargin, SetMarginMode};
use protocol::api::sequencer::MarketInfo;
use protocol::engine::view::{MarginMode, MarginModeView};
use serde_json::json;

/// Signature lifetime of the margin actions, in seconds.
const EXPIRY_SECS: u64 = 60;

pub async fn run(cli: &Cli, command: &MarginCommand) -> anyhow::Result<Output> {
    match command {
        MarginCommand::Mode(args) => mode(cli, args).await,
        MarginCommand::Add(args) => move_margin(cli, args, true).await,
        MarginCommand::Remove(args) => move_margin(cli, args, false).await,
    }
}

async fn mode(cli: &Cli, args: &MarginModeArgs) -> anyhow::Result<Output> {
    let at = MarketSetting::resolve(cli, &args.signer.name, &args.agent_for, &args.market).await?;
    let (account, market, symbol) = (at.account, at.market, &at.symbol);
    let Some(mode) = args.mode else {
        let view = at.endpoints.sequencer().account(&account).await?;
        let Some(current) = view.margin_modes.iter().find(|m| m.market == market) else {
            anyhow::bail!(
                "the sequencer's account view has no margin mode for {symbol}: it predates `SetMarginMode`; upgrade it"
            );
        };
        return Ok(Output {
            text: format!("{account} in {symbol}: {}", words(current)),
            json: serde_json::to_value(current)?,
        });
    };
    let isolated = mode == MarginModeArg::Isolated;
    let action = Action::SetMarginMode(SetMarginMode {
        signer: at.signer(),
        account,
        market,
        isolated,
        nonce: fresh_nonce(),
        expires_at: expires_in(EXPIRY_SECS),
    });
    let accepted = at.endpoints.sign_and_submit(&at.key, action).await?;
    let what = if isolated {
        format!(
            "isolated: a position there has its own margin, drawn from cross collateral as orders need it (`vigil margin add|remove --market {symbol}`), and its liquidation never touches the rest of the account"
        )
    } else {
        "cross: a position there shares the account's collateral".to_string()
    };
    let headline = format!("margin of {account} in {symbol} set to {what}")
        + &as_agent_words(account, at.agent);
    let mut output = receipt::render(&headline, &accepted, &at.markets, None);
    output.json["market"] = json!(market);
    output.json["mode"] = json!(if isolated { "isolated" } else { "cross" });
    Ok(output)
}

async fn move_margin(cli: &Cli, args: &MarginMoveArgs, is_add: bool) -> anyhow::Result<Output> {
    let at = MarketSetting::resolve(cli, &args.signer.name, &args.agent_for, &args.market).await?;
    let (account, market, symbol) = (at.account, at.market, &at.symbol);
    let action = Action::IsolatedMargin(IsolatedMargin {
        signer: at.signer(),
        account,
        market,
        is_add,
        amount: args.amount,
        nonce: fresh_nonce(),
        expires_at: expires_in(EXPIRY_SECS),
    });
    let accepted = at.endpoints.sign_and_submit(&at.key, action).await?;
    let amount = format_usdc_fixed(i128::from(args.amount));
    let headline = if is_add {
        format!(
            "moved {amount} USDC of {account} from cross collateral into its isolated {symbol} margin"
        )
    } else {
        format!(
            "moved {amount} USDC of {account} from its isolated {symbol} margin back to cross collateral"
        )
    } + &as_agent_words(account, at.agent);
    let mut output = receipt::render(&headline, &accepted, &at.markets, None);
    output.json["market"] = json!(market);
    output.json["direction"] = json!(if is_add { "add" } else { "remove" });
    output.json["amount"] = json!(args.amount);
    Ok(output)
}

/// `isolated: margin 100.000000 USDC, equity 96.000000, maintenance 47.500000` or `cross`.
fn words(m: &MarginModeView) -> String {
    match m.mode {
        MarginMode::Cross => "cross".to_string(),
        MarginMode::Isolated => format!(
            "isolated: margin {} USDC, equity {} USDC, maintenance margin {} USDC",
            format_usdc_fixed(m.isolated_margin),
            format_usdc_fixed(m.isolated_equity),
            format_usdc_fixed(m.isolated_maintenance_margin)
        ),
    }
}

/// One line for `vigil account` naming the isolated markets (none: no line):
/// `isolated margin        BTC-PERP 100.000000 USDC`.
pub fn summary_line(views: &[MarginModeView], markets: &[MarketInfo]) -> Option<String> {
    let parts: Vec<String> = views
        .iter()
        .filter(|m| m.mode == MarginMode::Isolated)
        .map(|m| {
            format!(
                "{} {} USDC",
                super::market::symbol(markets, m.market),
                format_usdc_fixed(m.isolated_margin)
            )
        })
        .collect();
    (!parts.is_empty()).then(|| format!("isolated margin        {}", parts.join(", ")))
}
