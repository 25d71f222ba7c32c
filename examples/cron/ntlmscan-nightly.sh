#!/usr/bin/env bash
# Nightly ntlmscan run for cron (see ntlmscan.cron). It creates the
# directories it writes to, logs every run with its exit code, and mails
# (or, without mail, logs at priority err) when the scan exits non-zero:
# 2 new blocked paths, 4 hosts not scanned, 6 both, 1 an error.
#
# Everything below can be overridden from the environment (the cron line
# or a test); the secret comes from credentials.env (0640 root:ntlmscan)
# and never reaches a command line or the log.
set -uo pipefail

etc=${NTLMSCAN_ETC:-/etc/ntlmscan}
state=${NTLMSCAN_STATE_DIR:-/var/lib/ntlmscan}
logdir=${NTLMSCAN_LOG_DIR:-/var/log/ntlmscan}
mailto=${NTLMSCAN_MAILTO:-root}
log=$logdir/ntlmscan.log

umask 027
if ! mkdir -p "$state" "$logdir"; then
  logger -p user.err -t ntlmscan "cannot create $state or $logdir" 2>/dev/null
  echo "ntlmscan-nightly: cannot create $state or $logdir" >&2
  exit 1
fi

if [ -r "$etc/credentials.env" ]; then
  set -a
  # shellcheck disable=SC1091
  . "$etc/credentials.env"
  set +a
fi

args=(scan --inventory "$etc/inventory.yaml" --output-dir "$state"
  --metrics-file "$state/ntlmscan.prom" --keep 30 --fail-on new --quiet)
if [ -e "$etc/waivers.yaml" ]; then
  args+=(--waivers "$etc/waivers.yaml")
fi

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
  echo "$started ntlmscan ${args[*]}"
} >>"$log"
ntlmscan "${args[@]}" >>"$log" 2>&1
code=$?
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ntlmscan exit $code" >>"$log"

if [ "$code" -ne 0 ]; then
  case $code in
    2) what="new blocked paths since last night" ;;
    4) what="hosts that could not be scanned" ;;
    6) what="new blocked paths and hosts that could not be scanned" ;;
    *) what="an error (no report)" ;;
  esac
  subject="ntlmscan on $(hostname 2>/dev/null || echo this host): exit $code, $what"
  if command -v mail >/dev/null 2>&1; then
    { echo "$subject"; echo; echo "Last lines of $log:"; tail -n 40 "$log"; } | mail -s "$subject" "$mailto"
  else
    logger -p user.err -t ntlmscan "$subject; see $log" 2>/dev/null || echo "$subject" >&2
  fi
fi
exit "$code"
