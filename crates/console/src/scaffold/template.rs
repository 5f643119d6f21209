//! A service template in the shape of a Backstage scaffolder template: `template.yaml`
//! (`scaffolder.backstage.io/v1beta3`, kind `Template`) declaring its parameters as JSON-schema style
//! properties and a `fetch:template` step whose `input.url` names the skeleton directory and whose
//! `values` map the parameters to what the skeleton's `${{ values.x }}` placeholders see.
//!
//! Templates are the built-in ones embedded in the binary (`assets/templates/<name>/`) or any directory
//! holding a `template.yaml`.

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use serde_norway::{Mapping, Value as Yaml};

use super::ScaffoldError;

/// One file of a template's skeleton, path relative to the skeleton directory (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkeletonFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// One declared parameter (`spec.parameters[].properties.<name>`).
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    #[serde(skip)]
    pub name: String,
    #[serde(skip)]
    pub required: bool,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    #[serde(default, rename = "enum")]
    pub choices: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub minimum: Option<f64>,
    #[serde(default)]
    pub maximum: Option<f64>,
    #[serde(default)]
    pub max_length: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub name: String,
    pub title: String,
    pub description: String,
    /// Declared parameters, in the order the template lists them.
    pub parameters: Vec<Parameter>,
    /// The `fetch:template` step's `values`: name → expression or literal.
    pub values: Vec<(String, Yaml)>,
    pub skeleton: Vec<SkeletonFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TemplateFile {
    api_version: String,
    kind: String,
    #[serde(default)]
    metadata: Metadata,
    spec: Spec,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct Spec {
    #[serde(default)]
    parameters: Yaml,
    #[serde(default)]
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    #[serde(default)]
    action: String,
    #[serde(default)]
    input: StepInput,
}

#[derive(Deserialize, Default)]
struct StepInput {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    values: Mapping,
}

/// The parts of a template before its skeleton is read: what `template.yaml` says.
struct Declared {
    template: Template,
    skeleton_dir: String,
}

fn invalid(template: &str, message: impl Into<String>) -> ScaffoldError {
    ScaffoldError::InvalidTemplate { template: template.to_string(), message: message.into() }
}

fn parse(label: &str, text: &str) -> Result<Declared, ScaffoldError> {
    let file: TemplateFile =
        serde_norway::from_str(text).map_err(|e| invalid(label, format!("template.yaml: {e}")))?;
    if file.api_version != "scaffolder.backstage.io/v1beta3" || file.kind != "Template" {
        return Err(invalid(
            label,
            format!(
                "template.yaml is {}/{}, not a scaffolder.backstage.io/v1beta3 Template",
                file.api_version, file.kind
            ),
        ));
    }
    let parameters = parameters(label, &file.spec.parameters)?;
    let Some(step) = file.spec.steps.into_iter().find(|s| s.action == "fetch:template") else {
        return Err(invalid(label, "template.yaml has no fetch:template step"));
    };
    let skeleton_dir = step.input.url.unwrap_or_else(|| "./skeleton".into());
    let skeleton_dir = relative(&skeleton_dir).ok_or_else(|| {
        invalid(label, format!("fetch:template url `{skeleton_dir}` is not a relative path"))
    })?;
    let values = step
        .input
        .values
        .into_iter()
        .map(|(k, v)| match k {
            Yaml::String(k) => Ok((k, v)),
            other => Err(invalid(label, format!("values key {other:?} is not a string"))),
        })
        .collect::<Result<_, _>>()?;
    let name = if file.metadata.name.is_empty() { label.to_string() } else { file.metadata.name };
    Ok(Declared {
        template: Template {
            title: file.metadata.title.unwrap_or_else(|| name.clone()),
            description: file.metadata.description.unwrap_or_default(),
            name,
            parameters,
            values,
            skeleton: Vec::new(),
        },
        skeleton_dir,
    })
}

/// `spec.parameters`: a list of form pages (or one page), each with `required` and `properties`.
fn parameters(label: &str, value: &Yaml) -> Result<Vec<Parameter>, ScaffoldError> {
    let pages: Vec<&Yaml> = match value {
        Yaml::Sequence(pages) => pages.iter().collect(),
        Yaml::Mapping(_) => vec![value],
        Yaml::Null => Vec::new(),
        _ => return Err(invalid(label, "spec.parameters is neither a list nor a map")),
    };
    let mut out = Vec::new();
    for page in pages {
        let required: Vec<String> = page
            .get("required")
            .and_then(Yaml::as_sequence)
            .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let Some(properties) = page.get("properties").and_then(Yaml::as_mapping) else { continue };
        for (key, property) in properties {
            let Some(name) = key.as_str() else { continue };
            let mut parameter: Parameter = serde_norway::from_value(property.clone())
                .map_err(|e| invalid(label, format!("parameter `{name}`: {e}")))?;
            parameter.name = name.to_string();
            parameter.required = required.iter().any(|r| r == name);
            out.push(parameter);
        }
    }
    Ok(out)
}

/// `./skeleton` → `skeleton`; refuses absolute paths and `..`.
fn relative(url: &str) -> Option<String> {
    let path = Path::new(url);
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::Normal(p) => parts.push(p.to_str()?.to_string()),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Where a template comes from: a built-in name or a directory.
pub fn load(spec: &str) -> Result<Template, ScaffoldError> {
    if let Some(dir) = crate::assets::template(spec) {
        return load_builtin(spec, dir);
    }
    let path = Path::new(spec);
    if spec.contains(std::path::MAIN_SEPARATOR)
        || spec.starts_with('.')
        || path.join("template.yaml").is_file()
    {
        return load_dir(path);
    }
    Err(ScaffoldError::UnknownTemplate {
        name: spec.to_string(),
        available: crate::assets::template_names().iter().map(|s| s.to_string()).collect(),
    })
}

fn load_builtin(name: &str, dir: &include_dir::Dir<'static>) -> Result<Template, ScaffoldError> {
    let text = dir
        .get_file(dir.path().join("template.yaml"))
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| invalid(name, "no template.yaml"))?;
    let Declared { mut template, skeleton_dir } = parse(name, text)?;
    let root = dir.path().join(&skeleton_dir);
    let skeleton =
        dir.get_dir(&root).ok_or_else(|| invalid(name, format!("no skeleton `{skeleton_dir}`")))?;
    let mut files = Vec::new();
    collect_embedded(skeleton, &root, &mut files);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    template.skeleton = files;
    Ok(template)
}

fn collect_embedded(dir: &include_dir::Dir<'static>, root: &Path, out: &mut Vec<SkeletonFile>) {
    for file in dir.files() {
        if let Ok(rel) = file.path().strip_prefix(root) {
            out.push(SkeletonFile { path: slash_path(rel), contents: file.contents().to_vec() });
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, root, out);
    }
}

fn slash_path(path: &Path) -> String {
    path.components().filter_map(|c| c.as_os_str().to_str()).collect::<Vec<_>>().join("/")
}

/// A template directory of the user's own.
pub fn load_dir(dir: &Path) -> Result<Template, ScaffoldError> {
    let label = dir.display().to_string();
    let manifest = dir.join("template.yaml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| invalid(&label, format!("cannot read {}: {e}", manifest.display())))?;
    let fallback = dir.file_name().and_then(|n| n.to_str()).unwrap_or(&label).to_string();
    let Declared { mut template, skeleton_dir } = parse(&fallback, &text)?;
    let root = dir.join(&skeleton_dir);
    if !root.is_dir() {
        return Err(invalid(&label, format!("no skeleton directory {}", root.display())));
    }
    let mut files = Vec::new();
    collect_dir(&root, &root, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    template.skeleton = files;
    Ok(template)
}

fn collect_dir(dir: &Path, root: &Path, out: &mut Vec<SkeletonFile>) -> Result<(), ScaffoldError> {
    let io = |path: &Path, source| ScaffoldError::Io { path: path.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path: PathBuf = entry.map_err(|e| io(dir, e))?.path();
        if path.is_dir() {
            collect_dir(&path, root, out)?;
        } else {
            let contents = std::fs::read(&path).map_err(|e| io(&path, e))?;
            let rel = path.strip_prefix(root).unwrap_or(&path);
            out.push(SkeletonFile { path: slash_path(rel), contents });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_loads_with_its_parameters_and_skeleton() {
        let names = crate::assets::template_names();
        assert_eq!(names, vec!["go-http", "node-express", "python-fastapi"]);
        for name in names {
            let t = load(name).unwrap();
            assert_eq!(t.name, name);
            let params: Vec<&str> = t.parameters.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(params, vec!["name", "description", "owner", "namespace", "port"], "{name}");
            assert!(t.parameters[0].required && t.parameters[0].pattern.is_some());
            for needed in ["k8s/deployment.yaml", "k8s/service.yaml", "catalog-info.yaml", "Dockerfile"] {
                assert!(t.skeleton.iter().any(|f| f.path == needed), "{name} lacks {needed}");
            }
            assert!(t.skeleton.iter().any(|f| f.path == ".github/workflows/ci-cd.yaml"));
        }
    }

    #[test]
    fn an_unknown_template_lists_the_available_ones() {
        let err = load("rust-axum").unwrap_err().to_string();
        assert!(err.contains("rust-axum") && err.contains("node-express, python-fastapi"), "{err}");
    }

    #[test]
    fn a_template_that_is_not_a_backstage_template_is_refused() {
        let err = parse("x", "apiVersion: v1\nkind: ConfigMap\nspec: {}\n").err().unwrap().to_string();
        assert!(err.contains("not a scaffolder.backstage.io/v1beta3 Template"), "{err}");
        let text = "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nspec:\n  steps: []\n";
        assert!(parse("x", text).err().unwrap().to_string().contains("no fetch:template step"));
    }

    #[test]
    fn skeleton_urls_stay_inside_the_template() {
        assert_eq!(relative("./skeleton").as_deref(), Some("skeleton"));
        assert_eq!(relative("skel/inner").as_deref(), Some("skel/inner"));
        assert_eq!(relative("../elsewhere"), None);
        assert_eq!(relative("/etc"), None);
    }
}
