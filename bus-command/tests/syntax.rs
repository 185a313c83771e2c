//! The syntax: printing a command and parsing the line gives the command back, for every command; and the
//! errors of lines that do not parse.

use bus_command::commands::*;
use bus_command::{AppendArgs, Command, Streams, TrimArgs, parse_line};
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

fn streams<C: std::fmt::Debug + Clone + 'static>(
    cursor: impl Strategy<Value = C> + 'static,
) -> BoxedStrategy<Streams<C>> {
    proptest::collection::vec((topic(), cursor), 1..4)
        .prop_filter_map("at least one topic", |pairs| Streams::new(pairs).ok())
        .boxed()
}

fn read_cursor() -> impl Strategy<Value = ReadCursor> {
    prop_oneof![Just(ReadCursor::New), id().prop_map(ReadCursor::After)]
}

fn group_cursor() -> impl Strategy<Value = GroupCursor> {
    prop_oneof![Just(GroupCursor::New), id().prop_map(GroupCursor::History)]
}

fn append_args() -> impl Strategy<Value = AppendArgs> {
    (append_id(), trim(false), any::<bool>()).prop_map(|(entry_id, trim, nomkstream)| AppendArgs {
        entry_id,
        trim,
        nomkstream,
    })
}

/// A topic and a group (most group commands start with them).
fn tg() -> impl Strategy<Value = (Topic, String)> {
    (topic(), text())
}

/// A topic, a group and a consumer.
fn tgc() -> impl Strategy<Value = (Topic, String, String)> {
    (topic(), text(), text())
}

fn command() -> impl Strategy<Value = Command> {
    let arms: Vec<BoxedStrategy<Command>> = vec![
        (topic(), proptest::collection::vec(text(), 1..5), append_args())
            .prop_map(|(topic, fields, options)| Append { topic, fields, options }.into())
            .boxed(),
        (topic(), text(), proptest::option::of(uuid()), append_args())
            .prop_map(|(topic, json, id, options)| {
                Publish {
                    topic,
                    json,
                    id,
                    options,
                }
                .into()
            })
            .boxed(),
        (
            topic(),
            proptest::collection::vec(text(), 1..4),
            proptest::collection::vec(uuid(), 0..4),
            append_args(),
        )
            .prop_map(|(topic, payloads, ids, options)| {
                PublishBatch {
                    topic,
                    payloads,
                    ids,
                    options,
                }
                .into()
            })
            .boxed(),
        (topic(), uuid())
            .prop_map(|(topic, uuid)| Lookup { topic, uuid }.into())
            .boxed(),
        (topic(), bound(), bound(), count())
            .prop_map(|(topic, start, end, count)| {
                Range {
                    topic,
                    start,
                    end,
                    count,
                }
                .into()
            })
            .boxed(),
        (topic(), bound(), bound(), count())
            .prop_map(|(topic, end, start, count)| {
                RevRange {
                    topic,
                    end,
                    start,
                    count,
                }
                .into()
            })
            .boxed(),
        (streams(read_cursor()), count(), count())
            .prop_map(|(streams, count, block)| Read { streams, count, block }.into())
            .boxed(),
        (topic(), count(), any::<bool>())
            .prop_map(|(topic, count, follow)| Tail { topic, count, follow }.into())
            .boxed(),
        (topic(), uuid(), count())
            .prop_map(|(topic, uuid, count)| ReadAfterMessage { topic, uuid, count }.into())
            .boxed(),
        (tg(), group_start(), any::<bool>(), count())
            .prop_map(|((topic, group), start, mkstream, entries_read)| {
                GroupCreate {
                    topic,
                    group,
                    start,
                    mkstream,
                    entries_read,
                }
                .into()
            })
            .boxed(),
        tg().prop_map(|(topic, group)| GroupDestroy { topic, group }.into())
            .boxed(),
        (tg(), group_start(), count())
            .prop_map(|((topic, group), id, entries_read)| {
                GroupSetId {
                    topic,
                    group,
                    id,
                    entries_read,
                }
                .into()
            })
            .boxed(),
        tgc()
            .prop_map(|(topic, group, consumer)| ConsumerCreate { topic, group, consumer }.into())
            .boxed(),
        tgc()
            .prop_map(|(topic, group, consumer)| ConsumerDelete { topic, group, consumer }.into())
            .boxed(),
        (tgc(), any::<u64>())
            .prop_map(|((topic, group, consumer), min_idle_ms)| {
                ConsumerDeleteIfIdle {
                    topic,
                    group,
                    consumer,
                    min_idle_ms,
                }
                .into()
            })
            .boxed(),
        (text(), text(), streams(group_cursor()), count(), count(), any::<bool>())
            .prop_map(|(group, consumer, streams, count, block, noack)| {
                ReadGroup {
                    group,
                    consumer,
                    streams,
                    count,
                    block,
                    noack,
                }
                .into()
            })
            .boxed(),
        (tg(), ids())
            .prop_map(|((topic, group), ids)| Ack { topic, group, ids }.into())
            .boxed(),
        tg().prop_map(|(topic, group)| PendingSummary { topic, group }.into())
            .boxed(),
        (
            tg(),
            bound(),
            bound(),
            any::<u64>(),
            proptest::option::of(text()),
            count(),
        )
            .prop_map(|((topic, group), start, end, count, consumer, idle)| {
                Pending {
                    topic,
                    group,
                    start,
                    end,
                    count,
                    consumer,
                    idle,
                }
                .into()
            })
            .boxed(),
        (
            (tgc(), any::<u64>(), ids()),
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
                |(((topic, group, consumer), min_idle_ms, ids), (idle, time, retrycount, force, justid, lastid))| {
                    Claim {
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
                    .into()
                },
            )
            .boxed(),
        (tgc(), any::<u64>(), bound(), count(), any::<bool>())
            .prop_map(|((topic, group, consumer), min_idle_ms, start, count, justid)| {
                AutoClaim {
                    topic,
                    group,
                    consumer,
                    min_idle_ms,
                    start,
                    count,
                    justid,
                }
                .into()
            })
            .boxed(),
        (topic(), ids())
            .prop_map(|(topic, ids)| Delete { topic, ids }.into())
            .boxed(),
        (topic(), trim(true))
            .prop_map(|(topic, trim)| Trim { topic, trim }.into())
            .boxed(),
        topic().prop_map(|topic| Len { topic }.into()).boxed(),
        topic().prop_map(|topic| DropTopic { topic }.into()).boxed(),
        (topic(), any::<u64>())
            .prop_map(|(topic, ttl_ms)| ExpireTopic { topic, ttl_ms }.into())
            .boxed(),
        topic().prop_map(|topic| TopicTtl { topic }.into()).boxed(),
        topic().prop_map(|topic| StreamInfo { topic }.into()).boxed(),
        topic().prop_map(|topic| GroupsInfo { topic }.into()).boxed(),
        tg().prop_map(|(topic, group)| ConsumersInfo { topic, group }.into())
            .boxed(),
    ];
    assert_eq!(arms.len(), 30, "one arm per command");
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
        r#"publish-batch chat:1 '{"n":1}' '{"n":2}' --id 7a3c0000-0000-4000-8000-000000000001 --id 7a3c0000-0000-4000-8000-000000000001 --nomkstream"#,
        "append t1 n 5 --entry-id 5-0 --nomkstream",
        "range t1 '(5-0' + --count 2",
        "rev-range t1 + - --count 2",
        "read t1 '$' --block 100",
        "read t1 t2 0-0 5-0 --count 1",
        "read-after-message t1 7a3c0000-0000-4000-8000-000000000001 --count 1",
        "read-group g1 c1 t1 '>' --count 10 --noack",
        "read-group g1 c1 t1 t2 '>' 0-0",
        "pending t1 g1 - + 10 --consumer c1 --idle 1000",
        "pending-summary t1 g1",
        "claim t1 g1 c2 0 1-0 2-0 --retrycount 4 --force --justid --lastid 3-0",
        "auto-claim t1 g1 c2 0 - --count 3 --justid",
        "trim t1 --minid 5-0",
        "group-create t1 g1 '$' --mkstream --entries-read 3",
        "group-set-id t1 g1 0-0 --entries-read 0",
        "consumer-delete-if-idle t1 g1 c1 3600000",
        "expire-topic t1 7200000",
        "topic-ttl t1",
        "drop-topic t1",
        "stream-info t1",
        "groups-info t1",
        "consumers-info t1 g1",
    ];
    for line in cases {
        let command = parse_line(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(&command.to_string(), line);
    }
}

#[test]
fn flag_like_arguments_go_after_a_double_dash() {
    let command: Command = GroupCreate {
        topic: Topic::new("t1").unwrap(),
        group: "-g1".into(),
        start: GroupStart::Id(EntryId::MIN),
        mkstream: true,
        entries_read: None,
    }
    .into();
    assert_eq!(command.to_string(), "group-create --mkstream -- t1 -g1 0-0");
    assert_eq!(parse_line(&command.to_string()).unwrap(), command);
    let command: Command = Pending {
        topic: Topic::new("t1").unwrap(),
        group: "g1".into(),
        start: RangeBound::MIN,
        end: RangeBound::MAX,
        count: 5,
        consumer: Some("-c".into()),
        idle: None,
    }
    .into();
    assert_eq!(command.to_string(), "pending t1 g1 - + 5 '--consumer=-c'");
    assert_eq!(parse_line(&command.to_string()).unwrap(), command);
    let command: Command = Read {
        streams: Streams::new(vec![(Topic::new("-t").unwrap(), ReadCursor::New)]).unwrap(),
        count: Some(1),
        block: None,
    }
    .into();
    assert_eq!(command.to_string(), "read --count 1 -- -t '$'");
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
    let err = parse_line("read-group g1 c1 t1 '$'").unwrap_err();
    assert_eq!(err.kind(), "invalid_argument");
    assert!(err.message().starts_with("ERR The $ ID is meaningless"), "{err}");
    let err = parse_line("read t1 t2 0").unwrap_err();
    assert_eq!(err.kind(), "invalid_argument");
    assert_eq!(
        err.message(),
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
    );
    let err = parse_line("read t1 t2 0 x").unwrap_err();
    assert_eq!(err.kind(), "invalid_id");
    let err = parse_line("read 'a b' 0").unwrap_err();
    assert!(err.message().contains("is not allowed"), "{err}");
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
    let err = parse_line("read t1").unwrap_err();
    assert!(err.message().contains("CURSOR"), "{err}");
    let err = parse_line("publish t1 '{unterminated").unwrap_err();
    assert!(err.message().starts_with("cannot split the command line"), "{err}");
    let help = parse_line("publish --help").unwrap_err();
    assert!(help.is_help());
    assert!(help.message().contains("--nomkstream"), "{help}");
    let help = parse_line("help").unwrap_err();
    assert!(help.is_help() && help.message().contains("read-group"), "{help}");
}
