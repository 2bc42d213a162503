# shellcheck shell=bash
# Time budgets and step logging for scripts/gpu-run.sh (sourced; tested by GpuRunScriptTest).
#
# A run has one global deadline (run_begin BUDGET); it is split into phases (phase NAME BUDGET), each with
# its own deadline, never past the global one less GPU_RUN_RESERVE seconds kept for packing the results;
# every command (step NAME LIMIT CMD...) runs under `timeout` with the least of its own limit, its phase's
# time left and the run's time left. A step with less than GPU_RUN_MIN_STEP seconds to run is skipped with
# one line. Every line of outcome goes to stdout and to $SUMMARY; every command line to $COMMANDS, its
# output to $LOGS/NAME.log.
#
# Globals the caller sets: LOGS (a directory), SUMMARY and COMMANDS (files). Optional, names separated by
# spaces or commas: GPU_RUN_ONLY (run only these phases), GPU_RUN_SKIP (leave out these phases or steps).

GPU_RUN_RESERVE=${GPU_RUN_RESERVE:-15}
GPU_RUN_MIN_STEP=${GPU_RUN_MIN_STEP:-5}

# note LINE...: one line of outcome, printed and appended to the summary.
note() {
  echo "$*"
  echo "$*" >> "$SUMMARY"
}

# run_begin BUDGET: the run's deadline is BUDGET seconds from now.
run_begin() {
  RUN_DEADLINE=$((SECONDS + $1))
  PHASE=""
  PHASE_DEADLINE=$RUN_DEADLINE
}

# listed NAME LIST: whether NAME is one of the words of LIST (spaces or commas between them).
listed() {
  local w
  for w in ${2//,/ }; do
    [ "$w" = "$1" ] && return 0
  done
  return 1
}


# phase NAME BUDGET: starts a phase that may use BUDGET seconds; returns 1 (after one line saying why)
# when it is not selected or no time is left for it, so that callers write `if phase ...; then ... fi`.
phase() {
  PHASE=$1
  local budget=$2 end=$((RUN_DEADLINE - GPU_RUN_RESERVE))
  PHASE_DEADLINE=$((SECONDS + budget))
  [ "$PHASE_DEADLINE" -gt "$end" ] && PHASE_DEADLINE=$end
  note "=== $PHASE (budget ${budget} s, $((RUN_DEADLINE - SECONDS)) s left in the run)"
  if { [ -n "${GPU_RUN_ONLY:-}" ] && ! listed "$PHASE" "$GPU_RUN_ONLY"; } || listed "$PHASE" "${GPU_RUN_SKIP:-}"; then
    note "== $PHASE: not selected (GPU_RUN_ONLY='${GPU_RUN_ONLY:-}' GPU_RUN_SKIP='${GPU_RUN_SKIP:-}')"
    return 1
  fi
  if [ $((PHASE_DEADLINE - SECONDS)) -lt "$GPU_RUN_MIN_STEP" ]; then
    note "== $PHASE: skipped, the run's time budget is spent"
    return 1
  fi
}

# step_limit LIMIT: the seconds a step asking for LIMIT may run now (its phase's and the run's time left).
step_limit() {
  local limit=$1 left=$((PHASE_DEADLINE - SECONDS))
  [ "$left" -lt "$limit" ] && limit=$left
  echo "$limit"
}

# step NAME LIMIT COMMAND...: runs COMMAND (output to $LOGS/NAME.log) for at most LIMIT seconds, cut to
# the time its phase and the run have left; prints one line with the outcome and returns COMMAND's exit
# status (124 when it ran out of time, 125 when skipped or not selected).
step() {
  local name=$1 limit
  limit=$(step_limit "$2")
  shift 2
  if listed "$name" "${GPU_RUN_SKIP:-}"; then
    note "== $name: not selected (GPU_RUN_SKIP)"
    return 125
  fi
  if [ "$limit" -lt "$GPU_RUN_MIN_STEP" ]; then
    note "== $name: skipped, the time budget of phase $PHASE is spent ($limit s left)"
    return 125
  fi
  { printf '%s (limit %s s):' "$name" "$limit"; printf ' %q' "$@"; echo; } >> "$COMMANDS"
  local t0=$SECONDS rc
  # timeout signals the command's whole process group; -k: KILL 10 s later if TERM was not enough.
  timeout -k 10 "$limit" "$@" > "$LOGS/$name.log" 2>&1
  rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    note "== $name: TIMED OUT after $((SECONDS - t0)) s (limit $limit s)"
  else
    note "== $name: exit $rc after $((SECONDS - t0)) s (limit $limit s)"
  fi
  if [ "$rc" -ne 0 ]; then
    tail -n 5 "$LOGS/$name.log" | cut -c1-300
  fi
  return "$rc"
}

# same_training A.csv B.csv: compares two runs' metrics.csv on the columns that must not depend on
# timing (epoch, train_loss, train_accuracy, test_accuracy); prints "identical (N epochs)" or "DIFFERENT:
# ..." with the first row that differs, and returns 0 only when both files have those columns and agree.
same_training() {
  local a=$1 b=$2
  local cols='epoch,train_loss,train_accuracy,test_accuracy'
  if [ ! -s "$a" ] || [ ! -s "$b" ]; then
    echo "not compared: $( [ -s "$a" ] || echo "$a missing" ) $( [ -s "$b" ] || echo "$b missing" )"
    return 2
  fi
  local pa pb
  pa=$(pick_columns "$cols" "$a") || { echo "not compared: $pa"; return 2; }
  pb=$(pick_columns "$cols" "$b") || { echo "not compared: $pb"; return 2; }
  if [ "$pa" = "$pb" ]; then
    echo "identical ($(($(echo "$pa" | wc -l) - 1)) epochs; $cols)"
    return 0
  fi
  echo "DIFFERENT: first differing row: $(diff <(echo "$pa") <(echo "$pb") | grep -m2 '^[<>]' | tr '\n' ' ')"
  return 1
}

# pick_columns NAMES FILE: the CSV FILE's columns NAMES (comma-separated), in that order, header included.
pick_columns() {
  awk -F, -v want="$1" '
    NR == 1 { n = split(want, w, ","); for (i = 1; i <= n; i++) { for (j = 1; j <= NF; j++) if ($j == w[i]) col[i] = j;
                if (!col[i]) { print FILENAME " has no column " w[i]; bad = 1; exit 1 } } }
    { line = ""; for (i = 1; i <= n; i++) line = line (i > 1 ? "," : "") $col[i]; print line }
    END { if (bad) exit 1 }' "$2"
}
