#!/usr/bin/env bash
# The action's second step (action.yml): runs the suite with the inputs
# (INPUT_* variables), writing JUnit, JSON and HTML reports to
# INPUT_REPORT_DIR. It exits 0 whatever the verdict and records the suite's
# exit status as the step output exit-code, so that the reports are
# uploaded before the last step fails the job.
set -euo pipefail

mode=${INPUT_MODE:-server}
dir=${INPUT_REPORT_DIR:-gochat-conformance-reports}
mkdir -p "$dir"
bin=gochat-conformance
if [ -n "${GOCHAT_CONFORMANCE_BIN:-}" ]; then bin=$GOCHAT_CONFORMANCE_BIN; fi

args=("$mode")
add() { if [ -n "$2" ]; then args+=("$1" "$2"); fi; }
case "$mode" in
server)
	add --addr "${INPUT_ADDR:-}"
	add --tls-addr "${INPUT_TLS_ADDR:-}"
	if [ "${INPUT_TLS_INSECURE:-false}" = true ]; then args+=(--tls-insecure); fi
	add --admin-user "${INPUT_ADMIN_USER:-}"
	add --admin-key "${INPUT_ADMIN_KEY:-}"
	add --owner-user "${INPUT_OWNER_USER:-}"
	add --owner-key "${INPUT_OWNER_KEY:-}"
	;;
client)
	[ -n "${INPUT_CLIENT_CMD:-}" ] || { echo "::error::mode client needs the client-cmd input" && exit 2; }
	add --client-cmd "$INPUT_CLIENT_CMD"
	;;
*) echo "::error::mode must be server or client, not '$mode'" && exit 2 ;;
esac
add --dialect "${INPUT_DIALECT:-}"
add --expect "${INPUT_EXPECTATIONS:-}"
if [ "${INPUT_STRICT:-false}" = true ]; then args+=(--strict); fi
args+=(--junit "$dir/junit.xml" --json "$dir/results.json" --report "$dir/report.html")
# Extra arguments, split like a shell would, without running one.
if [ -n "${INPUT_ARGS:-}" ]; then
	read -r -a extra <<<"$INPUT_ARGS"
	args+=("${extra[@]}")
fi

# A server started in the background by an earlier step may still be
# starting: wait for its port (bash's /dev/tcp; no other tool needed).
if [ "$mode" = server ] && [ -n "${INPUT_ADDR:-}" ]; then
	host=${INPUT_ADDR%:*} port=${INPUT_ADDR##*:}
	host=${host#[} host=${host%]} host=${host:-127.0.0.1}
	deadline=$((SECONDS + ${INPUT_WAIT:-30}))
	until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "::error::nothing accepts connections on $INPUT_ADDR after ${INPUT_WAIT:-30} s"
			if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "exit-code=2" >>"$GITHUB_OUTPUT"; fi
			exit 0
		fi
		sleep 0.5
	done
fi

echo "gochat-conformance ${args[*]}"
set +e
"$bin" "${args[@]}" 2>&1 | tee "$dir/console.txt"
status=${PIPESTATUS[0]}
set -e
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "exit-code=$status" >>"$GITHUB_OUTPUT"; fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
	{
		echo "### gochat conformance ($mode)"
		echo '```'
		tail -n 5 "$dir/console.txt"
		echo '```'
	} >>"$GITHUB_STEP_SUMMARY"
fi
echo "gochat-conformance exited $status; reports in $dir"
