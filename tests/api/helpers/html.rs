//! Reading the server's pages and redirects.

/// The value that follows `prefix` up to the next quote.
pub fn attr(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// The text content of the element carrying `data-field="{name}"`.
pub fn field_text(html: &str, name: &str) -> Option<String> {
    let marker = format!("data-field=\"{name}\"");
    let at = html.find(&marker)?;
    let start = html[at..].find('>')? + at + 1;
    let end = html[start..].find('<')? + start;
    Some(html[start..end].trim().to_owned())
}

/// The `datetime` of `<time data-field="{name}" datetime="...">`.
pub fn time_field(html: &str, name: &str) -> Option<String> {
    attr(html, &format!("data-field=\"{name}\" datetime=\""))
}

/// The `<input>`/`<select>`/`<textarea>` tag of a form field.
pub fn control<'a>(html: &'a str, name: &str) -> &'a str {
    let marker = format!("name=\"{name}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no control {name}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = html[at..].find('>').expect("tag end") + at;
    &html[start..=end]
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .expect("ASCII")
        .to_owned()
}
