//! Page parameters and the list envelope every list route answers:
//! `{"items": [...], "page", "per_page", "total"}`.

use crate::error::ApiError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The default page size.
pub const DEFAULT_PER_PAGE: u32 = 25;
/// The largest page a client may ask for.
pub const MAX_PER_PAGE: u32 = 100;

/// `?page=&per_page=`, validated: page from 1, per_page from 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PageParams {
    pub page: u32,
    pub per_page: u32,
}

impl Default for PageParams {
    fn default() -> Self {
        PageParams {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// The raw query form; strings so a bad value gets our error, not serde's.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct RawPageParams {
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl TryFrom<RawPageParams> for PageParams {
    type Error = ApiError;

    fn try_from(raw: RawPageParams) -> Result<Self, ApiError> {
        fn parse(
            field: &str,
            value: Option<String>,
            default: u32,
            max: u32,
        ) -> Result<u32, ApiError> {
            let Some(value) = value else {
                return Ok(default);
            };
            match value.trim().parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::invalid(
                    field,
                    format!("{field} must be a whole number from 1 to {max}"),
                )),
            }
        }
        Ok(PageParams {
            page: parse("page", raw.page, 1, 1_000_000)?,
            per_page: parse("per_page", raw.per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
        })
    }
}

impl PageParams {
    /// `LIMIT` for SQL.
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    /// `OFFSET` for SQL.
    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

/// One page of a list.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    /// How many items the whole list holds.
    pub total: i64,
    /// `true` when `total` is the database's estimate rather than a count
    /// (a member search it expects to match more than 5,000 people:
    /// counting them all would cost more than the page). Show it as "about".
    pub total_is_estimate: bool,
}

impl<T> Page<T> {
    /// A page of a list whose items were counted.
    pub fn new(items: Vec<T>, params: PageParams, total: i64) -> Self {
        Page {
            items,
            page: params.page,
            per_page: params.per_page,
            total,
            total_is_estimate: false,
        }
    }

    /// A page of a list of about `total` items.
    pub fn estimated(items: Vec<T>, params: PageParams, total: i64) -> Self {
        Page {
            total_is_estimate: true,
            ..Page::new(items, params, total)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<PageParams, ApiError> {
        RawPageParams {
            page: page.map(Into::into),
            per_page: per_page.map(Into::into),
        }
        .try_into()
    }

    #[test]
    fn defaults_to_first_page_of_25() {
        let p = parse(None, None).unwrap();
        assert_eq!(p, PageParams::default());
        assert_eq!((p.limit(), p.offset()), (25, 0));
    }

    #[test]
    fn offset_follows_page() {
        let p = parse(Some("3"), Some("100")).unwrap();
        assert_eq!((p.limit(), p.offset()), (100, 200));
    }

    #[test]
    fn bad_values_name_their_field() {
        for (page, per_page, field) in [
            (Some("0"), None, "page"),
            (Some("-1"), None, "page"),
            (Some("x"), None, "page"),
            (None, Some("0"), "per_page"),
            (None, Some("101"), "per_page"),
            (None, Some("2.5"), "per_page"),
        ] {
            match parse(page, per_page) {
                Err(ApiError::Validation { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{page:?} {per_page:?}: {other:?}"),
            }
        }
    }
}
