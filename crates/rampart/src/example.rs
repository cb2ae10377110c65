//! Loads an example organisation (e.g. `examples/acme`) into an empty organisation, through the
//! engine's own operations and policies, so the example is exactly what a user would create.

use std::path::Path;

use anyhow::Context;
use rampart_engine::domain::asset::{AssetFields, Cia, Lifecycle};
use rampart_engine::domain::classification::ClassificationScheme;
use rampart_engine::domain::document::{Distribution, DocumentFields};
use rampart_engine::domain::organisation::OrganisationFields;
use rampart_engine::domain::user::UserFields;
use rampart_engine::{Engine, SchemeChange, StepRequest};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationFile {
    organisation: OrgEntry,
    users: Vec<UserEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgEntry {
    id: String,
    name: String,
    employees: u32,
    isms_scope: String,
    /// The user who loads the rest (needs the admin or isms-manager role).
    loaded_by: String,
    /// Users who get a token written next to the example's other tokens.
    demo_tokens: Vec<String>,
    /// Framework packs installed into the organisation once its documents are loaded.
    #[serde(default)]
    frameworks: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    id: String,
    name: String,
    #[serde(default)]
    email: String,
    roles: Vec<String>,
    #[serde(default)]
    department: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    clearance: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetsFile {
    #[serde(default)]
    asset_types: Vec<AssetTypeEntry>,
    assets: Vec<AssetEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetTypeEntry {
    id: String,
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetEntry {
    name: String,
    #[serde(rename = "type")]
    asset_type: String,
    owner: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    description: String,
    /// C/I/A as [c, i, a].
    cia: [u8; 3],
    #[serde(default)]
    lifecycle: Option<String>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DocumentsFile {
    documents: Vec<DocumentEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentEntry {
    id: String,
    kind: String,
    title: String,
    owner: String,
    classification: String,
    #[serde(default)]
    requirements: Vec<String>,
    #[serde(default)]
    reviewers: Vec<String>,
    #[serde(default)]
    approvers: Vec<String>,
    #[serde(default)]
    quorum: u32,
    #[serde(default)]
    distribution_roles: Vec<String>,
    #[serde(default)]
    distribution_departments: Vec<String>,
    #[serde(default)]
    review_period_months: u32,
    /// The first version's Markdown, relative to the example folder.
    file: String,
    /// Workflow steps in order: `submit:USER`, `approve:USER`, `reject:USER:REASON`,
    /// `publish:USER`, `ack:USER`, `revise:USER:FILE:NOTE`.
    #[serde(default)]
    steps: Vec<String>,
}

/// A scheme file: `[[levels]]`, `[[labeling_rules]]`, `[[handling_rules]]`.
pub fn scheme_from_toml(text: &str) -> anyhow::Result<rampart_proto::v1::ClassificationScheme> {
    let s: ClassificationScheme = toml::from_str(text)?;
    Ok(rampart_server::convert::scheme(
        rampart_engine::StoredScheme::new(s, 0, String::new()),
    ))
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
}

pub async fn load(engine: &Engine, dir: &Path, token_dir: &Path) -> anyhow::Result<()> {
    let org_file: OrganisationFile = read(&dir.join("organisation.toml"))?;
    let scheme: ClassificationScheme = read(&dir.join("classification.toml"))?;
    let assets_file: AssetsFile = read(&dir.join("assets.toml"))?;
    let documents_path = dir.join("documents.toml");
    let documents_file: DocumentsFile = if documents_path.exists() {
        read(&documents_path)?
    } else {
        DocumentsFile::default()
    };
    let org = &org_file.organisation;

    let operator = engine
        .act_as_operator("admin")
        .await
        .context("the example loader acts as operator 'admin'")?;
    if engine.get_organisation(&operator, &org.id).await.is_ok() {
        println!("Example organisation '{}' is already loaded.", org.id);
        return Ok(());
    }
    let fields = OrganisationFields {
        name: org.name.clone(),
        employees: org.employees,
        isms_scope: org.isms_scope.clone(),
    };
    engine
        .create_organisation(&operator, &org.id, fields, "none")
        .await?;
    let total = org_file.users.len() + assets_file.assets.len() + documents_file.documents.len();
    let mut done = 0;
    // A counter that rewrites itself on a terminal; in a log, only the first line and the end.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = |done: usize| {
        if terminal {
            eprint!("\rloading example organisation {}: {done}/{total}", org.id);
        } else if done == 1 {
            eprint!("loading example organisation {} ({total} items) …", org.id);
        }
    };
    // Users first without clearance: the scheme that defines the levels comes next.
    for u in &org_file.users {
        let fields = UserFields {
            display_name: u.name.clone(),
            email: u.email.clone(),
            roles: u.roles.clone(),
            department: u.department.clone(),
            job_title: u.job_title.clone(),
            clearance: String::new(),
            active: true,
        };
        engine
            .create_user(&operator, &org.id, &u.id, fields)
            .await
            .with_context(|| format!("user {}", u.id))?;
        done += 1;
        progress(done);
    }
    let loader = engine.act_as_user(&org.id, &org.loaded_by).await?;
    for t in &assets_file.asset_types {
        engine
            .define_asset_type(&loader, &org.id, &t.id, &t.name, &t.description)
            .await?;
    }
    let change = SchemeChange {
        expected_revision: 0,
        scheme,
        level_mapping: Default::default(),
        reason: "example scheme".into(),
    };
    engine
        .set_scheme(&loader, &org.id, change)
        .await
        .context("classification.toml")?;
    for u in org_file.users.iter().filter(|u| !u.clearance.is_empty()) {
        let current = engine.get_user(&operator, &org.id, &u.id).await?;
        let fields = UserFields {
            display_name: current.display_name.clone(),
            email: current.email.clone(),
            roles: current.roles.clone(),
            department: current.department.clone(),
            job_title: current.job_title.clone(),
            clearance: u.clearance.clone(),
            active: true,
        };
        engine
            .update_user(&operator, &org.id, &u.id, current.revision, fields)
            .await
            .with_context(|| format!("user {}", u.id))?;
    }
    let mut asset_ids = std::collections::HashMap::new();
    for a in &assets_file.assets {
        let lifecycle = match &a.lifecycle {
            Some(l) => Lifecycle::parse("lifecycle", l)?,
            None => Lifecycle::InUse,
        };
        let fields = AssetFields {
            name: a.name.clone(),
            asset_type: a.asset_type.clone(),
            owner: a.owner.clone(),
            location: a.location.clone(),
            description: a.description.clone(),
            cia: Cia {
                confidentiality: a.cia[0],
                integrity: a.cia[1],
                availability: a.cia[2],
            },
            lifecycle,
        };
        let created = engine
            .create_asset(&loader, &org.id, fields)
            .await
            .with_context(|| format!("asset '{}'", a.name))?;
        asset_ids.insert(a.name.clone(), created.id.clone());
        if let Some(level) = &a.level {
            let reason = a
                .reason
                .clone()
                .unwrap_or_else(|| "initial classification from the risk assessment".into());
            engine
                .classify_asset(
                    &loader,
                    &org.id,
                    &created.id,
                    created.revision,
                    level,
                    &reason,
                )
                .await
                .with_context(|| format!("classifying '{}'", a.name))?;
        }
        done += 1;
        progress(done);
    }
    for d in &documents_file.documents {
        load_document(engine, &org.id, dir, d)
            .await
            .with_context(|| format!("document {}", d.id))?;
        done += 1;
        progress(done);
    }
    eprintln!();
    for f in &org.frameworks {
        match engine.install_framework(&loader, &org.id, f).await {
            Ok(i) => println!(
                "Installed framework {} ({} {}) into {}.",
                i.id, i.framework, i.version, org.id
            ),
            // A server started without the shipped packs still serves the example.
            Err(rampart_engine::EngineError::NotFound(what)) => {
                eprintln!("Not installed: {what} is not loaded (start with --plugins plugins).")
            }
            Err(e) => return Err(e).with_context(|| format!("framework {f}")),
        }
    }
    // The risk assessment needs the framework's controls and the shipped methodologies.
    let risks = if org.frameworks.iter().any(|f| f == "iso27001-2022")
        && engine
            .list_frameworks(&loader, &org.id)
            .await?
            .iter()
            .any(|f| f.id == "iso27001-2022" && f.installed)
    {
        crate::example_risks::load(engine, &org.id, dir, &loader, &asset_ids)
            .await
            .context("risks.toml")?
    } else {
        0
    };
    if risks > 0 {
        println!("Loaded {risks} risks, their treatment, an approved SoA and the treatment plan.");
        // A year of operation needs the framework the audit is planned against.
        if dir.join("operations.toml").exists() {
            let y = crate::example_operations::load(engine, &org.id, dir, &org.loaded_by)
                .await
                .context("operations.toml")?;
            println!(
                "Loaded a year of operation: {} courses with {} completions, {} measurements, {} internal audit, {} nonconformities, {} management review.",
                y.courses, y.completions, y.measurements, y.audits, y.nonconformities, y.reviews
            );
        }
    }
    std::fs::create_dir_all(token_dir)
        .with_context(|| format!("cannot create {}", token_dir.display()))?;
    for user in &org.demo_tokens {
        let t = engine
            .create_token(&operator, &org.id, user, "example", "")
            .await?;
        let path = token_dir.join(format!("{}-{user}.token", org.id));
        write_secret(&path, &t.secret)?;
        println!(
            "Token for {user} of {} written to {}",
            org.id,
            path.display()
        );
    }
    println!(
        "Loaded example organisation '{}': {} users, {} assets, {} documents.",
        org.id,
        org_file.users.len(),
        assets_file.assets.len(),
        documents_file.documents.len()
    );
    Ok(())
}

/// Creates a document as its owner and takes its workflow steps as the users they name, through
/// the same operations (and policies) as the API.
async fn load_document(
    engine: &Engine,
    org: &str,
    dir: &Path,
    d: &DocumentEntry,
) -> anyhow::Result<()> {
    let text = |file: &str| {
        std::fs::read_to_string(dir.join(file))
            .with_context(|| format!("cannot read {}", dir.join(file).display()))
    };
    let owner = engine.act_as_user(org, &d.owner).await?;
    let fields = DocumentFields {
        kind: d.kind.clone(),
        title: d.title.clone(),
        owner: d.owner.clone(),
        classification: d.classification.clone(),
        requirements: d.requirements.clone(),
        reviewers: d.reviewers.clone(),
        approvers: d.approvers.clone(),
        quorum: d.quorum,
        distribution: Distribution {
            roles: d.distribution_roles.clone(),
            departments: d.distribution_departments.clone(),
            ..Default::default()
        },
        review_period_months: d.review_period_months,
        retention: None,
    };
    let mut view = engine
        .create_document(&owner, org, &d.id, fields, &text(&d.file)?, "First issue")
        .await?;
    for s in &d.steps {
        let parts: Vec<&str> = s.splitn(4, ':').collect();
        let who = engine
            .act_as_user(org, parts.get(1).copied().unwrap_or_default())
            .await
            .with_context(|| format!("step {s:?}"))?;
        let step = StepRequest {
            id: d.id.clone(),
            version: 0,
            expected_revision: view.document.revision,
        };
        view = match parts[0] {
            "submit" => engine.submit_document(&who, org, step).await?,
            "approve" => engine.approve_document(&who, org, step).await?,
            "publish" => engine.publish_document(&who, org, step).await?,
            "reject" => {
                let reason = parts.get(2).copied().unwrap_or("rejected");
                engine.reject_document(&who, org, step, reason).await?
            }
            "revise" => {
                let (file, note) = (parts.get(2), parts.get(3));
                let (Some(file), Some(note)) = (file, note) else {
                    anyhow::bail!("step {s:?}: write revise:USER:FILE:NOTE");
                };
                engine
                    .revise_document(&who, org, &d.id, view.document.revision, &text(file)?, note)
                    .await?
            }
            "ack" => {
                engine.acknowledge_document(&who, org, &d.id).await?;
                view
            }
            other => anyhow::bail!("unknown step {other:?} in {s:?}"),
        };
    }
    Ok(())
}

fn write_secret(path: &Path, secret: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(f, "{secret}")?;
    Ok(())
}
