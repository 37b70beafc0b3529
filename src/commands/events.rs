//! `cio events`: the semantic event tables, for people (`cio events`,
//! `cio events "Product Added"`), scripts (`--json`) and shell completion
//! (`--names`, hidden).

use serde_json::{json, Value};

use crate::commands::lint::parse_families;
use crate::error::{Error, Result};
use crate::lint::specs::{self, Event, Requirement};
use crate::lint::{Linter, Lookup};
use crate::output::{sanitize, stdout_line, Reporter};

pub fn run(report: Reporter, event: Option<&str>, family: &[String], names: bool) -> Result<()> {
    let families = parse_families(family);
    let events: Vec<&Event> = specs::all()
        .filter(|e| families.is_empty() || families.contains(&e.family))
        .collect();
    if names {
        for e in &events {
            stdout_line(e.name);
        }
        return Ok(());
    }
    let Some(name) = event else {
        return list(report, &events);
    };
    match Linter::new(&families).lookup(name) {
        Lookup::Exact(e) => show(report, e),
        // A name is asked for as people write it: "product added" is the event.
        Lookup::Near(e) if e.name.eq_ignore_ascii_case(name.trim()) => show(report, e),
        Lookup::Near(e) => Err(Error::usage(format!(
            "\"{}\" is not a semantic event; did you mean \"{}\"?",
            sanitize(name, 200),
            e.name
        ))),
        Lookup::Unknown => Err(Error::usage(format!(
            "\"{}\" is not a semantic event (cio events lists them)",
            sanitize(name, 200)
        ))),
    }
}

fn list(report: Reporter, events: &[&Event]) -> Result<()> {
    if report.json {
        for e in events {
            stdout_line(event_json(e));
        }
        return Ok(());
    }
    let mut family = None;
    for e in events {
        if family != Some(e.family) {
            if family.is_some() {
                stdout_line("");
            }
            family = Some(e.family);
            stdout_line(format!("{} ({})", e.family.title(), e.family.source()));
        }
        stdout_line(format!("  {}", e.name));
    }
    Ok(())
}

fn show(report: Reporter, e: &Event) -> Result<()> {
    if report.json {
        stdout_line(event_json(e));
        return Ok(());
    }
    stdout_line(format!(
        "{} ({}, {})",
        e.name,
        e.family.title(),
        e.family.source()
    ));
    for req in e.requires {
        stdout_line(format!("  needs {} (error without it)", requirement(*req)));
    }
    if e.is_product {
        stdout_line("  describes a product: needs product_id or sku");
    }
    let width = e.all_props().map(|p| p.name.len()).max().unwrap_or(0);
    let mut seen = Vec::new();
    for p in e.all_props() {
        if seen.contains(&p.name) {
            continue;
        }
        seen.push(p.name);
        let expected = if p.expected { "  expected" } else { "" };
        stdout_line(format!("  {:width$}  {}{expected}", p.name, p.ty.as_str()));
    }
    Ok(())
}

fn requirement(req: Requirement) -> &'static str {
    match req {
        Requirement::UserId => "userId",
        Requirement::DeviceToken => "context.device.token",
    }
}

fn event_json(e: &Event) -> Value {
    let mut seen = Vec::new();
    let props: Vec<Value> = e
        .all_props()
        .filter(|p| {
            let new = !seen.contains(&p.name);
            seen.push(p.name);
            new
        })
        .map(|p| json!({"name": p.name, "type": p.ty.as_str(), "expected": p.expected}))
        .collect();
    json!({
        "name": e.name,
        "family": e.family.as_str(),
        "source": e.family.source(),
        "product": e.is_product,
        "requires": e.requires.iter().map(|r| requirement(*r)).collect::<Vec<_>>(),
        "properties": props,
    })
}
