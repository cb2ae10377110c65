//! Two organisations on one server never see each other's data.

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::harness::{Server, asset_request, organisation};

#[tokio::test]
async fn organisations_are_isolated() {
    let server = Server::memory();
    let (acme, _, _) = organisation(&server, "acme").await;
    let (globex, _, _) = organisation(&server, "globex").await;
    let secret = acme
        .assets()
        .create_asset(acme.req(asset_request("Acme secret", "email", "maria")))
        .await
        .unwrap()
        .into_inner();
    globex
        .assets()
        .create_asset(globex.req(asset_request("Globex plan", "email", "maria")))
        .await
        .unwrap();

    // Each sees only its own register.
    let names = |c: &crate::harness::Client| {
        let c = c.clone();
        async move {
            c.assets()
                .list_assets(c.req(pb::ListAssetsRequest::default()))
                .await
                .unwrap()
                .into_inner()
                .assets
                .into_iter()
                .map(|a| a.name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names(&acme).await, vec!["Acme secret"]);
    assert_eq!(names(&globex).await, vec!["Globex plan"]);

    // Globex's ISMS manager asking for Acme's organisation is refused by the isolation policy.
    let snooping = globex.in_org("acme");
    let e = snooping
        .assets()
        .list_assets(snooping.req(pb::ListAssetsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{}", e.message());
    assert!(
        e.message().contains("organisation-isolation"),
        "{}",
        e.message()
    );
    let e = snooping
        .assets()
        .get_asset(snooping.req(pb::GetAssetRequest {
            id: secret.id.clone(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    // An asset id from the other organisation is simply not there in one's own.
    let e = globex
        .assets()
        .get_asset(globex.req(pb::GetAssetRequest {
            id: secret.id.clone(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = snooping
        .audit()
        .list_events(snooping.req(pb::ListEventsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    // Users see only their own organisation in the list.
    let orgs = globex
        .orgs()
        .list_organisations(globex.req(pb::ListOrganisationsRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        orgs.organisations
            .iter()
            .map(|o| o.id.as_str())
            .collect::<Vec<_>>(),
        vec!["globex"]
    );
}
