# Runs commands through pywinrm (Debian python3-winrm 0.3.0) with NTLM over
# HTTPS: requests-ntlm binds the logon to the server certificate
# (tls-server-end-point channel binding), as against Windows.
# Usage: pywinrm_https.py URL CAFILE USER COMMAND...   (password on stdin)
# Prints one JSON object per command, as pywinrm_run.py; exit status 3 and
# "rejected" on stderr when the host refuses the logon.
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pywinrm_run  # noqa: E402,F401  (installs the MD4 shim)
import winrm  # noqa: E402
from winrm.exceptions import InvalidCredentialsError  # noqa: E402


def main():
    url, ca, user, commands = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    password = sys.stdin.readline().rstrip("\n")
    session = winrm.Session(url, auth=(user, password), transport="ntlm",
                            server_cert_validation="validate", ca_trust_path=ca)
    try:
        for cmd in commands:
            r = session.run_cmd(cmd)
            print(json.dumps({"cmd": cmd,
                              "stdout": r.std_out.decode("utf-8", "replace"),
                              "stderr": r.std_err.decode("utf-8", "replace"),
                              "status": r.status_code}))
            sys.stdout.flush()
    except InvalidCredentialsError as e:
        print("rejected: %s" % e, file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    main()
