//! Tables for people, JSON for scripts.

use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use serde::Serialize;

pub fn table(headers: &[&str], rows: Vec<Vec<String>>) {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.to_vec());
    for r in rows {
        t.add_row(r);
    }
    println!("{t}");
}

/// Key/value lines for one record.
pub fn record(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        println!("{k:>width$}  {v}");
    }
}

pub fn print_json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("API messages serialise")
    );
}

/// Prints JSON as a command's whole output.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    print_json(value);
    Ok(())
}

/// Writes a report the server rendered to `out` (default: its own file name here) and says where.
pub fn write_report(
    f: rampart_proto::v1::ReportFile,
    out: Option<std::path::PathBuf>,
    as_json: bool,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let path = out.unwrap_or_else(|| f.filename.clone().into());
    std::fs::write(&path, &f.content)
        .with_context(|| format!("cannot write {}", path.display()))?;
    if as_json {
        return json(&serde_json::json!({
            "file": path.display().to_string(),
            "content_type": f.content_type,
            "bytes": f.content.len(),
        }));
    }
    println!(
        "wrote {} ({} bytes, {})",
        path.display(),
        f.content.len(),
        f.content_type
    );
    Ok(())
}
