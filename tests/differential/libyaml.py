"""Reads YAML streams with libyaml (through PyYAML) for tests/yaml_differential.rs.

Input on stdin: records of `<byte length>\n<bytes>`. Output on stdout: a first line naming the reader, then
one line per record: `ok<TAB>` and the values of the stream's scalars in order (a JSON list) when every
document of the stream composes, else `error<TAB>line:column<TAB>problem` (1-based). Documents are composed,
not constructed: tags such as `!Ref` are kept as written, as pin does.
"""

import json
import sys

try:
    import yaml
except ImportError:
    sys.stderr.write("python3 has no PyYAML: install python3-yaml (apt) or PyYAML (pip)\n")
    sys.exit(3)

if getattr(yaml, "__with_libyaml__", False):
    LOADER, NAME = yaml.CSafeLoader, "libyaml %s (PyYAML %s, CSafeLoader)" % (
        yaml._yaml.get_version_string(),
        yaml.__version__,
    )
else:
    LOADER, NAME = yaml.SafeLoader, "PyYAML %s pure-Python SafeLoader (no libyaml)" % yaml.__version__


def read(data):
    try:
        for _ in yaml.compose_all(data, Loader=LOADER):
            pass
        values = [e.value for e in yaml.parse(data, Loader=LOADER) if isinstance(e, yaml.ScalarEvent)]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = "%d:%d" % (mark.line + 1, mark.column + 1) if mark else "0:0"
        problem = getattr(e, "problem", None) or str(e)
        return "error\t%s\t%s" % (where, " ".join(str(problem).split()))
    return "ok\t" + json.dumps(values)


def main():
    src = sys.stdin.buffer
    out = sys.stdout
    out.write(NAME + "\n")
    while True:
        header = src.readline()
        if not header:
            break
        data = src.read(int(header))
        out.write(read(data) + "\n")
    out.flush()


main()
