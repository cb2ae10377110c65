//! The three standard packs shipped in plugins/: their content against the standards (and the
//! reference tables they were built from), their suggestions and their checks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rampart_plugins::pack::{Attribute, Catalog, FindingStatus, RiskContext, Snapshot};
use rampart_plugins::{FrameworkPack, Limits, PluginHost};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The reference tables (../shared/reference, or RAMPART_REFERENCE).
fn reference(file: &str) -> String {
    let dir = std::env::var_os("RAMPART_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/reference"));
    let path = dir.join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the reference tables; set RAMPART_REFERENCE to their directory)",
            path.display()
        )
    })
}

/// Rows of a reference CSV as maps from column name to value.
fn csv(file: &str) -> Vec<BTreeMap<String, String>> {
    let text = reference(file);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn pack(id: &str) -> Arc<dyn FrameworkPack> {
    let host = PluginHost::new(Limits::default(), None).unwrap();
    let plugin = host
        .prepare(&workspace().join("plugins").join(id))
        .unwrap_or_else(|e| panic!("{id}: {e}"));
    plugin.framework_pack().unwrap().clone()
}

fn attribute<'a>(c: &'a rampart_plugins::pack::Control, name: &str) -> Vec<&'a str> {
    c.attributes
        .iter()
        .filter(|a| a.name == name)
        .map(|a| a.value.as_str())
        .collect()
}

fn clauses(c: &Catalog) -> Vec<&str> {
    c.requirements
        .iter()
        .filter(|r| !r.id.starts_with("A."))
        .map(|r| r.id.as_str())
        .collect()
}

#[test]
fn iso27001_holds_the_93_controls_in_four_themes_and_41_clauses() {
    let p = pack("iso27001-2022");
    let c = p.catalog();
    assert_eq!(
        (c.framework.as_str(), c.version.as_str()),
        ("ISO/IEC 27001", "2022")
    );
    assert_eq!(c.controls.len(), 93);
    let mut themes = BTreeMap::new();
    for k in &c.controls {
        *themes.entry(attribute(k, "theme")[0]).or_insert(0) += 1;
    }
    assert_eq!(
        themes,
        BTreeMap::from([("A.5", 37), ("A.6", 8), ("A.7", 14), ("A.8", 34)])
    );
    let new: BTreeSet<&str> = c
        .controls
        .iter()
        .filter(|k| attribute(k, "new-in-2022") == ["true"])
        .map(|k| k.id.as_str())
        .collect();
    assert_eq!(
        new,
        BTreeSet::from([
            "A.5.7", "A.5.23", "A.5.30", "A.7.4", "A.8.9", "A.8.10", "A.8.11", "A.8.12", "A.8.16",
            "A.8.23", "A.8.28"
        ])
    );
    assert_eq!(clauses(c).len(), 41);
    // Every row of the reference tables, with its attributes.
    let annex = csv("standards/iso27001-2022-annex-a.csv");
    for row in &annex {
        let k = c.controls.iter().find(|k| k.id == row["ref"]).unwrap();
        assert_eq!(k.title, row["title"]);
        assert_eq!(attribute(k, "control-type").join(";"), row["control_type"]);
        assert_eq!(
            attribute(k, "security-property").join(";"),
            row["security_properties"],
            "{}",
            k.id
        );
        assert_eq!(
            attribute(k, "operational-capability").join(";"),
            row["operational_capabilities"]
        );
    }
    for row in csv("standards/iso27001-2022-clauses.csv") {
        let r = c.requirements.iter().find(|r| r.id == row["id"]).unwrap();
        assert_eq!(r.title, row["title"]);
        assert_eq!(r.parent.as_deref().unwrap_or(""), row["parent"]);
    }
    // Each control's theme is a requirement of the tree.
    for theme in themes.keys() {
        assert!(
            c.requirements
                .iter()
                .any(|r| r.id == *theme && r.parent.is_none())
        );
    }
}

#[test]
fn iso27001_maps_all_114_controls_of_2013_to_2022() {
    let p = pack("iso27001-2022");
    let c = p.catalog();
    let table = csv("standards/iso27001-2013-to-2022.csv");
    let listed: BTreeSet<&str> = table
        .iter()
        .map(|r| r["iso27001_2013_id"].as_str())
        .collect();
    assert_eq!(listed.len(), 114);
    let mapped: BTreeSet<(&str, &str)> = c
        .mappings
        .iter()
        .filter(|m| m.framework == "iso27001-2013")
        .map(|m| (m.target.as_str(), m.source.as_str()))
        .collect();
    let old: BTreeSet<&str> = mapped.iter().map(|(old, _)| *old).collect();
    assert_eq!(old.len(), 114);
    for row in &table {
        assert!(
            mapped.contains(&(
                row["iso27001_2013_id"].as_str(),
                row["iso27001_2022_id"].as_str()
            )),
            "{row:?}"
        );
    }
    // A.12.3.1 Information backup became A.8.13.
    assert!(mapped.contains(&("A.12.3.1", "A.8.13")));
}

#[test]
fn every_mandatory_row_is_in_its_pack_with_its_clause() {
    let packs = [
        ("ISO/IEC 27001:2022", pack("iso27001-2022")),
        ("ISO 22301:2019", pack("iso22301-2019")),
        ("ISO 9001:2015", pack("iso9001-2015")),
    ];
    let rows = csv("standards/mandatory-documents.csv");
    assert_eq!(rows.len(), 71);
    for row in &rows {
        let (_, p) = packs.iter().find(|(s, _)| *s == row["standard"]).unwrap();
        let m = p
            .catalog()
            .mandatory
            .iter()
            .find(|m| m.title == row["item"] && m.reference == row["clause"])
            .unwrap_or_else(|| panic!("missing {row:?}"));
        let kind = if row["kind"].starts_with("record") {
            "retained"
        } else {
            "maintained"
        };
        assert_eq!(serde_json::to_value(m.kind).unwrap(), kind, "{row:?}");
        // The requirement it hangs on is the clause named first (or the deepest clause of the
        // tree above it).
        let first = row["clause"].split([',', ' ']).next().unwrap();
        assert!(
            first.starts_with(&m.requirement),
            "{row:?} -> {}",
            m.requirement
        );
    }
    let total: usize = packs.iter().map(|(_, p)| p.catalog().mandatory.len()).sum();
    assert_eq!(total, 71);
    let soa = packs[0]
        .1
        .catalog()
        .mandatory
        .iter()
        .find(|m| m.id == "soa")
        .unwrap();
    assert_eq!(
        (soa.requirement.as_str(), soa.reference.as_str()),
        ("6.1.3", "6.1.3 d)")
    );
}

#[test]
fn iso22301_and_iso9001_keep_their_own_clause_order_and_map_to_27001() {
    let bc = pack("iso22301-2019");
    let c = bc.catalog();
    assert_eq!(clauses(c).len(), 64);
    let title = |c: &Catalog, id: &str| {
        c.requirements
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .title
            .clone()
    };
    // 22301 has nonconformity first, the reverse of 27001.
    assert_eq!(title(c, "10.1"), "Nonconformity and corrective action");
    assert_eq!(title(c, "10.2"), "Continual improvement");
    let to_27001 = |c: &Catalog, source: &str| -> BTreeSet<String> {
        c.mappings
            .iter()
            .filter(|m| m.source == source && m.framework == "iso27001-2022")
            .map(|m| m.target.clone())
            .collect()
    };
    assert_eq!(to_27001(c, "10.1"), BTreeSet::from(["10.2".to_string()]));
    assert_eq!(to_27001(c, "10.2"), BTreeSet::from(["10.1".to_string()]));
    // ICT readiness serves business continuity strategies.
    assert!(to_27001(c, "8.3").contains("A.5.30"));
    let isms = pack("iso27001-2022");
    assert!(
        isms.catalog()
            .mappings
            .iter()
            .any(|m| m.source == "A.5.30" && m.framework == "iso22301-2019" && m.target == "8.3")
    );

    let qms = pack("iso9001-2015");
    let q = qms.catalog();
    assert_eq!(clauses(q).len(), 75);
    assert_eq!(title(q, "10.3"), "Continual improvement");
    assert_eq!(to_27001(q, "10.3"), BTreeSet::from(["10.1".to_string()]));
    for p in [&isms, &bc, &qms] {
        let steps = &p.catalog().steps;
        assert_eq!(steps.len(), 16, "{}", p.catalog().framework);
        assert!(
            steps
                .iter()
                .enumerate()
                .all(|(i, s)| s.order == i as u32 + 1)
        );
    }
    assert_eq!(
        isms.catalog().steps[6].title,
        "Write the Statement of Applicability"
    );
}

#[test]
fn iso27001_carries_both_threat_catalogues_with_the_controls_they_suggest() {
    let p = pack("iso27001-2022");
    let c = p.catalog();
    let bsi = csv("catalogs/threats-bsi-elementary.csv");
    let iso = csv("catalogs/threats-iso27005-2022.csv");
    assert_eq!(c.threats.len(), bsi.len() + iso.len());
    for row in &bsi {
        let t = c.threats.iter().find(|t| t.id == row["id"]).unwrap();
        assert_eq!(t.name, row["title_en"]);
        assert!(!t.controls.is_empty(), "{}", t.id);
    }
    for row in &iso {
        let t = c.threats.iter().find(|t| t.id == row["id"]).unwrap();
        assert_eq!(
            (t.name.as_str(), t.category.as_str()),
            (&*row["threat"], &*row["category"])
        );
    }

    // A named threat puts the controls that treat it first, weighed by what the asset needs.
    let fire = p
        .suggest_controls(&RiskContext {
            asset_type: "information-system".into(),
            threats: vec!["G 0.1".into()],
            availability: 5,
            ..Default::default()
        })
        .unwrap();
    let top: BTreeSet<&str> = fire.iter().take(5).map(|s| s.control.as_str()).collect();
    assert_eq!(
        top,
        BTreeSet::from(["A.7.5", "A.7.8", "A.8.13", "A.8.14", "A.5.30"])
    );
    assert!(
        fire[0].reason.contains("treats Fire (G 0.1)"),
        "{}",
        fire[0].reason
    );
    assert!(fire.windows(2).all(|w| w[0].score >= w[1].score));
    // A vulnerability brings the controls of the threats that exploit it.
    let weak = p
        .suggest_controls(&RiskContext {
            vulnerabilities: vec!["V-weak-passwords".into()],
            confidentiality: 4,
            ..Default::default()
        })
        .unwrap();
    assert!(
        weak.iter()
            .any(|s| s.control == "A.8.5" && s.reason.contains("V-weak-passwords"))
    );
    // Nothing named: the controls that suit the asset type.
    let paper = p
        .suggest_controls(&RiskContext {
            asset_type: "paper-document".into(),
            ..Default::default()
        })
        .unwrap();
    assert!(paper.iter().any(|s| s.control == "A.7.7"));
    assert!(
        p.suggest_controls(&RiskContext::default())
            .unwrap()
            .is_empty()
    );
}

fn fact(name: &str, value: &str) -> Attribute {
    Attribute {
        name: name.into(),
        value: value.into(),
    }
}

fn finding(p: &dyn FrameworkPack, s: &Snapshot, requirement: &str) -> (FindingStatus, String) {
    let all = p.check(s).unwrap();
    let f = all
        .iter()
        .find(|f| f.requirement == requirement)
        .unwrap_or_else(|| panic!("no finding for {requirement}: {all:?}"));
    (f.status, f.detail.clone())
}

#[test]
fn iso27001_check_names_real_gaps_and_a_fixed_gap_disappears() {
    let p = pack("iso27001-2022");
    let p = p.as_ref();
    let empty = Snapshot {
        organisation: "acme".into(),
        employees: 40,
        ..Default::default()
    };
    assert_eq!(
        finding(p, &empty, "4.3"),
        (
            FindingStatus::NotMet,
            "no approved document: Scope of the ISMS (4.3)".into()
        )
    );
    let (status, detail) = finding(p, &empty, "9.2");
    assert_eq!(status, FindingStatus::NotMet);
    assert!(
        detail.contains("no internal audit completed yet"),
        "{detail}"
    );
    let (_, detail) = finding(p, &empty, "6.1.3");
    assert!(
        detail.contains("93 Annex A controls is not decided"),
        "{detail}"
    );

    // The scope is approved: 4.3 is met.
    let mut s = empty.clone();
    s.documents.push("scope".into());
    assert_eq!(finding(p, &s, "4.3").0, FindingStatus::Met);
    // ...until its review date passes.
    s.facts.push(fact("overdue-review", "scope"));
    assert_eq!(
        finding(p, &s, "4.3"),
        (
            FindingStatus::PartiallyMet,
            "Scope of the ISMS is past its review date".into()
        )
    );

    // An audit 400 days ago is too old; one 30 days ago with its programme and results meets 9.2.
    s.facts.push(fact("days-since-internal-audit", "400"));
    let (status, detail) = finding(p, &s, "9.2");
    assert_eq!(status, FindingStatus::NotMet);
    assert!(detail.contains("400 days ago"), "{detail}");
    s.facts.retain(|f| f.name != "days-since-internal-audit");
    s.facts.push(fact("days-since-internal-audit", "30"));
    s.records.push(fact("audit-programme", "1"));
    s.records.push(fact("audit-results", "2"));
    assert_eq!(finding(p, &s, "9.2").0, FindingStatus::Met);
    s.facts.push(fact("risks-without-owner", "3"));
    assert_eq!(
        finding(p, &s, "6.1.2").1,
        "no approved document: Risk assessment and risk treatment process (6.1.2); 3 risks have no owner"
    );

    // With a Statement of Applicability: excluded controls are not applicable, and an Annex A
    // document is required only for an applicable control.
    s.applicable_controls = vec!["A.5.9".into(), "A.8.13".into()];
    s.implemented_controls = vec!["A.8.13".into()];
    let all = p.check(&s).unwrap();
    let status = |id: &str| all.iter().find(|f| f.requirement == id).map(|f| f.status);
    assert_eq!(status("A.8.13"), Some(FindingStatus::Met));
    assert_eq!(status("A.5.26"), Some(FindingStatus::NotApplicable));
    let inventory: Vec<_> = all.iter().filter(|f| f.requirement == "A.5.9").collect();
    assert_eq!(inventory.len(), 1);
    assert_eq!(inventory[0].status, FindingStatus::PartiallyMet);
    assert_eq!(
        inventory[0].detail,
        "no approved document: Inventory of assets (A.5.9); applicable, not implemented yet"
    );
    assert!(
        all.iter()
            .all(|f| f.requirement != "6.1.3" || !f.detail.contains("not decided"))
    );
}

#[test]
fn iso22301_and_iso9001_check_their_own_records() {
    let bc = pack("iso22301-2019");
    let s = Snapshot {
        documents: vec!["scope".into(), "policy".into()],
        facts: vec![fact("days-since-exercise", "500")],
        ..Default::default()
    };
    assert_eq!(finding(bc.as_ref(), &s, "4.3").0, FindingStatus::Met);
    let (status, detail) = finding(bc.as_ref(), &s, "8.5");
    assert_eq!(status, FindingStatus::NotMet);
    assert!(detail.contains("500 days ago"), "{detail}");
    let qms = pack("iso9001-2015");
    let (status, detail) = finding(qms.as_ref(), &s, "8.7");
    assert_eq!(status, FindingStatus::NotMet);
    assert_eq!(
        detail,
        "no record retained: Record of nonconforming outputs (8.7.2)"
    );
}
