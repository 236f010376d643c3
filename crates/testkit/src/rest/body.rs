//! Request bodies: `application/json`, `multipart/form-data` with
//! `payload_json` and `files[n]`, and `application/x-www-form-urlencoded`
//! (discord-protocol.md §1.4, §1.5).

use acord_core_signals::JsonErrorCode;
use bytes::Bytes;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::route::percent_decode;

/// Largest request Discord accepts for Create Message (§1.5): 25 MiB.
pub(crate) const MAX_REQUEST_BYTES: usize = 25 * 1024 * 1024;
/// Default per-file limit (§1.5): 10 MiB.
pub(crate) const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// One `files[n]` part.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    /// The `n` of `files[n]`.
    pub index: String,
    pub filename: String,
    pub content_type: String,
    pub data: Bytes,
}

/// A parsed body: the JSON (`Null` when there was none) and uploads.
#[derive(Clone, Debug, Default)]
pub(crate) struct Parsed {
    pub json: Value,
    pub files: Vec<Upload>,
}

/// Parses a body according to its `Content-Type`.
///
/// # Errors
///
/// 400 / 50035 `CONTENT_TYPE_INVALID` for a body without one of the three
/// documented content types; 400 / 50109 for syntactically invalid JSON.
///
/// Why 50109 and not 50035 for invalid JSON: discord-protocol.md §1.8 has
/// a code for exactly this case ("Request body contains invalid JSON"),
/// while 50035 is for a form that parsed but does not validate (wrong
/// types, lengths, missing fields), which is what the fake answers for
/// those. 50035 keeps its `errors` object; 50109 carries none.
pub(crate) fn parse(content_type: Option<&str>, body: &Bytes) -> Result<Parsed, ApiError> {
    if body.is_empty() {
        return Ok(Parsed::default());
    }
    let content_type = content_type.unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(Parsed {
            json: parse_json(body)?,
            files: Vec::new(),
        }),
        "multipart/form-data" => {
            let boundary = parameter(content_type, "boundary").ok_or_else(|| {
                ApiError::field(&[], "CONTENT_TYPE_INVALID", "Missing multipart boundary.")
            })?;
            parse_multipart(&boundary, body)
        }
        "application/x-www-form-urlencoded" => Ok(Parsed {
            json: parse_urlencoded(body),
            files: Vec::new(),
        }),
        _ => Err(ApiError::field(
            &[],
            "CONTENT_TYPE_INVALID",
            "Expected \"Content-Type\" header to be one of {'application/json', \
             'application/x-www-form-urlencoded', 'multipart/form-data'}.",
        )),
    }
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|_| {
        ApiError::code(
            JsonErrorCode::InvalidJson,
            "The request body contains invalid JSON.",
        )
    })
}

fn parse_urlencoded(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut map = Map::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| percent_decode(&s.replace('+', " "));
        map.insert(decode(key), Value::String(decode(value)));
    }
    Value::Object(map)
}

/// A `key=value` parameter of a header value (`; boundary=...`), unquoted.
pub(crate) fn parameter(header: &str, key: &str) -> Option<String> {
    split_params(header).into_iter().skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| unquote(v.trim()))
    })
}

/// Splits on `;` outside double quotes.
fn split_params(header: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in header.chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' if quoted => {
                current.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ';' if !quoted => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
}

fn unquote(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_owned(),
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| haystack[i..].starts_with(needle))
}

fn multipart_error(message: &str) -> ApiError {
    ApiError::field(&[], "MULTIPART_INVALID", message)
}

fn parse_multipart(boundary: &str, body: &Bytes) -> Result<Parsed, ApiError> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut pos = find(body, delimiter.as_bytes(), 0)
        .ok_or_else(|| multipart_error("Multipart body has no boundary."))?
        + delimiter.len();
    let mut fields = Map::new();
    let mut payload_json = None;
    let mut files = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            break;
        }
        if body[pos..].starts_with(b"\r\n") {
            pos += 2;
        }
        let headers_end = find(body, b"\r\n\r\n", pos)
            .ok_or_else(|| multipart_error("Multipart part without headers."))?;
        let headers = String::from_utf8_lossy(&body[pos..headers_end]).into_owned();
        let content_start = headers_end + 4;
        let content_end = find(body, next_delimiter.as_bytes(), content_start)
            .ok_or_else(|| multipart_error("Unterminated multipart part."))?;
        let content = body.slice(content_start..content_end);
        pos = content_end + next_delimiter.len();

        let mut name = None;
        let mut filename = None;
        let mut part_type = None;
        for line in headers.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                name = parameter(value, "name");
                filename = parameter(value, "filename");
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                part_type = Some(value.trim().to_owned());
            }
        }
        let Some(name) = name else {
            return Err(multipart_error("Multipart part without a name."));
        };
        if name == "payload_json" {
            payload_json = Some(parse_json(&content)?);
        } else if let Some(index) = name
            .strip_prefix("files[")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            let Some(filename) = filename else {
                return Err(ApiError::field(
                    &[&name],
                    "BASE_TYPE_REQUIRED",
                    "Every file part needs a filename.",
                ));
            };
            if files.iter().any(|f: &Upload| f.index == index) {
                return Err(ApiError::field(
                    &[&name],
                    "BASE_TYPE_DUPLICATE",
                    "File part names must be unique.",
                ));
            }
            files.push(Upload {
                index: index.to_owned(),
                filename,
                content_type: part_type.unwrap_or_else(|| "application/octet-stream".into()),
                data: content,
            });
        } else {
            fields.insert(
                name,
                Value::String(String::from_utf8_lossy(&content).into_owned()),
            );
        }
    }
    let json = match payload_json {
        Some(Value::Object(mut object)) => {
            for (k, v) in fields {
                object.entry(k).or_insert(v);
            }
            Value::Object(object)
        }
        Some(other) => other,
        None if fields.is_empty() => Value::Null,
        None => Value::Object(fields),
    };
    Ok(Parsed { json, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_with_payload_and_files() {
        let body = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\
Content-Type: application/json\r\n\r\n{\"content\":\"hi\"}\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a;b.bin\"\r\n\
Content-Type: image/png\r\n\r\n\x00\x01\r\n\x02\r\n--XyZ--\r\n",
        );
        let parsed = parse(Some("multipart/form-data; boundary=\"XyZ\""), &body).unwrap();
        assert_eq!(parsed.json["content"], "hi");
        assert_eq!(parsed.files.len(), 1);
        assert_eq!(parsed.files[0].filename, "a;b.bin");
        assert_eq!(parsed.files[0].index, "0");
        assert_eq!(parsed.files[0].content_type, "image/png");
        assert_eq!(&parsed.files[0].data[..], b"\x00\x01\r\n\x02");
    }

    #[test]
    fn content_types() {
        let json = Bytes::from_static(b"{\"a\":1}");
        assert_eq!(parse(Some("application/json"), &json).unwrap().json["a"], 1);
        let err = parse(Some("text/plain"), &json).unwrap_err();
        assert_eq!(err.body["code"], 50035);
        assert_eq!(
            err.body["errors"]["_errors"][0]["code"],
            "CONTENT_TYPE_INVALID"
        );
        let err = parse(None, &json).unwrap_err();
        assert_eq!(err.status, 400);
        let bad = Bytes::from_static(b"{nope");
        let err = parse(Some("application/json; charset=utf-8"), &bad).unwrap_err();
        assert_eq!(err.body["code"], 50109);
        let form = Bytes::from_static(b"content=a+b%21&x=");
        let parsed = parse(Some("application/x-www-form-urlencoded"), &form).unwrap();
        assert_eq!(parsed.json["content"], "a b!");
        assert!(parse(None, &Bytes::new()).unwrap().json.is_null());
    }
}
