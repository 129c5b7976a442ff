#!/usr/bin/env bash
# Static analysis of the project's own code: clang-tidy 14 with the checks
# in .clang-tidy, then cppcheck 2.10 with the suppressions in
# .cppcheck-suppressions. Exits non-zero on any finding of either tool.
# See docs/TESTING.md, "Static analysis".
#
#   scripts/static-analysis.sh [tidy|cppcheck]...    (default: both)
#
# Environment: STATIC_BUILD=DIR holds the compile database (default
# build/static); STATIC_FILES=REGEX limits both tools to matching source
# paths (e.g. 'src/ledger/'), for a quick run while fixing findings;
# TIDY_CACHE=DIR keeps clang-tidy's passes (default
# ~/.cache/actledger-clang-tidy, outside the checkout so that fresh clones
# share it; TIDY_CACHE= turns it off); TIDY_SINCE=REV checks only the units
# that read a file changed since commit REV (committed or not), all of them
# when the checks or the build's configuration changed (CI passes the
# commit of .ci/tidy-clean, the last full pass); TIDY_RECORD=1 writes HEAD
# into .ci/tidy-clean after a full pass with no finding on a checkout with
# no uncommitted change.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

tools=("$@")
((${#tools[@]})) || tools=(tidy cppcheck)
for t in "${tools[@]}"; do
  if [[ $t != tidy && $t != cppcheck ]]; then
    echo "usage: scripts/static-analysis.sh [tidy|cppcheck]..." >&2
    exit 2
  fi
done

scripts/install-deps.sh
build=${STATIC_BUILD:-build/static}
cache=${TIDY_CACHE-${XDG_CACHE_HOME:-$HOME/.cache}/actledger-clang-tidy}
# Every directory of the project's code; new files and modules in them are
# covered without editing this script.
dirs="src|tools|bench|tests"
root_re=$(printf '%s' "$root" | sed 's/[][\.*^$+?(){}|]/\\&/g')
files_regex="^$root_re/($dirs)/"

# The compile database of a clang configuration (configured, never built):
# clang-tidy 14 is clang 14, so it reads clang's flags exactly; GCC's own
# flags would be unknown arguments to it. With ACTLEDGER_FUZZ the fuzz
# harnesses are in the database too, and tests and benchmarks are on.
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Debug -DACTLEDGER_FUZZ=ON -DACTLEDGER_BUILD_TESTS=ON \
  -DACTLEDGER_BUILD_BENCH=ON >/dev/null
db=$build/compile_commands.json

# Only translation units under the project's directories (the database
# holds nothing else today; the filter keeps it that way). cppcheck reads
# the filtered copy.
mapfile -t units < <(python3 - "$db" "$files_regex" "${STATIC_FILES:-}" \
  "$build/project.json" <<'EOF'
import json, re, sys
ours, only = re.compile(sys.argv[2]), re.compile(sys.argv[3])
entries = [e for e in json.load(open(sys.argv[1]))
           if ours.search(e["file"]) and only.search(e["file"])]
json.dump(entries, open(sys.argv[4], "w"), indent=1)
for entry in entries:
    print(entry["file"])
EOF
)
if ((${#units[@]} == 0)); then
  echo "static-analysis: no source files match $files_regex" \
    "${STATIC_FILES:+and $STATIC_FILES }in $db" >&2
  exit 2
fi

# TIDY_SINCE: the project files changed since that commit, one per line,
# or "*" for every unit (the checks, this script or the build changed, or
# the commit is not in this clone's history).
changed=
if [[ -n ${TIDY_SINCE:-} ]]; then
  changed=$build/tidy-changed.txt
  if git cat-file -e "$TIDY_SINCE^{commit}" 2>/dev/null; then
    { git diff --name-only "$TIDY_SINCE" --; git ls-files --others --exclude-standard; } |
      sort -u >"$changed"
    if grep -qE '(^|/)\.clang-tidy$|^scripts/static-analysis\.sh$|(^|/)CMakeLists\.txt$|^CMakePresets\.json$|^cmake/' "$changed"; then
      echo '*' >"$changed"
    fi
  else
    echo "static-analysis: commit $TIDY_SINCE is not in this clone; checking every unit" >&2
    echo '*' >"$changed"
  fi
fi

status=0
for t in "${tools[@]}"; do
  start=$SECONDS
  case $t in
    tidy)
      echo "static-analysis: clang-tidy on ${#units[@]} files" >&2
      # What a full pass may record: the commit, if nothing is changed.
      clean_head=
      if git diff --quiet HEAD -- && [[ -z $(git ls-files --others --exclude-standard) ]]; then
        clean_head=$(git rev-parse HEAD)
      fi
      log=$build/clang-tidy.log
      if ! python3 - "$build" "$root" "$cache" "$(nproc)" "$changed" "${units[@]}" \
        >"$log" 2>&1 <<'EOF'; then
# Runs clang-tidy on each unit, nproc at a time, biggest first. A unit that
# passed before with exactly the same inputs is not run again: the key is
# clang-tidy's version, the .clang-tidy files that apply, the unit's compile
# command and every file the unit includes (project files by content,
# system files by path, size and mtime), with the checkout's and the build
# directory's paths taken out so that other clones and build directories
# share entries. Only passes are kept. With a list of changed files, a unit
# none of whose project files is on it is skipped: it passed at that commit
# and reads nothing different now.
import concurrent.futures, hashlib, json, os, resource, shlex, subprocess, sys, time
build, root, cache, jobs, changed_list, units = (
    sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5],
    sys.argv[6:])
changed = None
if changed_list:
    changed = set(l.strip() for l in open(changed_list) if l.strip())
    if "*" in changed:
        changed = None
db = {e["file"]: e for e in json.load(open(build + "/compile_commands.json"))}
header_filter = "^%s/(include/actledger|src|tools|bench|tests)/" % root
tidy = ["clang-tidy-14", "-p", build, "--quiet", "-header-filter=" + header_filter]

base = hashlib.sha256()
base.update(subprocess.run(["clang-tidy-14", "--version"], check=True,
                           capture_output=True).stdout)
base.update(header_filter.replace(root, "@").encode())

def configs(unit):
    """The .clang-tidy files that apply to `unit`: its directory's and those
    of every directory above it, up to the checkout's root."""
    h, d = hashlib.sha256(), os.path.dirname(unit)
    while d == root or d.startswith(root + "/"):
        if os.path.exists(d + "/.clang-tidy"):
            h.update(d[len(root):].encode() + b"\0")
            h.update(open(d + "/.clang-tidy", "rb").read())
        d = os.path.dirname(d)
    return h.digest()

def dependencies(unit):
    """Every file the unit reads (the preprocessor's list), normalized, or
    None when the preprocessor fails."""
    entry = db[unit]
    args = shlex.split(entry["command"]) if "command" in entry else entry["arguments"]
    dep_args = [a for i, a in enumerate(args)
                if a != "-o" and (i == 0 or args[i - 1] != "-o") and a != "-c"]
    out = subprocess.run(dep_args + ["-M", "-MF", "-", "-w"], cwd=entry["directory"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    deps = out.stdout.replace("\\\n", " ").split(":", 1)[1].split()
    return args, sorted(set(os.path.normpath(os.path.join(entry["directory"], d))
                            for d in deps))

def affected(unit):
    """Whether the unit reads a changed file (or its files cannot be listed)."""
    if changed is None:
        return True
    d = dependencies(unit)
    return d is None or any(dep[len(root) + 1:] in changed for dep in d[1]
                            if dep.startswith(root + "/"))

def key(unit):
    """The unit's cache key, or None when its dependencies cannot be read."""
    d = dependencies(unit)
    if d is None:
        return None
    args, deps = d
    h = base.copy()
    h.update(configs(unit))
    h.update(" ".join(args).replace(os.path.abspath(build), "@build")
             .replace(root, "@").encode())
    for dep in deps:
        if dep.startswith(root + "/"):
            h.update(dep[len(root):].encode() + b"\0")
            h.update(hashlib.sha256(open(dep, "rb").read()).digest())
        else:
            st = os.stat(dep)
            h.update(("%s %d %d\0" % (dep, st.st_size, st.st_mtime_ns)).encode())
    return h.hexdigest()

def check(unit):
    k = key(unit) if cache else None
    if k and os.path.exists(os.path.join(cache, k)):
        return unit, 0, "", 0.0, True
    start = time.monotonic()
    r = subprocess.run(tidy + [unit], capture_output=True, text=True)
    # A unit edited while it was checked keeps no entry.
    if r.returncode == 0 and k and key(unit) == k:
        os.makedirs(cache, exist_ok=True)
        open(os.path.join(cache, k), "w").close()
    return unit, r.returncode, r.stdout + r.stderr, time.monotonic() - start, False

skipped = 0
if changed is not None:
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        keep = list(pool.map(affected, units))
    skipped = keep.count(False)
    units = [u for u, k in zip(units, keep) if k]
# Biggest first, so that no large unit starts last on an otherwise idle core.
units.sort(key=lambda u: -os.path.getsize(u))
failed = cached = 0
with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
    for unit, rc, output, seconds, hit in pool.map(check, units):
        cached += hit
        if rc != 0:
            failed += 1
            print(output, end="")
        print("clang-tidy: %s %s%s" % (unit, "cached" if hit else "%.0f s" % seconds,
                                     "" if rc == 0 else " FAILED"), file=sys.stderr)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print("clang-tidy: %d units, %d from the cache, %d unchanged since the last "
      "full pass, %d with findings; %.0f s of CPU"
      % (len(units), cached, skipped, failed,
         children.ru_utime + children.ru_stime), file=sys.stderr)
sys.exit(1 if failed else 0)
EOF
        status=1
        # One line per distinct finding (a header's finding is reported by
        # every file that includes it), then the full log's path.
        sed -E 's/\x1b\[[0-9;]*m//g' "$log" |
          grep -E '^/[^:]+:[0-9]+:[0-9]+: (warning|error):' | sort -u >&2 || true
        # Every failed unit, so that one without a finding line above (a
        # crash of clang-tidy) is named too.
        grep ' FAILED$' "$log" >&2 || true
        echo "static-analysis: clang-tidy found problems; full log: $log" >&2
      elif [[ -n ${TIDY_RECORD:-} && -z $changed && -z ${STATIC_FILES:-} ]]; then
        # A full pass: CI checks only what changes after this commit.
        if [[ -n $clean_head && $clean_head == $(git rev-parse HEAD) ]] &&
          git diff --quiet HEAD -- && [[ -z $(git ls-files --others --exclude-standard) ]]; then
          echo "$clean_head" >.ci/tidy-clean
          echo "static-analysis: every unit passed at $(cat .ci/tidy-clean); recorded in .ci/tidy-clean (commit it)" >&2
        else
          echo "static-analysis: not recorded in .ci/tidy-clean: the checkout has uncommitted changes" >&2
        fi
      fi
      tail -n 1 "$log" >&2
      ;;
    cppcheck)
      echo "static-analysis: cppcheck on ${#units[@]} files" >&2
      mkdir -p "$build/cppcheck"
      if ! cppcheck --project="$build/project.json" \
        --cppcheck-build-dir="$build/cppcheck" -j"$(nproc)" \
        --std=c++20 --library=posix,gnu,googletest,openssl,sqlite3 \
        --enable=warning,performance,portability,style \
        --inline-suppr --suppressions-list=.cppcheck-suppressions \
        --error-exitcode=1 --quiet \
        --template='{file}:{line}:{column}: {severity}: {message} [{id}]'; then
        status=1
        echo "static-analysis: cppcheck found problems (above)" >&2
      fi
      ;;
  esac
  echo "static-analysis: $t took $((SECONDS - start)) s" >&2
done
exit $status
