//! Just enough of the Kubernetes protobuf encoding to read the reviews kubectl sends that way
//! (`kubectl auth can-i` posts SelfSubjectAccessReview and SelfSubjectRulesReview as protobuf): the
//! `k8s\0` envelope (`runtime.Unknown`) and the fields of those messages, read into their JSON shape.
//! Answers go back as JSON, which client-go reads by the response's content type.

use serde_json::{Map, Value, json};

/// The magic prefix of a Kubernetes protobuf body.
const MAGIC: &[u8] = b"k8s\0";

/// Wire-format fields of one message: (field number, bytes) for length-delimited fields, others skipped.
fn fields(mut data: &[u8]) -> Option<Vec<(u64, &[u8])>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (key, rest) = varint(data)?;
        data = rest;
        let (number, wire) = (key >> 3, key & 7);
        match wire {
            0 => data = varint(data)?.1,
            1 => data = data.get(8..)?,
            2 => {
                let (len, rest) = varint(data)?;
                let len = usize::try_from(len).ok()?;
                out.push((number, rest.get(..len)?));
                data = rest.get(len..)?;
            }
            5 => data = data.get(4..)?,
            _ => return None,
        }
    }
    Some(out)
}

fn varint(data: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, byte) in data.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &data[i + 1..]));
        }
    }
    None
}

fn field<'a>(fs: &[(u64, &'a [u8])], number: u64) -> Option<&'a [u8]> {
    fs.iter().find(|(n, _)| *n == number).map(|(_, b)| *b)
}

/// String fields of a message by number, into a JSON object.
fn strings(data: &[u8], names: &[(u64, &str)]) -> Option<Value> {
    let fs = fields(data)?;
    let mut out = Map::new();
    for (number, name) in names {
        if let Some(bytes) = field(&fs, *number) {
            out.insert((*name).to_string(), json!(String::from_utf8_lossy(bytes)));
        }
    }
    Some(Value::Object(out))
}

pub fn is_protobuf(content_type: &str) -> bool {
    content_type.split(';').next().unwrap_or("").trim() == "application/vnd.kubernetes.protobuf"
}

/// A SelfSubjectAccessReview, SelfSubjectRulesReview or SelfSubjectReview body as JSON; `None` if it
/// is not one of them or does not decode.
pub fn review(body: &[u8]) -> Option<Value> {
    let envelope = fields(body.strip_prefix(MAGIC)?)?;
    let type_meta = strings(field(&envelope, 1)?, &[(1, "apiVersion"), (2, "kind")])?;
    let raw = fields(field(&envelope, 2).unwrap_or_default())?;
    let spec_bytes = field(&raw, 2).unwrap_or_default();
    let spec = match type_meta["kind"].as_str()? {
        "SelfSubjectAccessReview" => {
            let spec = fields(spec_bytes)?;
            let mut out = Map::new();
            if let Some(attrs) = field(&spec, 1) {
                let names = [
                    (1, "namespace"),
                    (2, "verb"),
                    (3, "group"),
                    (4, "version"),
                    (5, "resource"),
                    (6, "subresource"),
                    (7, "name"),
                ];
                out.insert("resourceAttributes".into(), strings(attrs, &names)?);
            }
            if let Some(attrs) = field(&spec, 2) {
                out.insert("nonResourceAttributes".into(), strings(attrs, &[(1, "path"), (2, "verb")])?);
            }
            Value::Object(out)
        }
        "SelfSubjectRulesReview" => strings(spec_bytes, &[(1, "namespace")])?,
        "SelfSubjectReview" => json!({}),
        _ => return None,
    };
    Some(json!({"apiVersion": type_meta["apiVersion"], "kind": type_meta["kind"], "spec": spec}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(fields: &[(u64, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (number, bytes) in fields {
            out.push(((number << 3) | 2) as u8);
            out.push(bytes.len() as u8);
            out.extend_from_slice(bytes);
        }
        out
    }

    #[test]
    fn reads_an_access_review_as_kubectl_sends_it() {
        let attrs = message(&[(1, b"dev"), (2, b"list"), (5, b"pods")]);
        let spec = message(&[(1, &attrs)]);
        let raw = message(&[(1, b""), (2, &spec)]);
        let type_meta = message(&[(1, b"authorization.k8s.io/v1"), (2, b"SelfSubjectAccessReview")]);
        let mut body = MAGIC.to_vec();
        body.extend(message(&[(1, &type_meta), (2, &raw)]));
        let review = review(&body).unwrap();
        assert_eq!(review["kind"], "SelfSubjectAccessReview");
        assert_eq!(
            review["spec"]["resourceAttributes"],
            json!({"namespace": "dev", "verb": "list", "resource": "pods"})
        );
        assert!(super::review(b"not protobuf").is_none());
        assert!(is_protobuf("application/vnd.kubernetes.protobuf"));
    }
}
