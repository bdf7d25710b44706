//! CWMP fault codes, and the one place where a CWMP fault becomes a USP error code.
//!
//! A CPE reports failures as numeric CWMP faults (9000–9899); the ACS reports its own as
//! 8000–8899. USP Controllers expect TR-369 error codes (7000–7999), so every translation goes
//! through [`FaultCode::usp_error`], a single `match` written once. No standard defines this
//! mapping: the table follows `cwmp.md` §9.5 (with the corrections listed on that function).

use std::fmt;

/// A CWMP fault code as carried in `FaultCode` elements. Kept as a number (not an enum) because
/// CPE send extension (9033–9799) and vendor (9800–9899) codes the ACS must pass on unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FaultCode(pub u32);

impl FaultCode {
    /// 0 in a `FaultStruct`: the transfer succeeded.
    pub const NO_FAULT: Self = Self(0);

    // ACS faults, sent by the ACS in answer to a CPE request.
    pub const ACS_METHOD_NOT_SUPPORTED: Self = Self(8000);
    pub const ACS_REQUEST_DENIED: Self = Self(8001);
    pub const ACS_INTERNAL_ERROR: Self = Self(8002);
    pub const ACS_INVALID_ARGUMENTS: Self = Self(8003);
    pub const ACS_RESOURCES_EXCEEDED: Self = Self(8004);
    pub const ACS_RETRY_REQUEST: Self = Self(8005);
    /// CWMP 1.4 (Amendment 5) version negotiation failure.
    pub const ACS_VERSION_INCOMPATIBLE: Self = Self(8006);

    // CPE faults, sent by a CPE in answer to an ACS request.
    pub const METHOD_NOT_SUPPORTED: Self = Self(9000);
    pub const REQUEST_DENIED: Self = Self(9001);
    pub const INTERNAL_ERROR: Self = Self(9002);
    pub const INVALID_ARGUMENTS: Self = Self(9003);
    pub const RESOURCES_EXCEEDED: Self = Self(9004);
    pub const INVALID_PARAMETER_NAME: Self = Self(9005);
    pub const INVALID_PARAMETER_TYPE: Self = Self(9006);
    pub const INVALID_PARAMETER_VALUE: Self = Self(9007);
    pub const NON_WRITABLE_PARAMETER: Self = Self(9008);
    pub const NOTIFICATION_REJECTED: Self = Self(9009);
    pub const FILE_TRANSFER_FAILURE: Self = Self(9010);
    pub const UPLOAD_FAILURE: Self = Self(9011);
    pub const TRANSFER_SERVER_AUTH_FAILURE: Self = Self(9012);
    pub const UNSUPPORTED_TRANSFER_PROTOCOL: Self = Self(9013);
    pub const MULTICAST_JOIN_FAILURE: Self = Self(9014);
    pub const FILE_SERVER_UNREACHABLE: Self = Self(9015);
    pub const FILE_ACCESS_FAILURE: Self = Self(9016);
    pub const DOWNLOAD_INCOMPLETE: Self = Self(9017);
    pub const FILE_CORRUPTED: Self = Self(9018);
    pub const FILE_AUTHENTICATION_FAILURE: Self = Self(9019);
    pub const TIME_WINDOW_MISSED: Self = Self(9020);
    pub const CANCEL_NOT_PERMITTED: Self = Self(9021);
    pub const INVALID_UUID: Self = Self(9022);
    pub const UNKNOWN_EXECUTION_ENVIRONMENT: Self = Self(9023);
    pub const DISABLED_EXECUTION_ENVIRONMENT: Self = Self(9024);
    pub const DU_EE_MISMATCH: Self = Self(9025);
    pub const DUPLICATE_DU: Self = Self(9026);
    pub const SYSTEM_RESOURCES_EXCEEDED: Self = Self(9027);
    pub const UNKNOWN_DU: Self = Self(9028);
    pub const INVALID_DU_STATE: Self = Self(9029);
    pub const DU_DOWNGRADE_NOT_PERMITTED: Self = Self(9030);
    pub const DU_VERSION_NOT_SPECIFIED: Self = Self(9031);
    pub const DU_VERSION_EXISTS: Self = Self(9032);

    /// Who defined the code: the ranges of TR-069 §A.5 (cwmp-1-2.xsd fault code types).
    pub const fn origin(self) -> FaultOrigin {
        match self.0 {
            8000..=8799 => FaultOrigin::Acs,
            8800..=8899 => FaultOrigin::AcsVendor,
            9000..=9799 => FaultOrigin::Cpe,
            9800..=9899 => FaultOrigin::CpeVendor,
            _ => FaultOrigin::Invalid,
        }
    }

    /// The standard fault text, used as `FaultString` when the ACS raises a fault itself.
    pub const fn description(self) -> Option<&'static str> {
        Some(match self.0 {
            8000 | 9000 => "Method not supported",
            8001 | 9001 => "Request denied (no reason specified)",
            8002 | 9002 => "Internal error",
            8003 | 9003 => "Invalid arguments",
            8004 | 9004 => "Resources exceeded",
            8005 => "Retry request",
            8006 => "ACS version incompatible with CPE",
            9005 => "Invalid parameter name",
            9006 => "Invalid parameter type",
            9007 => "Invalid parameter value",
            9008 => "Attempt to set a non-writable parameter",
            9009 => "Notification request rejected",
            9010 => "File transfer failure",
            9011 => "Upload failure",
            9012 => "File transfer server authentication failure",
            9013 => "Unsupported protocol for file transfer",
            9014 => "File transfer failure: unable to join multicast group",
            9015 => "File transfer failure: unable to contact file server",
            9016 => "File transfer failure: unable to access file",
            9017 => "File transfer failure: unable to complete download",
            9018 => "File transfer failure: file corrupted",
            9019 => "File transfer failure: file authentication failure",
            9020 => {
                "File transfer failure: unable to complete download within specified time windows"
            }
            9021 => "Cancelation of file transfer not permitted in current transfer state",
            9022 => "Invalid UUID Format",
            9023 => "Unknown Execution Environment",
            9024 => "Disabled Execution Environment",
            9025 => "Deployment Unit to Execution Environment Mismatch",
            9026 => "Duplicate Deployment Unit",
            9027 => "System Resources Exceeded",
            9028 => "Unknown Deployment Unit",
            9029 => "Invalid Deployment Unit State",
            9030 => "Invalid Deployment Unit Update - Downgrade not permitted",
            9031 => "Invalid Deployment Unit Update - Version not specified",
            9032 => "Invalid Deployment Unit Update - Version already exists",
            _ => return None,
        })
    }

    /// The SOAP `faultcode` to send with this fault: `Client` when the requester sent something
    /// wrong, `Server` otherwise. Receivers may ignore it (TR-069 §A.5); the split follows
    /// easycwmp's, which real ACSes have accepted for years.
    pub const fn soap_fault_code(self) -> SoapFaultCode {
        match self.0 {
            8000 | 8003 | 9000 | 9003 | 9005..=9008 => SoapFaultCode::Client,
            _ => SoapFaultCode::Server,
        }
    }

    /// Translates a CPE fault into the TR-369 error code the adapter reports to a Controller.
    ///
    /// `context` says what the failed CWMP RPC was doing for the USP request, because CWMP's
    /// 9005 "Invalid parameter name" covers what USP splits into three codes.
    ///
    /// Deviations from the `cwmp.md` §9.5 proposal, on purpose:
    /// - 9003 in a command context becomes 7027 "Invalid Command Arguments" (TR-369 1.2+), the
    ///   code USP defines for exactly that case; elsewhere 7004 as proposed.
    /// - 9000 in a command context becomes 7022 "Command failure": the USP Operate message was
    ///   understood, it is the CPE that cannot run it, which 7001 would misstate.
    /// - 9022, 9024, 9028 and 9030–9032 have no verified TR-369 twin (the proposal's "72xx by
    ///   analogy" is unconfirmed), so they become 7022 and the CWMP code travels in `err_msg`.
    /// - 9001 stays 7002 "Request denied (no reason specified)" (identical name), not 7006
    ///   "Permission denied", which TR-369 reserves for the Controller's own permissions.
    pub const fn usp_error(self, context: UspErrorContext) -> UspErrorCode {
        use UspErrorContext as Ctx;
        UspErrorCode(match (self.0, context) {
            (9000, Ctx::Command) => 7022,
            (9000, _) => 7001,
            (9001, _) => 7002,
            (9002, _) => 7003,
            (9003, Ctx::Command) => 7027,
            (9003, _) => 7004,
            (9004, _) => 7005,
            (9005, Ctx::Parameter) => 7010,
            (9005, Ctx::Object) => 7016,
            (9005, Ctx::Path | Ctx::Command) => 7026,
            (9006, _) => 7011,
            (9007, _) => 7012,
            (9008, _) => 7013,
            (9009, _) => 7002,
            (9010..=9020, _) => 7022,
            (9021, _) => 7002,
            (9023, _) => 7223,
            (9025, _) => 7225,
            (9026, _) => 7226,
            (9027, _) => 7227,
            (9029, _) => 7229,
            (9022 | 9024 | 9028 | 9030..=9032, _) => 7022,
            (9033..=9799, Ctx::Command) => 7022,
            (9033..=9799, _) => 7000,
            // Vendor faults keep their offset in the USP vendor range (7800–7999).
            (code @ 9800..=9899, _) => code - 2000,
            // An ACS-range or out-of-range code from a CPE is a CPE bug, not the request's fault.
            _ => 7003,
        })
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.description() {
            Some(text) => write!(f, "{} {}", self.0, text),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Which party's range a [`FaultCode`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultOrigin {
    Acs,
    AcsVendor,
    Cpe,
    CpeVendor,
    /// Outside every CWMP range (0 = "no fault" in a `FaultStruct` lands here too).
    Invalid,
}

/// The SOAP 1.1 `faultcode` of a CWMP fault. CWMP writes it unqualified (`Client`), as in the
/// examples of TR-069 Annex A; a parser accepts any prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoapFaultCode {
    Client,
    Server,
    /// Anything else a CPE sent, kept as written (without its prefix).
    Other(String),
}

impl SoapFaultCode {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Client => "Client",
            Self::Server => "Server",
            Self::Other(other) => other,
        }
    }

    /// Reads a `faultcode` value, dropping any namespace prefix (`SOAP-ENV:Client` → Client).
    pub fn parse(text: &str) -> Self {
        let local = text.trim().rsplit(':').next().unwrap_or_default();
        match local {
            "Client" => Self::Client,
            "Server" => Self::Server,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// What the CWMP RPC that failed was doing for the USP request being translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UspErrorContext {
    /// A path to read or list: Get, GetInstances, GetSupportedDM, or a whole-message error.
    Path,
    /// One parameter of a Set or Add (`param_errs`).
    Parameter,
    /// An object or instance path: Delete, or the `obj_path` of a Set/Add.
    Object,
    /// An Operate command carried out by Reboot, FactoryReset, Download, Upload or diagnostics.
    Command,
}

/// A TR-369 error code. Only the codes the CWMP mapping produces have names here; the USP codec
/// elsewhere in usphub owns the full list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UspErrorCode(pub u32);

impl UspErrorCode {
    pub const MESSAGE_FAILED: Self = Self(7000);
    pub const MESSAGE_NOT_SUPPORTED: Self = Self(7001);
    pub const REQUEST_DENIED: Self = Self(7002);
    pub const INTERNAL_ERROR: Self = Self(7003);
    pub const INVALID_ARGUMENTS: Self = Self(7004);
    pub const RESOURCES_EXCEEDED: Self = Self(7005);
    pub const UNSUPPORTED_PARAMETER: Self = Self(7010);
    pub const INVALID_TYPE: Self = Self(7011);
    pub const INVALID_VALUE: Self = Self(7012);
    pub const PARAM_READ_ONLY: Self = Self(7013);
    pub const OBJECT_DOES_NOT_EXIST: Self = Self(7016);
    pub const COMMAND_FAILURE: Self = Self(7022);
    pub const INVALID_PATH: Self = Self(7026);
    pub const INVALID_COMMAND_ARGUMENTS: Self = Self(7027);
}

#[cfg(test)]
mod tests {
    use super::*;
    use UspErrorContext::*;

    #[test]
    fn generic_faults_keep_their_twin() {
        let cases = [(9001, 7002), (9002, 7003), (9003, 7004), (9004, 7005)];
        for (cwmp, usp) in cases {
            assert_eq!(FaultCode(cwmp).usp_error(Path), UspErrorCode(usp), "{cwmp}");
        }
    }

    #[test]
    fn invalid_parameter_name_depends_on_context() {
        let code = FaultCode::INVALID_PARAMETER_NAME;
        assert_eq!(code.usp_error(Path), UspErrorCode::INVALID_PATH);
        assert_eq!(
            code.usp_error(Parameter),
            UspErrorCode::UNSUPPORTED_PARAMETER
        );
        assert_eq!(code.usp_error(Object), UspErrorCode::OBJECT_DOES_NOT_EXIST);
    }

    #[test]
    fn parameter_faults_map_to_param_errors() {
        assert_eq!(
            FaultCode(9006).usp_error(Parameter),
            UspErrorCode::INVALID_TYPE
        );
        assert_eq!(
            FaultCode(9007).usp_error(Parameter),
            UspErrorCode::INVALID_VALUE
        );
        assert_eq!(
            FaultCode(9008).usp_error(Parameter),
            UspErrorCode::PARAM_READ_ONLY
        );
    }

    #[test]
    fn transfer_and_command_faults_are_command_failures() {
        for code in 9010..=9020 {
            assert_eq!(
                FaultCode(code).usp_error(Command),
                UspErrorCode::COMMAND_FAILURE
            );
        }
        assert_eq!(
            FaultCode(9003).usp_error(Command),
            UspErrorCode::INVALID_COMMAND_ARGUMENTS
        );
        assert_eq!(
            FaultCode(9000).usp_error(Command),
            UspErrorCode::COMMAND_FAILURE
        );
        assert_eq!(
            FaultCode(9000).usp_error(Path),
            UspErrorCode::MESSAGE_NOT_SUPPORTED
        );
    }

    #[test]
    fn vendor_and_out_of_range_codes() {
        assert_eq!(FaultCode(9800).usp_error(Path), UspErrorCode(7800));
        assert_eq!(FaultCode(9899).usp_error(Path), UspErrorCode(7899));
        assert_eq!(
            FaultCode(8002).usp_error(Path),
            UspErrorCode::INTERNAL_ERROR
        );
        assert_eq!(FaultCode(42).usp_error(Path), UspErrorCode::INTERNAL_ERROR);
        assert_eq!(
            FaultCode(9500).usp_error(Path),
            UspErrorCode::MESSAGE_FAILED
        );
    }

    #[test]
    fn every_mapped_code_is_a_usp_code() {
        for cwmp in (0..10_000).map(FaultCode) {
            for ctx in [Path, Parameter, Object, Command] {
                let usp = cwmp.usp_error(ctx).0;
                assert!((7000..=7999).contains(&usp), "{cwmp:?} {ctx:?} -> {usp}");
            }
        }
    }

    #[test]
    fn descriptions_and_origins() {
        assert_eq!(FaultCode(8000).to_string(), "8000 Method not supported");
        assert_eq!(FaultCode(9005).origin(), FaultOrigin::Cpe);
        assert_eq!(FaultCode(9850).origin(), FaultOrigin::CpeVendor);
        assert_eq!(FaultCode(8005).origin(), FaultOrigin::Acs);
        assert_eq!(FaultCode(0).origin(), FaultOrigin::Invalid);
        for code in (8000..=8006).chain(9000..=9032) {
            assert!(FaultCode(code).description().is_some(), "{code}");
        }
    }

    #[test]
    fn soap_fault_code_parsing_drops_prefixes() {
        assert_eq!(
            SoapFaultCode::parse("SOAP-ENV:Client"),
            SoapFaultCode::Client
        );
        assert_eq!(SoapFaultCode::parse(" Server "), SoapFaultCode::Server);
        assert_eq!(
            SoapFaultCode::parse("x:Odd"),
            SoapFaultCode::Other("Odd".into())
        );
        assert_eq!(FaultCode(9005).soap_fault_code(), SoapFaultCode::Client);
        assert_eq!(FaultCode(9002).soap_fault_code(), SoapFaultCode::Server);
    }
}
