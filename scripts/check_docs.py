#!/usr/bin/env python3
"""Checks the user documentation (README.md and docs/**/*.md); python3 standard library only.

1. Links: every relative link [text](target) and reference definition [id]: target resolves:
   the file or folder exists, and a #anchor names a heading of the target page (GitHub-style
   slugs, duplicates numbered -1, -2, ...). Links inside code are not links.
2. Config keys: docs/config.md holds the exact output of `hwnas config keys` between the
   markers <!-- BEGIN hwnas config keys ... --> and <!-- END hwnas config keys -->, so every key
   the binary prints is documented and every key documented there is one the binary prints.
3. Key names: every dotted config key written in code (`amc.target_ms`, also inside
   key=value) in README.md or docs/ is a key that `hwnas config keys` prints, so a renamed
   or removed key cannot linger in the manuals. Lines that quote an error message (they
   contain "error:") are skipped: they name wrong keys on purpose.

  scripts/check_docs.py --hwnas build/cli/hwnas            check (exit 1 on any problem)
  scripts/check_docs.py --hwnas build/cli/hwnas --update   rewrite the key table of config.md
  scripts/check_docs.py --links-only                       links only (no binary needed)
"""

import argparse
import os
import re
import subprocess
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN_RE = re.compile(r"^<!-- BEGIN hwnas config keys\b.*-->\n", re.M)
END_MARK = "<!-- END hwnas config keys -->\n"
# Top-level sections of the config schema; a dotted name starting with one of them is a key.
SECTIONS = ("data", "device", "train", "proxyless", "amc", "haq", "evolution", "pipeline")
KEY_RE = re.compile(r"(?<![\w/.\-])(%s)((?:\.[a-z_][a-z0-9_]*)+)(?![\w/\-])" % "|".join(SECTIONS))
FENCE_RE = re.compile(r"^\s*(```|~~~)")
INLINE_LINK_RE = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+.*)?$")
CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1")


def doc_files(root):
    files = [os.path.join(root, "README.md")]
    for folder, _, names in os.walk(os.path.join(root, "docs")):
        files += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".md")]
    return sorted(files)


def split_code(text):
    """Yields (line_number, line, in_fence) for every line."""
    in_fence = False
    fence = None
    for number, line in enumerate(text.split("\n"), 1):
        m = FENCE_RE.match(line)
        if m:
            if not in_fence:
                in_fence, fence = True, m.group(1)
                yield number, line, True
                continue
            if line.strip().startswith(fence):
                in_fence = False
                yield number, line, True
                continue
        yield number, line, in_fence


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading)  # inline HTML
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = text.strip().lower()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "-_" or ch == " " or cat[0] in "LN" or cat == "Mn":
            out.append("-" if ch == " " else ch)
    return "".join(out)


def anchors(path, cache={}):
    if path not in cache:
        seen = {}
        result = set()
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for _, line, in_fence in split_code(text):
            if in_fence:
                continue
            m = re.match(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            base = slug(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            result.add(base if n == 0 else "%s-%d" % (base, n))
        cache[path] = result
    return cache[path]


def links_of(text):
    """(line, target) of every link outside code."""
    for number, line, in_fence in split_code(text):
        if in_fence:
            continue
        bare = CODE_SPAN_RE.sub(lambda m: " " * len(m.group(0)), line)
        for m in INLINE_LINK_RE.finditer(bare):
            yield number, m.group(1)
        m = REF_DEF_RE.match(bare)
        if m:
            yield number, m.group(1)


def check_links(root):
    problems = []
    for path in doc_files(root):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        rel = os.path.relpath(path, root)
        for number, target in links_of(text):
            if not target or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                continue  # empty, or http:, https:, mailto:, ...
            file_part, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            where = "%s:%d: link '%s'" % (rel, number, target)
            if not os.path.exists(dest):
                problems.append("%s: no such file %s" % (where, os.path.relpath(dest, root)))
                continue
            if anchor:
                if not dest.endswith(".md") or os.path.isdir(dest):
                    problems.append("%s: an anchor into a file that is not Markdown" % where)
                elif anchor not in anchors(dest):
                    problems.append("%s: %s has no heading with anchor #%s" %
                                    (where, os.path.relpath(dest, root), anchor))
    return problems


def config_keys_output(hwnas):
    result = subprocess.run([hwnas, "config", "keys"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True)
    if result.returncode != 0:
        sys.exit("check_docs: '%s config keys' failed (%d): %s" %
                 (hwnas, result.returncode, result.stderr.strip()))
    return result.stdout if result.stdout.endswith("\n") else result.stdout + "\n"


def row_keys(table):
    return [m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", table, re.M)]


def keys_block(config_md):
    begin = BEGIN_RE.search(config_md)
    end = config_md.find(END_MARK, begin.end()) if begin else -1
    if not begin or end < 0:
        return None
    return begin.end(), end


def check_config(root, output):
    path = os.path.join(root, "docs", "config.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    span = keys_block(text)
    if span is None:
        return ["docs/config.md: no key table between '<!-- BEGIN hwnas config keys -->' and "
                "'%s' (scripts/check_docs.py --update writes it)" % END_MARK.strip()]
    documented = text[span[0]:span[1]]
    if documented == output:
        return []
    printed_keys, doc_keys = row_keys(output), row_keys(documented)
    problems = []
    for key in printed_keys:
        if key not in doc_keys:
            problems.append("docs/config.md: key '%s' (printed by 'hwnas config keys') is not "
                            "documented" % key)
    for key in doc_keys:
        if key not in printed_keys:
            problems.append("docs/config.md: key '%s' is documented but 'hwnas config keys' does "
                            "not print it" % key)
    doc_rows = {k: l for k, l in zip(doc_keys, documented.splitlines()[2:])}
    for key, line in zip(printed_keys, output.splitlines()[2:]):
        if key in doc_rows and doc_rows[key] != line:
            problems.append("docs/config.md: the row of '%s' differs from 'hwnas config keys':\n"
                            "    docs:   %s\n    binary: %s" % (key, doc_rows[key], line))
    if not problems:
        problems.append("docs/config.md: the key table differs from 'hwnas config keys' "
                        "(order or header)")
    problems.append("  (scripts/check_docs.py --hwnas build/cli/hwnas --update rewrites the table)")
    return problems


def check_key_mentions(root, output):
    known = set(row_keys(output))
    problems = []
    for path in doc_files(root):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        rel = os.path.relpath(path, root)
        for number, line, in_fence in split_code(text):
            if "error:" in line:
                continue  # an example of an error message names a wrong key on purpose
            code = [line] if in_fence else [m.group(2) for m in CODE_SPAN_RE.finditer(line)]
            reported = set()
            for piece in code:
                for m in KEY_RE.finditer(piece):
                    key = m.group(1) + m.group(2)
                    if key not in known and key not in reported:
                        reported.add(key)
                        problems.append("%s:%d: '%s' is not a config key (see 'hwnas config keys')"
                                        % (rel, number, key))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=ROOT, help="repository root (default: this checkout)")
    parser.add_argument("--hwnas", help="the hwnas binary (for 'hwnas config keys')")
    parser.add_argument("--links-only", action="store_true", help="check links only")
    parser.add_argument("--update", action="store_true",
                        help="rewrite the key table of docs/config.md from 'hwnas config keys'")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    if not args.links_only and not args.hwnas:
        parser.error("--hwnas is required unless --links-only")

    if args.update:
        path = os.path.join(root, "docs", "config.md")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        span = keys_block(text)
        if span is None:
            sys.exit("check_docs: docs/config.md has no BEGIN/END hwnas config keys markers")
        text = text[:span[0]] + config_keys_output(args.hwnas) + text[span[1]:]
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print("check_docs: rewrote the key table of docs/config.md")
        return 0

    problems = check_links(root)
    checked = "links"
    if not args.links_only:
        output = config_keys_output(args.hwnas)
        problems += check_config(root, output)
        problems += check_key_mentions(root, output)
        checked = "links, config keys"
    for p in problems:
        print(p)
    files = len(doc_files(root))
    if problems:
        print("check_docs: %d problem(s) in %d files" % (sum(1 for p in problems if not p.startswith("  ")), files))
        return 1
    print("check_docs: %s ok in %d files" % (checked, files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
