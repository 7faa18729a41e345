//! Vectors produced independently of our code by eth-account 0.14.0
//! (`encode_typed_data` + `Account.sign_message`; scripts in docs/PROTOCOL.md Part 2) for every
//! primary type, on domain {Vigil, 1, 31337, 0x5FbDB2315678afecb367f032d93F642f64180aa3},
//! signed with the key in `super::KEY`, except the agent kinds (signed by `super::AGENT_KEY`,
//! the agent the ApproveAgent vector approves). Vectors 14–15 are the dead-man's switch,
//! 20–23 the client-order kinds (their `signer` is the account or its agent).
//! the agent the ApproveAgent vector approves). Vectors 14–15 are the dead-man's switch;
//! vector 16, the options' implied volatility, is signed by the devnet's oracle signer 0.
//!
//! Each message is parsed from the same JSON eth-account signed, through our wire format,
//! so field names and integer handling are checked too.

use super::{AGENT_KEY, KEY, domain, h256, key_from_hex, signature};
use protocol::action::{Action, SignedAction};
use protocol::signing::{
    address_of, recover_signer, sign_action, signing_digest, struct_hash, verify_action,
};

pub struct Vector {
    /// `{"type": …, "message": …}` exactly as given to eth-account.
    pub action: &'static str,
    /// The private key that signed it.
    pub key: &'static str,
    pub struct_hash: &'static str,
    pub digest: &'static str,
    pub signature: &'static str,
}

/// eth-account's domain separator (`SignableMessage.header`).
const DOMAIN_SEPARATOR: &str = "0x61420cb39f00ebfebb7de7f043d6ee29d262489cbe9de3da87540755e0dc70b6";

/// The worked example of docs/PROTOCOL.md Part 2 is the first entry.
pub const VECTORS: &[Vector] = &[
    Vector {
        key: KEY,
        action: r#"{"type":"Order","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":true,
            "price":50000000000,"size":5000,"tif":1,"reduceOnly":false,"nonce":1700000000000,"expiresAt":1700000060000}}"#,
        struct_hash: "0x4dd20d190d6cbb16419b72fe7aae3fb98b0baf9dbe96d5f97ac7188d9e4046dd",
        digest: "0xc12f09760000ed04817c2459f009b407071d8b7f6857a529f5d799b31aaceccf",
        signature: "0x57c871c539964d18bf79dd39ae1799f5b12cdc85e6ea09688a87b8d91baf81b4557f35e07ae63b6049b0b1f2f7f28dedd70cee24bcdd15721010894e98aa8b3d1c",
    },
    Vector {
        key: KEY,
        action: r#"{"type":"Order","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":4294967295,"isBuy":false,
            "price":18446744073709551615,"size":1,"tif":3,"reduceOnly":true,"nonce":0,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0xacbde85ff937df4d0c01bb6b0f1b65ecbac8c2f4f20ea9c7a2bef47b0489b827",
        digest: "0x83be843cee53f8ddca6165861b2633d56fdda56b896cead9fa98e924388a2e62",
        signature: "0xd135a0fe139a415f8c8f81d891446e82d8d0dc0df88765123d84234a3bc0f2433950d769d0d5eac970daea3d3a69636292e8b828b55c10beefd8ab5b1d7cd08e1c",
    },
    // The devnet order: the one an external wallet would send to a fresh `vigil devnet`
    // (never expires, GTC, priced near the devnet's starting BTC price). The client's
    // `external_signature` test posts exactly this signature to a devnet sequencer.
    Vector {
        key: KEY,
        action: r#"{"type":"Order","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":true,
            "price":49000000000,"size":5000,"tif":0,"reduceOnly":false,"nonce":1,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x19b8f3e90b7943b03655da47b377ba2ef1dd4ac2e6c1e520b21101a28ae71bc7",
        digest: "0xc02b43f8aab3c6eb4cbcd23f45d76e329b9db0c3845ed42abd0cb6732b2a1e7e",
        signature: "0xf90ceef0365f19b142aaae33a21c85caad8c772747d0bd5863fb55a46aba946c37b78b0b2fece4aee8f915eb8deefef0c1cb8b49cecf1641a4f0dbdc23e061661b",
    },
    Vector {
        key: KEY,
        action: r#"{"type":"Cancel","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":2,
            "orderNonce":1700000000000,"nonce":1700000000001,"expiresAt":1700000060000}}"#,
        struct_hash: "0x22083982ee26fb9387ddc0a7bb9601e4a1bf79a447b981a2b0b6bb1454e7a705",
        digest: "0x634d026285d734e340cb960edb42f688f5d5177891fa047a1af957aa395391a9",
        signature: "0xf0a1479de43db242553c887960fd1ae6c8bad542e1c398097061be1234b3baec2d6041186aeabfe1cbf94c3b67fcac4f82bb8933ae455d77b59efb520e5c7ac51c",
    },
    Vector {
        key: KEY,
        action: r#"{"type":"CancelAll","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","nonce":42,"expiresAt":1700000060000}}"#,
        struct_hash: "0xf3ef4bb44c7660571ba6da601f121880f12be10a8bd0a83d4001133d6ac22d55",
        digest: "0x7404905f195c91dfe105dee37179437367d0f136ec16160853233c5224c4496e",
        signature: "0xb4bf426c515b83b4a84cee7d7949eb35289dfc4c0aaf17c6c38821bb90170adf35a97278778fc4194bea9c3e3b9f150e288b11e834f69e1c940b767cf1945ba71c",
    },
    Vector {
        key: KEY,
        action: r#"{"type":"Withdraw","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","amount":18446744073709551615,
            "nonce":7,"expiresAt":1700000060000}}"#,
        struct_hash: "0xb0c3464897a60a7248ed15519e8df115297b709daf25ec0ae4d63d3125074377",
        digest: "0x16a87ba80c714b83d020e2d0399f0d1fbb9543330f162a1c7a4a99505aa43bc0",
        signature: "0x5608229555f8822bebb9c46465df03778b36291056a774fe6af8a9131dea8cc40585e30b437f2265560a6af91400e06a7026bae5999087a07541b0374cd6836c1b",
    },
    Vector {
        key: KEY,
        action: r#"{"type":"Liquidate","message":{"liquidator":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
            "account":"0x00000000000000000000000000000000DeaDBeef","market":3,"nonce":9,"expiresAt":1700000060000}}"#,
        struct_hash: "0x37453b71604cd26a61fe077a74785e1334b06ef1ee8354d63f477ea5ee37ae30",
        digest: "0xcbc6d616a598d3f48cd3035efa66906b42be4b7234affebe7d06cf6cfaf42f30",
        signature: "0x51f6f3f99489f71450452d988c8fb4a6ccf4450157d89403fdda79639af860a059c0a1df4f2a1f58dacbba0b33e9d34d007d57db455a3a86047e930d86b599881c",
    },
    Vector {
        key: KEY,
        action: r#"{"type":"PriceUpdate","message":{"market":1,"price":50123456789,"timestampMs":1700000000500}}"#,
        struct_hash: "0x14d4c613e8ab7c6ce0d6e00c3868a6c42ea925148c5210bed56dda4065445749",
        digest: "0xd893fcf4e9be7923ed38155003c6ecef2bfa6da465b64687c39b7873c6c4dcc9",
        signature: "0x946616d5f925c29be4d30f3e9514109c87b5829111de2bc1b877eafb5c440a4c45903db279c72c2053ab63f85c7d4b89f1c03e38cb2aa6e8bd1f3f83ae1cc56d1b",
    },
    // The agent kinds (issue #16). ApproveAgent and AgentOrder are the pair the client's
    // `external_signature` test posts to a devnet: the account approves the agent, then the
    // agent's order rests for the account.
    Vector {
        key: KEY,
        action: r#"{"type":"ApproveAgent","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","agent":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","name":"market maker","validUntil":0,"nonce":2,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x6498282ac45c570be226597c7643a28315d203404341ed6769095b9b0c1ba114",
        digest: "0x18f29053a19b7bf6a919a35db3fd7b574d459c2c443757cf4efdb206acd1be0f",
        signature: "0x5c030e816f7dd4aff3a9a564579cf92e7c0b3137c5958ff48bcdd9f50f86721a199015e886f206cacb3f0d817d4d5eacd9e8acc165b4b01a4616c8e36e19f2e41b",
    },
    Vector {
        key: KEY,
        action: r#"{"type":"RevokeAgent","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","agent":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","nonce":4,"expiresAt":1700000060000}}"#,
        struct_hash: "0xbcdacd7d054d5ca49ad328831f929870c5add921f36a568e75985c5e7649b0eb",
        digest: "0x80a8dfcdba16a02260d674ead538f2873e554d023431105eba3ad4dd0d65ce41",
        signature: "0x3c850e7bbf7f1b3fde1d4537694913c1a38c431013cc2e1d5acea7c95bf6bb77580ae7b5e6e45c8363e7b78c3648ca04dec988f142330f0fa9da5669e3ffe2a01b",
    },
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"AgentOrder","message":{"agent":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":true,"price":49000000000,"size":5000,"tif":0,"reduceOnly":false,"nonce":3,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0xae5e1ad188d87758216c44f4b61abb0cb2696abefcd78bce3ee989a6e4b1cada",
        digest: "0x9b15cccefc7eee243d1bc6bb6d7f0f7e18f76337c08c6b5528ec92c2c80def42",
        signature: "0xf2c7f1e57bd373e57c87efb0a7c62605bf266f3f935f6739ab2025b23fa87a5b39a998f871ebb9d374dd7954d174abdf95fadce50d1d32a2dada10b5c2fef4d11c",
    },
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"AgentCancel","message":{"agent":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"orderNonce":3,"nonce":5,"expiresAt":1700000060000}}"#,
        struct_hash: "0xbb1e206779c01d3508c4e34b32bfe87b118ab68cd859fe70494aed91ea962574",
        digest: "0x0ea49e7d78c771fbf77e7a2318498673fd47742e54af911f0b65e35458f6f21f",
        signature: "0x074a19105fcd219ac98fbdb5f6f13f46f455a9d1022e8da668c7333b404db33e6d0fd94f001cfbd951880fb82736a1fe06d24d5dfbaccb65a058ced18cb0d5da1c",
    },
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"AgentCancelAll","message":{"agent":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","nonce":6,"expiresAt":1700000060000}}"#,
        struct_hash: "0x590f3f4c7993bce0594f97c49706b0a5dd3010acba802ecbbf26fd29ce043049",
        digest: "0x6cfdf2fcfa8c54339f40db8715e85eae9d926556b50b7a1e94dfde1a770eb54c",
        signature: "0xa5d56c785c722105953ad22bc0909546f36a6c5fcce8a08dd8685810b6e64098701c7eaf394768f6c95c72a8ada7819d3145a0db0864b97aa93ffcc2eebb9f021c",
    },
    // The dead-man's switch (issue #16): the account sets it for 2100-01-01, then its agent
    // clears it. The client's `external_signature` test posts both to a devnet.
    Vector {
        key: KEY,
        action: r#"{"type":"ScheduleCancel","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","time":4102444800000,"nonce":7,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x8b4abdaa26ee26bcea1717b32c333c0a379b77b5fc56ced763473382cd26402d",
        digest: "0x2a1c733a8927e686ff022175502383e76b81352111344e70f7b2d60248133cd1",
        signature: "0x68d647817f337d29fab0119d5dcdeda991bb30b0fe23764ef0693d2e8b0eafe154efb08ee1161e97561c8f8f03eae069cb795778decd3b6068729e0cc715a3d31c",
    },
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"AgentScheduleCancel","message":{"agent":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","time":0,"nonce":8,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x5c3360849c68403cfe9989b44056c300c88f395f885a8e72eade2b73f6127165",
        digest: "0x17c4a062012d24c44777bf006c1f10b059804c7535d5fb6048da83a0e300df53",
        signature: "0xe34b5cb3ce5f3ab7aed40f38fdc7ad4101487b66ca6d1a8a33df58609e250d191af7329003a3bf35628fd0cf773ea3e3f575d2b59c2a52fbfbce385c012c62a21b",
    },
    // Vectors 20–23: the client-order kinds (issue #16), signed by the account or by its
    // agent (the key of vectors 11–13); client ids above 2^64 travel as decimal strings.
    Vector {
        key: KEY,
        action: r#"{"type":"ClientOrder","message":{"signer":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":true,"price":48000000000,"size":1000,"tif":0,"reduceOnly":false,"clientId":"170141183460469231731687303715884105733","nonce":20,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x64528d0b22dde9852fcdfd504110b70c4608557e1dba6b88be82a39c55f5b6e2",
        digest: "0xc4c555e8840889f7dd350b5ab5785d01d9c592f6e1d5250c7808cbc4b2e96a32",
        signature: "0x12c0a0274b22a3c895c5f581b1203fcd09dbab9bb02fd682dc1ee220493c7dc7028b68cf6c69e99cc2f33d8c4ea1e576209351299e85f0d9f7aca91632000b6c1c",
    },
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"ClientOrder","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":true,"price":47000000000,"size":1000,"tif":0,"reduceOnly":false,"clientId":"21","nonce":21,"expiresAt":4102444800000}}"#,
        struct_hash: "0x62992d2485c9f37056b35d176c33f5a2912cc78ee449b4833f2a66e5fd075e42",
        digest: "0x646ad317c89edb83d052ecb807b90c15ae46bf392662acfee1b66c304c9304e2",
        signature: "0x5ac45f79aa3e08c5bd1779d4dce43b9fe2c4e5a9b00cc4773010abf583cd6a71707980a348edf67e038ec016d946b5ea779ba5577960b88f22baff6638c6a8fe1c",
    },
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"ModifyOrder","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","clientId":"21","price":47500000000,"size":500,"nonce":22,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x7f7c3e9c55a008dc06303ac28c9865382f06c86a6929994453e071308a59e32d",
        digest: "0xcaef897767815632114ad7ff848768af4196d0d7be4b8631c86105b0ed0c5899",
        signature: "0xaf4bc7062cdc8d4aa0f0d3af9814519da976e4a177e13cb65c67d17ec6d6b38631f5808eabb6b5e67c07ce0c39dbcdba8665c6546662c10c0d8b85dd95e188de1c",
    },
    Vector {
        key: KEY,
        action: r#"{"type":"CancelByClientId","message":{"signer":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","clientId":"170141183460469231731687303715884105733","nonce":23,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x7e823a74d045cfc9dd16ee3125eefad0451c8b4fbeafe37fb585370967322d8c",
        digest: "0x9b7c6ad5b62d3b89c5c34d9e5f6814d92ca120c6cd1069d6a21cfa29a1bfd320",
        signature: "0x012962716abc3561aaef5bb9fd04ac54533c4bffc8ebc6fc211791b70a5943a446411e9f7bd63aa00aa07c16e5e715942b47dcbcbef44526e12819a613efddbc1c",
    },
    // Trigger orders and TP/SL (issue #16; vectors 24-26): the account's stop-limit, its
    // agent's take-profit (the `signer` field names the agent), and the account's TP/SL.
    // The client's `external_signature` test posts all three to a devnet.
    Vector {
        key: KEY,
        action: r#"{"type":"TriggerOrder","message":{"signer":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":false,"kind":1,"triggerPrice":45000000000,"price":44900000000,"size":5000,"reduceOnly":false,"nonce":9,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x0e40785ed49a5ae570a84de86552991469d0e5247e6c60fd4fa635d4f1d24b25",
        digest: "0x31f389173d0ae97edaaae3462949a978ebd9608355c68f37e5b980beade92242",
        signature: "0xb14a9525d881c4960cf0dd9b9c02dbdbc3c204375426c0007222094960962fd477ce6d52c3755875db5783f0ec11f25b27e046a1f8b11ba8d4fb178a247dd8fa1c",
    },
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"TriggerOrder","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":false,"kind":2,"triggerPrice":60000000000,"price":0,"size":5000,"reduceOnly":true,"nonce":10,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x3bac7dc435484f3257dc184733fd2704a9fafd96ee52e55c6234a77fdddc0c69",
        digest: "0x0f0fd8cd23a933d3ef973d4d5c5c22467c95149d53753d0cecfac6b81d3b1ad5",
        signature: "0xe799d5516a7517d5af653d4bd88eebbcf0a1b932dccec11b9c4b7d3f47b7a15e66b2393cc3a73a90ddaf05e9309629ea96db22fb9e5dc2a298516f0a25967f521c",
    },
    Vector {
        key: KEY,
        action: r#"{"type":"TpSl","message":{"signer":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"takeProfit":55000000000,"stopLoss":45000000000,"nonce":11,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x731a2e7779bce4f71ca369968bedf87caf3db06d8ea54e2a2e6ec033da92253c",
        digest: "0xe97dbb83d308714bbe8dbc1dde26e3365916466871962a716ad04f5af90f4cc5",
        signature: "0x5931ceabefa852cda16f2ae299c30d7d16f548daf7ba95751f2b8de003ec4738149beecf0efaa50c978984507608b13fd8851820049a7dc4b274851a759f3fe11c",
    },
    // Leverage (issue #16; vectors 30-31): a flat account's 5x in BTC-PERP (the key of
    // keccak256("flat"): no orders or positions, so a devnet accepts it) and the account's
    // agent's 3x in ETH-PERP (`signer` names the agent). The client's
    // `external_signature` test posts both to a devnet.
    Vector {
        key: "0x21dbf9b4473f010a30f7beea2a54481f9275662a304852d08dee18ba8252494c",
        action: r#"{"type":"SetLeverage","message":{"signer":"0x481a1E1D28653Cd5d48D32eb20F1aB90d1F2a3e8","account":"0x481a1E1D28653Cd5d48D32eb20F1aB90d1F2a3e8","market":1,"leverage":5,"nonce":30,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0xcb9916879c579f6e6bf501bfb84cab271be0f0620da1fd0b8fe8c7ea573eeb1a",
        digest: "0xf5c2849768d5d64a42df038b90681dd82dabbc1aca98d0f89aae05d537faf6a6",
        signature: "0xe35246f3783e7e21244d0e9ec48783221260d1efc6af6e3f2b84e16504593c9453a108bbc4f02e6f73ea323b74e2009ca4ef9ac43a2537e00dd352e4fb12c67a1b",
    },
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"SetLeverage","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":2,"leverage":3,"nonce":31,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x3c7c994e8e084fca075cd013e17cda950c93f5d6b3cc5ceacbab570586ba060a",
        digest: "0xabd81d90f808b147ad8905757bc8f963400bef7947375bcaa1b148e7cdd74a37",
        signature: "0x3f1f7301f123cd9037095cd9022d4cbbeb2c3e9c33127af44b9e31cb722563dd14928732a41d15ed2d044bece1604d06931e46638f8e01218d8f0c1e7f6166d01c",
    },
    // Margin modes and isolated margin (issue #16; vectors 32-35): the flat account's and
    // (by its agent) the account's ETH-PERP set to isolated, then the account's add of 25
    // USDC and its agent's removal of 10 (script in docs/PROTOCOL.md Part 2 §8.7). The
    // client's `external_signature` test posts all four to a devnet.
    Vector {
        key: "0x21dbf9b4473f010a30f7beea2a54481f9275662a304852d08dee18ba8252494c",
        action: r#"{"type":"SetMarginMode","message":{"signer":"0x481a1E1D28653Cd5d48D32eb20F1aB90d1F2a3e8","account":"0x481a1E1D28653Cd5d48D32eb20F1aB90d1F2a3e8","market":2,"isolated":true,"nonce":32,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x941310dcd6f6b2809e19479c187437d04cf7438d2e75614aa4c3e0e7ddc6ae02",
        digest: "0xb6cd6364a587ecb234ce7015bcf1a82126638da1307419bc123e480e8ab5ae47",
        signature: "0x897edf746527438e0df556c1767f19e514be9f9774746a39d366cb81b66d3eaf638d2ab6e6e7053a5a873f3e4c75189ed23ac5468d90a7e460a08c04949e24931b",
    },
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"SetMarginMode","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":2,"isolated":true,"nonce":33,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0xc7aa17ec79541d8f16bcb7985f1d6d31c057f3eb7a2d11bfca89afc3a59ba725",
        digest: "0x420b95ba8ea24b97264609cdb71e33cf5f49527f2504817748a845fffca2c117",
        signature: "0x7ff7d8557703e09637bea015041f37f7abd53227bc99ff40651b20b22c6eddc70506f1642489a2d3344fc57f66df33462b15ea5cd3761b71884e499a39f5a6551b",
    },
    Vector {
        key: KEY,
        action: r#"{"type":"IsolatedMargin","message":{"signer":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":2,"isAdd":true,"amount":25000000,"nonce":34,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x7334a9a3cce04c9d371a94ef96b07c830007ae0ab70334412c783370f74ad6a1",
        digest: "0x61f30be0ca50d2c446447f4d73c870e2bc4161f19b03b94daad828429c02edf8",
        signature: "0x5cdd816909a6f1c0c5b50e5249268ed8990540af9bb7e912343e5977bf7371ce01ccff6a7487c0f4c460e823229a0b92621badb4a5935c3a41553dd23d8b119c1b",
    },
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"IsolatedMargin","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":2,"isAdd":false,"amount":10000000,"nonce":35,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0x360f04a241343567dd90a3b3c02abe40a946388cd18b501fe5a423ab2b8f54d8",
        digest: "0xbeff844b05fdcab285621317363b8ef21acada26eaae49d3440e63e63d7dbb01",
        signature: "0x4a56721db399017613c8dd3f3d904f100b8e890d741046ce4e0df0d4035e8fe36ff6870b7ad049f1e16822507df342df131581b546beb09961dd40d01c99c0111b",
    },
    // Vector 36, a bulk modify (issue #16, Part 4 §27): the account's agent moves the
    // account's devnet bid (order 1, by market and nonce) to 48,500 and shrinks the agent's
    // bid (client id 21) in place. `items` is an EIP-712 array of `ModifyItem` structs.
    // The client's `external_signature` test posts it to a devnet.
    Vector {
        key: AGENT_KEY,
        action: r#"{"type":"BulkModify","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","items":[{"market":1,"orderNonce":1,"clientId":0,"price":48500000000,"size":0},{"market":0,"orderNonce":0,"clientId":21,"price":0,"size":400}],"nonce":36,"expiresAt":18446744073709551615}}"#,
        struct_hash: "0xb5192ad75fa52022c89b5c6b6fdb39d48c6a44e8fdea33caf3aa0f78e5e6a710",
        digest: "0x7f9d59bbb0a081ef46a2c378a98059f7d3749d8dbcdc16b69e65e7dfdd58da6d",
        signature: "0x0cc7100e87aacc5c01bb7c42160bc6adab7c1c630fcc875593099f02277e48c45edf6f2b8a7e644a5b41409c654f6779fa130048d4f5017cc51454fc3e2b5eca1b",
    },
    // The options' implied volatility (issue #20), signed by the devnet's oracle signer 0
    // (the key of keccak256("vigil devnet oracle"), Part 4 §12). The client's
    // `external_signature` test posts it to a devnet.
    Vector {
        key: "0x7f3ef9fd150be6e0db27b4a5f31f82814919b097b1b53fa9bc337d6387ed8313",
        action: r#"{"type":"ImpliedVolUpdate","message":{"market":1,"volPpm":800000,"timestampMs":1780272000000}}"#,
        struct_hash: "0x8336675e7c4953fb1c7aac82c9ebc53a46efbea579e40a4c77f153efd19cbf8f",
        digest: "0x6ac64cded2f78a2d5ed05eb539d727761c2bd72371750f0649b44e4109416820",
        signature: "0xc3a91aed95486960d5790a3a6eaf75f4d721da21f6b4ee6848023b251949f5975b6d90aef2f5fe36be4504391fec844acb7ca58b553c2d57ca00f8536fa2f1b91b",
    },
];

#[test]
fn domain_separator_matches_eth_account() {
    assert_eq!(domain(), h256(DOMAIN_SEPARATOR));
}

#[test]
fn every_primary_type_matches_eth_account() {
    let mut seen = std::collections::BTreeSet::new();
    for v in VECTORS {
        let action: Action = serde_json::from_str(v.action).expect("vector JSON is a valid action");
        let name = action.type_name();
        seen.insert(name);
        assert_eq!(
            struct_hash(&action),
            h256(v.struct_hash),
            "{name} struct hash"
        );
        let digest = signing_digest(&action, &domain());
        assert_eq!(digest, h256(v.digest), "{name} digest");

        // Their signature recovers to the key's address and verifies as a signed action
        // (the vectors' PriceUpdate is signed by the same key, playing the oracle).
        let key = key_from_hex(v.key);
        let address = address_of(&key);
        let theirs = signature(v.signature);
        assert_eq!(
            recover_signer(&digest, &theirs),
            Ok(address),
            "{name} recovery"
        );
        let signed = SignedAction {
            action: action.clone(),
            signature: theirs,
        };
        assert_eq!(
            verify_action(&signed, &domain(), &[address]),
            Ok(address),
            "{name} verify"
        );

        // RFC 6979 with low-S on both sides: our signature is byte-identical.
        assert_eq!(
            sign_action(&key, action, &domain()),
            signed,
            "{name} signature"
        );
    }
    assert_eq!(
        seen.len(),
        protocol::action::ActionKind::TABLE.len(),
        "a vector for each primary type: {seen:?}"
    );
}
