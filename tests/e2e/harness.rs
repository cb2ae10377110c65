//! Starting and stopping real servers, and clients for them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rampart_proto::v1 as pb;
use rampart_proto::v1::asset_service_client::AssetServiceClient;
use rampart_proto::v1::audit_service_client::AuditServiceClient;
use rampart_proto::v1::classification_service_client::ClassificationServiceClient;
use rampart_proto::v1::organisation_service_client::OrganisationServiceClient;
use rampart_proto::v1::token_service_client::TokenServiceClient;
use rampart_proto::v1::user_service_client::UserServiceClient;
use tonic::Request;
use tonic::transport::Channel;

/// The operator token every test server is bootstrapped with.
pub const OPERATOR_TOKEN: &str = "rmp_e2e_operator_token_0123456789abcdef0123456789abcdef";

pub struct Server {
    child: Option<Child>,
    pub addr: String,
    pub db: String,
    _dir: Option<tempfile::TempDir>,
    /// The extra `serve` arguments, kept for a restart.
    extra: Vec<String>,
}

impl Server {
    /// A server over `mem://`.
    pub fn memory() -> Server {
        Server::start_on("mem://".into(), None)
    }

    /// A server over `surrealkv://` in a new temporary directory.
    pub fn disk() -> Server {
        Server::disk_with(&[])
    }

    /// A server over `surrealkv://` in a new temporary directory, with extra `serve` arguments.
    pub fn disk_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = format!("surrealkv://{}", dir.path().join("data").display());
        Server::start_with(db, Some(dir), extra)
    }

    /// A server over `mem://` with the shipped plugins, the test plugins, a 500 ms CPU budget,
    /// and a directory for installed plugins. The component cache is shared between test runs.
    pub fn with_plugins() -> Server {
        Server::with_plugins_and(&[])
    }

    /// A server with a clock operators move forward and no task generation of its own (tests
    /// move the clock, which generates what fell due).
    pub fn with_simulated_clock() -> Server {
        Server::with_plugins_and(&["--simulated-clock", "--task-interval-s", "0"])
    }

    /// [`Server::with_plugins`] with more `serve` arguments.
    pub fn with_plugins_and(more: &[&str]) -> Server {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = tempfile::tempdir().unwrap();
        let shipped = format!(
            "{},{}",
            root.join("plugins").display(),
            root.join("tests/plugins").display()
        );
        let installed = dir.path().join("installed").display().to_string();
        let cache = root
            .join("target/e2e-component-cache")
            .display()
            .to_string();
        Server::start_with(
            "mem://".into(),
            Some(dir),
            &[
                "--plugins",
                &shipped,
                "--installed-plugins",
                &installed,
                "--plugin-cache",
                &cache,
                "--plugin-cpu-ms",
                "500",
            ]
            .into_iter()
            .chain(more.iter().copied())
            .collect::<Vec<_>>(),
        )
    }

    pub fn start_on(db: String, dir: Option<tempfile::TempDir>) -> Server {
        Server::start_with(db, dir, &[])
    }

    /// A server on `db` with extra `serve` arguments (e.g. database credentials).
    pub fn start_with(db: String, dir: Option<tempfile::TempDir>, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db", &db])
            .args(extra)
            .env("RAMPART_BOOTSTRAP_TOKEN", OPERATOR_TOKEN)
            .env("RAMPART_LOG", "warn")
            .env_remove("RAMPART_CONFIG")
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rampart serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix("rampart listening on ") {
                        break rest.split_whitespace().next().expect("address").to_string();
                    }
                }
                _ => {
                    let status = child.wait().expect("wait");
                    panic!("rampart serve exited before listening ({status})");
                }
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child: Some(child),
            addr,
            db,
            _dir: dir,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Stops the server (SIGTERM, waiting for it) and starts a new one on the same database.
    pub fn restart(mut self) -> Server {
        let dir = self._dir.take();
        let db = self.db.clone();
        let extra = std::mem::take(&mut self.extra);
        self.stop();
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        Server::start_with(db, dir, &extra)
    }

    /// Kills the process with SIGKILL: no shutdown, no flush.
    pub fn kill(mut self) -> (String, Option<tempfile::TempDir>) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("SIGKILL");
            c.wait().expect("wait");
        }
        (self.db.clone(), self._dir.take())
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe_sigterm(c.id());
            for _ in 0..100 {
                if c.try_wait().expect("try_wait").is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            c.kill().ok();
            c.wait().ok();
        }
    }

    /// The server process id (to read its memory use from /proc).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub async fn client(&self, token: &str, org: &str) -> Client {
        Client::connect(&self.addr, token, org).await
    }

    pub async fn operator(&self) -> Client {
        self.client(OPERATOR_TOKEN, "").await
    }
}

fn unsafe_sigterm(pid: u32) {
    // `kill -TERM` keeps the tests free of unsafe code and of a libc dependency.
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }
}

#[derive(Clone)]
pub struct Client {
    channel: Channel,
    token: String,
    pub org: String,
}

impl Client {
    pub async fn connect(addr: &str, token: &str, org: &str) -> Client {
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("connect");
        Client {
            channel,
            token: token.into(),
            org: org.into(),
        }
    }

    pub fn req<T>(&self, msg: T) -> Request<T> {
        let mut r = Request::new(msg);
        if !self.token.is_empty() {
            r.metadata_mut().insert(
                "authorization",
                format!("Bearer {}", self.token).parse().unwrap(),
            );
        }
        if !self.org.is_empty() {
            r.metadata_mut()
                .insert("x-rampart-organisation", self.org.parse().unwrap());
        }
        r
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn in_org(&self, org: &str) -> Client {
        Client {
            org: org.into(),
            ..self.clone()
        }
    }

    pub fn orgs(&self) -> OrganisationServiceClient<Channel> {
        OrganisationServiceClient::new(self.channel.clone())
    }
    pub fn users(&self) -> UserServiceClient<Channel> {
        UserServiceClient::new(self.channel.clone())
    }
    pub fn tokens(&self) -> TokenServiceClient<Channel> {
        TokenServiceClient::new(self.channel.clone())
    }
    /// The asset as this client reads it now (panics on any error: for tests that expect it).
    pub async fn asset(&self, id: &str) -> pb::Asset {
        self.assets()
            .get_asset(self.req(pb::GetAssetRequest { id: id.into() }))
            .await
            .unwrap()
            .into_inner()
    }

    /// The organisation's audit chain verified by this client (panics on any error).
    pub async fn chain(&self) -> pb::VerifyChainResponse {
        self.audit()
            .verify_chain(self.req(pb::VerifyChainRequest { system: false }))
            .await
            .unwrap()
            .into_inner()
    }

    /// The document with its newest version's text, as this client reads it now (panics on any
    /// error: for tests that expect it).
    pub async fn document(&self, id: &str) -> pb::Document {
        self.documents()
            .get_document(self.req(pb::GetDocumentRequest {
                id: id.into(),
                version: 0,
            }))
            .await
            .unwrap()
            .into_inner()
            .document
            .unwrap()
    }

    /// The first page of ListDocuments with the defaults, as this client sees it (panics on
    /// any error).
    pub async fn listed_documents(&self) -> Vec<pb::Document> {
        self.documents()
            .list_documents(self.req(pb::ListDocumentsRequest::default()))
            .await
            .unwrap()
            .into_inner()
            .documents
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
    pub fn plugins(
        &self,
    ) -> rampart_proto::v1::plugin_service_client::PluginServiceClient<Channel> {
        rampart_proto::v1::plugin_service_client::PluginServiceClient::new(self.channel.clone())
    }
    pub fn risks(&self) -> rampart_proto::v1::risk_service_client::RiskServiceClient<Channel> {
        rampart_proto::v1::risk_service_client::RiskServiceClient::new(self.channel.clone())
            .max_encoding_message_size(64 * 1024 * 1024)
            .max_decoding_message_size(64 * 1024 * 1024)
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
    pub fn frameworks(
        &self,
    ) -> rampart_proto::v1::framework_service_client::FrameworkServiceClient<Channel> {
        rampart_proto::v1::framework_service_client::FrameworkServiceClient::new(
            self.channel.clone(),
        )
        .max_encoding_message_size(64 * 1024 * 1024)
        .max_decoding_message_size(64 * 1024 * 1024)
    }
}

/// Creates organisation `org` with users and returns a client for each user (in name order):
/// `maria` (isms-manager), `bob` (employee), `dana` (auditor).
pub async fn organisation(server: &Server, org: &str) -> (Client, Client, Client) {
    let op = server.operator().await;
    op.orgs()
        .create_organisation(op.req(pb::CreateOrganisationRequest {
            id: org.into(),
            name: format!("{org} Ltd"),
            employees: 40,
            isms_scope: "Everything".into(),
            scheme_template: String::new(),
        }))
        .await
        .expect("create organisation");
    let mut clients = Vec::new();
    for (id, role) in [
        ("maria", "isms-manager"),
        ("bob", "employee"),
        ("dana", "auditor"),
    ] {
        clients.push(add_user(server, org, id, &[role], "Ops", role).await);
    }
    let dana = clients.pop().unwrap();
    let bob = clients.pop().unwrap();
    let maria = clients.pop().unwrap();
    (maria, bob, dana)
}

pub fn asset_request(name: &str, asset_type: &str, owner: &str) -> pb::CreateAssetRequest {
    pb::CreateAssetRequest {
        name: name.into(),
        asset_type: asset_type.into(),
        owner: owner.into(),
        location: "Leeds".into(),
        description: String::new(),
        cia: Some(pb::Cia {
            confidentiality: 3,
            integrity: 2,
            availability: 1,
        }),
        lifecycle: String::new(),
    }
}

/// Adds a user to `org` (through the operator), cleared for the top level of the default
/// four-level scheme, and returns a client for them.
pub async fn add_user(
    server: &Server,
    org: &str,
    id: &str,
    roles: &[&str],
    department: &str,
    job_title: &str,
) -> Client {
    add_user_cleared(
        server,
        org,
        id,
        roles,
        department,
        job_title,
        "confidential",
    )
    .await
}

/// [`add_user`] with a given clearance ("" for none).
pub async fn add_user_cleared(
    server: &Server,
    org: &str,
    id: &str,
    roles: &[&str],
    department: &str,
    job_title: &str,
    clearance: &str,
) -> Client {
    let op = server.operator().await.in_org(org);
    op.users()
        .create_user(op.req(pb::CreateUserRequest {
            id: id.into(),
            display_name: id.to_uppercase(),
            email: format!("{id}@{org}.example"),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            department: department.into(),
            job_title: job_title.into(),
            clearance: clearance.into(),
        }))
        .await
        .expect("create user");
    let t = op
        .tokens()
        .create_token(op.req(pb::CreateTokenRequest {
            user_id: id.into(),
            label: "e2e".into(),
            expires_at: String::new(),
        }))
        .await
        .expect("create token")
        .into_inner();
    server.client(&t.secret, "").await
}

/// The ids of the policies that decided a PERMISSION_DENIED (the `x-rampart-policies` trailer).
pub fn policies(s: &tonic::Status) -> String {
    s.metadata()
        .get("x-rampart-policies")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A document workflow step on `version` at the revision read.
/// A new document `id` with `fields` and `content`, created and submitted by `author`, approved
/// by `approver` and published by `author` as version 1.
pub async fn publish_new(
    author: &Client,
    approver: &Client,
    id: &str,
    fields: pb::DocumentFields,
    content: &str,
) -> pb::Document {
    let d = author
        .documents()
        .create_document(author.req(pb::CreateDocumentRequest {
            id: id.into(),
            fields: Some(fields),
            content: content.into(),
            change_note: String::new(),
        }))
        .await
        .unwrap()
        .into_inner();
    let d = author
        .documents()
        .submit_document(author.req(step(id, 1, d.revision)))
        .await
        .unwrap()
        .into_inner();
    let d = approver
        .documents()
        .approve_document(approver.req(step(id, 1, d.revision)))
        .await
        .unwrap()
        .into_inner();
    author
        .documents()
        .publish_document(author.req(step(id, 1, d.revision)))
        .await
        .unwrap()
        .into_inner()
}

pub fn step(id: &str, version: u32, revision: u64) -> pb::DocumentStepRequest {
    pb::DocumentStepRequest {
        id: id.into(),
        version,
        expected_revision: revision,
    }
}

/// A methodology input: a number.
pub fn number(name: &str, n: f64) -> pb::Input {
    pb::Input {
        name: name.into(),
        value: Some(pb::input::Value::Number(n)),
    }
}

/// A methodology input: a text (a step's name).
pub fn text(name: &str, t: &str) -> pb::Input {
    pb::Input {
        name: name.into(),
        value: Some(pb::input::Value::Text(t.into())),
    }
}

/// A methodology input: a three-point estimate.
pub fn estimate(name: &str, min: f64, mode: f64, max: f64) -> pb::Input {
    pb::Input {
        name: name.into(),
        value: Some(pb::input::Value::Estimate(pb::Estimate { min, mode, max })),
    }
}
