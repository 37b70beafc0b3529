// TEMPORARY stub; replaced by the real parser.
use serde_json::{Map, Value};
#[derive(Debug, Clone, PartialEq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
    Append,
}
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub path: Vec<PathSegment>,
    pub value: Value,
    pub raw: String,
    pub raw_json: bool,
}
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("item '{0}': bad")]
pub struct ItemError(String);
impl std::str::FromStr for Item {
    type Err = ItemError;
    fn from_str(s: &str) -> Result<Self, ItemError> {
        let (k, v) = s.split_once('=').ok_or_else(|| ItemError(s.into()))?;
        Ok(Item {
            path: vec![PathSegment::Key(k.into())],
            value: Value::String(v.into()),
            raw: s.into(),
            raw_json: false,
        })
    }
}
impl Item {
    pub fn insert_into(&self, target: &mut Map<String, Value>) -> Result<(), ItemError> {
        if let Some(PathSegment::Key(k)) = self.path.first() {
            target.insert(k.clone(), self.value.clone());
        }
        Ok(())
    }
}
