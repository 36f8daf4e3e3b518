"""Files a few appeals through the public form and approves one in the console, as a
browser would (cookies, CSRF tokens): data for .ci/schemathesis. Prints the case numbers."""

import datetime
import http.cookiejar
import random
import re
import sys
import urllib.parse
import urllib.request

base, email, password = sys.argv[1], sys.argv[2], sys.argv[3]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browser():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def get(opener, path):
    with opener.open(base + path) as r:
        return r.read().decode()


def post(opener, path, fields):
    data = urllib.parse.urlencode(fields).encode()
    try:
        with opener.open(base + path, data=data) as r:
            return r.status, r.headers.get("Location", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location", ""), e.read().decode()


def csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def file_appeal(n):
    b = browser()
    token = csrf(get(b, "/appeals/new"))
    sent = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))) - datetime.timedelta(hours=2)
    suffix = random.randrange(10**8)
    status, location, _ = post(b, "/appeals", {
        "csrf_token": token,
        "wechat_id": f"wxid_seed{suffix:08d}",
        "email": f"seed{suffix:08d}@example.com",
        "packet_kind": "transfer",
        "amount": f"{600 + n}.00",
        "sent_at": sent.strftime("%Y-%m-%d %H:%M:%S"),
        "transaction_id": f"10{random.randrange(10**17):017d}",
        "counterparty_phone_suffix": "1234",
        "card_last4": "5678",
        "account": "Sent to the wrong chat by mistake; please help me get it back.",
        "claim_status": "unclaimed",
    })
    assert status == 303, f"filing answered {status}"
    receipt = get(b, location)
    return re.search(r'data-field="case-number"[^>]*>\s*([^<\s]+)', receipt).group(1)


cases = [file_appeal(n) for n in range(4)]

agent = browser()
token = csrf(get(agent, "/agent/login"))
status, _, _ = post(agent, "/agent/login", {"email": email, "password": password, "csrf_token": token})
assert status == 303, f"sign-in answered {status}"
token = csrf(get(agent, "/agent/cases"))
for action, fields in [("claim", {}), ("decide", {"outcome": "approved", "reason_code": "evidence_complete", "text": ""})]:
    status, _, _ = post(agent, f"/agent/cases/{cases[0]}/{action}", {**fields, "csrf_token": token})
    assert status == 303, f"{action} answered {status}"
print("seeded cases:", " ".join(cases), f"({cases[0]} approved)")
