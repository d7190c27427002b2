"""A small HTTP(S) client for ayil-web's tests: a cookie jar, the CSRF token
of the last page, no redirects followed (tests look at them). Standard
library only, so it runs with Debian's python3."""
import html
import http.client
import re
import ssl
import urllib.parse


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value), names lowercased
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k == name.lower()]

    def csrf(self):
        m = re.findall(r'name="csrf" value="([^"]+)"', self.text)
        return html.unescape(m[-1]) if m else None


class Client:
    def __init__(self, host, port, tls=True, cafile=None):
        self.host, self.port, self.tls = host, port, tls
        self.cookies = {}
        if tls:
            self.ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
            if cafile:
                self.ctx.check_hostname = False
        self.last = None

    def _conn(self):
        if self.tls:
            return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method, path, fields=None, raw=None, ctype=None, cookies=True):
        c = self._conn()
        h = {}
        if cookies and self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        body = raw
        if fields is not None:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            ctype = ctype or "application/x-www-form-urlencoded"
        if ctype:
            h["Content-Type"] = ctype
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        resp = Resp(r.status, [(k.lower(), v) for k, v in r.getheaders()], r.read())
        c.close()
        for v in resp.all("set-cookie"):
            name, _, rest = v.partition("=")
            val = rest.split(";")[0]
            if "Max-Age=0" in v:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = val
        self.last = resp
        return resp

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields, csrf=True):
        if csrf and isinstance(fields, dict) and "csrf" not in fields and self.last is not None:
            fields = dict(fields, csrf=self.last.csrf())
        elif csrf and isinstance(fields, list) and self.last is not None and not any(k == "csrf" for k, _ in fields):
            fields = fields + [("csrf", self.last.csrf())]
        return self.request("POST", path, fields)

    def login(self, member, password):
        self.get("/login")
        return self.post("/login", {"member": member, "password": password})

    def unlock(self, password):
        self.get("/unlock")
        return self.post("/unlock", {"password": password})
