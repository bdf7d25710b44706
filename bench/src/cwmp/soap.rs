//! The SOAP a load CPE sends and reads: an Inform for a device and its events, and the name
//! of the method (or Fault) an ACS answer carries.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// The CWMP namespace the simulated CPE speak (the one most CPE in the field use).
const CWMP_NS: &str = "urn:dslforum-org:cwmp-1-2";
/// Every simulated device's OUI, manufacturer and product class.
pub const OUI: &str = "0B3E7C";
const MANUFACTURER: &str = "usphub-bench";
const PRODUCT_CLASS: &str = "BenchCPE";

/// Why a session was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Events {
    /// The first contact: `0 BOOTSTRAP` and `1 BOOT`.
    Bootstrap,
    /// A periodic check-in: `2 PERIODIC`.
    Periodic,
}

impl Events {
    fn codes(self) -> &'static [&'static str] {
        match self {
            Self::Bootstrap => &["0 BOOTSTRAP", "1 BOOT"],
            Self::Periodic => &["2 PERIODIC"],
        }
    }
}

/// Device `index`'s serial number, unique per device and stable across runs.
pub fn serial(index: usize) -> String {
    format!("BENCH{index:08}")
}

/// The Inform of device `index`, with cwmp:ID `id`.
pub fn inform(index: usize, events: Events, id: u64, now: SystemTime) -> String {
    let serial = serial(index);
    let codes = events.codes();
    let mut out = String::with_capacity(2048);
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="{CWMP_NS}">
<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">{id}</cwmp:ID></soap-env:Header>
<soap-env:Body><cwmp:Inform>
<DeviceId><Manufacturer>{MANUFACTURER}</Manufacturer><OUI>{OUI}</OUI><ProductClass>{PRODUCT_CLASS}</ProductClass><SerialNumber>{serial}</SerialNumber></DeviceId>
<Event soap-enc:arrayType="cwmp:EventStruct[{}]">"#,
        codes.len()
    );
    for code in codes {
        let _ = write!(out, "<EventStruct><EventCode>{code}</EventCode><CommandKey></CommandKey></EventStruct>");
    }
    let ip = format!("10.{}.{}.{}", (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff);
    let params = [
        ("Device.DeviceInfo.HardwareVersion", "xsd:string", "HW-1.0"),
        ("Device.DeviceInfo.SoftwareVersion", "xsd:string", "1.0.0-bench"),
        ("Device.DeviceInfo.ProvisioningCode", "xsd:string", ""),
        ("Device.ManagementServer.ConnectionRequestURL", "xsd:string", &format!("http://127.0.0.1:7548/cr/{serial}")),
        ("Device.ManagementServer.ParameterKey", "xsd:string", ""),
        ("Device.IP.Interface.1.IPv4Address.1.IPAddress", "xsd:string", &ip),
    ];
    let _ = write!(
        out,
        "</Event>\n<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>{}</CurrentTime><RetryCount>0</RetryCount>\n<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[{}]\">",
        iso8601(now),
        params.len()
    );
    for (name, ty, value) in params {
        let _ = write!(
            out,
            "<ParameterValueStruct><Name>{name}</Name><Value xsi:type=\"{ty}\">{value}</Value></ParameterValueStruct>"
        );
    }
    out.push_str("</ParameterList>\n</cwmp:Inform></soap-env:Body></soap-env:Envelope>\n");
    out
}

/// What an ACS answer body holds: the local name of the first element in the SOAP Body
/// (`InformResponse`, `Fault`, or an ACS request such as `GetParameterValues`).
pub fn body_method(xml: &str) -> Option<&str> {
    let mut rest = xml;
    let mut in_body = false;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        if rest.starts_with('?') || rest.starts_with('!') || rest.starts_with('/') {
            continue;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        let local = rest[..end].rsplit(':').next().unwrap_or_default();
        if in_body {
            return Some(local);
        }
        in_body = local == "Body";
    }
    None
}

/// The text of the first `<FaultCode>` in a Fault, if any.
pub fn fault_code(xml: &str) -> Option<&str> {
    let start = xml.find("FaultCode>")? + "FaultCode>".len();
    let len = xml[start..].find('<')?;
    Some(xml[start..start + len].trim())
}

/// `2026-11-25T13:50:08Z` for `at` (UTC, whole seconds).
pub fn iso8601(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn informs_name_the_device_and_events() {
        let at = UNIX_EPOCH + Duration::from_secs(1_764_078_608);
        let boot = inform(7, Events::Bootstrap, 42, at);
        assert!(boot.contains("<SerialNumber>BENCH00000007</SerialNumber>"));
        assert!(boot.contains(r#"arrayType="cwmp:EventStruct[2]""#));
        assert!(boot.contains("<EventCode>0 BOOTSTRAP</EventCode>") && boot.contains("<EventCode>1 BOOT</EventCode>"));
        assert!(boot.contains(r#"mustUnderstand="1">42</cwmp:ID>"#));
        assert!(boot.contains("<CurrentTime>2025-11-25T13:50:08Z</CurrentTime>"));
        assert!(boot.contains("http://127.0.0.1:7548/cr/BENCH00000007"));
        assert_eq!(body_method(&boot), Some("Inform"));
        let periodic = inform(70_000, Events::Periodic, 1, at);
        assert!(periodic.contains("<EventCode>2 PERIODIC</EventCode>") && !periodic.contains("BOOT"));
        assert!(periodic.contains("<Value xsi:type=\"xsd:string\">10.1.17.112</Value>"));
        assert_eq!(periodic.matches("<ParameterValueStruct>").count(), 6);
    }

    #[test]
    fn answers_are_recognised_whatever_the_prefix() {
        let response = r#"<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="x"><soapenv:Header><cwmp:ID>1</cwmp:ID></soapenv:Header><soapenv:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse></soapenv:Body></soapenv:Envelope>"#;
        assert_eq!(body_method(response), Some("InformResponse"));
        let request = "<E><Body>\n  <c:GetParameterValues><ParameterNames/></c:GetParameterValues></Body></E>";
        assert_eq!(body_method(request), Some("GetParameterValues"));
        let fault = "<s:Envelope><s:Body><s:Fault><faultcode>Client</faultcode><detail><cwmp:Fault><FaultCode>8003</FaultCode></cwmp:Fault></detail></s:Fault></s:Body></s:Envelope>";
        assert_eq!((body_method(fault), fault_code(fault)), (Some("Fault"), Some("8003")));
        assert_eq!(body_method("<Envelope><Body/></Envelope>"), None);
        assert_eq!(body_method("not xml"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(UNIX_EPOCH + Duration::from_secs(4_102_444_799)), "2099-12-31T23:59:59Z");
    }
}
