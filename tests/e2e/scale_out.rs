//! Two `rampart serve` processes on `ws://` against one real SurrealDB server serve the same
//! organisation: what one writes the other reads, and conflicting updates are refused.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::harness::{Server, asset_request, organisation};

/// A SurrealDB server (the `surreal` binary built from the surrealdb-server crate by
/// `cargo xtask test`, found through RAMPART_SURREAL_BIN) on a free loopback port.
struct SurrealDb {
    child: Child,
    port: u16,
}

impl SurrealDb {
    fn start() -> SurrealDb {
        let bin = std::env::var("RAMPART_SURREAL_BIN")
            .expect("RAMPART_SURREAL_BIN must name a `surreal` binary: run this test through `cargo xtask test`");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .args([
                "start",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--user",
                "root",
                "--pass",
                "root",
                "memory",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start surreal");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "SurrealDB did not start listening on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        SurrealDb { child, port }
    }

    fn rampart(&self) -> Server {
        Server::start_with(
            format!("ws://127.0.0.1:{}", self.port),
            None,
            &["--db-user", "root", "--db-pass", "root"],
        )
    }
}

impl Drop for SurrealDb {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

#[tokio::test]
#[ignore = "needs a SurrealDB server binary: run through `cargo xtask test`"]
async fn two_servers_share_one_surrealdb() {
    let surreal = SurrealDb::start();
    let a = surreal.rampart();
    let b = surreal.rampart();
    let (maria_a, _bob, _dana) = organisation(&a, "acme").await;
    // The same token works on both: tokens live in the shared database.
    let maria_b = b.client(maria_a.token(), "").await;

    let created = maria_a
        .assets()
        .create_asset(maria_a.req(asset_request("Shared", "email", "maria")))
        .await
        .unwrap()
        .into_inner();
    let seen = maria_b
        .assets()
        .get_asset(maria_b.req(pb::GetAssetRequest {
            id: created.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seen.name, "Shared");

    // Both read revision 1; the update through A lands, the one through B is refused.
    let update = |name: &str| pb::UpdateAssetRequest {
        id: created.id.clone(),
        expected_revision: 1,
        name: name.into(),
        asset_type: created.asset_type.clone(),
        owner: created.owner.clone(),
        location: created.location.clone(),
        description: String::new(),
        cia: created.cia,
        lifecycle: created.lifecycle.clone(),
    };
    maria_a
        .assets()
        .update_asset(maria_a.req(update("via A")))
        .await
        .unwrap();
    // B read the asset before A changed it, and serves A's change at once: on ws:// no server
    // keeps reads (another one may write).
    let now = maria_b.asset(&created.id).await;
    assert_eq!((now.name.as_str(), now.revision), ("via A", 2));
    let e = maria_b
        .assets()
        .update_asset(maria_b.req(update("via B")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Aborted, "{}", e.message());
    let now = maria_b.asset(&created.id).await;
    assert_eq!((now.name.as_str(), now.revision), ("via A", 2));

    // Writers on both servers at once extend one audit chain without gaps or forks.
    let mut tasks = Vec::new();
    for (n, c) in [maria_a.clone(), maria_b.clone()].into_iter().enumerate() {
        for w in 0..4 {
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..5 {
                    c.assets()
                        .create_asset(c.req(asset_request(
                            &format!("s{n}w{w}i{i}"),
                            "email",
                            "maria",
                        )))
                        .await
                        .unwrap();
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let list = maria_b
        .assets()
        .list_assets(maria_b.req(pb::ListAssetsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.assets.len(), 41);
    let verify = maria_a
        .audit()
        .verify_chain(maria_a.req(pb::VerifyChainRequest { system: false }))
        .await
        .unwrap()
        .into_inner();
    assert!(verify.intact, "{}", verify.reason);
    // scheme + 3 users + create + update + 40 creates
    assert_eq!(verify.verified_events, 46);
}
