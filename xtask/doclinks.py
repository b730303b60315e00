#!/usr/bin/env python3
"""Check the links of the documentation: README.md and docs/*.md.

Run from anywhere (Python 3.8+, standard library only):

    python3 xtask/doclinks.py            # check README.md and docs/*.md
    python3 xtask/doclinks.py FILE.md... # check only these files

For every Markdown link or image `[text](target)` / `![alt](target)` outside
code blocks and code spans:

- web links (`http:`, `https:`, `mailto:`) are not fetched;
- a relative target must name a file or folder that exists, relative to the
  page that holds the link;
- an anchor (`page.md#anchor`, or `#anchor` on the same page) must match a
  heading of that page, slugged as GitHub does (lower case, punctuation
  dropped, spaces to hyphens, `-1`, `-2`… for repeated headings).

It also checks that every page under docs/ is linked from README.md.
Exit status: 0 when every link resolves, 1 otherwise (each problem printed
as FILE:LINE: message).
"""
import pathlib
import re
import sys
import unicodedata
from urllib.parse import unquote

ROOT = pathlib.Path(__file__).resolve().parent.parent

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+)((?:(?!\n[ \t]*\n).)+?)\1", re.S)
# [text](target "title") or ![alt](target); text may hold one level of [].
LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def lines_outside_code(text):
    """(line number, line) for every line outside fenced code blocks."""
    fenced = None
    for number, line in enumerate(text.split("\n"), 1):
        match = FENCE.match(line)
        if match:
            if fenced is None:
                fenced = match.group(1)
                continue
            if line.strip().startswith(fenced):
                fenced = None
                continue
        if fenced is None:
            yield number, line


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links → text
    text = text.replace("`", "")
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.strip().lower()
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in " -" or category[0] in "LMN" or category == "Pc":
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        seen = {}
        found = set()
        for _, line in lines_outside_code(path.read_text(encoding="utf-8")):
            match = HEADING.match(line)
            if not match:
                continue
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        cache[path] = found
    return cache[path]


def links(path):
    """(line number, target) of every link on the page; a link's text may
    run over several lines."""
    text = path.read_text(encoding="utf-8")
    kept = dict(lines_outside_code(text))
    lines = [kept.get(n, "") for n in range(1, text.count("\n") + 2)]
    text = "\n".join(lines)  # fenced code blanked, line numbers kept
    text = CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    for match in LINK.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, match.group(2)


def shown(path):
    """A path as printed: relative to the repository where it lies inside."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def check(path):
    problems = []
    for number, target in links(path):
        where = f"{shown(path)}:{number}"
        if not target:
            problems.append(f"{where}: empty link target")
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # http:, https:, mailto: …
        file_part, _, anchor = target.partition("#")
        file_part = unquote(file_part)
        if file_part.startswith("/"):
            problems.append(f"{where}: absolute path {target!r}; use a relative one")
            continue
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{where}: {target!r}: no such file or folder")
            continue
        if anchor:
            if dest.is_dir() or dest.suffix.lower() != ".md":
                problems.append(f"{where}: {target!r}: anchor on a file that is not Markdown")
            elif unquote(anchor).lower() not in anchors(dest):
                problems.append(
                    f"{where}: {target!r}: no heading #{anchor} in {shown(dest)}"
                )
    return problems


def main(argv):
    if argv:
        pages = [pathlib.Path(a).resolve() for a in argv]
    else:
        pages = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
    problems = []
    count = 0
    for page in pages:
        count += sum(1 for _ in links(page))
        problems += check(page)
    if not argv:
        readme = ROOT / "README.md"
        linked = set()
        for _, target in links(readme):
            file_part = target.partition("#")[0]
            if file_part and not re.match(r"^[a-z][a-z0-9+.-]*:", file_part, re.I):
                linked.add((readme.parent / unquote(file_part)).resolve())
        for page in sorted((ROOT / "docs").glob("*.md")):
            if page.resolve() not in linked:
                problems.append(f"README.md: does not link to {shown(page)}")
    for problem in problems:
        print(problem)
    print(
        f"{len(pages)} pages, {count} links: "
        + ("all resolve" if not problems else f"{len(problems)} problem(s)")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
