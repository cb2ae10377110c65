"""An integrator's view of Rampart: list and create assets over gRPC with stubs generated from
proto/ (grpcio-tools). Run it against a live server:

    RAMPART_SERVER=127.0.0.1:50051 RAMPART_TOKEN=... python assets_client.py

With --setup ORG it first acts as an operator: creates organisation ORG, a user and their token,
then continues as that user (this is what CI does against a fresh server).
"""

import os
import sys

import grpc

from rampart.v1 import assets_pb2, assets_pb2_grpc
from rampart.v1 import classification_pb2, classification_pb2_grpc
from rampart.v1 import organisations_pb2, organisations_pb2_grpc
from rampart.v1 import users_pb2, users_pb2_grpc


def metadata(token, org=""):
    md = [("authorization", f"Bearer {token}")]
    if org:
        md.append(("x-rampart-organisation", org))
    return md


def setup(channel, operator_token, org):
    """As an operator: an organisation, its ISMS manager, and a token for them."""
    orgs = organisations_pb2_grpc.OrganisationServiceStub(channel)
    orgs.CreateOrganisation(
        organisations_pb2.CreateOrganisationRequest(id=org, name=f"{org} Inc", employees=12),
        metadata=metadata(operator_token),
    )
    users = users_pb2_grpc.UserServiceStub(channel)
    users.CreateUser(
        users_pb2.CreateUserRequest(id="ivy", display_name="Ivy Integrator", roles=["isms-manager"]),
        metadata=metadata(operator_token, org),
    )
    tokens = users_pb2_grpc.TokenServiceStub(channel)
    created = tokens.CreateToken(
        users_pb2.CreateTokenRequest(user_id="ivy", label="python example"),
        metadata=metadata(operator_token, org),
    )
    return created.secret


def main():
    server = os.environ.get("RAMPART_SERVER", "127.0.0.1:50051")
    token = os.environ["RAMPART_TOKEN"]
    channel = grpc.insecure_channel(server)
    if len(sys.argv) == 3 and sys.argv[1] == "--setup":
        token = setup(channel, token, sys.argv[2])

    assets = assets_pb2_grpc.AssetServiceStub(channel)
    created = assets.CreateAsset(
        assets_pb2.CreateAssetRequest(
            name="Customer export (CSV)",
            asset_type="electronic-document",
            owner="ivy",
            location="Shared drive",
            cia=assets_pb2.Cia(confidentiality=4, integrity=3, availability=2),
        ),
        metadata=metadata(token),
    )
    print(f"created asset {created.id} at revision {created.revision}")

    classification = classification_pb2_grpc.ClassificationServiceStub(channel)
    classified = classification.ClassifyAsset(
        classification_pb2.ClassifyAssetRequest(
            asset_id=created.id, expected_revision=created.revision, level="confidential", reason="customer data"
        ),
        metadata=metadata(token),
    )
    print(f"classified as {classified.classification.level_name}")

    # A stale revision is refused with ABORTED: the integrator re-reads and retries.
    try:
        classification.ClassifyAsset(
            classification_pb2.ClassifyAssetRequest(
                asset_id=created.id, expected_revision=created.revision, level="internal", reason="stale"
            ),
            metadata=metadata(token),
        )
        raise SystemExit("a stale revision was accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.ABORTED, e
        print("stale update refused: ABORTED")

    page_token = ""
    names = []
    while True:
        page = assets.ListAssets(
            assets_pb2.ListAssetsRequest(page_size=50, page_token=page_token), metadata=metadata(token)
        )
        names.extend(a.name for a in page.assets)
        page_token = page.next_page_token
        if not page_token:
            break
    print(f"{len(names)} assets: {', '.join(names)}")
    assert "Customer export (CSV)" in names


if __name__ == "__main__":
    main()
