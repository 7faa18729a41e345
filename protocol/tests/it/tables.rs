//! The enumerated facts of the protocol, each kept in one table, checked by enumerating
//! the table: `Fault::TABLE` (journal codes, names, parsing) and `ActionKind::TABLE`
//! (encoding tags, EIP-712 type strings and hashes, forced inclusion, key bounds). Nothing
//! here hard-codes how many rows a table has.

use protocol::fault::Fault;
use std::collections::BTreeSet;

#[test]
fn fault_codes_are_one_based_unique_and_round_trip() {
    for (i, row) in Fault::TABLE.iter().enumerate() {
        let fault = row.fault;
        assert_eq!(
            usize::from(fault.code()),
            i + 1,
            "{fault}: rows in code order"
        );
        assert_eq!(Fault::from_code(fault.code()), Some(fault));
        assert_eq!(fault.row(), row);
        assert_eq!(Fault::ALL[i], fault);
    }
    assert_eq!(Fault::ALL.len(), Fault::TABLE.len());
    assert_eq!(Fault::from_code(0), None, "0 is the journal's 'no fault'");
    let past = u8::try_from(Fault::TABLE.len() + 1).unwrap();
    assert_eq!(Fault::from_code(past), None);
}

#[test]
fn fault_names_are_unique_and_parse_display_and_serialize_alike() {
    let names: BTreeSet<_> = Fault::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(names.len(), Fault::ALL.len(), "names unique");
    for fault in Fault::ALL {
        assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
        assert_eq!(fault.to_string(), fault.name());
        assert_eq!(
            serde_json::to_value(fault).unwrap(),
            serde_json::json!(fault.name())
        );
        assert!(!fault.effect().is_empty(), "{fault}: says what it does");
        assert!(Fault::names().contains(fault.name()));
    }
    let err = "steal".parse::<Fault>().unwrap_err();
    assert!(err.starts_with("unknown fault \"steal\""), "{err}");
    assert!(err.ends_with(&Fault::names()), "{err}");
}

#[test]
fn only_wrong_root_leaves_the_state_alone() {
    for fault in Fault::ALL {
        assert_eq!(fault.corrupts_state(), fault != Fault::WrongRoot, "{fault}");
    }
}
