#!/usr/bin/env python3
"""manpages.py - lint for the manual pages in man/ (the meson lint suite).

Usage: manpages.py SOURCE_DIR

Fails (exit 1, every finding printed) when a page in SOURCE_DIR/man:
- makes groff warn: `groff -k -man -ww -z` (every warning category), and,
  where man-db is installed, `man --warnings -l` (what a reader runs);
- has a .TH whose name or section is not its file's (spawn.8: SPAWN 8),
  or lacks NAME, SYNOPSIS, DESCRIPTION or SEE ALSO;
- names in its FILES or SEE ALSO section a manual page that is not in
  man/ and not one of the EXTERNAL pages below (pages of other packages,
  named on purpose).
Exit 2 when groff itself is missing (Debian: groff-base).
"""

import glob
import os
import re
import shutil
import subprocess
import sys

# Other packages' pages that our FILES / SEE ALSO sections may name.
EXTERNAL = {
    "sd_notify(3)", "sd_listen_fds(3)",      # libsystemd-dev
    "systemd.service(5)",                    # systemd
    "smtp-source(1)",                        # postfix
    "swaks(1)",                              # swaks
}

SECTION_RX = re.compile(r'^\.SH\s+"?([^"]*)"?\s*$')
# ".BR master (8)," / ".BR master\-protocol (7)" / ".IR x (5) ..."
MACRO_REF_RX = re.compile(r'^\.(?:B|I|BR|IR|RB|RI|BI|IB)\s+"?([A-Za-z0-9_.+\\-]+)"?\s+"?\((\d\w*)\)')
# "\fBmaster\fP(8)" inline
INLINE_REF_RX = re.compile(r'\\f[BI]([A-Za-z0-9_.+\\-]+)\\f[PR]\((\d\w*)\)')
TH_RX = re.compile(r'^\.TH\s+"?([^"\s]+)"?\s+"?(\d\w*)"?')


def run(cmd, env=None):
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=env, timeout=60)
    return r.returncode, r.stderr.decode(errors="replace").strip()


def render_findings(page):
    out = []
    rc, err = run(["groff", "-k", "-man", "-ww", "-z", page])
    if rc != 0 or err:
        out.append("groff -k -man -ww -z: exit %d\n%s" % (rc, err))
    if shutil.which("man"):
        env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80", MANPAGER="cat",
                   PAGER="cat")
        rc, err = run(["man", "--warnings", "-l", page], env=env)
        if rc != 0 or err:
            out.append("man --warnings -l: exit %d\n%s" % (rc, err))
    return out


def sections(text):
    """{SECTION NAME: [lines]}."""
    out, cur = {}, None
    for line in text.splitlines():
        m = SECTION_RX.match(line)
        if m:
            cur = m.group(1).strip().upper()
            out.setdefault(cur, [])
        elif cur is not None:
            out[cur].append(line)
    return out


def references(lines):
    refs = []
    for line in lines:
        m = MACRO_REF_RX.match(line)
        if m:
            refs.append((m.group(1), m.group(2)))
        refs += INLINE_REF_RX.findall(line)
    return [(n.replace("\\-", "-").replace("\\&", ""), s) for n, s in refs]


def page_findings(page, ours):
    out = []
    with open(page, encoding="utf-8", errors="replace") as f:
        text = f.read()
    base = os.path.basename(page)
    stem, _, sect = base.rpartition(".")
    th = next((TH_RX.match(ln) for ln in text.splitlines() if TH_RX.match(ln)), None)
    if th is None:
        out.append("no .TH line")
    elif th.group(1).replace("\\-", "-").upper() != stem.upper() or th.group(2) != sect:
        out.append(".TH %s %s does not match the file name" % (th.group(1), th.group(2)))
    secs = sections(text)
    for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
        if name not in secs:
            out.append("no %s section" % name)
    for sec in ("FILES", "SEE ALSO"):
        for name, num in references(secs.get(sec, [])):
            ref = "%s(%s)" % (name, num)
            if "%s.%s" % (name, num) not in ours and ref not in EXTERNAL:
                out.append("%s names %s: no man/%s.%s (another package's page? add it "
                           "to EXTERNAL in tools/lint/manpages.py)" % (sec, ref, name, num))
    return out + render_findings(page)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    if shutil.which("groff") is None:
        print("manpages: groff not found (Debian: apt-get install groff-base)", file=sys.stderr)
        return 2
    pages = sorted(glob.glob(os.path.join(sys.argv[1], "man", "*.[1-9]")))
    if not pages:
        print("manpages: no page in %s/man" % sys.argv[1], file=sys.stderr)
        return 1
    ours = {os.path.basename(p) for p in pages}
    bad = 0
    for page in pages:
        for finding in page_findings(page, ours):
            print("%s: %s" % (os.path.relpath(page, sys.argv[1]), finding))
            bad += 1
    print("manpages: %d page%s, %d finding%s" % (len(pages), "" if len(pages) == 1 else "s",
                                                   bad, "" if bad == 1 else "s"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
