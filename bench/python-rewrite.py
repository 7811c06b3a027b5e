"""The AWS Python samples' approach, for `npm run bench`: parse the whole message with the
standard library, change the subject and the text parts, serialise it again. One message per
line on stdin (a file path); prints the milliseconds each took."""
import email
import sys
import time
from email import policy

BANNER = "CAUTION: external sender."

for line in sys.stdin:
    with open(line.strip(), "rb") as f:
        raw = f.read()
    started = time.perf_counter()
    msg = email.message_from_bytes(raw, policy=policy.default)
    subject = msg["Subject"] or ""
    del msg["Subject"]
    msg["Subject"] = "[EXTERNAL] " + subject
    for part in msg.walk():
        if part.get_content_maintype() != "text" or part.is_attachment():
            continue
        subtype = part.get_content_subtype()
        if subtype == "plain":
            part.set_content(BANNER + "\n\n" + part.get_content())
        elif subtype == "html":
            part.set_content(part.get_content().replace("<body>", "<body><p>" + BANNER + "</p>", 1), subtype="html")
    out = msg.as_bytes()
    elapsed = (time.perf_counter() - started) * 1000
    print(f"{elapsed} {len(out)}", flush=True)
