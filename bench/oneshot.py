"""A one-off script sending one track call with the official Python SDK, the
way a user would write it. single.py times it end to end (interpreter start,
imports, delivery, shutdown). The SDK posts to <host>/v1/batch."""
import os

from customerio.analytics import Client

client = Client(os.environ["CIO_WRITE_KEY"], host=os.environ["SINK_URL"])
client.track(
    user_id="u1",
    event="Product Added",
    properties={"product_id": "coolshoes-123", "price": 139.99, "quantity": 1},
)
client.flush()
client.shutdown()
