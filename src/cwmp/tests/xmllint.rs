//! Every generated message, in every CWMP namespace, validated by `xmllint --schema` against the
//! schemas in `cwmp-schemas/`. Skipped (with a message, not failed) only when xmllint is not
//! installed: CI installs it (Debian package `libxml2-utils`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::super::soap::{CwmpNamespace, Envelope};
use super::samples::every_message;

const SOAP_ENVELOPE_XSD: &str = include_str!("../../../cwmp-schemas/soap-envelope.xsd");
const SOAP_ENCODING_XSD: &str = include_str!("../../../cwmp-schemas/soap-encoding.xsd");
const CWMP_XSD: &str = include_str!("../../../cwmp-schemas/cwmp-1-2.xsd");

fn xmllint_available() -> bool {
    Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// A fresh directory under the system temp dir, removed on drop unless the test failed.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(label: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path =
            std::env::temp_dir().join(format!("usphub-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Writes the schemas, retargeted at `namespace`, and returns the main schema's path.
fn write_schemas(dir: &Path, namespace: CwmpNamespace) -> PathBuf {
    std::fs::write(dir.join("soap-envelope.xsd"), SOAP_ENVELOPE_XSD).unwrap();
    std::fs::write(dir.join("soap-encoding.xsd"), SOAP_ENCODING_XSD).unwrap();
    let schema = dir.join("cwmp.xsd");
    std::fs::write(
        &schema,
        CWMP_XSD.replace(CwmpNamespace::V1_2.urn(), namespace.urn()),
    )
    .unwrap();
    schema
}

#[test]
fn every_generated_message_validates_against_the_schemas() {
    if !xmllint_available() {
        eprintln!(
            "SKIPPED: xmllint not found; install Debian package libxml2-utils to validate CWMP output"
        );
        return;
    }
    for namespace in CwmpNamespace::ALL {
        let dir = ScratchDir::new("cwmp-xsd");
        let schema = write_schemas(&dir.0, namespace);
        let mut files = Vec::new();
        for (index, (name, body)) in every_message().into_iter().enumerate() {
            let mut envelope = Envelope::request(namespace, format!("usphub-{index}"), body);
            // Exercise every header on some messages.
            envelope.hold_requests = (index % 3 == 0).then_some(index % 2 == 0);
            envelope.session_timeout = (index % 5 == 0).then_some(30);
            envelope.no_more_requests = index % 7 == 0;
            let file = dir.0.join(format!("{name}.xml"));
            std::fs::write(&file, envelope.to_bytes()).unwrap();
            files.push(file);
        }
        let output = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(&schema)
            .args(&files)
            .output()
            .expect("run xmllint");
        let report = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{namespace:?}: xmllint rejected generated envelopes in {:?}:\n{report}",
            dir.0
        );
        assert_eq!(
            report.matches(" validates").count(),
            files.len(),
            "{report}"
        );
    }
}

#[test]
fn schemas_reject_what_cwmp_forbids() {
    if !xmllint_available() {
        eprintln!("SKIPPED: xmllint not found; install Debian package libxml2-utils");
        return;
    }
    let dir = ScratchDir::new("cwmp-xsd-negative");
    let schema = write_schemas(&dir.0, CwmpNamespace::V1_2);
    let sample = |wanted: &str| {
        let (_, body) = every_message()
            .into_iter()
            .find(|(name, _)| *name == wanted)
            .unwrap();
        String::from_utf8(
            Envelope::request(CwmpNamespace::V1_2, "1", body)
                .to_bytes()
                .to_vec(),
        )
        .unwrap()
    };
    let delete = sample("delete-object");
    let get = sample("get-parameter-values");
    // Each mutation breaks one rule the schema must enforce.
    let broken = [
        (
            "missing-arraytype",
            get.replace(" soap-enc:arrayType=\"xsd:string[2]\"", ""),
        ),
        (
            "object-name-without-dot",
            delete.replace("PortMapping.3.</ObjectName>", "PortMapping.3</ObjectName>"),
        ),
        (
            "unknown-method",
            delete.replace("cwmp:DeleteObject>", "cwmp:DeleteObjects>"),
        ),
        (
            "id-without-must-understand",
            delete.replace(" soap-env:mustUnderstand=\"1\"", ""),
        ),
        (
            "two-body-children",
            delete.replace(
                "</soap-env:Body>",
                "<cwmp:FactoryReset></cwmp:FactoryReset></soap-env:Body>",
            ),
        ),
    ];
    for (name, xml) in &broken {
        assert!(
            xml != &delete && xml != &get,
            "mutation {name} changed nothing"
        );
    }
    for (name, xml) in broken {
        let file = dir.0.join(format!("{name}.xml"));
        std::fs::write(&file, xml).unwrap();
        let output = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(&schema)
            .arg(&file)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{name} should fail validation");
    }
}

/// XSD cannot compare an `arrayType` count with the number of items, so check it directly on
/// every generated sample.
#[test]
fn array_type_counts_match_item_counts() {
    use quick_xml::events::Event;
    for (name, body) in every_message() {
        let bytes = Envelope::request(CwmpNamespace::V1_2, "1", body).to_bytes();
        let mut reader = quick_xml::Reader::from_reader(&bytes[..]);
        // For each open element: the declared count (if an array) and the children seen.
        let mut open: Vec<(Option<usize>, usize)> = Vec::new();
        let mut arrays = 0;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(start) => {
                    if let Some(parent) = open.last_mut() {
                        parent.1 += 1;
                    }
                    let declared =
                        start
                            .try_get_attribute("soap-enc:arrayType")
                            .unwrap()
                            .map(|attribute| {
                                let value = String::from_utf8(attribute.value.to_vec()).unwrap();
                                let count = value.rsplit_once('[').unwrap().1.trim_end_matches(']');
                                count.parse::<usize>().unwrap()
                            });
                    open.push((declared, 0));
                }
                Event::End(_) => {
                    let (declared, seen) = open.pop().unwrap();
                    if let Some(declared) = declared {
                        assert_eq!(declared, seen, "{name}");
                        arrays += 1;
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let has_array = String::from_utf8_lossy(&bytes).contains("arrayType");
        assert_eq!(arrays > 0, has_array, "{name}");
    }
}
