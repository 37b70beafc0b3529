//! `cio lint`: reads inputs exactly as `cio batch` does (the same reader and
//! line preparation, so every reject reason is the same), runs the semantic
//! event linter on each call, prints the findings in input order, a summary
//! per rule, and exits 0 (clean), 10 (warnings only) or 11 (errors).

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::batch::ledger::Ledger;
use crate::batch::rejects::Rejects;
use crate::batch::source::Reader;
use crate::batch::{Shared, Stats};
use crate::cli::LintArgs;
use crate::commands::batch::{defaults, input_sources};
use crate::error::{Error, ExitCode, Result};
use crate::input;
use crate::lint::specs::Family;
use crate::lint::{Finding, Hook, Linter, Rule, Severity, Sink};
use crate::output::{sanitize, Reporter};

/// Findings counted per rule, and the calls they were found in.
#[derive(Default)]
struct Tally {
    per_rule: BTreeMap<Rule, u64>,
    errors: u64,
    warnings: u64,
    calls: u64,
}

/// Prints findings as they come (the sequencer calls it in input order).
struct Printer {
    json: bool,
    out: Mutex<(BufWriter<std::io::Stdout>, Tally)>,
}

impl Sink for Printer {
    fn report(&self, source: &str, line: u64, findings: &[Finding]) {
        let mut guard = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let (out, tally) = &mut *guard;
        tally.calls += 1;
        for f in findings {
            *tally.per_rule.entry(f.rule).or_default() += 1;
            match f.severity() {
                Severity::Error => tally.errors += 1,
                Severity::Warning => tally.warnings += 1,
            }
            // A reader that went away (`| head`) is not worth a message; other failures are.
            crate::output::stdout_written(if self.json {
                writeln!(out, "{}", f.to_json(source, line))
            } else {
                writeln!(
                    out,
                    "{}:{line}: {}",
                    sanitize(source, 200),
                    sanitize(&f.text(), 1000)
                )
            });
        }
    }
}

pub fn parse_families(names: &[String]) -> Vec<Family> {
    // clap has already limited the names to FAMILIES.
    names.iter().filter_map(|n| Family::parse(n)).collect()
}

pub fn run(report: Reporter, args: &LintArgs) -> Result<()> {
    let sources = input_sources(&args.files, "lint")?;
    let names: Vec<String> = sources.iter().map(|p| input::display_name(p)).collect();
    for path in sources.iter().filter(|p| !input::is_stdin(p)) {
        input::open(path)?;
    }
    let printer = Arc::new(Printer {
        json: report.json,
        out: Mutex::new((BufWriter::new(std::io::stdout()), Tally::default())),
    });
    let mut defaults = defaults(args.call_type.as_deref(), &args.identity, &args.extras)?;
    defaults.lint = Some(Arc::new(Hook {
        linter: Linter::new(&parse_families(&args.family)),
        reject_errors: false,
        invalid_as_findings: true,
        sink: Arc::clone(&printer) as Arc<dyn Sink>,
    }));

    // The batch reader hands prepared calls on for sending; here they are only
    // marked done, so the ledger holds nothing.
    let ledger = Ledger::new(names.clone(), None, false);
    let (run, _) = ledger.start()?;
    let shared = Arc::new(Shared::new(names, ledger, Rejects::open(None, false)?));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<crate::batch::packer::Chunk>(8);
    let drained = Arc::clone(&shared);
    let drain = std::thread::spawn(move || {
        while let Some(chunk) = rx.blocking_recv() {
            drained.ledger.done(chunk.records.iter().map(|r| r.seq));
        }
    });
    let reader = Reader {
        sources,
        defaults,
        run,
        check_schema: false,
        resume: None,
        shared: Arc::clone(&shared),
    };
    let read = reader.run(tx);
    let _ = drain.join();

    let mut guard = printer.out.lock().unwrap_or_else(|e| e.into_inner());
    let (out, tally) = &mut *guard;
    let code = if tally.errors > 0 {
        ExitCode::LintErrors
    } else if tally.warnings > 0 && !args.strict {
        ExitCode::LintWarnings
    } else {
        ExitCode::Ok
    };
    let calls = Stats::get(&shared.stats.read);
    if report.json {
        let rules: serde_json::Map<String, serde_json::Value> = tally
            .per_rule
            .iter()
            .map(|(r, n)| (r.as_str().to_string(), json!(n)))
            .collect();
        crate::output::stdout_written(writeln!(
            out,
            "{}",
            json!({"summary": {
                "calls": calls,
                "calls_with_findings": tally.calls,
                "errors": tally.errors,
                "warnings": tally.warnings,
                "rules": rules,
                "exit_code": code.code(),
            }})
        ));
    }
    crate::output::stdout_written(out.flush());
    read?;
    if !report.json {
        report.info(summary_line(calls, tally));
    }
    match code {
        ExitCode::Ok => Ok(()),
        code => Err(Error::Reported(code)),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary_line(calls: u64, tally: &Tally) -> String {
    let read = plural(calls, "call", "calls");
    if tally.errors + tally.warnings == 0 {
        return format!("{read} checked: no findings");
    }
    let rules: Vec<String> = tally
        .per_rule
        .iter()
        .map(|(r, n)| format!("{r} {n}"))
        .collect();
    format!(
        "{read} checked: {}, {} in {} ({})",
        plural(tally.errors, "error", "errors"),
        plural(tally.warnings, "warning", "warnings"),
        plural(tally.calls, "call", "calls"),
        rules.join(", ")
    )
}
