//! The command line: flags, environment variables and subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "rampart",
    version,
    about = "Rampart: a GRC engine for ISO 27001, ISO 22301 and ISO 9001"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Configuration file (TOML). Default: ./rampart.toml if it exists.
    #[arg(long, global = true, env = "RAMPART_CONFIG")]
    pub config: Option<PathBuf>,
    /// Server address for client commands.
    #[arg(long, global = true, env = "RAMPART_SERVER")]
    pub server: Option<String>,
    /// API token for client commands.
    #[arg(long, global = true, env = "RAMPART_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Organisation to act in (defaults to the token's own).
    #[arg(long, global = true, env = "RAMPART_ORG")]
    pub org: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the gRPC server.
    Serve(ServeArgs),
    /// Show who the token belongs to.
    Whoami,
    /// Organisations (operators).
    #[command(subcommand)]
    Org(OrgCmd),
    /// Users of the organisation.
    #[command(subcommand)]
    User(UserCmd),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// The asset register and classifying assets.
    #[command(subcommand)]
    Asset(AssetCmd),
    /// The classification scheme: levels, labeling and handling rules.
    #[command(subcommand)]
    Classification(ClassificationCmd),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Plugins: risk methodologies (WASM components and Rhai scripts).
    #[command(subcommand)]
    Plugin(PluginCmd),
    /// Controlled documents: versions, approval, distribution, reviews, retention, disposal.
    #[command(subcommand, alias = "doc")]
    Document(DocumentCmd),
    /// Access policies: the organisation's Cedar policy set, its tests, dry runs and grants.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Frameworks: install standards from packs, upgrade, requirement trees, mappings, readiness,
    /// and import OSCAL or CISO Assistant content.
    #[command(subcommand)]
    Framework(FrameworkCmd),
    /// The risk register: assess with the organisation's methodology, treat, accept, migrate.
    #[command(subcommand)]
    Risk(RiskCmd),
    /// Interested parties and their legal, regulatory and contractual requirements.
    #[command(subcommand)]
    Party(PartyCmd),
    /// The Statement of Applicability: derived, recorded per control, approved.
    #[command(subcommand)]
    Soa(SoaCmd),
    /// The risk treatment plan: who implements which control, when, with what budget.
    #[command(subcommand)]
    Rtp(RtpCmd),
    /// Tasks: yours, the ones you gave, overdue ones; give, complete, cancel; generate what is due.
    #[command(subcommand)]
    Task(TaskCmd),
    /// Internal audits (9.2): plan, record the checklist, raise findings, close.
    #[command(subcommand, name = "internal-audit", alias = "ia")]
    InternalAudit(InternalAuditCmd),
    /// Nonconformities and corrective actions (10.2).
    #[command(subcommand, name = "nonconformity", alias = "nc")]
    Nonconformity(NonconformityCmd),
    /// Management reviews (9.3): inputs compiled from the engine's records, decisions, actions.
    #[command(subcommand, name = "management-review", alias = "mr")]
    ManagementReview(ManagementReviewCmd),
    /// ISMS objectives and their metrics (6.2, 9.1): define, measure, see which are met.
    #[command(subcommand)]
    Objective(ObjectiveCmd),
    /// What stage 1 (the documented ISMS) and stage 2 (implementation and effectiveness)
    /// auditors of the certification audit would find missing.
    Certification {
        #[arg(default_value = "iso27001-2022")]
        framework: String,
    },
    /// The responsibility matrix (RACI), derived from ownership and assignments: per activity
    /// (default), per person (--person), or exported (--export csv|xlsx|markdown|pdf).
    Raci {
        #[arg(long, default_value = "")]
        person: String,
        /// Only one kind of activity: isms, asset, risk, control, document, task,
        /// corrective-action, objective, audit, course.
        #[arg(long, default_value = "")]
        kind: String,
        #[arg(long)]
        export: Option<String>,
        /// Where to write the export (default: its own file name in this directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Training and awareness: courses, who took them, and who is not current (7.2, 7.3).
    #[command(subcommand)]
    Training(TrainingCmd),
    /// The server's clock; a server started with --simulated-clock can be moved forward.
    #[command(subcommand)]
    Clock(ClockCmd),
    /// The implementation project: the framework's steps (the 16-step checklist) with progress
    /// computed from your records, advice for your size, and the estimate.
    Project {
        #[arg(default_value = "iso27001-2022")]
        framework: String,
    },
    /// How long an ISO 27001 implementation takes, whose effort and what it costs, by size.
    Estimate {
        /// Employees in the ISMS scope.
        #[arg(long)]
        employees: u32,
        /// Departments whose heads take part (default: estimated from the size).
        #[arg(long, default_value_t = 0)]
        departments: u32,
        /// People to send on an ISO 27001 course (default 1).
        #[arg(long, default_value_t = 0)]
        people_trained: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum TaskCmd {
    /// Tasks by due date: mine (default), given (by you), overdue, all.
    List {
        #[arg(long, default_value = "mine")]
        view: String,
        /// Also done and cancelled tasks.
        #[arg(long)]
        closed: bool,
        #[arg(long, default_value = "")]
        assignee: String,
    },
    Show {
        id: String,
    },
    /// Give a task to a user.
    Create {
        #[arg(long)]
        title: String,
        #[arg(long)]
        assignee: String,
        /// A date (2027-03-01) or RFC 3339 time.
        #[arg(long)]
        due: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Months after which it comes back (0: once).
        #[arg(long, default_value_t = 0)]
        every_months: u32,
        /// What it acts on, as KIND:ID (document:infosec-policy, control:iso27001:A.5.15, risk:R-01).
        #[arg(long)]
        link: Option<String>,
        #[arg(long, default_value = "")]
        id: String,
    },
    /// Complete a task (a recurring task opens its next occurrence).
    Complete {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    Cancel {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Generate now what is due (the server does it every minute).
    Generate,
}

#[derive(Subcommand, Debug)]
pub enum InternalAuditCmd {
    List,
    /// The audit programme over the three-year cycle: every clause and applicable control,
    /// audited, planned or not covered yet.
    Programme {
        #[arg(long, default_value = "iso27001-2022")]
        framework: String,
        /// The cycle's first day (default: counted from the earliest audit).
        #[arg(long, default_value = "")]
        cycle_start: String,
        /// Only what is not covered yet.
        #[arg(long)]
        gaps: bool,
    },
    /// The audit report (markdown or pdf).
    Report {
        id: String,
        #[arg(long, default_value = "markdown")]
        format: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// One audit with its checklist and findings.
    Show {
        id: String,
    },
    /// Plan an audit of a department against requirements of an installed framework.
    Plan {
        id: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "iso27001-2022")]
        framework: String,
        /// Requirements or controls in scope (repeatable; none: every clause).
        #[arg(long = "scope", value_delimiter = ',')]
        scope: Vec<String>,
        #[arg(long)]
        department: String,
        #[arg(long)]
        auditor: String,
        #[arg(long)]
        start: String,
        #[arg(long)]
        end: String,
    },
    /// Record a checklist line: conform, nonconform, observation, not-audited.
    Record {
        id: String,
        requirement: String,
        result: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Raise a finding: major, minor, observation, opportunity.
    Finding {
        id: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        requirement: String,
        #[arg(long)]
        description: String,
        #[arg(long)]
        evidence: String,
    },
    Close {
        id: String,
        #[arg(long)]
        conclusion: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum NonconformityCmd {
    List,
    Show {
        id: String,
    },
    /// Report a nonconformity (source: audit, incident, review, complaint, other).
    Raise {
        #[arg(long)]
        source: String,
        #[arg(long)]
        description: String,
        #[arg(long, default_value = "")]
        requirement: String,
        #[arg(long, default_value = "")]
        source_ref: String,
        #[arg(long, default_value = "")]
        id: String,
    },
    RootCause {
        id: String,
        cause: String,
    },
    /// Plan a corrective action (after the root cause).
    Action {
        id: String,
        #[arg(long)]
        description: String,
        #[arg(long)]
        owner: String,
        #[arg(long)]
        due: String,
    },
    /// Record a corrective action done (its owner).
    Done {
        id: String,
        action: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Verify effectiveness: closes it, or with --not-effective sends it back for new actions.
    Verify {
        id: String,
        #[arg(long)]
        note: String,
        #[arg(long)]
        not_effective: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ManagementReviewCmd {
    List,
    Show {
        id: String,
    },
    /// Hold a review: its inputs are compiled now from the engine's records.
    Hold {
        id: String,
        #[arg(long)]
        title: String,
        /// Who took part (user ids, comma-separated).
        #[arg(long, value_delimiter = ',')]
        attendees: Vec<String>,
    },
    /// Record the decisions and actions (each becomes a task) and close the review.
    Decide {
        id: String,
        /// A decision (repeatable).
        #[arg(long = "decision")]
        decisions: Vec<String>,
        /// An action as OWNER:DUE:DESCRIPTION (repeatable), e.g. bob:2027-06-30:Encrypt laptops.
        #[arg(long = "action")]
        actions: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ObjectiveCmd {
    /// Every objective with its fulfilment.
    List,
    /// One objective, its metrics and their measurements.
    Show { id: String },
    /// Define (or redefine) an objective with one metric (the API takes several).
    Define {
        id: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        owner: String,
        #[arg(long)]
        metric: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        definition: String,
        #[arg(long)]
        target: f64,
        /// The value must stay at or below the target (default: reach it).
        #[arg(long)]
        at_most: bool,
        #[arg(long, default_value = "")]
        unit: String,
        #[arg(long, default_value_t = 3)]
        every_months: u32,
        #[arg(long)]
        metric_owner: String,
        /// The control whose effectiveness it measures, e.g. iso27001-2022:A.8.13.
        #[arg(long, default_value = "")]
        control: String,
    },
    /// Record a measurement of a metric.
    Measure {
        id: String,
        metric: String,
        value: f64,
        #[arg(long, default_value = "")]
        note: String,
        /// When it was taken (a date; default now).
        #[arg(long, default_value = "")]
        at: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TrainingCmd {
    /// Every course, with how many must take it and how many are current.
    List,
    /// One course and its completion records.
    Show { id: String },
    /// Define (or redefine) a course or awareness campaign; completions are kept.
    Define {
        id: String,
        #[arg(long)]
        title: String,
        /// awareness or training.
        #[arg(long, default_value = "awareness")]
        kind: String,
        /// Who runs it and records completions.
        #[arg(long)]
        owner: String,
        /// Who must take it (comma-separated; none of the three: every active member of staff).
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        departments: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        job_titles: Vec<String>,
        /// Retaken every this many months (0: once).
        #[arg(long, default_value_t = 12)]
        every_months: u32,
        /// Documents whose acknowledgement counts as taking it (comma-separated ids).
        #[arg(long, value_delimiter = ',')]
        documents: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Record who took a course.
    Record {
        id: String,
        /// Comma-separated user ids.
        #[arg(long, value_delimiter = ',')]
        users: Vec<String>,
        /// When (a date; default today).
        #[arg(long, default_value = "")]
        at: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Where everyone stands; --gaps for only who is not current, by department.
    Status {
        #[arg(long)]
        gaps: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClockCmd {
    Show,
    /// Move a simulated clock forward and generate what falls due (operators).
    Advance {
        #[arg(long)]
        days: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum RiskCmd {
    /// The risks you may read, with their current and residual levels.
    List {
        #[arg(long, default_value = "")]
        owner: String,
    },
    /// One risk with its whole assessment history.
    Show { id: String },
    /// Register a risk.
    Create {
        /// A key such as `ransomware-file-server` (default: generated).
        #[arg(default_value = "")]
        id: String,
        #[arg(long)]
        title: String,
        /// Asset ids (repeatable).
        #[arg(long = "asset", required = true)]
        assets: Vec<String>,
        /// A pack threat (`iso27001-2022:G 0.39`) or your own words.
        #[arg(long)]
        threat: String,
        #[arg(long, default_value = "")]
        vulnerability: String,
        #[arg(long)]
        owner: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Assess with the organisation's methodology: `-i likelihood=4 -i impact=3`.
    Assess {
        id: String,
        #[arg(long = "input", short = 'i')]
        inputs: Vec<String>,
        /// The planned residual risk.
        #[arg(long)]
        residual: bool,
    },
    /// Treat: `--option mitigate --control iso27001:A.8.13`.
    Treat {
        id: String,
        #[arg(long)]
        option: String,
        #[arg(long = "control")]
        controls: Vec<String>,
        #[arg(long, default_value = "")]
        plan: String,
    },
    /// Accept the residual risk (the owner; above the criterion, top management).
    Accept {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Show or choose the organisation's methodology.
    Methodology { id: Option<String> },
    /// Threats the installed packs suggest for an asset.
    SuggestThreats { asset: String },
    /// Export a report: `--kind risk-assessment|soa|rtp|raci --format markdown|csv|xlsx|pdf`.
    Report {
        #[arg(long, default_value = "risk-assessment")]
        kind: String,
        #[arg(long, default_value = "markdown")]
        format: String,
        #[arg(long, default_value = "iso27001-2022")]
        framework: String,
        /// Where to write it (default: the report's own file name in this directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Controls the installed packs suggest for a risk, with their reasons.
    SuggestControls { id: String },
    /// Re-assess every assessed risk with another methodology, keeping the old results. FILE is
    /// JSON: {"risk-id": {"input": 3, "other": "text", "estimate": [min, mode, max]}, …}.
    Migrate {
        methodology: String,
        #[arg(long)]
        inputs: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum PartyCmd {
    List,
    /// Create or replace a party from a JSON file in the API's shape
    /// ({"id", "name", "category", "requirements": [{"id", "kind", "text", "controls"}]}).
    Put {
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum SoaCmd {
    /// The SoA as derived now; `--changes` lists what changed since the approved version.
    Show {
        #[arg(default_value = "iso27001-2022")]
        framework: String,
        #[arg(long)]
        changes: bool,
    },
    /// Record a decision about one control.
    Set {
        framework: String,
        control: String,
        /// applicable, not-applicable, or derive.
        #[arg(long)]
        applicability: Option<String>,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long, default_value = "")]
        business: String,
        #[arg(long = "best-practice", default_value = "")]
        best_practice: String,
        /// not-started, planned, in-progress, implemented.
        #[arg(long, default_value = "")]
        status: String,
        #[arg(long, default_value = "")]
        implementation: String,
    },
    /// Freeze the SoA as it stands as the next approved version.
    Approve {
        #[arg(default_value = "iso27001-2022")]
        framework: String,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RtpCmd {
    /// The plan with its progress, budget and overdue items.
    Show {
        #[arg(default_value = "iso27001-2022")]
        framework: String,
    },
    /// Plan one control.
    Set {
        framework: String,
        control: String,
        #[arg(long)]
        owner: String,
        #[arg(long, default_value = "")]
        actions: String,
        /// RFC 3339, e.g. 2027-03-31T00:00:00Z.
        #[arg(long, default_value = "")]
        due: String,
        #[arg(long, default_value_t = 0.0)]
        budget: f64,
        #[arg(long, default_value = "planned")]
        status: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum FrameworkCmd {
    /// Installed frameworks and the packs that could be installed.
    List,
    /// Install a pack's catalogue into the organisation, e.g. `iso27001-2022`.
    Install { id: String },
    /// What upgrading to the server's newer pack would change, and what is linked to it.
    PlanUpgrade { id: String },
    /// Upgrade; each renumbered or removed requirement that work is linked to needs a decision.
    Upgrade {
        id: String,
        /// Move the links of OLD to NEW: `--move A.5.99=A.5.100` (repeatable).
        #[arg(long = "move")]
        moves: Vec<String>,
        /// Unlink the work from OLD (repeatable).
        #[arg(long = "drop")]
        drops: Vec<String>,
    },
    /// Move references to ISO/IEC 27001:2013 Annex A controls to 2022 (a dry run without --apply).
    #[command(name = "migrate-2013")]
    Migrate2013 {
        #[arg(long, default_value = "iso27001-2022")]
        framework: String,
        #[arg(long)]
        apply: bool,
    },
    /// The requirement tree with each requirement's status.
    Tree {
        id: String,
        /// Only requirements with this status: met, partially-met, not-met, not-applicable.
        #[arg(long)]
        status: Option<String>,
        /// Leave out controls (clauses only).
        #[arg(long)]
        clauses: bool,
    },
    /// What else a requirement satisfies, e.g. `rampart framework mappings iso27001-2022 A.5.30`.
    Mappings { id: String, requirement: String },
    /// Findings per requirement and a readiness figure, from the pack's check.
    Check {
        id: String,
        /// Show met findings too.
        #[arg(long)]
        all: bool,
    },
    /// Import an OSCAL catalog or profile, or a CISO Assistant library, and install what it
    /// becomes on the server (operators). Checked locally first, with progress.
    Import {
        file: PathBuf,
        /// A file it depends on: the catalog of a profile, a library it names (repeatable).
        #[arg(long = "with")]
        with: Vec<PathBuf>,
        /// The id of the generated pack (default: derived from the file).
        #[arg(long)]
        id: Option<String>,
        /// For a risk matrix: the highest accepted level, by name or number.
        #[arg(long)]
        accept_up_to: Option<String>,
    },
}

/// How a document leaves (the handling rules decide by it).
#[derive(Args, Debug, Clone, Default)]
pub struct HandlingArgs {
    /// download, print, email, transfer-inside, transfer-outside.
    #[arg(long)]
    pub channel: Option<String>,
    /// electronic (default) or paper.
    #[arg(long)]
    pub medium: Option<String>,
    /// The copy is encrypted.
    #[arg(long)]
    pub encrypted: bool,
    /// Sent with a return receipt.
    #[arg(long)]
    pub return_receipt: bool,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCmd {
    /// The policy set in force: its files, tests and version.
    Show {
        /// Write the set into DIR (files at the top, tests under tests/) instead of listing it.
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// Replace the set with the *.cedar files of DIR and its tests/*.toml (accepted only if it
    /// validates and every test passes).
    Replace {
        dir: PathBuf,
        #[arg(long, default_value = "")]
        note: String,
        /// The version you read (default: the current one).
        #[arg(long)]
        expected_version: Option<u64>,
    },
    /// Validate DIR and run its tests on the server, without applying anything.
    Check { dir: PathBuf },
    /// Run the policy tests of DIR locally (no server): a line per case, exit 1 on a failure.
    Test { dir: PathBuf },
    /// Every version of the set.
    History,
    /// Make version N current again (0: the default set).
    Rollback { version: u64 },
    /// Is USER allowed to do ACTION on RESOURCE, and why (a dry run).
    Explain {
        user: String,
        action: String,
        /// organisation, asset:ID, document:ID[@N], user:ID, asset-register, …
        resource: String,
        #[command(flatten)]
        handling: HandlingArgs,
    },
    /// What may USER do on RESOURCE.
    Can { user: String, resource: String },
    /// Who may read RESOURCE (or do --action on it).
    Who {
        resource: String,
        #[arg(long, default_value = "")]
        action: String,
    },
    /// Time-boxed grants (template-linked policies).
    #[command(subcommand)]
    Grant(GrantCmd),
}

#[derive(Subcommand, Debug)]
pub enum GrantCmd {
    /// Grant TEMPLATE (e.g. external-auditor) to USER over TARGET (organisation, document:ID,
    /// asset:ID) until a date.
    Create {
        template: String,
        user: String,
        target: String,
        #[arg(long)]
        until: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    List,
    Revoke {
        id: String,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "RAMPART_LISTEN")]
    pub listen: Option<String>,
    /// Database URL: surrealkv://PATH (default surrealkv://rampart-data), mem://, ws://HOST:PORT.
    #[arg(long, env = "RAMPART_DB")]
    pub db: Option<String>,
    /// SurrealDB root user, for ws:// servers.
    #[arg(long, env = "RAMPART_DB_USER")]
    pub db_user: Option<String>,
    /// SurrealDB root password, for ws:// servers.
    #[arg(long, env = "RAMPART_DB_PASS", hide_env_values = true)]
    pub db_pass: Option<String>,
    /// On an empty database, use this operator token instead of generating one.
    #[arg(long, env = "RAMPART_BOOTSTRAP_TOKEN", hide_env_values = true)]
    pub bootstrap_token: Option<String>,
    /// Read the bootstrap operator token from this file.
    #[arg(long, env = "RAMPART_BOOTSTRAP_TOKEN_FILE")]
    pub bootstrap_token_file: Option<PathBuf>,
    /// Load an example organisation from this folder if it is not there yet (e.g. examples/acme).
    #[arg(long)]
    pub example: Option<PathBuf>,
    /// Where the example loader writes the tokens it creates (one file per token).
    #[arg(long, default_value = ".rampart")]
    pub example_tokens: PathBuf,
    /// A directory of shipped plugins, each in its own folder with a plugin.toml (repeatable;
    /// default: ./plugins when it exists).
    #[arg(long = "plugins", env = "RAMPART_PLUGINS", value_delimiter = ',')]
    pub plugins: Vec<PathBuf>,
    /// Where plugins installed through the API are kept (default: PATH-plugins next to a
    /// surrealkv://PATH database; none for mem:// and ws://, which refuses installs).
    #[arg(long, env = "RAMPART_INSTALLED_PLUGINS")]
    pub installed_plugins: Option<PathBuf>,
    /// Where compiled WASM components are cached (default: .cache inside the installed-plugins
    /// directory, else .rampart/component-cache).
    #[arg(long, env = "RAMPART_PLUGIN_CACHE")]
    pub plugin_cache: Option<PathBuf>,
    /// CPU budget of one plugin call, in milliseconds.
    #[arg(long, env = "RAMPART_PLUGIN_CPU_MS", default_value_t = 2000)]
    pub plugin_cpu_ms: u64,
    /// Let operators move this server's clock forward (`rampart clock advance`), for tests and
    /// demonstrations of what falls due; never for a production server.
    #[arg(long)]
    pub simulated_clock: bool,
    /// How often the server generates due tasks, in seconds (0: never by itself).
    #[arg(long, env = "RAMPART_TASK_INTERVAL_S", default_value_t = 60)]
    pub task_interval_s: u64,
    /// Largest document attachment accepted, in MiB.
    #[arg(long, env = "RAMPART_MAX_ATTACHMENT_MB", default_value_t = 100)]
    pub max_attachment_mb: u64,
}

#[derive(Subcommand, Debug)]
pub enum OrgCmd {
    /// List organisations.
    List,
    /// Show one organisation (default: the current one).
    Get { id: Option<String> },
    /// Create an organisation (operators).
    Create {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value_t = 0)]
        employees: u32,
        #[arg(long, default_value = "")]
        scope: String,
        /// Starting classification scheme: four-level, nato or none.
        #[arg(long, default_value = "four-level")]
        scheme: String,
    },
    /// Change an organisation's name, size or ISMS scope.
    Update {
        id: String,
        #[arg(long)]
        revision: u64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        employees: Option<u32>,
        #[arg(long)]
        scope: Option<String>,
    },
    /// Export everything the organisation holds (records, document versions, attachments, the
    /// audit trail) as a verifiable bundle; prints the head hash to hand over with it.
    Export {
        /// The organisation (default: the current one).
        id: Option<String>,
        /// Where to write the bundle.
        #[arg(long, short)]
        out: std::path::PathBuf,
        /// Only this framework's work (and what every framework shares), e.g. iso27001-2022.
        #[arg(long, default_value = "")]
        framework: String,
    },
    /// Import a bundle as a new organisation (operators): verified first, all or nothing.
    Import {
        file: std::path::PathBuf,
        /// The new organisation's id (default: the id it was exported with).
        #[arg(long = "as", default_value = "")]
        as_id: String,
        /// The head hash the exporter gave you; proves nobody rewrote the bundle.
        #[arg(long, default_value = "")]
        expect_head: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    List,
    Get {
        id: String,
    },
    Create {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        email: String,
        /// Comma-separated roles, e.g. admin,isms-manager.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        #[arg(long, default_value = "")]
        department: String,
        #[arg(long, default_value = "")]
        job_title: String,
        #[arg(long, default_value = "")]
        clearance: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create a token (for USER, default yourself); the secret is printed once.
    Create {
        #[arg(long, default_value = "")]
        user: String,
        #[arg(long, default_value = "")]
        label: String,
        /// RFC 3339 expiry, e.g. 2027-01-31T00:00:00Z.
        #[arg(long, default_value = "")]
        expires: String,
    },
    List {
        #[arg(long, default_value = "")]
        user: String,
    },
    Revoke {
        token_id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AssetCmd {
    /// List assets, with filters.
    List {
        #[arg(long, default_value = "")]
        owner: String,
        #[arg(long = "type", default_value = "")]
        asset_type: String,
        /// A level key, or "unclassified".
        #[arg(long, default_value = "")]
        level: String,
        #[arg(long, default_value = "")]
        lifecycle: String,
        /// Page size (0: all pages).
        #[arg(long, default_value_t = 0)]
        limit: u32,
    },
    Get {
        id: String,
    },
    Create {
        #[arg(long)]
        name: String,
        #[arg(long = "type")]
        asset_type: String,
        #[arg(long)]
        owner: String,
        #[arg(long, default_value = "")]
        location: String,
        #[arg(long, default_value = "")]
        description: String,
        /// C/I/A values 0–5, e.g. 3/2/2.
        #[arg(long, default_value = "0/0/0")]
        cia: String,
        #[arg(long, default_value = "in-use")]
        lifecycle: String,
    },
    /// Change fields of an asset (others keep their values).
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "type")]
        asset_type: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        location: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        cia: Option<String>,
        #[arg(long)]
        lifecycle: Option<String>,
    },
    /// Classify an asset at LEVEL (step 2).
    Classify {
        id: String,
        level: String,
        #[arg(long)]
        reason: String,
    },
    /// An asset's classification history.
    History {
        id: String,
    },
    /// The label an asset must carry (step 3).
    Label {
        id: String,
    },
    /// The handling rules for an asset (step 4).
    Handling {
        id: String,
    },
    /// Asset types: built in and the organisation's own.
    Types,
    /// Define an organisation-specific asset type.
    DefineType {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClassificationCmd {
    /// Show the scheme: levels, labeling rules, handling matrix.
    Show,
    /// Built-in scheme templates.
    Templates,
    /// Replace the scheme with a template or a TOML file.
    Set {
        #[arg(long, conflicts_with = "file")]
        template: Option<String>,
        #[arg(long)]
        file: Option<PathBuf>,
        /// Map a level that disappears to a new one: OLD=NEW (repeatable).
        #[arg(long = "map")]
        mapping: Vec<String>,
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// List events.
    List {
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value = "")]
        entity: String,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Walk the hash chain and report the first broken link.
    Verify {
        /// Verify the system trail (organisations, tokens) instead.
        #[arg(long)]
        system: bool,
    },
    /// Follow new events as they happen.
    Watch {
        #[arg(long, default_value_t = 0)]
        after: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum PluginCmd {
    /// List the plugins the server has loaded.
    List {
        /// Only this kind: risk-methodology or framework-pack.
        #[arg(long, default_value = "")]
        kind: String,
    },
    /// Show a plugin and what its method declares (inputs, scales, levels, acceptance).
    Describe { id: String },
    /// Assess one risk with a methodology: `--input likelihood=3 --input impact=4`, a text value
    /// as `name=text`, an estimate as `name=min,mode,max`.
    Assess {
        id: String,
        #[arg(long = "input", short = 'i')]
        inputs: Vec<String>,
    },
    /// Install (or upgrade) the plugin in DIR into the running server (operators).
    Install { dir: PathBuf },
    /// Stop serving a plugin (operators).
    Disable { id: String },
    /// Serve a disabled plugin again (operators).
    Enable { id: String },
    /// Run the plugin in DIR against the conformance cases of its kind and its own cases.json,
    /// locally (no server needed).
    Test { dir: PathBuf },
}

/// Who a document is for and who approves it (shared by `document create` and `update`).
#[derive(Args, Debug, Clone, Default)]
pub struct DocumentMeta {
    /// policy, procedure, work-instruction, plan, record, report, template, other.
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
    /// User id of the owner.
    #[arg(long)]
    pub owner: Option<String>,
    /// Classification level key, e.g. internal.
    #[arg(long)]
    pub classification: Option<String>,
    /// Framework requirements it satisfies, e.g. iso27001:5.2 (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub requirements: Option<Vec<String>>,
    #[arg(long, value_delimiter = ',')]
    pub reviewers: Option<Vec<String>>,
    #[arg(long, value_delimiter = ',')]
    pub approvers: Option<Vec<String>>,
    /// Approvals needed (default 1).
    #[arg(long)]
    pub quorum: Option<u32>,
    /// Distribution: roles (comma-separated).
    #[arg(long = "to-roles", value_delimiter = ',')]
    pub to_roles: Option<Vec<String>>,
    /// Distribution: departments (comma-separated).
    #[arg(long = "to-departments", value_delimiter = ',')]
    pub to_departments: Option<Vec<String>>,
    /// Distribution: job titles (comma-separated).
    #[arg(long = "to-job-titles", value_delimiter = ',')]
    pub to_job_titles: Option<Vec<String>>,
    /// Distribution: users (comma-separated).
    #[arg(long = "to-users", value_delimiter = ',')]
    pub to_users: Option<Vec<String>>,
    /// Review period in months (default 12).
    #[arg(long)]
    pub review_months: Option<u32>,
    /// Own retention, overriding the schedule: MONTHS:METHOD, e.g. 72:shred.
    #[arg(long)]
    pub retention: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum DocumentCmd {
    /// Documents you may read.
    List {
        #[arg(long, default_value = "")]
        owner: String,
        #[arg(long, default_value = "")]
        kind: String,
    },
    /// A document, its versions and the text of one (default: the published one, else the newest).
    Get {
        id: String,
        #[arg(long, default_value_t = 0)]
        version: u32,
        /// Print only the text.
        #[arg(long)]
        text: bool,
    },
    /// Create a document; its first version is a draft with the text of FILE (or a template).
    Create {
        /// A key such as access-control-policy (default: generated).
        #[arg(long, default_value = "")]
        id: String,
        #[command(flatten)]
        meta: DocumentMeta,
        /// Markdown file with the text.
        #[arg(long, conflicts_with = "template")]
        file: Option<PathBuf>,
        /// Start from a template (see `rampart document templates`).
        #[arg(long)]
        template: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Change a document's metadata (others keep their values).
    Update {
        id: String,
        #[command(flatten)]
        meta: DocumentMeta,
    },
    /// A new version with the text of FILE.
    Revise {
        id: String,
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        note: String,
    },
    /// Submit a version for review (default: the newest).
    Submit {
        id: String,
        #[arg(long, default_value_t = 0)]
        version: u32,
    },
    Approve {
        id: String,
        #[arg(long, default_value_t = 0)]
        version: u32,
    },
    Reject {
        id: String,
        #[arg(long, default_value_t = 0)]
        version: u32,
        #[arg(long)]
        reason: String,
    },
    /// Publish an approved version; the one published before becomes obsolete.
    Publish {
        id: String,
        #[arg(long, default_value_t = 0)]
        version: u32,
    },
    /// Take the published version out of force.
    Withdraw {
        id: String,
    },
    Archive {
        id: String,
        version: u32,
    },
    /// Record a periodic review that found no change needed.
    Reviewed {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Acknowledge the published version as read and understood.
    Ack {
        id: String,
    },
    /// Who acknowledged which version.
    Acks {
        id: String,
    },
    /// Differences between two versions.
    Diff {
        id: String,
        from: u32,
        to: u32,
    },
    /// Published documents whose review is overdue.
    ReviewsDue {
        /// RFC 3339 time or date (default: now).
        #[arg(long, default_value = "")]
        as_of: String,
    },
    /// Put a document under legal hold (no disposal), or release it with --release.
    Hold {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        release: bool,
    },
    /// Dispose of one version whose retention has ended.
    Dispose {
        id: String,
        version: u32,
    },
    /// Disposals that are due. Nothing is destroyed without --execute.
    Disposals {
        #[arg(long)]
        execute: bool,
    },
    /// The retention schedule; with --file, replace it (TOML: [[rules]] kind, level, months, method).
    Retention {
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Attach FILE to a document (a new version), streamed with progress.
    Attach {
        id: String,
        file: PathBuf,
        #[arg(long, default_value = "")]
        content_type: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Download an attachment to OUT.
    Download {
        id: String,
        attachment: String,
        #[arg(long, default_value_t = 0)]
        version: u32,
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Export a version with the classification marking (markdown or pdf) to OUT.
    Export {
        id: String,
        #[arg(long, default_value_t = 0)]
        version: u32,
        #[arg(long, default_value = "markdown")]
        format: String,
        #[arg(long, short)]
        out: PathBuf,
        #[command(flatten)]
        handling: HandlingArgs,
    },
    /// Record that a copy of the document left by a channel (email, transfer-inside,
    /// transfer-outside), if the handling rules allow it.
    Transfer {
        id: String,
        #[arg(long, default_value_t = 0)]
        version: u32,
        /// Who receives it.
        #[arg(long)]
        recipient: String,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        handling: HandlingArgs,
    },
    /// Recompute every stored hash of the organisation's documents.
    Verify,
    /// Should you write this document, and how detailed should it be?
    Advise {
        #[arg(long)]
        title: String,
        /// Framework requirement, e.g. iso27001:5.2.
        #[arg(long, default_value = "")]
        requirement: String,
        /// none, low, medium, high.
        #[arg(long, default_value = "medium")]
        risk: String,
        /// A law, regulation or contract requires it.
        #[arg(long)]
        compliance: bool,
        /// Auditors (regulators, clients) expect a detailed document.
        #[arg(long)]
        auditors_expect_detail: bool,
        /// Default: the organisation's size.
        #[arg(long, default_value_t = 0)]
        employees: u32,
        #[arg(long, default_value = "medium")]
        importance: String,
        #[arg(long, default_value_t = 5)]
        people: u32,
        #[arg(long, default_value = "medium")]
        complexity: String,
        /// new, established, mature.
        #[arg(long, default_value = "established")]
        maturity: String,
        /// daily, weekly, monthly, quarterly, yearly, rarely.
        #[arg(long, default_value = "monthly")]
        frequency: String,
    },
    /// Templates for the documents ISO 27001 makes mandatory.
    Templates,
    /// A template, sized to the organisation.
    Template {
        id: String,
    },
}
