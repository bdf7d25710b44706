//! The engine as the admin API sees it ([`CwmpAdmin`]): registry reads and writes on the
//! blocking pool, and the device actors told when a change concerns them.
//!
//! A device actor keeps its own copy of the CPE's registry record (connection request URL and
//! login included) so that it never reads the database on its hot path; after an operator
//! changes a login, the actor is told to read the record again, so the very next connection
//! request uses it rather than the one after the CPE's next Inform.

use super::{DeviceEvent, Engine};
use crate::admin::cwmp::{AdminFuture, CwmpAdmin, CwmpAdminError, CwmpDevice, Login, LoginName};
use crate::cwmp::registry::{Credentials, DeviceRecord, Registry, RegistryError};
use crate::usp::EndpointId;

impl Engine {
    /// Gives the CPE its own ACS login (`None`: back to the shared one). The ACS front reads
    /// logins from the registry on every authentication, so this applies to the next session.
    pub async fn set_acs_credentials(&self, eid: &str, credentials: Option<Credentials>) -> Result<(), RegistryError> {
        let key = eid.to_owned();
        self.blocking(move |registry| registry.set_acs_credentials(&key, credentials)).await?;
        self.record_changed(eid).await;
        Ok(())
    }

    /// Sets the login the CPE's connection requests answer its challenge with (`None`: the
    /// `[cwmp.connection_request]` defaults); its actor uses it from the next request on.
    pub async fn set_connection_request_credentials(
        &self,
        eid: &str,
        credentials: Option<Credentials>,
    ) -> Result<(), RegistryError> {
        let key = eid.to_owned();
        self.blocking(move |registry| registry.set_connection_request_credentials(&key, credentials)).await?;
        self.record_changed(eid).await;
        Ok(())
    }

    /// Tells the CPE's actor, if it runs, to read its record again. After the write has
    /// committed, so the actor cannot read the old one; when two changes race, each is
    /// followed by a reload, and the last reload reads the last write.
    async fn record_changed(&self, eid: &str) {
        let Ok(eid) = EndpointId::new(eid) else { return };
        let events = self.0.devices.get(&eid).map(|e| e.clone());
        if let Some(events) = events {
            let _ = events.send(DeviceEvent::RecordChanged).await;
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Registry) -> Result<T, RegistryError> + Send + 'static,
    ) -> Result<T, RegistryError> {
        let registry = self.0.registry.clone();
        tokio::task::spawn_blocking(move || call(&registry))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }
}

impl CwmpAdmin for Engine {
    fn devices(&self) -> AdminFuture<'_, Result<Vec<CwmpDevice>, CwmpAdminError>> {
        Box::pin(async move {
            let records = self.blocking(Registry::devices).await.map_err(admin_error)?;
            Ok(records.iter().map(shown).collect())
        })
    }

    fn device(&self, eid: String) -> AdminFuture<'_, Result<CwmpDevice, CwmpAdminError>> {
        Box::pin(async move {
            let key = eid.clone();
            let record = self.blocking(move |registry| registry.device(&key)).await.map_err(admin_error)?;
            record.as_ref().map(shown).ok_or(CwmpAdminError::UnknownDevice(eid))
        })
    }

    fn set_acs_login(&self, eid: String, login: Option<Login>) -> AdminFuture<'_, Result<(), CwmpAdminError>> {
        Box::pin(async move { self.set_acs_credentials(&eid, login.map(credentials)).await.map_err(admin_error) })
    }

    fn set_connection_request_login(
        &self,
        eid: String,
        login: Option<Login>,
    ) -> AdminFuture<'_, Result<(), CwmpAdminError>> {
        Box::pin(async move {
            self.set_connection_request_credentials(&eid, login.map(credentials)).await.map_err(admin_error)
        })
    }

    fn forget(&self, eid: String) -> AdminFuture<'_, Result<(), CwmpAdminError>> {
        Box::pin(async move {
            // Not a valid endpoint ID: no device can have it.
            let Ok(endpoint) = EndpointId::new(&eid) else { return Err(CwmpAdminError::UnknownDevice(eid)) };
            match Engine::forget(self, &endpoint).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(CwmpAdminError::UnknownDevice(eid)),
                Err(e) => Err(admin_error(e)),
            }
        })
    }
}

fn credentials(login: Login) -> Credentials {
    Credentials::new(login.username, login.password)
}

fn admin_error(error: RegistryError) -> CwmpAdminError {
    match error {
        RegistryError::UnknownDevice(eid) => CwmpAdminError::UnknownDevice(eid),
        RegistryError::UsernameTaken { username, owner } => CwmpAdminError::UsernameTaken { username, owner },
        other => CwmpAdminError::Registry(other.to_string()),
    }
}

/// The record without its passwords.
fn shown(record: &DeviceRecord) -> CwmpDevice {
    let name = |c: &Option<Credentials>| c.as_ref().map(|c| LoginName { username: c.username.clone() });
    CwmpDevice {
        endpoint_id: record.endpoint_id.clone(),
        manufacturer: record.identity.manufacturer.clone(),
        oui: record.identity.oui.clone(),
        product_class: record.identity.product_class.clone(),
        serial_number: record.identity.serial_number.clone(),
        connection_request_url: record.connection_request_url.clone(),
        registered_at: record.registered_at,
        last_inform_at: record.last_inform_at,
        last_events: record.last_events.iter().map(|e| e.code.clone()).collect(),
        acs_login: name(&record.acs_credentials),
        connection_request_login: name(&record.connection_request_credentials),
    }
}
