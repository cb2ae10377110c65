//! Domain values to API messages and back. One function per message, used by every service
//! (and by the CLI, which reads schemes from TOML files).

use rampart_engine::domain::Invalid;
use rampart_engine::domain::asset::{Asset, AssetFields, AssetTypeDefinition, Cia, Lifecycle};
use rampart_engine::domain::audit::AuditEvent;
use rampart_engine::domain::classification::{
    ClassificationRecord, ClassificationScheme, HandlingRule, LabelingRule, Level,
};
use rampart_engine::domain::organisation::Organisation;
use rampart_engine::domain::user::User;
use rampart_engine::{ApiToken, StoredScheme};
use rampart_proto::v1 as pb;

pub fn organisation(o: Organisation) -> pb::Organisation {
    pb::Organisation {
        id: o.id,
        name: o.name,
        employees: o.employees,
        isms_scope: o.isms_scope,
        revision: o.revision,
        created_at: o.created_at,
        updated_at: o.updated_at,
    }
}

pub fn user(u: User) -> pb::User {
    pb::User {
        id: u.id,
        display_name: u.display_name,
        email: u.email,
        roles: u.roles,
        department: u.department,
        job_title: u.job_title,
        clearance: u.clearance,
        active: u.active,
        revision: u.revision,
        created_at: u.created_at,
        updated_at: u.updated_at,
    }
}

pub fn token(t: ApiToken) -> pb::Token {
    pb::Token {
        token_id: t.token_id,
        organisation: t.organisation,
        subject_kind: t.subject_kind,
        subject: t.subject,
        label: t.label,
        created_at: t.created_at,
        created_by: t.created_by,
        expires_at: t.expires_at,
        revoked: t.revoked,
    }
}

fn cia_in(c: Option<pb::Cia>) -> Result<Cia, Invalid> {
    let c = c.unwrap_or_default();
    let narrow = |field: &str, v: u32| {
        u8::try_from(v).map_err(|_| Invalid::new(field, format!("{v} is outside the scale 0–5")))
    };
    Ok(Cia {
        confidentiality: narrow("cia.confidentiality", c.confidentiality)?,
        integrity: narrow("cia.integrity", c.integrity)?,
        availability: narrow("cia.availability", c.availability)?,
    })
}

pub fn lifecycle_in(s: &str, default: Lifecycle) -> Result<Lifecycle, Invalid> {
    if s.trim().is_empty() {
        Ok(default)
    } else {
        Lifecycle::parse("lifecycle", s)
    }
}

#[allow(clippy::too_many_arguments)]
pub fn asset_fields(
    name: String,
    asset_type: String,
    owner: String,
    location: String,
    description: String,
    cia: Option<pb::Cia>,
    lifecycle: &str,
    default_lifecycle: Lifecycle,
) -> Result<AssetFields, Invalid> {
    Ok(AssetFields {
        name,
        asset_type,
        owner,
        location,
        description,
        cia: cia_in(cia)?,
        lifecycle: lifecycle_in(lifecycle, default_lifecycle)?,
    })
}

pub fn asset(a: Asset, scheme: Option<&ClassificationScheme>) -> pb::Asset {
    let classification = a.classification.map(|c| {
        let level = scheme.and_then(|s| s.level(&c.level));
        pb::AssetClassification {
            level_name: level
                .map(|l| l.name.clone())
                .unwrap_or_else(|| c.level.clone()),
            rank: scheme.and_then(|s| s.rank(&c.level)).unwrap_or(0) as u32,
            level: c.level,
            classified_by: c.by,
            classified_at: c.at,
            reason: c.reason,
        }
    });
    pb::Asset {
        id: a.id,
        name: a.name,
        asset_type: a.asset_type,
        owner: a.owner,
        location: a.location,
        description: a.description,
        cia: Some(pb::Cia {
            confidentiality: a.cia.confidentiality.into(),
            integrity: a.cia.integrity.into(),
            availability: a.cia.availability.into(),
        }),
        lifecycle: a.lifecycle.as_str().to_string(),
        classification,
        revision: a.revision,
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

pub fn asset_type(t: AssetTypeDefinition) -> pb::AssetType {
    pb::AssetType {
        id: t.id,
        name: t.name,
        description: t.description,
        built_in: t.built_in,
    }
}

fn levels(levels: &[Level]) -> Vec<pb::Level> {
    levels
        .iter()
        .enumerate()
        .map(|(i, l)| pb::Level {
            id: l.id.clone(),
            name: l.name.clone(),
            description: l.description.clone(),
            rank: i as u32,
        })
        .collect()
}

pub fn handling_rule(r: HandlingRule) -> pb::HandlingRule {
    pb::HandlingRule {
        level: r.level,
        asset_type: r.asset_type,
        storage: r.storage,
        transfer_inside: r.transfer_inside,
        transfer_outside: r.transfer_outside,
        disposal: r.disposal,
    }
}

pub fn scheme(s: StoredScheme) -> pb::ClassificationScheme {
    pb::ClassificationScheme {
        levels: levels(&s.levels),
        labeling_rules: s
            .labeling_rules
            .into_iter()
            .map(|r| pb::LabelingRule {
                asset_type: r.asset_type,
                label: r.label,
                placement: r.placement,
            })
            .collect(),
        handling_rules: s.handling_rules.into_iter().map(handling_rule).collect(),
        revision: s.revision,
        updated_at: s.updated_at,
    }
}

pub fn scheme_in(s: pb::ClassificationScheme) -> ClassificationScheme {
    ClassificationScheme {
        levels: s
            .levels
            .into_iter()
            .map(|l| Level {
                id: l.id,
                name: l.name,
                description: l.description,
            })
            .collect(),
        labeling_rules: s
            .labeling_rules
            .into_iter()
            .map(|r| LabelingRule {
                asset_type: r.asset_type,
                label: r.label,
                placement: r.placement,
            })
            .collect(),
        handling_rules: s
            .handling_rules
            .into_iter()
            .map(|r| HandlingRule {
                level: r.level,
                asset_type: r.asset_type,
                storage: r.storage,
                transfer_inside: r.transfer_inside,
                transfer_outside: r.transfer_outside,
                disposal: r.disposal,
            })
            .collect(),
    }
}

pub fn template(id: &str, description: &str, s: ClassificationScheme) -> pb::SchemeTemplate {
    pb::SchemeTemplate {
        id: id.into(),
        description: description.into(),
        levels: levels(&s.levels),
    }
}

pub fn classification_record(r: ClassificationRecord) -> pb::ClassificationRecord {
    pb::ClassificationRecord {
        level: r.level,
        previous_level: r.previous_level,
        by: r.by,
        at: r.at,
        reason: r.reason,
    }
}

pub fn event(e: AuditEvent) -> pb::AuditEvent {
    pb::AuditEvent {
        seq: e.seq,
        actor: e.actor,
        operation: e.operation,
        entity: e.entity,
        state_digest: e.state_digest,
        at: e.at,
        prev_hash: e.prev_hash,
        hash: e.hash,
    }
}

/// A rendered report or export as the API sends it.
pub fn report_file(f: rampart_engine::ReportFile) -> pb::ReportFile {
    pb::ReportFile {
        filename: f.filename,
        content_type: f.content_type,
        content: f.bytes,
    }
}
