//! What the console's layout shows on every page.

use super::auth::SignedIn;
use crate::domain::Lang;

pub struct Me {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
    pub is_supervisor: bool,
    pub calendar_missing: Option<i32>,
}

impl Me {
    pub fn new(who: &SignedIn, lang: Lang) -> Self {
        Self {
            name: who.agent.name.clone(),
            role: who.role.label(lang),
            csrf: who.csrf.clone(),
            is_supervisor: who.is_supervisor(),
            calendar_missing: who.calendar_missing,
        }
    }
}
