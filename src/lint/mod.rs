//! The semantic-event linter: checks a call against the tables in `specs`
//! (names, property types, expected properties, product ids, Customer.io's
//! requirements) and says what to send instead.
//!
//! It is quiet about anything it does not know: a custom event name draws a
//! finding only when it is a near miss of a semantic one (case, spacing,
//! underscores, a plural), and a custom property never does.

pub mod specs;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use specs::{Event, Family, Prop, Requirement, Type};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// Whatever `cio batch` would reject, with the same reason.
    Invalid,
    /// A near miss of a semantic event name.
    EventName,
    /// A semantic property with the wrong JSON type.
    PropertyType,
    /// A property destinations expect is missing.
    MissingProperty,
    /// A product without `product_id` or `sku`.
    ProductId,
    /// Customer.io cannot act on the call (`userId`, `context.device.token`).
    CioRequirement,
}

impl Rule {
    pub const ALL: [Rule; 6] = [
        Rule::Invalid,
        Rule::EventName,
        Rule::PropertyType,
        Rule::MissingProperty,
        Rule::ProductId,
        Rule::CioRequirement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Invalid => "invalid",
            Rule::EventName => "event-name",
            Rule::PropertyType => "property-type",
            Rule::MissingProperty => "missing-property",
            Rule::ProductId => "product-id",
            Rule::CioRequirement => "cio-requirement",
        }
    }

    /// Wrong data for a semantic event, and a call Customer.io cannot act on,
    /// are errors; a name or a property that may be meant as custom is a warning.
    pub fn severity(self) -> Severity {
        match self {
            Rule::Invalid | Rule::PropertyType | Rule::CioRequirement => Severity::Error,
            Rule::EventName | Rule::MissingProperty | Rule::ProductId => Severity::Warning,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong with a call.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: Rule,
    pub message: String,
    /// What to send instead, when there is one answer.
    pub suggestion: Option<String>,
    /// The field at fault, as a path (`properties.products[0].price`).
    pub field: Option<String>,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.rule.severity()
    }

    /// A line `cio batch` would reject, as a finding.
    pub fn invalid(reason: &str, field: Option<&str>) -> Finding {
        Finding {
            rule: Rule::Invalid,
            message: reason.to_string(),
            suggestion: None,
            field: field.map(str::to_string),
        }
    }

    /// `rule: severity: message; suggestion`, the text after `file:line: `.
    pub fn text(&self) -> String {
        format!(
            "{}: {}: {}",
            self.rule,
            self.severity().as_str(),
            self.body()
        )
    }

    /// `rule: message; suggestion`, where the severity is said another way.
    pub fn text_without_severity(&self) -> String {
        format!("{}: {}", self.rule, self.body())
    }

    fn body(&self) -> String {
        match &self.suggestion {
            Some(s) => format!("{}; {s}", self.message),
            None => self.message.clone(),
        }
    }

    pub fn to_json(&self, source: &str, line: u64) -> Value {
        serde_json::json!({
            "source": source,
            "line": line,
            "rule": self.rule.as_str(),
            "severity": self.severity().as_str(),
            "message": self.message,
            "suggestion": self.suggestion,
            "field": self.field,
        })
    }
}

/// What became of an event name.
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    Exact(&'static Event),
    /// Not the name, but the same words: the semantic event it misses.
    Near(&'static Event),
    Unknown,
}

/// The linter for a set of families.
#[derive(Debug)]
pub struct Linter {
    by_name: HashMap<&'static str, &'static Event>,
    by_key: HashMap<String, &'static Event>,
}

impl Linter {
    /// `families` empty means all of them.
    pub fn new(families: &[Family]) -> Linter {
        let events = specs::all().filter(|e| families.is_empty() || families.contains(&e.family));
        let mut by_name = HashMap::new();
        let mut by_key = HashMap::new();
        for event in events {
            by_name.insert(event.name, event);
            by_key.insert(name_key(event.name), event);
        }
        Linter { by_name, by_key }
    }

    pub fn lookup(&self, name: &str) -> Lookup {
        if let Some(event) = self.by_name.get(name) {
            return Lookup::Exact(event);
        }
        match self.by_key.get(&name_key(name)) {
            Some(event) => Lookup::Near(event),
            None => Lookup::Unknown,
        }
    }

    /// Checks a serialized call. Only the type and event name are read unless
    /// the name is a semantic one (or a near miss), so a custom event costs
    /// little more than a scan of its bytes.
    pub fn check_json(&self, json: &str) -> Vec<Finding> {
        // The payload and context stay raw bytes until a semantic event needs them.
        #[derive(Deserialize)]
        struct Head<'a> {
            #[serde(rename = "type", borrow)]
            call_type: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow)]
            event: Option<std::borrow::Cow<'a, str>>,
            #[serde(rename = "userId")]
            user_id: Option<Value>,
            #[serde(borrow)]
            properties: Option<&'a RawValue>,
            #[serde(borrow)]
            context: Option<&'a RawValue>,
        }
        let Ok(head) = serde_json::from_str::<Head>(json) else {
            return Vec::new();
        };
        if head.call_type.as_deref() != Some("track") {
            return Vec::new();
        }
        let Some(name) = head.event else {
            return Vec::new();
        };
        let event = match self.lookup(&name) {
            Lookup::Unknown => return Vec::new(),
            Lookup::Near(event) => return vec![near_miss(&name, event)],
            Lookup::Exact(event) => event,
        };
        // Most calls are right: a check on the raw bytes says so without building values.
        if let Some(true) = head.properties.map(|p| raw_clean(event, p)) {
            return Vec::new();
        }
        let parse = |raw: Option<&RawValue>| {
            raw.and_then(|r| serde_json::from_str::<Value>(r.get()).ok())
                .unwrap_or(Value::Null)
        };
        let mut call = Map::new();
        call.insert("type".into(), Value::String("track".into()));
        call.insert("event".into(), Value::String(event.name.into()));
        call.insert("userId".into(), head.user_id.unwrap_or(Value::Null));
        call.insert("properties".into(), parse(head.properties));
        if event.requires.contains(&Requirement::DeviceToken) {
            call.insert("context".into(), parse(head.context));
        }
        check_event(event, &call)
    }

    /// Checks a call held as a JSON object (a single call, after its envelope is complete).
    pub fn check(&self, call: &Map<String, Value>) -> Vec<Finding> {
        if call.get("type").and_then(Value::as_str) != Some("track") {
            return Vec::new();
        }
        let Some(name) = call.get("event").and_then(Value::as_str) else {
            return Vec::new();
        };
        match self.lookup(name) {
            Lookup::Unknown => Vec::new(),
            Lookup::Near(event) => vec![near_miss(name, event)],
            Lookup::Exact(event) => check_event(event, call),
        }
    }
}

/// The words of an event name, compared without case, separators or plurals:
/// `product added`, `Product_Added`, `productAdded` and `Products Added` all
/// give the key of `Product Added`.
pub fn name_key(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        // camelCase: a capital after a lowercase letter starts a word.
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut key = String::new();
    for w in &mut words {
        // American spelling of the spec's British one.
        if w == "canceled" {
            *w = "cancelled".into();
        }
        let singular = match w.strip_suffix('s') {
            Some(stem) if stem.len() >= 3 && !stem.ends_with('s') => stem,
            _ => w.as_str(),
        };
        key.push_str(singular);
    }
    key
}

fn near_miss(name: &str, event: &Event) -> Finding {
    Finding {
        rule: Rule::EventName,
        message: format!(
            "\"{name}\" is not a semantic event name, but looks like {} event \"{}\"",
            article(event.family.title()),
            event.name
        ),
        suggestion: Some(format!(
            "name it \"{}\" so integrations map it (or keep the name if the event is your own)",
            event.name
        )),
        field: Some("event".into()),
    }
}

fn article(title: &str) -> String {
    let vowel = title
        .chars()
        .next()
        .is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {title}", if vowel { "an" } else { "a" })
}

fn check_event(event: &Event, call: &Map<String, Value>) -> Vec<Finding> {
    let mut out = Vec::new();
    let empty = Map::new();
    let props = match call.get("properties") {
        Some(Value::Object(map)) => map,
        _ => &empty,
    };
    for (key, value) in props {
        if let Some(spec) = event.prop(key) {
            check_type(event, spec, value, &format!("properties.{key}"), &mut out);
        }
    }
    for spec in event.all_props().filter(|p| p.expected) {
        if props.get(spec.name).is_none_or(Value::is_null) {
            out.push(Finding {
                rule: Rule::MissingProperty,
                message: format!(
                    "{} without '{}', which integrations expect",
                    event.name, spec.name
                ),
                suggestion: Some(format!(
                    "add properties.{} ({})",
                    spec.name,
                    spec.ty.as_str()
                )),
                field: Some(format!("properties.{}", spec.name)),
            });
        }
    }
    if event.is_product && !has_product_id(props) {
        out.push(missing_product_id(event.name, "properties"));
    }
    for req in event.requires {
        if let Some(finding) = check_requirement(event, *req, call) {
            out.push(finding);
        }
    }
    out
}

/// Properties as raw values, keyed by their (unescaped) names.
type RawMap<'a> = HashMap<&'a str, &'a RawValue>;

/// Whether `check_event` would find nothing, judged from the raw bytes: a
/// JSON value's type is its first byte. `false` means "look closer", so
/// anything unusual (escaped keys, requirements) takes the full path.
fn raw_clean(event: &Event, properties: &RawValue) -> bool {
    if !event.requires.is_empty() {
        return false;
    }
    let Ok(props) = serde_json::from_str::<RawMap>(properties.get()) else {
        return false;
    };
    let kind_ok = |ty: Type, raw: &RawValue| match raw.get().as_bytes().first() {
        Some(b'n') => true,
        Some(b'"') => ty == Type::String,
        Some(b't' | b'f') => ty == Type::Boolean,
        Some(b'[') => matches!(ty, Type::Array | Type::Products),
        Some(b'{') => ty == Type::Object,
        Some(b'-' | b'0'..=b'9') => ty == Type::Number,
        _ => false,
    };
    let has_id = |p: &RawMap| {
        ["product_id", "sku"].iter().any(|k| {
            p.get(k)
                .is_some_and(|v| v.get() != "null" && v.get() != "\"\"")
        })
    };
    for (key, raw) in &props {
        let Some(spec) = event.prop(key) else {
            continue;
        };
        if !kind_ok(spec.ty, raw) {
            return false;
        }
        if spec.ty == Type::Products && raw.get().starts_with('[') {
            let Ok(items) = serde_json::from_str::<Vec<RawMap>>(raw.get()) else {
                return false;
            };
            for item in &items {
                let types_ok = item.iter().all(|(k, v)| {
                    specs::PRODUCT
                        .iter()
                        .find(|p| p.name == *k)
                        .is_none_or(|p| kind_ok(p.ty, v))
                });
                if !types_ok || !has_id(item) {
                    return false;
                }
            }
        }
    }
    let expected_present = event
        .all_props()
        .filter(|p| p.expected)
        .all(|p| props.get(p.name).is_some_and(|v| v.get() != "null"));
    expected_present && (!event.is_product || has_id(&props))
}

fn has_product_id(product: &Map<String, Value>) -> bool {
    ["product_id", "sku"]
        .iter()
        .any(|k| product.get(*k).is_some_and(|v| !v.is_null() && v != ""))
}

fn missing_product_id(event: &str, at: &str) -> Finding {
    Finding {
        rule: Rule::ProductId,
        message: format!("{event}: the product at {at} has neither 'product_id' nor 'sku'"),
        suggestion: Some(format!(
            "add {at}.product_id (or {at}.sku), which integrations match products by"
        )),
        field: Some(at.to_string()),
    }
}

fn check_type(event: &Event, spec: &Prop, value: &Value, path: &str, out: &mut Vec<Finding>) {
    if value.is_null() {
        return;
    }
    let ok = match spec.ty {
        Type::String => value.is_string(),
        Type::Number => value.is_number(),
        Type::Boolean => value.is_boolean(),
        Type::Array | Type::Products => value.is_array(),
        Type::Object => value.is_object(),
    };
    if !ok {
        out.push(Finding {
            rule: Rule::PropertyType,
            message: format!(
                "{path} is {}, but {} expects {}",
                describe(value),
                event.name,
                article_type(spec.ty)
            ),
            suggestion: fix_for(
                spec.ty,
                value,
                path.strip_prefix("properties.").unwrap_or(path),
            ),
            field: Some(path.to_string()),
        });
        return;
    }
    if spec.ty == Type::Products {
        let Some(items) = value.as_array() else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let Some(product) = item.as_object() else {
                out.push(Finding {
                    rule: Rule::PropertyType,
                    message: format!("{at} is {}, but a product is an object", describe(item)),
                    suggestion: None,
                    field: Some(at),
                });
                continue;
            };
            for (key, v) in product {
                if let Some(p) = specs::PRODUCT.iter().find(|p| p.name == key) {
                    check_type(event, p, v, &format!("{at}.{key}"), out);
                }
            }
            if !has_product_id(product) {
                out.push(missing_product_id(event.name, &at));
            }
        }
    }
}

fn article_type(ty: Type) -> String {
    match ty {
        Type::Array | Type::Products | Type::Object => format!("an {}", ty.as_str()),
        _ => format!("a {}", ty.as_str()),
    }
}

/// A value as the message shows it: its type, and a short scalar itself.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() <= 40 => format!("the string {value}"),
        Value::String(_) => "a string".into(),
        Value::Number(_) | Value::Bool(_) => format!(
            "the {} {value}",
            crate::input::json_kind(value).trim_start_matches("a ")
        ),
        other => crate::input::json_kind(other).to_string(),
    }
}

/// How to send the same value with the right type, when that is unambiguous.
fn fix_for(ty: Type, value: &Value, key: &str) -> Option<String> {
    match (ty, value) {
        (Type::Number, Value::String(s)) => {
            let n: serde_json::Number = s.trim().parse().ok()?;
            Some(format!(
                "send the number {n} (no quotes; with cio: --prop {key}={n})"
            ))
        }
        (Type::String, Value::Number(n)) => Some(format!(
            "send the string \"{n}\" (with cio: --prop '{key}:=\"{n}\"')"
        )),
        (Type::Boolean, Value::String(s)) if s == "true" || s == "false" => {
            Some(format!("send the boolean {s} (no quotes)"))
        }
        _ => None,
    }
}

fn check_requirement(
    event: &Event,
    req: Requirement,
    call: &Map<String, Value>,
) -> Option<Finding> {
    let nonempty = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    match req {
        Requirement::UserId if !nonempty(call.get("userId")) => Some(Finding {
            rule: Rule::CioRequirement,
            message: format!(
                "{} needs 'userId': Customer.io acts on a known person, not an anonymous one",
                event.name
            ),
            suggestion: Some("add userId (with cio: --user-id ID)".into()),
            field: Some("userId".into()),
        }),
        Requirement::DeviceToken => {
            let device = call
                .get("context")
                .and_then(|c| c.get("device"))
                .and_then(|d| d.get("token"));
            if nonempty(device) {
                return None;
            }
            let in_props = call
                .get("properties")
                .and_then(|p| p.get("device"))
                .and_then(|d| d.get("token"))
                .is_some();
            Some(Finding {
                rule: Rule::CioRequirement,
                message: format!("{} needs context.device.token", event.name),
                suggestion: Some(if in_props {
                    "move properties.device.token to context.device.token".into()
                } else {
                    "add context.device.token (with cio: --context device.token=TOKEN)".into()
                }),
                field: Some("context.device.token".into()),
            })
        }
        Requirement::UserId => None,
    }
}

/// Where findings of a replay go, in input order.
pub trait Sink: Send + Sync {
    fn report(&self, source: &str, line: u64, findings: &[Finding]);
}

/// The linter as a stage of the batch pipeline (`cio lint`, `cio batch --strict`).
pub struct Hook {
    pub linter: Linter,
    /// A line with a lint error is refused (`batch --strict`): a reject of kind invalid.
    pub reject_errors: bool,
    /// Lines the batch checks refuse are findings (rule `invalid`), not rejects (`cio lint`).
    pub invalid_as_findings: bool,
    pub sink: Arc<dyn Sink>,
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook")
            .field("reject_errors", &self.reject_errors)
            .field("invalid_as_findings", &self.invalid_as_findings)
            .finish_non_exhaustive()
    }
}

/// The reason a rejected line gives for its first lint error.
pub fn reject_reason(finding: &Finding) -> String {
    format!("lint {}: {}", finding.rule, finding.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lint(call: Value) -> Vec<(Rule, Option<String>)> {
        let linter = Linter::new(&[]);
        // The fast path over raw bytes and the full one agree.
        assert_eq!(
            linter.check_json(&call.to_string()),
            linter.check(call.as_object().unwrap()),
            "{call}"
        );
        linter
            .check(call.as_object().unwrap())
            .into_iter()
            .map(|f| (f.rule, f.field))
            .collect()
    }

    #[test]
    fn names_are_unique_after_normalisation() {
        let mut seen = HashMap::new();
        for event in specs::all() {
            if let Some(other) = seen.insert(name_key(event.name), event.name) {
                panic!("{} and {other} share a key", event.name);
            }
        }
    }

    #[test]
    fn near_misses_and_custom_names() {
        let linter = Linter::new(&[]);
        for near in [
            "product added",
            "Product_Added",
            "Products Added",
            "productAdded",
            "PRODUCT ADDED",
            "product-added",
        ] {
            assert!(
                matches!(linter.lookup(near), Lookup::Near(e) if e.name == "Product Added"),
                "{near}"
            );
        }
        assert!(
            matches!(linter.lookup("Order Canceled"), Lookup::Near(e) if e.name == "Order Cancelled")
        );
        for custom in [
            "login",
            "logout",
            "video_watched",
            "Course Started",
            "Product Added Twice",
            "Signed Up",
            "added product",
        ] {
            assert!(matches!(linter.lookup(custom), Lookup::Unknown), "{custom}");
        }
        assert!(matches!(
            linter.lookup("Products Searched"),
            Lookup::Exact(_)
        ));
        // Families limit what is known.
        let video = Linter::new(&[Family::Video]);
        assert!(matches!(video.lookup("product added"), Lookup::Unknown));
    }

    #[test]
    fn each_rule_fails_and_passes() {
        let base = |event: &str, props: Value| json!({"type": "track", "event": event, "userId": "u", "properties": props});
        // property-type
        assert_eq!(
            lint(base(
                "Product Added",
                json!({"product_id": "p", "price": "139.99"})
            )),
            vec![(Rule::PropertyType, Some("properties.price".into()))]
        );
        assert!(lint(base(
            "Product Added",
            json!({"product_id": "p", "price": 139.99})
        ))
        .is_empty());
        // missing-property
        assert_eq!(
            lint(base("Order Completed", json!({"revenue": 10}))),
            vec![(Rule::MissingProperty, Some("properties.order_id".into()))]
        );
        assert!(lint(base(
            "Order Completed",
            json!({"order_id": "o1", "revenue": 10})
        ))
        .is_empty());
        // product-id, at the top and in products[]
        assert_eq!(
            lint(base("Product Viewed", json!({"name": "x"}))),
            vec![(Rule::ProductId, Some("properties".into()))]
        );
        assert_eq!(
            lint(base(
                "Order Completed",
                json!({"order_id": "o", "products": [{"sku": "a"}, {"name": "b", "price": "1"}]})
            )),
            vec![
                (
                    Rule::PropertyType,
                    Some("properties.products[1].price".into())
                ),
                (Rule::ProductId, Some("properties.products[1]".into()))
            ]
        );
        assert!(lint(base("Product Viewed", json!({"sku": "s"}))).is_empty());
        // cio-requirement
        let device =
            json!({"type": "track", "event": "Device Created or Updated", "anonymousId": "a"});
        assert_eq!(
            lint(device),
            vec![
                (Rule::CioRequirement, Some("userId".into())),
                (Rule::CioRequirement, Some("context.device.token".into()))
            ]
        );
        let device = json!({"type": "track", "event": "Device Created or Updated", "userId": "u",
            "context": {"device": {"token": "t"}}});
        assert!(lint(device).is_empty());
        // event-name
        assert_eq!(
            lint(base("product added", json!({"price": "x"}))),
            vec![(Rule::EventName, Some("event".into()))]
        );
        // Odd shapes: both paths agree (checked inside `lint`).
        assert_eq!(
            lint(base("Product Added", json!({"sku": ""}))),
            vec![(Rule::ProductId, Some("properties".into()))]
        );
        assert_eq!(lint(base("Cart Viewed", json!({"products": [1]}))).len(), 1);
        assert_eq!(lint(base("Cart Viewed", json!({"products": "x"}))).len(), 1);
        assert!(lint(base(
            "Cart Viewed",
            json!({"products": null, "cart_id": null})
        ))
        .is_empty());
        assert!(lint(base(
            "Experiment Viewed",
            json!({"experiment_id": "e", "variation_id": "v", "a\\b": 1})
        ))
        .is_empty());
        assert_eq!(lint(base("Products Searched", Value::Null)).len(), 1);
        // Custom events and other call types draw nothing, whatever their properties.
        assert!(lint(base("login", json!({"price": "139.99"}))).is_empty());
        assert!(lint(json!({"type": "page", "name": "product added"})).is_empty());
    }

    #[test]
    fn check_json_agrees_with_check() {
        let linter = Linter::new(&[]);
        let call = json!({"type": "track", "event": "Product Added", "userId": "u",
            "properties": {"price": "1", "product_id": 5}});
        let a = linter.check_json(&call.to_string());
        let b = linter.check(call.as_object().unwrap());
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        assert_eq!(
            a[0].suggestion.as_deref(),
            Some("send the number 1 (no quotes; with cio: --prop price=1)")
        );
    }
}
