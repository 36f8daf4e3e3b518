//! Test helpers, by concern: a fresh database per test (`database`), the real server on
//! it with a clock the test moves (`app`), reading pages (`html`) and a signed-in console
//! user (`console`). Call sites take them all with `use crate::helpers::*`.

mod app;
mod console;
mod database;
mod html;

pub use app::*;
pub use console::*;
pub use database::*;
pub use html::*;
