//! The USP endpoint ID a CPE is known by: `os::<OUI>-<SerialNumber>` or
//! `ops::<OUI>-<ProductClass>-<SerialNumber>` (TR-369 §Endpoint Identifier, the schemes made for
//! exactly the identity a TR-069 DeviceIdStruct carries).
//!
//! R-ARC.5 allows `A–Z a–z 0–9 - . _` and `%HH` in the instance-id; TR-069 serial numbers may
//! hold anything, so every other byte of the UTF-8 text is percent-encoded. In `ops`, a `-`
//! inside the ProductClass is encoded too (`%2D`): otherwise `OUI-Product-Class-Serial` could
//! not be split back. IDs longer than R-ARC.6's 50 characters are kept whole (the hub accepts
//! 256 bytes): cutting them would let two CPE collide.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::config::EndpointScheme;
use crate::cwmp::rpc::DeviceId;
use crate::usp::{EndpointId, EndpointIdError};

/// Bytes kept as they are: R-ARC.5's unreserved set.
const INSTANCE_ID: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_');
/// Inside an `ops` ProductClass, `-` separates fields, so it is encoded too.
const PRODUCT_CLASS: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'_');

/// The endpoint ID of the CPE with `device_id` under `scheme`.
pub fn endpoint_id(scheme: EndpointScheme, device_id: &DeviceId) -> Result<EndpointId, EndpointIdError> {
    let oui = utf8_percent_encode(&device_id.oui, INSTANCE_ID);
    let serial = utf8_percent_encode(&device_id.serial_number, INSTANCE_ID);
    let text = match scheme {
        EndpointScheme::Os => format!("os::{oui}-{serial}"),
        EndpointScheme::Ops => {
            let class = utf8_percent_encode(&device_id.product_class, PRODUCT_CLASS);
            format!("ops::{oui}-{class}-{serial}")
        }
    };
    EndpointId::new(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(oui: &str, class: &str, serial: &str) -> DeviceId {
        DeviceId {
            manufacturer: "Acme".into(),
            oui: oui.into(),
            product_class: class.into(),
            serial_number: serial.into(),
        }
    }

    #[test]
    fn os_and_ops_forms() {
        let id = device("00D09E", "AX-3000", "SN-0001");
        assert_eq!(endpoint_id(EndpointScheme::Os, &id).unwrap().as_str(), "os::00D09E-SN-0001");
        assert_eq!(endpoint_id(EndpointScheme::Ops, &id).unwrap().as_str(), "ops::00D09E-AX%2D3000-SN-0001");
    }

    #[test]
    fn characters_outside_r_arc_5_are_percent_encoded() {
        let id = device("00D09E", "Box", "é 1/2:x");
        assert_eq!(endpoint_id(EndpointScheme::Os, &id).unwrap().as_str(), "os::00D09E-%C3%A9%201%2F2%3Ax");
    }

    #[test]
    fn empty_identity_still_makes_a_valid_id() {
        assert_eq!(endpoint_id(EndpointScheme::Os, &device("", "", "")).unwrap().as_str(), "os::-");
    }
}
