//! Drafts of open forms, kept on disk as they are typed, so that text survives the process.
//!
//! One file a form: `<state dir>/flowdash/drafts/<account>--<flow id or "new">.json`. The account
//! is the base URL (never the key, nor anything derived from it). Files are written to a temporary
//! name and renamed into place, so a reader sees the previous draft or the new one, never half of
//! one; they are created with mode 0600, as the text may be private.
//!
//! [`Autosave`] follows the open form: the first change not yet on disk arms a one-second timer
//! (not pushed back by further keys, so even SIGKILL loses at most a second of typing); a form
//! that closes (saved, or discarded on purpose) takes its draft with it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::app::form::{FormKind, FormState};
use crate::domain::{Flow, FlowDraft, FlowId, SegmentRef, WaitUnit};

/// How long typed text may wait before it is written.
pub const DEBOUNCE: Duration = Duration::from_secs(1);

/// The draft of one form.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    /// The base URL the flow belongs to.
    pub account: String,
    /// The flow edited, or `None` for a new flow.
    pub flow: Option<FlowId>,
    /// The version of the flow the form was opened on: a restored edit saves against it, so the
    /// usual re-read and conflict check apply.
    pub seen: Option<Flow>,
    /// What the form showed when it opened.
    pub initial: FlowDraft,
    /// What the operator had typed.
    pub current: FlowDraft,
    pub saved_at: Timestamp,
}

impl Draft {
    /// The draft of an open form.
    pub fn of_form(account: &str, form: &FormState, now: Timestamp) -> Draft {
        let (flow, seen) = match &form.kind {
            FormKind::New => (None, None),
            FormKind::Edit { id, seen } => (Some(*id), Some((**seen).clone())),
        };
        Draft {
            account: account.to_owned(),
            flow,
            seen,
            initial: form.initial.clone(),
            current: form.draft(),
            saved_at: now,
        }
    }

    /// `flow 12` or `the new flow`, for the offer.
    pub fn what(&self) -> String {
        match self.flow {
            Some(id) => format!("flow {id}"),
            None => "a new flow".to_owned(),
        }
    }
}

/// The drafts of one account.
#[derive(Clone, Debug)]
pub struct DraftStore {
    dir: PathBuf,
    account: String,
}

impl DraftStore {
    pub fn new(dir: PathBuf, account: &str) -> DraftStore {
        DraftStore {
            dir,
            account: account.to_owned(),
        }
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    /// The file of a form. Every byte of the account but letters, digits, `.` and `-` is
    /// written as `_XX`, so two accounts never share a name and the name stays readable.
    pub fn path(&self, flow: Option<FlowId>) -> PathBuf {
        let mut name = String::new();
        for b in self.account.bytes() {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                name.push(char::from(b));
            } else {
                let _ = write!(name, "_{b:02x}");
            }
        }
        match flow {
            Some(id) => {
                let _ = write!(name, "--{id}.json");
            }
            None => name.push_str("--new.json"),
        }
        self.dir.join(name)
    }

    /// Writes a draft: a temporary file (0600) in the same folder, then a rename over the old one.
    pub fn save(&self, draft: &Draft) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        restrict_dir(&self.dir);
        let path = self.path(draft.flow);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let text = serde_json::to_vec_pretty(&DraftFile::from(draft))?;
        let written = write_private(&tmp, &text).and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    /// Removes the draft of a form; a draft that is not there is not an error.
    pub fn remove(&self, flow: Option<FlowId>) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(flow)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The drafts of this account, oldest first. Unreadable files are left where they are (and
    /// logged): they may be another version's, and deleting them would lose text.
    pub fn load(&self) -> Vec<Draft> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut drafts: Vec<Draft> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter_map(|p| match read_draft(&p) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::warn!(path = %p.display(), error = %e, "draft not readable");
                    None
                }
            })
            .filter(|d| d.account == self.account && self.path(d.flow).exists())
            .collect();
        drafts.sort_by_key(|d| d.saved_at);
        drafts
    }
}

fn read_draft(path: &Path) -> Result<Draft, String> {
    let text = std::fs::read(path).map_err(|e| e.to_string())?;
    let file: DraftFile = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    Draft::try_from(file)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    // On disk before the rename: a crash must leave the old draft or the new one, not an empty
    // file under the draft's name.
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The drafts folder is the operator's alone.
#[cfg(unix)]
fn restrict_dir(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn restrict_dir(_dir: &Path) {}

/// A draft as stored: plain values, so the file reads well and outlives changes of the types.
#[derive(Serialize, Deserialize)]
struct DraftFile {
    account: String,
    flow: Option<u64>,
    seen: Option<SeenFile>,
    initial: FieldsFile,
    current: FieldsFile,
    saved_at: String,
}

#[derive(Serialize, Deserialize)]
struct FieldsFile {
    name: String,
    content: String,
    device_id: Option<u64>,
    sim_subscription_id: Option<u64>,
    wait_time: u32,
    wait_unit: String,
    segment: String,
    enabled: bool,
}

/// The fields of the seen flow the conflict check compares.
#[derive(Serialize, Deserialize)]
struct SeenFile {
    name: String,
    content: Option<String>,
    device_id: Option<u64>,
    sim_subscription_id: Option<u64>,
    segment: Option<String>,
    wait_time: Option<i64>,
    wait_unit: Option<String>,
    enabled: bool,
    last_changed: Option<String>,
    created: Option<String>,
}

impl From<&FlowDraft> for FieldsFile {
    fn from(d: &FlowDraft) -> Self {
        FieldsFile {
            name: d.name.clone(),
            content: d.content.clone(),
            device_id: d.device_id,
            sim_subscription_id: d.sim_subscription_id,
            wait_time: d.wait_time,
            wait_unit: d.wait_unit.as_str().to_owned(),
            segment: d.segment.to_form(),
            enabled: d.enabled,
        }
    }
}

impl FieldsFile {
    fn into_draft(self) -> Result<FlowDraft, String> {
        Ok(FlowDraft {
            name: self.name,
            content: self.content,
            device_id: self.device_id,
            sim_subscription_id: self.sim_subscription_id,
            wait_time: self.wait_time,
            wait_unit: unit(&self.wait_unit)?,
            segment: segment(&self.segment)?,
            enabled: self.enabled,
        })
    }
}

fn unit(s: &str) -> Result<WaitUnit, String> {
    WaitUnit::parse(s).ok_or_else(|| format!("unknown wait unit {s:?}"))
}

fn segment(s: &str) -> Result<SegmentRef, String> {
    SegmentRef::parse(s).ok_or_else(|| format!("unknown segment {s:?}"))
}

fn time(s: Option<&str>) -> Result<Option<Timestamp>, String> {
    s.map(|t| t.parse().map_err(|e| format!("{e}"))).transpose()
}

impl From<&Draft> for DraftFile {
    fn from(d: &Draft) -> Self {
        DraftFile {
            account: d.account.clone(),
            flow: d.flow.map(|id| id.0),
            seen: d.seen.as_ref().map(|f| SeenFile {
                name: f.name.clone(),
                content: f.content.clone(),
                device_id: f.device_id,
                sim_subscription_id: f.sim_subscription_id,
                segment: f.segment.map(SegmentRef::to_form),
                wait_time: f.wait_time,
                wait_unit: f.wait_unit.map(|u| u.as_str().to_owned()),
                enabled: f.enabled,
                last_changed: f.last_changed.map(|t| t.to_string()),
                created: f.created.map(|t| t.to_string()),
            }),
            initial: FieldsFile::from(&d.initial),
            current: FieldsFile::from(&d.current),
            saved_at: d.saved_at.to_string(),
        }
    }
}

impl TryFrom<DraftFile> for Draft {
    type Error = String;

    fn try_from(f: DraftFile) -> Result<Self, Self::Error> {
        let seen = match (f.flow, f.seen) {
            (Some(id), Some(s)) => Some(Flow {
                id: FlowId(id),
                user_id: None,
                name: s.name,
                content: s.content,
                device_id: s.device_id,
                sim_subscription_id: s.sim_subscription_id,
                segment: s.segment.as_deref().map(segment).transpose()?,
                wait_time: s.wait_time,
                wait_unit: s.wait_unit.as_deref().map(unit).transpose()?,
                enabled: s.enabled,
                sent: None,
                pending: None,
                failed: None,
                last_sent: None,
                last_changed: time(s.last_changed.as_deref())?,
                created: time(s.created.as_deref())?,
                blocked: None,
            }),
            (Some(_), None) => return Err("an edit draft without the flow it edits".to_owned()),
            (None, _) => None,
        };
        Ok(Draft {
            account: f.account,
            flow: f.flow.map(FlowId),
            seen,
            initial: f.initial.into_draft()?,
            current: f.current.into_draft()?,
            saved_at: time(Some(&f.saved_at))?.unwrap_or(Timestamp::UNIX_EPOCH),
        })
    }
}

/// Follows the open form and keeps its draft on disk.
#[derive(Debug, Default)]
pub struct Autosave {
    store: Option<DraftStore>,
    /// The form being followed, while one is open.
    open: Option<Followed>,
    /// What is on disk for it.
    written: Option<FlowDraft>,
    /// When the change not yet on disk is written.
    due: Option<Instant>,
}

impl Autosave {
    /// `None` keeps nothing (no state folder, or the embedded demo, whose flows do not outlive
    /// the process).
    pub fn new(store: Option<DraftStore>) -> Autosave {
        Autosave {
            store,
            ..Autosave::default()
        }
    }

    pub fn store(&self) -> Option<&DraftStore> {
        self.store.as_ref()
    }

    /// Looks at the open form (if any) after a change of state; returns when the next write is
    /// due. A form that closed takes its draft with it: in a running dashboard a form closes only
    /// when it was saved, or discarded on purpose.
    pub fn observe(&mut self, form: Option<&FormState>, now: Instant) -> Option<Instant> {
        let store = self.store.as_ref()?;
        let key = form.map(|f| Followed(form_key(f)));
        if self.open != key {
            if let Some(Followed(closed)) = self.open {
                log_failure(store.remove(closed), "remove");
            }
            self.open = key;
            self.written = None;
            self.due = None;
        }
        let form = form?;
        if form.is_changed() {
            if self.written.as_ref() != Some(&form.draft()) && self.due.is_none() {
                self.due = Some(now + DEBOUNCE);
            }
        } else if self.written.take().is_some() {
            // Every change undone: there is nothing left to keep.
            log_failure(store.remove(form_key(form)), "remove");
            self.due = None;
        }
        self.due
    }

    /// Writes the open form's draft now, if it has changes not on disk yet (the timer fired, or
    /// the process is about to end or stop). Returns the error to show when writing failed.
    pub fn write(&mut self, form: Option<&FormState>) -> Option<String> {
        self.due = None;
        let store = self.store.as_ref()?;
        let form = form.filter(|f| f.is_changed())?;
        let current = form.draft();
        if self.written.as_ref() == Some(&current) {
            return None;
        }
        let draft = Draft::of_form(store.account(), form, Timestamp::now());
        match store.save(&draft) {
            Ok(()) => {
                self.written = Some(current);
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "draft not written");
                Some(format!(
                    "the draft of this form could not be kept ({}): {e}",
                    store.path(draft.flow).display()
                ))
            }
        }
    }

    /// Drops a draft the operator chose not to restore.
    pub fn drop_draft(&mut self, flow: Option<FlowId>) {
        if let Some(store) = &self.store {
            log_failure(store.remove(flow), "remove");
        }
    }
}

/// The form followed: the flow it edits, or `None` for a new flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Followed(Option<FlowId>);

fn form_key(form: &FormState) -> Option<FlowId> {
    match &form.kind {
        FormKind::New => None,
        FormKind::Edit { id, .. } => Some(*id),
    }
}

fn log_failure(result: std::io::Result<()>, what: &str) {
    if let Err(e) = result {
        tracing::warn!(error = %e, "draft not {what}d");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit_draft(account: &str, id: u64, name: &str) -> Draft {
        let seen = Flow {
            content: Some("Hello".to_owned()),
            device_id: Some(1),
            sim_subscription_id: Some(11),
            segment: Some(SegmentRef::Saved(3)),
            wait_time: Some(2),
            wait_unit: Some(WaitUnit::Hours),
            last_changed: Some("2026-11-30T10:42:00Z".parse().unwrap()),
            ..Flow::bare(id, "Welcome")
        };
        let initial = seen.to_draft();
        let current = FlowDraft {
            name: name.to_owned(),
            content: "Hello\nsecond line, \"quoted\"".to_owned(),
            ..initial.clone()
        };
        Draft {
            account: account.to_owned(),
            flow: Some(FlowId(id)),
            seen: Some(seen),
            initial,
            current,
            saved_at: "2026-12-01T10:42:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_draft_comes_back_as_it_was_saved() {
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::new(dir.path().join("drafts"), "https://sms.example.com/api");
        let draft = edit_draft(store.account(), 12, "Welcome v2");
        store.save(&draft).unwrap();
        assert_eq!(store.load(), vec![draft]);
    }

    #[test]
    fn drafts_are_keyed_by_account_and_flow() {
        let dir = tempfile::tempdir().unwrap();
        let a = DraftStore::new(dir.path().to_path_buf(), "https://a.example.com/api");
        let b = DraftStore::new(dir.path().to_path_buf(), "https://b.example.com/api");
        a.save(&edit_draft(a.account(), 12, "a 12")).unwrap();
        a.save(&edit_draft(a.account(), 13, "a 13")).unwrap();
        b.save(&edit_draft(b.account(), 12, "b 12")).unwrap();
        let names = |s: &DraftStore| -> Vec<String> {
            s.load().into_iter().map(|d| d.current.name).collect()
        };
        let mut of_a = names(&a);
        of_a.sort();
        assert_eq!(of_a, ["a 12", "a 13"]);
        assert_eq!(names(&b), ["b 12"]);
        // A second save of the same form replaces the first.
        a.save(&edit_draft(a.account(), 12, "a 12 again")).unwrap();
        let mut of_a = names(&a);
        of_a.sort();
        assert_eq!(of_a, ["a 12 again", "a 13"]);
        a.remove(Some(FlowId(12))).unwrap();
        assert_eq!(names(&a), ["a 13"]);
        assert_eq!(names(&b), ["b 12"], "another account's draft stays");
        // Names tell accounts apart even where a plain replacement of symbols would not.
        let c = DraftStore::new(dir.path().to_path_buf(), "https://a.example.com_api");
        assert_ne!(c.path(None), a.path(None));
    }

    #[test]
    fn the_file_names_no_key_and_holds_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::new(dir.path().to_path_buf(), "https://sms.example.com/api");
        store.save(&edit_draft(store.account(), 7, "x")).unwrap();
        let path = store.path(Some(FlowId(7)));
        assert_eq!(
            path.file_name().unwrap().to_str().unwrap(),
            "https_3a_2f_2fsms.example.com_2fapi--7.json"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.to_lowercase().contains("key"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn drafts_are_private_and_replaced_whole() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::new(dir.path().join("drafts"), "https://sms.example.com/api");
        let path = store.path(Some(FlowId(12)));
        // A draft already there is replaced by a rename, not rewritten in place: the old file's
        // inode keeps the old text, and no temporary file is left behind.
        store
            .save(&edit_draft(store.account(), 12, "first"))
            .unwrap();
        let old = std::fs::File::open(&path).unwrap();
        store
            .save(&edit_draft(store.account(), 12, "second"))
            .unwrap();
        let old_text = std::io::read_to_string(old).unwrap();
        assert!(old_text.contains("first"), "{old_text}");
        assert!(std::fs::read_to_string(&path).unwrap().contains("second"));
        let files: Vec<_> = std::fs::read_dir(dir.path().join("drafts"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = std::fs::metadata(dir.path().join("drafts"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn autosave_writes_a_second_after_the_first_change_and_drops_on_close() {
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::new(dir.path().to_path_buf(), "http://127.0.0.1:1/api");
        let mut auto = Autosave::new(Some(store.clone()));
        let t0 = Instant::now();
        let mut form = FormState::new_flow(&[]);
        assert_eq!(auto.observe(Some(&form), t0), None, "nothing typed");
        form.name = tui_input::Input::new("Spring".to_owned());
        let due = auto.observe(Some(&form), t0).unwrap();
        assert_eq!(due, t0 + DEBOUNCE);
        // More typing does not push the write back.
        form.name = tui_input::Input::new("Spring promo".to_owned());
        assert_eq!(auto.observe(Some(&form), t0 + DEBOUNCE / 2), Some(due));
        assert!(store.load().is_empty(), "nothing written before it is due");
        assert_eq!(auto.write(Some(&form)), None);
        assert_eq!(store.load()[0].current.name, "Spring promo");
        assert_eq!(auto.observe(Some(&form), t0 + DEBOUNCE), None);
        // The form closes (saved or discarded): its draft goes.
        auto.observe(None, t0 + DEBOUNCE * 2);
        assert!(store.load().is_empty());
    }
}
