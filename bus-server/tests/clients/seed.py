import json, uuid, redis

r = redis.Redis.from_url("redis://localhost:6379/0", decode_responses=True)
topic = "chat:example"

# Append with canonical UUID + JSON payload
bus_id = str(uuid.uuid4())
r.xadd(topic, {"id": bus_id, "payload": json.dumps({"content": "hello"})})

# Tail read last 10 entries (no group)
entries = r.xrevrange(topic, "+", "-", count=10) or []
entries.reverse()
for entry_id, fields in entries:
    payload = json.loads(fields.get("payload", "{}"))
    print(entry_id, fields.get("id"), payload)

# Consumer group read + ack
group, consumer = "g1", "c1"
try:
    r.xgroup_create(topic, group, id="0", mkstream=True)
except Exception as e:
    if "BUSYGROUP" not in str(e):
        raise
resp = r.xreadgroup(groupname=group, consumername=consumer, streams={topic: ">"}, count=10, block=0)
for _, items in (resp or []):
    for entry_id, fields in items:
        # process ...
        r.xack(topic, group, entry_id)
