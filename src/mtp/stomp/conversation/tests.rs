use bytes::Bytes;

use super::*;

const OWN: &str = "/usp/v1/os::012345-A";

fn frame(command: Command, headers: &[(&str, &str)]) -> Frame {
    let mut frame = Frame::new(command);
    for (n, v) in headers {
        frame.headers.push(*n, *v);
    }
    frame
}

fn send(headers: &[(&str, &str)]) -> Frame {
    frame(Command::Send, headers).with_body(Bytes::from_static(b"rec\0ord"))
}

const GOOD_SEND: [(&str, &str); 4] = [
    ("destination", "/usp/v1/self::ctl"),
    ("content-type", USP_CONTENT_TYPE),
    ("content-length", "7"),
    ("reply-to-dest", OWN),
];

#[test]
fn send_routes_the_body_and_remembers_reply_to() {
    let mut c = Conversation::new(OWN.into());
    assert_eq!(c.on_frame(send(&GOOD_SEND)), Ok(Step::Route(Bytes::from_static(b"rec\0ord"))));
    assert_eq!(c.reply_to_dest(), Some(OWN));
    // A parameter and another case are the same media type.
    let mut headers = GOOD_SEND;
    headers[1].1 = "Application/Vnd.BBF.USP.Msg; charset=binary";
    assert!(matches!(c.on_frame(send(&headers)), Ok(Step::Route(_))));
}

#[test]
fn send_refusals() {
    let mut c = Conversation::new(OWN.into());
    let without = |name: &str| send(&GOOD_SEND.iter().copied().filter(|(n, _)| *n != name).collect::<Vec<_>>());
    assert_eq!(
        c.on_frame(without("destination")),
        Err(Violation::MissingHeader { command: Command::Send, header: "destination" })
    );
    assert_eq!(c.on_frame(without("content-length")), Err(Violation::NoContentLength));
    assert_eq!(c.on_frame(without("content-type")), Err(Violation::ContentType(String::new())));
    let mut text = GOOD_SEND;
    text[1].1 = "text/plain";
    assert_eq!(c.on_frame(send(&text)), Err(Violation::ContentType("text/plain".into())));
    let mut tx = GOOD_SEND.to_vec();
    tx.push(("transaction", "t1"));
    assert_eq!(c.on_frame(send(&tx)), Err(Violation::Transaction));
}

#[test]
fn subscribe_only_to_own_or_announced_destination_with_ack_auto() {
    let mut c = Conversation::new(OWN.into());
    let sub = |dest: &str, ack: Option<&str>| {
        let mut headers = vec![("id", "0"), ("destination", dest)];
        headers.extend(ack.map(|a| ("ack", a)));
        frame(Command::Subscribe, &headers)
    };
    assert!(matches!(c.on_frame(sub("/usp/v1/self::other", None)), Err(Violation::ForeignDestination { .. })));
    assert_eq!(c.on_frame(sub(OWN, Some("client"))), Err(Violation::AckMode("client".into())));
    assert_eq!(c.on_frame(sub(OWN, Some("auto"))), Ok(Step::Subscribed));
    assert_eq!(c.subscription().unwrap().destination(), OWN);
    assert_eq!(c.on_frame(sub(OWN, None)), Err(Violation::AlreadySubscribed("0".into())));

    assert_eq!(c.on_frame(frame(Command::Unsubscribe, &[("id", "9")])), Ok(Step::Nothing));
    assert_eq!(c.on_frame(frame(Command::Unsubscribe, &[("id", "0")])), Ok(Step::Unsubscribed));
    assert!(c.subscription().is_none());

    // A destination announced in a STOMPConnect Record is the endpoint's too.
    assert!(c.announce("/agent/inbox".into()));
    assert!(!c.announce("/agent/inbox".into()));
    assert_eq!(c.on_frame(sub("/agent/inbox", None)), Ok(Step::Subscribed));
    assert_eq!(c.subscription().unwrap().destination(), "/agent/inbox");
}

#[test]
fn subscribe_needs_id_and_destination() {
    let mut c = Conversation::new(OWN.into());
    assert_eq!(
        c.on_frame(frame(Command::Subscribe, &[("destination", OWN)])),
        Err(Violation::MissingHeader { command: Command::Subscribe, header: "id" })
    );
    assert_eq!(
        c.on_frame(frame(Command::Subscribe, &[("id", "1")])),
        Err(Violation::MissingHeader { command: Command::Subscribe, header: "destination" })
    );
}

#[test]
fn announced_destinations_are_bounded() {
    let mut c = Conversation::new(OWN.into());
    for i in 0..100 {
        c.announce(format!("/d/{i}"));
    }
    assert_eq!(c.announced.len(), MAX_ANNOUNCED);
    assert!(!c.announce(OWN.into()), "the own destination is not an announcement");
}

#[test]
fn forbidden_and_misplaced_frames() {
    let mut c = Conversation::new(OWN.into());
    for command in [Command::Ack, Command::Nack, Command::Begin, Command::Commit, Command::Abort] {
        assert_eq!(c.on_frame(frame(command, &[("id", "1")])), Err(Violation::Forbidden(command)));
    }
    for command in [Command::Connected, Command::Message, Command::Receipt, Command::Error] {
        assert_eq!(c.on_frame(frame(command, &[])), Err(Violation::ServerFrame(command)));
    }
    assert_eq!(c.on_frame(frame(Command::Stomp, &[])), Err(Violation::AlreadyConnected));
    assert_eq!(c.on_frame(frame(Command::Disconnect, &[("receipt", "77")])), Ok(Step::Disconnect));
}
