#!/usr/bin/env python3
"""Write a seeded NDJSON corpus of realistic Data Pipelines calls.

    python3 bench/corpus.py --events 100000 --seed 42 --out /tmp/corpus.ndjson
    python3 bench/corpus.py --events 10 | head -3

Mix: ~70% track (ecommerce "Product Viewed"/"Product Added"/"Order Completed"
with nested product objects and `products` arrays, plus "login" and
"video_watched"), ~20% identify (email, name, plan, nested address), ~10% page
(name; url, path, title, referrer). Every line has `type`, `userId` or (for
about a quarter) `anonymousId`, a unique `messageId` (`bench-<n>`), a
`timestamp` (ascending over 2026-03-14, millisecond precision) and a `context`
with `ip`, `locale` and `userAgent`. Lines average about 550 bytes.

The same --seed and --events always give the same bytes. Lines are written as
they are made, so a million events take no memory.
"""
import argparse
import datetime as dt
import json
import random
import sys

DAY = dt.datetime(2026, 3, 14, tzinfo=dt.timezone.utc)

CATALOG = [
    # product_id, sku, category, name, brand, price
    ("coolshoes-123", "abc-123-xyz", "shoes", "Cool Shoes", "A Shoe Brand", 139.99),
    ("trail-runner-9", "trl-009-blu", "shoes", "Trail Runner 9", "Peak Gear", 119.0),
    ("wool-hat-77", "hat-077-blk", "accessories", "Merino Wool Hat", "Heads Up", 24.5),
    ("sock-pack-3", "sck-003-grn", "socks", "Hiking Socks (3 pack)", "Toe Co", 19.99),
    ("rain-shell-4", "shl-004-nvy", "outerwear", "Rain Shell", "Outerwear Ltd", 189.0),
    ("fleece-21", "flc-021-gry", "outerwear", "Grid Fleece", "Outerwear Ltd", 79.5),
    ("bottle-750", "btl-750-stl", "gear", "Steel Bottle 750 ml", "Camp Co", 29.0),
    ("daypack-18", "dpk-018-red", "bags", "Daypack 18 L", "Peak Gear", 64.95),
]
VARIANTS = ["red", "blue", "black", "green", "grey"]
SIZES = ["S", "M", "L", "XL", "38", "40", "42", "44"]
COUPONS = [None, None, None, "NEWUSER20", "SPRING10", "FREESHIP"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/133.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.3 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:135.0) Gecko/20100101 Firefox/135.0",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/133.0.0.0 Mobile Safari/537.36",
]
LOCALES = ["en-US", "en-GB", "fr-FR", "de-DE", "es-ES", "pt-BR", "ja-JP"]
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman"]
CITIES = [
    ("Paris", "FR", "75011"), ("Berlin", "DE", "10115"), ("Austin", "US", "78701"),
    ("Lisbon", "PT", "1100-148"), ("Osaka", "JP", "530-0001"), ("Leeds", "GB", "LS1 4AP"),
]
STREETS = ["Main St", "Rue Oberkampf", "Torstrasse", "Congress Ave", "Rua Augusta"]
PAGES = [
    ("Home", "/", "Outdoor gear for every trail"),
    ("Pricing", "/pricing", "Pricing"),
    ("Docs", "/docs/getting-started", "Getting started"),
    ("Blog", "/blog/how-to-pack-a-daypack", "How to pack a daypack"),
    ("Product", "/product/coolshoes-123", "Cool Shoes"),
    ("Cart", "/cart", "Your cart"),
]
REFERRERS = ["", "https://www.google.com/", "https://duckduckgo.com/", "https://news.ycombinator.com/",
             "https://www.example.org/newsletter"]
USERS = 50_000


def product(rng, position):
    pid, sku, category, name, brand, price = rng.choice(CATALOG)
    return {
        "product_id": pid,
        "sku": sku,
        "category": category,
        "name": name,
        "brand": brand,
        "variant": rng.choice(VARIANTS),
        "size": rng.choice(SIZES),
        "price": price,
        "quantity": rng.randint(1, 3),
        "position": position,
        "url": f"https://shop.example.com/product/{pid}",
        "image_url": f"https://cdn.example.com/img/{pid}.jpg",
    }


def track(rng, n):
    kind = rng.random()
    if kind < 0.30:
        return "Product Viewed", dict(product(rng, rng.randint(1, 24)), currency="USD",
                                      list_id=rng.choice(["featured", "search", "related"]))
    if kind < 0.55:
        props = dict(product(rng, rng.randint(1, 24)), cart_id=f"cart-{rng.randrange(10**8):08d}")
        coupon = rng.choice(COUPONS)
        if coupon:
            props["coupon"] = coupon
        return "Product Added", props
    if kind < 0.70:
        items = [product(rng, i + 1) for i in range(rng.choice([1, 1, 2, 2, 3]))]
        subtotal = round(sum(p["price"] * p["quantity"] for p in items), 2)
        shipping = 0.0 if subtotal > 100 else 7.5
        tax = round(subtotal * 0.08, 2)
        props = {
            "order_id": f"ord-{n:08d}",
            "checkout_id": f"chk-{rng.randrange(16**10):010x}",
            "affiliation": "Online Store",
            "total": round(subtotal + shipping + tax, 2),
            "subtotal": subtotal,
            "revenue": subtotal,
            "shipping": shipping,
            "tax": tax,
            "currency": "USD",
            "products": items,
        }
        coupon = rng.choice(COUPONS)
        if coupon:
            props["coupon"] = coupon
        return "Order Completed", props
    if kind < 0.85:
        return "login", {
            "method": rng.choice(["password", "google", "magic_link"]),
            "session_started": 1773446400 + n,
            "platform": rng.choice(["chrome", "safari", "firefox", "ios", "android"]),
            "login_page": "https://shop.example.com/account/login",
            "remember_me": rng.random() < 0.5,
        }
    length = rng.randint(30, 1800)
    return "video_watched", {
        "video_id": f"vid-{rng.randint(1, 400)}",
        "video_name": rng.choice(["Cool New Video", "Packing Tips", "Trail Review: Alps", "Unboxing"]),
        "length": length,
        "watched_seconds": rng.randint(1, length),
        "speed": rng.choice([1, 1, 1.25, 1.5, 2]),
        "finished": rng.random() < 0.4,
        "quality": rng.choice(["720p", "1080p", "4k"]),
    }


def identify(rng, user):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, country, postal = rng.choice(CITIES)
    return {
        "email": f"{first.lower()}.{last.lower()}.{user}@example.com",
        "name": f"{first} {last}",
        "first_name": first,
        "last_name": last,
        "plan": rng.choice(["free", "free", "pro", "team", "enterprise"]),
        "logins": rng.randint(1, 400),
        "created_at": "2025-%02d-%02dT%02d:%02d:00Z" % (rng.randint(1, 12), rng.randint(1, 28),
                                                        rng.randint(0, 23), rng.randint(0, 59)),
        "address": {
            "street": f"{rng.randint(1, 250)} {rng.choice(STREETS)}",
            "city": city,
            "postal_code": postal,
            "country": country,
        },
    }


def call(rng, n, events):
    # Ascending over the day, with jitter so neighbours are not evenly spaced.
    ms = (n * 86_400_000) // events + rng.randrange(0, max(1, 86_400_000 // events))
    stamp = (DAY + dt.timedelta(milliseconds=ms)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    user = rng.randint(1, USERS)
    roll = rng.random()
    if roll < 0.70:
        event, props = track(rng, n)
        msg = {"type": "track", "event": event, "properties": props}
    elif roll < 0.90:
        msg = {"type": "identify", "traits": identify(rng, user)}
    else:
        name, path, title = rng.choice(PAGES)
        query = rng.choice(["", "", "?utm_source=newsletter&utm_medium=email", "?ref=ad-42"])
        msg = {"type": "page", "name": name, "properties": {
            "url": f"https://shop.example.com{path}{query}",
            "path": path,
            "title": title,
            "referrer": rng.choice(REFERRERS),
            "search": query,
        }}
    # Identifies always name the user; others are anonymous a quarter of the time.
    if msg["type"] != "identify" and rng.random() < 0.25:
        msg["anonymousId"] = "anon-%012x" % rng.randrange(16**12)
    else:
        msg["userId"] = f"user-{user}"
    msg["messageId"] = f"bench-{n}"
    msg["timestamp"] = stamp
    msg["context"] = {
        "ip": "%d.%d.%d.%d" % (rng.choice([81, 92, 176, 203]), rng.randint(0, 255),
                               rng.randint(0, 255), rng.randint(1, 254)),
        "locale": rng.choice(LOCALES),
        "userAgent": rng.choice(USER_AGENTS),
    }
    return msg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100_000, help="how many lines (default 100000)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    args = ap.parse_args()
    if args.events < 0:
        ap.error("--events must be >= 0")
    rng = random.Random(args.seed)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8", buffering=1 << 20)
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    try:
        for n in range(args.events):
            out.write(dumps(call(rng, n, max(args.events, 1))))
            out.write("\n")
        out.flush()
    except BrokenPipeError:
        # `corpus.py | head` is fine; keep Python from complaining at exit.
        sys.stderr.close()
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
