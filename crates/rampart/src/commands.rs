//! What each subcommand does.

use std::collections::HashMap;

use anyhow::{Context, bail};
use rampart_proto::v1 as pb;
use tokio_stream::StreamExt;

use crate::cli::{
    AssetCmd, AuditCmd, ClassificationCmd, Cli, Command, OrgCmd, PluginCmd, TokenCmd, UserCmd,
};
use crate::client::{Client, explain};
use crate::config;
use crate::output::{json, print_json, record, table};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = config::load(&cli.global)?;
    if let Command::Serve(args) = cli.command {
        return crate::serve::run(args, &file).await;
    }
    if let Command::Plugin(PluginCmd::Test { dir }) = &cli.command {
        return crate::plugins::test(dir, cli.global.json);
    }
    if let Command::Policy(crate::cli::PolicyCmd::Test { dir }) = &cli.command {
        return crate::policies::test(dir, cli.global.json);
    }
    let settings = config::client(&cli.global, &file)?;
    let client = Client::connect(&settings).await?;
    let as_json = cli.global.json;
    match cli.command {
        Command::Serve(_) => unreachable!("handled above"),
        Command::Whoami => {
            let me = client
                .users()
                .who_am_i(client.req(pb::WhoAmIRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                print_json(&me);
            } else {
                record(&[
                    ("kind", me.kind),
                    ("id", me.id),
                    ("name", me.display_name),
                    ("organisation", me.organisation),
                    ("roles", me.roles.join(", ")),
                ]);
            }
        }
        Command::Org(cmd) => org(&client, cmd, as_json).await?,
        Command::User(cmd) => user(&client, cmd, as_json).await?,
        Command::Token(cmd) => token(&client, cmd, as_json).await?,
        Command::Asset(cmd) => asset(&client, cmd, as_json).await?,
        Command::Classification(cmd) => classification(&client, cmd, as_json).await?,
        Command::Audit(cmd) => audit(&client, cmd, as_json).await?,
        Command::Plugin(cmd) => crate::plugins::run(&client, cmd, as_json).await?,
        Command::Document(cmd) => crate::documents::run(&client, cmd, as_json).await?,
        Command::Policy(cmd) => crate::policies::run(&client, cmd, as_json).await?,
        Command::Framework(cmd) => crate::frameworks::run(&client, cmd, as_json).await?,
        Command::Risk(cmd) => crate::risks::run_risk(&client, cmd, as_json).await?,
        Command::Party(cmd) => crate::risks::run_party(&client, cmd, as_json).await?,
        Command::Soa(cmd) => crate::risks::run_soa(&client, cmd, as_json).await?,
        Command::Rtp(cmd) => crate::risks::run_rtp(&client, cmd, as_json).await?,
        Command::Task(cmd) => crate::operations::run_task(&client, cmd, as_json).await?,
        Command::Project { framework } => {
            crate::operations::run_project(&client, &framework, as_json).await?
        }
        Command::InternalAudit(cmd) => crate::audits::run_audit(&client, cmd, as_json).await?,
        Command::Nonconformity(cmd) => crate::audits::run_nc(&client, cmd, as_json).await?,
        Command::ManagementReview(cmd) => crate::audits::run_review(&client, cmd, as_json).await?,
        Command::Objective(cmd) => crate::audits::run_objective(&client, cmd, as_json).await?,
        Command::Training(cmd) => crate::training::run(&client, cmd, as_json).await?,
        Command::Certification { framework } => {
            crate::audits::run_certification(&client, framework, as_json).await?
        }
        Command::Raci {
            person,
            kind,
            export,
            out,
        } => crate::responsibilities::run(&client, person, kind, export, out, as_json).await?,
        Command::Clock(cmd) => crate::operations::run_clock(&client, cmd, as_json).await?,
        Command::Estimate {
            employees,
            departments,
            people_trained,
        } => {
            crate::operations::run_estimate(
                &client,
                employees,
                departments,
                people_trained,
                as_json,
            )
            .await?
        }
    }
    Ok(())
}

fn show_org(o: &pb::Organisation, as_json: bool) {
    if as_json {
        return print_json(o);
    }
    record(&[
        ("id", o.id.clone()),
        ("name", o.name.clone()),
        ("employees", o.employees.to_string()),
        ("ISMS scope", o.isms_scope.clone()),
        ("revision", o.revision.to_string()),
    ]);
}

async fn org(client: &Client, cmd: OrgCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.organisations();
    match cmd {
        OrgCmd::List => {
            let r = svc
                .list_organisations(client.req(pb::ListOrganisationsRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["id", "name", "employees", "revision"],
                r.organisations
                    .iter()
                    .map(|o| {
                        vec![
                            o.id.clone(),
                            o.name.clone(),
                            o.employees.to_string(),
                            o.revision.to_string(),
                        ]
                    })
                    .collect(),
            );
        }
        OrgCmd::Get { id } => {
            let o = svc
                .get_organisation(client.req(pb::GetOrganisationRequest {
                    id: id.unwrap_or_default(),
                }))
                .await
                .map_err(explain)?;
            show_org(o.get_ref(), as_json);
        }
        OrgCmd::Create {
            id,
            name,
            employees,
            scope,
            scheme,
        } => {
            let req = pb::CreateOrganisationRequest {
                id,
                name,
                employees,
                isms_scope: scope,
                scheme_template: scheme,
            };
            let o = svc
                .create_organisation(client.req(req))
                .await
                .map_err(explain)?;
            show_org(o.get_ref(), as_json);
        }
        OrgCmd::Update {
            id,
            revision,
            name,
            employees,
            scope,
        } => {
            let current = svc
                .get_organisation(client.req(pb::GetOrganisationRequest { id: id.clone() }))
                .await
                .map_err(explain)?
                .into_inner();
            let req = pb::UpdateOrganisationRequest {
                id,
                expected_revision: revision,
                name: name.unwrap_or(current.name),
                employees: employees.unwrap_or(current.employees),
                isms_scope: scope.unwrap_or(current.isms_scope),
            };
            let o = svc
                .update_organisation(client.req(req))
                .await
                .map_err(explain)?;
            show_org(o.get_ref(), as_json);
        }
        OrgCmd::Export { id, out, framework } => {
            export_org(client, id.unwrap_or_default(), &out, framework, as_json).await?;
        }
        OrgCmd::Import {
            file,
            as_id,
            expect_head,
        } => import_org(client, &file, as_id, expect_head, as_json).await?,
    }
    Ok(())
}

async fn user(client: &Client, cmd: UserCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.users();
    match cmd {
        UserCmd::List => {
            let mut all = Vec::new();
            let mut page_token = String::new();
            loop {
                let r = svc
                    .list_users(client.req(pb::ListUsersRequest {
                        page_size: 1000,
                        page_token,
                    }))
                    .await
                    .map_err(explain)?
                    .into_inner();
                all.extend(r.users);
                if r.next_page_token.is_empty() {
                    break;
                }
                page_token = r.next_page_token;
            }
            if as_json {
                return json(&all);
            }
            table(
                &[
                    "id",
                    "name",
                    "roles",
                    "department",
                    "job title",
                    "clearance",
                ],
                all.iter()
                    .map(|u| {
                        vec![
                            u.id.clone(),
                            u.display_name.clone(),
                            u.roles.join(","),
                            u.department.clone(),
                            u.job_title.clone(),
                            u.clearance.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        UserCmd::Get { id } => {
            let u = svc
                .get_user(client.req(pb::GetUserRequest { id }))
                .await
                .map_err(explain)?
                .into_inner();
            show_user(&u, as_json);
        }
        UserCmd::Create {
            id,
            name,
            email,
            roles,
            department,
            job_title,
            clearance,
        } => {
            let req = pb::CreateUserRequest {
                id,
                display_name: name,
                email,
                roles,
                department,
                job_title,
                clearance,
            };
            let u = svc
                .create_user(client.req(req))
                .await
                .map_err(explain)?
                .into_inner();
            show_user(&u, as_json);
        }
    }
    Ok(())
}

fn show_user(u: &pb::User, as_json: bool) {
    if as_json {
        return print_json(u);
    }
    record(&[
        ("id", u.id.clone()),
        ("name", u.display_name.clone()),
        ("email", u.email.clone()),
        ("roles", u.roles.join(", ")),
        ("department", u.department.clone()),
        ("job title", u.job_title.clone()),
        ("clearance", u.clearance.clone()),
        ("active", u.active.to_string()),
        ("revision", u.revision.to_string()),
    ]);
}

async fn token(client: &Client, cmd: TokenCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.tokens();
    match cmd {
        TokenCmd::Create {
            user,
            label,
            expires,
        } => {
            let r = svc
                .create_token(client.req(pb::CreateTokenRequest {
                    user_id: user,
                    label,
                    expires_at: expires,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            let t = r.token.unwrap_or_default();
            record(&[
                ("token id", t.token_id),
                ("user", t.subject),
                ("organisation", t.organisation),
            ]);
            println!("\nsecret (shown once, store it now):\n{}", r.secret);
        }
        TokenCmd::List { user } => {
            let r = svc
                .list_tokens(client.req(pb::ListTokensRequest { user_id: user }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["token id", "user", "label", "created", "expires", "revoked"],
                r.tokens
                    .iter()
                    .map(|t| {
                        vec![
                            t.token_id.clone(),
                            t.subject.clone(),
                            t.label.clone(),
                            t.created_at.clone(),
                            t.expires_at.clone(),
                            t.revoked.to_string(),
                        ]
                    })
                    .collect(),
            );
        }
        TokenCmd::Revoke { token_id } => {
            let t = svc
                .revoke_token(client.req(pb::RevokeTokenRequest { token_id }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&t);
            }
            println!("revoked {}", t.token_id);
        }
    }
    Ok(())
}

fn parse_cia(s: &str) -> anyhow::Result<pb::Cia> {
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() != 3 {
        bail!("--cia takes three values 0–5 as C/I/A, e.g. 3/2/2");
    }
    let n = |p: &str| {
        p.trim()
            .parse::<u32>()
            .with_context(|| format!("--cia: '{p}' is not a number"))
    };
    Ok(pb::Cia {
        confidentiality: n(parts[0])?,
        integrity: n(parts[1])?,
        availability: n(parts[2])?,
    })
}

fn cia_text(c: &Option<pb::Cia>) -> String {
    c.as_ref()
        .map(|c| format!("{}/{}/{}", c.confidentiality, c.integrity, c.availability))
        .unwrap_or_default()
}

fn level_text(a: &pb::Asset) -> String {
    a.classification
        .as_ref()
        .map(|c| c.level_name.clone())
        .unwrap_or_else(|| "(unclassified)".into())
}

fn show_asset(a: &pb::Asset, as_json: bool) {
    if as_json {
        return print_json(a);
    }
    let mut rows = vec![
        ("id", a.id.clone()),
        ("name", a.name.clone()),
        ("type", a.asset_type.clone()),
        ("owner", a.owner.clone()),
        ("location", a.location.clone()),
        ("C/I/A", cia_text(&a.cia)),
        ("lifecycle", a.lifecycle.clone()),
        ("classification", level_text(a)),
    ];
    if let Some(c) = &a.classification {
        rows.push((
            "classified by",
            format!("{} at {}", c.classified_by, c.classified_at),
        ));
        rows.push(("reason", c.reason.clone()));
    }
    rows.push(("revision", a.revision.to_string()));
    record(&rows);
}

async fn asset(client: &Client, cmd: AssetCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.assets();
    match cmd {
        AssetCmd::List {
            owner,
            asset_type,
            level,
            lifecycle,
            limit,
        } => {
            let mut all = Vec::new();
            let mut page_token = String::new();
            loop {
                let req = pb::ListAssetsRequest {
                    owner: owner.clone(),
                    asset_type: asset_type.clone(),
                    level: level.clone(),
                    lifecycle: lifecycle.clone(),
                    page_size: if limit == 0 { 1000 } else { limit },
                    page_token,
                };
                let r = svc
                    .list_assets(client.req(req))
                    .await
                    .map_err(explain)?
                    .into_inner();
                all.extend(r.assets);
                if r.next_page_token.is_empty() || limit != 0 {
                    break;
                }
                page_token = r.next_page_token;
            }
            if as_json {
                return json(&all);
            }
            table(
                &[
                    "id",
                    "name",
                    "type",
                    "owner",
                    "C/I/A",
                    "classification",
                    "lifecycle",
                ],
                all.iter()
                    .map(|a| {
                        vec![
                            a.id.clone(),
                            a.name.clone(),
                            a.asset_type.clone(),
                            a.owner.clone(),
                            cia_text(&a.cia),
                            level_text(a),
                            a.lifecycle.clone(),
                        ]
                    })
                    .collect(),
            );
            println!(
                "{} asset{}",
                all.len(),
                if all.len() == 1 { "" } else { "s" }
            );
        }
        AssetCmd::Get { id } => {
            let a = svc
                .get_asset(client.req(pb::GetAssetRequest { id }))
                .await
                .map_err(explain)?
                .into_inner();
            show_asset(&a, as_json);
        }
        AssetCmd::Create {
            name,
            asset_type,
            owner,
            location,
            description,
            cia,
            lifecycle,
        } => {
            let req = pb::CreateAssetRequest {
                name,
                asset_type,
                owner,
                location,
                description,
                cia: Some(parse_cia(&cia)?),
                lifecycle,
            };
            let a = svc
                .create_asset(client.req(req))
                .await
                .map_err(explain)?
                .into_inner();
            show_asset(&a, as_json);
        }
        AssetCmd::Update {
            id,
            name,
            asset_type,
            owner,
            location,
            description,
            cia,
            lifecycle,
        } => {
            let cur = svc
                .get_asset(client.req(pb::GetAssetRequest { id: id.clone() }))
                .await
                .map_err(explain)?
                .into_inner();
            let req = pb::UpdateAssetRequest {
                id,
                expected_revision: cur.revision,
                name: name.unwrap_or(cur.name),
                asset_type: asset_type.unwrap_or(cur.asset_type),
                owner: owner.unwrap_or(cur.owner),
                location: location.unwrap_or(cur.location),
                description: description.unwrap_or(cur.description),
                cia: match cia {
                    Some(c) => Some(parse_cia(&c)?),
                    None => cur.cia,
                },
                lifecycle: lifecycle.unwrap_or(cur.lifecycle),
            };
            let a = svc
                .update_asset(client.req(req))
                .await
                .map_err(explain)?
                .into_inner();
            show_asset(&a, as_json);
        }
        AssetCmd::Classify { id, level, reason } => {
            let cur = svc
                .get_asset(client.req(pb::GetAssetRequest { id: id.clone() }))
                .await
                .map_err(explain)?
                .into_inner();
            let req = pb::ClassifyAssetRequest {
                asset_id: id,
                expected_revision: cur.revision,
                level,
                reason,
            };
            let a = client
                .classification()
                .classify_asset(client.req(req))
                .await
                .map_err(explain)?
                .into_inner();
            show_asset(&a, as_json);
        }
        AssetCmd::History { id } => {
            let h = client
                .classification()
                .get_classification_history(
                    client.req(pb::GetClassificationHistoryRequest { asset_id: id }),
                )
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&h);
            }
            table(
                &["at", "from", "to", "by", "reason"],
                h.records
                    .iter()
                    .map(|r| {
                        vec![
                            r.at.clone(),
                            r.previous_level.clone(),
                            r.level.clone(),
                            r.by.clone(),
                            r.reason.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        AssetCmd::Label { id } => {
            let l = client
                .classification()
                .get_label(client.req(pb::GetLabelRequest { asset_id: id }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&l);
            }
            record(&[
                ("label", l.text),
                ("placement", l.placement.join("; ")),
                ("level", l.level),
                ("type", l.asset_type),
            ]);
        }
        AssetCmd::Handling { id } => {
            let h = client
                .classification()
                .get_handling_rules(client.req(pb::GetHandlingRulesRequest { asset_id: id }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&h);
            }
            match &h.rule {
                None => println!(
                    "The handling matrix has no rule for {} × {}.",
                    h.level, h.asset_type
                ),
                Some(r) => record(&[
                    ("level", h.level.clone()),
                    ("type", h.asset_type.clone()),
                    ("storage", r.storage.clone()),
                    ("transfer inside", r.transfer_inside.clone()),
                    ("transfer outside", r.transfer_outside.clone()),
                    ("disposal", r.disposal.clone()),
                ]),
            }
        }
        AssetCmd::Types => {
            let r = svc
                .list_asset_types(client.req(pb::ListAssetTypesRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["id", "name", "built in"],
                r.asset_types
                    .iter()
                    .map(|t| vec![t.id.clone(), t.name.clone(), t.built_in.to_string()])
                    .collect(),
            );
        }
        AssetCmd::DefineType {
            id,
            name,
            description,
        } => {
            let t = svc
                .define_asset_type(client.req(pb::DefineAssetTypeRequest {
                    id,
                    name,
                    description,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&t);
            }
            println!("defined asset type {} ({})", t.id, t.name);
        }
    }
    Ok(())
}

async fn classification(
    client: &Client,
    cmd: ClassificationCmd,
    as_json: bool,
) -> anyhow::Result<()> {
    let mut svc = client.classification();
    match cmd {
        ClassificationCmd::Show => {
            let s = svc
                .get_scheme(client.req(pb::GetSchemeRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            show_scheme(&s, as_json);
        }
        ClassificationCmd::Templates => {
            let r = svc
                .list_scheme_templates(client.req(pb::ListSchemeTemplatesRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["template", "levels (lowest first)", "description"],
                r.templates
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.clone(),
                            t.levels
                                .iter()
                                .map(|l| l.name.clone())
                                .collect::<Vec<_>>()
                                .join(" < "),
                            t.description.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        ClassificationCmd::Set {
            template,
            file,
            mapping,
            reason,
        } => {
            let current = svc.get_scheme(client.req(pb::GetSchemeRequest {})).await;
            let expected_revision = match current {
                Ok(s) => s.into_inner().revision,
                Err(s) if s.code() == tonic::Code::NotFound => 0,
                Err(s) => return Err(explain(s)),
            };
            let scheme = match &file {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    Some(
                        crate::example::scheme_from_toml(&text)
                            .with_context(|| format!("{} is not a scheme", path.display()))?,
                    )
                }
                None => None,
            };
            if scheme.is_none() && template.is_none() {
                bail!("give --template NAME or --file scheme.toml");
            }
            let mut level_mapping = HashMap::new();
            for m in mapping {
                let (from, to) = m
                    .split_once('=')
                    .with_context(|| format!("--map takes OLD=NEW, got '{m}'"))?;
                level_mapping.insert(from.trim().to_string(), to.trim().to_string());
            }
            let req = pb::SetSchemeRequest {
                expected_revision,
                scheme,
                template: template.unwrap_or_default(),
                level_mapping,
                reason,
            };
            let r = svc
                .set_scheme(client.req(req))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            if let Some(s) = &r.scheme {
                show_scheme(s, false);
            }
            println!("{} assets reclassified", r.reclassified_assets);
        }
    }
    Ok(())
}

fn show_scheme(s: &pb::ClassificationScheme, as_json: bool) {
    if as_json {
        return print_json(s);
    }
    println!("Levels (lowest first), revision {}:", s.revision);
    table(
        &["rank", "id", "name", "description"],
        s.levels
            .iter()
            .map(|l| {
                vec![
                    l.rank.to_string(),
                    l.id.clone(),
                    l.name.clone(),
                    l.description.clone(),
                ]
            })
            .collect(),
    );
    if !s.labeling_rules.is_empty() {
        println!("Labeling rules:");
        table(
            &["asset type", "label", "placement"],
            s.labeling_rules
                .iter()
                .map(|r| {
                    vec![
                        r.asset_type.clone(),
                        r.label.clone(),
                        r.placement.join("; "),
                    ]
                })
                .collect(),
        );
    }
    if !s.handling_rules.is_empty() {
        println!("Handling rules:");
        table(
            &[
                "level",
                "asset type",
                "storage",
                "transfer inside",
                "transfer outside",
                "disposal",
            ],
            s.handling_rules
                .iter()
                .map(|r| {
                    vec![
                        r.level.clone(),
                        r.asset_type.clone(),
                        r.storage.clone(),
                        r.transfer_inside.clone(),
                        r.transfer_outside.clone(),
                        r.disposal.clone(),
                    ]
                })
                .collect(),
        );
    }
}

fn event_row(e: &pb::AuditEvent) -> Vec<String> {
    vec![
        e.seq.to_string(),
        e.at.clone(),
        e.actor.clone(),
        e.operation.clone(),
        e.entity.clone(),
        e.hash[..12.min(e.hash.len())].to_string(),
    ]
}

const EVENT_HEADERS: [&str; 6] = ["seq", "at", "actor", "operation", "entity", "hash"];

async fn audit(client: &Client, cmd: AuditCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.audit();
    match cmd {
        AuditCmd::List {
            after,
            entity,
            limit,
        } => {
            let r = svc
                .list_events(client.req(pb::ListEventsRequest {
                    after_seq: after,
                    entity,
                    page_size: limit,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(&EVENT_HEADERS, r.events.iter().map(event_row).collect());
        }
        AuditCmd::Verify { system } => {
            let r = svc
                .verify_chain(client.req(pb::VerifyChainRequest { system }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                print_json(&r);
            } else if r.intact {
                println!("intact: {} events verified", r.verified_events);
            } else {
                println!(
                    "BROKEN at event {}: {} ({} events before it verified)",
                    r.broken_seq, r.reason, r.verified_events
                );
            }
            if !r.intact {
                std::process::exit(2);
            }
        }
        AuditCmd::Watch { after } => {
            let mut stream = svc
                .watch(client.req(pb::WatchRequest { after_seq: after }))
                .await
                .map_err(explain)?
                .into_inner();
            while let Some(e) = stream.next().await {
                let e = e.map_err(explain)?;
                if as_json {
                    println!("{}", serde_json::to_string(&e)?);
                } else {
                    println!("{}", event_row(&e).join("  "));
                }
            }
        }
    }
    Ok(())
}

async fn export_org(
    client: &Client,
    id: String,
    out: &std::path::Path,
    framework: String,
    as_json: bool,
) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stream = client
        .organisations()
        .export_organisation(client.req(pb::ExportOrganisationRequest { id, framework }))
        .await
        .map_err(explain)?
        .into_inner();
    // Written beside the target and renamed at the end, so a failed export leaves no half file.
    let partial = out.with_extension("partial");
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(&partial)
            .with_context(|| format!("cannot write {}", partial.display()))?,
    );
    let mut summary = None;
    let mut written = 0u64;
    while let Some(chunk) = stream.message().await.map_err(explain)? {
        if chunk.summary.is_some() {
            summary = chunk.summary;
        }
        file.write_all(&chunk.data)?;
        written += chunk.data.len() as u64;
        crate::documents::progress(written, summary.as_ref().map(|s| s.size).unwrap_or(0));
    }
    file.flush()?;
    drop(file);
    std::fs::rename(&partial, out)
        .with_context(|| format!("cannot move the bundle to {}", out.display()))?;
    let s = summary.context("the server sent no bundle")?;
    if as_json {
        return json(&serde_json::json!({
            "file": out.display().to_string(),
            "records": s.records,
            "events": s.events,
            "size": s.size,
            "head": s.head,
            "content_digest": s.content_digest,
        }));
    }
    eprintln!();
    record(&[
        ("bundle", out.display().to_string()),
        ("records", s.records.to_string()),
        ("audit events", s.events.to_string()),
        ("size", format!("{} bytes", s.size)),
        ("head", s.head.clone()),
    ]);
    println!(
        "\nGive the receiver the bundle and its head; they import it with\n  rampart org import {} --expect-head {}",
        out.display(),
        s.head
    );
    Ok(())
}

async fn import_org(
    client: &Client,
    file: &std::path::Path,
    as_id: String,
    expected_head: String,
    as_json: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let size = bytes.len() as u64;
    let mut messages = vec![pb::ImportOrganisationRequest {
        part: Some(pb::import_organisation_request::Part::Header(
            pb::ImportHeader {
                as_id,
                expected_head,
                size,
            },
        )),
    }];
    messages.extend(
        bytes
            .chunks(256 * 1024)
            .map(|c| pb::ImportOrganisationRequest {
                part: Some(pb::import_organisation_request::Part::Chunk(c.to_vec())),
            }),
    );
    let r = client
        .organisations()
        .import_organisation(client.req(tokio_stream::iter(messages)))
        .await
        .map_err(explain)?
        .into_inner();
    if as_json {
        print_json(&r);
        return Ok(());
    }
    let o = r.organisation.unwrap_or_default();
    record(&[
        ("organisation", o.id.clone()),
        ("name", o.name),
        ("records", r.records.to_string()),
        ("audit events", format!("{} (chain verified)", r.events)),
        (
            "exported by",
            format!("{} at {}", r.exported_by, r.exported_at),
        ),
        (
            "framework",
            if r.framework.is_empty() {
                "all".into()
            } else {
                r.framework
            },
        ),
    ]);
    println!(
        "\nAPI tokens do not travel with a bundle: issue new ones, e.g.\n  rampart token create --org {} --user USER",
        o.id
    );
    Ok(())
}
