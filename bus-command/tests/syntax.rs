//! The syntax: printing a command and parsing the line gives the command back, for every command; and the
//! errors of lines that do not parse.

use bus_command::{Command, ReadFrom, TrimArgs, parse_line};
use bus_core::{AppendId, EntryId, GroupCursor, GroupStart, RangeBound, ReadCursor, Topic, Uuid};
use proptest::prelude::*;
use proptest::strategy::Union;

fn topic() -> impl Strategy<Value = Topic> {
    prop_oneof![
        Just("chat:1".to_owned()),
        Just("-t".to_owned()),
        "[a-z:#'\"$>(+-]{1,8}",
        "\\PC{1,12}",
    ]
    .prop_filter_map("valid topic", |name| Topic::new(name).ok())
}

/// Any string: spaces, quotes, unicode, flag-like and empty names, newlines.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("-".to_owned()),
        Just("--".to_owned()),
        Just("-x".to_owned()),
        Just("--count".to_owned()),
        Just("#not a comment".to_owned()),
        "[a-z0-9]{1,6}",
        ".{0,12}",
        "\\PC{0,12}",
    ]
}

fn id() -> impl Strategy<Value = EntryId> {
    prop_oneof![
        Just(EntryId::MIN),
        Just(EntryId::MAX),
        (0u64..20, 0u64..3).prop_map(|(ms, seq)| EntryId::new(ms, seq)),
        (any::<u64>(), any::<u64>()).prop_map(|(ms, seq)| EntryId::new(ms, seq)),
    ]
}

fn bound() -> impl Strategy<Value = RangeBound> {
    prop_oneof![
        Just(RangeBound::MIN),
        Just(RangeBound::MAX),
        id().prop_map(RangeBound::Inclusive),
        id().prop_map(RangeBound::Exclusive),
    ]
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn append_id() -> impl Strategy<Value = Option<AppendId>> {
    proptest::option::of(prop_oneof![
        Just(AppendId::Auto),
        any::<u64>().prop_map(AppendId::AutoSeq),
        id().prop_map(AppendId::Explicit),
    ])
}

fn group_start() -> impl Strategy<Value = GroupStart> {
    prop_oneof![Just(GroupStart::Last), id().prop_map(GroupStart::Id)]
}

fn trim(required: bool) -> impl Strategy<Value = TrimArgs> {
    let strategy = prop_oneof![
        any::<u64>().prop_map(|n| (Some(n), None)),
        id().prop_map(|id| (None, Some(id))),
    ];
    let strategy = if required {
        strategy.prop_map(Some).boxed()
    } else {
        proptest::option::of(strategy).boxed()
    };
    (strategy, any::<bool>(), proptest::option::of(any::<u64>())).prop_map(|(strategy, approx, limit)| match strategy {
        Some((maxlen, minid)) => TrimArgs {
            maxlen,
            minid,
            approx,
            limit,
        },
        None => TrimArgs::default(),
    })
}

fn count() -> impl Strategy<Value = Option<u64>> {
    proptest::option::of(any::<u64>())
}

fn ids() -> impl Strategy<Value = Vec<EntryId>> {
    proptest::collection::vec(id(), 1..4)
}

fn command() -> impl Strategy<Value = Command> {
    let arms: Vec<BoxedStrategy<Command>> = vec![
        (
            topic(),
            text(),
            proptest::option::of(uuid()),
            append_id(),
            trim(false),
            any::<bool>(),
        )
            .prop_map(|(topic, json, id, entry_id, trim, nomkstream)| Command::Publish {
                topic,
                json,
                id,
                entry_id,
                trim,
                nomkstream,
            })
            .boxed(),
        (
            topic(),
            proptest::collection::vec(text(), 1..5),
            append_id(),
            trim(false),
            any::<bool>(),
        )
            .prop_map(|(topic, fields, entry_id, trim, nomkstream)| Command::AppendRaw {
                topic,
                fields,
                entry_id,
                trim,
                nomkstream,
            })
            .boxed(),
        (topic(), bound(), bound(), count())
            .prop_map(|(topic, start, end, count)| Command::Range {
                topic,
                start,
                end,
                count,
            })
            .boxed(),
        (topic(), bound(), bound(), count())
            .prop_map(|(topic, end, start, count)| Command::Revrange {
                topic,
                end,
                start,
                count,
            })
            .boxed(),
        (topic(), count(), any::<bool>())
            .prop_map(|(topic, count, follow)| Command::Tail { topic, count, follow })
            .boxed(),
        (
            topic(),
            prop_oneof![
                Just(ReadFrom::Cursor(ReadCursor::New)),
                id().prop_map(|id| ReadFrom::Cursor(ReadCursor::After(id))),
                uuid().prop_map(ReadFrom::Message),
            ],
            count(),
            count(),
        )
            .prop_map(|(topic, cursor, count, block)| Command::Read {
                topic,
                cursor,
                count,
                block,
            })
            .boxed(),
        (topic(), uuid())
            .prop_map(|(topic, uuid)| Command::Lookup { topic, uuid })
            .boxed(),
        topic().prop_map(|topic| Command::Len { topic }).boxed(),
        topic().prop_map(|topic| Command::Drop { topic }).boxed(),
        topic().prop_map(|topic| Command::Info { topic }).boxed(),
        topic().prop_map(|topic| Command::Groups { topic }).boxed(),
        (topic(), ids())
            .prop_map(|(topic, ids)| Command::Del { topic, ids })
            .boxed(),
        (topic(), trim(true))
            .prop_map(|(topic, trim)| Command::Trim { topic, trim })
            .boxed(),
        (topic(), text(), group_start(), any::<bool>(), count())
            .prop_map(|(topic, group, start, mkstream, entries_read)| Command::GroupCreate {
                topic,
                group,
                start,
                mkstream,
                entries_read,
            })
            .boxed(),
        (topic(), text())
            .prop_map(|(topic, group)| Command::GroupDestroy { topic, group })
            .boxed(),
        (topic(), text())
            .prop_map(|(topic, group)| Command::Consumers { topic, group })
            .boxed(),
        (topic(), text(), group_start(), count())
            .prop_map(|(topic, group, id, entries_read)| Command::GroupSetid {
                topic,
                group,
                id,
                entries_read,
            })
            .boxed(),
        (topic(), text(), text())
            .prop_map(|(topic, group, consumer)| Command::ConsumerCreate { topic, group, consumer })
            .boxed(),
        (topic(), text(), text())
            .prop_map(|(topic, group, consumer)| Command::ConsumerDelete { topic, group, consumer })
            .boxed(),
        (
            topic(),
            text(),
            text(),
            prop_oneof![Just(GroupCursor::New), id().prop_map(GroupCursor::History)],
            count(),
            count(),
            any::<bool>(),
        )
            .prop_map(
                |(topic, group, consumer, cursor, count, block, noack)| Command::ReadGroup {
                    topic,
                    group,
                    consumer,
                    cursor,
                    count,
                    block,
                    noack,
                },
            )
            .boxed(),
        (topic(), text(), ids())
            .prop_map(|(topic, group, ids)| Command::Ack { topic, group, ids })
            .boxed(),
        (
            topic(),
            text(),
            proptest::option::of((bound(), bound(), any::<u64>(), proptest::option::of(text()), count())),
        )
            .prop_map(|(topic, group, range)| match range {
                None => Command::Pending {
                    topic,
                    group,
                    start: None,
                    end: None,
                    count: None,
                    consumer: None,
                    idle: None,
                },
                Some((start, end, count, consumer, idle)) => Command::Pending {
                    topic,
                    group,
                    start: Some(start),
                    end: Some(end),
                    count: Some(count),
                    consumer,
                    idle,
                },
            })
            .boxed(),
        (
            (topic(), text(), text(), any::<u64>(), ids()),
            (
                count(),
                count(),
                count(),
                any::<bool>(),
                any::<bool>(),
                proptest::option::of(id()),
            ),
        )
            .prop_map(
                |((topic, group, consumer, min_idle_ms, ids), (idle, time, retrycount, force, justid, lastid))| {
                    Command::Claim {
                        topic,
                        group,
                        consumer,
                        min_idle_ms,
                        ids,
                        idle,
                        time,
                        retrycount,
                        force,
                        justid,
                        lastid,
                    }
                },
            )
            .boxed(),
        (topic(), text(), text(), any::<u64>(), bound(), count(), any::<bool>())
            .prop_map(
                |(topic, group, consumer, min_idle_ms, start, count, justid)| Command::Autoclaim {
                    topic,
                    group,
                    consumer,
                    min_idle_ms,
                    start,
                    count,
                    justid,
                },
            )
            .boxed(),
    ];
    Union::new(arms)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn printing_then_parsing_gives_the_command_back(command in command()) {
        let line = command.to_string();
        let parsed = parse_line(&line);
        prop_assert_eq!(parsed.as_ref(), Ok(&command), "line: {}", line);
    }
}

#[test]
fn lines_print_like_the_usage() {
    let cases = [
        r#"publish chat:1 '{"n":1}' --id 7a3c0000-0000-4000-8000-000000000001 --entry-id '5-*' --maxlen 3 --approx"#,
        "append-raw t1 n 5 --entry-id 5-0 --nomkstream",
        "range t1 '(5-0' + --count 2",
        "revrange t1 + - --count 2",
        "read t1 7a3c0000-0000-4000-8000-000000000001 --count 1",
        "read t1 '$' --block 100",
        "read-group t1 g1 c1 '>' --count 10 --noack",
        "pending t1 g1 - + 10 --consumer c1 --idle 1000",
        "pending t1 g1",
        "claim t1 g1 c2 0 1-0 2-0 --retrycount 4 --force --justid --lastid 3-0",
        "autoclaim t1 g1 c2 0 - --count 3 --justid",
        "trim t1 --minid 5-0",
        "group-create t1 g1 '$' --mkstream --entries-read 3",
    ];
    for line in cases {
        let command = parse_line(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(&command.to_string(), line);
    }
}

#[test]
fn flag_like_arguments_go_after_a_double_dash() {
    let command = Command::GroupCreate {
        topic: Topic::new("t1").unwrap(),
        group: "-g1".into(),
        start: GroupStart::Id(EntryId::MIN),
        mkstream: true,
        entries_read: None,
    };
    assert_eq!(command.to_string(), "group-create --mkstream -- t1 -g1 0-0");
    assert_eq!(parse_line(&command.to_string()).unwrap(), command);
    let command = Command::Pending {
        topic: Topic::new("t1").unwrap(),
        group: "g1".into(),
        start: Some(RangeBound::MIN),
        end: Some(RangeBound::MAX),
        count: Some(5),
        consumer: Some("-c".into()),
        idle: None,
    };
    assert_eq!(command.to_string(), "pending t1 g1 - + 5 '--consumer=-c'");
    assert_eq!(parse_line(&command.to_string()).unwrap(), command);
}

#[test]
fn rejected_values_keep_the_bus_error() {
    let err = parse_line("range t1 x +").unwrap_err();
    assert_eq!(err.kind(), "invalid_id");
    assert_eq!(
        err.message(),
        "ERR Invalid stream ID specified as stream command argument"
    );
    let err = parse_line("read-group t1 g1 c1 '$'").unwrap_err();
    assert_eq!(err.kind(), "invalid_argument");
    assert!(err.message().starts_with("ERR The $ ID is meaningless"), "{err}");
    let err = parse_line("len 'a b'").unwrap_err();
    assert_eq!(err.kind(), "invalid_argument");
    assert!(err.message().contains("is not allowed"), "{err}");
    assert_eq!(
        err.to_json()["error"]["kind"],
        serde_json::Value::String("invalid_argument".into())
    );
}

#[test]
fn usage_errors_and_help() {
    let err = parse_line("frobnicate t1").unwrap_err();
    assert_eq!(err.kind(), "invalid_argument");
    assert!(err.message().contains("unrecognized subcommand 'frobnicate'"), "{err}");
    let err = parse_line("trim t1 --approx").unwrap_err();
    assert!(err.message().contains("--maxlen"), "{err}");
    let err = parse_line("pending t1 g1 - +").unwrap_err();
    assert!(err.message().contains("COUNT"), "{err}");
    let err = parse_line("publish t1 '{unterminated").unwrap_err();
    assert!(err.message().starts_with("cannot split the command line"), "{err}");
    let help = parse_line("publish --help").unwrap_err();
    assert!(help.is_help());
    assert!(help.message().contains("--nomkstream"), "{help}");
    let help = parse_line("help").unwrap_err();
    assert!(help.is_help() && help.message().contains("read-group"), "{help}");
}
