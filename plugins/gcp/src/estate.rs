//! What a scan learns across asset lines and inputs, and the findings only the whole picture
//! decides.
//!
//! A Cloud Asset Inventory export made with the resource and IAM-policy content types writes
//! the same asset `name` on separate lines, usually in separate files, in any order. So some
//! findings wait: a bucket's public access (its data and its IAM policy), an instance's login
//! settings (its metadata and its project's common metadata) and OS (its boot disk asset), a
//! project's audit logging (its policy and its folders' and organization's), a log sink's
//! integrity (its destination bucket's retention policy). [`Estate`] keeps
//! exactly what those need, small next to the assets streamed past it: a bucket join is
//! emitted and dropped as soon as both of its lines have been read; everything else is
//! emitted by [`Estate::finish`] in a deterministic order.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use demarc_sdk::{Finding, ScanError};

use crate::asset::{Kind, Subject};
use crate::checks::compute::{self, DiskImage, Disks, PendingInstance, ProjectMetadata};
use crate::checks::logging::{self, BucketRetention, SinkRecord};
use crate::checks::storage::{self, BucketAccess};
use crate::checks::{Context, iam, identity};
use crate::iam::{AuditCoverage, Policy};
use crate::json::Labels;

/// A bucket waiting for its other line.
#[derive(Debug)]
struct BucketJoin {
    subject: Subject<'static>,
    access: Option<BucketAccess>,
    iam: Option<Vec<String>>,
}

/// What is known of one project (keyed by number).
#[derive(Debug, Default)]
struct ProjectState {
    /// From its resource line.
    subject: Option<Subject<'static>>,
    /// Its folders and organization, nearest first.
    ancestors: Vec<String>,
    /// The `allServices` audit configuration of its own IAM policy.
    own_audit: Option<AuditCoverage>,
    /// Its IAM policy as written, evaluated at the end with the subject of its resource line
    /// (and only if the project is not being deleted).
    iam_policy: Option<String>,
    /// `lifecycleState` DELETE_REQUESTED: nothing is emitted for it.
    deleted: bool,
}

/// Cross-line state of one scan.
#[derive(Debug, Default)]
pub struct Estate {
    buckets: BTreeMap<String, BucketJoin>,
    projects: BTreeMap<String, ProjectState>,
    /// Audit coverage of folders and organizations whose IAM policy was read.
    hierarchy: HashMap<String, AuditCoverage>,
    compute_projects: HashMap<String, ProjectMetadata>,
    disks: Disks,
    pending: Vec<PendingInstance>,
    /// Bucket name (join key) → its retention policy, for log sinks.
    retention: HashMap<String, BucketRetention>,
    /// Log sinks that write to a bucket, waiting for it.
    sinks: Vec<SinkRecord>,
    /// A directory user list was read: no project-level 2SV fallbacks.
    directory: bool,
    /// The project of the previous asset, to skip the map lookup for runs of one project.
    last_project: String,
}

/// The resource id of a project by number.
pub fn project_id(number: &str) -> String {
    format!("//cloudresourcemanager.googleapis.com/projects/{number}")
}

impl Estate {
    /// Note the project and hierarchy of an asset (`ancestors`, nearest first).
    pub fn saw_ancestors<'x>(&mut self, ancestors: impl Iterator<Item = &'x str> + Clone) {
        let mut it = ancestors
            .clone()
            .skip_while(|a| !a.starts_with("projects/"));
        let Some(number) = it.next().and_then(|p| p.strip_prefix("projects/")) else {
            return;
        };
        if number.is_empty() || number == self.last_project {
            return;
        }
        let state = self.projects.entry(number.to_string()).or_default();
        if state.ancestors.is_empty() {
            state.ancestors = it
                .filter(|a| a.starts_with("folders/") || a.starts_with("organizations/"))
                .map(str::to_string)
                .collect();
        }
        self.last_project.clear();
        self.last_project.push_str(number);
    }

    /// Record a project's resource line.
    pub fn project_resource(&mut self, number: &str, subject: Subject<'static>, deleted: bool) {
        let state = self.projects.entry(number.to_string()).or_default();
        state.subject = Some(subject);
        state.deleted |= deleted;
    }

    /// Record a project's IAM policy (its JSON text, already known to parse) and its audit
    /// coverage.
    pub fn project_iam(&mut self, number: &str, coverage: AuditCoverage, policy: &str) {
        let state = self.projects.entry(number.to_string()).or_default();
        state.own_audit = Some(coverage);
        state.iam_policy = Some(policy.to_string());
    }

    /// Record the audit coverage of a folder's or organization's IAM policy (`folders/N`).
    pub fn hierarchy_iam(&mut self, key: &str, coverage: AuditCoverage) {
        self.hierarchy.insert(key.to_string(), coverage);
    }

    /// Record a bucket's resource line; returns the public-access finding when its IAM line has
    /// been read already.
    pub fn bucket_resource(
        &mut self,
        name: &str,
        subject: Subject<'static>,
        access: BucketAccess,
    ) -> Option<Finding> {
        match self.buckets.remove(name) {
            Some(BucketJoin { iam: Some(iam), .. }) => {
                Some(storage::public_access(&subject, Some(&access), Some(&iam)))
            }
            _ => {
                self.buckets.insert(
                    name.to_string(),
                    BucketJoin {
                        subject,
                        access: Some(access),
                        iam: None,
                    },
                );
                None
            }
        }
    }

    /// Record a bucket's IAM line (its public members); returns the public-access finding when
    /// its resource line has been read already.
    pub fn bucket_iam(
        &mut self,
        name: &str,
        subject: impl FnOnce() -> Subject<'static>,
        members: Vec<String>,
    ) -> Option<Finding> {
        match self.buckets.remove(name) {
            Some(BucketJoin {
                subject,
                access: Some(access),
                ..
            }) => Some(storage::public_access(
                &subject,
                Some(&access),
                Some(&members),
            )),
            _ => {
                self.buckets.insert(
                    name.to_string(),
                    BucketJoin {
                        subject: subject(),
                        access: None,
                        iam: Some(members),
                    },
                );
                None
            }
        }
    }

    /// Record a project's common instance metadata (by project id).
    pub fn compute_project(&mut self, id: String, meta: ProjectMetadata) {
        self.compute_projects.insert(id, meta);
    }

    /// The common instance metadata of a project, when read already.
    pub fn compute_project_metadata(&self, id: &str) -> Option<&ProjectMetadata> {
        self.compute_projects.get(id)
    }

    /// Record a disk's image.
    pub fn disk(&mut self, key: String, image: DiskImage) {
        self.disks.insert(key, image);
    }

    /// The disks read so far.
    pub fn disks(&self) -> &Disks {
        &self.disks
    }

    /// Keep an instance whose checks wait for the end of the scan.
    pub fn pending_instance(&mut self, pending: PendingInstance) {
        self.pending.push(pending);
    }

    /// Record the retention policy of the bucket named `name`.
    pub fn bucket_retention(&mut self, name: &str, retention: BucketRetention) {
        self.retention.insert(logging::bucket_key(name), retention);
    }

    /// Keep a log sink that writes to a bucket until every bucket has been read.
    pub fn log_sink(&mut self, record: SinkRecord) {
        self.sinks.push(record);
    }

    /// Note that the target includes a directory user list.
    pub fn directory_read(&mut self) {
        self.directory = true;
    }

    /// Emit the findings that needed every input; returns the number of resources evaluated
    /// only now (buckets and projects known only from IAM lines or ancestors).
    pub fn finish(
        self,
        ctx: &Context,
        mut emit: impl FnMut(Finding) -> Result<(), ScanError>,
    ) -> Result<u64, ScanError> {
        let Estate {
            buckets,
            projects,
            hierarchy,
            compute_projects,
            disks,
            pending,
            retention,
            sinks,
            directory,
            ..
        } = self;
        let mut late = 0;
        for join in buckets.into_values() {
            if join.access.is_none() {
                late += 1;
            }
            emit(storage::public_access(
                &join.subject,
                join.access.as_ref(),
                join.iam.as_deref(),
            ))?;
        }
        for record in &sinks {
            let bucket = retention.get(&logging::bucket_key(&record.bucket));
            emit(logging::sink_finding(record, bucket))?;
        }
        for instance in &pending {
            for finding in compute::finish(
                instance,
                compute_projects.get(&instance.project),
                &disks,
                ctx,
            ) {
                emit(finding)?;
            }
        }
        for (number, state) in projects {
            if state.deleted {
                continue;
            }
            if state.subject.is_none() {
                late += 1;
            }
            let subject = state.subject.unwrap_or_else(|| Subject {
                id: Cow::Owned(project_id(&number)),
                native_type: Kind::Project.native_type(""),
                account: Cow::Owned(number.clone()),
                region: Cow::Borrowed("global"),
                name: None,
                labels: Labels::default(),
                observed_at: None,
            });
            if let Some(text) = &state.iam_policy {
                // It parsed when it was read; a failure now would be a bug, not bad input.
                let policy: Policy<'_> = serde_json::from_str(text)
                    .map_err(|e| ScanError::Internal(format!("re-reading an IAM policy: {e}")))?;
                for finding in iam::evaluate_policy(&subject, Kind::Project, &policy) {
                    emit(finding)?;
                }
            } else {
                // No IAM-policy line of its own: who holds which role is not in the export.
                for finding in iam::policy_not_exported(&subject, Kind::Project) {
                    emit(finding)?;
                }
            }
            let levels: Vec<iam::Level<'_>> = state
                .ancestors
                .iter()
                .map(|a| (a.as_str(), hierarchy.get(a)))
                .collect();
            emit(iam::audit_logging(
                &subject,
                state.own_audit.as_ref(),
                &levels,
            ))?;
            if !directory {
                emit(identity::project_fallback(&subject))?;
            }
        }
        Ok(late)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{NOW, asset, line};
    use crate::iam::LogType;
    use crate::time::Timestamp;
    use demarc_sdk::Status;

    fn finish(estate: Estate) -> (Vec<Finding>, u64) {
        let ctx = Context {
            now: Timestamp::parse(NOW).unwrap(),
        };
        let mut out = Vec::new();
        let late = estate
            .finish(&ctx, |f| {
                out.push(f);
                Ok(())
            })
            .unwrap();
        (out, late)
    }

    fn bucket_subject(name: &str) -> Subject<'static> {
        let json = line("storage.googleapis.com/Bucket", name, "{}");
        asset(&json)
            .subject(Kind::Bucket, Labels::default())
            .into_owned()
    }

    #[test]
    fn bucket_lines_join_in_either_order() {
        let mut e = Estate::default();
        let name = "//storage.googleapis.com/a";
        assert!(
            e.bucket_resource(name, bucket_subject(name), BucketAccess::default())
                .is_none()
        );
        let f = e
            .bucket_iam(
                name,
                || unreachable!("the resource line's subject is kept"),
                vec!["roles/storage.objectViewer allUsers".into()],
            )
            .expect("joined");
        assert_eq!(f.status, Status::Fail);
        let other = "//storage.googleapis.com/b";
        assert!(
            e.bucket_iam(other, || bucket_subject(other), vec![])
                .is_none()
        );
        let f = e
            .bucket_resource(other, bucket_subject(other), BucketAccess::default())
            .expect("joined");
        assert_eq!(f.status, Status::Pass);
        assert!(e.buckets.is_empty(), "joined buckets are dropped");
        // A bucket seen only in the IAM export is decided at the end and counted then.
        let lone = "//storage.googleapis.com/c";
        e.bucket_iam(lone, || bucket_subject(lone), vec![]);
        let (out, late) = finish(e);
        assert_eq!(late, 1);
        assert_eq!(
            out.iter()
                .filter(|f| f.check_id == storage::PUBLIC_ACCESS.id)
                .count(),
            1
        );
    }

    #[test]
    fn projects_inherit_audit_configs_and_get_fallbacks() {
        let mut e = Estate::default();
        e.saw_ancestors(["projects/1", "folders/2", "organizations/3"].into_iter());
        e.saw_ancestors(["projects/1"].into_iter());
        e.saw_ancestors(["projects/4", "folders/5"].into_iter());
        e.saw_ancestors(["organizations/3"].into_iter());
        e.project_iam(
            "1",
            AuditCoverage::default(),
            r#"{"bindings":[{"role":"roles/owner","members":["user:a@x.com"]}]}"#,
        );
        e.hierarchy_iam("folders/2", AuditCoverage::default());
        e.hierarchy_iam(
            "organizations/3",
            AuditCoverage {
                types: LogType::ALL.to_vec(),
                exempted: vec![],
            },
        );
        let (out, late) = finish(e);
        assert_eq!(late, 2, "two projects known only from ancestors or IAM");
        let audit: Vec<_> = out
            .iter()
            .filter(|f| f.check_id == iam::AUDIT_LOGGING.id)
            .collect();
        assert_eq!(audit.len(), 2);
        assert_eq!(audit[0].resource.id, project_id("1"));
        assert_eq!(audit[0].status, Status::Pass, "{}", audit[0].message);
        assert_eq!(
            audit[1].status,
            Status::Manual,
            "no IAM policy for project 4"
        );
        let owners: Vec<_> = out
            .iter()
            .filter(|f| f.check_id == iam::PRIMITIVE_ROLE_HUMAN.id)
            .collect();
        assert_eq!(owners.len(), 2);
        assert_eq!(owners[0].status, Status::Fail);
        assert_eq!(
            owners[1].status,
            Status::Manual,
            "project 4 has no IAM-policy line: project 1's policy does not decide it"
        );
        assert!(owners[1].message.contains("--content-type=iam-policy"));
        assert_eq!(
            out.iter()
                .filter(|f| f.check_id == identity::TWO_STEP_VERIFICATION.id)
                .count(),
            2
        );
    }

    #[test]
    fn log_sinks_join_their_bucket_by_name_whenever_it_is_read() {
        let sink = |destination: &str| {
            let json = format!(
                r#"{{"name":"//logging.googleapis.com/projects/1/sinks/s","asset_type":"logging.googleapis.com/LogSink","resource":{{"data":{{"name":"s","destination":"{destination}"}},"location":"global"}},"ancestors":["projects/1"]}}"#
            );
            logging::sink(&asset(&json)).unwrap().unwrap_err()
        };
        let mut e = Estate::default();
        e.log_sink(sink("storage.googleapis.com/Audit-Archive"));
        e.log_sink(sink("storage.googleapis.com/elsewhere"));
        // The bucket is read after the sink (and named in another case).
        e.bucket_retention(
            "audit-archive",
            BucketRetention {
                period: Some(400 * 86_400),
                locked: Some(true),
            },
        );
        let (out, late) = finish(e);
        assert_eq!(late, 0, "sinks are counted when their line is read");
        let sinks: Vec<Status> = out
            .iter()
            .filter(|f| f.check_id == logging::SINK_BUCKET_LOCKED.id)
            .map(|f| f.status)
            .collect();
        assert_eq!(sinks, vec![Status::Pass, Status::Manual]);
    }

    #[test]
    fn deleted_projects_and_directory_targets() {
        let mut e = Estate::default();
        e.saw_ancestors(["projects/1"].into_iter());
        let json = line(
            "cloudresourcemanager.googleapis.com/Project",
            "//cloudresourcemanager.googleapis.com/projects/1",
            "{}",
        );
        let s = asset(&json)
            .subject(Kind::Project, Labels::default())
            .into_owned();
        e.project_resource("1", s, true);
        e.saw_ancestors(["projects/2"].into_iter());
        e.directory_read();
        let (out, _) = finish(e);
        assert!(out.iter().all(|f| f.resource.id != project_id("1")));
        let checks: Vec<&str> = out.iter().map(|f| f.check_id.as_str()).collect();
        assert_eq!(
            checks,
            vec![
                iam::PRIMITIVE_ROLE_HUMAN.id,
                iam::SERVICE_ACCOUNT_ADMIN.id,
                iam::PUBLIC_PRINCIPAL.id,
                iam::AUDIT_LOGGING.id
            ],
            "project 2: its IAM checks and audit logging, manual; no 2SV fallback"
        );
        assert!(out.iter().all(|f| f.status == Status::Manual));
    }
}
