//! Items applied to a call: `--prop`/`--trait` into `properties`/`traits`, and
//! `--context`/`--integration` into every call of `cio <call>` and `cio batch`.

use serde_json::{Map, Value};

use super::{insert_all, Item};
use crate::error::{Error, Result};
use crate::input;

/// Writes items into `call[field]`, which must be an object if present.
pub fn insert_items(call: &mut Map<String, Value>, field: &str, items: &[Item]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let target = call
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if target.is_null() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        return Err(Error::usage(format!(
            "'{field}' must be an object, found {}",
            input::json_kind(target)
        )));
    };
    let items: Vec<&Item> = items.iter().collect();
    insert_all(&items, target).map_err(Error::usage)
}

/// `--context` and `--integration` items (`ExtrasArgs`), for single calls and batch defaults.
pub fn apply_extras(
    call: &mut Map<String, Value>,
    context: &[Item],
    integrations: &[Item],
) -> Result<()> {
    insert_items(call, "context", context)?;
    check_integration_items(integrations)?;
    insert_items(call, "integrations", integrations)
}

/// `--integration NAME=true|false` (or `NAME:={...}` for settings objects).
pub fn check_integration_items(items: &[Item]) -> Result<()> {
    for item in items {
        let value = item.value();
        let ok = item.path().depth() == 1
            && (value.is_boolean() || (item.is_raw_json() && value.is_object()));
        if !ok {
            return Err(Error::usage(format!(
                "--integration '{}': expected NAME=true or NAME=false",
                item.raw()
            )));
        }
    }
    Ok(())
}
