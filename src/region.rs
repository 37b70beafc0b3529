//! The workspace's region: its name in settings, and the API host it means.

/// The API of a workspace in the US region (the default).
pub const US_ENDPOINT: &str = "https://cdp.customer.io/v1";
/// The API of a workspace in the EU region.
pub const EU_ENDPOINT: &str = "https://cdp-eu.customer.io/v1";

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    Us,
    Eu,
}

impl Region {
    /// As written in settings and `CIO_REGION`.
    pub fn name(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
        }
    }

    /// A region as people write it (any case, spaces around).
    pub fn parse(text: &str) -> Option<Region> {
        match text.trim().to_ascii_lowercase().as_str() {
            "us" => Some(Region::Us),
            "eu" => Some(Region::Eu),
            _ => None,
        }
    }

    /// The base URL of the region's API.
    pub fn endpoint(self) -> &'static str {
        match self {
            Region::Us => US_ENDPOINT,
            Region::Eu => EU_ENDPOINT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for region in [Region::Us, Region::Eu] {
            assert_eq!(Region::parse(region.name()), Some(region));
        }
        assert_eq!(Region::parse(" EU "), Some(Region::Eu));
        assert_eq!(Region::parse("asia"), None);
    }
}
