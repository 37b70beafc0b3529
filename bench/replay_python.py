"""Replay an NDJSON corpus through the official Python SDK (customerio-cdp-analytics).

    SINK_URL=http://127.0.0.1:PORT CIO_WRITE_KEY=bench-key \
        bench/.venv/bin/python bench/replay_python.py CORPUS.ndjson

One call per line (track, identify or page, with its ids, properties or
traits, name, context, timestamp and messageId), then flush() and shutdown().
The client is left at its defaults (one consumer thread, batches of up to
100, no gzip) except for what losing nothing needs: `_enqueue` drops a call
when the client's queue (max_queue_size, 10000) is full, so the producer
waits while `client.queue.full()`. This is the only thread that puts, so a
queue found not full stays not full until the put. The SDK posts to
<host>/v1/batch. Prints a JSON summary on stdout.
"""
import datetime as dt
import json
import os
import sys
import time

from customerio.analytics import Client


def main():
    path = sys.argv[1]
    errors = []
    client = Client(os.environ["CIO_WRITE_KEY"], host=os.environ["SINK_URL"],
                    on_error=lambda exc, batch: errors.append((str(exc), len(batch))))

    sent = waits = 0
    calls = {"track": client.track, "identify": client.identify, "page": client.page}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            kind = d["type"]
            args = {
                "user_id": d.get("userId"),
                "anonymous_id": d.get("anonymousId"),
                "context": d.get("context"),
                # The SDK wants a datetime (3.11 parses the trailing Z).
                "timestamp": dt.datetime.fromisoformat(d["timestamp"]) if d.get("timestamp") else None,
                "message_id": d.get("messageId"),
            }
            if kind == "track":
                args.update(event=d["event"], properties=d.get("properties"))
            elif kind == "identify":
                args.update(traits=d.get("traits"))
            elif kind == "page":
                args.update(name=d.get("name"), properties=d.get("properties"))
            else:
                sys.exit(f"replay_python.py: unsupported type {kind!r}")
            while client.queue.full():
                waits += 1
                time.sleep(0.001)
            ok, _ = calls[kind](**args)
            if not ok:
                sys.exit("replay_python.py: the SDK dropped a call although its queue was not full")
            sent += 1
    client.flush()
    client.shutdown()
    print(json.dumps({"enqueued": sent, "producer_waits": waits,
                      "failed_uploads": len(errors), "failed_calls": sum(n for _, n in errors),
                      "first_error": errors[0][0] if errors else None}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
