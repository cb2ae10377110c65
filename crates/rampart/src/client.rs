//! A gRPC client that adds the bearer token and organisation to every request.

use anyhow::Context;
use rampart_proto::v1::asset_service_client::AssetServiceClient;
use rampart_proto::v1::audit_service_client::AuditServiceClient;
use rampart_proto::v1::classification_service_client::ClassificationServiceClient;
use rampart_proto::v1::organisation_service_client::OrganisationServiceClient;
use rampart_proto::v1::token_service_client::TokenServiceClient;
use rampart_proto::v1::user_service_client::UserServiceClient;
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use crate::config::ClientSettings;

pub struct Client {
    channel: Channel,
    token: MetadataValue<tonic::metadata::Ascii>,
    org: Option<MetadataValue<tonic::metadata::Ascii>>,
}

impl Client {
    pub async fn connect(settings: &ClientSettings) -> anyhow::Result<Client> {
        let channel = Channel::from_shared(settings.server.clone())
            .with_context(|| format!("'{}' is not a server address", settings.server))?
            .connect()
            .await
            .with_context(|| {
                format!(
                    "cannot reach the Rampart server at {} (is `rampart serve` running?)",
                    settings.server
                )
            })?;
        let token = format!("Bearer {}", settings.token)
            .parse()
            .context("the token holds characters a header cannot carry")?;
        let org = if settings.org.is_empty() {
            None
        } else {
            Some(
                settings
                    .org
                    .parse()
                    .context("the organisation holds characters a header cannot carry")?,
            )
        };
        Ok(Client {
            channel,
            token,
            org,
        })
    }

    /// Wraps a message with the credentials and organisation headers.
    pub fn req<T>(&self, msg: T) -> Request<T> {
        let mut r = Request::new(msg);
        r.metadata_mut().insert("authorization", self.token.clone());
        if let Some(org) = &self.org {
            r.metadata_mut()
                .insert(rampart_server_header(), org.clone());
        }
        r
    }

    pub fn organisations(&self) -> OrganisationServiceClient<Channel> {
        OrganisationServiceClient::new(self.channel.clone())
    }
    pub fn users(&self) -> UserServiceClient<Channel> {
        UserServiceClient::new(self.channel.clone())
    }
    pub fn tokens(&self) -> TokenServiceClient<Channel> {
        TokenServiceClient::new(self.channel.clone())
    }
    pub fn assets(&self) -> AssetServiceClient<Channel> {
        AssetServiceClient::new(self.channel.clone())
    }
    pub fn classification(&self) -> ClassificationServiceClient<Channel> {
        ClassificationServiceClient::new(self.channel.clone())
    }
    pub fn audit(&self) -> AuditServiceClient<Channel> {
        AuditServiceClient::new(self.channel.clone())
    }
    pub fn documents(
        &self,
    ) -> rampart_proto::v1::document_service_client::DocumentServiceClient<Channel> {
        rampart_proto::v1::document_service_client::DocumentServiceClient::new(self.channel.clone())
            .max_decoding_message_size(16 * 1024 * 1024)
    }
    pub fn policies(
        &self,
    ) -> rampart_proto::v1::policy_service_client::PolicyServiceClient<Channel> {
        rampart_proto::v1::policy_service_client::PolicyServiceClient::new(self.channel.clone())
            .max_decoding_message_size(16 * 1024 * 1024)
    }
    pub fn frameworks(
        &self,
    ) -> rampart_proto::v1::framework_service_client::FrameworkServiceClient<Channel> {
        rampart_proto::v1::framework_service_client::FrameworkServiceClient::new(
            self.channel.clone(),
        )
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(rampart_server::MAX_IMPORT_BYTES)
    }
    pub fn risks(&self) -> rampart_proto::v1::risk_service_client::RiskServiceClient<Channel> {
        rampart_proto::v1::risk_service_client::RiskServiceClient::new(self.channel.clone())
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(rampart_server::MAX_IMPORT_BYTES)
    }
    pub fn tasks(&self) -> rampart_proto::v1::task_service_client::TaskServiceClient<Channel> {
        rampart_proto::v1::task_service_client::TaskServiceClient::new(self.channel.clone())
    }
    pub fn clock(&self) -> rampart_proto::v1::clock_service_client::ClockServiceClient<Channel> {
        rampart_proto::v1::clock_service_client::ClockServiceClient::new(self.channel.clone())
    }
    pub fn implementation(
        &self,
    ) -> rampart_proto::v1::implementation_service_client::ImplementationServiceClient<Channel>
    {
        rampart_proto::v1::implementation_service_client::ImplementationServiceClient::new(
            self.channel.clone(),
        )
    }
    pub fn responsibilities(
        &self,
    ) -> rampart_proto::v1::responsibility_service_client::ResponsibilityServiceClient<Channel>
    {
        rampart_proto::v1::responsibility_service_client::ResponsibilityServiceClient::new(
            self.channel.clone(),
        )
    }

    pub fn training(
        &self,
    ) -> rampart_proto::v1::training_service_client::TrainingServiceClient<Channel> {
        rampart_proto::v1::training_service_client::TrainingServiceClient::new(self.channel.clone())
    }

    pub fn objectives(
        &self,
    ) -> rampart_proto::v1::objective_service_client::ObjectiveServiceClient<Channel> {
        rampart_proto::v1::objective_service_client::ObjectiveServiceClient::new(
            self.channel.clone(),
        )
    }
    pub fn management_reviews(
        &self,
    ) -> rampart_proto::v1::management_review_service_client::ManagementReviewServiceClient<Channel>
    {
        rampart_proto::v1::management_review_service_client::ManagementReviewServiceClient::new(
            self.channel.clone(),
        )
    }
    pub fn internal_audits(
        &self,
    ) -> rampart_proto::v1::internal_audit_service_client::InternalAuditServiceClient<Channel> {
        rampart_proto::v1::internal_audit_service_client::InternalAuditServiceClient::new(
            self.channel.clone(),
        )
    }
    pub fn plugins(
        &self,
    ) -> rampart_proto::v1::plugin_service_client::PluginServiceClient<Channel> {
        rampart_proto::v1::plugin_service_client::PluginServiceClient::new(self.channel.clone())
    }
}

fn rampart_server_header() -> &'static str {
    rampart_server::ORGANISATION_HEADER
}

/// A gRPC status as a message for people: the code's meaning and the server's words.
pub fn explain(status: tonic::Status) -> anyhow::Error {
    use tonic::Code::*;
    let hint = match status.code() {
        Unauthenticated => " (check RAMPART_TOKEN)",
        PermissionDenied => " (ask an administrator, or use a token with the right role)",
        Aborted => " (someone changed it first: read it again and retry)",
        ResourceExhausted => " (the plugin broke a sandbox limit; the server is fine)",
        Unavailable => " (is the server running?)",
        _ => "",
    };
    anyhow::anyhow!("{:?}: {}{}", status.code(), status.message(), hint)
}
