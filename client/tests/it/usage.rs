//! Usage mistakes and help text through the real `vigil` binary, no service needed: each
//! mistake is one line on standard error with exit code 2 that keeps clap's hint (a
//! similar argument or subcommand, the possible values) and names the subcommand's help; a
//! negative size or amount is reported as such, not as an unknown option; and each help
//! page lists a global option only where the command uses it.

use crate::support::vigil;

/// argv → a fragment of the one-line error (exit code 2 for all).
const MISTAKES: &[(&[&str], &str)] = &[
    (
        &["order", "buy", "BTC-PERP", "1", "--nmae", "x"],
        "a similar argument exists: '--name'",
    ),
    (
        &["account", "--adress", "0x00"],
        "a similar argument exists: '--address'",
    ),
    (
        &["--jsno", "account"],
        "a similar argument exists: '--json'",
    ),
    (
        &["keys", "new", "--nmae", "x"],
        "a similar argument exists: '--name' (see `vigil keys new --help`)",
    ),
    (
        &["accont"],
        "some similar subcommands exist: 'agent', 'account'",
    ),
    (
        &["order", "long", "BTC-PERP", "1"],
        "invalid value 'long' for '<SIDE>'; possible values: buy, sell",
    ),
    (
        &["order", "short", "BTC-PERP", "1"],
        "possible values: buy, sell (see `vigil order --help`)",
    ),
    (
        &["order", "buy", "BTC-PERP", "-1"],
        "size must be positive, got -1",
    ),
    (
        &["order", "sell", "BTC-PERP", "-0.5", "@", "50000"],
        "size must be positive, got -0.5",
    ),
    (
        &["order", "buy", "BTC-PERP", "1", "@", "-5"],
        "price must be positive, got -5",
    ),
    (&["withdraw", "-5"], "amount \"-5\" is negative"),
    (&["force", "withdraw", "-3"], "amount \"-3\" is negative"),
    (
        &["l1", "deposit", "--amount", "-5"],
        "amount \"-5\" is negative",
    ),
    (
        &["order"],
        "required arguments were not provided: <SIDE>, <MARKET>, <SIZE>",
    ),
    (&["withdraw", "abc"], "(see `vigil withdraw --help`)"),
];

#[test]
fn each_mistake_is_one_line_with_its_hint_and_exit_code_2() {
    let home = tempfile::tempdir().expect("temp dir");
    for (args, fragment) in MISTAKES {
        let run = vigil(home.path(), None, args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert_eq!(
            run.stderr.trim_end().lines().count(),
            1,
            "{args:?}: {run:?}"
        );
        assert!(
            run.stderr.contains(fragment),
            "{args:?}: {:?} lacks {fragment:?}",
            run.stderr
        );
        assert!(!run.stderr.contains("as a value, use '--"), "{run:?}");
        assert!(!run.stderr.contains("For more information"), "{run:?}");
    }
}

/// A subcommand's help → (options it lists, options it leaves out).
const HELP: &[(&[&str], &[&str], &[&str])] = &[
    (
        &["keys", "new"],
        &["--json", "--data-dir"],
        &["--l1-url", "--sequencer-url"],
    ),
    (&["keys"], &["--data-dir"], &["--l1-url", "--sequencer-url"]),
    (
        &["devnet"],
        &["--data-dir"],
        &["--l1-url", "--sequencer-url"],
    ),
    (
        &["demo", "fraud"],
        &["--json"],
        &["--l1-url", "--sequencer-url", "--data-dir"],
    ),
    (&["oracle"], &["--sequencer-url"], &["--l1-url"]),
    (&["account"], &["--sequencer-url"], &["--l1-url"]),
    (&["positions"], &["--sequencer-url"], &["--l1-url"]),
    (&["book"], &["--sequencer-url"], &["--l1-url"]),
    (&["tx"], &["--sequencer-url"], &["--l1-url"]),
    (
        &["fills"],
        &[
            "--sequencer-url",
            "--name",
            "--address",
            "--market",
            "--limit",
        ],
        &["--l1-url"],
    ),
    (&["trades"], &["--sequencer-url", "--limit"], &["--l1-url"]),
    (
        &["candles"],
        &["--sequencer-url", "--interval", "--limit"],
        &["--l1-url"],
    ),
    (&["force", "withdraw"], &["--wait", "--timeout-secs"], &[]),
    (
        &["order"],
        &["--l1-url", "--sequencer-url", "--data-dir", "--json"],
        &[],
    ),
    (&["l1", "status"], &["--l1-url"], &[]),
    (&["force", "close"], &["--l1-url", "--sequencer-url"], &[]),
];

#[test]
fn help_lists_global_options_only_where_they_matter() {
    let home = tempfile::tempdir().expect("temp dir");
    for (command, listed, left_out) in HELP {
        let mut args = command.to_vec();
        args.push("--help");
        let help = vigil(home.path(), None, &args).ok();
        for option in *listed {
            assert!(help.contains(option), "{command:?} lacks {option}: {help}");
        }
        for option in *left_out {
            assert!(!help.contains(option), "{command:?} lists {option}: {help}");
        }
    }
    // Left out of the help, still accepted (a script may pass them to every command).
    let run = vigil(
        home.path(),
        None,
        &["keys", "list", "--l1-url", "http://127.0.0.1:9"],
    );
    assert_eq!(run.code, 0, "{run:?}");
}
