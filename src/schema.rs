//! Customer.io's published schema for calls, for `batch --dry-run`: a replayed
//! call passes cio's own checks but may still carry data the schema refuses
//! (an object where it wants a boolean, say); the dry run says so per line.
//!
//! The schema is the OpenAPI document in tests/contract/, read as JSON Schema
//! with each `oneOf` read as `anyOf` (its alternatives overlap; see the README
//! there).

use std::collections::HashMap;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::{json, Value};

use crate::envelope::CallType;

const OPENAPI: &str = include_str!("../tests/contract/cdp-pipelines-openapi.json");

pub struct Schema {
    validators: HashMap<&'static str, Validator>,
}

impl Schema {
    /// Builds a validator per call type (tens of milliseconds: only for dry runs).
    pub fn load() -> Option<Schema> {
        let mut doc: Value = serde_json::from_str(OPENAPI).ok()?;
        any_of_for_one_of(&mut doc);
        doc["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        let validators = CallType::ALL
            .into_iter()
            .map(|t| {
                doc["$ref"] = json!(format!("#/components/schemas/{t}"));
                jsonschema::validator_for(&doc).map(|v| (t.as_str(), v))
            })
            .collect::<Result<_, _>>()
            .ok()?;
        Some(Schema { validators })
    }

    /// What in `call` (as it would be sent, `sentAt` included) the schema
    /// refuses, naming the field; `None` when it satisfies it.
    pub fn check(&self, call: &Value) -> Option<String> {
        let validator = self.validators.get(call.get("type")?.as_str()?)?;
        let errors: Vec<ValidationError> = validator.iter_errors(call).collect();
        let deepest = errors.iter().flat_map(leaves).max_by_key(|e| depth(e))?;
        let at = deepest.instance_path().to_string();
        let field = at.trim_start_matches('/').replace('/', ".");
        Some(if field.is_empty() {
            deepest.to_string()
        } else {
            format!("'{field}': {deepest}")
        })
    }
}

/// The errors under an `anyOf` that failed: the alternative that went deepest
/// into the call is the one the call meant, and its error the one to show.
fn leaves<'a, 'b>(error: &'b ValidationError<'a>) -> Vec<&'b ValidationError<'a>> {
    match error.kind() {
        ValidationErrorKind::AnyOf { context } if context.iter().any(|c| !c.is_empty()) => {
            context.iter().flatten().flat_map(|e| leaves(e)).collect()
        }
        _ => vec![error],
    }
}

fn depth(error: &ValidationError) -> usize {
    error.instance_path().to_string().matches('/').count()
}

fn any_of_for_one_of(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(one_of) = map.remove("oneOf") {
                map.insert("anyOf".into(), one_of);
            }
            map.values_mut().for_each(any_of_for_one_of);
        }
        Value::Array(items) => items.iter_mut().for_each(any_of_for_one_of),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_the_schema_refuses() {
        let schema = Schema::load().unwrap();
        let ok = json!({"type": "track", "event": "e", "userId": "u", "messageId": "m",
            "timestamp": "2026-01-01T00:00:00.000Z", "sentAt": "2026-01-01T00:00:00.000Z",
            "context": {"library": {"name": "x", "version": "1"}}});
        assert_eq!(schema.check(&ok), None);
        let mut bad = ok.clone();
        bad["context"]["active"] = json!({"on": true});
        let problem = schema.check(&bad).unwrap();
        assert!(problem.starts_with("'context.active': "), "{problem}");
    }
}
