"""Helpers shared by single.py and batch.py (standard library only)."""
import json
import os
import ssl
import subprocess
import sys
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
VENV_PY = os.path.join(BENCH_DIR, ".venv", "bin", "python")
NODE_SDK_DIR = os.path.join(BENCH_DIR, "node_modules", "@customerio", "cdp-analytics-node")
WRITE_KEY = "bench-key"


def cio_bin():
    return os.environ.get("CIO_BIN") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "cio")


class Sink:
    """The local sink started by lib.sh; only ever 127.0.0.1. An https:// sink
    (`sink --tls DIR`) is reached trusting only its own CA, `ca`."""

    def __init__(self, url, ca=None):
        if not (url.startswith("http://127.0.0.1:") or (ca and url.startswith("https://127.0.0.1:"))):
            sys.exit(f"refusing sink URL {url!r}: only http(s)://127.0.0.1:PORT is allowed")
        self.url = url.rstrip("/")
        self.context = ssl.create_default_context(cafile=ca) if ca else None

    def _call(self, method, path):
        req = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=30, context=self.context) as res:
            return json.loads(res.read())

    def stats(self):
        return self._call("GET", "/stats")

    def reset(self):
        self._call("POST", "/reset")


def _first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        text = (out.stdout or out.stderr).strip()
        return text.splitlines()[0] if text else "?"
    except (OSError, subprocess.SubprocessError):
        return "not available"


def versions(names):
    """Version strings of the tools in `names` (cio, curl, python, node)."""
    found = {}
    if "cio" in names:
        found["cio"] = _first_line([cio_bin(), "--version"]) + f"  ({cio_bin()})"
    if "curl" in names:
        found["curl"] = _first_line(["curl", "--version"])
    if "python" in names:
        sdk = _first_line([VENV_PY, "-c", "import importlib.metadata as m; "
                           "print(m.version('customerio-cdp-analytics'))"])
        found["python"] = f"customerio-cdp-analytics {sdk} on {_first_line([VENV_PY, '--version'])}"
    if "node" in names:
        try:
            with open(os.path.join(NODE_SDK_DIR, "package.json")) as f:
                sdk = json.load(f)["version"]
        except OSError:
            sdk = "not installed"
        found["node"] = f"@customerio/cdp-analytics-node {sdk} on Node {_first_line(['node', '--version'])}"
    return found


def print_versions(names):
    print("versions:")
    for name, text in versions(names).items():
        print(f"  {name:7} {text}")
    print(f"  sink    {os.environ.get('SINK_BIN', 'target/release/examples/sink')}")
    try:
        print(f"  machine {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    except OSError:
        pass
    print()


def table(headers, rows):
    """Plain text table, first column left-aligned and the rest right-aligned."""
    cells = [headers] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def fmt(r):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    lines = [fmt(cells[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells[1:]]
    return "\n".join(lines)


def clean_env():
    """The environment for the tools: proxies dropped, so that every request
    goes straight to the sink on 127.0.0.1."""
    env = dict(os.environ)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(var, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env
