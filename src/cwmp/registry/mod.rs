//! The device registry: every CPE the ACS has met, kept across restarts, so that each stays a
//! USP endpoint Controllers can address even while it is not calling in.
//!
//! **Why redb** (and not SQLite through rusqlite): the registry is a handful of keyed lookups,
//! never a query planner's job: a CPE by endpoint ID, a login by user name, the parameters of
//! one CPE by prefix. redb does exactly that with ACID transactions in pure Rust: no C
//! library compiled into the hub, no SQL text to keep in step with Rust types, one file, and
//! MVCC readers that never block the writer. What SQLite would add (ad-hoc SQL from a shell)
//! the admin API can offer instead. redb 2.6 is the line that builds with our MSRV (1.85).
//!
//! Tables:
//! - `devices`: endpoint ID → [`DeviceRecord`] as JSON (small, rewritten on each Inform);
//! - `acs_users`: user name → endpoint ID, for per-device ACS credentials;
//! - `parameters`: (endpoint ID, parameter name) → (xsd type, value): what the CPE reported,
//!   for the translator's `DeviceModel`; one row per parameter so an Inform rewrites only what
//!   it carries;
//! - `models`: endpoint ID → the engine's `DeviceModel` of the CPE (parameter types, root), as
//!   JSON written by the engine;
//! - `subscriptions`: endpoint ID → the translator's subscription table, an opaque blob;
//! - `operations`: endpoint ID → the engine's Downloads awaiting their TransferComplete (with
//!   the Controller that asked), an opaque blob, so a restart between Download and
//!   TransferComplete still completes the operation.
//!
//! All calls block on file I/O: async callers run them on the blocking pool.

mod device;
mod endpoint;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use redb::{Database, Durability, ReadableTable, TableDefinition};

pub use device::{Credentials, DeviceRecord, Event, Identity};
pub use endpoint::endpoint_id;

use crate::cwmp::rpc::{Inform, ParameterValueStruct, XsdType};

const DEVICES: TableDefinition<&str, &[u8]> = TableDefinition::new("devices");
const ACS_USERS: TableDefinition<&str, &str> = TableDefinition::new("acs_users");
const PARAMETERS: TableDefinition<(&str, &str), (&str, &str)> = TableDefinition::new("parameters");
const MODELS: TableDefinition<&str, &[u8]> = TableDefinition::new("models");
const SUBSCRIPTIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("subscriptions");
const OPERATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("operations");

/// Why the registry could not answer.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Boxed: redb's error is large, and this one travels through every registry call.
    #[error("device database: {0}")]
    Database(Box<redb::Error>),
    #[error("device database file: {0}")]
    File(#[from] std::io::Error),
    #[error("stored record of {endpoint_id} is unreadable: {source}")]
    Corrupt { endpoint_id: String, source: serde_json::Error },
    #[error("no device {0} in the registry")]
    UnknownDevice(String),
    #[error("user name {username:?} already belongs to {owner}")]
    UsernameTaken { username: String, owner: String },
}

/// redb splits its errors by operation; all of them mean "the database failed".
macro_rules! database_errors {
    ($($error:ty),*) => {$(
        impl From<$error> for RegistryError {
            fn from(error: $error) -> Self {
                Self::Database(Box::new(error.into()))
            }
        }
    )*};
}
database_errors!(redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError);

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// What an Inform changed in the registry.
#[derive(Debug, Clone)]
pub struct InformOutcome {
    /// First contact: the endpoint must be attached to the router.
    pub new_device: bool,
    pub record: DeviceRecord,
    /// The values the Inform's parameters had before it, where known: what tells a change
    /// from a value the CPE repeats in every Inform.
    pub previous_values: HashMap<String, String>,
}

/// A handle to the registry database; cheap to clone.
#[derive(Clone)]
pub struct Registry {
    db: Arc<Database>,
}

impl Registry {
    /// Opens the database at `path`, creating it (owner-only permissions) and its tables.
    pub fn open(path: &Path) -> Result<Self> {
        create_private_file(path)?;
        let db = Database::create(path)?;
        let tx = db.begin_write()?;
        tx.open_table(DEVICES)?;
        tx.open_table(ACS_USERS)?;
        tx.open_table(PARAMETERS)?;
        tx.open_table(MODELS)?;
        tx.open_table(SUBSCRIPTIONS)?;
        tx.open_table(OPERATIONS)?;
        tx.commit()?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Every registered CPE, in endpoint ID order.
    pub fn devices(&self) -> Result<Vec<DeviceRecord>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(DEVICES)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (key, value) = row?;
            out.push(decode(key.value(), value.value())?);
        }
        Ok(out)
    }

    pub fn device(&self, endpoint_id: &str) -> Result<Option<DeviceRecord>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(DEVICES)?;
        let value = table.get(endpoint_id)?;
        value.map(|v| decode(endpoint_id, v.value())).transpose()
    }

    /// Records an Inform: identity, connection request URL, time, events and the parameters it
    /// carried. Durable when it returns if the device is new or its identity or connection
    /// request URL changed, so those survive a crash right after. A routine Inform is not forced
    /// to disk: a crash loses at most its time and values, which the CPE's next Inform brings
    /// again, and an fsync per periodic Inform serialised every CPE session behind the disk.
    pub fn record_inform(&self, endpoint_id: &str, inform: &Inform, now: SystemTime) -> Result<InformOutcome> {
        let mut tx = self.db.begin_write()?;
        let outcome = {
            let mut devices = tx.open_table(DEVICES)?;
            let existing = devices.get(endpoint_id)?.map(|v| decode(endpoint_id, v.value())).transpose()?;
            let new_device = existing.is_none();
            let mut record = existing.unwrap_or_else(|| DeviceRecord {
                endpoint_id: endpoint_id.to_owned(),
                identity: Identity::default(),
                connection_request_url: None,
                connection_request_credentials: None,
                acs_credentials: None,
                registered_at: now,
                last_inform_at: None,
                last_events: Vec::new(),
            });
            let identity = Identity::from(&inform.device_id);
            let mut routine = !new_device && record.identity == identity;
            record.identity = identity;
            if let Some(url) = connection_request_url(inform) {
                let url = (!url.is_empty()).then(|| url.to_owned());
                routine &= record.connection_request_url == url;
                record.connection_request_url = url;
            }
            record.last_inform_at = Some(now);
            record.last_events = inform.events.iter().map(Event::from).collect();
            devices.insert(endpoint_id, encode(&record).as_slice())?;
            let previous_values = write_parameters(&tx, endpoint_id, &inform.parameter_list)?;
            (InformOutcome { new_device, record, previous_values }, routine)
        };
        let (outcome, routine) = outcome;
        if routine {
            tx.set_durability(Durability::Eventual);
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// Remembers parameter values and types a CPE reported (a GetParameterValuesResponse).
    /// Not forced to disk: losing the last few in a crash only costs a re-read.
    pub fn record_parameters(&self, endpoint_id: &str, parameters: &[ParameterValueStruct]) -> Result<()> {
        let mut tx = self.db.begin_write()?;
        tx.set_durability(Durability::Eventual);
        write_parameters(&tx, endpoint_id, parameters)?;
        tx.commit()?;
        Ok(())
    }

    /// The parameters last reported by a CPE, in name order.
    pub fn parameters(&self, endpoint_id: &str) -> Result<Vec<ParameterValueStruct>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(PARAMETERS)?;
        let mut out = Vec::new();
        for row in table.range((endpoint_id, "")..)? {
            let (key, value) = row?;
            let (owner, name) = key.value();
            if owner != endpoint_id {
                break;
            }
            let (xsd_type, value) = value.value();
            out.push(ParameterValueStruct::new(name, value, XsdType::from_local_name(xsd_type)));
        }
        Ok(out)
    }

    /// Gives a CPE its own ACS login; `None` returns it to the shared credentials.
    pub fn set_acs_credentials(&self, endpoint_id: &str, credentials: Option<Credentials>) -> Result<()> {
        let tx = self.db.begin_write()?;
        {
            let mut devices = tx.open_table(DEVICES)?;
            let mut users = tx.open_table(ACS_USERS)?;
            let mut record = devices
                .get(endpoint_id)?
                .map(|v| decode(endpoint_id, v.value()))
                .transpose()?
                .ok_or_else(|| RegistryError::UnknownDevice(endpoint_id.to_owned()))?;
            if let Some(new) = &credentials {
                if let Some(owner) = users.get(new.username.as_str())?.map(|o| o.value().to_owned()) {
                    if owner != endpoint_id {
                        return Err(RegistryError::UsernameTaken { username: new.username.clone(), owner });
                    }
                }
            }
            if let Some(old) = &record.acs_credentials {
                users.remove(old.username.as_str())?;
            }
            if let Some(new) = &credentials {
                users.insert(new.username.as_str(), endpoint_id)?;
            }
            record.acs_credentials = credentials;
            devices.insert(endpoint_id, encode(&record).as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The CPE whose own ACS login has this user name, with its credentials.
    pub fn acs_login(&self, username: &str) -> Result<Option<(String, Credentials)>> {
        let tx = self.db.begin_read()?;
        let Some(owner) = tx.open_table(ACS_USERS)?.get(username)?.map(|o| o.value().to_owned()) else {
            return Ok(None);
        };
        let record = tx.open_table(DEVICES)?.get(owner.as_str())?.map(|v| decode(&owner, v.value())).transpose()?;
        Ok(record.and_then(|r| r.acs_credentials).map(|c| (owner, c)))
    }

    /// Sets the credentials the ACS answers the CPE's connection request challenge with.
    pub fn set_connection_request_credentials(
        &self,
        endpoint_id: &str,
        credentials: Option<Credentials>,
    ) -> Result<()> {
        self.update(endpoint_id, |record| record.connection_request_credentials = credentials)
    }

    /// The translator's subscription table of a CPE, as it last stored it.
    pub fn subscriptions(&self, endpoint_id: &str) -> Result<Option<Vec<u8>>> {
        self.blob(SUBSCRIPTIONS, endpoint_id)
    }

    pub fn set_subscriptions(&self, endpoint_id: &str, blob: &[u8]) -> Result<()> {
        self.set_blob(SUBSCRIPTIONS, endpoint_id, blob, Durability::Immediate)
    }

    /// Removes a CPE and everything kept about it; `false` if it was not registered.
    pub fn delete_device(&self, endpoint_id: &str) -> Result<bool> {
        let tx = self.db.begin_write()?;
        let existed = {
            let mut devices = tx.open_table(DEVICES)?;
            let record = devices.remove(endpoint_id)?.map(|v| decode(endpoint_id, v.value())).transpose()?;
            if let Some(login) = record.as_ref().and_then(|r| r.acs_credentials.as_ref()) {
                tx.open_table(ACS_USERS)?.remove(login.username.as_str())?;
            }
            let mut parameters = tx.open_table(PARAMETERS)?;
            let mut names = Vec::new();
            for row in parameters.range((endpoint_id, "")..)? {
                let (key, _) = row?;
                let (owner, name) = key.value();
                if owner != endpoint_id {
                    break;
                }
                names.push(name.to_owned());
            }
            for name in names {
                parameters.remove((endpoint_id, name.as_str()))?;
            }
            for table in [MODELS, SUBSCRIPTIONS, OPERATIONS] {
                tx.open_table(table)?.remove(endpoint_id)?;
            }
            record.is_some()
        };
        tx.commit()?;
        Ok(existed)
    }

    /// The engine's operations awaiting the CPE's TransferComplete, as it last stored them.
    pub fn operations(&self, endpoint_id: &str) -> Result<Option<Vec<u8>>> {
        self.blob(OPERATIONS, endpoint_id)
    }

    /// Forced to disk: a lost entry means a Controller never hears how its Download ended.
    pub fn set_operations(&self, endpoint_id: &str, blob: &[u8]) -> Result<()> {
        self.set_blob(OPERATIONS, endpoint_id, blob, Durability::Immediate)
    }

    /// The engine's model of a CPE (JSON), as it last stored it.
    pub fn model(&self, endpoint_id: &str) -> Result<Option<Vec<u8>>> {
        self.blob(MODELS, endpoint_id)
    }

    /// Not forced to disk: a model lost in a crash is learnt again from the next answers.
    pub fn set_model(&self, endpoint_id: &str, blob: &[u8]) -> Result<()> {
        self.set_blob(MODELS, endpoint_id, blob, Durability::Eventual)
    }

    fn blob(&self, table: TableDefinition<&str, &[u8]>, endpoint_id: &str) -> Result<Option<Vec<u8>>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(table)?;
        Ok(table.get(endpoint_id)?.map(|v| v.value().to_vec()))
    }

    fn set_blob(
        &self,
        table: TableDefinition<&str, &[u8]>,
        endpoint_id: &str,
        blob: &[u8],
        durability: Durability,
    ) -> Result<()> {
        let mut tx = self.db.begin_write()?;
        tx.set_durability(durability);
        tx.open_table(table)?.insert(endpoint_id, blob)?;
        tx.commit()?;
        Ok(())
    }

    fn update(&self, endpoint_id: &str, change: impl FnOnce(&mut DeviceRecord)) -> Result<()> {
        let tx = self.db.begin_write()?;
        {
            let mut devices = tx.open_table(DEVICES)?;
            let mut record = devices
                .get(endpoint_id)?
                .map(|v| decode(endpoint_id, v.value()))
                .transpose()?
                .ok_or_else(|| RegistryError::UnknownDevice(endpoint_id.to_owned()))?;
            change(&mut record);
            devices.insert(endpoint_id, encode(&record).as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// `ManagementServer.ConnectionRequestURL` from an Inform, in the TR-181 or TR-098 root.
fn connection_request_url(inform: &Inform) -> Option<&str> {
    inform
        .parameter("Device.ManagementServer.ConnectionRequestURL")
        .or_else(|| inform.parameter("InternetGatewayDevice.ManagementServer.ConnectionRequestURL"))
}

/// Stores the values; returns those they replaced.
fn write_parameters(
    tx: &redb::WriteTransaction,
    endpoint_id: &str,
    parameters: &[ParameterValueStruct],
) -> Result<HashMap<String, String>> {
    let mut table = tx.open_table(PARAMETERS)?;
    let mut previous = HashMap::new();
    for p in parameters {
        // A CPE that sent no xsi:type means a string (cwmp.md §7).
        let xsd_type = p.xsd_type.as_ref().map_or("string", XsdType::local_name);
        if let Some(old) = table.insert((endpoint_id, p.name.as_str()), (xsd_type, p.value.as_str()))? {
            previous.insert(p.name.clone(), old.value().1.to_owned());
        }
    }
    Ok(previous)
}

fn encode(record: &DeviceRecord) -> Vec<u8> {
    serde_json::to_vec(record).expect("a DeviceRecord always serialises")
}

fn decode(endpoint_id: &str, bytes: &[u8]) -> Result<DeviceRecord> {
    serde_json::from_slice(bytes)
        .map_err(|source| RegistryError::Corrupt { endpoint_id: endpoint_id.to_owned(), source })
}

/// Creates the file readable by its owner only, before redb opens it: it holds passwords.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
