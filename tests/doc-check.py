"""Every exported symbol is documented: reads Doxygen's XML output (make doc) and the
version script, and fails naming each symbol of lib/libmmarml.map that the reference lacks
or shows without a description.

Usage: python3 tests/doc-check.py <doxygen xml dir> <lib/libmmarml.map>
"""
import os
import re
import sys
import xml.etree.ElementTree as ET


def exported(map_path):
    with open(map_path, encoding="utf-8") as f:
        text = re.sub(r"#[^\n]*", "", f.read())
    return sorted(set(re.findall(r"\b(mmarml_\w+)\s*;", text)))


def described(member):
    for tag in ("briefdescription", "detaileddescription"):
        node = member.find(tag)
        if node is not None and "".join(node.itertext()).strip():
            return True
    return False


def documented(xml_dir):
    names = {}
    for entry in os.listdir(xml_dir):
        if not entry.endswith("_8h.xml"):  # one file per header
            continue
        root = ET.parse(os.path.join(xml_dir, entry)).getroot()
        for member in root.iter("memberdef"):
            name = member.findtext("name")
            names[name] = names.get(name, False) or described(member)
    return names


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    symbols = exported(sys.argv[2])
    names = documented(sys.argv[1])
    missing = [s for s in symbols if s not in names]
    bare = [s for s in symbols if s in names and not names[s]]
    for s in missing:
        print(f"doc-check: {s} is exported but not in the reference")
    for s in bare:
        print(f"doc-check: {s} is in the reference without a description")
    if missing or bare or not symbols:
        sys.exit(1)
    print(f"doc-check: all {len(symbols)} exported symbols are documented")


if __name__ == "__main__":
    main()
