//! Writing a plan, all or nothing: the service's directory and its first commit, then the GitOps files
//! and their commit. Every file and directory created is recorded, and on any error removed again (and
//! unstaged from the GitOps repository), so a failed scaffold leaves the disk as it found it.

use std::path::{Path, PathBuf};

use super::{Plan, PlannedFile, ScaffoldError, git};

/// What a scaffold wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub dir: PathBuf,
    pub commit: String,
    /// The GitOps repository's new commit, when there is one.
    pub gitops_commit: Option<String>,
    /// Every file written, absolute.
    pub files: Vec<PathBuf>,
}

/// What to take back if a later step fails.
#[derive(Default)]
struct Undo {
    /// Directories created, outermost first (removed innermost first, whole).
    dirs: Vec<PathBuf>,
    /// Files written into directories that existed before (the GitOps repository).
    files: Vec<PathBuf>,
    /// A repository and the paths staged in it.
    staged: Option<(PathBuf, Vec<String>)>,
}

impl Undo {
    fn run(self) {
        if let Some((repo, paths)) = self.staged {
            let mut args = vec!["reset", "-q", "--"];
            args.extend(paths.iter().map(String::as_str));
            let _ = git::git(&repo, &args);
        }
        for file in self.files.iter().rev() {
            let _ = std::fs::remove_file(file);
        }
        for dir in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// Creates `dir` and its missing ancestors, recording each one created.
    fn create_dirs(&mut self, dir: &Path) -> Result<(), ScaffoldError> {
        let missing: Vec<&Path> =
            dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).collect();
        for d in missing.into_iter().rev() {
            std::fs::create_dir(d).map_err(|source| ScaffoldError::Io { path: d.to_path_buf(), source })?;
            self.dirs.push(d.to_path_buf());
        }
        Ok(())
    }

    fn write_files(
        &mut self,
        root: &Path,
        files: &[PlannedFile],
        track: bool,
    ) -> Result<Vec<PathBuf>, ScaffoldError> {
        let mut written = Vec::new();
        for file in files {
            let path = root.join(&file.path);
            if let Some(parent) = path.parent() {
                self.create_dirs(parent)?;
            }
            if path.exists() {
                return Err(ScaffoldError::TargetExists(path));
            }
            std::fs::write(&path, &file.contents)
                .map_err(|source| ScaffoldError::Io { path: path.clone(), source })?;
            if track {
                self.files.push(path.clone());
            }
            written.push(path);
        }
        Ok(written)
    }
}

/// Writes the plan; on error removes everything it wrote and returns the error.
pub fn write(plan: &Plan) -> Result<Written, ScaffoldError> {
    let mut undo = Undo::default();
    match write_all(plan, &mut undo) {
        Ok(written) => Ok(written),
        Err(err) => {
            undo.run();
            Err(err)
        }
    }
}

fn write_all(plan: &Plan, undo: &mut Undo) -> Result<Written, ScaffoldError> {
    if plan.dir.exists() {
        return Err(ScaffoldError::TargetExists(plan.dir.clone()));
    }
    undo.create_dirs(&plan.dir)?;
    // The service directory is removed whole on failure; its files need no tracking of their own.
    let mut files = undo.write_files(&plan.dir, &plan.files, false)?;
    git::init(&plan.dir, "main")?;
    let message = format!("Scaffold {} from the {} template", plan.name, plan.template);
    let commit = git::commit(&plan.dir, &[], &message)?;
    let mut gitops_commit = None;
    if let Some(gitops) = &plan.gitops {
        files.extend(undo.write_files(&gitops.repo, &gitops.files, true)?);
        let paths: Vec<String> = gitops.files.iter().map(|f| f.path.clone()).collect();
        undo.staged = Some((gitops.repo.clone(), paths.clone()));
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let message = format!("Add {}: deployment, service and Argo CD application", plan.name);
        gitops_commit = Some(git::commit(&gitops.repo, &refs, &message)?);
    }
    Ok(Written { dir: plan.dir.clone(), commit, gitops_commit, files })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaffold::tests::{platform, request};
    use crate::scaffold::{gitops, plan};

    #[test]
    fn a_scaffold_is_a_new_repository_with_one_commit_and_a_gitops_commit() {
        let out = tempfile::tempdir().unwrap();
        let repo = out.path().join("gitops");
        gitops::init_repository(&repo, "main").unwrap();
        let mut req = request(out.path(), "node-express", "orders");
        req.gitops = Some(repo.clone());
        let written = write(&plan(&req, &platform()).unwrap()).unwrap();
        assert!(
            written.dir.join("src/index.js").is_file()
                && written.dir.join(".github/workflows/ci-cd.yaml").is_file()
        );
        assert_eq!(git::git(&written.dir, &["rev-list", "--count", "HEAD"]).unwrap(), "1");
        assert_eq!(git::git(&written.dir, &["status", "--porcelain"]).unwrap(), "");
        assert_eq!(git::current_branch(&written.dir).unwrap(), "main");
        let tracked = git::git(&repo, &["ls-files"]).unwrap();
        assert_eq!(
            tracked,
            "applications/orders.yaml\napps/orders/deployment.yaml\napps/orders/service.yaml"
        );
        assert!(written.gitops_commit.is_some());
    }

    #[test]
    fn a_failure_part_way_removes_everything_written() {
        let out = tempfile::tempdir().unwrap();
        let repo = out.path().join("gitops");
        gitops::init_repository(&repo, "main").unwrap();
        std::fs::write(repo.join("README"), "gitops").unwrap();
        let mut req = request(&out.path().join("nested/parent"), "go-http", "orders");
        req.gitops = Some(repo.clone());
        let mut p = plan(&req, &platform()).unwrap();
        // Another writer takes the Application's path between planning and writing.
        let gitops = p.gitops.as_mut().unwrap();
        gitops.files.push(PlannedFile { path: "README".into(), contents: b"clobber".to_vec() });
        let err = write(&p).unwrap_err();
        assert!(matches!(err, ScaffoldError::TargetExists(_)), "{err}");
        assert!(!out.path().join("nested").exists(), "created directories are removed");
        assert!(!repo.join("apps").exists() && !repo.join("applications").exists());
        assert_eq!(
            std::fs::read_to_string(repo.join("README")).unwrap(),
            "gitops",
            "existing files untouched"
        );
        assert_eq!(git::git(&repo, &["status", "--porcelain"]).unwrap(), "?? README");
    }
}
