//! Items written into a JSON object: objects and arrays created along the path,
//! overlapping items merged, and an item that would undo an earlier one refused.

use serde_json::{Map, Value};

use super::{Item, ItemError, PathSegment};

impl Item {
    /// Writes the value into `target` at the item's path, creating objects and
    /// arrays on the way. A `null` on the way counts as empty and is replaced, so
    /// padding from `a[1]=x` can be filled in later by `a[0].b=y`. On error the
    /// target is left unchanged. The path was checked when it was parsed (depth,
    /// index size, a key first), so only the values already there can conflict.
    pub fn insert_into(&self, target: &mut Map<String, Value>) -> Result<(), ItemError> {
        let path = self.path();
        // Only ever add the top key once its subtree is known to fit: conflicts can
        // only happen on values that already existed, and what descend creates is fresh.
        if let Some(existing) = target.get(path.top()) {
            check_fits(existing, path.rest()).map_err(|(depth, found, wanted)| {
                ItemError::Conflict {
                    item: self.raw().to_string(),
                    path: path.render_upto(depth),
                    found,
                    wanted,
                }
            })?;
        }
        let mut slot = target.entry(path.top().to_string()).or_insert(Value::Null);
        for segment in path.rest() {
            slot = descend(slot, segment);
        }
        *slot = self.value().clone();
        Ok(())
    }
}

/// Parse and insert many items in order into a fresh object.
pub fn build_object<'a>(
    items: impl IntoIterator<Item = &'a Item>,
) -> Result<Map<String, Value>, ItemError> {
    let items: Vec<&Item> = items.into_iter().collect();
    let mut object = Map::new();
    insert_all(&items, &mut object)?;
    Ok(object)
}

/// Inserts `items` in order into `target`, refusing an item that clashes with
/// an earlier one of the same list, whichever of the two came first: a silent
/// last-wins would drop a value the user typed. Values already in `target`
/// (from a `--file`) are merged over as before.
pub fn insert_all(items: &[&Item], target: &mut Map<String, Value>) -> Result<(), ItemError> {
    for (i, item) in items.iter().enumerate() {
        for earlier in &items[..i] {
            if let Some(why) = clash(earlier, item) {
                return Err(ItemError::Clash {
                    item: item.raw().to_string(),
                    earlier: earlier.raw().to_string(),
                    why,
                });
            }
        }
        item.insert_into(target)?;
    }
    Ok(())
}

/// Why `later` cannot go in after `earlier`, if it cannot.
fn clash(earlier: &Item, later: &Item) -> Option<String> {
    let (earlier_path, later_path) = (earlier.path(), later.path());
    if earlier_path.top() != later_path.top() {
        return None; // different places
    }
    let (earlier_rest, later_rest) = (earlier_path.rest(), later_path.rest());
    // `[]` appends a new element each time, so it never names the same place twice.
    let same = |a: &PathSegment, b: &PathSegment| a == b && *a != PathSegment::Append;
    let common = earlier_rest
        .iter()
        .zip(later_rest)
        .take_while(|(a, b)| same(a, b))
        .count();
    if common < later_rest.len() && common < earlier_rest.len() {
        return None; // different places
    }
    if later_rest.len() == earlier_rest.len() {
        return None; // the same place: the later value wins, as documented
    }
    if later_rest.len() < earlier_rest.len() {
        // Above it: the later value would silently drop the earlier one.
        return Some(format!(
            "'{later_path}' would replace what the earlier item set inside it"
        ));
    }
    // The later item goes inside the earlier's value: fine when that is an object
    // or array it can extend (or null, an empty slot), a clash for anything else.
    match check_fits(earlier.value(), &later_rest[common..]) {
        Ok(()) => None,
        Err((depth, found, wanted)) => {
            let path = later_path.render_upto(common + depth);
            Some(format!("'{path}' is {found}, not {wanted}"))
        }
    }
}

/// Checks that `rest` can be walked from `value` without meeting a value of the
/// wrong type. On a conflict returns (how many steps of `rest` lead to the value
/// in the way, what it is, what was needed).
fn check_fits(
    mut value: &Value,
    rest: &[PathSegment],
) -> Result<(), (usize, &'static str, &'static str)> {
    for (i, segment) in rest.iter().enumerate() {
        let next = match (segment, value) {
            // Null is an empty slot: from here on everything gets created fresh.
            (_, Value::Null) => return Ok(()),
            (PathSegment::Key(key), Value::Object(map)) => map.get(key),
            (PathSegment::Index(n), Value::Array(array)) => array.get(*n),
            (PathSegment::Append, Value::Array(_)) => None,
            (PathSegment::Key(_), other) => {
                return Err((i, crate::input::json_kind(other), "an object"))
            }
            (_, other) => return Err((i, crate::input::json_kind(other), "an array")),
        };
        match next {
            Some(next) => value = next,
            // Missing from here on: nothing can conflict.
            None => return Ok(()),
        }
    }
    Ok(())
}

/// One step down from `slot`, turning a null slot into the container the
/// segment needs. Callers check with [`check_fits`] first; if a value is still
/// of the wrong type it is replaced rather than panicking.
fn descend<'v>(slot: &'v mut Value, segment: &PathSegment) -> &'v mut Value {
    match segment {
        PathSegment::Key(key) => {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            match slot {
                Value::Object(map) => map.entry(key.clone()).or_insert(Value::Null),
                _ => slot,
            }
        }
        PathSegment::Index(_) | PathSegment::Append => {
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            let Value::Array(array) = slot else {
                return slot;
            };
            // Pad with nulls up to the index, or add one for append.
            let at = match segment {
                PathSegment::Index(n) => *n,
                _ => array.len(),
            };
            if array.len() <= at {
                array.resize(at + 1, Value::Null);
            }
            &mut array[at]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{build, insert_error, item, parse_error};
    use super::*;
    use serde_json::json;

    // --- building objects ---

    #[test]
    fn nested_keys_build_objects_and_arrays() {
        assert_eq!(
            build(&["product.sku=abc"]),
            json!({"product": {"sku": "abc"}})
        );
        assert_eq!(
            build(&["modules[0].moduleId=x"]),
            json!({"modules": [{"moduleId": "x"}]})
        );
    }

    #[test]
    fn index_past_the_end_pads_with_null() {
        assert_eq!(build(&["a[1]=y"]), json!({"a": [null, "y"]}));
        assert_eq!(
            build(&["a[0]=x", "a[3]=y"]),
            json!({"a": ["x", null, null, "y"]})
        );
    }

    #[test]
    fn padding_can_be_filled_later() {
        // Items in reverse order: the null padding at 0 becomes an object.
        assert_eq!(
            build(&["modules[1].id=b", "modules[0].id=a"]),
            json!({"modules": [{"id": "a"}, {"id": "b"}]})
        );
    }

    #[test]
    fn append_adds_to_the_end() {
        assert_eq!(
            build(&["tags[]=x", "tags[]=y"]),
            json!({"tags": ["x", "y"]})
        );
        assert_eq!(
            build(&["t[0]=a", "t[]=b", "t[].name=c"]),
            json!({"t": ["a", "b", {"name": "c"}]})
        );
        assert_eq!(build(&["m[][]=1"]), json!({"m": [[1]]}));
    }

    #[test]
    fn items_merge_into_one_object() {
        let built = build(&[
            "modules[0].moduleId=a",
            "modules[0].started:=false",
            "modules[1].moduleId=b",
            "price=139.99",
        ]);
        assert_eq!(
            built,
            json!({
                "modules": [{"moduleId": "a", "started": false}, {"moduleId": "b"}],
                "price": 139.99
            })
        );
    }

    #[test]
    fn keys_keep_the_order_they_were_given_in() {
        let built = build(&["z=1", "a=2", "m.y=3", "m.b=4"]);
        assert_eq!(built.to_string(), r#"{"z":1,"a":2,"m":{"y":3,"b":4}}"#);
    }

    #[test]
    fn later_items_overwrite_earlier_ones() {
        assert_eq!(build(&["a=1", "a=2"]), json!({"a": 2}));
        assert_eq!(
            build(&["p.sku=x", "p.sku:=[1]"]),
            json!({"p": {"sku": [1]}})
        );
        assert_eq!(build(&["t[0]=x", "t[0]=y"]), json!({"t": ["y"]}));
        // Overwriting keeps the key's place.
        assert_eq!(
            build(&["a=1", "b=2", "a=3"]).to_string(),
            r#"{"a":3,"b":2}"#
        );
    }

    #[test]
    fn null_on_the_way_is_an_empty_slot() {
        assert_eq!(build(&["a=null", "a.b=1"]), json!({"a": {"b": 1}}));
        assert_eq!(build(&["a:=null", "a[1]=x"]), json!({"a": [null, "x"]}));
    }

    #[test]
    fn items_go_into_existing_raw_json() {
        assert_eq!(
            build(&["ctx:={\"ip\":\"1.2.3.4\"}", "ctx.locale=en"]),
            json!({"ctx": {"ip": "1.2.3.4", "locale": "en"}})
        );
    }

    #[test]
    fn insert_into_keeps_what_the_target_had() {
        let mut target = Map::new();
        target.insert("userId".into(), json!("u1"));
        item("p.x=1").insert_into(&mut target).unwrap();
        assert_eq!(
            Value::Object(target),
            json!({"userId": "u1", "p": {"x": 1}})
        );
    }

    #[test]
    fn unicode_keys_and_values() {
        assert_eq!(
            build(&["名前=値", "emoji=🎉"]),
            json!({"名前": "値", "emoji": "🎉"})
        );
        assert_eq!(build(&["🎉.ü[0]=ß"]), json!({"🎉": {"ü": ["ß"]}}));
        assert_eq!(build(&["k:=\"日本\""]), json!({"k": "日本"}));
        // Multi-byte characters right next to the separator and escapes.
        assert_eq!(build(&[r"é\.é:=1"]), json!({"é.é": 1}));
        assert_eq!(
            parse_error("名前"),
            "item '名前': has no '=': write key=value, or key:=JSON for raw JSON"
        );
    }

    // --- type conflicts ---

    #[test]
    fn conflicts_name_the_value_in_the_way() {
        assert_eq!(
            insert_error(&["a=1", "a.b=2"]),
            "item 'a.b=2': 'a' is already a number, not an object"
        );
        assert_eq!(
            insert_error(&["a.b=1", "a[0]=2"]),
            "item 'a[0]=2': 'a' is already an object, not an array"
        );
        assert_eq!(
            insert_error(&["a[0]=1", "a.b=2"]),
            "item 'a.b=2': 'a' is already an array, not an object"
        );
        assert_eq!(
            insert_error(&["a=x", "a[]=2"]),
            "item 'a[]=2': 'a' is already a string, not an array"
        );
        assert_eq!(
            insert_error(&["m[0].ok=true", "m[0].ok.x=1"]),
            "item 'm[0].ok.x=1': 'm[0].ok' is already a boolean, not an object"
        );
        // Escapes come back in the path, so it reads as the user would type it.
        assert_eq!(
            insert_error(&[r"a\.b=1", r"a\.b.c=2"]),
            r"item 'a\.b.c=2': 'a\.b' is already a number, not an object"
        );
    }

    #[test]
    fn clashes_are_errors_in_either_order_naming_both() {
        let parsed = |texts: &[&str]| -> Vec<Item> { texts.iter().map(|t| item(t)).collect() };
        let err = |texts: &[&str]| build_object(&parsed(texts)).unwrap_err().to_string();
        assert_eq!(
            err(&["a.b=1", "a=2"]),
            "item 'a=2' conflicts with the earlier item 'a.b=1': 'a' would replace what the earlier item set inside it"
        );
        assert_eq!(
            err(&["a=2", "a.b=1"]),
            "item 'a.b=1' conflicts with the earlier item 'a=2': 'a' is a number, not an object"
        );
        assert_eq!(
            err(&["a.b=1", "x=0", "a:={\"c\":2}"]),
            "item 'a:={\"c\":2}' conflicts with the earlier item 'a.b=1': 'a' would replace what the earlier item set inside it"
        );
        assert_eq!(
            err(&["m[0].ok=true", "m[0].ok.x=1"]),
            "item 'm[0].ok.x=1' conflicts with the earlier item 'm[0].ok=true': 'm[0].ok' is a boolean, not an object"
        );
        // Merging, appending and filling an empty slot stay allowed.
        for ok in [
            &["a.b=1", "a.c=2"][..],
            &["t[]=1", "t[]=2"],
            &["a:={\"x\":1}", "a.y=2"],
            &["a=null", "a.b=1"],
            &["m[1]=x", "m[0].b=y"],
        ] {
            assert!(build_object(&parsed(ok)).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn a_conflict_changes_nothing() {
        let mut target = Map::new();
        item("a.b=1").insert_into(&mut target).unwrap();
        let before = target.clone();
        assert!(item("a.b.c[3].d=1").insert_into(&mut target).is_err());
        assert!(item("a[0]=1").insert_into(&mut target).is_err());
        assert_eq!(target, before);
    }

    #[test]
    fn build_object_stops_at_the_first_error() {
        let parsed: Vec<Item> = ["a=1", "a.b=2", "a.c=3"].iter().map(|t| item(t)).collect();
        let err = build_object(&parsed).unwrap_err();
        assert!(matches!(&err, ItemError::Clash { item, .. } if item == "a.b=2"));
    }
}
