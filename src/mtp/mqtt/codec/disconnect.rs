//! DISCONNECT (§3.14) and AUTH (§3.15): both are a reason code and properties, each omitted
//! when it has its default, so they share the same short-form rules.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{DecodeErrorKind, EncodeError};
use super::properties::Properties;
use super::property::PropertyScope;
use super::reason::ReasonCode;
use super::types::{PacketType, ProtocolVersion};
use super::wire::Reader;

/// A DISCONNECT packet. On 3.1.1 it is empty and only the client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disconnect {
    /// [`ReasonCode::NORMAL_DISCONNECTION`] by default.
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

/// An AUTH packet (5.0 only), for enhanced authentication (§4.12).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Auth {
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

/// Reads a 5.0 body whose Remaining Length may be 0 (Success, no properties), 1 (no
/// properties) or more (§3.14.2, §3.15.2).
fn decode_v5(
    packet: PacketType,
    scope: PropertyScope,
    body: Bytes,
) -> Result<(ReasonCode, Properties), DecodeErrorKind> {
    let mut r = Reader::new(body);
    if r.is_empty() {
        return Ok(Default::default());
    }
    let code = r.u8()?;
    let reason_code = ReasonCode::from_u8(code)
        .filter(|c| c.allowed_in(packet))
        .ok_or(DecodeErrorKind::InvalidReasonCode { code, packet })?;
    let properties = if r.is_empty() {
        Properties::default()
    } else {
        Properties::decode(&mut r, scope)?
    };
    r.finish()?;
    Ok((reason_code, properties))
}

/// The shortest 5.0 form: nothing, the code alone, or code and properties.
fn remaining_len_v5(
    reason_code: ReasonCode,
    properties: &Properties,
    scope: PropertyScope,
) -> Result<usize, EncodeError> {
    let block = properties.block_len(scope)?;
    Ok(match (reason_code, properties.is_empty()) {
        (ReasonCode::Success, true) => 0,
        (_, true) => 1,
        _ => 1 + block,
    })
}

fn put_v5(reason_code: ReasonCode, properties: &Properties, dst: &mut BytesMut) {
    let empty = properties.is_empty();
    if reason_code != ReasonCode::Success || !empty {
        dst.put_u8(reason_code as u8);
    }
    if !empty {
        properties.put_block(dst);
    }
}

impl Disconnect {
    pub(super) fn decode(body: Bytes, version: ProtocolVersion) -> Result<Self, DecodeErrorKind> {
        if !version.is_v5() {
            Reader::new(body).finish()?;
            return Ok(Self::default());
        }
        let (reason_code, properties) =
            decode_v5(PacketType::Disconnect, PropertyScope::Disconnect, body)?;
        Ok(Self {
            reason_code,
            properties,
        })
    }

    pub(super) fn remaining_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if !version.is_v5() {
            return Ok(0);
        }
        remaining_len_v5(
            self.reason_code,
            &self.properties,
            PropertyScope::Disconnect,
        )
    }

    pub(super) fn put_body(&self, version: ProtocolVersion, dst: &mut BytesMut) {
        if version.is_v5() {
            put_v5(self.reason_code, &self.properties, dst);
        }
    }
}

impl Auth {
    pub(super) fn decode(body: Bytes) -> Result<Self, DecodeErrorKind> {
        let (reason_code, properties) = decode_v5(PacketType::Auth, PropertyScope::Auth, body)?;
        Ok(Self {
            reason_code,
            properties,
        })
    }

    pub(super) fn remaining_len(&self) -> Result<usize, EncodeError> {
        remaining_len_v5(self.reason_code, &self.properties, PropertyScope::Auth)
    }

    pub(super) fn put_body(&self, dst: &mut BytesMut) {
        put_v5(self.reason_code, &self.properties, dst);
    }
}
