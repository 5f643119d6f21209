//! Rendering with a real template engine: minijinja configured with Backstage's delimiters
//! (`${{ … }}` variables, `{% … %}` blocks, `{# … #}` comments) and strict undefined, so a skeleton
//! written for Backstage renders the same here and a missing value is an error, never an empty string.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value as Jinja};
use serde_json::{Map, Value};
use serde_norway::Value as Yaml;

use super::ScaffoldError;
use super::template::{SkeletonFile, Template};

/// A rendered file: path relative to the service's root, and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub contents: Vec<u8>,
}

fn environment<'s>() -> Result<Environment<'s>, ScaffoldError> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .variable_delimiters("${{", "}}")
        .block_delimiters("{%", "%}")
        .comment_delimiters("{#", "#}")
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| ScaffoldError::Render { file: "(syntax)".into(), message: e.to_string() })?;
    env.set_syntax(syntax);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    Ok(env)
}

/// The `fetch:template` step's `values`, evaluated against `parameters` and `platform`. A value that is
/// a single `${{ expression }}` keeps the expression's type (a port stays a number), as in Backstage.
pub fn values(template: &Template, context: &Value) -> Result<Map<String, Value>, ScaffoldError> {
    let env = environment()?;
    let ctx = Jinja::from(Serde(context));
    let mut out = Map::new();
    for (key, raw) in &template.values {
        let file = format!("template.yaml (values.{key})");
        let value = match raw {
            Yaml::String(text) => {
                check_defined(&env, &file, text, context)?;
                match single_expression(text) {
                    Some(expr) => {
                        let compiled = env.compile_expression(expr).map_err(|e| render_error(&file, &e))?;
                        let value = compiled.eval(ctx.clone()).map_err(|e| render_error(&file, &e))?;
                        serde_json::to_value(&value).map_err(|e| ScaffoldError::Render {
                            file: file.clone(),
                            message: e.to_string(),
                        })?
                    }
                    None => {
                        Value::String(env.render_str(text, ctx.clone()).map_err(|e| render_error(&file, &e))?)
                    }
                }
            }
            other => serde_json::to_value(other)
                .map_err(|e| ScaffoldError::Render { file: file.clone(), message: e.to_string() })?,
        };
        out.insert(key.clone(), value);
    }
    Ok(out)
}

/// `${{ parameters.port }}` → `parameters.port`; anything with text around it → None.
fn single_expression(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("${{")?.strip_suffix("}}")?;
    (!inner.contains("${{") && !inner.contains("}}")).then_some(inner.trim())
}

/// Renders every skeleton file (paths too: file and directory names may hold placeholders) with
/// `values` as Backstage's skeletons see them.
pub fn skeleton(
    files: &[SkeletonFile],
    values: &Map<String, Value>,
) -> Result<Vec<RenderedFile>, ScaffoldError> {
    let env = environment()?;
    let context = serde_json::json!({ "values": values });
    let ctx = Jinja::from(Serde(&context));
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        check_defined(&env, &format!("{} (its path)", file.path), &file.path, &context)?;
        let path = env.render_str(&file.path, ctx.clone()).map_err(|e| render_error(&file.path, &e))?;
        if path.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
            return Err(ScaffoldError::Render {
                file: file.path.clone(),
                message: format!("renders to the unsafe path `{path}`"),
            });
        }
        let contents = match std::str::from_utf8(&file.contents) {
            Ok(text) => {
                check_defined(&env, &file.path, text, &context)?;
                let rendered = env.render_str(text, ctx.clone()).map_err(|e| render_error(&file.path, &e))?;
                rendered.into_bytes()
            }
            // Binary files (images, archives) are copied as they are.
            Err(_) => file.contents.clone(),
        };
        out.push(RenderedFile { path, contents });
    }
    Ok(out)
}

/// Names the first variable a template uses that the context does not define, before rendering, so the
/// error says which file and which variable (`values.x`) instead of only "undefined value".
fn check_defined<'s>(
    env: &Environment<'s>,
    file: &str,
    source: &'s str,
    context: &Value,
) -> Result<(), ScaffoldError> {
    let template = env.template_from_str(source).map_err(|e| render_error(file, &e))?;
    let mut used: Vec<String> = template.undeclared_variables(true).into_iter().collect();
    used.sort();
    for variable in used {
        let mut parts = variable.split('.');
        let root = parts.next().unwrap_or_default();
        if env.globals().any(|(name, _)| name == root) {
            continue;
        }
        let mut current = Some(context);
        for part in std::iter::once(root).chain(parts) {
            current = current.and_then(|v| v.get(part));
        }
        if current.is_none() {
            return Err(ScaffoldError::MissingValue { file: file.to_string(), variable });
        }
    }
    Ok(())
}

fn render_error(file: &str, err: &minijinja::Error) -> ScaffoldError {
    let mut message = err.kind().to_string();
    if let Some(detail) = err.detail() {
        message = format!("{message}: {detail}");
    }
    if let Some(line) = err.line() {
        message = format!("line {line}: {message}");
    }
    ScaffoldError::Render { file: file.to_string(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> SkeletonFile {
        SkeletonFile { path: path.into(), contents: text.as_bytes().to_vec() }
    }

    fn vals() -> Map<String, Value> {
        serde_json::json!({"name": "orders", "port": 8080, "tags": ["a", "b"]}).as_object().unwrap().clone()
    }

    #[test]
    fn backstage_placeholders_blocks_and_comments_render() {
        let out = skeleton(
            &[file(
                "src/main.txt",
                "svc=${{ values.name }} port=${{ values.port + 1 }}{# hidden #}\n{% for t in values.tags %}[${{ t | upper }}]{% endfor %}\n",
            )],
            &vals(),
        )
        .unwrap();
        assert_eq!(String::from_utf8(out[0].contents.clone()).unwrap(), "svc=orders port=8081\n[A][B]\n");
    }

    #[test]
    fn plain_braces_of_other_languages_are_left_alone() {
        let text = "func main() { x := map[string]int{} }\nconst t = `${port}`; {{ handlebars }}\n";
        let out = skeleton(&[file("main.go", text)], &vals()).unwrap();
        assert_eq!(String::from_utf8(out[0].contents.clone()).unwrap(), text);
    }

    #[test]
    fn a_missing_value_names_the_file_and_the_variable() {
        let err = skeleton(
            &[file("ok.txt", "${{ values.name }}"), file("src/app.js", "x ${{ values.colour }}")],
            &vals(),
        )
        .unwrap_err();
        match err {
            ScaffoldError::MissingValue { file, variable } => {
                assert_eq!(file, "src/app.js");
                assert_eq!(variable, "values.colour");
            }
            other => panic!("not a missing value: {other}"),
        }
    }

    #[test]
    fn strict_undefined_catches_what_the_static_check_cannot_see() {
        let err = skeleton(&[file("x.txt", "${{ values[values.name] }}")], &vals()).unwrap_err();
        assert!(matches!(err, ScaffoldError::Render { ref file, .. } if file == "x.txt"), "{err}");
    }

    #[test]
    fn placeholders_in_file_and_directory_names() {
        let out = skeleton(&[file("${{ values.name }}/cmd/${{ values.name }}.txt", "x")], &vals()).unwrap();
        assert_eq!(out[0].path, "orders/cmd/orders.txt");
        let err = skeleton(&[file("${{ values.missing }}/a", "x")], &vals()).unwrap_err().to_string();
        assert!(err.contains("values.missing"), "{err}");
    }

    #[test]
    fn paths_cannot_escape_the_service_directory() {
        let mut v = vals();
        v.insert("name".into(), "..".into());
        assert!(
            skeleton(&[file("${{ values.name }}/x", "")], &v)
                .unwrap_err()
                .to_string()
                .contains("unsafe path")
        );
    }

    #[test]
    fn single_expressions_keep_their_type() {
        let mut t = crate::scaffold::template::load("node-express").unwrap();
        t.values = vec![
            ("port".into(), Yaml::String("${{ parameters.port }}".into())),
            ("url".into(), Yaml::String("http://${{ parameters.name }}:${{ parameters.port }}".into())),
            ("literal".into(), Yaml::Bool(true)),
        ];
        let context = serde_json::json!({"parameters": {"name": "orders", "port": 8080}});
        let v = values(&t, &context).unwrap();
        assert_eq!(v["port"], 8080);
        assert_eq!(v["url"], "http://orders:8080");
        assert_eq!(v["literal"], true);
        t.values = vec![("x".into(), Yaml::String("${{ parameters.nope }}".into()))];
        assert!(values(&t, &context).unwrap_err().to_string().contains("parameters.nope"));
    }
}
